"""Compact profile of a model's training data, and the drift of new dossiers against it.

:func:`profil_donnees` counts, for every feature group (:data:`caracteristiques.GROUPES`), how
many training dossiers have each value (a multi-valued group counts each code mentioned).  It is
stored in the model's manifest (``profil_entrainement``: a few kilobytes of counts, no row).

:func:`derive` compares the feature matrix of new dossiers with it:

* a population stability index (PSI, :func:`~orientation.modele.metriques.indice_stabilite`) per
  feature group, on the group's values as bins;
* the share of dossiers whose coarse profile (:func:`caracteristiques.profils`) was never seen in
  the training split, beside the same share on the model's own test split (the baseline);
* a French verdict.  Thresholds (:data:`SEUILS_PSI`) are the usual rule of thumb for the PSI
  (below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 large), not a statistical test; unseen
  profiles are « en hausse » when their share exceeds the baseline by more than
  :data:`ECART_PROFILS_INCONNUS` points.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from orientation.francais import pourcent
from orientation.modele import caracteristiques as car
from orientation.modele.metriques import indice_stabilite

#: PSI thresholds: (stable below, moderate up to); above: large.
SEUILS_PSI = (0.1, 0.25)
#: Unseen profiles: alert when their share exceeds the test split's by more than this (absolute).
ECART_PROFILS_INCONNUS = 0.05
VERSION_PROFIL = "profil-1"


def comptes_groupes(X: np.ndarray) -> dict[str, list[int]]:
    """Count of each value of each feature group (multi-valued groups: mentions of each code)."""
    sommes = X.sum(axis=0) if len(X) else np.zeros(len(car.SCHEMA))
    return {g.nom: [int(round(v)) for v in sommes[car.COLONNES_GROUPE[g.nom]]] for g in car.GROUPES}


def profil_donnees(X: np.ndarray, part_profils_inconnus_test: Optional[float] = None) -> dict[str, Any]:
    """The compact training profile stored in a manifest."""
    return {"version": VERSION_PROFIL, "schema": car.empreinte_schema(), "n": int(len(X)),
            "groupes": comptes_groupes(X), "part_profils_inconnus_test": part_profils_inconnus_test}


def niveau_psi(psi: float) -> str:
    """« stable », « modérée » or « importante » (rule of thumb, :data:`SEUILS_PSI`)."""
    if not np.isfinite(psi) or psi < SEUILS_PSI[0]:
        return "stable"
    return "modérée" if psi <= SEUILS_PSI[1] else "importante"


def derive(profil: dict[str, Any], X: np.ndarray, modele: Any = None) -> dict[str, Any]:
    """Drift of the dossiers ``X`` against a training profile (and the model's recurrent profiles).

    Returns ``{"n", "psi": {group: psi}, "niveaux": {group: level}, "psi_max", "groupe_max",
    "part_profils_inconnus", "part_profils_inconnus_test", "niveau", "verdict"}``.
    """
    if not isinstance(profil, dict) or profil.get("schema") != car.empreinte_schema():
        raise ValueError("profil d'entraînement absent ou d'un autre schéma de caractéristiques : réentraîner "
                         "le modèle avec cette version (orientation entrainer)")
    observes = comptes_groupes(X)
    psi = {g.nom: indice_stabilite(profil["groupes"][g.nom], observes[g.nom]) for g in car.GROUPES
           if g.nom in profil["groupes"]}
    finis = {k: v for k, v in psi.items() if np.isfinite(v)}
    groupe_max = max(finis, key=finis.get) if finis else None
    psi_max = finis[groupe_max] if groupe_max else float("nan")
    inconnus = None
    if modele is not None and len(X):
        inconnus = float((modele.effectifs(car.profils(X)) == 0).mean())
    base = profil.get("part_profils_inconnus_test")
    niveau = niveau_psi(psi_max)
    hausse = inconnus is not None and base is not None and inconnus > base + ECART_PROFILS_INCONNUS
    out = {"n": int(len(X)), "psi": psi, "niveaux": {k: niveau_psi(v) for k, v in psi.items()},
           "psi_max": psi_max, "groupe_max": groupe_max, "part_profils_inconnus": inconnus,
           "part_profils_inconnus_test": base, "profils_inconnus_en_hausse": hausse, "niveau": niveau}
    out["verdict"] = verdict(out)
    return out


def verdict(d: dict[str, Any]) -> str:
    """French verdict of a :func:`derive` result."""
    if d["n"] == 0:
        return "Aucun dossier valide : dérive non mesurée."
    libelle = car.GROUPES_PAR_NOM[d["groupe_max"]].libelle if d.get("groupe_max") else "—"
    psi = f"{d['psi_max']:.3f}".replace(".", ",") if np.isfinite(d["psi_max"]) else "—"
    phrases = {
        "stable": f"Population stable par rapport aux données d'entraînement (indice de stabilité maximal {psi}, "
                  f"« {libelle} » ; seuil usuel 0,1).",
        "modérée": f"Dérive modérée : « {libelle} » a un indice de stabilité de {psi} (entre 0,1 et 0,25) ; "
                   "surveiller les résultats du modèle sur ce flux.",
        "importante": f"Dérive importante : « {libelle} » a un indice de stabilité de {psi} (au-delà de 0,25) ; "
                      "les données de ce flux ne ressemblent plus à celles de l'entraînement : vérifier le flux, "
                      "auditer la chaîne (orientation audit) et envisager de réentraîner le modèle.",
    }
    texte = phrases[d["niveau"]]
    if d.get("part_profils_inconnus") is not None:
        base = d.get("part_profils_inconnus_test")
        texte += (f" Profils jamais vus à l'entraînement : {pourcent(d['part_profils_inconnus'])} des dossiers"
                  + (f" (contre {pourcent(base)} sur le jeu de test du modèle)" if base is not None else "") + ".")
        if d.get("profils_inconnus_en_hausse"):
            texte += " Cette part est nettement plus élevée qu'à l'entraînement : le modèle s'abstiendra plus souvent."
    return texte


def alerte(d: dict[str, Any]) -> bool:
    """Whether a drift result deserves a warning (large PSI or unseen profiles clearly up)."""
    return d["niveau"] == "importante" or bool(d.get("profils_inconnus_en_hausse"))


__all__ = ["ECART_PROFILS_INCONNUS", "SEUILS_PSI", "alerte", "comptes_groupes", "derive", "niveau_psi",
           "profil_donnees", "verdict"]
