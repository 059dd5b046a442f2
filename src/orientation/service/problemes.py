"""Errors as ``application/problem+json`` (RFC 9457), in French, never a traceback.

Every error answer of the service is a :class:`Probleme`: ``type`` (a URN naming the kind of error),
``title`` and ``detail`` in French, ``status``, and for invalid input ``erreurs``: one item per invalid
field with ``champ``, ``valeur`` (the value received, shortened by :func:`orientation.erreurs.apercu`)
and ``raison`` (French, as :mod:`orientation.dossier.traduction` gives for pydantic errors).
:func:`installer` registers the handlers on an application; unexpected exceptions are turned into
a 500 by :class:`orientation.service.intergiciels.JournalAcces`, the outermost layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from orientation.dossier.traduction import traduire
from orientation.erreurs import DossierInvalide, ErreurChamp, apercu

TYPE_MEDIA = "application/problem+json"

#: French title of each status the service answers with.
TITRES: dict[int, str] = {
    400: "Requête invalide", 401: "Authentification requise", 403: "Accès refusé", 404: "Ressource introuvable",
    405: "Méthode non autorisée", 406: "Format de réponse non disponible", 409: "Conflit",
    410: "Ressource supprimée",
    411: "Longueur de requête requise", 413: "Requête trop volumineuse", 415: "Type de contenu non pris en charge",
    422: "Données invalides", 429: "Trop de requêtes", 500: "Erreur interne", 503: "Service indisponible",
}


class ErreurChampProbleme(BaseModel):
    """One invalid field: where, what was received, why it is refused (French)."""

    champ: str
    valeur: Any = Field(description="valeur reçue (abrégée si elle est longue)")
    raison: str
    rang: Optional[int] = Field(None, description="élément d'une liste en cause (0 pour le premier), pour les "
                                                  "routes qui refusent une liste entière (POST /v1/suivis)")


@dataclass(frozen=True)
class ErreurElement(ErreurChamp):
    """An invalid field of one element (``rang``: its index, 0 first) of a list refused as a whole."""

    rang: int = 0


class Probleme(BaseModel):
    """An error answer (RFC 9457 problem details; French texts)."""

    type: str = Field(description="URN du genre d'erreur (urn:orientation:probleme:...)")
    title: str
    status: int
    detail: str
    erreurs: list[ErreurChampProbleme] = Field(default_factory=list)


class ErreurService(Exception):
    """An error the service answers with a problem (status, kind, French detail, invalid fields)."""

    def __init__(self, statut: int, genre: str, detail: str, erreurs: Optional[list[ErreurChamp]] = None,
                 entetes: Optional[dict[str, str]] = None):
        super().__init__(detail)
        self.statut, self.genre, self.detail = statut, genre, detail
        self.erreurs = erreurs or []
        self.entetes = entetes or {}


def _jsonable(v: Any) -> Any:
    v = apercu(v)
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        return str(v)


def reponse(statut: int, genre: str, detail: str, erreurs: Optional[list[ErreurChamp]] = None,
            entetes: Optional[dict[str, str]] = None) -> Response:
    """The problem+json response."""
    corps = {"type": f"urn:orientation:probleme:{genre}", "title": TITRES.get(statut, "Erreur"), "status": statut,
             "detail": detail,
             "erreurs": [{"champ": e.champ, "valeur": _jsonable(e.valeur), "raison": e.raison,
                          **({"rang": e.rang} if isinstance(e, ErreurElement) else {})} for e in erreurs or []]}
    return Response(json.dumps(corps, ensure_ascii=False, default=str).encode("utf-8"), status_code=statut,
                    media_type=TYPE_MEDIA, headers=entetes)


#: Kind (URN suffix) and French detail of the HTTP errors FastAPI and Starlette raise by themselves (their
#: English ``detail`` is never shown; the service's own errors are :class:`ErreurService`).
_HTTP: dict[int, tuple[str, str]] = {
    400: ("requete-illisible", "corps de requête illisible (JSON mal formé, ou formulaire incomplet)"),
    404: ("introuvable", "aucune ressource à cette adresse (voir /docs pour les adresses du service)"),
    405: ("methode", "méthode HTTP non autorisée pour cette adresse (voir /docs)"),
    413: ("trop-volumineux", "requête trop volumineuse"),
    415: ("type-contenu", "type de contenu non pris en charge"),
}


def _champ_requete(loc: tuple[Any, ...]) -> str:
    parties = [str(p) for p in loc]
    if parties and parties[0] in ("body", "query", "path", "header"):
        lieu = {"body": "", "query": "paramètre ", "path": "chemin ", "header": "en-tête "}[parties[0]]
        return lieu + (".".join(parties[1:]) or "(corps)")
    return ".".join(parties) or "(requête)"


def erreurs_requete(exc: RequestValidationError) -> list[ErreurChamp]:
    """French field errors of a FastAPI request validation error."""
    return [ErreurChamp(_champ_requete(tuple(e.get("loc", ()))), e.get("input"), traduire(e)) for e in exc.errors()]


def installer(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(ErreurService)
    async def _service(_: Request, exc: ErreurService) -> Response:
        return reponse(exc.statut, exc.genre, exc.detail, exc.erreurs, exc.entetes)

    @app.exception_handler(DossierInvalide)
    async def _dossier(_: Request, exc: DossierInvalide) -> Response:
        return reponse(422, "dossier-invalide", f"dossier invalide ({len(exc.erreurs)} erreur(s))", exc.erreurs)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        erreurs = erreurs_requete(exc)
        return reponse(422, "requete-invalide", f"requête invalide ({len(erreurs)} erreur(s))", erreurs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        cause = exc.__cause__
        if isinstance(cause, ErreurService):  # e.g. the size limit hit while FastAPI read a form: 400 hides it
            return reponse(cause.statut, cause.genre, cause.detail, cause.erreurs, cause.entetes)
        genre, detail = _HTTP.get(exc.status_code, ("http", TITRES.get(exc.status_code, "erreur").lower()))
        return reponse(exc.status_code, genre, detail, entetes=dict(exc.headers or {}))
