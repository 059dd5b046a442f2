"""The queue « À orienter »: dossiers of a département awaiting a human, filtered, counted, paginated.

Sorted by deadline (``echeance``, earliest first: late dossiers come first), then by number; dossiers
without a deadline last.  A dossier is late (« en retard ») when its deadline has passed and no decision
was recorded (it is still in the queue).  Each filter has its index (revision 0004): the filter columns,
then the sort ``(echeance, id)``, then the columns the counts read, e.g. ``(departement, statut,
parcours_propose, echeance, id, modalite, structure_proposee)``: counts and page are read from one index.
``benchmarks/bench_espace.py`` measures every view on 100,000 dossiers (SQLite and PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.espace.importation import A_ORIENTER
from orientation.stockage.espace import DossierEspace
from orientation.vocabulaire import Modalite, Parcours, Structure

TAILLE_PAGE = 50
#: Queue views: modality of the dossiers, and the French title of the tab.
VUES = {"rdv_obligatoire": "Rendez-vous à tenir", "examen_individuel": "Examens individuels",
        "orientation_directe": "Orientations directes à valider"}
ECHEANCES = {"": "toutes", "en_retard": "en retard", "7": "dans les 7 jours", "30": "dans les 30 jours"}


@dataclass(frozen=True)
class Filtres:
    """What the queue shows (values checked by :meth:`valides`: unknown ones are ignored)."""

    modalite: str = ""
    structure: str = ""
    parcours: str = ""
    echeance: str = ""
    page: int = 1

    def valides(self) -> "Filtres":
        return Filtres(self.modalite if self.modalite in Modalite.__members__ else "",
                       self.structure if self.structure in Structure.__members__ else "",
                       self.parcours if self.parcours in Parcours.__members__ or self.parcours == "aucun" else "",
                       self.echeance if self.echeance in ECHEANCES else "", max(1, min(int(self.page), 100_000)))


@dataclass
class LigneFile:
    id: int
    identifiant: str
    date_demande: date
    modalite: str
    parcours_propose: Optional[str]
    structure_proposee: Optional[str]
    echeance: Optional[date]
    en_retard: bool


@dataclass
class PageFile:
    lignes: list[LigneFile]
    total: int
    page: int
    pages: int
    par_modalite: dict[str, int] = field(default_factory=dict)
    en_retard: int = 0


def _filtrer(q, departement: str, f: Filtres, aujourd_hui: date, avec_modalite: bool = True):  # type: ignore[no-untyped-def]
    q = q.where(DossierEspace.departement == departement, DossierEspace.statut == A_ORIENTER)
    if avec_modalite and f.modalite:
        q = q.where(DossierEspace.modalite == f.modalite)
    if f.structure:
        q = q.where(DossierEspace.structure_proposee == f.structure)
    if f.parcours == "aucun":
        q = q.where(DossierEspace.parcours_propose.is_(None))
    elif f.parcours:
        q = q.where(DossierEspace.parcours_propose == f.parcours)
    if f.echeance == "en_retard":
        q = q.where(DossierEspace.echeance < aujourd_hui)
    elif f.echeance:
        q = q.where(DossierEspace.echeance <= aujourd_hui + timedelta(days=int(f.echeance)))
    return q


def _comptes(session: Session, departement: str, f: Filtres, aujourd_hui: date) -> dict[str, tuple[int, int]]:
    """Per modality of the view (other filters applied): number of dossiers, number of late ones; one query.

    Its shape picks the index: without a route or structure filter, a GROUP BY read in the order of the index
    ``(departement, statut, modalite, echeance, …)``; with one, a row of filtered counts, because with a GROUP BY
    SQLite preferred that same index and then read every row of the table to test the filter (≈ 100 ms on
    100,000 dossiers, against ≈ 2 ms from the filter's covering index).
    """
    retard = DossierEspace.echeance < aujourd_hui
    if not (f.parcours or f.structure):
        q = select(DossierEspace.modalite, func.count(), func.count().filter(retard))
        lignes = session.execute(_filtrer(q, departement, f, aujourd_hui, avec_modalite=False)
                                 .group_by(DossierEspace.modalite))
        trouves = {m: (int(n), int(r)) for m, n, r in lignes}
        return {m: trouves.get(m, (0, 0)) for m in VUES}
    agregats = []
    for m in VUES:
        agregats += [func.count().filter(DossierEspace.modalite == m),
                     func.count().filter(DossierEspace.modalite == m, retard)]
    v = session.execute(_filtrer(select(*agregats), departement, f, aujourd_hui, avec_modalite=False)).one()
    return {m: (int(v[2 * i]), int(v[2 * i + 1])) for i, m in enumerate(VUES)}


def page_file(session: Session, departement: str, filtres: Filtres, aujourd_hui: date,
              taille: int = TAILLE_PAGE) -> PageFile:
    """One page of the queue of ``departement`` with ``filtres``, the counts per modality and of late dossiers.

    Two queries: the counts (per modality, and its late dossiers: :func:`_comptes`) read from an index, and
    the page, whose 50 numbers are found in the index first (offset and sort on the index alone) and only then read
    from the table, so that a far page costs no more table reads than the first one.
    """
    f = filtres.valides()
    comptes = _comptes(session, departement, f, aujourd_hui)
    choisis = [comptes[f.modalite]] if f.modalite else list(comptes.values())
    total, en_retard = sum(n for n, _ in choisis), sum(r for _, r in choisis)
    pages = max(1, -(-total // taille))
    page = min(f.page, pages)
    numeros = (_filtrer(select(DossierEspace.id), departement, f, aujourd_hui)
               .order_by(DossierEspace.echeance, DossierEspace.id)  # echeance is always set (DITP month at least)
               .offset((page - 1) * taille).limit(taille).subquery())
    q = (select(DossierEspace.id, DossierEspace.identifiant, DossierEspace.date_demande, DossierEspace.modalite,
                DossierEspace.parcours_propose, DossierEspace.structure_proposee, DossierEspace.echeance)
         .join(numeros, numeros.c.id == DossierEspace.id).order_by(DossierEspace.echeance, DossierEspace.id))
    lignes = [LigneFile(*r, en_retard=r[6] is not None and r[6] < aujourd_hui) for r in session.execute(q)]
    return PageFile(lignes, total, page, pages, {m: comptes[m][0] for m in VUES}, en_retard)


__all__ = ["ECHEANCES", "TAILLE_PAGE", "VUES", "Filtres", "LigneFile", "PageFile", "page_file"]
