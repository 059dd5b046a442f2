"""Orientation model: calibrated route probabilities, abstention, explanation, signed artifact.

DITP 2019 scenario 4: a recurring profile may be oriented without an appointment on
algorithmic review when a trained model is confident; otherwise a referent examines the
dossier.  :class:`ModeleOrientation` is that model once trained; this module scores with it.

* Abstention: :attr:`PropositionModele.decide` is ``True`` (``orientation_directe`` may be
  proposed) only when the dossier's coarse profile (:func:`orientation.modele.caracteristiques.profils`)
  was seen at least ``seuil_recurrence`` times in the training split AND the highest
  calibrated probability reaches the threshold of the proposed route (chosen on validation
  data by :func:`orientation.modele.metriques.choisir_seuil`).  A dossier of a département
  the model was not trained for is never decided.
* Explanation: :meth:`ModeleOrientation.proposer` returns the signed contribution of each
  answer of THIS dossier to the score of each route, and
  :meth:`ModeleOrientation.contrefactuels_modele` the smallest sets of changed answers that
  change the outcome (both computed by :mod:`orientation.modele.contributions`).
* Artifact: :meth:`ModeleOrientation.enregistrer` and :meth:`ModeleOrientation.charger` write
  and read a pickle-free artifact (:mod:`orientation.modele.artefact`: plain JSON numbers and
  NPZ arrays; a model whose SHA-256 or feature schema differs from its manifest is refused);
  :func:`charger_modele` loads a model once per process (a path, or ``"demo"``: the bundled model
  trained on SYNTHETIC data), :func:`charger_modele_defaut` the one named by ``$ORIENTATION_MODELE``
  (``None`` when unset: no model is configured, never the demo model by default).

Training (:func:`orientation.modele.entrainement.entrainer`) builds a :class:`ModeleOrientation`;
held-out metrics are computed by :meth:`ModeleOrientation.evaluer` with
:mod:`orientation.modele.metriques`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, field_serializer

from orientation.donnees import chemin_modele, modeles_livres
from orientation.erreurs import ModeleInvalide
from orientation.francais import pourcent
from orientation.modele import artefact
from orientation.modele import caracteristiques as car
from orientation.modele import contributions as contrib
from orientation.modele.classes import CLASSES
from orientation.modele.contributions import METHODE_APPROCHEE, METHODE_EXACTE, Contribution, ContrefactuelModele
from orientation.modele.metriques import brier_par_classe, ece_confiance, ece_par_classe
from orientation.vocabulaire import Parcours


# --------------------------------------------------------------------------- typed results


class PropositionModele(BaseModel):
    """What the model proposes for one dossier, and why."""

    model_config = ConfigDict(frozen=True)

    modele: str
    version: str
    sha256: str
    type_modele: str
    donnees_synthetiques: bool
    probabilites: dict[Parcours, float]
    parcours: Parcours
    confiance: float
    seuil: float
    profil: str
    effectif_profil: int
    profil_recurrent: bool
    seuil_recurrence: int
    decide: bool
    raison_abstention: Optional[str]
    scores: dict[Parcours, float]
    valeurs_de_base: dict[Parcours, float]
    residu: dict[Parcours, float]
    contributions: list[Contribution]
    contributions_exactes: bool
    methode_contributions: str

    @field_serializer("seuil")
    def _seuil_json(self, v: float, info: Any) -> Optional[float]:
        """A route the model never decides has an infinite threshold: ``null`` in JSON."""
        if info.mode == "json" and not np.isfinite(v):
            return None
        return v

    def principales_contributions(self, parcours: Optional[Parcours] = None, n: int = 5) -> list[Contribution]:
        """The ``n`` largest contributions (in absolute value) for one route (default: proposed)."""
        p = parcours or self.parcours
        return [c for c in self.contributions if c.parcours == p][:n]


@dataclass(frozen=True)
class PropositionsLot:
    """Vectorised proposals (same decisions as :meth:`ModeleOrientation.proposer`, row by row)."""

    probabilites: np.ndarray  # (n, 3), columns in CLASSES order
    parcours: np.ndarray  # (n,) index into CLASSES
    confiance: np.ndarray
    profil: np.ndarray  # int64 profile keys
    effectif_profil: np.ndarray
    profil_recurrent: np.ndarray
    decide: np.ndarray
    departement_couvert: np.ndarray  # False: dossier of a département absent from the training data

    @property
    def noms_parcours(self) -> np.ndarray:
        return np.array([p.value for p in CLASSES], dtype=object)[self.parcours]

    def __len__(self) -> int:
        return len(self.parcours)


# --------------------------------------------------------------------------- sklearn pieces


class Vectoriseur:
    """Stateless scikit-learn transformer: dossiers / CNAF columns / feature matrix -> features."""

    def fit(self, X: Any, y: Any = None) -> "Vectoriseur":
        return self

    def transform(self, X: Any) -> np.ndarray:
        return vers_matrice(X)

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        return self.transform(X)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}

    def set_params(self, **params: Any) -> "Vectoriseur":
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(car.NOMS, dtype=object)

    def __repr__(self) -> str:
        return f"Vectoriseur(schema={car.empreinte_schema()[:12]})"


def _departements(donnees: Any) -> Optional[list[Any]]:
    """Département of each row when the input carries it (dossiers, columns), else None."""
    if isinstance(donnees, np.ndarray):
        return None
    donnees = car.en_colonnes(donnees)
    if hasattr(donnees, "column_names"):
        return donnees["departement"].to_pylist() if "departement" in donnees.column_names else None
    if isinstance(donnees, dict):
        col = donnees.get("departement")
        return None if col is None else [None if v in (None, "") else str(v) for v in list(col)]
    return [getattr(d, "departement", None) for d in donnees]


def vers_matrice(donnees: Any) -> np.ndarray:
    """Feature matrix from a matrix, a list of dossiers, or CNAF columns (mapping / pyarrow Table / pandas DataFrame)."""
    if isinstance(donnees, np.ndarray) and donnees.ndim == 2 and donnees.dtype != object:
        if donnees.shape[1] != len(car.SCHEMA):
            raise ValueError(f"matrice de {donnees.shape[1]} colonnes, {len(car.SCHEMA)} attendues (schéma)")
        return donnees.astype(np.float64, copy=False)
    if car.est_tabulaire(donnees):
        return car.vectoriser_colonnes(donnees)
    return car.vectoriser(donnees)


# --------------------------------------------------------------------------- the model


class ModeleOrientation:
    """A trained, calibrated orientation model with its abstention policy."""

    def __init__(self, *, pipeline: Any, base: Any, type_modele: str, seuils: Sequence[float], seuil_recurrence: int,
                 profils_cles: np.ndarray, profils_effectifs: np.ndarray, reference: np.ndarray,
                 motifs_reference: dict[str, tuple[np.ndarray, np.ndarray]], nom: str, version: str,
                 description: str, donnees_synthetiques: bool, metriques: dict[str, Any],
                 entrainement: dict[str, Any], sha256: str = "", manifeste: Optional[dict[str, Any]] = None):
        self.pipeline = pipeline
        self.base = base
        self.type_modele = type_modele
        self.seuils = np.asarray(seuils, dtype=np.float64).reshape(3)
        self.seuil_recurrence = int(seuil_recurrence)
        self.profils_cles = np.asarray(profils_cles, dtype=np.int64)
        self.profils_effectifs = np.asarray(profils_effectifs, dtype=np.int64)
        self.reference = np.asarray(reference, dtype=np.float64)
        self.motifs_reference = motifs_reference
        self.nom = nom
        self.version = version
        self.description = description
        self.donnees_synthetiques = donnees_synthetiques
        self.metriques = metriques
        self.entrainement = entrainement
        self.sha256 = sha256
        self.manifeste = manifeste
        self.empreinte_schema = car.empreinte_schema()
        #: training-data profile (drift) and model card figures: manifest only, not part of the model's identity
        self.profil_entrainement: Optional[dict[str, Any]] = (manifeste or {}).get("profil_entrainement")
        self.carte: Optional[dict[str, Any]] = (manifeste or {}).get("carte")

    # ----------------------------------------------------------------- core scoring

    @property
    def seuil(self) -> float:
        """Lowest of the per-route confidence thresholds (``inf``: the model never decides)."""
        return float(self.seuils.min())

    def seuil_parcours(self, parcours: Parcours) -> float:
        return float(self.seuils[CLASSES.index(parcours)])

    @property
    def calibre(self) -> Any:
        return self.pipeline[-1]

    def _logits(self, X: Any) -> Optional[np.ndarray]:
        """Logits of the logistic base for our own feature matrix, without scikit-learn's input checks.

        Same arithmetic as ``LogisticRegression.decision_function`` (``X @ coef_.T + intercept_``),
        whose checks cost more than the product on the few rows of one explanation.  ``None`` when
        the input or the model is anything else (scikit-learn then computes).
        """
        if (self.type_modele != "logistique" or not isinstance(X, np.ndarray) or X.dtype != np.float64
                or X.ndim != 2 or X.shape[1] != len(car.SCHEMA)):
            return None
        return X @ self.base.coef_.T + self.base.intercept_

    def probabilites(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (n, 3) in :data:`CLASSES` order."""
        calibre = self.calibre
        # a rebuilt model (CalibrationTemperature) takes the logits; a freshly trained one predicts itself
        logits = self._logits(X) if hasattr(calibre, "probabilites_logits") else None
        if logits is None:
            return calibre.predict_proba(X)
        return calibre.probabilites_logits(logits)

    def probabilites_brutes(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated probabilities of the base model."""
        return self.base.predict_proba(X)

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Base model scores explained by the contributions (logits, or log-probabilities for the forest)."""
        if self.type_modele == "logistique":
            logits = self._logits(X)
            return self.base.decision_function(X) if logits is None else logits
        return np.log(np.clip(self.base.predict_proba(X), 1e-6, None))

    def effectifs(self, cles: np.ndarray) -> np.ndarray:
        """Number of training dossiers with each profile key."""
        if len(self.profils_cles) == 0:
            return np.zeros(len(cles), dtype=np.int64)
        pos = np.clip(np.searchsorted(self.profils_cles, cles), 0, len(self.profils_cles) - 1)
        trouve = self.profils_cles[pos] == cles
        return np.where(trouve, self.profils_effectifs[pos], 0)

    @property
    def departements(self) -> list[str]:
        """Départements whose referent orientations the model was trained on (empty: unknown)."""
        return list(self.entrainement.get("departements", []))

    def couvre(self, departements: Any) -> np.ndarray:
        """Whether each département is among the training ones (``None``: unknown, accepted)."""
        deps = np.asarray(departements, dtype=object)
        connus = self.departements
        if not connus:
            return np.ones(len(deps), dtype=bool)
        return np.array([d is None or str(d) in connus for d in deps], dtype=bool)

    def _lot_matrice(self, X: np.ndarray, seuil: Optional[float] = None,
                     departements: Any = None) -> PropositionsLot:
        P = self.probabilites(X)
        conf = P.max(axis=1)
        arg = P.argmax(axis=1)
        cles = car.profils(X)
        eff = self.effectifs(cles)
        rec = eff >= self.seuil_recurrence
        s = self.seuils[arg] if seuil is None else np.full(len(arg), float(seuil))
        couvert = np.ones(len(arg), dtype=bool) if departements is None else self.couvre(departements)
        return PropositionsLot(P, arg, conf, cles, eff, rec, rec & (conf >= s) & couvert, couvert)

    def proposer_lot(self, donnees: Any, *, seuil: Optional[float] = None, taille_bloc: int = 200_000) -> PropositionsLot:
        """Vectorised proposals for a feature matrix, a list of dossiers, or CNAF columns / pyarrow Table.

        Large column inputs are scored by blocks of ``taille_bloc`` rows to bound memory.  A
        dossier of a département the model was not trained for is never decided (dossiers and
        columns carry the département; a bare feature matrix does not: the caller checks).
        """
        colonnes = car.est_tabulaire(donnees)
        if colonnes:
            donnees = car.en_colonnes(donnees)
        n = car.longueur_colonnes(donnees) if colonnes else None
        if n is not None and n > taille_bloc:
            lots = []
            for debut in range(0, n, taille_bloc):
                if hasattr(donnees, "slice"):
                    bloc = donnees.slice(debut, taille_bloc)
                else:
                    bloc = {k: v[debut:debut + taille_bloc] for k, v in donnees.items()}
                lots.append(self._lot_matrice(vers_matrice(bloc), seuil, _departements(bloc)))
            return PropositionsLot(*(np.concatenate([getattr(l, f) for l in lots]) for f in (
                "probabilites", "parcours", "confiance", "profil", "effectif_profil", "profil_recurrent", "decide",
                "departement_couvert")))
        return self._lot_matrice(vers_matrice(donnees), seuil, _departements(donnees))

    # ----------------------------------------------------------------- one dossier

    def raison_abstention(self, parcours: int, confiance: float, effectif: int, recurrent: bool, decide: bool,
                          couvert: bool = True, departement: str = "") -> Optional[str]:
        """French reason why the model abstains (``None`` when it decides); ``parcours`` indexes CLASSES."""
        if decide:
            return None
        raisons = []
        if not couvert:
            raisons.append(f"modèle entraîné sur les orientations du département {', '.join(self.departements)}, "
                           f"pas du département {departement}")
        if not recurrent:
            raisons.append(f"profil peu fréquent dans les données d'entraînement ({effectif} dossier(s) "
                           f"comparable(s), minimum {self.seuil_recurrence})")
        seuil = float(self.seuils[parcours])
        if confiance < seuil:
            seuil_txt = "jamais atteint" if not np.isfinite(seuil) else pourcent(seuil)
            raisons.append(f"confiance du modèle insuffisante ({pourcent(confiance)} pour le "
                           f"{CLASSES[parcours].libelle}, seuil {seuil_txt})")
        return "Examen individuel par un référent : " + " ; ".join(raisons) + "."

    def proposer(self, dossier: Any) -> PropositionModele:
        """Proposal, abstention and explanation for one dossier."""
        x = car.vectoriser([dossier])
        lot = self._lot_matrice(x, departements=[dossier.departement])
        i_p = int(lot.parcours[0])
        conf = float(lot.confiance[0])
        eff = int(lot.effectif_profil[0])
        rec = bool(lot.profil_recurrent[0])
        decide = bool(lot.decide[0])
        seuil_p = float(self.seuils[i_p])
        raison = self.raison_abstention(i_p, conf, eff, rec, decide, bool(lot.departement_couvert[0]),
                                        dossier.departement)
        scores, base, contribs, exact = contrib.calculer_contributions(self, x)
        residu = scores - base - contribs.sum(axis=1)
        liste = contrib.liste_contributions(x, contribs)
        return PropositionModele(
            modele=self.nom, version=self.version, sha256=self.sha256, type_modele=self.type_modele,
            donnees_synthetiques=self.donnees_synthetiques,
            probabilites={p: float(lot.probabilites[0, k]) for k, p in enumerate(CLASSES)},
            parcours=CLASSES[i_p], confiance=conf, seuil=seuil_p,
            profil=car.libelle_profil(int(lot.profil[0])), effectif_profil=eff, profil_recurrent=rec,
            seuil_recurrence=self.seuil_recurrence, decide=decide, raison_abstention=raison,
            scores={p: float(scores[k]) for k, p in enumerate(CLASSES)},
            valeurs_de_base={p: float(base[k]) for k, p in enumerate(CLASSES)},
            residu={p: float(0.0 if exact else residu[k]) for k, p in enumerate(CLASSES)},
            contributions=liste, contributions_exactes=exact,
            methode_contributions=METHODE_EXACTE if exact else METHODE_APPROCHEE)

    # ----------------------------------------------------------------- counterfactuals

    def contrefactuels_modele(self, dossier: Any, max_changes: int = 3, max_resultats: int = 5,
                              largeur: int = 25) -> list[ContrefactuelModele]:
        """Smallest sets of answer changes that change the route or let the model decide.

        See :func:`orientation.modele.contributions.contrefactuels_modele`.
        """
        return contrib.contrefactuels_modele(self, dossier, max_changes, max_resultats, largeur)

    # ----------------------------------------------------------------- evaluation

    def evaluer(self, X: np.ndarray, y: np.ndarray, seuil: Optional[float] = None) -> dict[str, Any]:
        """Held-out metrics: agreement, coverage, per route, calibration before/after."""
        lot = self._lot_matrice(X, seuil)
        ok = lot.parcours == y
        d = lot.decide
        brut = self.probabilites_brutes(X)
        out: dict[str, Any] = {
            "n": int(len(y)),
            "accord_global": float(ok.mean()) if len(y) else float("nan"),
            "couverture": float(d.mean()) if len(y) else 0.0,
            "n_decides": int(d.sum()),
            "accord_decides": float(ok[d].mean()) if d.any() else float("nan"),
            "part_profils_recurrents": float(lot.profil_recurrent.mean()) if len(y) else 0.0,
            "par_parcours_referent": {}, "par_parcours_propose": {},
            "calibration": {
                "ece_par_classe_avant": dict(zip([p.value for p in CLASSES], ece_par_classe(brut, y))),
                "ece_par_classe_apres": dict(zip([p.value for p in CLASSES], ece_par_classe(lot.probabilites, y))),
                "brier_par_classe_avant": dict(zip([p.value for p in CLASSES], brier_par_classe(brut, y))),
                "brier_par_classe_apres": dict(zip([p.value for p in CLASSES], brier_par_classe(lot.probabilites, y))),
                "ece_confiance_avant": ece_confiance(brut, y),
                "ece_confiance_apres": ece_confiance(lot.probabilites, y),
            },
        }
        for k, p in enumerate(CLASSES):
            m = y == k
            out["par_parcours_referent"][p.value] = {
                "n": int(m.sum()), "couverture": float(d[m].mean()) if m.any() else 0.0,
                "accord_decides": float(ok[m & d].mean()) if (m & d).any() else float("nan")}
            q = lot.parcours == k
            out["par_parcours_propose"][p.value] = {
                "n_decides": int((q & d).sum()),
                "precision_decides": float(ok[q & d].mean()) if (q & d).any() else float("nan")}
        return out

    # ----------------------------------------------------------------- artifact

    def enregistrer(self, dossier: str | Path) -> Path:
        """Write the artifact (``manifeste.json``, ``parametres.json``, ``tableaux.npz``) into ``dossier``.

        Returns the manifest path.  Only the logistic model can be written (no pickle).

        See :func:`orientation.modele.artefact.ecrire`.
        """
        chemin_manifeste, self.manifeste = artefact.ecrire(self, dossier)
        self.sha256 = self.manifeste["sha256_modele"]
        return chemin_manifeste

    @classmethod
    def charger(cls, dossier: str | Path) -> "ModeleOrientation":
        """Load a model directory (or a bundled model by name, ``"demo"``), refusing anything that does not match its manifest.

        Checks the manifest, the feature schema and the SHA-256 of every file before reading
        any parameter; nothing is unpickled (an old ``modele.joblib`` is refused).  Raises :class:`~orientation.erreurs.ModeleInvalide`
        (:func:`orientation.modele.artefact.lire`).
        """
        from sklearn.pipeline import Pipeline

        kwargs = artefact.lire(chemin_modele(dossier))
        kwargs["pipeline"] = Pipeline([("vectoriseur", Vectoriseur()), ("classifieur", kwargs.pop("calibre"))])
        return cls(**kwargs)

    def __repr__(self) -> str:
        seuils = ", ".join(f"{p.value}={self.seuils[k]:.3f}" for k, p in enumerate(CLASSES))
        return (f"ModeleOrientation(nom={self.nom!r}, version={self.version!r}, type={self.type_modele!r}, "
                f"seuils=({seuils}), seuil_recurrence={self.seuil_recurrence})")


# --------------------------------------------------------------------------- loading once


@functools.lru_cache(maxsize=4)
def _charger_cache(chemin: str) -> ModeleOrientation:
    return ModeleOrientation.charger(chemin)


def charger_modele(modele: str | Path) -> ModeleOrientation:
    """Load a model once per process (cached by resolved path; :func:`vider_cache_modeles` forgets them).

    ``modele``: a model directory, or the name of a model shipped with the library (``"demo"``).
    """
    return _charger_cache(str(chemin_modele(modele).resolve()))


def vider_cache_modeles() -> None:
    """Forget every model loaded by :func:`charger_modele` (the next call re-reads the files)."""
    _charger_cache.cache_clear()


def charger_modele_defaut() -> Optional[ModeleOrientation]:
    """The configured model (cached): ``$ORIENTATION_MODELE``, or ``None`` when it is unset (no model)."""
    chemin = artefact.repertoire_modele_defaut()
    if chemin is None:
        return None
    if not (chemin / artefact.FICHIER_MANIFESTE).is_file():
        raise ModeleInvalide(f"Modèle introuvable : {chemin} (variable {artefact.VARIABLE_ENV_MODELE} ; "
                             f"modèles livrés : {', '.join(modeles_livres())}).")
    return charger_modele(chemin)
