"""orientation: recommend and explain the orientation of new RSA beneficiaries.

Data flow: dossier → rules → model → decision → explanation.
"""

from orientation.decision import Decision, recommend
from orientation.dossier import DSP, Dossier, Foyer
from orientation.erreurs import DossierInvalide, ModeleInvalide, OrientationError, ReglesInvalides
from orientation.explication import Explication, explain
from orientation.vocabulaire import Modalite, Parcours, Structure

__all__ = [
    "DSP", "Dossier", "Foyer", "Decision", "Explication", "recommend", "explain",
    "Modalite", "Parcours", "Structure",
    "DossierInvalide", "ModeleInvalide", "OrientationError", "ReglesInvalides",
]
