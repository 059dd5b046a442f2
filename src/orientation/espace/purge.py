"""Retention: ``orientation purger --avant DATE`` removes the dossiers requested before DATE, with their
decisions, follow-up events and explanations, and keeps anonymous counts (table ``compteurs_purges``:
département, month of the request, modality, final route, whether the referent differed from the
recommendation, number).

The retention period is the département's choice (its register of processing activities); the command
takes the cut-off date, or ``--conservation JOURS`` counted back from today.  Journal rows keep the
number of a purged dossier, never its content.  Old login attempts and expired sessions go too.

Decisions and follow-up events are immutable in the database too (triggers of revisions 0004 and 0005
refuse UPDATE and DELETE on ``decisions_referents`` and ``suivis_accompagnement``): the purge is the one
allowed delete.  In its transaction it lists the dossiers it removes in ``autorisations_purge`` (the
triggers let the decisions and follow-up events of those dossiers go), deletes them, and empties the list
again before committing.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from orientation.espace.journal import journaliser
from orientation.espace.sessions import DUREE_MAX
from orientation.stockage.base import maintenant
from orientation.stockage.espace import (AutorisationPurge, CompteurPurge, DecisionReferent, DossierEspace,
                                         SessionEspace, TentativeConnexion)
from orientation.stockage.suivis import SuiviAccompagnement

_PAQUET = 1_000


def purger(session: Session, avant: date, departement: Optional[str] = None, auteur: str = "orientation purger") -> int:
    """Delete dossiers whose request date is before ``avant`` (of ``departement``, or all); the number deleted."""
    derniere = (select(DecisionReferent.dossier_id, func.max(DecisionReferent.id).label("dernier"))
                .group_by(DecisionReferent.dossier_id).subquery())
    q = (select(DossierEspace.id, DossierEspace.departement, DossierEspace.date_demande, DossierEspace.modalite,
                DecisionReferent.parcours, DecisionReferent.differe_recommandation)
         .outerjoin(derniere, derniere.c.dossier_id == DossierEspace.id)
         .outerjoin(DecisionReferent, DecisionReferent.id == derniere.c.dernier)
         .where(DossierEspace.date_demande < avant))
    if departement is not None:
        q = q.where(DossierEspace.departement == departement)
    comptes: Counter = Counter()
    ids: list[int] = []
    for id_, dep, dd, modalite, parcours, differe in session.execute(q):
        comptes[(dep, f"{dd:%Y-%m}", modalite, parcours, differe)] += 1
        ids.append(id_)
    t = maintenant()
    for (dep, mois, modalite, parcours, differe), n in sorted(comptes.items(), key=str):
        session.add(CompteurPurge(purge_le=t, departement=dep, mois_demande=mois, modalite=modalite,
                                  parcours_final=parcours, differe_recommandation=differe, nombre=n))
    for i in range(0, len(ids), _PAQUET):
        paquet = ids[i:i + _PAQUET]
        # decisions are immutable (database triggers): only those of dossiers listed here may be deleted
        session.execute(insert(AutorisationPurge), [{"dossier_id": x} for x in paquet])
        session.execute(delete(DecisionReferent).where(DecisionReferent.dossier_id.in_(paquet)))
        session.execute(delete(SuiviAccompagnement).where(SuiviAccompagnement.dossier_id.in_(paquet)))
        session.execute(delete(DossierEspace).where(DossierEspace.id.in_(paquet)))
        session.execute(delete(AutorisationPurge).where(AutorisationPurge.dossier_id.in_(paquet)))
    for dep in sorted({k[0] for k in comptes}):
        journaliser(session, auteur, "purge", dep, detail=f"dossiers demandés avant le {avant:%d/%m/%Y} : "
                                                          f"{sum(n for k, n in comptes.items() if k[0] == dep)}")
    session.execute(delete(TentativeConnexion).where(TentativeConnexion.le < t - timedelta(days=30)))
    session.execute(delete(SessionEspace).where(SessionEspace.creee_le < t - DUREE_MAX))
    session.commit()
    return len(ids)


__all__ = ["purger"]
