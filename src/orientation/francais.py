"""French formatting of numbers and dates for everything a référent reads.

>>> pourcent(0.6941), pourcent(0.6941, 0), nombre_fr(1.234), date_fr(__import__("datetime").date(2025, 10, 20))
('69,4\u202f%', '69\u202f%', '+1,23', '20/10/2025')
"""

from __future__ import annotations

from datetime import date


def pourcent(x: float, decimales: int = 1) -> str:
    """French percentage: 0.694 -> « 69,4 % » (narrow no-break space before %)."""
    return f"{x * 100:.{decimales}f}".replace(".", ",") + "\u202f%"


def nombre_fr(x: float) -> str:
    """French signed decimal: ``1.234`` → ``+1,23``."""
    return f"{x:+.2f}".replace(".", ",")


def date_fr(d: date) -> str:
    """``JJ/MM/AAAA``."""
    return d.strftime("%d/%m/%Y")
