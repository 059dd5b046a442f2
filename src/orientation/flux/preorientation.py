"""How often a bulk run's routes agree with the CAF's pre-routing (summary and manifest of ``orientation lot``).

For each decided row, the CAF's route (``natparcomod`` when the route was modified, else
``natparcocal``) is compared with the decided route through
:data:`orientation.dossier.preorientation.EQUIVALENCES` (``PP`` -> professionnel, ``AS`` ->
socio-professionnel, ``PS`` -> social).  Four counts:

* ``concordants`` / ``discordants``: the row has a route and a pre-routing;
* ``sans_preorientation``: the flux carried no pre-routing for the row (not comparable);
* ``sans_parcours``: a pre-routing but no route decided (appointment or individual review:
  the route is decided later; not comparable).

>>> import pyarrow as pa, numpy as np
>>> t = pa.table({"natparcocal": ["PP", "AS", "", "PS"], "natparcomod": ["", "", "", "PP"]})
>>> dict(comparer(t, np.arange(4), pa.array(["professionnel", "professionnel", "social", None])))
{'concordants': 1, 'discordants': 1, 'sans_preorientation': 1, 'sans_parcours': 1}
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Optional

import numpy as np
import pyarrow as pa

from orientation.dossier.preorientation import CODES_PARCOURS, EQUIVALENCES

CATEGORIES: tuple[str, ...] = ("concordants", "discordants", "sans_preorientation", "sans_parcours")
_PAR_CODE = {code: EQUIVALENCES[nom] for code, nom in CODES_PARCOURS.items()}


def _cellules(table: pa.Table, nom: str, positions: np.ndarray) -> list[Optional[str]]:
    if nom not in table.column_names:
        return [None] * len(positions)
    return table.column(nom).take(pa.array(positions, pa.int64())).to_pylist()


def comparer(table: pa.Table, positions: np.ndarray, parcours: Any) -> Counter:
    """Counts of :data:`CATEGORIES` for the rows ``positions`` of ``table`` (input cells), decided ``parcours``."""
    calcules = _cellules(table, "natparcocal", positions)
    modifies = _cellules(table, "natparcomod", positions)
    routes = parcours.to_pylist() if hasattr(parcours, "to_pylist") else list(parcours)
    out: Counter = Counter({c: 0 for c in CATEGORIES})
    for calcule, modifie, route in zip(calcules, modifies, routes):
        caf = _PAR_CODE.get((modifie or "").strip() or (calcule or "").strip())
        if caf is None:
            out["sans_preorientation"] += 1
        elif not route:
            out["sans_parcours"] += 1
        else:
            out["concordants" if route == caf else "discordants"] += 1
    return out


def resume(compteur: Counter) -> Optional[str]:
    """French line of the run summary; ``None`` when no decided row had a pre-routing."""
    comparables = compteur["concordants"] + compteur["discordants"]
    if comparables + compteur["sans_parcours"] == 0:
        return None

    def nb(x: int) -> str:
        return f"{x:,}".replace(",", "\u202f")

    taux = compteur["concordants"] / comparables * 100 if comparables else 0.0
    part = (f"{taux:.1f}".replace(".", ",") + "\u202f%") if comparables else "—"
    return ("Pré-orientation calculée par la CAF : parcours recommandé identique pour "
            f"{nb(compteur['concordants'])} "
            f"dossier(s) sur {nb(comparables)} comparable(s) ({part} ; PP = professionnel, AS = socio-professionnel, "
            f"PS = social, parcours modifié par la CAF s'il existe) ; non comparables : "
            f"{nb(compteur['sans_parcours'])} sans parcours recommandé (rendez-vous ou examen individuel), "
            f"{nb(compteur['sans_preorientation'])} sans pré-orientation CAF.")


def manifeste(compteur: Counter) -> dict[str, Any]:
    """The counts as written in the run manifest (``taux_concordance``: share of comparable rows, or null)."""
    comparables = compteur["concordants"] + compteur["discordants"]
    return {**{c: int(compteur[c]) for c in CATEGORIES},
            "taux_concordance": round(compteur["concordants"] / comparables, 4) if comparables else None,
            "equivalences": {code: EQUIVALENCES[nom] for code, nom in CODES_PARCOURS.items()}}


__all__ = ["CATEGORIES", "comparer", "manifeste", "resume"]
