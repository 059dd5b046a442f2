"""orientation: recommend and explain the orientation of new RSA beneficiaries."""

from .dossier import DSP, Dossier, Foyer
from .erreurs import DossierInvalide, ModeleInvalide, OrientationError, ReglesInvalides

__all__ = ["DSP", "Dossier", "Foyer", "DossierInvalide", "ModeleInvalide", "OrientationError", "ReglesInvalides"]
