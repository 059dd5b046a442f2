"""Training of the orientation model, and the ``orientation entrainer`` command.

* :func:`entrainer` fits a scikit-learn model (``"logistique"``: multinomial logistic
  regression; ``"foret"``: random forest) on a training split, calibrates its probabilities
  on a validation split (temperature scaling for the logistic model, isotonic for the
  forest), chooses the confidence threshold of each route on the same validation split (the
  lowest one for which the agreement with referents on validation cases that would be
  decided reaches the target, default 95 %, with a one-sided confidence margin ``marge_z``:
  :func:`orientation.modele.metriques.choisir_seuil`), and reports held-out metrics on a test
  split never used before.  It returns a :class:`~orientation.modele.modele.ModeleOrientation`.
* :func:`entrainer_fichier` trains from a labelled CSV file and writes the artifact
  (``manifeste.json``, ``parametres.json``, ``tableaux.npz``: no pickle, logistic model only)
  into the output directory; it returns a
  :class:`ResultatEntrainement` whose :meth:`~ResultatEntrainement.resume` is a French
  summary.  The CSV has the flat CNAF columns of :mod:`orientation.dossier.tabulaire` plus
  ``parcours_referent`` (``professionnel`` / ``socio_professionnel`` / ``social``, or the
  rdv-insertion codes ``pro`` / ``socio_pro`` / ``social``).  The training data SHA-256 in the
  manifest is the SHA-256 of the CSV file.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from orientation.erreurs import ModeleInvalide, OrientationError
from orientation.francais import pourcent
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES, LIBELLES_TYPE, TypeModele
from orientation.modele.metriques import choisir_seuil
from orientation.modele.modele import ModeleOrientation, Vectoriseur, _departements


# --------------------------------------------------------------------------- training


def _nouvel_estimateur(type_modele: str, graine: int) -> Any:
    if type_modele == "logistique":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1.0, max_iter=1000, tol=1e-4)
    if type_modele == "foret":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=120, min_samples_leaf=20, max_features="sqrt",
                                      n_jobs=-1, random_state=graine)
    raise ValueError(f"type de modèle inconnu : {type_modele!r} (attendu « logistique » ou « foret »)")


def _motifs_reference(X: np.ndarray, couverture: float = 0.99, max_motifs: int = 40) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Most frequent answer patterns of each group in the training data (for occlusion)."""
    out = {}
    for g in car.GROUPES:
        cols = car.COLONNES_GROUPE[g.nom]
        motifs, nb = np.unique(X[:, cols], axis=0, return_counts=True)
        ordre = np.argsort(-nb, kind="stable")
        motifs, nb = motifs[ordre], nb[ordre]
        garde = min(max_motifs, int(np.searchsorted(np.cumsum(nb) / nb.sum(), couverture) + 1))
        motifs, nb = motifs[:garde], nb[:garde]
        out[g.nom] = (motifs.astype(np.float64), (nb / nb.sum()).astype(np.float64))
    return out


def empreinte_donnees(colonnes: Any) -> str:
    """SHA-256 of training data given as flat columns: that of the CSV text :func:`synthetique.ecrire_csv` writes."""
    from orientation.modele.synthetique import texte_csv

    if hasattr(colonnes, "column_names"):
        colonnes = {k: ["" if v is None else str(v) for v in colonnes[k].to_pylist()] for k in colonnes.column_names}
    return hashlib.sha256(texte_csv(colonnes).encode("utf-8")).hexdigest()


def _preparer(donnees: Any) -> tuple[np.ndarray, np.ndarray, str, int, bool]:
    """(X, y, data SHA-256, n, all identifiers synthetic?) from pairs or labelled columns."""
    from orientation.modele.synthetique import COLONNE_PARCOURS, PREFIXE_SYNTHETIQUE
    from orientation.dossier.tabulaire import enregistrement_vers_ligne

    codes_rdvi = {"pro": "professionnel", "socio_pro": "socio_professionnel", "social": "social"}
    if hasattr(donnees, "column_names") or isinstance(donnees, dict):
        noms = donnees.column_names if hasattr(donnees, "column_names") else list(donnees)
        if COLONNE_PARCOURS not in noms:
            raise ValueError(f"colonne « {COLONNE_PARCOURS} » absente : le parcours choisi par le référent est "
                             f"nécessaire pour entraîner")
        brut = donnees[COLONNE_PARCOURS]
        etiquettes = brut.to_pylist() if hasattr(brut, "to_pylist") else list(brut)
        X = car.vectoriser_colonnes({k: donnees[k] for k in noms if k != COLONNE_PARCOURS}
                                    if isinstance(donnees, dict) else donnees.drop_columns([COLONNE_PARCOURS]))
        ids = donnees["identifiant"] if "identifiant" in noms else []
        ids = ids.to_pylist() if hasattr(ids, "to_pylist") else list(ids)
        empreinte = empreinte_donnees(donnees)
    else:
        paires = list(donnees)
        X = car.vectoriser([d for d, _ in paires])
        etiquettes = [str(p) for _, p in paires]
        ids = [d.identifiant for d, _ in paires]
        lignes = [dict(enregistrement_vers_ligne(d.vers_cnaf()), **{COLONNE_PARCOURS: str(p)}) for d, p in paires]
        colonnes = {k: [l[k] for l in lignes] for k in (lignes[0] if lignes else {})}
        empreinte = empreinte_donnees(colonnes) if lignes else hashlib.sha256(b"").hexdigest()
    valeurs = [p.value for p in CLASSES]
    y = np.empty(len(etiquettes), dtype=np.int64)
    for i, e in enumerate(etiquettes):
        e = codes_rdvi.get(str(e).strip(), str(e).strip()) if e is not None else ""
        if e not in valeurs:
            raise ValueError(f"parcours du référent inconnu ligne {i + 1} : {e!r} (attendu : {', '.join(valeurs)})")
        y[i] = valeurs.index(e)
    synth = bool(ids) and all(str(i).startswith(PREFIXE_SYNTHETIQUE) for i in ids)
    deps = _departements(donnees if (hasattr(donnees, "column_names") or isinstance(donnees, dict))
                         else [d for d, _ in paires])
    departements = sorted({str(d) for d in deps if d not in (None, "")}) if deps is not None else []
    return X, y, empreinte, len(y), synth, departements


def entrainer(donnees: Any, *, type_modele: TypeModele = "logistique", accord_cible: float = 0.95, graine: int = 0,
              seuil_recurrence: int = 20, marge_z: float = 1.645, seuil_par_parcours: bool = True,
              proportions: tuple[float, float, float] = (0.6, 0.2, 0.2),
              nom: str = "modele", version: str = "1.0", description: Optional[str] = None,
              donnees_synthetiques: Optional[bool] = None, empreinte: Optional[str] = None,
              source: Optional[str] = None) -> ModeleOrientation:
    """Train, calibrate and evaluate an orientation model.

    ``donnees``: ``[(Dossier, Parcours), ...]`` or flat CNAF columns (mapping / pyarrow
    Table) with a ``parcours_referent`` column.  Splits (stratified, seeded): training
    (fit), validation (calibration and threshold), test (reported metrics only).
    ``donnees_synthetiques`` defaults to "every identifier starts with ``SYN-``".

    BLAS is limited to one thread while training: on these small dense matrices threads only
    add contention (measured 5 to 7 times slower on a shared 2-CPU machine).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _entrainer(donnees, type_modele=type_modele, accord_cible=accord_cible, graine=graine,
                          seuil_recurrence=seuil_recurrence, marge_z=marge_z, seuil_par_parcours=seuil_par_parcours,
                          proportions=proportions, nom=nom, version=version, description=description,
                          donnees_synthetiques=donnees_synthetiques, empreinte=empreinte, source=source)


def _entrainer(donnees: Any, *, type_modele: TypeModele, accord_cible: float, graine: int, seuil_recurrence: int,
               marge_z: float, seuil_par_parcours: bool, proportions: tuple[float, float, float], nom: str,
               version: str, description: Optional[str], donnees_synthetiques: Optional[bool],
               empreinte: Optional[str], source: Optional[str]) -> ModeleOrientation:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline

    if not 0.5 <= accord_cible < 1:
        raise ValueError(f"accord visé invalide : {accord_cible} (attendu entre 0,5 et 1)")
    if seuil_recurrence < 1:
        raise ValueError(f"seuil de récurrence invalide : {seuil_recurrence} (au moins 1)")
    X, y, empreinte_calc, n, synth_ids, departements = _preparer(donnees)
    synth = synth_ids if donnees_synthetiques is None else donnees_synthetiques
    if n < 300:
        raise ValueError(f"trop peu de dossiers pour entraîner ({n}, au moins 300)")
    manquants = [CLASSES[k].value for k in range(3) if not (y == k).any()]
    if manquants:
        raise ValueError(f"aucun dossier étiqueté {', '.join(manquants)} : les trois parcours sont nécessaires")
    p_tr, p_va, p_te = proportions
    idx = np.arange(n)
    i_tr, i_reste = train_test_split(idx, train_size=p_tr / (p_tr + p_va + p_te), random_state=graine, stratify=y)
    i_va, i_te = train_test_split(i_reste, train_size=p_va / (p_va + p_te), random_state=graine + 1,
                                  stratify=y[i_reste])
    base = _nouvel_estimateur(type_modele, graine)
    base.fit(X[i_tr], y[i_tr])
    methode = "temperature" if type_modele == "logistique" else "isotonic"
    calibre = CalibratedClassifierCV(FrozenEstimator(base), method=methode).fit(X[i_va], y[i_va])
    pipeline = Pipeline([("vectoriseur", Vectoriseur()), ("classifieur", calibre)])
    cles, effectifs = np.unique(car.profils(X[i_tr]), return_counts=True)
    modele = ModeleOrientation(
        pipeline=pipeline, base=base, type_modele=type_modele, seuils=[float("inf")] * 3,
        seuil_recurrence=seuil_recurrence,
        profils_cles=cles, profils_effectifs=effectifs, reference=X[i_tr].mean(axis=0),
        motifs_reference=_motifs_reference(X[i_tr]), nom=nom, version=version, description="",
        donnees_synthetiques=synth, metriques={}, entrainement={})
    # threshold on validation
    lot_va = modele._lot_matrice(X[i_va])
    correct = lot_va.parcours == y[i_va]
    if seuil_par_parcours:
        info_seuil = {}
        for k, p in enumerate(CLASSES):
            s_k, info_seuil[p.value] = choisir_seuil(lot_va.confiance, correct,
                                                     lot_va.profil_recurrent & (lot_va.parcours == k),
                                                     accord_cible, marge_z)
            modele.seuils[k] = s_k
    else:
        s_g, info_seuil = choisir_seuil(lot_va.confiance, correct, lot_va.profil_recurrent, accord_cible, marge_z)
        modele.seuils[:] = s_g
    modele.entrainement = {
        "departements": departements,
        "n_dossiers": n, "n_entrainement": int(len(i_tr)), "n_validation": int(len(i_va)), "n_test": int(len(i_te)),
        "graine": graine, "accord_cible": accord_cible, "marge_z": marge_z, "calibration": methode,
        "seuil_par_parcours": seuil_par_parcours,
        "sha256_donnees": empreinte or empreinte_calc, "source_donnees": source or "objets Python",
        "n_profils_distincts": int(len(cles)), "n_profils_recurrents": int((effectifs >= seuil_recurrence).sum()),
        "seuil_validation": info_seuil, "score_moyen": modele.scores(X[i_tr][:2000]).mean(axis=0).tolist(),
        "hyperparametres": {k: v for k, v in base.get_params().items() if isinstance(v, (int, float, str, bool))},
    }
    modele.metriques = {"test": modele.evaluer(X[i_te], y[i_te]), "validation": modele.evaluer(X[i_va], y[i_va])}
    if description is None:
        description = (f"Modèle d'orientation « {nom} » ({LIBELLES_TYPE[type_modele]}), entraîné sur {n} dossiers"
                       + (" SYNTHÉTIQUES (données générées, aucune personne réelle) : modèle de démonstration "
                          "entraîné sur données synthétiques, à ne pas utiliser pour orienter de vraies personnes."
                          if synth else "."))
    modele.description = description
    return modele


# --------------------------------------------------------------------------- training from a CSV file


@dataclass
class ResultatEntrainement:
    """A trained model, where it was written, and its held-out metrics."""

    modele: ModeleOrientation
    sortie: Path
    chemin_modele: Path
    chemin_manifeste: Path

    @property
    def metriques(self) -> dict[str, Any]:
        return self.modele.metriques

    def resume(self) -> str:
        """French summary of the training and of the held-out (test) metrics."""
        return resume_modele(self.modele, self.sortie)


def _p(x: Any) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "—"
    return "—" if f != f else pourcent(f)


def _d(x: Any, decimales: int = 4) -> str:
    try:
        return f"{float(x):.{decimales}f}".replace(".", ",")
    except (TypeError, ValueError):
        return "—"


def resume_modele(m: ModeleOrientation, sortie: Optional[Path] = None) -> str:
    """French multi-line summary of a model's training and test metrics."""
    e = m.entrainement
    t = m.metriques.get("test", {})
    cal = t.get("calibration", {})
    lignes = [
        f"Modèle « {m.nom} » version {m.version} — {LIBELLES_TYPE[m.type_modele]}",
    ]
    if m.donnees_synthetiques:
        lignes.append("ATTENTION : modèle de démonstration entraîné sur données SYNTHÉTIQUES (aucune personne réelle).")
    if sortie is not None:
        lignes.append(f"Artefact : {sortie} (manifeste.json, parametres.json et tableaux.npz, "
                      f"SHA-256 {m.sha256[:16]}…)")
    lignes += [
        f"Données : {e.get('n_dossiers')} dossiers (entraînement {e.get('n_entrainement')}, validation "
        f"{e.get('n_validation')}, test {e.get('n_test')}), SHA-256 {str(e.get('sha256_donnees'))[:16]}…",
        "Seuils de confiance (choisis sur la validation pour viser "
        f"{_p(e.get('accord_cible'))} d'accord avec les référents) : "
        + ", ".join(f"{p.libelle} {'jamais' if m.seuils[k] == float('inf') else _p(m.seuils[k])}"
                    for k, p in enumerate(CLASSES)),
        f"Profil récurrent : au moins {m.seuil_recurrence} dossiers comparables à l'entraînement "
        f"({e.get('n_profils_recurrents')} profils récurrents sur {e.get('n_profils_distincts')}).",
        f"Sur le jeu de test ({t.get('n')} dossiers jamais vus) :",
        f"  accord global avec les référents (sans abstention) : {_p(t.get('accord_global'))}",
        f"  couverture (orientation directe proposée)          : {_p(t.get('couverture'))}",
        f"  accord sur les dossiers décidés                     : {_p(t.get('accord_decides'))} "
        f"({t.get('n_decides')} dossiers)",
        "  par parcours choisi par le référent :",
    ]
    for p in CLASSES:
        r = t.get("par_parcours_referent", {}).get(p.value, {})
        q = t.get("par_parcours_propose", {}).get(p.value, {})
        lignes.append(f"    {p.libelle:<30} n={r.get('n')}, couverture {_p(r.get('couverture'))}, accord "
                      f"{_p(r.get('accord_decides'))} ; proposés et décidés : {q.get('n_decides')}, justes "
                      f"{_p(q.get('precision_decides'))}")
    if cal:
        lignes.append(f"  calibration (erreur ECE sur la confiance) : avant {_d(cal.get('ece_confiance_avant'))}, "
                      f"après {_d(cal.get('ece_confiance_apres'))}")
    return "\n".join(lignes)


def lire_csv_colonnes(chemin: Path) -> Any:
    """Read a flat CSV as a pyarrow Table of strings (empty cell = non renseigné)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    import csv

    with chemin.open(encoding="utf-8", newline="") as f:
        entete = next(csv.reader(f), [])
    types = {k: pa.string() for k in entete}
    return pacsv.read_csv(chemin, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))


def entrainer_fichier(donnees: str | Path, sortie: str | Path, *, type_modele: TypeModele = "logistique",
                      accord_cible: float = 0.95, graine: int = 0, seuil_recurrence: int = 20,
                      nom: Optional[str] = None, version: str = "1.0", description: Optional[str] = None,
                      donnees_synthetiques: Optional[bool] = None) -> ResultatEntrainement:
    """Train on a labelled CSV file and write the artifact into ``sortie`` (logistic model only)."""
    from orientation.modele.artefact import FICHIER_TABLEAUX

    donnees = Path(donnees)
    sortie = Path(sortie)
    if type_modele != "logistique":  # refused before a long training
        raise ModeleInvalide("seul le modèle logistique peut être enregistré (format sans code exécutable : nombres "
                             "JSON et tableaux NPZ) ; la forêt aléatoire s'entraîne et s'évalue en Python "
                             "(orientation.modele.entrainement.entrainer) sans être enregistrée.")
    if not donnees.is_file():
        raise FileNotFoundError(2, "fichier introuvable", str(donnees))
    h = hashlib.sha256()
    with donnees.open("rb") as f:
        for bloc in iter(lambda: f.read(1 << 20), b""):
            h.update(bloc)
    table = lire_csv_colonnes(donnees)
    modele = entrainer(table, type_modele=type_modele, accord_cible=accord_cible, graine=graine,
                       seuil_recurrence=seuil_recurrence, nom=nom or sortie.resolve().name, version=version,
                       description=description, donnees_synthetiques=donnees_synthetiques, empreinte=h.hexdigest(),
                       source=donnees.name)
    chemin_manifeste = modele.enregistrer(sortie)
    return ResultatEntrainement(modele, sortie, sortie / FICHIER_TABLEAUX, chemin_manifeste)


def construire_parseur() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orientation entrainer",
                                description="Entraîner un modèle d'orientation sur un fichier CSV étiqueté "
                                            "(colonnes CNAF + parcours_referent).")
    p.add_argument("donnees", help="fichier CSV étiqueté")
    p.add_argument("--sortie", required=True, help="dossier du modèle, ex. models/mon_modele/")
    p.add_argument("--type", choices=["logistique", "foret"], default="logistique", help="type de modèle")
    p.add_argument("--accord-cible", type=float, default=0.95, help="accord visé avec les référents (défaut 0,95)")
    p.add_argument("--seuil-recurrence", type=int, default=20,
                   help="nombre minimal de dossiers comparables pour qu'un profil soit récurrent (défaut 20)")
    p.add_argument("--graine", type=int, default=0, help="graine aléatoire (défaut 0)")
    p.add_argument("--nom", help="nom du modèle (défaut : nom du dossier de sortie)")
    p.add_argument("--version", default="1.0", help="version du modèle (défaut 1.0)")
    p.add_argument("--description", help="description en français (défaut : générée)")
    p.add_argument("--synthetique", action="store_true", default=None,
                   help="déclarer les données synthétiques (détecté si tous les identifiants commencent par SYN-)")
    return p


def commande_entrainer(args: Sequence[str]) -> int:
    """``orientation entrainer donnees.csv --sortie models/<nom>/ [options]``; returns the exit code."""
    a = construire_parseur().parse_args(list(args))
    try:
        r = entrainer_fichier(a.donnees, a.sortie, type_modele=a.type, accord_cible=a.accord_cible, graine=a.graine,
                              seuil_recurrence=a.seuil_recurrence, nom=a.nom, version=a.version,
                              description=a.description, donnees_synthetiques=a.synthetique)
    except FileNotFoundError as exc:
        print(f"Erreur : fichier introuvable : {exc.filename}", file=sys.stderr)
        return 2
    except (OrientationError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(r.resume())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(commande_entrainer(sys.argv[1:]))
