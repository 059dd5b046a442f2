"""Follow-up of the accompaniment: events recorded after the orientation, their checks, corrections, history.

The events (types of :data:`~orientation.stockage.suivis.TYPES_SUIVI`) are rows of ``suivis_accompagnement``,
never updated nor deleted by the workspace: a correction is a new event pointing at the one it corrects (a
commentary is then required), an annulment is a correction that withdraws the event.  An event is **in
force** when nothing corrects it and it is not an annulment; a dossier has at most one event in force of
each type (a second one is refused: correct the first one instead).

Checks (:func:`controler`), each a French error naming the field, the value and the reason:

* the date is a real date, not in the future, not before the RSA request;
* every event except ``dossier_complet`` needs an orientation decision and cannot precede its date (the
  dossier's decision in force, the latest decision event);
* a follow-up action (``relance_apres_absence``) needs a missed first appointment in force and cannot
  precede it; an attended first appointment after a missed one comes strictly after it; withdrawing or
  moving a missed appointment that a follow-up action depends on is refused;
* conversely, a decision (or its correction) cannot be dated after the dossier's first follow-up event that
  must follow it (:func:`orientation.espace.decisions.premier_suivi`).

These are the order rules of the events file (:mod:`orientation.pilotage.evenements`), so that every dossier
recorded here reads back as a valid person in the indicators.  The card's form (:mod:`orientation.espace.
web_suivi`) and the bulk import (:mod:`orientation.espace.import_suivis`) go through them both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.erreurs import ErreurChamp, OrientationError
from orientation.espace.decisions import MOTIF_MAX, AccesRefuse, historique
from orientation.espace.journal import journaliser
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DecisionReferent, DossierEspace, Utilisateur
from orientation.stockage.suivis import AVANT_ORIENTATION, TYPES_SUIVI, SuiviAccompagnement

ABSENCE, RELANCE, HONORE = "absence_premier_rdv", "relance_apres_absence", "premier_rdv_honore"


class SuiviRefuse(OrientationError, ValueError):
    """A follow-up event cannot be recorded: one French error per field (field, value received, reason)."""

    def __init__(self, erreurs: list[ErreurChamp]):
        super().__init__("événement de suivi non enregistré : " + " ; ".join(f"{e.champ} : {e.raison}"
                                                                             for e in erreurs))
        self.erreurs = erreurs


@dataclass(frozen=True)
class SaisieSuivi:
    """What the card's follow-up form sends (text as typed)."""

    type: str = ""
    date_evenement: str = ""
    commentaire: str = ""
    corrige: str = ""  # number of the event in force it corrects; "" for a new event
    annuler: str = ""  # "oui": withdraw the corrected event


def historique_suivi(session: Session, dossier_id: int) -> list[SuiviAccompagnement]:
    """Every follow-up event of a dossier, oldest first."""
    return list(session.scalars(select(SuiviAccompagnement).where(SuiviAccompagnement.dossier_id == dossier_id)
                                .order_by(SuiviAccompagnement.id)))


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


def ajouter(session: Session, dossier: DossierEspace, type_: str, jour: date, commentaire: Optional[str],
            origine: str, auteur: Union[Utilisateur, str], role: str,
            corrige: Optional[SuiviAccompagnement] = None, annule: bool = False) -> SuiviAccompagnement:
    """Add one checked event to ``session`` (flushed, not committed)."""
    ev = SuiviAccompagnement(dossier_id=dossier.id, type=type_, date_evenement=jour, commentaire=commentaire,
                             annule=annule, corrige_id=corrige.id if corrige is not None else None, origine=origine,
                             auteur_id=auteur.id if isinstance(auteur, Utilisateur) else None,
                             auteur=auteur.courriel if isinstance(auteur, Utilisateur) else auteur, auteur_role=role,
                             enregistre_le=maintenant())
    session.add(ev)
    session.flush()
    return ev


def enregistrer_suivi(session: Session, utilisateur: Utilisateur, dossier: DossierEspace, saisie: SaisieSuivi,
                      aujourd_hui: date) -> SuiviAccompagnement:
    """Record an event (or a correction, an annulment) typed on the card; journal entry; committed."""
    if utilisateur.role != "referent" or dossier.departement != utilisateur.departement:
        raise AccesRefuse("seul un référent du département du dossier peut enregistrer le suivi de l'accompagnement")
    vigueur = en_vigueur(historique_suivi(session, dossier.id))
    decisions = historique(session, dossier.id)
    erreurs: list[ErreurChamp] = []
    corrige: Optional[SuiviAccompagnement] = None
    if saisie.corrige.strip():
        corrige = next((e for e in vigueur.values() if str(e.id) == saisie.corrige.strip()), None)
        if corrige is None:
            erreurs.append(ErreurChamp("corrige", saisie.corrige, "événement à corriger introuvable sur ce dossier, "
                                                                  "ou déjà corrigé"))
    annule = saisie.annuler == "oui"
    if annule and corrige is None and not erreurs:
        erreurs.append(ErreurChamp("corrige", "", "choisir l'événement à annuler"))
    commentaire = saisie.commentaire.strip() or None
    if commentaire is not None and len(commentaire) > MOTIF_MAX:
        erreurs.append(ErreurChamp("commentaire", commentaire[:40] + "…",
                                   f"commentaire trop long (au plus {MOTIF_MAX} caractères)"))
    if corrige is not None and commentaire is None:
        erreurs.append(ErreurChamp("commentaire", "", "commentaire obligatoire pour corriger ou annuler un "
                                                      "événement"))
    if annule and corrige is not None:
        type_, jour = corrige.type, corrige.date_evenement
    else:
        type_ = saisie.type.strip()
        jour = lire_date(saisie.date_evenement, "date", erreurs)
    if all(e.champ != "corrige" for e in erreurs):  # a bad correction target: say only that
        erreurs += controler(type_, jour, dossier, decisions[-1] if decisions else None, vigueur, aujourd_hui,
                             corrige, annule)
    if erreurs:
        raise SuiviRefuse(erreurs)
    assert jour is not None
    ev = ajouter(session, dossier, type_, jour, commentaire, "espace", utilisateur, utilisateur.role, corrige, annule)
    journaliser(session, utilisateur, "suivi", dossier.departement, dossier.id,
                type_ + (" (annulation)" if annule else " (correction)" if corrige is not None else ""))
    session.commit()
    return ev


__all__ = ["SaisieSuivi", "SuiviRefuse", "ajouter", "controler", "en_vigueur",
           "enregistrer_suivi", "historique_suivi", "lire_date"]
