"""Figures of a model card, computed on the held-out test split when the model is trained.

:func:`figures` returns a JSON-able dict stored in the manifest (``carte``), from which
:mod:`orientation.modele.carte_rendu` writes ``carte.html`` and ``carte.md``:

* ``confusion``: referent's route (rows) × what the model did (decided professionnel,
  socio_professionnel, social, or abstained: examen individuel);
* ``erreurs_graves``: the harmful errors named and counted: a person whose referent chose the
  social (or socio-professional) route, oriented directly to France Travail (professionnel)
  by the model without review;
* ``courbe``: agreement on decided cases and coverage for a single threshold, and the chosen
  operating point (per-route thresholds);
* ``calibration``: reliability bins of the top confidence, before and after calibration;
* ``par_groupe``: per group of sex, age band, household type and département: size, coverage,
  agreement on decided cases and share of each decided route, each with its 95 % Wilson
  interval (scipy); group figures are computed with fairlearn's ``MetricFrame``;
* ``par_parcours``: per referent route: size, coverage and agreement, with intervals.

Sex and département are read from the data to *audit* the model; they are never features
(:data:`caracteristiques.ATTRIBUTS_PROTEGES`, :data:`caracteristiques.EXCLUS`).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES
from orientation.modele.metriques import courbe_accord_couverture, intervalle_wilson

#: Audit variables of the card, in display order, with their French names.
VARIABLES = {"sexe": "sexe", "tranche_age": "tranche d'âge", "type_foyer": "type de foyer",
             "departement": "département"}
LIBELLES_SEXE = {"1": "homme", "2": "femme"}
#: What the confusion matrix's columns are.
COLONNES_CONFUSION = [p.value for p in CLASSES] + ["examen_individuel"]
NON_RENSEIGNE = "non renseigné"


def groupes_audit(X: np.ndarray, sexe: Optional[Any] = None, departement: Optional[Any] = None) -> dict[str, np.ndarray]:
    """Audit variables of each row: sex and département from the data, age band and household from features."""
    n = len(X)

    def valeurs(groupe: str) -> np.ndarray:
        g = car.GROUPES_PAR_NOM[groupe]
        libelles = np.array([lib for _, lib in g.valeurs], dtype=object)
        return libelles[X[:, car.COLONNES_GROUPE[groupe]].argmax(axis=1)] if n else np.zeros(0, dtype=object)

    def texte(col: Any, table: Optional[dict[str, str]] = None) -> np.ndarray:
        if col is None:
            return np.full(n, NON_RENSEIGNE, dtype=object)
        out = []
        for v in list(col):
            v = "" if v is None else str(v).strip()
            out.append((table or {}).get(v, v) if v else NON_RENSEIGNE)
        return np.array(out, dtype=object)

    return {"sexe": texte(sexe, LIBELLES_SEXE), "tranche_age": valeurs("tranche_age"),
            "type_foyer": valeurs("composition"), "departement": texte(departement)}


def groupes_cellules(sexe: Any, dtnai: Any, dtdemrsa: Any, typefoyer: Any, departement: Any) -> dict[str, np.ndarray]:
    """The same audit variables from CNAF cells of valid dossiers (age band at the application date)."""
    def dates(col: Any) -> np.ndarray:
        return np.array([np.datetime64(v) if v else np.datetime64("NaT") for v in col], dtype="datetime64[D]")

    nai, dem = dates(dtnai), dates(dtdemrsa)
    a1, a2 = nai.astype("datetime64[Y]").astype(int), dem.astype("datetime64[Y]").astype(int)

    def mois_jour(d: np.ndarray) -> np.ndarray:  # month * 100 + day, to compare birthdays
        return (d.astype("datetime64[M]").astype(int) % 12) * 100 + (d - d.astype("datetime64[M]")).astype(int)

    age = a2 - a1 - (mois_jour(dem) < mois_jour(nai))
    libelles = np.array([lib for _, lib in car.GROUPES_PAR_NOM["tranche_age"].valeurs], dtype=object)
    tranche = libelles[np.searchsorted(car._BORNES_AGE, age, side="right")] if len(age) else libelles[:0]
    foyers = {"ISO": "personne_seule", "PAR": "parent_isole", "COU": "couple"}
    libelles_foyer = dict(car.GROUPES_PAR_NOM["composition"].valeurs)
    foyer = np.array([libelles_foyer.get(foyers.get(str(v), ""), NON_RENSEIGNE) for v in typefoyer], dtype=object)
    base = groupes_audit(np.zeros((len(age), len(car.SCHEMA))), sexe, departement)
    base["tranche_age"], base["type_foyer"] = tranche, foyer
    return base


def ordonner(variable: str, groupes: list[Any], cle: Any = lambda g: g) -> list[Any]:
    """Groups in a readable order: age bands and households in schema order, « non renseigné » last."""
    ordre: list[str] = []
    if variable in ("tranche_age", "type_foyer"):
        ordre = [lib for _, lib in car.GROUPES_PAR_NOM["tranche_age" if variable == "tranche_age"
                                                       else "composition"].valeurs]
    rang = {v: i for i, v in enumerate(ordre)}
    return sorted(groupes, key=lambda g: (cle(g) == NON_RENSEIGNE, rang.get(cle(g), len(rang)), str(cle(g))))


def _proportion(k: int, n: int) -> dict[str, Any]:
    bas, haut = intervalle_wilson(k, n)
    return {"k": int(k), "n": int(n), "valeur": (k / n) if n else None,
            "ic_bas": None if n == 0 else bas, "ic_haut": None if n == 0 else haut}


def par_groupe(y: np.ndarray, decision: np.ndarray, groupes: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per-group figures with fairlearn's MetricFrame; ``decision``: decided route index, or -1 (abstention)."""
    import pandas as pd
    from fairlearn.metrics import MetricFrame

    def compte(cond: Any) -> Any:
        return lambda yt, yp: int(np.sum(cond(np.asarray(yt), np.asarray(yp))))

    metriques = {"n": compte(lambda yt, yp: np.ones(len(yt), dtype=bool)),
                 "decides": compte(lambda yt, yp: yp >= 0),
                 "accords": compte(lambda yt, yp: (yp >= 0) & (yp == yt))}
    for k, p in enumerate(CLASSES):
        metriques[f"propose_{p.value}"] = compte(lambda yt, yp, k=k: yp == k)
        metriques[f"referent_{p.value}"] = compte(lambda yt, yp, k=k: yt == k)
    out: dict[str, Any] = {}
    for variable, valeurs in groupes.items():
        if len(y) == 0:
            continue
        mf = MetricFrame(metrics=metriques, y_true=y, y_pred=decision,
                         sensitive_features=pd.Series(valeurs, name=variable))
        lignes = []
        for valeur, r in mf.by_group.iterrows():
            n, dec, acc = int(r["n"]), int(r["decides"]), int(r["accords"])
            lignes.append({
                "groupe": str(valeur), "n": n, "couverture": _proportion(dec, n),
                "accord_decides": _proportion(acc, dec),
                "parts_decides": {p.value: _proportion(int(r[f"propose_{p.value}"]), dec) for p in CLASSES},
                "parts_referents": {p.value: _proportion(int(r[f"referent_{p.value}"]), n) for p in CLASSES}})
        lignes = ordonner(variable, lignes, lambda g: g["groupe"])
        couv = [l["couverture"]["valeur"] for l in lignes if l["n"] >= 30 and l["couverture"]["valeur"] is not None]
        out[variable] = {"libelle": VARIABLES.get(variable, variable), "groupes": lignes,
                         "rapport_couverture": (min(couv) / max(couv)) if couv and max(couv) > 0 else None}
    return out


def figures(modele: Any, X: np.ndarray, y: np.ndarray, groupes: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every figure of the card on the test split ``X``, ``y`` (``groupes``: :func:`groupes_audit`)."""
    from sklearn.metrics import confusion_matrix

    lot = modele._lot_matrice(X)
    decision = np.where(lot.decide, lot.parcours, -1)
    conf = confusion_matrix(y, decision, labels=[0, 1, 2, -1])[:3].tolist()
    social, socio, pro = (CLASSES.index(p) for p in (CLASSES[2], CLASSES[1], CLASSES[0]))
    graves = {
        "social_vers_professionnel": {
            "libelle": "personnes au parcours social selon le référent, orientées directement vers France Travail "
                       "(parcours professionnel) sans examen",
            "nombre": int(conf[social][pro]), "parmi": int(sum(conf[social]))},
        "socio_professionnel_vers_professionnel": {
            "libelle": "personnes au parcours socio-professionnel selon le référent, orientées directement vers "
                       "France Travail (parcours professionnel) sans examen",
            "nombre": int(conf[socio][pro]), "parmi": int(sum(conf[socio]))},
    }
    courbe = courbe_accord_couverture(lot.probabilites, y, lot.profil_recurrent)
    ok = lot.parcours == y
    calibration = {}
    for etape, P in (("avant", modele.probabilites_brutes(X)), ("apres", lot.probabilites)):
        c = P.max(axis=1)
        juste = P.argmax(axis=1) == y
        b = np.minimum((c * 10).astype(int), 9)
        calibration[etape] = [{"confiance": float(c[b == i].mean()), "justes": float(juste[b == i].mean()),
                               "n": int((b == i).sum())} for i in range(10) if (b == i).any()]
    par_parcours = {}
    for k, p in enumerate(CLASSES):
        m = y == k
        par_parcours[p.value] = {"n": int(m.sum()), "couverture": _proportion(int(lot.decide[m].sum()), int(m.sum())),
                                 "accord_decides": _proportion(int((ok & lot.decide)[m].sum()),
                                                               int(lot.decide[m].sum()))}
    return {"n_test": int(len(y)), "confusion": {"lignes": [p.value for p in CLASSES],
                                                 "colonnes": COLONNES_CONFUSION, "effectifs": conf},
            "erreurs_graves": graves, "courbe": courbe,
            "point_de_fonctionnement": {"couverture": float(lot.decide.mean()) if len(y) else 0.0,
                                        "accord": float(ok[lot.decide].mean()) if lot.decide.any() else None},
            "calibration": calibration, "par_parcours": par_parcours,
            "par_groupe": par_groupe(y, decision, groupes)}


def caracteristiques_utilisees() -> list[dict[str, str]]:
    """Feature groups of the model (name, French label, source, CNAF column): never sex nor nationality."""
    return [{"groupe": g.nom, "libelle": g.libelle, "source": g.source, "colonne": g.cle_cnaf} for g in car.GROUPES]


__all__ = ["VARIABLES", "caracteristiques_utilisees", "figures", "groupes_audit", "groupes_cellules", "ordonner",
           "par_groupe"]
