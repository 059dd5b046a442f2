"""Held-out metrics of an orientation model and the choice of its confidence threshold.

* calibration: expected calibration error per class (:func:`ece_par_classe`) and on the
  top-label confidence (:func:`ece_confiance`), Brier score per class (:func:`brier_par_classe`);
* agreement with referents against coverage for a range of thresholds
  (:func:`courbe_accord_couverture`, for plots);
* :func:`choisir_seuil`: the lowest threshold whose decided cases reach the target agreement
  with a one-sided confidence margin;
* :func:`intervalle_wilson` (confidence interval of a proportion) and :func:`indice_stabilite`
  (population stability index, for drift).

Inputs are numpy arrays: ``P`` probabilities (n, k), ``y`` class indices (n,).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


def ece_par_classe(P: np.ndarray, y: np.ndarray, bins: int = 10) -> list[float]:
    """Expected calibration error of each class (one-vs-rest, equal-width bins)."""
    out = []
    for k in range(P.shape[1]):
        out.append(_ece(P[:, k], (y == k).astype(float), bins))
    return out


def ece_confiance(P: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Top-label ECE: |confidence − accuracy| averaged over confidence bins."""
    return _ece(P.max(axis=1), (P.argmax(axis=1) == y).astype(float), bins)


def _ece(p: np.ndarray, t: np.ndarray, bins: int) -> float:
    if len(p) == 0:
        return 0.0
    b = np.minimum((p * bins).astype(int), bins - 1)
    tot = 0.0
    for i in range(bins):
        m = b == i
        if m.any():
            tot += abs(p[m].mean() - t[m].mean()) * m.sum()
    return float(tot / len(p))


def brier_par_classe(P: np.ndarray, y: np.ndarray) -> list[float]:
    return [float(np.mean((P[:, k] - (y == k)) ** 2)) for k in range(P.shape[1])]


def courbe_accord_couverture(P: np.ndarray, y: np.ndarray, recurrent: np.ndarray,
                             seuils: Optional[Sequence[float]] = None) -> list[dict[str, float]]:
    """Agreement on decided cases and coverage for a range of thresholds (for plots)."""
    if seuils is None:
        seuils = np.round(np.linspace(0.34, 0.99, 66), 3)
    conf = P.max(axis=1)
    ok = P.argmax(axis=1) == y
    out = []
    for s in seuils:
        d = recurrent & (conf >= s)
        out.append({"seuil": float(s), "couverture": float(d.mean()) if len(d) else 0.0,
                    "accord": float(ok[d].mean()) if d.any() else float("nan"), "n_decides": int(d.sum())})
    return out


def choisir_seuil(confiance: np.ndarray, correct: np.ndarray, eligible: np.ndarray, cible: float,
                  marge_z: float = 1.0, effectif_min: int = 30) -> tuple[float, dict[str, float]]:
    """Lowest confidence threshold whose decided eligible cases reach ``cible`` agreement.

    Candidates are the distinct confidences of eligible cases, from the highest down; at each
    one, the decided set is every eligible case at least that confident.  Agreement must reach
    the target with a one-sided Wilson lower bound (``marge_z``; 0 = point estimate) on at
    least ``effectif_min`` cases.  The threshold returned is halfway between the chosen
    confidence and the next lower one, so no validation case sits on it.  If no threshold
    qualifies, returns ``inf`` (the model never decides).
    """
    c = confiance[eligible]
    ok = correct[eligible].astype(float)
    if len(c) == 0:
        return float("inf"), {"accord_validation": float("nan"), "couverture_validation": 0.0}
    ordre = np.argsort(-c, kind="stable")
    c, ok = c[ordre], ok[ordre]
    cum = np.cumsum(ok)
    nb = np.arange(1, len(c) + 1)
    # only positions where the next confidence is strictly lower (ties are decided together)
    fin = np.r_[c[1:] < c[:-1], True]
    p = cum / nb
    z2 = marge_z ** 2
    borne = (p + z2 / (2 * nb) - marge_z * np.sqrt(p * (1 - p) / nb + z2 / (4 * nb ** 2))) / (1 + z2 / nb)
    valides = np.flatnonzero(fin & (borne >= cible) & (nb >= effectif_min))
    if len(valides) == 0:
        return float("inf"), {"accord_validation": float("nan"), "couverture_validation": 0.0}
    j = int(valides.max())
    suivant = c[j + 1] if j + 1 < len(c) else c[j] - 1e-6
    seuil = float((c[j] + suivant) / 2)
    return seuil, {"accord_validation": float(p[j]), "couverture_validation": float(nb[j] / len(eligible)),
                   "n_decides_validation": int(nb[j])}


def intervalle_wilson(k: int, n: int, niveau: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (scipy's ``binomtest``); ``(nan, nan)`` when ``n == 0``."""
    if n <= 0:
        return float("nan"), float("nan")
    from scipy.stats import binomtest

    ic = binomtest(int(k), int(n)).proportion_ci(confidence_level=niveau, method="wilson")
    return float(ic.low), float(ic.high)


def indice_stabilite(attendus: Sequence[float], observes: Sequence[float], plancher: float = 1e-4) -> float:
    """Population stability index between two count (or share) vectors over the same bins.

    PSI = Σ (o − a) · ln(o / a) on shares, each share floored at ``plancher`` so that an empty
    bin counts without being infinite.  Usual reading (a rule of thumb from credit scoring,
    not a statistical test): below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 large shift.
    """
    a = np.asarray(attendus, dtype=np.float64)
    o = np.asarray(observes, dtype=np.float64)
    if a.sum() <= 0 or o.sum() <= 0:
        return float("nan")
    a = np.maximum(a / a.sum(), plancher)
    o = np.maximum(o / o.sum(), plancher)
    return float(np.sum((o - a) * np.log(o / a)))
