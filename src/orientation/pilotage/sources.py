"""Where the events come from: the :class:`SourceEvenements` interface and its sources.

:class:`SourceFichier` (the events file of :mod:`orientation.pilotage.evenements`) and the workspace's
database (:class:`orientation.pilotage.base_espace.SourceBase`, built by :func:`source_base`, which
imports SQLAlchemy only when asked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from orientation.erreurs import OrientationError
from orientation.pilotage.evenements import LectureEvenements, lire_fichier


class SourceIndisponible(OrientationError, ValueError):
    """The requested source cannot be used (yet)."""


@runtime_checkable
class SourceEvenements(Protocol):
    """A source of persons' events for the indicators.

    ``description`` names the source in the report (a file name, a database name: never personal
    data); ``lire()`` returns every person with the rows it could not use, counted.
    """

    @property
    def description(self) -> str: ...

    def lire(self) -> LectureEvenements: ...


class SourceFichier:
    """The events file (CSV, UTF-8): see :mod:`orientation.pilotage.evenements` for its contract."""

    def __init__(self, chemin: Path) -> None:
        self.chemin = Path(chemin)

    @property
    def description(self) -> str:
        return f"fichier d'événements {self.chemin.name}"

    def lire(self) -> LectureEvenements:
        return lire_fichier(self.chemin)


def source_base(url: str, departement: str | None) -> SourceEvenements:
    """The workspace database source of ``departement`` (required: a database holds several départements)."""
    if not departement:
        raise SourceIndisponible("option --departement obligatoire avec --base : la base de l'espace référent peut "
                                 "contenir plusieurs départements (par exemple --departement 93)")
    from orientation.pilotage.base_espace import SourceBase

    return SourceBase(url, departement)
