"""The card's « Suivi de l'accompagnement »: follow-up form and history (partial ``fiche_suivi.html``).

The card template includes the partial; this module gives it its data (template global
:func:`suivi_du_dossier`, read in the request's database session) and answers the form's POST with the
dependencies of :mod:`orientation.espace.web`, exactly as the decision form: live session, CSRF token (403),
referent role (403), dossier of the referent's département (404 otherwise, its existence not disclosed).
A refused event re-renders the card (422) with the French errors beside the follow-up form; a recorded
one redirects to the card's follow-up section.  Every event is written to the access journal
(:func:`orientation.espace.suivis.enregistrer_suivi`).  The router is included by
:func:`orientation.espace.application.monter`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import object_session

from orientation.espace.decisions import AccesRefuse
from orientation.espace.suivis import SaisieSuivi, SuiviRefuse, en_vigueur, enregistrer_suivi, historique_suivi
from orientation.espace.web import ENV, DossierReferentFormulaire, ErreurPage, ReferentFormulaire, _fiche
from orientation.stockage.espace import DossierEspace
from orientation.stockage.suivis import TYPES_SUIVI

routeur = APIRouter(prefix="/espace", include_in_schema=False)
CHAMPS = ("type", "date_evenement", "commentaire", "corrige", "annuler")


def suivi_du_dossier(dossier: DossierEspace) -> dict[str, Any]:
    """What the partial shows: every event (oldest first), those in force, the numbers of corrected ones."""
    session = object_session(dossier)
    assert session is not None
    evenements = historique_suivi(session, dossier.id)
    vigueur = sorted(en_vigueur(evenements).values(), key=lambda e: (e.date_evenement, e.id))
    return {"evenements": evenements, "vigueur": vigueur,
            "corriges": {e.corrige_id for e in evenements if e.corrige_id is not None}}


ENV.globals.update(suivi_du_dossier=suivi_du_dossier, types_suivi=TYPES_SUIVI,
                   libelles_champs_suivi={"type": "Événement", "date": "Date de l'événement",
                                          "commentaire": "Commentaire", "corrige": "Événement à corriger"})


@routeur.post("/dossiers/{dossier_id}/suivi")
def suivi(request: Request, a: ReferentFormulaire, d: DossierReferentFormulaire) -> Response:
    assert a.formulaire is not None
    saisie = SaisieSuivi(*(str(a.formulaire.get(k) or "")[:3000] for k in CHAMPS))
    try:
        enregistrer_suivi(a.db, a.utilisateur, d, saisie, date.today())
    except SuiviRefuse as exc:
        a.db.rollback()
        return _fiche(request, a, d, 422, suivi_erreurs=exc.erreurs, suivi_saisie=saisie)
    except AccesRefuse as exc:
        raise ErreurPage(403, "Accès refusé", str(exc)) from None
    return RedirectResponse(f"/espace/dossiers/{d.id}#t-suivi", status_code=303)


__all__ = ["routeur", "suivi_du_dossier"]
