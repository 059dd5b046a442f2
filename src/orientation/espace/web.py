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
from typing import Annotated, Any, Awaitable, Callable, Iterator, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from orientation.espace import comptes, sessions as sess
from orientation.espace.carte import carte
from orientation.espace.decisions import (AccesRefuse, DecisionRefusee, Saisie, dossier_du_departement,
                                          enregistrer_decision, historique, valider_lot)
from orientation.espace.exports import ROLES_EXPORT
from orientation.espace.file import ECHEANCES, VUES, Filtres, page_file
from orientation.espace.journal import journaliser
from orientation.service.problemes import ErreurService
from orientation.stockage.espace import DossierEspace, SessionEspace, Utilisateur
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
    """The request's database session, browser session and account (``None`` before login)."""

    db: Session
    session: Optional[SessionEspace]
    jeton: Optional[str]
    utilisateur: Optional[Utilisateur]


@dataclass
class Acces:
    """A request of a logged-in active account, allowed on the route (see :func:`acces`)."""

    db: Session
    session: SessionEspace
    utilisateur: Utilisateur
    formulaire: Optional[FormData] = None  # the form, its CSRF token checked (POST routes)


def page(request: Request, gabarit: str, ctx: Optional[Contexte | Acces], statut: int = 200,
         **valeurs: Any) -> HTMLResponse:
    """Render ``gabarit`` with the common values and the security headers."""
    html = ENV.get_template(gabarit).render(
        **LIBELLES, utilisateur=ctx.utilisateur if ctx else None,
        csrf=ctx.session.jeton_csrf if ctx and ctx.session else "", **valeurs)
    return HTMLResponse(html, status_code=statut, headers=ENTETES)


def erreur_page(request: Optional[Request], exc: ErreurPage) -> HTMLResponse:
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
        raise _non_connecte(request)
    return Contexte(db, ligne, jeton, u)


def _non_connecte(request: Request) -> Exception:
    if request.method == "GET":
        return Redirection("/espace/connexion")
    return ErreurPage(403, "Session expirée", "session absente ou expirée : se reconnecter, puis recommencer")


async def verifier_csrf(request: Request, ctx: Contexte) -> FormData:
    """The form, once its CSRF token is checked (403 otherwise)."""
    formulaire = await lire_formulaire(request)
    if not sess.jeton_csrf_valide(ctx.session, str(formulaire.get("csrf") or "")):
        raise ErreurPage(403, "Formulaire refusé", "jeton de sécurité (CSRF) absent ou invalide : recharger la page "
                                                   "puis renvoyer le formulaire")
    return formulaire


async def lire_formulaire(request: Request) -> FormData:
    """The request's form; a body over the size limit (counted while read) is the French 413 page."""
    try:
        return await request.form()
    except ErreurService as exc:
        if exc.statut != 413:
            raise
        raise ErreurPage(413, "Fichier trop volumineux", exc.detail.split(" par requête")[0]) from None


def exiger_role(ctx: Contexte | Acces, *roles: str) -> Utilisateur:
    u = ctx.utilisateur
    assert u is not None
    if u.role not in roles:
        raise ErreurPage(403, "Accès refusé", f"page réservée aux rôles : {', '.join(roles)}")
    return u


def ip_de(request: Request) -> str:
    return request.client.host if request.client else "inconnue"


# --------------------------------------------------------------------------- dependencies: every route's prologue


def base_de_donnees(request: Request) -> Iterator[Session]:
    """Dependency: a database session for the request, closed after it."""
    with sessions_db(request)() as db:
        yield db


def contexte_requete(request: Request, db: Session = Depends(base_de_donnees)) -> Contexte:
    """Dependency: the browser session and its account, if any (login and logout pages)."""
    return contexte(request, db, exiger=False)


async def formulaire_verifie(request: Request, ctx: Contexte = Depends(contexte_requete)) -> FormData:
    """Dependency: the form of a POST before login (login, logout), its CSRF token checked."""
    return await verifier_csrf(request, ctx)


def acces(*roles: str, formulaire: bool = False) -> Callable[..., Awaitable[Acces]]:
    """A dependency: a logged-in active account (GET: redirect to login; POST: 403), then with ``formulaire``
    the form's CSRF token (403), then the account's role among ``roles`` (any role if none: 403)."""

    async def dependance(request: Request, ctx: Contexte = Depends(contexte_requete)) -> Acces:
        if ctx.utilisateur is None or ctx.session is None:
            raise _non_connecte(request)
        donnees = await verifier_csrf(request, ctx) if formulaire else None
        if roles:
            exiger_role(ctx, *roles)
        return Acces(ctx.db, ctx.session, ctx.utilisateur, donnees)

    return dependance


def dossier_de(dependance: Callable[..., Awaitable[Acces]]) -> Callable[..., DossierEspace]:
    """A dependency: the dossier ``{dossier_id}`` of the account's département (404 otherwise, as an unknown one)."""

    def trouver(dossier_id: int, a: Acces = Depends(dependance)) -> DossierEspace:
        d = dossier_du_departement(a.db, a.utilisateur, dossier_id)
        if d is None:
            raise ErreurPage(404, "Dossier introuvable", "aucun dossier à ce numéro dans votre département")
        return d

    return trouver


CONNECTE = acces()
_REFERENT, _REFERENT_POST = acces("referent"), acces("referent", formulaire=True)
Connecte = Annotated[Acces, Depends(CONNECTE)]
Referent = Annotated[Acces, Depends(_REFERENT)]
ReferentFormulaire = Annotated[Acces, Depends(_REFERENT_POST)]
DossierReferent = Annotated[DossierEspace, Depends(dossier_de(_REFERENT))]
DossierReferentFormulaire = Annotated[DossierEspace, Depends(dossier_de(_REFERENT_POST))]
Administrateur = Annotated[Acces, Depends(acces("administrateur"))]
AdministrateurFormulaire = Annotated[Acces, Depends(acces("administrateur", formulaire=True))]
ExportAutorise = Annotated[Acces, Depends(acces(*sorted(ROLES_EXPORT)))]


# --------------------------------------------------------------------------- login


@routeur.get("/")
def accueil(a: Connecte) -> Response:
    cible = {"referent": "/espace/file", "analyste": "/espace/exports", "administrateur": "/espace/import"}
    return RedirectResponse(cible[a.utilisateur.role], status_code=303)


@routeur.get("/connexion")
def connexion_formulaire(request: Request, ctx: Contexte = Depends(contexte_requete)) -> Response:
    if ctx.session is None:  # an anonymous session carries the login form's CSRF token
        jeton, ligne = sess.ouvrir(ctx.db)
        ctx = Contexte(ctx.db, ligne, jeton, None)
    reponse = page(request, "connexion.html", Contexte(ctx.db, ctx.session, ctx.jeton, None))
    poser_cookie(request, reponse, ctx.jeton or "")
    return reponse


@routeur.post("/connexion")
def connexion(request: Request, ctx: Contexte = Depends(contexte_requete),
              formulaire: FormData = Depends(formulaire_verifie)) -> Response:
    db = ctx.db
    courriel = str(formulaire.get("courriel") or "")[:254]
    res = comptes.connecter(db, courriel, str(formulaire.get("mot_de_passe") or ""), ip_de(request))
    if res.utilisateur is None:
        return page(request, "connexion.html", ctx, 429 if res.bloque else 401, message=res.message,
                    courriel=courriel)
    u = res.utilisateur
    jeton, _ = sess.ouvrir(db, u.id, ctx.jeton)  # new session id: no fixation
    journaliser(db, u, "connexion", u.departement)
    db.commit()
    reponse = RedirectResponse("/espace/", status_code=303)
    poser_cookie(request, reponse, jeton)
    return reponse


@routeur.post("/deconnexion")
def deconnexion(ctx: Contexte = Depends(contexte_requete), _: FormData = Depends(formulaire_verifie)) -> Response:
    sess.fermer(ctx.db, ctx.jeton)
    reponse = RedirectResponse("/espace/connexion", status_code=303)
    reponse.delete_cookie(sess.COOKIE, path="/espace")
    return reponse


# --------------------------------------------------------------------------- queue and card


@routeur.get("/file")
def file(request: Request, a: Referent, modalite: str = "", structure: str = "", parcours: str = "",
         echeance: str = "", message: str = "") -> Response:
    numero = request.query_params.get("page", "1")
    f = Filtres(modalite, structure, parcours, echeance, int(numero) if numero.isdigit() else 1).valides()
    resultat = page_file(a.db, a.utilisateur.departement, f, date.today())

    def lien_page(n: int) -> str:
        return "/espace/file?" + urlencode({**{k: v for k, v in (("modalite", f.modalite), ("structure", f.structure),
                                                                 ("parcours", f.parcours), ("echeance", f.echeance))
                                              if v}, "page": n})

    messages = {"valides": "orientation(s) directe(s) validée(s)"}
    texte = ""
    if message.isdigit() and request.query_params.get("quoi") in messages:
        texte = f"{message} {messages[request.query_params['quoi']]}."
    return page(request, "file.html", a, page=resultat, filtres=f, lien_page=lien_page, message=texte)


def _fiche(request: Request, a: Acces, d: DossierEspace, statut: int = 200, erreurs: Any = None,
           saisie: Optional[Saisie] = None, **autres: Any) -> Response:
    u = a.utilisateur
    hist = historique(a.db, d.id)
    if saisie is None:
        dernier = hist[-1] if hist else None
        saisie = Saisie(dernier.parcours if dernier else d.parcours_propose or "",
                        dernier.structure if dernier else d.structure_proposee or "", date.today().isoformat())
    journaliser(a.db, u, "consultation", d.departement, d.id)
    a.db.commit()
    c = carte(d, request.app.state.service.orientateur)
    return page(request, "fiche.html", a, statut, dossier=d, historique=hist, carte=c, erreurs=erreurs or [],
                saisie=saisie, peut_decider=u.role == "referent",
                en_retard=not hist and d.echeance is not None and d.echeance < date.today(), **autres)


@routeur.get("/dossiers/{dossier_id}")
def fiche(request: Request, a: Referent, d: DossierReferent) -> Response:
    return _fiche(request, a, d)


@routeur.post("/dossiers/{dossier_id}/decision")
def decision(request: Request, a: ReferentFormulaire, d: DossierReferentFormulaire) -> Response:
    assert a.formulaire is not None
    saisie = Saisie(*(str(a.formulaire.get(k) or "")[:3000] for k in ("parcours", "structure", "date_decision",
                                                                       "motif", "rdv_honore")))
    try:
        enregistrer_decision(a.db, a.utilisateur, d, saisie, date.today())
    except DecisionRefusee as exc:
        a.db.rollback()
        return _fiche(request, a, d, 422, exc.erreurs, saisie)
    except AccesRefuse as exc:
        raise ErreurPage(403, "Accès refusé", str(exc)) from None
    return RedirectResponse(f"/espace/dossiers/{d.id}#t-historique", status_code=303)


@routeur.post("/validation")
def validation(a: ReferentFormulaire) -> Response:
    assert a.formulaire is not None
    ids = [int(x) for x in a.formulaire.getlist("ids") if str(x).isdigit()]
    try:
        n = valider_lot(a.db, a.utilisateur, ids, date.today())
    except AccesRefuse as exc:
        raise ErreurPage(403, "Accès refusé", str(exc)) from None
    return RedirectResponse(f"/espace/file?modalite=orientation_directe&message={n}&quoi=valides", status_code=303)


__all__ = ["CONNECTE", "ENTETES", "Acces", "Administrateur", "AdministrateurFormulaire", "Connecte", "Contexte",
           "DossierReferent", "ErreurPage", "ExportAutorise", "Redirection", "Referent", "ReferentFormulaire", "acces",
           "base_de_donnees", "contexte", "contexte_requete", "dossier_de", "erreur_page", "exiger_role",
           "formulaire_verifie", "lire_formulaire", "page", "routeur", "verifier_csrf"]
