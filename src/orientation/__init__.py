"""orientation: recommend and explain the orientation of new RSA beneficiaries.

Data flow: dossier → rules → model → decision → explanation.
"""

from .decision import Decision, recommend
from .dossier import DSP, Dossier, Foyer
from .erreurs import DossierInvalide, ModeleInvalide, OrientationError, ReglesInvalides
from .explication import Explication, explain
from .vocabulaire import Modalite, Parcours, Structure

__all__ = [
    "DSP", "Dossier", "Foyer", "Decision", "Explication", "recommend", "explain",
    "Modalite", "Parcours", "Structure",
    "DossierInvalide", "ModeleInvalide", "OrientationError", "ReglesInvalides",
]
