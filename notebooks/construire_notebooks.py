"""Write the three French notebooks of ``notebooks/`` (outputs cleared).

    python notebooks/construire_notebooks.py

The notebooks are generated from this file so that their code stays reviewable in one place;
edit here, then regenerate.  ``ORIENTATION_NB_TAILLE=small`` makes every notebook run on small
data (the test suite executes them that way, tests/test_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ICI = Path(__file__).resolve().parent

ENTETE = '''import os
import numpy as np
import pandas as pd
import matplotlib
import matplotlib.pyplot as plt
from io import BytesIO
from IPython.display import Image, display

PETIT = os.environ.get("ORIENTATION_NB_TAILLE") == "small"
pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 200)
print("Taille :", "réduite (tests)" if PETIT else "complète")


def pct(x):
    """French percentage."""
    return f"{100 * x:.1f}".replace(".", ",") + "\u202f%"


def montrer(fig):
    """Show a figure as PNG whatever the matplotlib backend (inline or Agg), once."""
    tampon = BytesIO()
    fig.savefig(tampon, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    display(Image(data=tampon.getvalue(), format="png"))'''


def nb_exploration() -> nbformat.NotebookNode:
    c = [
        new_markdown_cell("""# 01 — Exploration des données synthétiques

**Toutes les données de ce carnet sont SYNTHÉTIQUES** : aucune donnée socio-professionnelle (DSP) réelle
n'est publique. Le module `orientation.modele.synthetique` tire des dossiers réalistes de nouveaux bénéficiaires
du RSA et le parcours qu'auraient choisi les référents d'un département (politique documentée, habitudes
locales, désaccord réaliste entre référents).

Ce carnet vérifie que les données générées reproduisent les chiffres publics
(`shared/reference/dsp_cnaf.md`) et montre les corrélations voulues entre réponses et parcours."""),
        new_code_cell(ENTETE),
        new_code_cell('''from orientation.dossier import codes
from orientation.modele import synthetique as syn

N = 5_000 if PETIT else 100_000
colonnes = syn.generer_colonnes(N, graine=0, departement="93", avec_politique=True)
df = pd.DataFrame(colonnes)
dem = pd.to_datetime(df["dtdemrsa"])
nai = pd.to_datetime(df["dtnai"])
df["age"] = dem.dt.year - nai.dt.year - ((dem.dt.month * 100 + dem.dt.day) < (nai.dt.month * 100 + nai.dt.day))
print(f"{len(df)} dossiers SYNTHÉTIQUES, {df.shape[1]} colonnes")
df.head(3)'''),
        new_markdown_cell("## Chiffres publics et données synthétiques"),
        new_code_cell('''def contient(cle, code):
    """Multi-valued CNAF cell (a|b) contains the code."""
    return df[cle].str.contains(rf"(?:^|\\|){code}(?:\\||$)", regex=True)

sante = contient("difsoc", "0402") | contient("difdisp", "0508") | contient("difsocpro", "2101") | contient("freinform", "2305")
lignes = [
    ("Personnes seules", 0.556, "Cnaf/INSEE fin 2021", (df.typefoyer == "ISO").mean()),
    ("Familles monoparentales", 0.321, "Cnaf/INSEE fin 2021", (df.typefoyer == "PAR").mean()),
    ("Couples", 0.123, "Cnaf/INSEE fin 2021", (df.typefoyer == "COU").mean()),
    ("Femmes parmi les parents isolés", 0.92, "Cnaf/INSEE fin 2021", (df.sexe[df.typefoyer == "PAR"] == "2").mean()),
    ("Femmes", 0.54, "Essonne 2014", (df.sexe == "2").mean()),
    ("Âgés de 30 à 49 ans", 0.52, "Essonne 2014", df.age.between(30, 49).mean()),
    ("En mauvaise santé (santé citée dans la DSP)", 0.29, "DREES 2018", sante.mean()),
    ("Soumis aux droits et devoirs", 0.97, "DREES OARSA 2023", (df.toppersdrodevorsa == "1").mean()),
    ("Orientés vers France Travail (parcours professionnel)", 0.40, "DREES OARSA 2023",
     (df.parcours_referent == "professionnel").mean()),
    ("Orientés vers un parcours social ou socio-professionnel", 0.60, "DREES OARSA 2023",
     (df.parcours_referent != "professionnel").mean()),
]
comparaison = pd.DataFrame(lignes, columns=["Indicateur", "Chiffre public", "Source", "Synthétique"])
comparaison["Écart (points)"] = 100 * (comparaison["Synthétique"] - comparaison["Chiffre public"])
comparaison'''),
        new_code_cell('''autres = pd.Series({
    "Primo-demandeurs": (df.topprimodemandeur == "1").mean(),
    "Âgés de 25 à 49 ans": df.age.between(25, 49).mean(),
    "Foyers avec enfants ayant au moins un enfant de 6 à 15 ans": df.agesenfants[df.agesenfants != ""].str.split("|")
        .apply(lambda l: any(6 <= int(a) <= 15 for a in l)).mean(),
    "Désaccord entre référents et politique (bruit des étiquettes)": (df.parcours_referent != df.parcours_politique).mean(),
}, name="part")
autres.to_frame()'''),
        new_markdown_cell("""Le chiffre « 45 % avec des enfants de 6 à 15 ans » (Essonne 2014) n'indique pas sa population de
référence ; il n'est donc pas pris comme cible. Le désaccord entre référents (environ 10 %) est voulu :
il borne l'accord qu'un modèle peut atteindre sans s'abstenir."""),
        new_markdown_cell("## Âges et foyers"),
        new_code_cell('''fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for code, nom in (("2", "femmes"), ("1", "hommes")):
    axes[0].hist(df.age[df.sexe == code], bins=range(18, 68), alpha=0.6, label=nom)
axes[0].set(title="Âge à la demande (données synthétiques)", xlabel="âge", ylabel="dossiers")
axes[0].legend()
noms_foyer = {"ISO": "personne seule", "PAR": "parent isolé", "COU": "couple"}
routes = pd.crosstab(df.typefoyer.map(noms_foyer), df.parcours_referent, normalize="index")
routes.plot.barh(stacked=True, ax=axes[1], title="Parcours choisi par les référents selon le foyer")
axes[1].set_xlabel("part")
plt.tight_layout()
montrer(fig)
routes'''),
        new_markdown_cell("## Corrélations voulues entre réponses et parcours"),
        new_code_cell('''groupes_logement = {"0901": "stable", "0902": "stable", "0907": "hébergé/temporaire", "0908": "hébergé/temporaire",
                    "0909": "hébergé/temporaire", "": "non renseigné"}
df["logement"] = df.natlog.map(groupes_logement).fillna("urgence/précaire")
niveaux = {"1201": "bac ou plus", "1202": "bac ou plus", "1203": "bac ou plus", "1204": "CAP-BEP", "": "non renseigné"}
df["formation"] = df.nivetu.map(niveaux).fillna("infra CAP")
df["frein_sante"] = np.where(sante, "santé citée", "santé non citée")
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
for ax, var, titre in zip(axes, ["logement", "formation", "frein_sante"], ["Logement", "Formation", "Santé"]):
    pd.crosstab(df[var], df.parcours_referent, normalize="index").plot.barh(stacked=True, ax=ax, legend=ax is axes[0])
    ax.set(title=f"Parcours selon : {titre}", xlabel="part", ylabel="")
plt.tight_layout()
montrer(fig)'''),
        new_code_cell('''jeune_enfant = df.agesenfants.str.split("|").apply(lambda l: l != [""] and min(int(a) for a in l) < 6)
garde = contient("difdisp", "0502")
correlations = pd.DataFrame({
    "Indicateur": ["Frein « garde d'enfant < 6 ans »", "N'a jamais travaillé", "Difficulté de français"],
    "Groupe": ["parents isolés avec enfant < 6 ans", "moins de 25 ans", "nationalité hors UE"],
    "Dans le groupe": [garde[(df.typefoyer == "PAR") & jeune_enfant].mean(), (df.hispro[df.age < 25] == "1904").mean(),
                       contient("difsoc", "0404")[df.nati == "A"].mean()],
    "Ailleurs": [garde[~((df.typefoyer == "PAR") & jeune_enfant)].mean(), (df.hispro[df.age >= 25] == "1904").mean(),
                 contient("difsoc", "0404")[df.nati != "A"].mean()],
})
correlations'''),
        new_markdown_cell("""La nationalité n'est jamais une entrée du modèle, mais elle est corrélée à la difficulté de français
(une réponse de la DSP) : c'est pourquoi le carnet 03 audite les résultats par groupe."""),
        new_markdown_cell("## Réponses non renseignées"),
        new_code_cell('''non_renseigne = pd.Series({c.libelle: (df[c.cnaf] == "").mean() for c in codes.CHAMPS}).sort_values()
fig, ax = plt.subplots(figsize=(8, 10))
non_renseigne.plot.barh(ax=ax, title="Part de réponses « non renseigné » par question DSP")
ax.set_xlabel("part")
plt.tight_layout()
montrer(fig)
print(f"En moyenne {pct(non_renseigne.mean())} des questions DSP sont non renseignées.")'''),
    ]
    return new_notebook(cells=c, metadata=_meta())


def nb_entrainement() -> nbformat.NotebookNode:
    c = [
        new_markdown_cell("""# 02 — Entraînement et comparaison des modèles

Deux modèles sont entraînés sur les mêmes dossiers **SYNTHÉTIQUES** (découpage entraînement / validation /
test identique) : une régression logistique multinomiale (calibrée par température) et une forêt
aléatoire (calibrée par régression isotonique). Ils sont comparés sur un jeu de test indépendant
(autre graine) : accord avec les référents, couverture (part des dossiers orientés sans examen individuel),
calibration des probabilités, et explication d'un dossier."""),
        new_code_cell(ENTETE),
        new_code_cell('''from orientation.modele import caracteristiques as car
from orientation.modele import metriques as met
from orientation.modele import synthetique as syn
from orientation.modele.classes import CLASSES
from orientation.modele.entrainement import entrainer

N, N_TEST = (6_000, 3_000) if PETIT else (60_000, 30_000)
donnees = syn.generer_colonnes(N, graine=0)
modeles = {t: entrainer(donnees, type_modele=t, graine=0, nom=t, accord_cible=0.95) for t in ("logistique", "foret")}
test = syn.generer_colonnes(N_TEST, graine=1)
X_test = car.vectoriser_colonnes(test)
y_test = np.array([[p.value for p in CLASSES].index(v) for v in test["parcours_referent"]])
for m in modeles.values():
    print(m)'''),
        new_markdown_cell("## Résultats sur le jeu de test indépendant"),
        new_code_cell('''lignes = []
for nom, m in modeles.items():
    e = m.evaluer(X_test, y_test)
    lignes.append({"modèle": nom, "accord global": e["accord_global"], "couverture": e["couverture"],
                   "accord sur décidés": e["accord_decides"], "dossiers décidés": e["n_decides"],
                   "ECE confiance avant": e["calibration"]["ece_confiance_avant"],
                   "ECE confiance après": e["calibration"]["ece_confiance_apres"],
                   **{f"couverture {p}": v["couverture"] for p, v in e["par_parcours_referent"].items()},
                   **{f"justes parmi décidés {p}": v["precision_decides"] for p, v in e["par_parcours_propose"].items()}})
resultats = pd.DataFrame(lignes).set_index("modèle")
resultats.T'''),
        new_markdown_cell("""## Courbes accord / couverture

Pour chaque seuil de confiance unique (appliqué à tous les parcours), la couverture et l'accord sur
les dossiers décidés ; seuls les profils récurrents peuvent être décidés. Le point marque le
fonctionnement retenu (seuils par parcours choisis sur la validation)."""),
        new_code_cell('''fig, ax = plt.subplots(figsize=(7, 5))
for nom, m in modeles.items():
    lot = m.proposer_lot(X_test, seuil=0.0)
    courbe = pd.DataFrame(met.courbe_accord_couverture(lot.probabilites, y_test, lot.profil_recurrent))
    ax.plot(courbe.couverture, courbe.accord, label=nom)
    e = m.evaluer(X_test, y_test)
    ax.scatter([e["couverture"]], [e["accord_decides"]], s=60, zorder=3)
ax.axhline(0.95, color="grey", ls="--", lw=1, label="accord visé 95 %")
ax.set(xlabel="couverture (part des dossiers décidés sans examen)", ylabel="accord avec les référents sur les décidés",
       title="Accord et couverture (données synthétiques)")
ax.legend()
montrer(fig)'''),
        new_markdown_cell("## Calibration (diagramme de fiabilité de la confiance)"),
        new_code_cell('''fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
bornes = np.linspace(0, 1, 11)
calibration = []
for ax, (nom, m) in zip(axes, modeles.items()):
    for etiquette, P in (("avant calibration", m.probabilites_brutes(X_test)), ("après calibration", m.probabilites(X_test))):
        conf = P.max(axis=1)
        juste = P.argmax(axis=1) == y_test
        b = np.clip(np.digitize(conf, bornes) - 1, 0, 9)
        points = pd.DataFrame({"b": b, "conf": conf, "juste": juste}).groupby("b").mean()
        ax.plot(points.conf, points.juste, marker="o", label=f"{etiquette} (ECE {met.ece_confiance(P, y_test):.3f})")
        calibration.append({"modèle": nom, "étape": etiquette, "ECE confiance": met.ece_confiance(P, y_test),
                            **{f"ECE {p.value}": v for p, v in zip(CLASSES, met.ece_par_classe(P, y_test))},
                            **{f"Brier {p.value}": v for p, v in zip(CLASSES, met.brier_par_classe(P, y_test))}})
    ax.plot([0, 1], [0, 1], color="grey", ls=":")
    ax.set(title=nom, xlabel="confiance annoncée", ylabel="part de propositions justes")
    ax.legend()
plt.tight_layout()
montrer(fig)
pd.DataFrame(calibration)'''),
        new_markdown_cell("## Explication d'un dossier"),
        new_code_cell('''paires = syn.generer(200, graine=5)
lot = modeles["logistique"].proposer_lot([d for d, _ in paires])
i_decide = int(np.flatnonzero(lot.decide)[0]) if lot.decide.any() else 0
i_abstention = int(np.flatnonzero(~lot.decide)[0])
for nom, m in modeles.items():
    p = m.proposer(paires[i_decide][0])
    print(f"--- {nom} : {p.parcours.libelle}, confiance {pct(p.confiance)}, décidé : {'oui' if p.decide else 'non'}")
    print(p.methode_contributions)
    display(pd.DataFrame([c.model_dump() for c in p.principales_contributions(n=6)]))'''),
        new_code_cell('''m = modeles["logistique"]
p = m.proposer(paires[i_abstention][0])
print(p.raison_abstention)
for cf in m.contrefactuels_modele(paires[i_abstention][0], max_changes=2)[:5]:
    print("-", cf.texte)'''),
    ]
    return new_notebook(cells=c, metadata=_meta())


def nb_audit() -> nbformat.NotebookNode:
    c = [
        new_markdown_cell("""# 03 — Audit par groupes

Le modèle de démonstration (`models/demo`, **entraîné sur données SYNTHÉTIQUES**) est audité sur des
dossiers synthétiques indépendants, par sexe, tranche d'âge et type de foyer (et, à titre
complémentaire, par nationalité) : couverture (part orientée sans examen individuel), accord avec les
référents sur les dossiers décidés, répartition des parcours. Le sexe et la nationalité ne sont jamais des
entrées du modèle ; les écarts viennent des réponses qui leur sont corrélées."""),
        new_code_cell(ENTETE),
        new_code_cell('''from orientation.modele import caracteristiques as car
from orientation.modele import modele as mod
from orientation.modele import synthetique as syn
from orientation.modele.classes import CLASSES

modele = mod.charger_modele("demo")  # modèle de démonstration (données SYNTHÉTIQUES), demandé par son nom
print(modele)
print(modele.description)
N = 5_000 if PETIT else 60_000
col = syn.generer_colonnes(N, graine=2024)
X = car.vectoriser_colonnes(col)
y = np.array([[p.value for p in CLASSES].index(v) for v in col["parcours_referent"]])
lot = modele.proposer_lot(X)
tranches = np.array([v for v, _ in car.GROUPES_PAR_NOM["tranche_age"].valeurs])
libelles_tranches = dict(car.GROUPES_PAR_NOM["tranche_age"].valeurs)
groupes = pd.DataFrame({
    "sexe": pd.Series(col["sexe"]).map({"1": "homme", "2": "femme"}).fillna("non renseigné"),
    "tranche d'âge": pd.Categorical(
        [libelles_tranches[t] for t in tranches[X[:, car.COLONNES_GROUPE["tranche_age"]].argmax(axis=1)]],
        categories=list(libelles_tranches.values()), ordered=True),
    "type de foyer": pd.Series(col["typefoyer"]).map({"ISO": "personne seule", "PAR": "parent isolé", "COU": "couple"}),
    "nationalité": pd.Series(col["nati"]).map({"F": "française", "C": "Union européenne", "A": "hors Union européenne"})
                   .fillna("non renseignée"),
})'''),
        new_code_cell('''def wilson(k, n, z=1.96):
    if n == 0:
        return (np.nan, np.nan)
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    d = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (c - d, c + d)

juste = lot.parcours == y
lignes = []
for variable in groupes.columns:
    for valeur, idx in groupes.groupby(variable, observed=True, sort=True).groups.items():
        i = np.asarray(idx)
        d = lot.decide[i]
        ligne = {"variable": variable, "groupe": valeur, "n": len(i),
                 "profils récurrents": lot.profil_recurrent[i].mean(), "couverture": d.mean(),
                 "accord sur décidés": juste[i][d].mean() if d.any() else np.nan,
                 "IC95 accord bas": wilson(juste[i][d].sum(), d.sum())[0],
                 "IC95 accord haut": wilson(juste[i][d].sum(), d.sum())[1],
                 "accord global": juste[i].mean()}
        for k, p in enumerate(CLASSES):
            ligne[f"référents : {p.value}"] = (y[i] == k).mean()
            ligne[f"décidés : {p.value}"] = (lot.parcours[i][d] == k).mean() if d.any() else np.nan
        lignes.append(ligne)
audit = pd.DataFrame(lignes)
audit'''),
        new_code_cell('''fig, axes = plt.subplots(2, 3, figsize=(16, 8))
for j, variable in enumerate(["sexe", "tranche d'âge", "type de foyer"]):
    a = audit[audit.variable == variable].set_index("groupe")
    a["couverture"].plot.bar(ax=axes[0, j], color="tab:blue", title=f"Couverture par {variable}")
    erreurs = np.vstack([a["accord sur décidés"] - a["IC95 accord bas"], a["IC95 accord haut"] - a["accord sur décidés"]])
    a["accord sur décidés"].plot.bar(ax=axes[1, j], yerr=erreurs, color="tab:green",
                                     title=f"Accord sur décidés par {variable}")
    axes[1, j].axhline(0.95, color="grey", ls="--", lw=1)
    axes[1, j].set_ylim(0.8, 1.0)
    for ax in axes[:, j]:
        ax.set_xlabel("")
        ax.tick_params(axis="x", rotation=30)
plt.tight_layout()
montrer(fig)'''),
        new_code_cell('''fig, axes = plt.subplots(1, 3, figsize=(16, 4))
colonnes_routes = [f"décidés : {p.value}" for p in CLASSES]
for ax, variable in zip(axes, ["sexe", "tranche d'âge", "type de foyer"]):
    a = audit[audit.variable == variable].set_index("groupe")[colonnes_routes]
    a.columns = [p.value for p in CLASSES]
    a.plot.barh(stacked=True, ax=ax, legend=ax is axes[0], title=f"Parcours des dossiers décidés par {variable}")
    ax.set_xlabel("part")
plt.tight_layout()
montrer(fig)'''),
        new_markdown_cell("## Écarts entre groupes"),
        new_code_cell('''ecarts = audit.groupby("variable").agg(
    couverture_min=("couverture", "min"), couverture_max=("couverture", "max"),
    accord_min=("accord sur décidés", "min"), accord_max=("accord sur décidés", "max"))
ecarts["rapport de couverture (min/max)"] = ecarts.couverture_min / ecarts.couverture_max
ecarts["écart d'accord (points)"] = 100 * (ecarts.accord_max - ecarts.accord_min)
ecarts'''),
        new_code_cell('''# Sex and nationality are not inputs: changing them never changes a proposal.
paires = syn.generer(100 if PETIT else 1000, graine=7)
identiques = all(modele.proposer(d) == modele.proposer(d.model_copy(update={"sexe": None, "nationalite": None}))
                 for d, _ in paires)
print("Propositions identiques sans sexe ni nationalité :", identiques)
for variable, ligne in ecarts.iterrows():
    print(f"{variable} : couverture de {pct(ligne.couverture_min)} à {pct(ligne.couverture_max)}, "
          f"accord sur décidés de {pct(ligne.accord_min)} à {pct(ligne.accord_max)}.")'''),
        new_markdown_cell("""Lecture : les écarts de couverture traduisent surtout la fréquence des profils récurrents et la
netteté des situations dans chaque groupe (par exemple les parents isolés avec un jeune enfant, plus souvent
orientés vers le social ou le socio-professionnel de façon moins tranchée). Ces chiffres portent sur des données
synthétiques : l'audit doit être refait sur les orientations réelles du département avant tout usage."""),
    ]
    return new_notebook(cells=c, metadata=_meta())


def _meta() -> dict:
    return {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}


NOTEBOOKS = {
    "01_exploration_donnees.ipynb": nb_exploration,
    "02_entrainement_comparaison.ipynb": nb_entrainement,
    "03_audit_groupes.ipynb": nb_audit,
}


def main() -> None:
    for nom, fabrique in NOTEBOOKS.items():
        nb = fabrique()
        for i, cellule in enumerate(nb.cells):  # stable ids: regenerating gives the same files
            cellule["id"] = f"{nom[:2]}-{i:02d}"
        nbformat.validate(nb)
        nbformat.write(nb, ICI / nom)
        print("écrit", ICI / nom)


if __name__ == "__main__":
    main()
