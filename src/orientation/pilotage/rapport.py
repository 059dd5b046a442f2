"""The French HTML report: self-contained (inline CSS and SVG, no external asset), readable and printable.

:func:`preparer` computes everything the report shows from what a source read; :func:`html`
renders it with the Jinja2 template ``rapport.html.j2`` (autoescaped).  The report names rejected
rows by line, field and reason only: no identifier, no date of a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Optional, Sequence

from orientation.decision import version_bibliotheque
from orientation.francais import date_fr, pourcent
from orientation.pilotage.calcul import DIMENSIONS, Ligne, Observation, lignes_indicateur, observations
from orientation.pilotage.definitions import INDICATEURS, Indicateur
from orientation.pilotage.evenements import COLONNES, LectureEvenements
from orientation.pilotage.periode import Periode, libelle_mois

#: Rejected rows listed in the report (all of them are in the optional rejects file).
REJETS_MONTRES = 100
#: What a source's row is called in the report: (rows read, rows rejected, a reject's number).
UNITES = {"ligne": ("lignes lues", "lignes rejetées", "ligne"),
          "dossier": ("dossiers lus", "dossiers rejetés", "dossier n°")}


@dataclass(frozen=True)
class SectionIndicateur:
    indicateur: Indicateur
    ensemble: Ligne
    lignes: list[Ligne]
    mensuel: list[Ligne]
    observations: list[Observation]
    #: events the source cannot date at all: the indicator is « non mesuré » (no figure shown, no CSV row)
    non_mesure: list[str]
    #: first start date counted, the end event being entered only from then on (None: no cut), and how many
    #: persons of the period started earlier and are left out of the population for that reason
    debut_saisie: Optional[date] = None
    avant_saisie: int = 0


@dataclass(frozen=True)
class Rapport:
    source: str
    periode: Periode
    par: tuple[str, ...]
    lecture: LectureEvenements
    lignes: list[Ligne]
    sections: list[SectionIndicateur]

    @property
    def synthetique(self) -> bool:
        """Every identifier starts with ``SYN-``: synthetic data (the example file), said on top of the report."""
        return bool(self.lecture.personnes) and all(p.identifiant.startswith("SYN-") for p in self.lecture.personnes)


def preparer(lecture: LectureEvenements, source: str, periode: Periode, par: Sequence[str] = ("mois",)) -> Rapport:
    """Compute the table and each indicator's section.

    An indicator whose start or end event the source does not record (:attr:`LectureEvenements.non_enregistres`)
    is « non mesuré »: its section says so, and the table (CSV) has no row for it.  An indicator whose end
    event is entered only from some date on (:meth:`Indicateur.debut_saisie`) counts only the persons whose
    clock starts on or after it; its section says from when and how many were left out.
    """
    par = tuple(par)
    lignes: list[Ligne] = []
    sections = []
    for ind in INDICATEURS:
        manque = ind.non_mesure(lecture.non_enregistres)
        obs = [] if manque else observations(ind, lecture.personnes, periode)
        debut = None if manque else ind.debut_saisie(lecture.saisie_depuis)
        avant = 0
        if debut is not None:
            gardees = [o for o in obs if o.depart >= debut]
            avant, obs = len(obs) - len(gardees), gardees
        les_siennes = lignes_indicateur(ind, obs, periode, par)
        if not manque:
            lignes += les_siennes
        mensuel = les_siennes[1:] if par == ("mois",) else lignes_indicateur(ind, obs, periode, ("mois",))[1:]
        sections.append(SectionIndicateur(ind, les_siennes[0], les_siennes[1:], mensuel, obs, manque, debut, avant))
    return Rapport(source, periode, par, lecture, lignes, sections)


def taux_fr(x: Optional[float]) -> str:
    return "—" if x is None else pourcent(x)


def jours_fr(x: Optional[float]) -> str:
    """A mean delay: « 12,3 j »; « — » when there is none."""
    return "—" if x is None else f"{x:.1f}".replace(".", ",") + "\u00a0j"


def quantile_fr(q: Optional[tuple[int, bool]] | Optional[int]) -> str:
    """A quantile, exact (« 12 j ») or a lower bound (« au moins 12 j »)."""
    if q is None:
        return "—"
    if isinstance(q, tuple):
        valeur, borne = q
        return f"au moins {valeur}\u00a0j" if borne else f"{valeur}\u00a0j"
    return f"{q}\u00a0j"


def moyenne_tous_fr(ligne: Ligne) -> str:
    m = ligne.delais.moyenne_tous
    if m is None:
        return "—"
    return ("au moins " if ligne.delais.censures else "") + jours_fr(m)


def html(rapport: Rapport) -> str:
    """The report as one HTML document."""
    from jinja2 import Environment, StrictUndefined
    from markupsafe import Markup

    from orientation.pilotage.graphiques import svg_indicateur

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(taux=taux_fr, jours=jours_fr, quantile=quantile_fr, date=date_fr, mois=libelle_mois)
    modele = env.from_string(files("orientation.pilotage").joinpath("rapport.html.j2").read_text(encoding="utf-8"))
    graphiques = {s.indicateur.id: Markup(svg_indicateur(s.indicateur, s.observations, s.mensuel, rapport.periode))
                  for s in rapport.sections if not s.non_mesure}
    return modele.render(
        r=rapport, graphiques=graphiques, colonnes=COLONNES,
        libelle_par=", ".join(DIMENSIONS[d] for d in rapport.par), moyenne_tous=moyenne_tous_fr,
        rejets=rapport.lecture.rejets[:REJETS_MONTRES], version=version_bibliotheque(),
        unites=UNITES[rapport.lecture.unite], non_mesures=[s for s in rapport.sections if s.non_mesure],
        familles=list(dict.fromkeys(s.indicateur.famille for s in rapport.sections)))
