"""The FastAPI application: :func:`creer_application` (an app factory any ASGI server can call).

``uvicorn --factory orientation.service.application:depuis_environnement`` (what ``orientation
servir`` runs in each worker) builds it from :class:`~orientation.service.parametres.Parametres`
passed in the environment.  The factory refuses a database that is not at the latest migration
(French message naming ``orientation base migrer``).  The orphaned jobs are closed and the jobs' retention
runs at start-up and then every :attr:`Parametres.lots_purge_intervalle` seconds in a task of the lifespan.
At start-up a background thread loads the
rules of every département that has a file, and the model if one is configured: ``GET /sante``
answers as soon as the process serves, ``GET /pret`` once they are loaded (503 before, or with
the French reason if they cannot be loaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from orientation.decision import version_bibliotheque
from orientation.orientateur import Orientateur
from orientation.service import contrat, lots, routes_consultation, routes_dossiers, suivis
from orientation.service.authentification import Authentificateur
from orientation.service.etat import Service, service_de
from orientation.service.intergiciels import JournalAcces, LimiteTaille
from orientation.service.orienter import OrienteurLot
from orientation.service.parametres import Parametres
from orientation.service.problemes import ErreurService, installer
from orientation.stockage.migrations import verifier_a_jour
from orientation.stockage.moteur import creer_moteur, fabrique_sessions

class Sante(BaseModel):
    statut: str = Field(description="« en service » : le processus répond")
    version: str


class Pret(BaseModel):
    pret: bool
    regles: str = Field(description="dossier des règles")
    departements_charges: list[str]
    modele: Optional[str] = Field(description="modèle chargé (nom@version), null sans modèle")
    modele_synthetique: Optional[bool]
    detail: Optional[str] = None


def creer_application(parametres: Optional[Parametres] = None) -> FastAPI:
    """The service's ASGI application for ``parametres`` (default: :meth:`Parametres.depuis_environnement`).

    Raises :class:`~orientation.stockage.moteur.BaseInvalide` when the database is unreachable or not at
    the latest revision.
    """
    p = parametres or Parametres.depuis_environnement()
    moteur = creer_moteur(p.base)
    verifier_a_jour(moteur)
    sessions = fabrique_sessions(moteur)
    orientateur = Orientateur.charger(p.regles, p.modele)
    service = Service(p, moteur, sessions, orientateur, Authentificateur(moteur),
                      OrienteurLot(orientateur))

    @asynccontextmanager
    async def cycle(_: FastAPI) -> AsyncIterator[None]:
        lots.fermer_orphelins(sessions)  # jobs of processes gone (per job: heartbeat, owner process)
        dossier_lots = p.chemin_lots.resolve()
        lots.expirer_lots(sessions, dossier_lots, p.lots_conservation_jours)  # retention of job folders
        service.extensions["conservation_tick"] = functools.partial(lots.expirer_lots, sessions, dossier_lots,
                                                                    p.lots_conservation_jours, rattraper=False)
        conservation = asyncio.create_task(lots.conserver_periodiquement(
            sessions, dossier_lots, p.lots_conservation_jours, p.lots_purge_intervalle))
        service.extensions["conservation"] = conservation
        threading.Thread(target=service.charger, name="orientation-chargement", daemon=True).start()
        yield
        conservation.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await conservation
        if "lots" in service.extensions:
            service.extensions["lots"].fermer()
        moteur.dispose()

    app = FastAPI(
        title="orientation — service HTTP", version=version_bibliotheque(), lifespan=cycle,
        description="Recommandation et explication de l'orientation des nouveaux bénéficiaires du RSA, pour les "
                    "logiciels de suivi des départements. Erreurs : application/problem+json (RFC 9457), en "
                    "français. Authentification : « Authorization: Bearer <clé> » (orientation cles creer).")
    app.state.service = service
    installer(app)
    contrat.installer(app)
    app.include_router(routes_dossiers.routes)
    app.include_router(routes_consultation.routes)
    app.include_router(lots.routes)
    app.include_router(suivis.routes)
    app.add_middleware(LimiteTaille, limite=p.taille_max_requete, par_prefixe={"/v1/lots": p.taille_max_lot})
    app.add_middleware(JournalAcces)  # added last: outermost

    @app.get("/sante", response_model=Sante, tags=["état"], summary="le processus répond (vivacité)")
    async def sante() -> Sante:
        return Sante(statut="en service", version=version_bibliotheque())

    @app.get("/pret", response_model=Pret, tags=["état"], summary="règles et modèle chargés (disponibilité)",
             responses={503: {"model": Pret, "description": "chargement en cours ou impossible"}})
    async def pret() -> Any:
        ch = service.chargement
        mod = service.orientateur.modele if ch.pret else None
        corps = Pret(pret=ch.pret, regles=str(service.orientateur.regles), departements_charges=ch.departements,
                     modele=None if mod is None else f"{mod.nom}@{mod.version}",
                     modele_synthetique=None if mod is None else mod.donnees_synthetiques,
                     detail=ch.erreur or (None if ch.pret else "chargement des règles et du modèle en cours"))
        return JSONResponse(corps.model_dump(), status_code=200 if ch.pret else 503)

    return app


def depuis_environnement() -> FastAPI:
    """Factory for ASGI servers and uvicorn's workers: the settings come from the environment."""
    return creer_application(Parametres.depuis_environnement())


__all__ = ["ErreurService", "Service", "creer_application", "depuis_environnement", "service_de"]
