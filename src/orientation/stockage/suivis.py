"""Follow-up of the accompaniment (table ``suivis_accompagnement``): what happened after the orientation.

The structures that accompany a person (France Travail, the département's services, CCAS...) know the dates
the convention's indicators need and the workspace did not record: complete application, first accompaniment
appointment (attended or missed), follow-up action after a missed one, signature of the contract (CER, or
PPAE for France Travail).  Each is one event of a closed list of types (:data:`TYPES_SUIVI`), dated, with
an optional comment, its author and role, and when it was recorded.

Events are immutable, like decisions (revision 0005 adds the same database triggers as revision 0004 does
for ``decisions_referents``): a wrong event is corrected by a new event pointing at it (``corrige_id``,
unique: a correction chain never forks), possibly an annulment (``annule``: the corrected event is
withdrawn, the annulment itself dates nothing).  An event is **in force** when no other event corrects it
and it is not an annulment.  Only the retention purge deletes events, with their dossier.

The rules of recording live here too, below every caller (the card's form and the CSV import of
:mod:`orientation.espace`, the ``/v1/suivis`` route of :mod:`orientation.service`):

* :func:`controler`: the checks of one event against a dossier's decision and events in force, each a French
  error naming the field, the value and the reason (the order rules of the events file of
  :mod:`orientation.pilotage.evenements`, so that every dossier recorded reads back as a valid person):
  a real date, not in the future, not before the RSA request; every event except ``dossier_complet``
  needs an orientation decision and cannot precede its date; a follow-up action needs a missed first
  appointment in force and cannot precede it; an attended first appointment after a missed one comes
  strictly after it; withdrawing or moving a missed appointment a follow-up action depends on is refused;
* :func:`lire_evenement`: one event received as text cells (a CSV row, a JSON object), checked alone;
* :func:`preparer_evenements`: a batch of events of one département checked against the database and
  against each other (all or nothing is the caller's choice: it gets every error), idempotent (an event
  already in force at the same date is « déjà enregistré »); :func:`enregistrer_evenements` adds the
  checked ones with one line of the access journal;
* :func:`rejouer_si_concurrence`: what every writer wraps its checks and writes in.  The database keeps at most
  one event in force per (dossier, type) (table :class:`SuiviEnVigueur`, kept by a trigger, revision 0007): a
  concurrent writer that recorded the same type between our checks and our write makes ours fail with an
  integrity error; the transaction is rolled back and the checks run again, now seeing the other event, so the
  outcome is the one the checks give (« déjà enregistré » for the same event, the same French refusal otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable, Iterable, Mapping, Optional, Sequence, TypeVar

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from orientation.erreurs import ErreurChamp, OrientationError
from orientation.stockage.base import Base, HorodatageUTC, maintenant
from orientation.stockage.espace import DecisionReferent, DossierEspace
from orientation.stockage.journal import journaliser

#: The closed list of follow-up events (type → French label shown to users).
TYPES_SUIVI: dict[str, str] = {
    "dossier_complet": "Dossier de demande complet",
    "absence_premier_rdv": "Absence au premier rendez-vous d'accompagnement",
    "relance_apres_absence": "Relance après l'absence au premier rendez-vous",
    "premier_rdv_honore": "Premier rendez-vous d'accompagnement honoré",
    "signature_cer": "Contrat d'engagement réciproque (CER) signé",
    "signature_ppae": "Projet personnalisé d'accès à l'emploi (PPAE) signé",
}
#: Types that may precede the orientation decision (every other one follows it).
AVANT_ORIENTATION = frozenset({"dossier_complet"})
#: Where an event comes from: the card of the workspace, or a bulk import (``orientation suivis importer``,
#: or ``POST /v1/suivis``: then ``auteur_role`` is :data:`ROLE_CLE_API` and ``auteur`` the key's name).
ORIGINES = ("espace", "import")
ROLE_CLE_API = "cle_api"
#: Longest commentary of an event (the decisions' motive has the same bound).
COMMENTAIRE_MAX = 2_000
#: Text fields of an event received in bulk (a CSV row, a JSON object) and their meaning (French).
CHAMPS: dict[str, str] = {
    "identifiant": "identifiant du dossier (colonne identifiant du flux importé)",
    "date_demande": "date de la demande de RSA du dossier (dtdemrsa), AAAA-MM-JJ",
    "type": "type d'événement (liste fermée, voir le README)",
    "date": "date de l'événement, AAAA-MM-JJ",
    "commentaire": "facultatif : commentaire (au plus 2 000 caractères)",
}
FACULTATIFS = frozenset({"commentaire"})
ABSENCE, RELANCE, HONORE = "absence_premier_rdv", "relance_apres_absence", "premier_rdv_honore"
_PAQUET = 500
#: How many times a writer replays its checks after losing a race (each replay sees the winner's event).
ESSAIS_CONCURRENCE = 3
T = TypeVar("T")


class SuiviAccompagnement(Base):
    """One follow-up event of a dossier: immutable; a correction (or an annulment) is a new row."""

    __tablename__ = "suivis_accompagnement"
    __table_args__ = (
        CheckConstraint("type IN (" + ", ".join(f"'{t}'" for t in TYPES_SUIVI) + ")", name="type_connu"),
        CheckConstraint("origine IN (" + ", ".join(f"'{o}'" for o in ORIGINES) + ")", name="origine_connue"),
        Index("ix_suivis_accompagnement_dossier_type", "dossier_id", "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers_espace.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    date_evenement: Mapped[date] = mapped_column(Date)
    commentaire: Mapped[Optional[str]] = mapped_column(Text, default=None)
    annule: Mapped[bool] = mapped_column(Boolean, default=False)
    corrige_id: Mapped[Optional[int]] = mapped_column(ForeignKey("suivis_accompagnement.id"), default=None,
                                                      unique=True)
    origine: Mapped[str] = mapped_column(String(16))
    auteur_id: Mapped[Optional[int]] = mapped_column(ForeignKey("utilisateurs.id", ondelete="SET NULL"),
                                                     default=None)
    auteur: Mapped[str] = mapped_column(String(254))  # e-mail at the time, or the command that imported it
    auteur_role: Mapped[str] = mapped_column(String(20))
    enregistre_le: Mapped[datetime] = mapped_column(HorodatageUTC())


class SuiviEnVigueur(Base):
    """The event in force of each (dossier, type): written only by the database (trigger of revision 0007).

    Its primary key is the guarantee « one event in force per (dossier, type) »; the code never writes here
    and reads events in force from ``suivis_accompagnement`` (:func:`en_vigueur`)."""

    __tablename__ = "suivis_en_vigueur"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers_espace.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    suivi_id: Mapped[int] = mapped_column(ForeignKey("suivis_accompagnement.id", ondelete="CASCADE"), unique=True)


class ConcurrenceRepetee(OrientationError):
    """Every replay lost a race against another writer (or the database refused for another reason)."""


def rejouer_si_concurrence(db: Session, operation: Callable[[], T]) -> T:
    """``operation()`` (the checks and writes of one request, committed by it); on an integrity error, roll
    back and run it again, at most :data:`ESSAIS_CONCURRENCE` times in all, then :class:`ConcurrenceRepetee`."""
    for _ in range(ESSAIS_CONCURRENCE):
        try:
            return operation()
        except IntegrityError:
            db.rollback()
    raise ConcurrenceRepetee(f"événement(s) de suivi non enregistré(s) : la base a refusé l'écriture "
                             f"{ESSAIS_CONCURRENCE} fois de suite (enregistrements simultanés sur les mêmes dossiers) ; "
                             "rien n'est enregistré, réessayer")


def en_vigueur(evenements: Iterable[SuiviAccompagnement]) -> dict[str, SuiviAccompagnement]:
    """The events in force, by type (the latest one if, against the rule, several of a type are in force)."""
    evenements = list(evenements)
    corriges = {e.corrige_id for e in evenements if e.corrige_id is not None}
    vigueur: dict[str, SuiviAccompagnement] = {}
    for e in sorted(evenements, key=lambda x: x.id):
        if e.id not in corriges and not e.annule:
            vigueur[e.type] = e
    return vigueur


def _jj(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def lire_date(texte: str, champ: str, erreurs: list[ErreurChamp]) -> Optional[date]:
    """``AAAA-MM-JJ`` as a date, or ``None`` with a French error added to ``erreurs``."""
    t = texte.strip()
    try:
        if len(t) != 10:
            raise ValueError
        return date.fromisoformat(t)
    except ValueError:
        erreurs.append(ErreurChamp(champ, texte, "date attendue au format AAAA-MM-JJ (jour existant)"))
        return None


def controler(type_: str, jour: Optional[date], dossier: DossierEspace, decision: Optional[DecisionReferent],
              vigueur: dict[str, SuiviAccompagnement], aujourd_hui: date,
              corrige: Optional[SuiviAccompagnement] = None, annule: bool = False) -> list[ErreurChamp]:
    """The French errors of recording ``type_`` on ``jour`` (or of withdrawing ``corrige``) on ``dossier``.

    ``vigueur`` are the dossier's events in force (:func:`en_vigueur`), ``decision`` its decision in force.
    """
    erreurs: list[ErreurChamp] = []
    if type_ not in TYPES_SUIVI:
        return [ErreurChamp("type", type_, ("type d'événement inconnu" if type_ else "type d'événement à choisir")
                            + " ; types admis : " + ", ".join(TYPES_SUIVI))]
    libelle = TYPES_SUIVI[type_]
    if not annule and jour is not None:
        texte = jour.isoformat()
        if jour > aujourd_hui:
            erreurs.append(ErreurChamp("date", texte, f"date dans le futur (aujourd'hui : {_jj(aujourd_hui)})"))
        if jour < dossier.date_demande:
            erreurs.append(ErreurChamp("date", texte, f"date antérieure à la demande de RSA "
                                                      f"({_jj(dossier.date_demande)})"))
        if type_ not in AVANT_ORIENTATION and decision is None:
            erreurs.append(ErreurChamp("type", type_, f"« {libelle} » : aucune décision d'orientation enregistrée "
                                                      "pour ce dossier ; le suivi de l'accompagnement suit "
                                                      "l'orientation (seul le dossier complet peut la précéder)"))
        elif type_ not in AVANT_ORIENTATION and decision is not None and jour < decision.date_decision:
            erreurs.append(ErreurChamp("date", texte, f"« {libelle} » antérieur à la décision d'orientation "
                                                      f"({_jj(decision.date_decision)}) ; seul le dossier complet "
                                                      "peut la précéder"))
    deja = vigueur.get(type_)
    if not annule and deja is not None and deja is not corrige:
        erreurs.append(ErreurChamp("type", type_, f"« {libelle} » déjà enregistré (date : "
                                                  f"{_jj(deja.date_evenement)}) ; pour changer sa date, corriger "
                                                  "cet événement"))
    # the dossier's dates once this event is recorded (or withdrawn): the order rules of the events file
    dates = {t: e.date_evenement for t, e in vigueur.items() if e is not corrige}
    if not annule and jour is not None:
        dates[type_] = jour
    touches = {type_} | ({corrige.type} if corrige is not None else set())
    champ, valeur = ("corrige", corrige.id) if corrige is not None and (annule or type_ != corrige.type) else (
        "date", jour.isoformat() if jour else "")
    if RELANCE in dates and ABSENCE not in dates and touches & {RELANCE, ABSENCE}:
        if type_ == RELANCE and not annule:
            erreurs.append(ErreurChamp("type", type_, "relance sans absence au premier rendez-vous enregistrée : "
                                                      "enregistrer d'abord l'absence"))
        else:
            erreurs.append(ErreurChamp(champ, valeur, "une relance est enregistrée après cette absence : corriger "
                                                      "ou annuler d'abord la relance"))
    if RELANCE in dates and ABSENCE in dates and dates[RELANCE] < dates[ABSENCE] and touches & {RELANCE, ABSENCE}:
        erreurs.append(ErreurChamp(champ, valeur, f"la relance ({_jj(dates[RELANCE])}) ne peut précéder l'absence "
                                                  f"au premier rendez-vous ({_jj(dates[ABSENCE])})"))
    if HONORE in dates and ABSENCE in dates and dates[HONORE] <= dates[ABSENCE] and touches & {HONORE, ABSENCE}:
        erreurs.append(ErreurChamp(champ, valeur, f"le premier rendez-vous honoré ({_jj(dates[HONORE])}) doit "
                                                  f"suivre l'absence au premier rendez-vous ({_jj(dates[ABSENCE])})"))
    return erreurs


@dataclass(frozen=True)
class EvenementRecu:
    """One event received in bulk, its cells checked: ``rang`` is its place (CSV line, or index in a JSON list)."""

    rang: int
    identifiant: str
    date_demande: date
    type: str
    jour: date
    commentaire: Optional[str]


def lire_evenement(rang: int, cellules: Mapping[str, str]) -> tuple[Optional[EvenementRecu], list[ErreurChamp]]:
    """The event of the text ``cellules`` (keys of :data:`CHAMPS`; ``commentaire`` may be absent), or its errors."""
    erreurs: list[ErreurChamp] = []
    ident = cellules["identifiant"].strip()
    if not ident:
        erreurs.append(ErreurChamp("identifiant", "", "identifiant du dossier obligatoire"))
    demande = lire_date(cellules["date_demande"], "date_demande", erreurs)
    type_ = cellules["type"].strip()
    if type_ not in TYPES_SUIVI:
        erreurs.append(ErreurChamp("type", type_, "type d'événement inconnu ; types admis : " + ", ".join(TYPES_SUIVI)))
    jour = lire_date(cellules["date"], "date", erreurs)
    commentaire = (cellules.get("commentaire") or "").strip() or None
    if commentaire is not None and len(commentaire) > COMMENTAIRE_MAX:
        erreurs.append(ErreurChamp("commentaire", commentaire[:40] + "…",
                                   f"commentaire trop long (au plus {COMMENTAIRE_MAX} caractères)"))
    if erreurs or demande is None or jour is None:
        return None, erreurs
    return EvenementRecu(rang, ident, demande, type_, jour, commentaire), []


@dataclass
class Preparation:
    """A checked batch: the new events (not yet added), the ranks already recorded, the errors by rank."""

    nouveaux: list[tuple[int, SuiviAccompagnement]] = field(default_factory=list)
    #: (rank, the event already in force: recorded before, or new in this batch for a repeated event)
    deja: list[tuple[int, SuiviAccompagnement]] = field(default_factory=list)
    erreurs: list[tuple[int, ErreurChamp]] = field(default_factory=list)


def _dossiers(db: Session, departement: str, evenements: Sequence[EvenementRecu]) -> dict[tuple[str, date],
                                                                                           DossierEspace]:
    cles = sorted({(x.identifiant, x.date_demande) for x in evenements})
    trouves: dict[tuple[str, date], DossierEspace] = {}
    for i in range(0, len(cles), _PAQUET):
        idents = {c[0] for c in cles[i:i + _PAQUET]}
        for d in db.scalars(select(DossierEspace).where(DossierEspace.departement == departement,
                                                        DossierEspace.identifiant.in_(idents))):
            trouves[(d.identifiant, d.date_demande)] = d
    return trouves


def _etat(db: Session, ids: list[int]) -> tuple[dict[int, list[SuiviAccompagnement]], dict[int, DecisionReferent]]:
    suivis: dict[int, list[SuiviAccompagnement]] = {}
    decisions: dict[int, DecisionReferent] = {}
    for i in range(0, len(ids), _PAQUET):
        paquet = ids[i:i + _PAQUET]
        for e in db.scalars(select(SuiviAccompagnement).where(SuiviAccompagnement.dossier_id.in_(paquet))):
            suivis.setdefault(e.dossier_id, []).append(e)
        derniere = (select(func.max(DecisionReferent.id)).where(DecisionReferent.dossier_id.in_(paquet))
                    .group_by(DecisionReferent.dossier_id))
        for d in db.scalars(select(DecisionReferent).where(DecisionReferent.id.in_(derniere))):
            decisions[d.dossier_id] = d
    return suivis, decisions


def preparer_evenements(db: Session, departement: str, evenements: Sequence[EvenementRecu], aujourd_hui: date,
                        auteur: str, role: str) -> Preparation:
    """Check ``evenements`` (in order: each sees the ones before it) against ``departement``'s dossiers.

    Nothing is added to ``db``; an event whose dossier already has one in force of the same type on the same
    date is « déjà enregistré » (idempotence); one of a type in force at another date is refused.
    """
    prep = Preparation()
    dossiers = _dossiers(db, departement, evenements)
    suivis, decisions = _etat(db, sorted({d.id for d in dossiers.values()}))
    vigueur = {i: en_vigueur(evs) for i, evs in suivis.items()}
    for x in evenements:
        d = dossiers.get((x.identifiant, x.date_demande))
        if d is None:
            prep.erreurs.append((x.rang, ErreurChamp(
                "identifiant", x.identifiant, f"aucun dossier de cet identifiant demandé le {_jj(x.date_demande)} "
                                              f"dans la base pour le département {departement}")))
            continue
        v = vigueur.setdefault(d.id, {})
        present = v.get(x.type)
        if present is not None and present.date_evenement == x.jour:
            prep.deja.append((x.rang, present))
            continue
        erreurs = controler(x.type, x.jour, d, decisions.get(d.id), v, aujourd_hui)
        if erreurs:
            prep.erreurs.extend((x.rang, e) for e in erreurs)
            continue
        ev = SuiviAccompagnement(dossier_id=d.id, type=x.type, date_evenement=x.jour, commentaire=x.commentaire,
                                 annule=False, corrige_id=None, origine="import", auteur_id=None, auteur=auteur,
                                 auteur_role=role, enregistre_le=maintenant())
        v[x.type] = ev  # the events below see it (a follow-up action after a missed appointment of the batch)
        prep.nouveaux.append((x.rang, ev))
    return prep


def enregistrer_evenements(db: Session, departement: str, prep: Preparation, auteur: str,
                           origine: str) -> dict[int, int]:
    """Add the checked new events of ``prep`` and one access-journal line (not committed).

    Returns every rank of the batch → number of its event (the one added, or the one already in force)."""
    db.add_all([ev for _, ev in prep.nouveaux])
    db.flush()
    journaliser(db, auteur, "import_suivis", departement,
                detail=f"{origine}{len(prep.nouveaux)} événement(s) ajouté(s), {len(prep.deja)} déjà enregistré(s)")
    return {rang: ev.id for rang, ev in [*prep.nouveaux, *prep.deja]}


__all__ = ["AVANT_ORIENTATION", "CHAMPS", "COMMENTAIRE_MAX", "ESSAIS_CONCURRENCE", "FACULTATIFS", "ORIGINES",
           "ROLE_CLE_API", "TYPES_SUIVI", "ConcurrenceRepetee", "EvenementRecu", "Preparation", "SuiviAccompagnement",
           "SuiviEnVigueur", "controler", "en_vigueur", "enregistrer_evenements", "lire_date", "lire_evenement",
           "preparer_evenements", "rejouer_si_concurrence"]
