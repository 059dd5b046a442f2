"""What a person's file is: CNAF code tables, the ``Dossier`` schema, CNAF and flat-file conversions.

The bottom layer: it imports nothing else from the package but ``erreurs`` and ``vocabulaire``.
"""

from orientation.dossier.schema import DSP, Dossier, Foyer

__all__ = ["DSP", "Dossier", "Foyer"]
