"""Training of the orientation model.

* :func:`entrainer` fits a scikit-learn model (``"logistique"``: multinomial logistic
  regression; ``"foret"``: random forest) on a training split, calibrates its probabilities
  on a validation split (temperature scaling for the logistic model, isotonic for the
  forest), chooses the confidence threshold of each route on the same validation split (the
  lowest one for which the agreement with referents on validation cases that would be
  decided reaches the target, default 95 %, with a one-sided confidence margin ``marge_z``:
  :func:`orientation.modele.metriques.choisir_seuil`) unless thresholds are set by hand, and
  reports held-out metrics on a test split never used before.  Splits are random (stratified)
  or by decision date (:func:`decouper`).  The model also carries the compact profile of its
  training data (:mod:`orientation.modele.profil`, for drift) and the figures of its card
  (:mod:`orientation.modele.carte`), written to the manifest only.
* :func:`preparer` turns dossiers or labelled columns into :class:`DonneesPreparees`; a file
  goes through the training-data contract of :mod:`orientation.analyse.contrat` instead, which
  rejects bad rows one by one (``orientation entrainer``).
* :func:`resume_modele`: French summary of a trained model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from orientation.francais import pourcent
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES, LIBELLES_TYPE, TypeModele
from orientation.modele.metriques import choisir_seuil
from orientation.modele.modele import ModeleOrientation, Vectoriseur


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


@dataclass
class DonneesPreparees:
    """Labelled training data as the model needs it: features, labels, and what describes them.

    Built by :func:`preparer` from dossiers or columns, or by the training-data contract of
    :mod:`orientation.analyse.contrat` from a validated export (which rejects bad rows before).
    ``sexe`` and ``departement`` (strings, one per row, ``""`` = non renseigné) are only used to
    audit the model by group (model card), never as features; ``dates`` (``datetime64[D]``, NaT
    when unknown) are the referents' decision dates, used by the split by date.
    """

    X: np.ndarray
    y: np.ndarray
    empreinte: str
    synthetique: bool
    departements: list[str]
    sexe: Optional[list[str]] = None
    departement: Optional[list[str]] = None
    dates: Optional[np.ndarray] = None
    source: str = "objets Python"
    informations: dict[str, Any] = field(default_factory=dict)  # contract summary, override rates...

    @property
    def n(self) -> int:
        return int(len(self.y))


#: Label codes accepted beside the route names (rdv-insertion's codes).
CODES_RDVI = {"pro": "professionnel", "socio_pro": "socio_professionnel", "social": "social"}


def etiquette(valeur: Any) -> Optional[int]:
    """Index in :data:`CLASSES` of a referent's route (names or rdv-insertion codes), ``None`` if invalid."""
    e = "" if valeur is None else str(valeur).strip()
    e = CODES_RDVI.get(e, e)
    valeurs = [p.value for p in CLASSES]
    return valeurs.index(e) if e in valeurs else None


def preparer(donnees: Any) -> DonneesPreparees:
    """Features and labels from ``[(Dossier, Parcours), ...]`` or labelled columns (mapping, Table, DataFrame)."""
    from orientation.modele.synthetique import COLONNE_PARCOURS, PREFIXE_SYNTHETIQUE
    from orientation.dossier.tabulaire import enregistrement_vers_ligne

    if isinstance(donnees, DonneesPreparees):
        return donnees
    if car.est_tabulaire(donnees):
        donnees = car.en_colonnes(donnees)
        noms = donnees.column_names if hasattr(donnees, "column_names") else list(donnees)
        if COLONNE_PARCOURS not in noms:
            raise ValueError(f"colonne « {COLONNE_PARCOURS} » absente : le parcours choisi par le référent est "
                             f"nécessaire pour entraîner")

        def liste(nom: str) -> Optional[list[Any]]:
            if nom not in noms:
                return None
            brut = donnees[nom]
            return brut.to_pylist() if hasattr(brut, "to_pylist") else list(brut)

        etiquettes = liste(COLONNE_PARCOURS) or []
        X = car.vectoriser_colonnes({k: donnees[k] for k in noms if k != COLONNE_PARCOURS}
                                    if isinstance(donnees, dict) else donnees.drop_columns([COLONNE_PARCOURS]))
        ids = liste("identifiant") or []
        sexe, deps = liste("sexe"), liste("departement")
        empreinte = empreinte_donnees(donnees)
    else:
        paires = list(donnees)
        X = car.vectoriser([d for d, _ in paires])
        etiquettes = [str(p) for _, p in paires]
        ids = [d.identifiant for d, _ in paires]
        sexe = [None if d.sexe is None else {"homme": "1", "femme": "2"}.get(str(d.sexe), "") for d, _ in paires]
        deps = [d.departement for d, _ in paires]
        lignes = [dict(enregistrement_vers_ligne(d.vers_cnaf()), **{COLONNE_PARCOURS: str(p)}) for d, p in paires]
        colonnes = {k: [l[k] for l in lignes] for k in (lignes[0] if lignes else {})}
        empreinte = empreinte_donnees(colonnes) if lignes else hashlib.sha256(b"").hexdigest()
    y = np.array([etiquette(e) if etiquette(e) is not None else -1 for e in etiquettes], dtype=np.int64)
    mauvais = np.flatnonzero(y < 0)
    if len(mauvais):
        exemples = ", ".join(f"rang {i + 1} : {etiquettes[i]!r}" for i in mauvais[:5])
        raise ValueError(f"parcours du référent vide ou inconnu pour {len(mauvais)} dossier(s) ({exemples}"
                         f"{', …' if len(mauvais) > 5 else ''}) ; attendu : "
                         f"{', '.join(p.value for p in CLASSES)} (ou pro, socio_pro). Un fichier se valide ligne "
                         f"par ligne avec « orientation entrainer » (lignes rejetées, les autres entraînent).")
    synth = bool(ids) and all(str(i).startswith(PREFIXE_SYNTHETIQUE) for i in ids)
    texte = (lambda col: None if col is None else ["" if v is None else str(v).strip() for v in col])
    deps_t = texte(deps)
    departements = sorted({d for d in deps_t if d}) if deps_t is not None else []
    return DonneesPreparees(X, y, empreinte, synth, departements, texte(sexe), deps_t)


def decouper(n: int, y: np.ndarray, proportions: tuple[float, float, float], graine: int,
             decoupage: str = "aleatoire", dates: Optional[np.ndarray] = None) -> tuple[np.ndarray, ...]:
    """(training, validation, test) row indices: stratified random split, or by date (oldest first)."""
    from sklearn.model_selection import train_test_split

    p_tr, p_va, p_te = proportions
    if decoupage == "date":
        if dates is None or np.isnat(dates).any():
            raise ValueError("découpage par date : une date de décision (date_decision) est nécessaire pour chaque "
                             "dossier")
        ordre = np.argsort(dates, kind="stable")
        a = int(round(n * p_tr / (p_tr + p_va + p_te)))
        b = a + int(round(n * p_va / (p_tr + p_va + p_te)))
        return ordre[:a], ordre[a:b], ordre[b:]
    if decoupage != "aleatoire":
        raise ValueError(f"découpage inconnu : {decoupage!r} (attendu « aleatoire » ou « date »)")
    idx = np.arange(n)
    i_tr, i_reste = train_test_split(idx, train_size=p_tr / (p_tr + p_va + p_te), random_state=graine, stratify=y)
    i_va, i_te = train_test_split(i_reste, train_size=p_va / (p_va + p_te), random_state=graine + 1,
                                  stratify=y[i_reste])
    return i_tr, i_va, i_te


def entrainer(donnees: Any, *, type_modele: TypeModele = "logistique", accord_cible: float = 0.95, graine: int = 0,
              seuil_recurrence: int = 20, marge_z: float = 1.645, seuil_par_parcours: bool = True,
              proportions: tuple[float, float, float] = (0.6, 0.2, 0.2),
              nom: str = "modele", version: str = "1.0", description: Optional[str] = None,
              donnees_synthetiques: Optional[bool] = None, empreinte: Optional[str] = None,
              source: Optional[str] = None, decoupage: str = "aleatoire",
              seuils: Optional[dict[str, Optional[float]]] = None) -> ModeleOrientation:
    """Train, calibrate and evaluate an orientation model.

    ``donnees``: ``[(Dossier, Parcours), ...]``, flat CNAF columns (mapping / pyarrow Table /
    pandas DataFrame) with a ``parcours_referent`` column, or :class:`DonneesPreparees`.
    Splits: training (fit), validation (calibration and threshold), test (reported metrics and
    model card only); ``decoupage="aleatoire"`` (stratified, seeded) or ``"date"`` (by decision
    date: oldest for training, most recent for test).  ``seuils``: thresholds set by hand per
    route (``{"professionnel": 0.9, "social": None}``, ``None`` = never decided) instead of the
    ones chosen on validation for ``accord_cible``.
    ``donnees_synthetiques`` defaults to "every identifier starts with ``SYN-``".

    BLAS is limited to one thread while training: on these small dense matrices threads only
    add contention (measured 5 to 7 times slower on a shared 2-CPU machine).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _entrainer(donnees, type_modele=type_modele, accord_cible=accord_cible, graine=graine,
                          seuil_recurrence=seuil_recurrence, marge_z=marge_z, seuil_par_parcours=seuil_par_parcours,
                          proportions=proportions, nom=nom, version=version, description=description,
                          donnees_synthetiques=donnees_synthetiques, empreinte=empreinte, source=source,
                          decoupage=decoupage, seuils=seuils)


def _entrainer(donnees: Any, *, type_modele: TypeModele, accord_cible: float, graine: int, seuil_recurrence: int,
               marge_z: float, seuil_par_parcours: bool, proportions: tuple[float, float, float], nom: str,
               version: str, description: Optional[str], donnees_synthetiques: Optional[bool],
               empreinte: Optional[str], source: Optional[str], decoupage: str,
               seuils: Optional[dict[str, Optional[float]]]) -> ModeleOrientation:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from orientation.modele import carte, profil

    if not 0.5 <= accord_cible < 1:
        raise ValueError(f"accord visé invalide : {accord_cible} (attendu entre 0,5 et 1)")
    if seuil_recurrence < 1:
        raise ValueError(f"seuil de récurrence invalide : {seuil_recurrence} (au moins 1)")
    prep = preparer(donnees)
    X, y, n = prep.X, prep.y, prep.n
    synth = prep.synthetique if donnees_synthetiques is None else donnees_synthetiques
    if n < 300:
        raise ValueError(f"trop peu de dossiers pour entraîner ({n}, au moins 300)")
    manquants = [CLASSES[k].value for k in range(3) if not (y == k).any()]
    if manquants:
        raise ValueError(f"aucun dossier étiqueté {', '.join(manquants)} : les trois parcours sont nécessaires")
    inconnus = sorted(set(seuils or {}) - {p.value for p in CLASSES})
    if inconnus or any(v is not None and not 0 < v <= 1 for v in (seuils or {}).values()):
        raise ValueError(f"seuils invalides : {seuils} (parcours : {', '.join(p.value for p in CLASSES)} ; valeur "
                         f"entre 0 et 1, ou « jamais »)")
    i_tr, i_va, i_te = decouper(n, y, proportions, graine, decoupage, prep.dates)
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
    for nom_p, v in (seuils or {}).items():  # thresholds set by hand win over the chosen ones
        modele.seuils[[p.value for p in CLASSES].index(nom_p)] = float("inf") if v is None else float(v)
    modele.entrainement = {
        "departements": prep.departements,
        "n_dossiers": n, "n_entrainement": int(len(i_tr)), "n_validation": int(len(i_va)), "n_test": int(len(i_te)),
        "graine": graine, "accord_cible": accord_cible, "marge_z": marge_z, "calibration": methode,
        "seuil_par_parcours": seuil_par_parcours,
        "sha256_donnees": empreinte or prep.empreinte, "source_donnees": source or prep.source,
        "decoupage": decoupage, "seuils_manuels": dict(seuils) if seuils else None,
        "periodes": _periodes(prep.dates, {"entrainement": i_tr, "validation": i_va, "test": i_te}),
        "n_profils_distincts": int(len(cles)), "n_profils_recurrents": int((effectifs >= seuil_recurrence).sum()),
        "seuil_validation": info_seuil, "score_moyen": modele.scores(X[i_tr][:2000]).mean(axis=0).tolist(),
        "hyperparametres": {k: v for k, v in base.get_params().items() if isinstance(v, (int, float, str, bool))},
    }
    modele.metriques = {"test": modele.evaluer(X[i_te], y[i_te]), "validation": modele.evaluer(X[i_va], y[i_va])}
    # manifest only (not parametres.json: the model's identity does not depend on them)
    inconnus_test = float((modele.effectifs(car.profils(X[i_te])) == 0).mean()) if len(i_te) else None
    modele.profil_entrainement = profil.profil_donnees(X, inconnus_test)
    choisir = (lambda col, idx: None if col is None else [col[i] for i in idx])
    modele.carte = carte.figures(modele, X[i_te], y[i_te],
                                 carte.groupes_audit(X[i_te], choisir(prep.sexe, i_te), choisir(prep.departement, i_te)))
    modele.carte["informations"] = prep.informations
    if description is None:
        description = (f"Modèle d'orientation « {nom} » ({LIBELLES_TYPE[type_modele]}), entraîné sur {n} dossiers"
                       + (" SYNTHÉTIQUES (données générées, aucune personne réelle) : modèle de démonstration "
                          "entraîné sur données synthétiques, à ne pas utiliser pour orienter de vraies personnes."
                          if synth else "."))
    modele.description = description
    return modele


def _periodes(dates: Optional[np.ndarray], parties: dict[str, np.ndarray]) -> Optional[dict[str, list[str]]]:
    """First and last decision date of each split (``None`` without dates)."""
    if dates is None:
        return None
    out = {}
    for nom, idx in parties.items():
        d = dates[idx]
        d = d[~np.isnat(d)]
        out[nom] = [str(d.min()), str(d.max())] if len(d) else []
    return out


# --------------------------------------------------------------------------- summary


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


def commentaires_parcours(t: dict[str, Any], seuils: Sequence[float], parcours: str) -> list[str]:
    """French comments on a route's test figures ``t``: what a small coverage or a tiny decided count means."""
    r = t.get("par_parcours_referent", {}).get(parcours, {})
    k = [p.value for p in CLASSES].index(parcours)
    out = []
    if not np.isfinite(seuils[k]):
        out.append("le modèle ne propose jamais ce parcours en orientation directe (seuil « jamais ») : ces dossiers "
                   "vont en examen individuel, ce qui est le comportement prudent attendu.")
    couv = r.get("couverture")
    if couv is not None and couv == couv and couv < 0.05 and np.isfinite(seuils[k]):
        out.append("couverture très faible : le modèle ne décide presque jamais ces dossiers, un référent les examine.")
    n_dec = round((couv or 0) * (r.get("n") or 0))
    if 0 < n_dec < 30:
        from orientation.modele.metriques import intervalle_wilson

        acc = r.get("accord_decides")
        bas, haut = intervalle_wilson(round((acc or 0) * n_dec), n_dec)
        out.append(f"accord calculé sur {n_dec} dossier(s) décidé(s) seulement : non significatif (intervalle à 95 % "
                   f"de {_p(bas)} à {_p(haut)}).")
    return out


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
        ("Seuils de confiance (fixés à la main, --seuils) : " if e.get("seuils_manuels") else
         "Seuils de confiance (choisis sur la validation pour viser "
         f"{_p(e.get('accord_cible'))} d'accord avec les référents) : ")
        + ", ".join(f"{p.libelle} {'jamais' if m.seuils[k] == float('inf') else _p(m.seuils[k])}"
                    for k, p in enumerate(CLASSES)),
        f"Profil récurrent : au moins {m.seuil_recurrence} dossiers comparables à l'entraînement "
        f"({e.get('n_profils_recurrents')} profils récurrents sur {e.get('n_profils_distincts')}).",
        f"Découpage : {'par date de décision (les plus récents en test)' if e.get('decoupage') == 'date' else 'aléatoire stratifié'}"
        + (f" ; test du {e['periodes']['test'][0]} au {e['periodes']['test'][1]}"
           if (e.get("periodes") or {}).get("test") else "") + ".",
        f"Sur le jeu de test ({t.get('n')} dossiers jamais vus ; modèle seul : les règles envoient d'abord en "
        "rendez-vous une partie des dossiers, voir « orientation audit » pour la chaîne complète) :",
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
        lignes.extend(f"      → {c}" for c in commentaires_parcours(t, m.seuils, p.value))
    graves = (m.carte or {}).get("erreurs_graves", {})
    for g in graves.values():
        lignes.append(f"  erreur grave : {g['nombre']} {g['libelle']} (sur {g['parmi']}).")
    if cal:
        lignes.append(f"  calibration (erreur ECE sur la confiance) : avant {_d(cal.get('ece_confiance_avant'))}, "
                      f"après {_d(cal.get('ece_confiance_apres'))}")
    return "\n".join(lignes)


