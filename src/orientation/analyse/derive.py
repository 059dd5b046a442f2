"""Drift of a flux against a model's training data (``orientation derive``, warning of ``orientation lot``).

The flux is read and checked like the bulk run (:mod:`orientation.analyse.lecture`); the valid
rows' features are compared with the compact training profile stored in the model's manifest
(:func:`orientation.modele.profil.derive`: population stability index per feature group, share
of dossiers whose profile was never seen at training, French verdict).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from orientation.analyse import lecture
from orientation.erreurs import ModeleInvalide
from orientation.modele import caracteristiques as car
from orientation.modele import profil as prof


def mesurer(flux: str | Path, modele: Any, encodage: str = "utf-8", departement: Optional[str] = None,
            blocs: Optional[int] = None) -> dict[str, Any]:
    """Drift of the valid rows of ``flux`` (``blocs``: only the first blocks) against ``modele``'s training profile."""
    if modele.profil_entrainement is None:
        raise ModeleInvalide(f"Le modèle « {modele.nom} » n'a pas de profil de ses données d'entraînement dans son "
                             "manifeste (modèle entraîné avec une version antérieure) : le réentraîner avec "
                             "« orientation entrainer » pour mesurer la dérive.")
    lu = lecture.lire(flux, (), encodage, blocs=blocs)
    v = lecture.valider(lu, departement)
    try:
        d = prof.derive(modele.profil_entrainement, v.X, modele)
    except ValueError as exc:
        raise ModeleInvalide(f"Modèle « {modele.nom} » : {exc}.") from None
    d.update({"lignes_lues": lu.nb_lignes, "lignes_rejetees": v.lignes_rejetees, "echantillon": blocs is not None,
              "modele": f"{modele.nom}@{modele.version}", "n_entrainement": modele.profil_entrainement.get("n")})
    return d


def texte(d: dict[str, Any], flux: str | Path, nombre: int = 10) -> str:
    """French report: verdict, then the groups with the largest index."""
    lignes = [f"Dérive du flux {flux} par rapport aux données d'entraînement du modèle {d['modele']} "
              f"({d['n']} dossier(s) valide(s) sur {d['lignes_lues']} ligne(s) lue(s) ; "
              f"{d['n_entrainement']} à l'entraînement).", d["verdict"],
              "Indice de stabilité de la population (PSI) par variable, du plus élevé au plus faible "
              "(repère usuel : moins de 0,1 stable, 0,1 à 0,25 modérée, plus de 0,25 importante) :"]
    finis = sorted(((k, v) for k, v in d["psi"].items() if np.isfinite(v)), key=lambda kv: -kv[1])
    for k, v in finis[:nombre]:
        lignes.append(f"  {car.GROUPES_PAR_NOM[k].libelle:<70} {v:6.3f}  ({d['niveaux'][k]})".replace(".", ","))
    if len(finis) > nombre:
        lignes.append(f"  … et {len(finis) - nombre} autre(s) variable(s) stable(s) ou moins dérivante(s).")
    return "\n".join(lignes)


def avertissement_lot(flux: str | Path, modele: Any, encodage: str = "utf-8") -> Optional[str]:
    """The warning ``orientation lot`` prints after its summary when drift is high (first block of the flux)."""
    if modele is None or getattr(modele, "profil_entrainement", None) is None:
        return None
    try:
        d = mesurer(flux, modele, encodage, blocs=1)
    except Exception:  # noqa: BLE001 - a warning must never turn a complete run into a failure
        return None
    if not prof.alerte(d):
        return None
    return (f"ATTENTION (dérive, mesurée sur les {d['n']} premiers dossiers valides) : {d['verdict']} "
            f"Détail : orientation derive {flux} --modele <modèle>.")


__all__ = ["avertissement_lot", "mesurer", "texte"]
