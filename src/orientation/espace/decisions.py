"""Decisions recorded by referents: immutable events, corrections, bulk validation, history.

A decision names the route, the referent body (structure), the date, and a reason when it differs from
the recommendation (or corrects an earlier decision); for a mandatory appointment, whether it was held.
Each is a new row of ``decisions_referents`` (never updated nor deleted by the workspace); the latest
event of a dossier is its decision; a correction points at the event it corrects.  Direct orientations
proposed by the algorithm can be validated in bulk by an empowered referent: the decision stays the
président du conseil départemental's, the event records who validated it.  Every decision is written
to the access journal in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from orientation.erreurs import ErreurChamp, OrientationError
from orientation.espace.importation import A_ORIENTER, ORIENTE
from orientation.espace.journal import journaliser
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DecisionReferent, DossierEspace, Utilisateur
from orientation.stockage.suivis import AVANT_ORIENTATION, SuiviAccompagnement
from orientation.vocabulaire import Modalite, Parcours, Structure

MOTIF_MAX = 2_000


class DecisionRefusee(OrientationError, ValueError):
    """A decision cannot be recorded: one French error per field (field, value received, reason)."""

    def __init__(self, erreurs: list[ErreurChamp]):
        super().__init__("décision non enregistrée : " + " ; ".join(f"{e.champ} : {e.raison}" for e in erreurs))
        self.erreurs = erreurs


class AccesRefuse(OrientationError):
    """The account may not do this (French message)."""


@dataclass(frozen=True)
class Saisie:
    """What the decision form sends (text as typed)."""

    parcours: str
    structure: str
    date_decision: str
    motif: str = ""
    rdv_honore: str = ""  # "oui" | "non" | ""


def dossier_du_departement(session: Session, utilisateur: Utilisateur, dossier_id: int) -> Optional[DossierEspace]:
    """The dossier if it belongs to the account's département, else ``None`` (the caller answers 404)."""
    d = session.get(DossierEspace, dossier_id)
    return d if d is not None and d.departement == utilisateur.departement else None


def historique(session: Session, dossier_id: int) -> list[DecisionReferent]:
    """Every decision event of a dossier, oldest first."""
    return list(session.scalars(select(DecisionReferent).where(DecisionReferent.dossier_id == dossier_id)
                                .order_by(DecisionReferent.id)))


def premier_suivi(session: Session, dossier_id: int) -> Optional[date]:
    """Date of the dossier's earliest follow-up event in force that must follow the orientation, if any.

    A decision (or a correction) cannot be dated after it: the follow-up would then precede its orientation.
    """
    corrige = aliased(SuiviAccompagnement)
    return session.scalar(select(func.min(SuiviAccompagnement.date_evenement)).where(
        SuiviAccompagnement.dossier_id == dossier_id, SuiviAccompagnement.type.not_in(AVANT_ORIENTATION),
        SuiviAccompagnement.annule.is_(False),
        ~select(corrige.id).where(corrige.corrige_id == SuiviAccompagnement.id).exists()))


def _verifier(saisie: Saisie, dossier: DossierEspace, derniere: Optional[DecisionReferent],
              aujourd_hui: date) -> tuple[Parcours, Structure, date, Optional[str], Optional[bool], bool]:
    erreurs: list[ErreurChamp] = []
    parcours = Parcours.__members__.get(saisie.parcours)
    if parcours is None:
        erreurs.append(ErreurChamp("parcours", saisie.parcours, "parcours à choisir : professionnel, "
                                                                "socio-professionnel ou social"))
    structure = Structure.__members__.get(saisie.structure)
    if structure is None:
        erreurs.append(ErreurChamp("structure", saisie.structure, "structure référente à choisir dans la liste"))
    jour: Optional[date] = None
    try:
        jour = date.fromisoformat(saisie.date_decision.strip())
    except ValueError:
        erreurs.append(ErreurChamp("date", saisie.date_decision, "date de décision attendue (AAAA-MM-JJ)"))
    if jour is not None and jour > aujourd_hui:
        erreurs.append(ErreurChamp("date", saisie.date_decision, "date de décision dans le futur"))
    elif jour is not None and jour < dossier.date_demande:
        erreurs.append(ErreurChamp("date", saisie.date_decision, "date de décision antérieure à la demande de RSA "
                                                                 f"({dossier.date_demande:%d/%m/%Y})"))
    motif = saisie.motif.strip() or None
    if motif is not None and len(motif) > MOTIF_MAX:
        erreurs.append(ErreurChamp("motif", motif[:40] + "…", f"motif trop long (au plus {MOTIF_MAX} caractères)"))
    differe = (parcours is not None and structure is not None
               and (parcours.value != dossier.parcours_propose or structure.value != dossier.structure_proposee))
    if differe and motif is None:
        erreurs.append(ErreurChamp("motif", "", "motif obligatoire : la décision diffère de la recommandation "
                                                "(parcours ou structure)"))
    elif derniere is not None and motif is None:
        erreurs.append(ErreurChamp("motif", "", "motif obligatoire pour corriger une décision déjà enregistrée"))
    honore: Optional[bool] = {"oui": True, "non": False}.get(saisie.rdv_honore)
    if dossier.modalite == Modalite.rdv_obligatoire.value and honore is None:
        erreurs.append(ErreurChamp("rdv_honore", saisie.rdv_honore, "indiquer si le rendez-vous a eu lieu (oui ou non)"))
    if erreurs:
        raise DecisionRefusee(erreurs)
    assert parcours is not None and structure is not None and jour is not None
    return parcours, structure, jour, motif, honore, differe


def enregistrer_decision(session: Session, utilisateur: Utilisateur, dossier: DossierEspace, saisie: Saisie,
                         aujourd_hui: date) -> DecisionReferent:
    """Record a decision (or a correction) by ``utilisateur`` on ``dossier``; journal entry; committed."""
    if utilisateur.role != "referent" or dossier.departement != utilisateur.departement:
        raise AccesRefuse("seul un référent du département du dossier peut enregistrer une décision")
    hist = historique(session, dossier.id)
    derniere = hist[-1] if hist else None
    parcours, structure, jour, motif, honore, differe = _verifier(saisie, dossier, derniere, aujourd_hui)
    suivi = premier_suivi(session, dossier.id)
    if suivi is not None and jour > suivi:
        raise DecisionRefusee([ErreurChamp("date", saisie.date_decision, "date de décision postérieure au suivi de "
                                           f"l'accompagnement déjà enregistré (premier événement le {suivi:%d/%m/%Y}) "
                                           ": corriger d'abord ce suivi")])
    ev = DecisionReferent(dossier_id=dossier.id, parcours=parcours.value, structure=structure.value,
                          date_decision=jour, motif=motif, rdv_honore=honore, differe_recommandation=differe,
                          validation_lot=False, corrige_id=None if derniere is None else derniere.id,
                          auteur_id=utilisateur.id, auteur=utilisateur.courriel, auteur_role=utilisateur.role,
                          enregistree_le=maintenant())
    session.add(ev)
    session.execute(update(DossierEspace).where(DossierEspace.id == dossier.id).values(statut=ORIENTE))
    dossier.statut = ORIENTE
    session.flush()
    journaliser(session, utilisateur, "decision", dossier.departement, dossier.id,
                "correction" if derniere is not None else None)
    session.commit()
    return ev


def valider_lot(session: Session, utilisateur: Utilisateur, ids: Sequence[int], aujourd_hui: date) -> int:
    """Validate the direct orientations ``ids`` as proposed; the number validated (others are skipped)."""
    if utilisateur.role != "referent" or not utilisateur.habilite_validation:
        raise AccesRefuse("validation en lot réservée aux référents habilités (orientation utilisateurs ajouter "
                          "--habilite-validation)")
    ids = sorted({int(i) for i in ids})[:1000]
    if not ids:
        return 0
    dossiers = session.scalars(select(DossierEspace).where(
        DossierEspace.id.in_(ids), DossierEspace.departement == utilisateur.departement,
        DossierEspace.statut == A_ORIENTER, DossierEspace.modalite == Modalite.orientation_directe.value,
        DossierEspace.parcours_propose.is_not(None), DossierEspace.structure_proposee.is_not(None))).all()
    t = maintenant()
    for d in dossiers:
        session.add(DecisionReferent(dossier_id=d.id, parcours=d.parcours_propose, structure=d.structure_proposee,
                                     date_decision=aujourd_hui, motif=None, rdv_honore=None,
                                     differe_recommandation=False, validation_lot=True, corrige_id=None,
                                     auteur_id=utilisateur.id, auteur=utilisateur.courriel,
                                     auteur_role=utilisateur.role, enregistree_le=t))
        d.statut = ORIENTE
        journaliser(session, utilisateur, "validation_lot", d.departement, d.id)
    session.commit()
    return len(dossiers)


__all__ = ["AccesRefuse", "DecisionRefusee", "Saisie", "dossier_du_departement", "enregistrer_decision",
           "historique", "premier_suivi", "valider_lot"]
