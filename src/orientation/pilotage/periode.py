"""The reporting period (whole months) and the date the data stop (« date d'arrêt »).

A person belongs to an indicator's population when the event that starts its clock falls within
the period; events are observed up to the date d'arrêt included (default: the last day of the
period; give the extraction date when the data were extracted earlier, or a later date to judge
the last months' cohorts on more complete data).  Events dated after it count as not happened.

>>> p = Periode.depuis_texte("2024-01:2024-02")
>>> p.debut.isoformat(), p.fin.isoformat(), p.arret.isoformat(), p.mois
('2024-01-01', '2024-02-29', '2024-02-29', ['2024-01', '2024-02'])
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Optional

from orientation.erreurs import OrientationError

_MOIS = re.compile(r"(\d{4})-(\d{2})")
_NOMS_MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")
_ABREGES = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


class PeriodeInvalide(OrientationError, ValueError):
    """The period or the date d'arrêt given is invalid (French message naming the option and value)."""


def libelle_mois(mois: str) -> str:
    """``"2025-02"`` → ``"février 2025"``."""
    annee, numero = mois.split("-")
    return f"{_NOMS_MOIS[int(numero) - 1]} {annee}"


def libelle_mois_court(mois: str) -> str:
    """``"2025-02"`` → ``"févr. 2025"`` (usual French abbreviations, for plot axes)."""
    annee, numero = mois.split("-")
    return f"{_ABREGES[int(numero) - 1]} {annee}"


def mois_de(d: date) -> str:
    """The month key of a date: ``AAAA-MM``."""
    return d.isoformat()[:7]


@dataclass(frozen=True)
class Periode:
    debut: date
    fin: date
    arret: date

    @classmethod
    def depuis_texte(cls, texte: str, arret: Optional[str] = None) -> "Periode":
        """``AAAA-MM:AAAA-MM`` (or one month ``AAAA-MM``), and an optional date d'arrêt ``AAAA-MM-JJ``."""
        morceaux = texte.strip().split(":")
        bornes = []
        for m in morceaux:
            trouve = _MOIS.fullmatch(m.strip())
            if len(morceaux) > 2 or not trouve or not 1 <= int(trouve.group(2)) <= 12 or int(trouve.group(1)) < 1900:
                raise PeriodeInvalide(f"option --periode, valeur {texte!r} : attendu AAAA-MM:AAAA-MM "
                                      "(par exemple 2025-01:2025-12), mois de 01 à 12")
            bornes.append((int(trouve.group(1)), int(trouve.group(2))))
        (a1, m1), (a2, m2) = bornes[0], bornes[-1]
        debut, fin = date(a1, m1, 1), date(a2, m2, calendar.monthrange(a2, m2)[1])
        if fin < debut:
            raise PeriodeInvalide(f"option --periode, valeur {texte!r} : le mois de fin précède le mois de début")
        date_arret = fin
        if arret is not None:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", arret.strip()):
                    raise ValueError
                date_arret = date.fromisoformat(arret.strip())
            except ValueError:
                raise PeriodeInvalide(f"option --arret, valeur {arret!r} : date invalide, attendu AAAA-MM-JJ") \
                    from None
            if date_arret < debut:
                raise PeriodeInvalide(f"option --arret, valeur {arret!r} : la date d'arrêt précède le début de la "
                                      f"période ({debut.isoformat()})")
        return cls(debut, fin, date_arret)

    @property
    def mois(self) -> list[str]:
        """Every month of the period, in order (``AAAA-MM``)."""
        out, (a, m) = [], (self.debut.year, self.debut.month)
        while (a, m) <= (self.fin.year, self.fin.month):
            out.append(f"{a:04d}-{m:02d}")
            a, m = (a + 1, 1) if m == 12 else (a, m + 1)
        return out

    def contient(self, d: date) -> bool:
        return self.debut <= d <= self.fin

    def observe(self, d: Optional[date]) -> Optional[date]:
        """``d`` if it happened by the date d'arrêt, else ``None`` (not happened yet at that date)."""
        return d if d is not None and d <= self.arret else None
