"""What a block of a flux becomes once read: string columns (:class:`Flux`) and refused rows (:class:`Rejet`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pyarrow as pa

from orientation.erreurs import OrientationError

#: Columns of the rejects file.
COLONNES_REJETS: tuple[str, ...] = ("ligne", "identifiant", "champ", "valeur", "raison")
#: Columns added to the rejects file of an XML flux: rank of the record (``InfoDemandeRSA``, from 1)
#: and line of the start tag of its ``Personne`` (of the ``InfoDemandeRSA`` for a whole record).
COLONNES_POSITION_XML: tuple[str, ...] = ("enregistrement", "ligne_balise")


class FluxInvalide(OrientationError, ValueError):
    """The flux file as a whole cannot be processed (empty, unreadable, required column missing)."""


@dataclass(frozen=True)
class Rejet:
    """One field error of one input row."""

    ligne: int
    identifiant: str
    champ: str
    valeur: Any
    raison: str
    #: XML: where the row is in the file (see :data:`COLONNES_POSITION_XML`)
    enregistrement: Optional[int] = None
    ligne_balise: Optional[int] = None

    def cellules(self, position: bool = False) -> list[str]:
        """The cells of the rejects file (``position``: with :data:`COLONNES_POSITION_XML`)."""
        v = self.valeur
        if v is None:
            texte = ""
        elif isinstance(v, str):
            texte = v
        else:
            try:
                texte = json.dumps(v, ensure_ascii=False, default=str)
            except (TypeError, ValueError, RecursionError):  # pragma: no cover - defensive
                texte = str(v)
        cellules = [str(self.ligne), self.identifiant, self.champ, texte, self.raison]
        if position:
            cellules += ["" if x is None else str(x) for x in (self.enregistrement, self.ligne_balise)]
        return cellules


@dataclass
class Flux:
    """A flux (or one block of it) read into string columns (CNAF keys, and the extra keys a reader asked for),
    with what could not be read."""

    table: pa.Table
    lignes: np.ndarray  # line number of each row of ``table``
    rejets: list[Rejet] = field(default_factory=list)  # rows refused while reading
    colonnes_ignorees: list[str] = field(default_factory=list)
    #: rows whose raw values are not plain text (JSON arrays, numbers...): row -> raw record
    bruts: dict[int, dict[str, Any]] = field(default_factory=dict)
    avec_departement: bool = True
    #: XML: row rank -> where the row is in the file (record rank, start-tag line), given to its rejects
    positions: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def nb_lignes(self) -> int:
        """Rows in the input (decidable or refused while reading)."""
        return self.table.num_rows + len({r.ligne for r in self.rejets})


def identifiant_lisible(v: Any) -> str:
    """The identifier of a row when it is safe to repeat (plain ASCII, short), else "" (no personal data)."""
    if isinstance(v, str):
        v = v.strip()
        if 0 < len(v) <= 64 and all(c.isalnum() or c in "_.-" for c in v) and v.isascii():
            return v
    return ""


__all__ = ["COLONNES_POSITION_XML", "COLONNES_REJETS", "Flux", "FluxInvalide", "Rejet", "identifiant_lisible"]
