"""Follow-up of the accompaniment: events recorded after the orientation, their checks, corrections, history.

The events (types of :data:`~orientation.stockage.suivis.TYPES_SUIVI`) are rows of ``suivis_accompagnement``,
never updated nor deleted by the workspace: a correction is a new event pointing at the one it corrects (a
commentary is then required), an annulment is a correction that withdraws the event.  An event is **in
force** when nothing corrects it and it is not an annulment; a dossier has at most one event in force of
each type (a second one is refused: correct the first one instead), which the database guarantees too
(revision 0007): two referents recording the same type at the same time, the second one's checks are replayed
and give the usual refusal.

Checks (:func:`orientation.stockage.suivis.controler`, shared with the bulk import and the ``/v1/suivis``
route of the service), each a French error naming the field, the value and the reason:

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
web_suivi`), the bulk import (:mod:`orientation.espace.import_suivis`) and ``POST /v1/suivis`` go through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.erreurs import ErreurChamp, OrientationError
from orientation.espace.decisions import AccesRefuse, historique
from orientation.espace.journal import journaliser
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DossierEspace, Utilisateur
from orientation.stockage.suivis import (COMMENTAIRE_MAX, ConcurrenceRepetee, SuiviAccompagnement, controler,
                                         en_vigueur, lire_date, rejouer_si_concurrence)


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
    try:  # replayed if a concurrent writer wins a race: the checks then see its event (same refusal as usual)
        return rejouer_si_concurrence(session, lambda: _enregistrer(session, utilisateur, dossier, saisie,
                                                                    aujourd_hui))
    except ConcurrenceRepetee as exc:
        raise SuiviRefuse([ErreurChamp("type", saisie.type, str(exc))]) from None


def _enregistrer(session: Session, utilisateur: Utilisateur, dossier: DossierEspace, saisie: SaisieSuivi,
                 aujourd_hui: date) -> SuiviAccompagnement:
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
    if commentaire is not None and len(commentaire) > COMMENTAIRE_MAX:
        erreurs.append(ErreurChamp("commentaire", commentaire[:40] + "…",
                                   f"commentaire trop long (au plus {COMMENTAIRE_MAX} caractères)"))
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
