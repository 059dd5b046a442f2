"""What the orientation model predicts: its classes (routes, in column order) and its types."""

from __future__ import annotations

from typing import Literal

from orientation.vocabulaire import Parcours

#: Routes the model predicts, in the column order of its probabilities and scores.
CLASSES: tuple[Parcours, ...] = (Parcours.professionnel, Parcours.socio_professionnel, Parcours.social)
TypeModele = Literal["logistique", "foret"]
LIBELLES_TYPE = {"logistique": "régression logistique multinomiale calibrée (température)",
                 "foret": "forêt aléatoire calibrée (isotonique)"}
