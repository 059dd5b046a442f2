"""ASGI middlewares of the service: request size limit (413) and the access log (one JSON line per request).

Both are plain ASGI (no per-request task or copy, unlike Starlette's ``BaseHTTPMiddleware``).
FastAPI's own ``max_body_size`` answers its limit in its own JSON shape on some paths; this one
always answers problem+json, with a limit per path prefix (uploads of flux files get theirs).

:class:`JournalAcces` is the outermost layer: it writes one line per request — method, path
**template** (``/v1/lots/{identifiant}``, never the raw path), status, duration in ms, name of the API
key — and never a body, a query string or a header.  It also turns any exception that escaped the
application into a problem+json 500 and logs only the exception's type (its text may hold data).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Awaitable, Callable, MutableMapping

from orientation.service.problemes import ErreurService, reponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Logger of the access lines (JSON, one per request) and of unexpected errors (type only).
JOURNAL_ACCES = logging.getLogger("orientation.service.acces")
JOURNAL_ERREURS = logging.getLogger("orientation.service.erreurs")

#: Key of ``scope["state"]`` where authentication puts the name of the API key (for the access line).
ETAT_NOM_CLE = "nom_cle"


def trop_volumineux(limite: int) -> ErreurService:
    return ErreurService(413, "trop-volumineux", f"requête trop volumineuse : au plus {limite:,} octets".replace(
        ",", "\u202f") + " par requête (découper l'envoi, ou utiliser /v1/lots pour un flux entier)")


class LimiteTaille:
    """Refuse (413) a request body over its path's limit: announced (Content-Length) or counted while read."""

    def __init__(self, app: ASGIApp, limite: int, par_prefixe: dict[str, int] | None = None,
                 reponses: dict[str, Callable[[int], ASGIApp]] | None = None):
        self.app = app
        self.limite = limite
        self.par_prefixe = sorted((par_prefixe or {}).items(), key=lambda kv: -len(kv[0]))
        self.reponses = dict(reponses or {})  # prefix -> the 413 answer of an announced body over the limit

    def _limite(self, chemin: str) -> int:
        return next((v for k, v in self.par_prefixe if chemin.startswith(k)), self.limite)

    def _trop_volumineux(self, chemin: str, limite: int) -> ASGIApp:
        prefixe = next((k for k, _ in self.par_prefixe if chemin.startswith(k)), None)
        if prefixe in self.reponses:
            return self.reponses[prefixe](limite)
        e = trop_volumineux(limite)
        return reponse(e.statut, e.genre, e.detail, entetes={"Connection": "close"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limite = self._limite(scope.get("path", ""))
        for nom, valeur in scope.get("headers", ()):
            if nom == b"content-length":
                try:
                    annonce = int(valeur)
                except ValueError:
                    annonce = -1
                if annonce > limite:
                    await self._trop_volumineux(scope.get("path", ""), limite)(scope, receive, send)
                    return
                break
        recu = 0

        async def recevoir() -> Message:
            nonlocal recu
            message = await receive()
            if message["type"] == "http.request":
                recu += len(message.get("body", b""))
                if recu > limite:
                    raise trop_volumineux(limite)
            return message

        demarre = False

        async def envoyer(message: Message) -> None:
            nonlocal demarre
            demarre = demarre or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, recevoir, envoyer)
        except ErreurService as exc:
            if demarre or exc.statut != 413:
                raise
            await reponse(exc.statut, exc.genre, exc.detail, entetes={"Connection": "close"})(scope, receive, send)


def etendre_limite(app: Any, prefixe: str, limite: int, reponse_413: Callable[[int], ASGIApp] | None = None) -> None:
    """Give the requests under ``prefixe`` their own size limit and, optionally, their own answer to a body
    announced over it (``reponse_413(limite)``, an ASGI response); before the application's first request."""
    for m in app.user_middleware:
        if m.cls is LimiteTaille:
            m.kwargs["par_prefixe"] = {**(m.kwargs.get("par_prefixe") or {}), prefixe: limite}
            if reponse_413 is not None:
                m.kwargs["reponses"] = {**(m.kwargs.get("reponses") or {}), prefixe: reponse_413}
            return
    raise LookupError("LimiteTaille absent de l'application")  # pragma: no cover - always installed by the service


class JournalAcces:
    """One JSON access line per request; unexpected exceptions become a problem+json 500 (type logged only)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        debut = time.perf_counter()
        statut = 0

        async def envoyer(message: Message) -> None:
            nonlocal statut
            if message["type"] == "http.response.start":
                statut = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, envoyer)
        except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for the caller
            JOURNAL_ERREURS.error("erreur interne inattendue (%s) sur %s %s", type(exc).__name__, scope.get("method"),
                                  _gabarit(scope))
            if statut == 0:
                statut = 500
                await reponse(500, "interne", f"erreur interne inattendue ({type(exc).__name__}) : à signaler aux "
                              "administrateurs du service (l'heure de la requête suffit à la retrouver)"
                              )(scope, receive, send)
        finally:
            if JOURNAL_ACCES.isEnabledFor(logging.INFO):
                etat = scope.get("state") or {}
                JOURNAL_ACCES.info(json.dumps({
                    "methode": scope.get("method"), "chemin": _gabarit(scope), "statut": statut,
                    "duree_ms": round((time.perf_counter() - debut) * 1000, 2), "cle": etat.get(ETAT_NOM_CLE)},
                    ensure_ascii=False))


def _gabarit(scope: Scope) -> str:
    """The path template of the matched route (never the raw path, which may hold identifiers)."""
    route = scope.get("route")
    chemin = getattr(route, "path", None)
    return chemin if isinstance(chemin, str) else "(adresse inconnue)"
