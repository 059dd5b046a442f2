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
* ``date_dossier_complet``, ``date_absence_premier_rdv``, ``date_relance``, ``date_premier_rdv``,
  ``date_signature_cer``: the dossier's **follow-up events** (table ``suivis_accompagnement``, recorded on the
  card or by ``orientation suivis importer``), mapped by :data:`COLONNES_SUIVI`.  The rule: for each type,
  the **latest event in force** (not corrected by a later event, not an annulment; the workspace keeps at
  most one in force per type, the latest by recording order is taken if ever there were more); the contract
  date is the earlier of the CER signature and the PPAE signature (the first contract signed);
* a column of follow-up none of whose types has a single event in force in the département is « non mesuré »
  (:data:`NON_ENREGISTRES`, the report says so, never 0 %): the département does not record it here, which
  is not the same as nobody having had the event.  As soon as one event of a column is recorded, the column
  is measured, from the date of its earliest event in force (:func:`saisie_depuis`): entry is taken as
  complete from then on, and an indicator whose end event is that column counts only the clocks starting on
  or after it (a dossier without the event then counts as « not happened yet »); the report gives the date
  per type and how many persons each indicator leaves out.  The decision
  form's « le rendez-vous a-t-il eu lieu ? » is the orientation appointment of a mandatory-appointment
  dossier, held **before** the decision, not the first accompaniment appointment that follows it: it dates
  nothing here and is only counted in the report's notes.

Purged dossiers (``orientation purger``) are gone: their anonymous counts (month of request only) are
shown in the notes, the dossiers themselves are excluded from every indicator.  Every row goes through
the checks of the events file (:func:`~orientation.pilotage.evenements.personne_depuis_cellules`); a
reject names the dossier's number.  Queries are read-only, only the needed columns are read, streamed by
:data:`PAQUET` rows.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from orientation.pilotage.evenements import COLONNES, LIBELLES_SUIVI, LectureEvenements, personne_depuis_cellules
from orientation.stockage.espace import CompteurPurge, DecisionReferent, DossierEspace
from orientation.stockage.moteur import BaseInvalide, creer_moteur, masquer
from orientation.stockage.suivis import TYPES_SUIVI, SuiviAccompagnement

PAQUET = 2_000
#: Column of the events file each follow-up type dates (CER and PPAE: the earlier of the two).
COLONNES_SUIVI: dict[str, str] = {
    "dossier_complet": "date_dossier_complet", "absence_premier_rdv": "date_absence_premier_rdv",
    "relance_apres_absence": "date_relance", "premier_rdv_honore": "date_premier_rdv",
    "signature_cer": "date_signature_cer", "signature_ppae": "date_signature_cer",
}
_SAISIE = " enregistré(e) pour ce département (fiche « Suivi de l'accompagnement » ou orientation suivis importer)"
#: Columns of the events file dated only by follow-up events, and the French reason given when the
#: département has recorded none of them (the column is then « non mesuré »).
NON_ENREGISTRES: dict[str, str] = {
    "date_dossier_complet": "aucune date de dossier complet" + _SAISIE,
    "date_absence_premier_rdv": "aucune absence au premier rendez-vous d'accompagnement" + _SAISIE,
    "date_relance": "aucune relance après absence" + _SAISIE,
    "date_premier_rdv": "aucun premier rendez-vous d'accompagnement honoré" + _SAISIE,
    "date_signature_cer": "aucune signature de contrat d'engagement (CER ou PPAE)" + _SAISIE,
}
assert set(COLONNES_SUIVI) == set(TYPES_SUIVI) and set(COLONNES_SUIVI.values()) == set(NON_ENREGISTRES)
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
        suivis = self._suivis(connexion)
        enregistres = {c for dates in suivis.values() for c in dates}
        lecture = LectureEvenements(non_enregistres={c: r for c, r in NON_ENREGISTRES.items() if c not in enregistres},
                                    unite="dossier", saisie_depuis=saisie_depuis(suivis))
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
            cellules.update({c: d.isoformat() for c, d in suivis.get(numero, {}).items()})
            personne, rejets = personne_depuis_cellules(cellules, numero, vus)
            if personne is None:
                lecture.rejets.extend(rejets)
            else:
                vus[nom] = numero
                lecture.personnes.append(personne)
        lecture.remarques = self._remarques(purges, rdv, suivis, lecture)
        return lecture

    def _suivis(self, connexion: Any) -> dict[int, dict[str, Any]]:
        """Dossier number → {column: date} of its follow-up events in force (see the module's rule)."""
        corrige = SuiviAccompagnement.__table__.alias("corrige")
        q = (select(SuiviAccompagnement.dossier_id, SuiviAccompagnement.type, SuiviAccompagnement.date_evenement)
             .join(DossierEspace, DossierEspace.id == SuiviAccompagnement.dossier_id)
             .where(DossierEspace.departement == self.departement, SuiviAccompagnement.annule.is_(False),
                    ~select(corrige.c.id).where(corrige.c.corrige_id == SuiviAccompagnement.id).exists())
             .order_by(SuiviAccompagnement.id))
        par_type: dict[int, dict[str, Any]] = {}
        for dossier, type_, jour in connexion.execution_options(stream_results=True, yield_per=PAQUET).execute(q):
            par_type.setdefault(dossier, {})[type_] = jour  # by recording order: the latest in force wins
        resultat: dict[int, dict[str, Any]] = {}
        for dossier, types in par_type.items():
            dates: dict[str, Any] = {}
            for type_, jour in types.items():
                colonne = COLONNES_SUIVI[type_]
                dates[colonne] = min(jour, dates.get(colonne, jour))  # CER and PPAE: the first contract signed
            resultat[dossier] = dates
        return resultat

    def _remarques(self, purges: Any, rdv: Counter, suivis: dict[int, dict[str, Any]],
                   lecture: LectureEvenements) -> list[str]:
        non_enregistres = lecture.non_enregistres
        notes = ["Chaque dossier de l'espace référent est une personne ; l'orientation est la décision en vigueur "
                 "(le dernier événement, corrections appliquées), datée de la date de décision saisie ; les droits "
                 "sont datés par la ligne du flux importée (dtouvdroit, dtnotifdroit).",
                 "Dossier complet, premier rendez-vous d'accompagnement (honoré ou manqué), relance après absence, "
                 "signature du contrat d'engagement : événements de suivi de l'accompagnement enregistrés dans "
                 "l'espace (fiche « Suivi de l'accompagnement » ou orientation suivis importer) ; pour chaque type, "
                 "le dernier événement en vigueur (corrections appliquées, annulations retirées) ; contrat : la "
                 "première signature, CER ou PPAE."]
        comptes = Counter(c for dates in suivis.values() for c in dates)
        if comptes:
            notes.append("Dossiers ayant un événement de suivi en vigueur : " + ", ".join(
                f"{libelle} {comptes[c]}" for c, libelle in LIBELLES_SUIVI.items() if comptes[c]) + ".")
        if lecture.saisie_depuis:
            notes.append("Saisie du suivi considérée complète à partir du premier événement enregistré de chaque type "
                         "(date la plus ancienne) : " + ", ".join(
                             f"{libelle} depuis le {lecture.saisie_depuis[c]:%d/%m/%Y}"
                             for c, libelle in LIBELLES_SUIVI.items() if c in lecture.saisie_depuis)
                         + ". Les indicateurs dont l'arrivée est l'un de ces événements ne comptent que les personnes "
                           "dont le départ est au plus tôt à cette date (la saisie a pu commencer après les premiers "
                           "dossiers : voir la méthode).")
        if non_enregistres:
            notes.append("Non mesurés depuis la base (ni 0 %, ni 100 %), faute d'un seul événement enregistré pour ce "
                         "département : " + ", ".join(LIBELLES_SUIVI[c] for c in non_enregistres) + ". Saisir "
                         "le suivi sur la fiche, l'importer (orientation suivis importer), ou utiliser un fichier "
                         "d'événements (--depuis), par exemple l'export de la base (--evenements) complété.")
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


def saisie_depuis(suivis: dict[int, dict[str, date]]) -> dict[str, date]:
    """Column → the date from which the département's entry of it is taken as complete: its earliest event.

    Why the first event recorded and not a date declared by an administrator: it needs no new setting (nor a
    column, nor a migration), cannot be forgotten or left stale when entry starts, and is shown in the report
    for each type, so a département can see it and back-enter what came before if it is too late.  Its limit:
    one event back-entered long before regular entry began moves it back, and the figures of the months in
    between count unentered events as « not happened yet » again (the report shows the date, to judge).
    """
    debuts: dict[str, date] = {}
    for dates in suivis.values():
        for colonne, jour in dates.items():
            debuts[colonne] = min(jour, debuts.get(colonne, jour))
    return debuts


__all__ = ["COLONNES_SUIVI", "NON_ENREGISTRES", "PAQUET", "SourceBase", "saisie_depuis"]
