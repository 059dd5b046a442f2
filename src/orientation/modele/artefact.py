"""Artifact of an orientation model: ``models/<nom>/modele.joblib`` + ``manifeste.json``.

:func:`ecrire` writes both files; the manifest records the SHA-256 of ``modele.joblib``, the
feature schema, thresholds, training information, held-out metrics and library versions.
:func:`lire` refuses (:class:`~orientation.erreurs.ModeleInvalide`) a missing manifest, a
feature schema different from the library's, and a ``modele.joblib`` whose SHA-256 differs
from the manifest — checked BEFORE anything is unpickled.  The model class
(:class:`~orientation.modele.modele.ModeleOrientation`) exposes them as its ``enregistrer`` and
``charger`` methods.

The configured model directory is ``$ORIENTATION_MODELE`` (a path, or the name of a bundled
model such as ``demo``); without it no model is configured (:func:`repertoire_modele_defaut`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from orientation.donnees import chemin_modele
from orientation.erreurs import ModeleInvalide
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES, LIBELLES_TYPE

FORMAT_ARTEFACT = 1
FICHIER_MODELE = "modele.joblib"
FICHIER_MANIFESTE = "manifeste.json"
VARIABLE_ENV_MODELE = "ORIENTATION_MODELE"


def _contenu(modele: Any) -> dict[str, Any]:
    """What ``modele.joblib`` holds (a plain dict: only the estimators are pickled objects)."""
    return {"format": FORMAT_ARTEFACT, "pipeline": modele.pipeline, "base": modele.base,
            "type_modele": modele.type_modele, "seuils": modele.seuils.tolist(),
            "seuil_recurrence": modele.seuil_recurrence,
            "profils_cles": modele.profils_cles, "profils_effectifs": modele.profils_effectifs,
            "reference": modele.reference, "motifs_reference": modele.motifs_reference,
            "empreinte_schema": modele.empreinte_schema, "caracteristiques": list(car.NOMS),
            "classes": [p.value for p in CLASSES], "entrainement": modele.entrainement}


def ecrire(modele: Any, dossier: str | Path) -> tuple[Path, dict[str, Any]]:
    """Write ``modele.joblib`` and ``manifeste.json`` of ``modele`` into ``dossier``.

    Returns the manifest path and the manifest (``sha256_modele``: SHA-256 of ``modele.joblib``).
    """
    import joblib

    dossier = Path(dossier)
    dossier.mkdir(parents=True, exist_ok=True)
    chemin = dossier / FICHIER_MODELE
    joblib.dump(_contenu(modele), chemin, compress=3)
    sha256 = _sha256_fichier(chemin)
    manifeste = {
        "nom": modele.nom,
        "version": modele.version,
        "description": modele.description,
        "donnees_synthetiques": modele.donnees_synthetiques,
        "type_modele": modele.type_modele,
        "libelle_type_modele": LIBELLES_TYPE[modele.type_modele],
        "date_creation": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "format": FORMAT_ARTEFACT,
        "fichier_modele": FICHIER_MODELE,
        "sha256_modele": sha256,
        "taille_modele_octets": chemin.stat().st_size,
        "bibliotheques": _versions(),
        "schema": {"empreinte": modele.empreinte_schema, "version": car.VERSION_CARACTERISTIQUES,
                   "caracteristiques": list(car.NOMS)},
        "classes": [p.value for p in CLASSES],
        "seuils": {p.value: (float(modele.seuils[k]) if np.isfinite(modele.seuils[k]) else None)
                   for k, p in enumerate(CLASSES)},
        "seuil_recurrence": modele.seuil_recurrence,
        "definition_profil": ("âge (moins de 30 / 30-49 / 50 et plus) × foyer × logement × activité × "
                              "formation × frein de santé × prêt aux démarches × fragilité déclarée"),
        "entrainement": {k: v for k, v in modele.entrainement.items() if k != "score_moyen"},
        "metriques": modele.metriques,
    }
    chemin_manifeste = dossier / FICHIER_MANIFESTE
    chemin_manifeste.write_text(json.dumps(_jsonable(manifeste), ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
    return chemin_manifeste, manifeste


def lire(dossier: str | Path) -> dict[str, Any]:
    """Read a model directory, refusing anything that does not match its manifest.

    Checks, in this order and before unpickling anything: the manifest exists and is
    valid JSON; its feature schema equals the library's; ``modele.joblib`` exists and its
    SHA-256 equals the manifest's.  Raises :class:`~orientation.erreurs.ModeleInvalide`.
    Returns the keyword arguments of :class:`~orientation.modele.modele.ModeleOrientation`.
    """
    dossier = Path(dossier)
    chemin_manifeste = dossier / FICHIER_MANIFESTE
    if not chemin_manifeste.is_file():
        raise ModeleInvalide(f"Manifeste absent : {chemin_manifeste} n'existe pas. Un modèle n'est chargé "
                             f"qu'avec son manifeste (empreinte SHA-256, schéma des caractéristiques).")
    try:
        manifeste = json.loads(chemin_manifeste.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModeleInvalide(f"Manifeste illisible : {chemin_manifeste} ({exc}).") from None
    manquantes = [k for k in ("nom", "version", "sha256_modele", "schema", "seuils", "seuil_recurrence",
                              "fichier_modele")
                  if k not in manifeste]
    if manquantes:
        raise ModeleInvalide(f"Manifeste incomplet : {chemin_manifeste} (clé(s) absente(s) : "
                             f"{', '.join(manquantes)}).")
    schema = manifeste.get("schema") or {}
    attendue = car.empreinte_schema()
    if schema.get("empreinte") != attendue or schema.get("caracteristiques") != list(car.NOMS):
        diff = ""
        if isinstance(schema.get("caracteristiques"), list):
            en_trop = sorted(set(schema["caracteristiques"]) - set(car.NOMS))[:5]
            absentes = sorted(set(car.NOMS) - set(schema["caracteristiques"]))[:5]
            diff = f" Caractéristiques inconnues : {en_trop or 'aucune'} ; absentes du modèle : {absentes or 'aucune'}."
        raise ModeleInvalide(
            f"Schéma des caractéristiques incompatible pour le modèle {chemin_manifeste.parent} : empreinte du "
            f"manifeste {schema.get('empreinte')!r}, empreinte de la bibliothèque {attendue!r}.{diff} "
            f"Réentraîner le modèle avec cette version de la bibliothèque.")
    chemin = dossier / str(manifeste["fichier_modele"])
    if chemin.name != FICHIER_MODELE or not chemin.is_file():
        raise ModeleInvalide(f"Fichier de modèle absent : {dossier / FICHIER_MODELE}.")
    reelle = _sha256_fichier(chemin)
    if reelle != manifeste["sha256_modele"]:
        raise ModeleInvalide(
            f"Empreinte SHA-256 incorrecte pour {chemin} : attendue {manifeste['sha256_modele']} (manifeste), "
            f"obtenue {reelle}. Le fichier a été modifié ou corrompu ; chargement refusé.")
    import joblib

    contenu = joblib.load(chemin)
    if not isinstance(contenu, dict) or contenu.get("format") != FORMAT_ARTEFACT:
        raise ModeleInvalide(f"Format d'artefact inconnu dans {chemin}.")
    seuils_m = manifeste.get("seuils") or {}
    seuils_m = [float("inf") if seuils_m.get(p.value) is None else float(seuils_m[p.value]) for p in CLASSES]
    if (contenu["empreinte_schema"] != attendue or contenu["seuil_recurrence"] != manifeste["seuil_recurrence"]
            or seuils_m != list(contenu["seuils"])):
        raise ModeleInvalide(f"Le manifeste {chemin_manifeste} ne correspond pas au modèle {chemin} "
                             f"(seuil, seuil de récurrence ou schéma différents).")
    versions = _versions()
    biblio = manifeste.get("bibliotheques") or {}
    for lib in ("scikit-learn", "numpy"):
        if biblio.get(lib) and biblio[lib] != versions[lib]:
            warnings.warn(f"Modèle {manifeste['nom']} entraîné avec {lib} {biblio[lib]}, chargé avec "
                          f"{versions[lib]} : vérifier ses prédictions.", stacklevel=3)
    return dict(pipeline=contenu["pipeline"], base=contenu["base"], type_modele=contenu["type_modele"],
                seuils=contenu["seuils"], seuil_recurrence=contenu["seuil_recurrence"],
                profils_cles=contenu["profils_cles"], profils_effectifs=contenu["profils_effectifs"],
                reference=contenu["reference"], motifs_reference=contenu["motifs_reference"],
                nom=str(manifeste["nom"]), version=str(manifeste["version"]),
                description=str(manifeste.get("description", "")),
                donnees_synthetiques=bool(manifeste.get("donnees_synthetiques", False)),
                metriques=manifeste.get("metriques", {}), entrainement=contenu["entrainement"], sha256=reelle,
                manifeste=manifeste)


def repertoire_modele_defaut() -> Path | None:
    """``$ORIENTATION_MODELE`` (a path or a bundled model's name) if set, else ``None``: no model configured.

    The demo model (trained on SYNTHETIC data) is never a default: it is used only when asked for by name.
    """
    env = os.environ.get(VARIABLE_ENV_MODELE)
    return chemin_modele(env) if env else None


def _sha256_fichier(chemin: Path) -> str:
    h = hashlib.sha256()
    with chemin.open("rb") as f:
        for bloc in iter(lambda: f.read(1 << 20), b""):
            h.update(bloc)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    import joblib
    import scipy
    import sklearn

    try:
        from importlib.metadata import version

        v_orientation = version("orientation")
    except Exception:  # pragma: no cover - not installed
        v_orientation = "inconnue"
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "joblib": joblib.__version__, "orientation": v_orientation}


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if not np.isfinite(f) else f
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    return v
