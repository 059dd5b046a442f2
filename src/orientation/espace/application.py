"""The service's application with the workspace mounted: what ``orientation servir`` runs.

:func:`monter` adds the workspace's pages (``/espace/...``), its static files and its error pages to an
application built by :func:`orientation.service.creer_application`; the service itself knows nothing of
the workspace (its ring is below).  :func:`depuis_environnement` is the factory uvicorn's workers call.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from orientation.espace import web_admin, web_import  # noqa: F401 - register the export and import pages
from orientation.espace.web import ErreurPage, Redirection, erreur_page, routeur
from orientation.espace.web_suivi import routeur as routeur_suivi
from orientation.explication.rendu_html import style_carte
from orientation.service.application import creer_application as creer_service
from orientation.service.intergiciels import etendre_limite
from orientation.service.parametres import Parametres


def monter(app: FastAPI) -> FastAPI:
    """Mount the workspace on ``app`` (the service's application)."""
    app.include_router(routeur)
    app.include_router(routeur_suivi)  # the card's follow-up form

    @app.get("/espace/carte.css", include_in_schema=False)
    async def _style_carte() -> Response:
        # the explanation card's rules, linked by the pages: their CSP refuses the card's inline <style>
        return Response(style_carte(), media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})

    # uploads in the browser: the service's limit on a job's file, and a French HTML page when it is exceeded
    etendre_limite(app, web_import.PREFIXE, app.state.service.parametres.taille_max_lot + web_import.MARGE_FORMULAIRE,
                   web_import.reponse_trop_volumineuse)
    app.mount("/espace/statique", StaticFiles(directory=str(files("orientation.espace") / "statique")),
              name="espace-statique")

    @app.exception_handler(ErreurPage)
    async def _erreur(request: Request, exc: ErreurPage) -> Response:
        return erreur_page(request, exc)

    @app.exception_handler(Redirection)
    async def _redirection(_: Request, exc: Redirection) -> Response:
        return RedirectResponse(exc.cible, status_code=303)

    @app.get("/espace", include_in_schema=False)
    async def _racine() -> Response:
        return RedirectResponse("/espace/", status_code=307)

    app.state.service.extensions["espace"] = True
    return app


def creer_application(parametres: Optional[Parametres] = None) -> FastAPI:
    """The HTTP service with the workspace."""
    return monter(creer_service(parametres))


def depuis_environnement() -> FastAPI:
    """Factory for uvicorn's workers (settings from the environment, as the service's)."""
    return creer_application(Parametres.depuis_environnement())


__all__ = ["creer_application", "depuis_environnement", "monter"]
