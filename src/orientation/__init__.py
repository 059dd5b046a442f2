"""orientation: recommend and explain the orientation of new RSA beneficiaries.

Data flow: dossier → rules → model → decision → explanation.  Configuration (rules directory,
model, caches): :class:`Orientateur` and :mod:`orientation.configuration`.

The public names below are imported on first use (PEP 562), so that ``import orientation`` and
the command line start fast and a Ctrl-C during start-up is handled by the command.

>>> from orientation import Dossier, recommend
>>> recommend.__module__
'orientation.decision'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "VARIABLES_ENVIRONNEMENT": "orientation.configuration", "vider_caches": "orientation.configuration",
    "Decision": "orientation.decision", "recommend": "orientation.decision",
    "DSP": "orientation.dossier", "Dossier": "orientation.dossier", "Foyer": "orientation.dossier",
    "ConfigurationInvalide": "orientation.erreurs", "DossierInvalide": "orientation.erreurs",
    "ModeleInvalide": "orientation.erreurs", "OrientationError": "orientation.erreurs",
    "ReglesInvalides": "orientation.erreurs",
    "Explication": "orientation.explication", "explain": "orientation.explication",
    "ModeleOrientation": "orientation.modele.modele",
    "Orientateur": "orientation.orientateur",
    "Referentiel": "orientation.regles.referentiel",
    "Modalite": "orientation.vocabulaire", "Parcours": "orientation.vocabulaire", "Structure": "orientation.vocabulaire",
}

__all__ = list(_EXPORTS)


def __getattr__(nom: str) -> Any:
    module = _EXPORTS.get(nom)
    if module is None:
        raise AttributeError(f"module 'orientation' has no attribute {nom!r}")
    valeur = getattr(importlib.import_module(module), nom)
    globals()[nom] = valeur  # imported once
    return valeur


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and readers: the same names, imported eagerly
    from orientation.configuration import VARIABLES_ENVIRONNEMENT, vider_caches
    from orientation.decision import Decision, recommend
    from orientation.dossier import DSP, Dossier, Foyer
    from orientation.erreurs import (ConfigurationInvalide, DossierInvalide, ModeleInvalide, OrientationError,
                                     ReglesInvalides)
    from orientation.explication import Explication, explain
    from orientation.modele.modele import ModeleOrientation
    from orientation.orientateur import Orientateur
    from orientation.regles.referentiel import Referentiel
    from orientation.vocabulaire import Modalite, Parcours, Structure
