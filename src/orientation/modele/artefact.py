"""Artifact of an orientation model: plain numbers only, never code.

A model directory holds three files:

* ``manifeste.json``: name, version, description, library versions, feature schema,
  thresholds, training information, held-out metrics, the compact training-data profile
  (``profil_entrainement``, for drift) and the model card's figures (``carte``), and for each
  artifact file its plain name (inside the directory) and SHA-256 (the profile and the card
  are not part of the model's identity: ``carte.html`` / ``carte.md`` beside the manifest are
  documents generated from it);
* ``parametres.json``: the model's scalar parameters (type, inverse temperature, thresholds,
  recurrence threshold, feature schema, hyper-parameters, training information);
* ``tableaux.npz``: its arrays (coefficients, intercepts, recurrent profile keys and counts,
  training means, reference answer patterns), read with ``numpy.load(allow_pickle=False)``.

:func:`ecrire` writes them; :func:`lire` refuses (:class:`~orientation.erreurs.ModeleInvalide`,
French message naming the file) a missing or malformed manifest, a file name that is not a
plain name inside the directory, a feature schema different from the library's, a file whose
SHA-256 differs from the manifest, oversized files, and ill-typed parameters or arrays.
Nothing is unpickled: an old ``modele.joblib`` artifact (format 1, a pickle) is refused with
instructions to retrain.  The model is rebuilt by :mod:`orientation.modele.calibration`.
Only the logistic model can be written in this format; the forest is refused.

The model's identity in outputs (``sha256``) is the SHA-256 of the text
``"<name> <sha256>\\n"`` listing every artifact file in name order (:func:`empreinte_modele`).

The configured model directory is ``$ORIENTATION_MODELE`` (a path, or the name of a bundled
model such as ``demo``); without it no model is configured (:func:`repertoire_modele_defaut`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orientation.donnees import chemin_modele
from orientation.erreurs import ModeleInvalide
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES, LIBELLES_TYPE

FORMAT_ARTEFACT = 2
FICHIER_MANIFESTE = "manifeste.json"
FICHIER_PARAMETRES = "parametres.json"
FICHIER_TABLEAUX = "tableaux.npz"
#: Pickle file of format 1 artifacts: never loaded.
ANCIEN_FICHIER_PICKLE = "modele.joblib"
VARIABLE_ENV_MODELE = "ORIENTATION_MODELE"
#: Largest accepted artifact file (bytes), and largest total of the arrays once decompressed.
TAILLE_MAX_FICHIER = 64 * 1024 * 1024
TAILLE_MAX_TABLEAUX = 256 * 1024 * 1024
_NOM_SIMPLE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")
_CONSIGNE_REENTRAINER = ("Réentraîner le modèle avec cette version de la bibliothèque "
                         "(« orientation entrainer donnees.csv --sortie <dossier> », ou "
                         "« python models/entrainer_demo.py » pour le modèle de démonstration).")


# --------------------------------------------------------------------------- writing


def ecrire(modele: Any, dossier: str | Path) -> tuple[Path, dict[str, Any]]:
    """Write ``manifeste.json``, ``parametres.json`` and ``tableaux.npz`` of ``modele`` into ``dossier``.

    Returns the manifest path and the manifest (``sha256_modele``: :func:`empreinte_modele`).
    Raises :class:`~orientation.erreurs.ModeleInvalide` for a model that cannot be written
    without pickle (the random forest).
    """
    if modele.type_modele != "logistique":
        raise ModeleInvalide(
            f"Le modèle « {modele.nom} » ({LIBELLES_TYPE.get(modele.type_modele, modele.type_modele)}) ne peut pas "
            "être enregistré : seul le modèle logistique s'enregistre dans le format sans code exécutable "
            "(nombres JSON et tableaux NPZ). Entraîner avec « --type logistique ».")
    try:
        from orientation.modele.calibration import parametres_logistique  # scikit-learn: only when needed

        numeriques = parametres_logistique(modele.base, modele.calibre)
    except ValueError as exc:
        raise ModeleInvalide(f"Le modèle « {modele.nom} » ne peut pas être enregistré : {exc}.") from None
    dossier = Path(dossier)
    dossier.mkdir(parents=True, exist_ok=True)
    groupes = [g.nom for g in car.GROUPES]
    tableaux = {"coef": numeriques["coef"], "intercept": numeriques["intercept"],
                "profils_cles": np.asarray(modele.profils_cles, dtype=np.int64),
                "profils_effectifs": np.asarray(modele.profils_effectifs, dtype=np.int64),
                "reference": np.asarray(modele.reference, dtype=np.float64)}
    # reference answer patterns of every group, concatenated (few arrays: each costs a header to parse)
    motifs = [np.asarray(modele.motifs_reference[g][0], dtype=np.float64) for g in groupes]
    tableaux["motifs_lignes"] = np.array([len(m) for m in motifs], dtype=np.int64)
    tableaux["motifs_valeurs"] = np.concatenate([m.ravel() for m in motifs])
    tableaux["motifs_poids"] = np.concatenate([np.asarray(modele.motifs_reference[g][1], dtype=np.float64)
                                               for g in groupes])
    tampon = io.BytesIO()  # an NPZ archive with fixed dates: same model => same bytes and SHA-256
    with zipfile.ZipFile(tampon, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for nom, tableau in tableaux.items():
            info = zipfile.ZipInfo(f"{nom}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(tableau), allow_pickle=False)
    (dossier / FICHIER_TABLEAUX).write_bytes(tampon.getvalue())
    parametres = {
        "format": FORMAT_ARTEFACT, "type_modele": modele.type_modele, "classes": [p.value for p in CLASSES],
        "caracteristiques": list(car.NOMS), "empreinte_schema": modele.empreinte_schema,
        "groupes": groupes, "beta": numeriques["beta"], "hyperparametres": numeriques["hyperparametres"],
        "seuils": [float(s) if np.isfinite(s) else None for s in modele.seuils],
        "seuil_recurrence": int(modele.seuil_recurrence), "entrainement": _jsonable(modele.entrainement),
    }
    (dossier / FICHIER_PARAMETRES).write_text(json.dumps(parametres, ensure_ascii=False, indent=1) + "\n",
                                              encoding="utf-8")
    ancien = dossier / ANCIEN_FICHIER_PICKLE
    if ancien.is_file():  # a format 1 leftover would only confuse readers
        ancien.unlink()
    fichiers = {"parametres": FICHIER_PARAMETRES, "tableaux": FICHIER_TABLEAUX}
    sha = {nom: _sha256_fichier(dossier / nom) for nom in fichiers.values()}
    manifeste = {
        "nom": modele.nom,
        "version": modele.version,
        "description": modele.description,
        "donnees_synthetiques": modele.donnees_synthetiques,
        "type_modele": modele.type_modele,
        "libelle_type_modele": LIBELLES_TYPE[modele.type_modele],
        "date_creation": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "format": FORMAT_ARTEFACT,
        "fichiers": fichiers,
        "sha256": sha,
        "sha256_modele": empreinte_modele(sha),
        "taille_octets": sum((dossier / nom).stat().st_size for nom in fichiers.values()),
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
        "profil_entrainement": getattr(modele, "profil_entrainement", None),
        "carte": getattr(modele, "carte", None),
    }
    chemin_manifeste = dossier / FICHIER_MANIFESTE
    chemin_manifeste.write_text(json.dumps(_jsonable(manifeste), ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
    return chemin_manifeste, manifeste


def empreinte_modele(sha256_fichiers: dict[str, str]) -> str:
    """SHA-256 identifying a model: that of the lines ``"<file name> <sha256>"``, in name order."""
    texte = "".join(f"{nom} {sha256_fichiers[nom]}\n" for nom in sorted(sha256_fichiers))
    return hashlib.sha256(texte.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- reading


class _Parametres(BaseModel):
    """Schema of ``parametres.json`` (strict types: nothing is coerced)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: int
    type_modele: str
    classes: list[str]
    caracteristiques: list[str]
    empreinte_schema: str
    groupes: list[str]
    beta: float = Field(gt=0, allow_inf_nan=False)
    hyperparametres: dict[str, Optional[int | float | str | bool]]
    seuils: list[Optional[float]] = Field(min_length=3, max_length=3)
    seuil_recurrence: int = Field(ge=1)
    entrainement: dict[str, Any]


def lire(dossier: str | Path) -> dict[str, Any]:
    """Read a model directory, refusing anything that does not match its manifest.

    Checks, in this order, before reading any parameter: the manifest exists, is small and
    valid JSON, and names plain files of the directory; its feature schema equals the
    library's; every artifact file exists, is small and has the manifest's SHA-256.  Then the
    parameters and arrays are read (JSON, ``numpy.load(allow_pickle=False)``) and type-checked.
    Raises :class:`~orientation.erreurs.ModeleInvalide`.  Returns the keyword arguments of
    :class:`~orientation.modele.modele.ModeleOrientation`, with the calibrated classifier as
    ``calibre`` (the model wraps it in its pipeline).
    """
    dossier = Path(dossier)
    chemin_manifeste = dossier / FICHIER_MANIFESTE
    if not chemin_manifeste.is_file():
        raise ModeleInvalide(f"Manifeste absent : {chemin_manifeste} n'existe pas. Un modèle n'est chargé "
                             f"qu'avec son manifeste (empreinte SHA-256, schéma des caractéristiques).")
    manifeste = _lire_json(chemin_manifeste, "Manifeste illisible")
    if not isinstance(manifeste, dict):
        raise ModeleInvalide(f"Manifeste illisible : {chemin_manifeste} (objet JSON attendu).")
    if manifeste.get("format") != FORMAT_ARTEFACT or (dossier / ANCIEN_FICHIER_PICKLE).exists():
        if manifeste.get("format") == 1 or "fichier_modele" in manifeste or (dossier / ANCIEN_FICHIER_PICKLE).exists():
            raise ModeleInvalide(
                f"Format de modèle refusé dans {dossier} : le fichier {ANCIEN_FICHIER_PICKLE} (format 1, pickle "
                f"joblib) n'est plus accepté, car charger un pickle peut exécuter du code. {_CONSIGNE_REENTRAINER}")
        raise ModeleInvalide(f"Format d'artefact inconnu dans {chemin_manifeste} : {manifeste.get('format')!r} "
                             f"(attendu {FORMAT_ARTEFACT}).")
    manquantes = [k for k in ("nom", "version", "fichiers", "sha256", "sha256_modele", "schema", "seuils",
                              "seuil_recurrence") if k not in manifeste]
    if manquantes:
        raise ModeleInvalide(f"Manifeste incomplet : {chemin_manifeste} (clé(s) absente(s) : "
                             f"{', '.join(manquantes)}).")
    schema = manifeste.get("schema")
    schema = schema if isinstance(schema, dict) else {}
    attendue = car.empreinte_schema()
    if schema.get("empreinte") != attendue or schema.get("caracteristiques") != list(car.NOMS):
        diff = ""
        if isinstance(schema.get("caracteristiques"), list):
            noms = {str(x) for x in schema["caracteristiques"]}
            en_trop = sorted(noms - set(car.NOMS))[:5]
            absentes = sorted(set(car.NOMS) - noms)[:5]
            diff = f" Caractéristiques inconnues : {en_trop or 'aucune'} ; absentes du modèle : {absentes or 'aucune'}."
        raise ModeleInvalide(
            f"Schéma des caractéristiques incompatible pour le modèle {dossier} : empreinte du "
            f"manifeste {str(schema.get('empreinte'))[:80]!r}, empreinte de la bibliothèque {attendue!r}.{diff} "
            f"{_CONSIGNE_REENTRAINER}")
    chemins = _fichiers(manifeste, dossier, chemin_manifeste)
    sha_reels = {}
    for role, chemin in chemins.items():
        attendu = manifeste["sha256"].get(chemin.name) if isinstance(manifeste["sha256"], dict) else None
        reelle = _sha256_fichier(chemin)
        if reelle != attendu:
            raise ModeleInvalide(
                f"Empreinte SHA-256 incorrecte pour {chemin} : attendue {str(attendu)[:80]} (manifeste), "
                f"obtenue {reelle}. Le fichier a été modifié ou corrompu ; chargement refusé.")
        sha_reels[chemin.name] = reelle
    if empreinte_modele(sha_reels) != manifeste["sha256_modele"]:
        raise ModeleInvalide(f"Le manifeste {chemin_manifeste} est incohérent : « sha256_modele » ne correspond pas "
                             f"aux empreintes des fichiers ; chargement refusé.")
    params = _lire_parametres(chemins["parametres"])
    tableaux = _lire_tableaux(chemins["tableaux"], params)
    seuils = [float("inf") if s is None else float(s) for s in params.seuils]
    seuils_m = manifeste.get("seuils") if isinstance(manifeste.get("seuils"), dict) else {}
    seuils_m = [float("inf") if seuils_m.get(p.value) is None else seuils_m.get(p.value) for p in CLASSES]
    if (params.empreinte_schema != attendue or params.caracteristiques != list(car.NOMS)
            or params.seuil_recurrence != manifeste["seuil_recurrence"] or seuils_m != seuils):
        raise ModeleInvalide(f"Le manifeste {chemin_manifeste} ne correspond pas au modèle {chemins['parametres']} "
                             f"(seuil, seuil de récurrence ou schéma différents).")
    versions = _versions()
    biblio = manifeste.get("bibliotheques") if isinstance(manifeste.get("bibliotheques"), dict) else {}
    for lib in ("scikit-learn", "numpy"):
        if biblio.get(lib) and biblio[lib] != versions[lib]:
            warnings.warn(f"Modèle {str(manifeste['nom'])[:80]} entraîné avec {lib} {str(biblio[lib])[:40]}, chargé "
                          f"avec {versions[lib]} : vérifier ses prédictions.", stacklevel=3)
    from orientation.modele.calibration import reconstruire  # scikit-learn: only when a model is loaded

    base, calibre = reconstruire(tableaux["coef"], tableaux["intercept"], params.beta, dict(params.hyperparametres))
    return dict(calibre=calibre, base=base,
                type_modele=params.type_modele, seuils=seuils, seuil_recurrence=params.seuil_recurrence,
                profils_cles=tableaux["profils_cles"], profils_effectifs=tableaux["profils_effectifs"],
                reference=tableaux["reference"],
                motifs_reference=tableaux["motifs_reference"],
                nom=str(manifeste["nom"])[:200], version=str(manifeste["version"])[:50],
                description=str(manifeste.get("description", ""))[:5000],
                donnees_synthetiques=manifeste.get("donnees_synthetiques") is True,
                metriques=manifeste.get("metriques") if isinstance(manifeste.get("metriques"), dict) else {},
                entrainement=params.entrainement, sha256=manifeste["sha256_modele"], manifeste=manifeste)


def _lire_json(chemin: Path, quoi: str) -> Any:
    """JSON of a small artifact file; any problem (size, encoding, syntax, depth, huge numbers) -> ModeleInvalide."""
    try:
        if chemin.stat().st_size > TAILLE_MAX_FICHIER:
            raise ModeleInvalide(f"{quoi} : {chemin} dépasse {TAILLE_MAX_FICHIER // (1024 * 1024)} Mio.")
        return json.loads(chemin.read_bytes().decode("utf-8"))
    except ModeleInvalide:
        raise
    except OSError as exc:
        raise ModeleInvalide(f"{quoi} : {chemin} ({exc.strerror or 'erreur de lecture'}).") from None
    except UnicodeDecodeError as exc:
        raise ModeleInvalide(f"{quoi} : {chemin} (octet 0x{exc.object[exc.start]:02X} à la position {exc.start} : "
                             f"le fichier doit être encodé en UTF-8).") from None
    except json.JSONDecodeError as exc:
        raise ModeleInvalide(f"{quoi} : {chemin} (JSON mal formé ligne {exc.lineno}, colonne {exc.colno}).") from None
    except (ValueError, RecursionError):
        raise ModeleInvalide(f"{quoi} : {chemin} (JSON trop imbriqué ou nombre trop grand).") from None


def _fichiers(manifeste: dict[str, Any], dossier: Path, chemin_manifeste: Path) -> dict[str, Path]:
    """Artifact files named by the manifest: plain names of regular files inside ``dossier``."""
    fichiers = manifeste["fichiers"]
    if not isinstance(fichiers, dict) or set(fichiers) != {"parametres", "tableaux"}:
        raise ModeleInvalide(f"Manifeste invalide : {chemin_manifeste} (« fichiers » doit donner « parametres » "
                             f"et « tableaux »).")
    racine = dossier.resolve()
    out = {}
    for role, nom in fichiers.items():
        suffixe = ".json" if role == "parametres" else ".npz"
        if not isinstance(nom, str) or not _NOM_SIMPLE.fullmatch(nom) or ".." in nom or not nom.endswith(suffixe):
            raise ModeleInvalide(
                f"Manifeste invalide : {chemin_manifeste} (« fichiers.{role} » = {str(nom)[:80]!r} : un simple nom de "
                f"fichier {suffixe} du dossier du modèle est attendu, sans « / », « .. » ni chemin absolu).")
        chemin = dossier / nom
        if not chemin.is_file() or chemin.resolve().parent != racine:
            raise ModeleInvalide(f"Fichier de modèle absent : {chemin} (fichier ordinaire du dossier {dossier} "
                                 f"attendu).")
        if chemin.stat().st_size > TAILLE_MAX_FICHIER:
            raise ModeleInvalide(f"Fichier de modèle trop gros : {chemin} (plus de "
                                 f"{TAILLE_MAX_FICHIER // (1024 * 1024)} Mio).")
        out[role] = chemin
    return out


def _lire_parametres(chemin: Path) -> _Parametres:
    brut = _lire_json(chemin, "Paramètres du modèle illisibles")
    try:
        params = _Parametres.model_validate(brut)
    except ValidationError as exc:
        from orientation.dossier.schema import erreurs_depuis_pydantic

        detail = " ; ".join(f"« {e.champ} » : {e.raison}" for e in erreurs_depuis_pydantic(exc, brut)[:5])
        raise ModeleInvalide(f"Paramètres du modèle invalides dans {chemin} : {detail}.") from None
    if (params.format != FORMAT_ARTEFACT or params.type_modele != "logistique"
            or params.classes != [p.value for p in CLASSES] or params.groupes != [g.nom for g in car.GROUPES]
            or any(s is not None and not 0 <= s <= 1 for s in params.seuils)):
        raise ModeleInvalide(f"Paramètres du modèle invalides dans {chemin} : format, type de modèle, classes, "
                             f"groupes de variables ou seuils inattendus.")
    return params


def _lire_tableaux(chemin: Path, params: _Parametres) -> dict[str, np.ndarray]:
    """Arrays of ``tableaux.npz`` (no pickle), with the expected names, dtypes and shapes."""
    p = len(car.NOMS)
    attendus: dict[str, tuple[str, Optional[tuple[Optional[int], ...]]]] = {
        "coef": ("f", (3, p)), "intercept": ("f", (3,)), "profils_cles": ("i", (None,)),
        "profils_effectifs": ("i", (None,)), "reference": ("f", (p,)),
        "motifs_lignes": ("i", (len(car.GROUPES),)), "motifs_valeurs": ("f", (None,)), "motifs_poids": ("f", (None,))}
    try:
        with zipfile.ZipFile(chemin) as z:
            noms = {i.filename for i in z.infolist()}
            if sum(i.file_size for i in z.infolist()) > TAILLE_MAX_TABLEAUX:
                raise ModeleInvalide(f"Tableaux du modèle trop gros une fois décompressés : {chemin}.")
        if noms != {f"{n}.npy" for n in attendus}:
            raise ModeleInvalide(f"Tableaux du modèle invalides dans {chemin} : tableaux inattendus ou manquants.")
        out = {}
        with np.load(chemin, allow_pickle=False) as npz:
            for nom, (genre, forme) in attendus.items():
                t = npz[nom]
                if (t.dtype.kind != genre or t.ndim != len(forme)
                        or any(f is not None and f != s for f, s in zip(forme, t.shape))
                        or (genre == "f" and not np.isfinite(t).all())):
                    raise ModeleInvalide(f"Tableaux du modèle invalides dans {chemin} : « {nom} » de type {t.dtype} "
                                         f"et de forme {t.shape} (attendu {'réels finis' if genre == 'f' else 'entiers'}"
                                         f", forme {tuple('n' if f is None else f for f in forme)}).")
                out[nom] = t
    except ModeleInvalide:
        raise
    except Exception as exc:  # truncated zip, object arrays (pickle refused), bad headers...
        raise ModeleInvalide(f"Tableaux du modèle illisibles : {chemin} ({_cause(exc)}).") from None
    if len(out["profils_cles"]) != len(out["profils_effectifs"]) or np.any(np.diff(out["profils_cles"]) <= 0):
        raise ModeleInvalide(f"Tableaux du modèle invalides dans {chemin} : profils non triés ou effectifs "
                             f"incohérents.")
    lignes = out["motifs_lignes"]
    largeurs = np.array([len(car.COLONNES_GROUPE[g.nom]) for g in car.GROUPES], dtype=np.int64)
    if (np.any(lignes < 0) or int(lignes.sum()) != len(out["motifs_poids"])
            or int((lignes * largeurs).sum()) != len(out["motifs_valeurs"])):
        raise ModeleInvalide(f"Tableaux du modèle invalides dans {chemin} : motifs de référence incohérents.")
    motifs, debut_v, debut_p = {}, 0, 0
    for g, n, k in zip(car.GROUPES, lignes.tolist(), largeurs.tolist()):
        motifs[g.nom] = (out["motifs_valeurs"][debut_v:debut_v + n * k].reshape(n, k),
                         out["motifs_poids"][debut_p:debut_p + n])
        debut_v, debut_p = debut_v + n * k, debut_p + n
    out["motifs_reference"] = motifs
    return out


def _cause(exc: Exception) -> str:
    if isinstance(exc, ValueError) and "allow_pickle" in str(exc):
        return "tableau d'objets Python : pickle refusé"
    if isinstance(exc, zipfile.BadZipFile):
        return "archive NPZ tronquée ou corrompue"
    return f"fichier tronqué ou mal formé ({type(exc).__name__})"


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
    import scipy
    import sklearn

    try:
        from importlib.metadata import version

        v_orientation = version("orientation")
    except Exception:  # pragma: no cover - not installed
        v_orientation = "inconnue"
    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "orientation": v_orientation}


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
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    return v
