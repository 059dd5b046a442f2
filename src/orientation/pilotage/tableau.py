"""The indicator table as CSV: one row per indicator and group, columns documented in :data:`COLONNES_CSV`.

UTF-8, comma-separated, decimal point; rates are fractions (0.75 = 75 %), delays whole or
decimal days; an empty cell means « not applicable » (no threshold, or nobody to compute it on).
"""

from __future__ import annotations

import csv
import io
from typing import Optional, Sequence

from orientation.pilotage.calcul import Ligne

#: Columns of the CSV table and their meaning (French, shown in the README).
COLONNES_CSV: dict[str, str] = {
    "indicateur": "identifiant de l'indicateur (voir le rapport)",
    "libelle": "libellé de l'indicateur",
    "famille": "objectifs DITP, délais légaux, rdv-insertion ou rapport d'exécution",
    "seuil": "seuil de délai (« 14 jours », « 1 mois ») ; vide pour un taux sans seuil",
    "cible": "cible en fraction (0.9 = 90 %) ; vide sans cible",
    "niveau": "« ensemble » (toute la période) ou « detail » (un groupe de la ventilation)",
    "mois": "mois de l'événement de départ (AAAA-MM) ; vide si le tableau n'est pas ventilé par mois",
    "structure": "structure référente ; « pas encore orienté » ; vide si non ventilé par structure",
    "parcours": "parcours ; « pas encore orienté » ; vide si non ventilé par parcours",
    "population": "personnes dont l'événement de départ est dans la période (et le groupe)",
    "dans_delai": "arrivées au plus tard à l'échéance",
    "hors_delai": "arrivées après l'échéance, ou pas encore arrivées alors que l'échéance est passée",
    "en_cours": "pas encore arrivées, échéance postérieure à la date d'arrêt (pas encore jugeables)",
    "survenus": "personnes dont l'événement d'arrivée est survenu au plus tard à la date d'arrêt",
    "pas_encore": "personnes dont l'événement d'arrivée n'est pas encore survenu à la date d'arrêt",
    "taux": "dans_delai / (dans_delai + hors_delai) pour un seuil ; survenus / population sinon",
    "delai_moyen_observe": "moyenne des délais survenus, en jours",
    "delai_median_observe": "médiane des délais survenus (rang ⌈n/2⌉), en jours",
    "delai_p90_observe": "90e centile des délais survenus (rang ⌈0,9 n⌉), en jours",
    "delai_moyen_tous": "moyenne sur toute la population, délais pas encore survenus comptés au temps écoulé",
    "delai_moyen_tous_minimum": "1 : la moyenne de tous est un minimum (des délais ne sont pas encore survenus)",
    "delai_median_tous": "médiane de toute la population (exacte, ou minimum)",
    "delai_median_tous_minimum": "1 : la médiane de tous est un minimum ; 0 : elle est exacte",
    "delai_p90_tous": "90e centile de toute la population (exact, ou minimum)",
    "delai_p90_tous_minimum": "1 : le 90e centile de tous est un minimum ; 0 : il est exact",
}


def _n(x: Optional[float], decimales: int = 6) -> str:
    if x is None:
        return ""
    return str(x) if isinstance(x, int) else repr(round(x, decimales))


def _q(q: Optional[tuple[int, bool]]) -> tuple[str, str]:
    return ("", "") if q is None else (str(q[0]), "1" if q[1] else "0")


def lignes_csv(lignes: Sequence[Ligne]) -> list[dict[str, str]]:
    """The table's rows as CSV cells."""
    out = []
    for l in lignes:
        i, g, d = l.indicateur, dict(l.groupe), l.delais
        median, median_min = _q(d.mediane_tous)
        p90, p90_min = _q(d.p90_tous)
        out.append({
            "indicateur": i.id, "libelle": i.libelle, "famille": i.famille, "seuil": i.seuil,
            "cible": _n(i.cible), "niveau": "detail" if l.groupe else "ensemble",
            "mois": g.get("mois", ""), "structure": g.get("structure", ""), "parcours": g.get("parcours", ""),
            "population": str(l.population), "dans_delai": _n(l.dans_delai), "hors_delai": _n(l.hors_delai),
            "en_cours": _n(l.en_cours), "survenus": str(l.survenus), "pas_encore": str(l.pas_encore),
            "taux": _n(l.taux), "delai_moyen_observe": _n(d.moyenne, 2), "delai_median_observe": _n(d.mediane),
            "delai_p90_observe": _n(d.p90), "delai_moyen_tous": _n(d.moyenne_tous, 2),
            "delai_moyen_tous_minimum": "" if d.moyenne_tous is None else ("1" if d.censures else "0"),
            "delai_median_tous": median, "delai_median_tous_minimum": median_min,
            "delai_p90_tous": p90, "delai_p90_tous_minimum": p90_min,
        })
    return out


def texte_csv(lignes: Sequence[Ligne]) -> str:
    """The whole CSV text (header included)."""
    tampon = io.StringIO()
    w = csv.DictWriter(tampon, fieldnames=list(COLONNES_CSV), lineterminator="\n")
    w.writeheader()
    w.writerows(lignes_csv(lignes))
    return tampon.getvalue()
