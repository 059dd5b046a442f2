"""The statistical layer: features, the calibrated orientation model, its training and the
synthetic data used to demonstrate it.

Depends on :mod:`orientation.dossier.schema` only.
"""

# The demo artifact (models/demo, pickled before the package was laid out) names this class
# at ``orientation.modele.Vectoriseur``.
from orientation.modele.modele import Vectoriseur

__all__ = ["Vectoriseur"]
