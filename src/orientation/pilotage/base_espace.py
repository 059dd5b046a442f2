"""The workspace's database as a source of events: one person's events per imported dossier of a département.

What maps to what (tables of :mod:`orientation.stockage.espace`), for every dossier of the département
still in the database:

* ``identifiant``, ``date_demande``: the dossier's (a second dossier of the same identifier, a later
  request, is a person of its own, named ``identifiant (demande du AAAA-MM-JJ)``);
* ``date_ouverture_droits``, ``date_notification_droits``: the cells ``dtouvdroit`` and ``dtnotifdroit`` of
  the flux row stored at import (empty cell: not known);
* ``date_orientation``, ``structure``, ``parcours``: the date, structure and route of the **current
  decision**, the dossier's latest decision event (a correction is a later event: the corrected decision
  no longer counts); empty while the dossier awaits its decision.  The date is the decision's date as
  entered by the referent (the workspace records no separate notification date);
* not recorded by the workspace, always empty (:data:`NON_ENREGISTRES`, the report says « non mesuré
  depuis la base »): ``date_dossier_complet``, ``date_absence_premier_rdv``, ``date_relance``,
  ``date_premier_rdv``, ``date_signature_cer``.  The decision form's « le rendez-vous a-t-il eu lieu ? »
  is the orientation appointment of a mandatory-appointment dossier, held **before** the decision, not
  the first accompaniment appointment that follows it: it dates nothing here and is only counted in the
  report's notes.

Purged dossiers (``orientation purger``) are gone: their anonymous counts (month of request only) are
shown in the notes, the dossiers themselves are excluded from every indicator.  Every row goes through
the checks of the events file (:func:`~orientation.pilotage.evenements.personne_depuis_cellules`); a
reject names the dossier's number.  Queries are read-only, only the needed columns are read, streamed by
:data:`PAQUET` rows.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from orientation.pilotage.evenements import COLONNES, LectureEvenements, personne_depuis_cellules
from orientation.stockage.espace import CompteurPurge, DecisionReferent, DossierEspace
from orientation.stockage.moteur import BaseInvalide, creer_moteur, masquer

PAQUET = 2_000
_RAISON = "non enregistrée par l'espace référent"
#: Columns of the events file the workspace does not record (French reason).
NON_ENREGISTRES: dict[str, str] = {
    "date_dossier_complet": "date du dossier complet " + _RAISON,
    "date_absence_premier_rdv": "absence au premier rendez-vous d'accompagnement " + _RAISON,
    "date_relance": "relance après absence " + _RAISON,
    "date_premier_rdv": "premier rendez-vous d'accompagnement " + _RAISON,
    "date_signature_cer": "signature du contrat d'engagement " + _RAISON,
}
_DEPARTEMENT = re.compile(r"\d{2,3}|2[AB]")


class SourceBase:
    """The workspace's database ``url`` (SQLAlchemy URL), dossiers of ``departement``."""

    def __init__(self, url: str, departement: str) -> None:
        self.url = url
        self.departement = departement.strip().upper()
        if not _DEPARTEMENT.fullmatch(self.departement):
            raise BaseInvalide(f"option --departement, valeur {departement!r} : code de département attendu "
                               "(par exemple 93, 2A, 974)")

    @property
    def description(self) -> str:
        return f"base de l'espace référent {masquer(self.url)}, département {self.departement}"

    def lire(self) -> LectureEvenements:
        from sqlalchemy.engine import make_url

        from orientation.stockage.migrations import verifier_a_jour

        moteur = creer_moteur(self.url)
        fichier = make_url(self.url).database if moteur.dialect.name == "sqlite" else None
        if fichier and fichier != ":memory:" and not Path(fichier).is_file():  # connecting would create it
            moteur.dispose()
            raise BaseInvalide(f"base de données {masquer(self.url)} : fichier {fichier} introuvable")
        try:
            verifier_a_jour(moteur)
            with moteur.connect() as connexion:
                return self._lire(connexion)
        except SQLAlchemyError as exc:
            raise BaseInvalide(f"lecture de la base {masquer(self.url)} impossible : {exc.__class__.__name__}") \
                from None
        finally:
            moteur.dispose()

    def _lire(self, connexion: Any) -> LectureEvenements:
        dep = self.departement
        purges = connexion.execute(
            select(func.coalesce(func.sum(CompteurPurge.nombre), 0), func.min(CompteurPurge.mois_demande),
                   func.max(CompteurPurge.mois_demande)).where(CompteurPurge.departement == dep)).one()
        if connexion.scalar(select(func.count()).select_from(DossierEspace)
                            .where(DossierEspace.departement == dep)) == 0 and not purges[0]:
            presents = connexion.scalars(select(DossierEspace.departement).distinct()
                                         .order_by(DossierEspace.departement)).all()
            raise BaseInvalide(f"option --departement, valeur {dep!r} : aucun dossier de ce département dans la base "
                               f"{masquer(self.url)} (départements présents : {', '.join(presents) or 'aucun'})")
        lecture = LectureEvenements(non_enregistres=dict(NON_ENREGISTRES), unite="dossier")
        derniere = (select(DecisionReferent.dossier_id, func.max(DecisionReferent.id).label("dernier"))
                    .join(DossierEspace, DossierEspace.id == DecisionReferent.dossier_id)
                    .where(DossierEspace.departement == dep)
                    .group_by(DecisionReferent.dossier_id).subquery())
        q = (select(DossierEspace.id, DossierEspace.identifiant, DossierEspace.date_demande,
                    DossierEspace.enregistrement["dtouvdroit"].as_string(),
                    DossierEspace.enregistrement["dtnotifdroit"].as_string(),
                    DecisionReferent.date_decision, DecisionReferent.structure, DecisionReferent.parcours,
                    DecisionReferent.rdv_honore)
             .outerjoin(derniere, derniere.c.dossier_id == DossierEspace.id)
             .outerjoin(DecisionReferent, DecisionReferent.id == derniere.c.dernier)
             .where(DossierEspace.departement == dep).order_by(DossierEspace.id))
        vus: dict[str, int] = {}
        rdv: Counter = Counter()
        for numero, ident, demande, ouverture, notification, decision, structure, parcours, honore in \
                connexion.execution_options(stream_results=True, yield_per=PAQUET).execute(q):
            lecture.lignes_lues += 1
            rdv[honore] += 1
            nom = ident if ident not in vus else f"{ident} (demande du {demande.isoformat()})"
            cellules = dict.fromkeys(COLONNES, "")
            cellules.update(identifiant=nom, date_demande=demande.isoformat(), date_ouverture_droits=ouverture or "",
                            date_notification_droits=notification or "",
                            date_orientation=decision.isoformat() if decision else "", structure=structure or "",
                            parcours=parcours or "")
            personne, rejets = personne_depuis_cellules(cellules, numero, vus)
            if personne is None:
                lecture.rejets.extend(rejets)
            else:
                vus[nom] = numero
                lecture.personnes.append(personne)
        lecture.remarques = self._remarques(purges, rdv)
        return lecture

    def _remarques(self, purges: Any, rdv: Counter) -> list[str]:
        notes = ["Chaque dossier de l'espace référent est une personne ; l'orientation est la décision en vigueur "
                 "(le dernier événement, corrections appliquées), datée de la date de décision saisie ; les droits "
                 "sont datés par la ligne du flux importée (dtouvdroit, dtnotifdroit).",
                 "Non enregistrés par l'espace référent, donc non mesurés depuis la base (ni 0 %, ni 100 %) : dossier "
                 "complet, premier rendez-vous d'accompagnement (honoré ou non), relance après absence, signature "
                 "du contrat d'engagement. Pour ces indicateurs, utiliser un fichier d'événements (--depuis), par "
                 "exemple l'export de la base (--evenements) complété par le logiciel de suivi."]
        if rdv[True] or rdv[False]:
            notes.append(f"Rendez-vous d'orientation (dossiers à rendez-vous obligatoire, décision en vigueur) : "
                         f"{rdv[True]} tenu(s), {rdv[False]} non tenu(s). Ce rendez-vous précède la décision : ce "
                         "n'est pas le premier rendez-vous d'accompagnement, et l'espace n'en garde pas la date.")
        nombre, premier, dernier = purges
        if nombre:
            mois = premier if premier == dernier else f"{premier} à {dernier}"
            notes.append(f"{nombre} dossier(s) purgé(s) (conservation ; demandes de {mois}) : exclus de tous les "
                         "indicateurs, la purge ne garde que des comptes anonymes sans dates ; les indicateurs de "
                         "ces mois sont incomplets d'autant.")
        else:
            notes.append("Aucun dossier purgé pour ce département.")
        return notes


__all__ = ["NON_ENREGISTRES", "PAQUET", "SourceBase"]
