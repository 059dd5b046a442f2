"""``POST /v1/recommandations`` and ``POST /v1/explications``: dossiers in, decisions and explanations out.

Bodies are read and parsed here (not by FastAPI's validation), so that an invalid dossier is refused
with the package's own French errors (:class:`~orientation.erreurs.DossierInvalide`: field, value,
reason) and the OpenAPI can show the package's JSON schemas (:mod:`orientation.service.contrat`).
"""

from __future__ import annotations

import json
from typing import Any, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from orientation.erreurs import DossierInvalide, ErreurChamp
from orientation.service.etat import REPONSES_ERREURS, service_de
from orientation.service.authentification import cle_api, exiger_departement
from orientation.service.contrat import corps_json, reponse_json
from orientation.service.orienter import departement_annonce, lire_dossier
from orientation.service.problemes import ErreurService
from orientation.stockage.cles import CleVerifiee

routes = APIRouter(prefix="/v1", tags=["dossiers"])

FormatExplication = Literal["json", "texte", "markdown", "html"]
_TYPES = {"json": "application/json", "texte": "text/plain", "markdown": "text/markdown", "html": "text/html"}


async def lire_json(request: Request, attendu: str = "un dossier JSON (objet) ou une liste de dossiers") -> Any:
    """The request's JSON body (422 problem when empty or malformed; ``attendu``: what is expected, French)."""
    corps = await request.body()
    if not corps.strip():
        raise ErreurService(422, "corps-vide", f"corps de requête vide : {attendu} est attendu")
    try:
        return json.loads(corps)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ErreurService(422, "json-invalide", "corps de requête illisible : JSON UTF-8 attendu",
                            [ErreurChamp("(corps)", f"(octets, {len(corps)})",
                                         f"JSON mal formé ({type(exc).__name__})")]) from None


def _portee(cle: CleVerifiee, objets: list[Any]) -> None:
    """403 if any dossier names a département outside the key's (checked before any validation)."""
    hors = sorted({d for d in map(departement_annonce, objets) if d is not None and not cle.autorise(d)})
    if hors:
        exiger_departement(cle, hors[0])


def _un_dossier(obj: Any, cle: CleVerifiee) -> Any:
    _portee(cle, [obj])
    dossier = lire_dossier(obj)
    exiger_departement(cle, dossier.departement)
    return dossier


@routes.post("/recommandations", summary="recommander l'orientation d'un dossier ou d'une liste de dossiers",
             openapi_extra=corps_json("recommandations"), responses={**REPONSES_ERREURS, **reponse_json("recommandations")})
async def recommandations(request: Request, cle: CleVerifiee = Depends(cle_api),
                          explications: bool = Query(False, description="ajouter la ligne d'explication compacte "
                                                     "de chaque dossier (schéma explication_lot ; textes : "
                                                     "GET /v1/referentiels/{departement})")) -> Response:
    """Un dossier (objet JSON, codes CNAF ou noms lisibles) : sa décision (schéma ``decision``), ou
    ``{"decision", "explication"}`` avec ``explications=true``. Une liste : ``{"nombre", "decides", "rejetes",
    "resultats": [...]}``, chaque résultat portant son ``rang`` et une ``decision`` ou un ``rejet`` (schéma
    ``rejet``) : un dossier invalide n'empêche pas les autres."""
    service = service_de(request)
    obj = await lire_json(request)
    if isinstance(obj, list):
        limite = service.parametres.dossiers_max_par_requete
        if len(obj) > limite:
            raise ErreurService(413, "trop-de-dossiers", f"{len(obj)} dossiers dans la requête : au plus {limite} "
                                "par requête (découper la liste, ou utiliser /v1/lots pour un flux entier)")
        _portee(cle, obj)
        resultats = await run_in_threadpool(service.orienteur_lot.orienter, obj, explications)
        for rang in resultats.decisions:  # a dossier whose département was only known after validation
            dep = json.loads(resultats.decisions[rang])["departement"] if departement_annonce(obj[rang]) is None \
                else None
            if dep is not None:
                exiger_departement(cle, dep)
        return Response(resultats.json(), media_type="application/json")
    dossier = _un_dossier(obj, cle)
    if explications:
        resultats = service.orienteur_lot.orienter([dossier.vers_cnaf()], True)
        return Response(f'{{"decision":{resultats.decisions[0]},"explication":{resultats.explications[0]}}}'
                        .encode("utf-8"), media_type="application/json")
    return Response(service.orientateur.recommend(dossier).model_dump_json().encode("utf-8"),
                    media_type="application/json")


def _format(request: Request, format: Optional[str]) -> str:
    if format:
        return format
    for morceau in request.headers.get("accept", "").split(","):
        media = morceau.split(";")[0].strip().lower()
        for nom, type_media in _TYPES.items():
            if media == type_media:
                return nom
    return "json"


@routes.post("/explications", summary="expliquer la recommandation pour un dossier",
             openapi_extra=corps_json("explications"),
             responses={**REPONSES_ERREURS, **reponse_json("explications")})
async def explications(request: Request, cle: CleVerifiee = Depends(cle_api),
                       format: Optional[FormatExplication] = Query(
                           None, description="json (défaut), texte, markdown ou html ; sinon selon l'en-tête Accept "
                                             "(application/json, text/plain, text/markdown, text/html)"),
                       detail: Literal["court", "complet"] = Query(
                           "court", description="texte, markdown et html : court (l'essentiel, défaut) ou complet "
                                                "(avec les informations dues au titre de l'article R311-3-1-2 du CRPA)"),
                       ) -> Response:
    """L'explication d'un dossier (CRPA art. R311-3-1-2) : JSON (schéma ``explication``), texte, markdown ou HTML."""
    service = service_de(request)
    obj = await lire_json(request)
    if not isinstance(obj, dict):
        raise DossierInvalide([ErreurChamp("(dossier)", obj, "objet JSON attendu (un seul dossier)")])
    dossier = _un_dossier(obj, cle)
    choisi = _format(request, format)
    explication = await run_in_threadpool(service.orientateur.explain, dossier)
    if choisi == "json":
        return Response(explication.json(indent=None).encode("utf-8"), media_type="application/json")
    if choisi == "html":  # a self-contained page (the A4 card), no script, no external asset
        return Response(explication.html(detail).encode("utf-8"), media_type="text/html; charset=utf-8")
    return PlainTextResponse(explication.rendre(choisi, detail), media_type=f"{_TYPES[choisi]}; charset=utf-8")
