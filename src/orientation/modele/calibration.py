"""Temperature-calibrated logistic model rebuilt from plain numbers (no pickle).

A trained logistic orientation model is a multinomial :class:`~sklearn.linear_model.LogisticRegression`
(coefficients, intercepts) calibrated by temperature scaling
(:class:`~sklearn.calibration.CalibratedClassifierCV` with ``method="temperature"``: one inverse
temperature ``beta``).  :func:`parametres_logistique` extracts those numbers from the trained
objects; :func:`reconstruire` rebuilds a real ``LogisticRegression`` and a
:class:`CalibrationTemperature` giving the same probabilities as the trained objects (same
formula as scikit-learn 1.9: ``softmax(beta * logits)``), so a model artifact never needs to
execute code to be loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin


class CalibrationTemperature(ClassifierMixin, BaseEstimator):
    """Calibrated probabilities ``softmax(beta * logits)`` of a fitted linear classifier."""

    def __init__(self, estimateur: Any = None, beta: float = 1.0):
        self.estimateur = estimateur
        self.beta = beta

    @property
    def classes_(self) -> np.ndarray:
        return self.estimateur.classes_

    def fit(self, X: Any, y: Any = None) -> "CalibrationTemperature":
        """Already fitted: rebuilt from a trained model's numbers (fitting would change them)."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.probabilites_logits(self.estimateur.decision_function(X))

    def probabilites_logits(self, logits: Any) -> np.ndarray:
        """Calibrated probabilities from the estimator's ``decision_function`` output."""
        d = np.asarray(logits, dtype=np.float64)
        # scikit-learn reads a (n, k) response whose entries all lie in [0, 1] and whose rows
        # sum to 1 as probabilities, and takes their log (sklearn.calibration._convert_to_logits);
        # kept so that the probabilities are exactly those of the trained objects.
        if d.ndim == 2 and d.shape[1] > 1 and np.all((d >= 0) & (d <= 1)) and np.all(np.isclose(d.sum(axis=1), 1.0)):
            d = np.log(d + 1e-12)
        return softmax(float(self.beta) * d, axis=1)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def parametres_logistique(base: Any, calibre: Any) -> dict[str, Any]:
    """Plain numbers of a trained logistic model: ``coef``, ``intercept`` (arrays), ``beta``, ``hyperparametres``.

    ``calibre`` is the trained ``CalibratedClassifierCV`` (temperature, one calibrator) or a
    :class:`CalibrationTemperature`.  Raises ``ValueError`` for anything else.
    """
    if isinstance(calibre, CalibrationTemperature):
        beta = float(calibre.beta)
    else:
        ccs = getattr(calibre, "calibrated_classifiers_", None)
        if not ccs or len(ccs) != 1 or getattr(ccs[0], "method", None) != "temperature":
            raise ValueError("calibration non reconnue : seule la calibration par température d'un unique "
                             "calibrateur peut être enregistrée sans pickle")
        beta = float(ccs[0].calibrators[0].beta_)
    if not list(np.asarray(base.classes_).tolist()) == [0, 1, 2]:
        raise ValueError(f"classes inattendues {base.classes_!r} (attendu 0, 1, 2)")
    params = {k: v for k, v in base.get_params().items()
              if k in ("C", "max_iter", "tol", "fit_intercept", "l1_ratio", "solver")}
    return {"coef": np.asarray(base.coef_, dtype=np.float64), "intercept": np.asarray(base.intercept_, dtype=np.float64),
            "beta": beta, "hyperparametres": params}


def reconstruire(coef: np.ndarray, intercept: np.ndarray, beta: float,
                 hyperparametres: dict[str, Any]) -> tuple[Any, CalibrationTemperature]:
    """(``LogisticRegression`` with these coefficients, its temperature calibration)."""
    from sklearn.linear_model import LogisticRegression

    base = LogisticRegression(**hyperparametres)
    base.classes_ = np.arange(coef.shape[0])
    base.coef_ = np.ascontiguousarray(coef, dtype=np.float64)
    base.intercept_ = np.ascontiguousarray(intercept, dtype=np.float64)
    base.n_features_in_ = coef.shape[1]
    base.n_iter_ = np.zeros(1, dtype=np.int32)
    return base, CalibrationTemperature(base, beta)
