"""Where the events come from: the :class:`SourceEvenements` interface and its sources.

Today: :class:`SourceFichier` (the events file of :mod:`orientation.pilotage.evenements`).  Later:
the workspace's database (decisions, appointments held, dates), another class with the same two
members; until it exists, :func:`source_base` refuses clearly.
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


def source_base(url: str) -> SourceEvenements:
    """The workspace database source: not built yet (the workspace is under construction)."""
    raise SourceIndisponible(
        "la source « base de données » (--base) n'est pas encore disponible : l'espace de travail qui la fournira "
        "est en cours de construction. Utiliser --depuis avec un fichier d'événements (voir le README, "
        "« Indicateurs de la convention »).")
