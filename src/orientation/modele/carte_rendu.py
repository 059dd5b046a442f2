"""The model card in French: self-contained HTML (``carte.html``) and Markdown (``carte.md``).

Both are written from the manifest alone (its ``carte`` figures, metrics, thresholds and
training information, :mod:`orientation.modele.carte`), so ``orientation modele carte DIR``
regenerates them without the training data.  The HTML has inline CSS and inline SVG plots
(matplotlib, Agg backend): no network, no script.  A comparison with another model
(:func:`comparaison`) adds a side-by-side section.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any, Optional

from orientation.francais import pourcent
from orientation.modele.carte import VARIABLES, caracteristiques_utilisees
from orientation.modele.classes import CLASSES, LIBELLES_TYPE

FICHIER_HTML = "carte.html"
FICHIER_MARKDOWN = "carte.md"
_LIBELLES_P = {p.value: p.libelle for p in CLASSES}
_LIBELLES_C = dict(_LIBELLES_P, examen_individuel="examen individuel (abstention)")


def _p(x: Any) -> str:
    return "—" if x is None or x != x else pourcent(float(x))


def _prop(d: Optional[dict[str, Any]]) -> str:
    """« 12,3 % [10,1 % ; 14,8 %] (k/n) »."""
    if not d or not d.get("n"):
        return "— (aucun dossier)"
    return f"{_p(d['valeur'])} [{_p(d['ic_bas'])} ; {_p(d['ic_haut'])}] ({d['k']}/{d['n']})"


def _seuil(v: Any) -> str:
    return "jamais" if v is None else _p(v)


# --------------------------------------------------------------------------- content (shared by both formats)


def sections(manifeste: dict[str, Any], comparer: Optional[dict[str, Any]] = None) -> list[tuple[str, list[Any]]]:
    """The card as (title, blocks); a block is a paragraph (str), a table (dict: entetes, lignes) or a plot (tuple)."""
    e = manifeste.get("entrainement") or {}
    c = manifeste.get("carte") or {}
    t = (manifeste.get("metriques") or {}).get("test") or {}
    info = c.get("informations") or {}
    synth = manifeste.get("donnees_synthetiques") is True
    out: list[tuple[str, list[Any]]] = []
    ident = [f"Modèle « {manifeste.get('nom')} » version {manifeste.get('version')} — "
             f"{LIBELLES_TYPE.get(str(manifeste.get('type_modele')), manifeste.get('type_modele'))}, créé le "
             f"{manifeste.get('date_creation')} ; empreinte SHA-256 {manifeste.get('sha256_modele')}.",
             str(manifeste.get("description", ""))]
    if synth:
        ident.insert(0, "ATTENTION : modèle entraîné sur des données SYNTHÉTIQUES (aucune personne réelle) : il montre "
                        "le fonctionnement, pas le comportement de vrais référents. Ne pas l'utiliser pour orienter de "
                        "vraies personnes.")
    out.append(("Identité", ident))
    periodes = e.get("periodes") or {}
    donnees = [
        f"Données {'SYNTHÉTIQUES' if synth else 'réelles'} : {e.get('n_dossiers')} dossiers étiquetés par le parcours "
        f"final choisi par les référents (source : {e.get('source_donnees')}, SHA-256 "
        f"{str(e.get('sha256_donnees'))[:16]}…), départements : {', '.join(e.get('departements') or []) or 'non renseignés'}.",
        f"Découpage {'par date de décision (entraînement sur les plus anciennes, test sur les plus récentes)' if e.get('decoupage') == 'date' else 'aléatoire stratifié'} : "
        f"entraînement {e.get('n_entrainement')}, validation {e.get('n_validation')} (calibration et seuils), test "
        f"{e.get('n_test')} (tous les chiffres de cette carte)."]
    if periodes:
        donnees.append("Périodes des décisions : " + " ; ".join(
            f"{k} du {v[0]} au {v[1]}" for k, v in periodes.items() if v) + ".")
    if info:
        donnees.append(f"Fichier : {info.get('lignes_lues')} ligne(s) lue(s), {info.get('lignes_rejetees')} rejetée(s) "
                       "par le contrat des données d'entraînement.")
        if info.get("colonnes_absentes_autorisees"):
            donnees.append("Colonnes absentes (autorisées) : " + ", ".join(info["colonnes_absentes_autorisees"])
                           + " : ces réponses valent « non renseigné » pour tous les dossiers.")
        if info.get("colonnes_inconnues"):
            donnees.append("Colonnes inconnues ignorées : " + ", ".join(info["colonnes_inconnues"]) + ".")
    out.append(("Données et période", donnees))
    out.append(("Variables utilisées", [
        "Le modèle ne lit que ces réponses. Le sexe et la nationalité ne sont JAMAIS des variables du modèle (ni "
        "l'identifiant, ni le département, ni la demande de rendez-vous) ; le sexe et le département ne servent "
        "qu'à auditer les résultats par groupe ci-dessous.",
        {"entetes": ["variable", "source", "colonne"],
         "lignes": [[v["libelle"], "DSP" if v["source"] == "dsp" else "dossier", v["colonne"]]
                    for v in caracteristiques_utilisees()]}]))
    seuils = manifeste.get("seuils") or {}
    pf = c.get("point_de_fonctionnement") or {}
    out.append(("Seuils, accord et couverture", [
        ("Seuils fixés à la main (--seuils) : " if e.get("seuils_manuels") else
         f"Seuils choisis sur la validation pour viser {_p(e.get('accord_cible'))} d'accord avec les référents : ")
        + ", ".join(f"{_LIBELLES_P[k]} {_seuil(v)}" for k, v in seuils.items()) + f". Un dossier n'est décidé que "
        f"si son profil est récurrent (au moins {manifeste.get('seuil_recurrence')} dossiers comparables à "
        "l'entraînement) et si la probabilité du parcours atteint son seuil ; sinon examen individuel.",
        f"Sur le test : couverture du modèle seul {_p(pf.get('couverture'))}, accord sur les dossiers décidés "
        f"{_p(pf.get('accord'))}. La couverture du modèle n'est pas la part de dossiers orientés directement : les "
        "règles envoient d'abord en rendez-vous une partie des dossiers (primo-demandeurs, fragilités…) ; "
        "« orientation audit » mesure la chaîne complète.",
        ("courbe", c)]))
    cal = t.get("calibration") or {}
    out.append(("Calibration", [
        f"Erreur de calibration de la confiance (ECE) : {_d(cal.get('ece_confiance_avant'))} avant, "
        f"{_d(cal.get('ece_confiance_apres'))} après calibration. Un modèle bien calibré annonce 80 % quand il a "
        "raison 8 fois sur 10.", ("calibration", c)]))
    conf = c.get("confusion") or {}
    graves = c.get("erreurs_graves") or {}
    out.append(("Matrice de confusion et erreurs graves", [
        "Lignes : parcours choisi par le référent ; colonnes : ce que le modèle a fait seul (orientation directe "
        "proposée vers un parcours, ou abstention : examen individuel).",
        {"entetes": ["référent \\ modèle"] + [_LIBELLES_C[k] for k in conf.get("colonnes", [])],
         "lignes": [[_LIBELLES_P[l]] + [str(x) for x in ligne]
                    for l, ligne in zip(conf.get("lignes", []), conf.get("effectifs", []))]},
        *[f"Erreur grave : {g['nombre']} {g['libelle']} (sur {g['parmi']} au test)." for g in graves.values()]]))
    par_p = c.get("par_parcours") or {}
    from orientation.modele.entrainement import commentaires_parcours

    out.append(("Par parcours du référent", [
        {"entetes": ["parcours", "n", "couverture [IC 95 %]", "accord sur décidés [IC 95 %]"],
         "lignes": [[_LIBELLES_P[k], str(v["n"]), _prop(v["couverture"]), _prop(v["accord_decides"])]
                    for k, v in par_p.items()]},
        *[f"{_LIBELLES_P[k]} : {x}" for k in par_p for x in _commentaires(manifeste, k, commentaires_parcours)]]))
    groupes = []
    for var, bloc in (c.get("par_groupe") or {}).items():
        groupes.append({"titre": f"Par {bloc['libelle']}", "entetes": [
            bloc["libelle"], "n", "couverture [IC 95 %]", "accord sur décidés [IC 95 %]"]
            + [f"part {_LIBELLES_P[p.value]} parmi décidés" for p in CLASSES],
            "lignes": [[g["groupe"], str(g["n"]), _prop(g["couverture"]), _prop(g["accord_decides"])]
                       + [_prop(g["parts_decides"][p.value]) for p in CLASSES] for g in bloc["groupes"]]})
        if bloc.get("rapport_couverture") is not None:
            groupes.append(f"{bloc['libelle']} : rapport de couverture entre le groupe le moins couvert et le plus "
                           f"couvert (groupes d'au moins 30 dossiers) : {_d(bloc['rapport_couverture'], 2)}.")
    out.append(("Par groupe (intervalles de confiance à 95 %, Wilson)", [
        "Pour chaque groupe : couverture (part décidée sans examen), accord avec les référents sur les dossiers "
        "décidés, et part de chaque parcours parmi les décidés. Un intervalle large signale un groupe trop petit "
        "pour conclure.", *groupes, ("groupes", c)]))
    corr = info.get("corrections")
    if corr:
        lignes = [["ensemble", "", str(corr["ensemble"]["n"]), _taux(corr["ensemble"])]]
        for axe in ("regle_decisive", "ligne_grille", "version_modele", "modalite_recommandee"):
            for v, d in (corr.get(axe) or {}).items():
                lignes.append([axe, v, str(d["n"]), _taux(d)])
        out.append(("Corrections des référents", [
            "Part des recommandations de l'outil que le référent a changées (parcours final différent du parcours "
            "recommandé), par règle, ligne de grille, version du modèle et modalité.",
            {"entetes": ["axe", "valeur", "recommandations", "corrigées [IC 95 %]"], "lignes": lignes}]))
    if comparer:
        out.append(("Comparaison", _comparaison(manifeste, comparer)))
    out.append(("Limites", _limites(manifeste)))
    return out


def _d(x: Any, decimales: int = 4) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "—"
    return "—" if f != f else f"{f:.{decimales}f}".replace(".", ",")


def _taux(d: dict[str, Any]) -> str:
    if not d.get("n"):
        return "—"
    return f"{_p(d['taux'])} [{_p(d['ic_bas'])} ; {_p(d['ic_haut'])}] ({d['corriges']}/{d['n']})"


def _commentaires(manifeste: dict[str, Any], parcours: str, fonction: Any) -> list[str]:
    seuils = [float("inf") if (manifeste.get("seuils") or {}).get(p.value) is None else manifeste["seuils"][p.value]
              for p in CLASSES]
    return fonction((manifeste.get("metriques") or {}).get("test") or {}, seuils, parcours)


def _limites(manifeste: dict[str, Any]) -> list[str]:
    e = manifeste.get("entrainement") or {}
    out = []
    if manifeste.get("donnees_synthetiques"):
        out.append("Données synthétiques : les chiffres décrivent le générateur de données, pas un département.")
    out += [
        "Le modèle apprend les décisions passées des référents, avec leurs désaccords et leurs habitudes : il ne dit "
        "pas quel parcours est le meilleur pour une personne, seulement lequel un référent aurait probablement choisi.",
        "Les chiffres portent sur le jeu de test de l'entraînement"
        + (" (les décisions les plus récentes)" if e.get("decoupage") == "date" else " (tiré au hasard parmi les "
           "mêmes années que l'entraînement : il ne mesure pas l'effet du temps ; préférer --decoupage date)")
        + " ; une population différente (dérive : « orientation derive ») change ces résultats.",
        "Les petits groupes ont des intervalles larges : un écart entre groupes n'est établi que si les intervalles "
        "ne se recouvrent pas. Le sexe et la nationalité ne sont pas des variables, mais des réponses qui leur sont "
        "corrélées peuvent produire des écarts : ils se lisent dans les tableaux par groupe.",
        "Un modèle ne propose qu'une orientation directe ; la décision reste celle du président du conseil "
        "départemental, et toute personne peut demander un rendez-vous.",
    ]
    return out


def comparaison(m_a: Any, m_b: Any, X: Any = None, y: Any = None, groupes: Any = None,
                source: str = "") -> dict[str, Any]:
    """Figures of two models side by side: on the same data ``X``, ``y`` when given, else each from its manifest."""
    from orientation.modele.carte import figures

    if X is not None:
        return {"meme_donnees": True, "source": source, "n": int(len(y)),
                "modeles": [_resume_comparaison(m, m.evaluer(X, y), figures(m, X, y, groupes)) for m in (m_a, m_b)]}
    return {"meme_donnees": False, "source": "", "n": None,
            "modeles": [_resume_comparaison(m, (m.metriques or {}).get("test") or {}, m.carte or {})
                        for m in (m_a, m_b)]}


def _resume_comparaison(m: Any, t: dict[str, Any], c: dict[str, Any]) -> dict[str, Any]:
    graves = c.get("erreurs_graves") or {}
    return {"nom": m.nom, "version": m.version, "sha256": m.sha256, "synthetique": m.donnees_synthetiques,
            "seuils": {p.value: (None if m.seuils[k] == float("inf") else float(m.seuils[k]))
                       for k, p in enumerate(CLASSES)},
            "n": t.get("n"), "couverture": t.get("couverture"), "accord_decides": t.get("accord_decides"),
            "accord_global": t.get("accord_global"),
            "erreurs_graves": {k: g["nombre"] for k, g in graves.items()},
            "ece_apres": (t.get("calibration") or {}).get("ece_confiance_apres"),
            "couverture_par_groupe": {var: {g["groupe"]: g["couverture"]["valeur"] for g in bloc["groupes"]}
                                      for var, bloc in (c.get("par_groupe") or {}).items()}}


def _comparaison(manifeste: dict[str, Any], comp: dict[str, Any]) -> list[Any]:
    a, b = comp["modeles"]
    tete = (f"Les deux modèles sont évalués sur les MÊMES données ({comp['n']} dossiers : {comp['source']})."
            if comp["meme_donnees"] else
            "ATTENTION : sans --donnees, chaque modèle est décrit par son propre jeu de test : les chiffres ne sont "
            "pas comparables au sens strict (autres dossiers, autre période). Donner --donnees pour les comparer sur "
            "les mêmes dossiers.")
    lignes = [["nom", f"{a['nom']} {a['version']}", f"{b['nom']} {b['version']}"],
              ["données synthétiques", "oui" if a["synthetique"] else "non", "oui" if b["synthetique"] else "non"],
              ["dossiers évalués", str(a["n"]), str(b["n"])],
              ["couverture", _p(a["couverture"]), _p(b["couverture"])],
              ["accord sur décidés", _p(a["accord_decides"]), _p(b["accord_decides"])],
              ["accord global", _p(a["accord_global"]), _p(b["accord_global"])],
              ["ECE après calibration", _d(a["ece_apres"]), _d(b["ece_apres"])]]
    for p in CLASSES:
        lignes.append([f"seuil {_LIBELLES_P[p.value]}", _seuil(a["seuils"][p.value]), _seuil(b["seuils"][p.value])])
    for k in a["erreurs_graves"]:
        lignes.append([f"erreurs graves : {k.replace('_', ' ')}", str(a["erreurs_graves"][k]),
                       str(b["erreurs_graves"].get(k, "—"))])
    for var, valeurs in a["couverture_par_groupe"].items():
        for g, v in valeurs.items():
            lignes.append([f"couverture {VARIABLES.get(var, var)} = {g}", _p(v),
                           _p(b["couverture_par_groupe"].get(var, {}).get(g))])
    return [tete, {"entetes": ["", "ce modèle", "modèle comparé"], "lignes": lignes}]


# --------------------------------------------------------------------------- plots (inline SVG)


def _svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    tampon = io.StringIO()
    fig.savefig(tampon, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    texte = tampon.getvalue()
    texte = re.sub(r"<metadata>.*?</metadata>", "", texte, flags=re.S)  # RDF block: namespaces only, no content
    return texte[texte.index("<svg"):]


def _figure(nature: str, c: dict[str, Any]) -> Optional[str]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "carte"  # same card => same bytes
    if nature == "courbe" and c.get("courbe"):
        fig, ax = plt.subplots(figsize=(6, 4))
        pts = [p for p in c["courbe"] if p["accord"] is not None and p["accord"] == p["accord"]]
        ax.plot([p["couverture"] for p in pts], [p["accord"] for p in pts], label="un seuil pour tous les parcours")
        pf = c.get("point_de_fonctionnement") or {}
        if pf.get("accord") is not None:
            ax.scatter([pf["couverture"]], [pf["accord"]], color="tab:red", zorder=3, label="seuils retenus")
        ax.set(xlabel="couverture (part décidée par le modèle)", ylabel="accord sur les décidés",
               title="Accord et couverture (test)")
        ax.legend()
        return _svg(fig)
    if nature == "calibration" and c.get("calibration"):
        fig, ax = plt.subplots(figsize=(5, 4))
        for etape, lib in (("avant", "avant calibration"), ("apres", "après calibration")):
            pts = c["calibration"].get(etape) or []
            ax.plot([p["confiance"] for p in pts], [p["justes"] for p in pts], marker="o", label=lib)
        ax.plot([0, 1], [0, 1], color="grey", ls=":")
        ax.set(xlabel="confiance annoncée", ylabel="part de propositions justes", title="Fiabilité (test)")
        ax.legend()
        return _svg(fig)
    if nature == "groupes" and c.get("par_groupe"):
        blocs = list(c["par_groupe"].values())
        fig, axes = plt.subplots(1, len(blocs), figsize=(4 * len(blocs), 3.5), squeeze=False)
        for ax, bloc in zip(axes[0], blocs):
            gs = [g for g in bloc["groupes"] if g["n"]]
            v = [g["couverture"]["valeur"] or 0 for g in gs]
            err = [[max(0, x - (g["couverture"]["ic_bas"] or 0)) for x, g in zip(v, gs)],
                   [max(0, (g["couverture"]["ic_haut"] or 0) - x) for x, g in zip(v, gs)]]
            ax.bar(range(len(gs)), v, yerr=err, color="tab:blue", capsize=3)
            ax.set_xticks(range(len(gs)), [g["groupe"] for g in gs], rotation=40, ha="right", fontsize=8)
            ax.set_title(f"Couverture par {bloc['libelle']}", fontsize=9)
        fig.tight_layout()
        return _svg(fig)
    return None


# --------------------------------------------------------------------------- renderings


_CSS = """body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f2f2f2}.alerte{background:#fff3cd;border:1px solid #e0b000;padding:.6em}svg{max-width:100%;height:auto}"""


def rendre_html(manifeste: dict[str, Any], comparer: Optional[dict[str, Any]] = None) -> str:
    """Self-contained HTML card (inline CSS and SVG, no script, no external resource)."""
    def e(texte: str) -> str:
        return html.escape(texte, quote=False)

    corps = [f"<h1>Carte du modèle « {e(str(manifeste.get('nom')))} »</h1>"]
    for titre, blocs in sections(manifeste, comparer):
        corps.append(f"<h2>{e(titre)}</h2>")
        for b in blocs:
            if isinstance(b, str):
                classe = ' class="alerte"' if b.startswith(("ATTENTION", "Erreur grave")) else ""
                corps.append(f"<p{classe}>{e(b)}</p>")
            elif isinstance(b, tuple):
                svg = _figure(b[0], b[1])
                if svg:
                    corps.append(f"<figure>{svg}</figure>")
            else:
                if b.get("titre"):
                    corps.append(f"<h3>{e(b['titre'])}</h3>")
                corps.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in b["entetes"])
                             + "</tr></thead><tbody>" + "".join(
                                 "<tr>" + "".join(f"<td>{e(x)}</td>" for x in ligne) + "</tr>" for ligne in b["lignes"])
                             + "</tbody></table>")
    return ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Carte du modèle "
            f"{e(str(manifeste.get('nom')))}</title><style>{_CSS}</style></head><body>\n" + "\n".join(corps)
            + "\n</body></html>\n")


def rendre_markdown(manifeste: dict[str, Any], comparer: Optional[dict[str, Any]] = None) -> str:
    """Markdown card (the same text and tables; the plots are in the HTML card)."""
    def cellule(x: Any) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lignes = [f"# Carte du modèle « {manifeste.get('nom')} »", ""]
    for titre, blocs in sections(manifeste, comparer):
        lignes += [f"## {titre}", ""]
        for b in blocs:
            if isinstance(b, str):
                lignes += [f"**{b}**" if b.startswith(("ATTENTION", "Erreur grave")) else b, ""]
            elif isinstance(b, tuple):
                lignes += [f"_(graphique « {b[0]} » : voir {FICHIER_HTML})_", ""]
            else:
                if b.get("titre"):
                    lignes += [f"### {b['titre']}", ""]
                lignes.append("| " + " | ".join(cellule(h) for h in b["entetes"]) + " |")
                lignes.append("|" + "---|" * len(b["entetes"]))
                lignes += ["| " + " | ".join(cellule(x) for x in ligne) + " |" for ligne in b["lignes"]]
                lignes.append("")
    return "\n".join(lignes)


def ecrire_carte(dossier: str | Path, manifeste: dict[str, Any],
                 comparer: Optional[dict[str, Any]] = None) -> tuple[Path, Path]:
    """Write ``carte.html`` and ``carte.md`` into the model directory ``dossier``."""
    dossier = Path(dossier)
    h, m = dossier / FICHIER_HTML, dossier / FICHIER_MARKDOWN
    h.write_text(rendre_html(manifeste, comparer), encoding="utf-8")
    m.write_text(rendre_markdown(manifeste, comparer), encoding="utf-8")
    return h, m


__all__ = ["FICHIER_HTML", "FICHIER_MARKDOWN", "comparaison", "ecrire_carte", "rendre_html", "rendre_markdown",
           "sections"]
