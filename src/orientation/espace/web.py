"""The workspace's pages (server-rendered French HTML): login, queue, card, decision, bulk validation.

Every page needs a live session (:mod:`orientation.espace.sessions`), else a GET is redirected to the
login page and a POST is refused (403).  Every POST checks the session's CSRF token (403 otherwise).
Referents see only the dossiers of their département: a dossier of another département answers 404,
as an unknown one (its existence is not disclosed).  Pages are sent with ``Cache-Control: no-store`` and
a strict Content-Security-Policy (no external asset; scripts and styles from the workspace only).
Administration pages (import, exports) are in :mod:`orientation.espace.web_admin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from orientation.espace import comptes, sessions as sess
from orientation.espace.carte import carte
from orientation.espace.decisions import (AccesRefuse, DecisionRefusee, Saisie, dossier_du_departement,
                                          enregistrer_decision, historique, valider_lot)
from orientation.espace.file import ECHEANCES, VUES, Filtres, page_file
from orientation.espace.journal import journaliser
from orientation.stockage.espace import SessionEspace, Utilisateur
from orientation.vocabulaire import Modalite, Parcours, Structure

ENV = Environment(loader=PackageLoader("orientation.espace", "gabarits"), autoescape=select_autoescape(["html"]))
ENTETES = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
LIBELLES = {
    "libelles_roles": {"referent": "référent", "analyste": "analyste", "administrateur": "administrateur"},
    "libelles_modalites": {m.value: m.libelle for m in Modalite},
    "libelles_parcours": {p.value: p.libelle for p in Parcours},
    "libelles_structures": {s.value: s.libelle for s in Structure},
    "libelles_champs": {"parcours": "Parcours décidé", "structure": "Structure référente", "date": "Date de la décision",
                        "motif": "Motif", "rdv_honore": "Rendez-vous"},
    "parcours": list(Parcours), "structures": list(Structure), "vues": VUES, "echeances": ECHEANCES,
}

routeur = APIRouter(prefix="/espace", include_in_schema=False)


class ErreurPage(Exception):
    """An error answered with the French error page (status, title, message)."""

    def __init__(self, statut: int, titre: str, message: str):
        super().__init__(message)
        self.statut, self.titre, self.message = statut, titre, message


class Redirection(Exception):
    def __init__(self, cible: str):
        super().__init__(cible)
        self.cible = cible


@dataclass
class Contexte:
    """The request's database session, browser session and account."""

    db: Session
    session: Optional[SessionEspace]
    jeton: Optional[str]
    utilisateur: Optional[Utilisateur]


def page(request: Request, gabarit: str, ctx: Optional[Contexte], statut: int = 200, **valeurs: Any) -> HTMLResponse:
    """Render ``gabarit`` with the common values and the security headers."""
    html = ENV.get_template(gabarit).render(
        **LIBELLES, utilisateur=ctx.utilisateur if ctx else None,
        csrf=ctx.session.jeton_csrf if ctx and ctx.session else "", **valeurs)
    return HTMLResponse(html, status_code=statut, headers=ENTETES)


def erreur_page(request: Request, exc: ErreurPage) -> HTMLResponse:
    return HTMLResponse(ENV.get_template("erreur.html").render(**LIBELLES, utilisateur=None, csrf="", titre=exc.titre,
                                                               message=exc.message),
                        status_code=exc.statut, headers=ENTETES)


def poser_cookie(request: Request, reponse: Response, jeton: str) -> None:
    reponse.set_cookie(sess.COOKIE, jeton, httponly=True, samesite="lax", path="/espace",
                       secure=sess.cookie_securise(request.url.scheme))


def sessions_db(request: Request) -> Any:
    return request.app.state.service.sessions


def contexte(request: Request, db: Session, exiger: bool = True) -> Contexte:
    """The request's context; with ``exiger``, a logged-in active account (redirect to login or 403)."""
    jeton = request.cookies.get(sess.COOKIE)
    ligne = sess.lire(db, jeton)
    u = db.get(Utilisateur, ligne.utilisateur_id) if ligne is not None and ligne.utilisateur_id else None
    if u is not None and not u.actif:
        u = None
    if exiger and u is None:
        if request.method == "GET":
            raise Redirection("/espace/connexion")
        raise ErreurPage(403, "Session expirée", "session absente ou expirée : se reconnecter, puis recommencer")
    return Contexte(db, ligne, jeton, u)


async def verifier_csrf(request: Request, ctx: Contexte) -> Any:
    """The form, once its CSRF token is checked (403 otherwise)."""
    formulaire = await request.form()
    if not sess.jeton_csrf_valide(ctx.session, str(formulaire.get("csrf") or "")):
        raise ErreurPage(403, "Formulaire refusé", "jeton de sécurité (CSRF) absent ou invalide : recharger la page "
                                                   "puis renvoyer le formulaire")
    return formulaire


def exiger_role(ctx: Contexte, *roles: str) -> Utilisateur:
    u = ctx.utilisateur
    assert u is not None
    if u.role not in roles:
        raise ErreurPage(403, "Accès refusé", f"page réservée aux rôles : {', '.join(roles)}")
    return u


def ip_de(request: Request) -> str:
    return request.client.host if request.client else "inconnue"


# --------------------------------------------------------------------------- login


@routeur.get("/")
def accueil(request: Request) -> Response:
    with sessions_db(request)() as db:
        u = contexte(request, db).utilisateur
        assert u is not None
        cible = {"referent": "/espace/file", "analyste": "/espace/exports", "administrateur": "/espace/import"}[u.role]
    return RedirectResponse(cible, status_code=303)


@routeur.get("/connexion")
def connexion_formulaire(request: Request) -> Response:
    with sessions_db(request)() as db:
        ctx = contexte(request, db, exiger=False)
        if ctx.session is None:  # an anonymous session carries the login form's CSRF token
            jeton, ligne = sess.ouvrir(db)
            ctx = Contexte(db, ligne, jeton, None)
        reponse = page(request, "connexion.html", Contexte(db, ctx.session, ctx.jeton, None))
        poser_cookie(request, reponse, ctx.jeton or "")
        return reponse


@routeur.post("/connexion")
async def connexion(request: Request) -> Response:
    from fastapi.concurrency import run_in_threadpool

    with sessions_db(request)() as db:
        ctx = await run_in_threadpool(contexte, request, db, False)
        formulaire = await verifier_csrf(request, ctx)
        courriel = str(formulaire.get("courriel") or "")[:254]
        res = await run_in_threadpool(comptes.connecter, db, courriel, str(formulaire.get("mot_de_passe") or ""),
                                      ip_de(request))
        if res.utilisateur is None:
            return page(request, "connexion.html", ctx, 429 if res.bloque else 401, message=res.message,
                        courriel=courriel)
        u = res.utilisateur
        jeton, _ = await run_in_threadpool(sess.ouvrir, db, u.id, ctx.jeton)  # new session id: no fixation
        journaliser(db, u, "connexion", u.departement)
        db.commit()
        reponse = RedirectResponse("/espace/", status_code=303)
        poser_cookie(request, reponse, jeton)
        return reponse


@routeur.post("/deconnexion")
async def deconnexion(request: Request) -> Response:
    with sessions_db(request)() as db:
        ctx = contexte(request, db, exiger=False)
        await verifier_csrf(request, ctx)
        sess.fermer(db, ctx.jeton)
    reponse = RedirectResponse("/espace/connexion", status_code=303)
    reponse.delete_cookie(sess.COOKIE, path="/espace")
    return reponse


# --------------------------------------------------------------------------- queue and card


@routeur.get("/file")
def file(request: Request, modalite: str = "", structure: str = "", parcours: str = "", echeance: str = "",
         message: str = "") -> Response:
    with sessions_db(request)() as db:
        ctx = contexte(request, db)
        u = exiger_role(ctx, "referent")
        numero = request.query_params.get("page", "1")
        f = Filtres(modalite, structure, parcours, echeance, int(numero) if numero.isdigit() else 1).valides()
        resultat = page_file(db, u.departement, f, date.today())

        def lien_page(n: int) -> str:
            return "/espace/file?" + urlencode({**{k: v for k, v in (("modalite", f.modalite), ("structure", f.structure),
                                                                     ("parcours", f.parcours), ("echeance", f.echeance))
                                                  if v}, "page": n})

        messages = {"valides": "orientation(s) directe(s) validée(s)"}
        texte = ""
        if message.isdigit() and request.query_params.get("quoi") in messages:
            texte = f"{message} {messages[request.query_params['quoi']]}."
        return page(request, "file.html", ctx, page=resultat, filtres=f, lien_page=lien_page, message=texte)


def _fiche(request: Request, ctx: Contexte, dossier_id: int, statut: int = 200, erreurs: Any = None,
           saisie: Optional[Saisie] = None, **autres: Any) -> Response:
    u = ctx.utilisateur
    assert u is not None
    d = dossier_du_departement(ctx.db, u, dossier_id)
    if d is None:
        raise ErreurPage(404, "Dossier introuvable", "aucun dossier à ce numéro dans votre département")
    hist = historique(ctx.db, d.id)
    if saisie is None:
        dernier = hist[-1] if hist else None
        saisie = Saisie(dernier.parcours if dernier else d.parcours_propose or "",
                        dernier.structure if dernier else d.structure_proposee or "", date.today().isoformat())
    journaliser(ctx.db, u, "consultation", d.departement, d.id)
    ctx.db.commit()
    c = carte(d, request.app.state.service.orientateur)
    return page(request, "fiche.html", ctx, statut, dossier=d, historique=hist, carte=c, erreurs=erreurs or [],
                saisie=saisie, peut_decider=u.role == "referent",
                en_retard=not hist and d.echeance is not None and d.echeance < date.today(), **autres)


@routeur.get("/dossiers/{dossier_id}")
def fiche(request: Request, dossier_id: int) -> Response:
    with sessions_db(request)() as db:
        ctx = contexte(request, db)
        exiger_role(ctx, "referent")
        return _fiche(request, ctx, dossier_id)


@routeur.post("/dossiers/{dossier_id}/decision")
async def decision(request: Request, dossier_id: int) -> Response:
    from fastapi.concurrency import run_in_threadpool

    with sessions_db(request)() as db:
        ctx = await run_in_threadpool(contexte, request, db)
        formulaire = await verifier_csrf(request, ctx)
        u = exiger_role(ctx, "referent")
        d = dossier_du_departement(db, u, dossier_id)
        if d is None:
            raise ErreurPage(404, "Dossier introuvable", "aucun dossier à ce numéro dans votre département")
        saisie = Saisie(*(str(formulaire.get(k) or "")[:3000] for k in ("parcours", "structure", "date_decision",
                                                                          "motif", "rdv_honore")))
        try:
            await run_in_threadpool(enregistrer_decision, db, u, d, saisie, date.today())
        except DecisionRefusee as exc:
            db.rollback()
            return await run_in_threadpool(_fiche, request, ctx, dossier_id, 422, exc.erreurs, saisie)
        except AccesRefuse as exc:
            raise ErreurPage(403, "Accès refusé", str(exc)) from None
    return RedirectResponse(f"/espace/dossiers/{dossier_id}#t-historique", status_code=303)


@routeur.post("/validation")
async def validation(request: Request) -> Response:
    from fastapi.concurrency import run_in_threadpool

    with sessions_db(request)() as db:
        ctx = await run_in_threadpool(contexte, request, db)
        formulaire = await verifier_csrf(request, ctx)
        u = exiger_role(ctx, "referent")
        ids = [int(x) for x in formulaire.getlist("ids") if str(x).isdigit()]
        try:
            n = await run_in_threadpool(valider_lot, db, u, ids, date.today())
        except AccesRefuse as exc:
            raise ErreurPage(403, "Accès refusé", str(exc)) from None
    return RedirectResponse(f"/espace/file?modalite=orientation_directe&message={n}&quoi=valides", status_code=303)


__all__ = ["ENTETES", "ErreurPage", "Redirection", "contexte", "erreur_page", "exiger_role", "page", "routeur",
           "verifier_csrf"]
