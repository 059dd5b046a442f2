"""orientation: recommend and explain the orientation of new RSA beneficiaries.

Data flow: dossier → rules → model → decision → explanation.  Configuration (rules directory,
model, caches): :class:`Orientateur` and :mod:`orientation.configuration`.
"""

from orientation.configuration import VARIABLES_ENVIRONNEMENT, vider_caches
from orientation.decision import Decision, recommend
from orientation.dossier import DSP, Dossier, Foyer
from orientation.erreurs import (
    ConfigurationInvalide,
    DossierInvalide,
    ModeleInvalide,
    OrientationError,
    ReglesInvalides,
)
from orientation.explication import Explication, explain
from orientation.modele.modele import ModeleOrientation
from orientation.orientateur import Orientateur
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Modalite, Parcours, Structure

__all__ = [
    "DSP", "Dossier", "Foyer", "Decision", "Explication", "recommend", "explain",
    "Orientateur", "Referentiel", "ModeleOrientation", "VARIABLES_ENVIRONNEMENT", "vider_caches",
    "Modalite", "Parcours", "Structure",
    "ConfigurationInvalide", "DossierInvalide", "ModeleInvalide", "OrientationError", "ReglesInvalides",
]
