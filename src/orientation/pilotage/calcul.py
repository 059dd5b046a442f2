"""Indicator figures: statuses, rates and delay statistics, by month of the starting event and breakdowns.

Censored persons (end event not happened by the date d'arrêt) are never dropped:

* in a rate within a threshold they count as « hors délai » once the deadline has passed at the
  date d'arrêt, and as « en cours » (not yet judgeable, outside the rate's denominator) before;
* in a rate without threshold they count as « pas encore » (inside the denominator);
* delays: statistics of the **observed** delays are given on their own (mean, median, 90th
  percentile); over **everybody**, a censored delay is only known to be at least the time elapsed
  to the date d'arrêt: the mean is then a lower bound (« au moins »), and a quantile is given
  exactly only when it is determined whatever the censored delays turn out to be, otherwise as
  « au moins » its lower bound.

Quantiles use the rank method: the value of rank ⌈q × n⌉ in increasing order (so a median is
always a delay that was really observed, the lower middle one for an even count).

>>> quantile_rang([3, 1, 2, 4], 0.5), quantile_rang([3, 1, 2, 4], 0.9)
(2, 4)
>>> quantile_tous([10, 20], [5], 0.5)   # rank 2 of 3: 10 ≤ x ≤ 20 depending on the censored one
(10, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Literal, Optional, Sequence

from orientation.pilotage.definitions import INDICATEURS, Indicateur
from orientation.pilotage.evenements import Personne
from orientation.pilotage.periode import Periode, libelle_mois, mois_de
from orientation.vocabulaire import Parcours, Structure

#: Breakdowns accepted by ``--par`` and their French names.
DIMENSIONS: dict[str, str] = {"mois": "mois", "structure": "structure référente", "parcours": "parcours"}
PAS_ORIENTE = "pas encore orienté"
NON_RENSEIGNE = "non renseigné"

Statut = Literal["dans_delai", "hors_delai", "en_cours"]


def quantile_rang(valeurs: Sequence[int], q: float) -> int:
    """Rank-method quantile of a non-empty list: value of rank ⌈q·n⌉ (1-based) in increasing order."""
    ordonnees = sorted(valeurs)
    return ordonnees[max(1, math.ceil(q * len(ordonnees))) - 1]


def quantile_tous(observes: Sequence[int], bornes: Sequence[int], q: float) -> tuple[int, bool]:
    """Quantile over observed delays and censored ones known only by a lower bound: ``(value, is_lower_bound)``.

    Each censored delay is at least its bound, so the quantile is at least the quantile of observed
    values and bounds together; it is at most the value of the same rank among the observed ones
    alone (censored delays pushed to infinity).  When both agree it is exact.
    """
    n = len(observes) + len(bornes)
    rang = max(1, math.ceil(q * n))
    bas = sorted([*observes, *bornes])[rang - 1]
    if len(observes) >= rang and sorted(observes)[rang - 1] == bas:
        return bas, False
    return bas, True


@dataclass(frozen=True)
class Statistiques:
    """Delays in days: observed ones, then everybody (censored counted at their lower bound)."""

    observes: int
    censures: int
    moyenne: Optional[float]
    mediane: Optional[int]
    p90: Optional[int]
    moyenne_tous: Optional[float]
    mediane_tous: Optional[tuple[int, bool]]
    p90_tous: Optional[tuple[int, bool]]

    @classmethod
    def depuis(cls, observes: list[int], bornes: list[int]) -> "Statistiques":
        tous = observes + bornes
        return cls(
            observes=len(observes), censures=len(bornes),
            moyenne=sum(observes) / len(observes) if observes else None,
            mediane=quantile_rang(observes, 0.5) if observes else None,
            p90=quantile_rang(observes, 0.9) if observes else None,
            moyenne_tous=sum(tous) / len(tous) if tous else None,
            mediane_tous=quantile_tous(observes, bornes, 0.5) if tous else None,
            p90_tous=quantile_tous(observes, bornes, 0.9) if tous else None,
        )


@dataclass(frozen=True, slots=True)
class Observation:
    """One person in one indicator's population: start, end if observed, deadline, and group values."""

    depart: date
    arrivee: Optional[date]
    echeance: Optional[date]
    structure: str
    parcours: str

    def valeur(self, dimension: str) -> str:
        """The person's value for a breakdown (``mois``: month of the start event)."""
        return mois_de(self.depart) if dimension == "mois" else getattr(self, dimension)

    def statut(self, arret: date) -> Optional[Statut]:
        if self.echeance is None:
            return None
        if self.arrivee is not None:
            return "dans_delai" if self.arrivee <= self.echeance else "hors_delai"
        return "hors_delai" if self.echeance <= arret else "en_cours"


@dataclass(frozen=True)
class Ligne:
    """One row of the table: an indicator over a group of persons (empty group: the whole period)."""

    indicateur: Indicateur
    groupe: tuple[tuple[str, str], ...]
    population: int
    survenus: int
    pas_encore: int
    dans_delai: Optional[int]
    hors_delai: Optional[int]
    en_cours: Optional[int]
    taux: Optional[float]
    delais: Statistiques

    @property
    def libelle_groupe(self) -> str:
        """« ensemble de la période », or the group's values in French (« mars 2025, France Travail »)."""
        if not self.groupe:
            return "ensemble de la période"
        return ", ".join(libelle_valeur(d, v) for d, v in self.groupe)


def libelle_valeur(dimension: str, valeur: str) -> str:
    """French label of a group value (month name, referent body, route)."""
    if dimension == "mois":
        return libelle_mois(valeur)
    if valeur in (PAS_ORIENTE, NON_RENSEIGNE):
        return valeur
    return (Structure(valeur) if dimension == "structure" else Parcours(valeur)).libelle


def observations(indicateur: Indicateur, personnes: Iterable[Personne], periode: Periode) -> list[Observation]:
    """The indicator's population: persons whose start event is in the period, by the date d'arrêt, applicable."""
    out = []
    debut_evt, fin_evt = indicateur.evenement_depart.date, indicateur.evenement_arrivee.date
    echeances: dict[date, tuple[bool, Optional[date]]] = {}  # start dates repeat: each deadline computed once
    for p in personnes:
        depart = periode.observe(debut_evt(p))
        if depart is None or not periode.contient(depart):
            continue
        if depart not in echeances:
            echeances[depart] = (indicateur.applicable(depart), indicateur.echeance(depart))
        applicable, echeance = echeances[depart]
        if not applicable:
            continue
        if periode.observe(p.date_orientation) is None:
            structure = parcours = PAS_ORIENTE
        else:
            structure = p.structure.value if p.structure is not None else NON_RENSEIGNE
            parcours = p.parcours.value if p.parcours is not None else NON_RENSEIGNE
        out.append(Observation(depart, periode.observe(fin_evt(p)), echeance, structure, parcours))
    return out


def ligne(indicateur: Indicateur, obs: list[Observation], periode: Periode,
          groupe: tuple[tuple[str, str], ...] = ()) -> Ligne:
    """The figures of one indicator over some observations."""
    observes = [(o.arrivee - o.depart).days for o in obs if o.arrivee is not None]
    bornes = [(periode.arret - o.depart).days for o in obs if o.arrivee is None]
    dans = hors = cours = None
    taux: Optional[float]
    if indicateur.nature == "seuil":
        statuts = [o.statut(periode.arret) for o in obs]
        dans, hors, cours = (statuts.count("dans_delai"), statuts.count("hors_delai"), statuts.count("en_cours"))
        taux = dans / (dans + hors) if dans + hors else None
    else:
        taux = len(observes) / len(obs) if obs else None
    return Ligne(indicateur, groupe, len(obs), len(observes), len(bornes), dans, hors, cours, taux,
                 Statistiques.depuis(observes, bornes))


def calculer(personnes: Sequence[Personne], periode: Periode, par: Sequence[str] = ("mois",),
             indicateurs: Sequence[Indicateur] = INDICATEURS) -> list[Ligne]:
    """Every indicator: its whole-period row, then one row per combination of the ``par`` breakdowns.

    Broken down by month alone, every month of the period has its row (population 0 included);
    otherwise only the combinations that have persons.
    """
    lignes = []
    for ind in indicateurs:
        lignes += lignes_indicateur(ind, observations(ind, personnes, periode), periode, par)
    return lignes


def lignes_indicateur(indicateur: Indicateur, obs: list[Observation], periode: Periode,
                      par: Sequence[str]) -> list[Ligne]:
    """One indicator's rows from its population: the whole period, then each group of ``par``."""
    inconnues = [d for d in par if d not in DIMENSIONS]
    if inconnues:
        raise ValueError(f"dimensions inconnues : {inconnues}")
    lignes = [ligne(indicateur, obs, periode)]
    if not par:
        return lignes
    groupes: dict[tuple[str, ...], list[Observation]] = {}
    if tuple(par) == ("mois",):
        groupes = {(m,): [] for m in periode.mois}
    for o in obs:
        groupes.setdefault(tuple(o.valeur(d) for d in par), []).append(o)
    for cle in sorted(groupes):
        lignes.append(ligne(indicateur, groupes[cle], periode, tuple(zip(par, cle))))
    return lignes
