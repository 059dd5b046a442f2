"""Orientateur: one explicit configuration (rules + model) with ``recommend()`` and ``explain()``.

>>> from orientation.dossier.schema import Dossier, EXEMPLE_CNAF
>>> o = Orientateur.charger(modele="demo")        # the demo model, trained on SYNTHETIC data
>>> o.recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF)).modalite.value
'rdv_obligatoire'
>>> o.modele_charge                               # a rule decided: the model was not loaded
False
>>> Orientateur.charger().modele_configure        # nothing asked for, no ORIENTATION_MODELE: no model
False
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from orientation.configuration import SourceModele, SpecModele, referentiel
from orientation.decision import Decision, executer
from orientation.dossier.schema import Dossier
from orientation.explication.construction import Explication, explain
from orientation.modele.modele import ModeleOrientation
from orientation.regles.referentiel import Referentiel, dossier_regles_defaut


class Orientateur:
    """Rules and model chosen once, applied to every dossier.

    Build it with :meth:`charger`.  The rules of each département are read once per process
    (cache shared with :meth:`Referentiel.charger`); the model is loaded at the first dossier
    that needs it (no rule sets its modality, scenario 4), then kept.
    """

    def __init__(self, regles: Path, modele: SpecModele):
        self.regles = regles
        self._source = SourceModele(modele)

    @classmethod
    def charger(cls, regles: str | Path | None = None, modele: SpecModele = None) -> "Orientateur":
        """The configuration: ``regles`` (rules directory; default ``$ORIENTATION_REGLES``, else the bundled
        rules) and ``modele`` (a model directory, ``"demo"``, a loaded :class:`ModeleOrientation`, ``False``
        for none; default ``$ORIENTATION_MODELE``, else none). Environment variables are read now."""
        return cls(Path(regles) if regles is not None else dossier_regles_defaut(), modele)

    @property
    def modele_configure(self) -> bool:
        """Whether a model is configured (profiles no rule catches may then be oriented directly)."""
        return self._source.configure

    @property
    def modele_charge(self) -> bool:
        """Whether the model has been loaded yet."""
        return self._source.charge is not None

    @property
    def modele(self) -> Optional[ModeleOrientation]:
        """The model, loaded now if needed (``None``: no model configured)."""
        return self._source.obtenir()

    def referentiel(self, departement: str) -> Referentiel:
        """The rules of one département under this configuration."""
        return referentiel(departement, self.regles)

    def recommend(self, dossier: Dossier) -> Decision:
        """Recommend an orientation for one dossier (see :func:`orientation.recommend`)."""
        return executer(dossier, self.regles, self._source).decision

    def explain(self, dossier: Dossier) -> Explication:
        """Explain the recommendation for one dossier (see :func:`orientation.explain`)."""
        return explain(dossier, self.regles, self._source)

    def __repr__(self) -> str:
        return f"Orientateur(regles={str(self.regles)!r}, modele={self._source!r})"

