"""Periods of validity of rules, grids and grid lines (``en_vigueur: {du: ..., au: ...}``).

A period is a closed interval of dates, each bound optional (``du`` absent: since always;
``au`` absent: until further notice).  A référentiel applies, for a dossier, the rules in force
at a date (its request date by default), as OpenFisca and Publicodes date their parameters.

:func:`segments` cuts the time line at every bound of a set of periods: within one segment the
set of items in force is constant, so a référentiel builds one version of its rules per segment.

>>> p = lire_periode({"du": "2025-01-01"}, "f.yaml", "r")
>>> p.contient(date(2024, 12, 31)), p.contient(date(2025, 1, 1)), p.libelle()
(False, True, 'depuis le 01/01/2025')
>>> [s.libelle() for s in segments([p, Periode(date(2024, 1, 1), date(2025, 6, 30))])]
['jusqu’au 31/12/2023', 'du 01/01/2024 au 31/12/2024', 'du 01/01/2025 au 30/06/2025', 'depuis le 01/07/2025']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Optional

from orientation.erreurs import ReglesInvalides


@dataclass(frozen=True)
class Periode:
    """Closed interval ``[du, au]`` of dates; ``None`` bounds are open."""

    du: Optional[date] = None
    au: Optional[date] = None

    @property
    def toujours(self) -> bool:
        """No bound at all (the default of an undated item)."""
        return self.du is None and self.au is None

    def contient(self, d: date) -> bool:
        return (self.du is None or self.du <= d) and (self.au is None or d <= self.au)

    def inclut(self, autre: "Periode") -> bool:
        """Whether every date of ``autre`` is in this period."""
        debut_ok = self.du is None or (autre.du is not None and self.du <= autre.du)
        fin_ok = self.au is None or (autre.au is not None and autre.au <= self.au)
        return debut_ok and fin_ok

    def intersection(self, autre: "Periode") -> Optional["Periode"]:
        """The dates of both periods, or None if they have none in common."""
        du = max((d for d in (self.du, autre.du) if d is not None), default=None)
        au = min((d for d in (self.au, autre.au) if d is not None), default=None)
        if du is not None and au is not None and au < du:
            return None
        return Periode(du, au)

    def chevauche(self, autre: "Periode") -> bool:
        return self.intersection(autre) is not None

    def libelle(self) -> str:
        """French wording (« du 01/01/2025 au 31/12/2025 », « depuis le ... », « jusqu’au ... »)."""
        if self.du is not None and self.au is not None:
            return f"du {_fr(self.du)} au {_fr(self.au)}"
        if self.du is not None:
            return f"depuis le {_fr(self.du)}"
        if self.au is not None:
            return f"jusqu’au {_fr(self.au)}"
        return "sans limite de date"


TOUJOURS = Periode()


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _date(v: Any, cle: str, fichier: str, rid: Optional[str]) -> date:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise ReglesInvalides(fichier, rid, f"« en_vigueur.{cle} » doit être une date AAAA-MM-JJ, reçu {v!r}")


def lire_periode(brut: Any, fichier: str, rid: Optional[str]) -> Periode:
    """Parse the value of an ``en_vigueur`` key (``{du: AAAA-MM-JJ, au: AAAA-MM-JJ}``, each optional).

    Raises :class:`ReglesInvalides` (file, rule) for an unknown key, a malformed date, an empty
    mapping or ``au`` before ``du``.
    """
    if not isinstance(brut, dict) or not brut:
        raise ReglesInvalides(fichier, rid, "« en_vigueur » attend « {du: AAAA-MM-JJ, au: AAAA-MM-JJ} » "
                              f"(au moins l'une des deux dates), reçu {brut!r}")
    inconnues = set(brut) - {"du", "au"}
    if inconnues:
        raise ReglesInvalides(fichier, rid, f"clé(s) inconnue(s) dans « en_vigueur » : "
                              f"{', '.join(sorted(map(str, inconnues)))} (clés admises : du, au)")
    du = _date(brut["du"], "du", fichier, rid) if brut.get("du") is not None else None
    au = _date(brut["au"], "au", fichier, rid) if brut.get("au") is not None else None
    if du is None and au is None:
        raise ReglesInvalides(fichier, rid, "« en_vigueur » doit donner « du », « au » ou les deux")
    if du is not None and au is not None and au < du:
        raise ReglesInvalides(fichier, rid, f"« en_vigueur » : la fin ({au.isoformat()}) précède le début "
                              f"({du.isoformat()})")
    return Periode(du, au)


def segments(periodes: Iterable[Periode]) -> list[Periode]:
    """Consecutive periods covering all time, cut at every bound of ``periodes``.

    Within one segment, each of ``periodes`` either contains every date or none.
    """
    coupures = sorted({p.du for p in periodes if p.du is not None}
                      | {p.au + timedelta(days=1) for p in periodes if p.au is not None and p.au < date.max})
    if not coupures:
        return [TOUJOURS]
    out = [Periode(None, coupures[0] - timedelta(days=1))]
    for a, b in zip(coupures, coupures[1:]):
        out.append(Periode(a, b - timedelta(days=1)))
    out.append(Periode(coupures[-1], None))
    return out


def representant(segment: Periode) -> date:
    """A date inside the segment (its first day, or its last for the open-started one)."""
    if segment.du is not None:
        return segment.du
    return segment.au if segment.au is not None else date(2000, 1, 1)
