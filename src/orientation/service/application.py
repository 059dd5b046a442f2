"""The FastAPI application: :func:`creer_application` (an app factory any ASGI server can call).

``uvicorn --factory orientation.service.application:depuis_environnement`` (what ``orientation
servir`` runs in each worker) builds it from :class:`~orientation.service.parametres.Parametres`
passed in the environment.  The factory refuses a database that is not at the latest migration
(French message naming ``orientation base migrer``).  At start-up a background thread loads the
rules of every département that has a file, and the model if one is configured: ``GET /sante``
answers as soon as the process serves, ``GET /pret`` once they are loaded (503 before, or with
the French reason if they cannot be loaded).
"""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from orientation.decision import version_bibliotheque
from orientation.erreurs import OrientationError
from orientation.orientateur import Orientateur
from orientation.service.authentification import Authentificateur
from orientation.service.intergiciels import JournalAcces, LimiteTaille
from orientation.service.parametres import Parametres
from orientation.service.problemes import ErreurService, Probleme, installer
from orientation.stockage.migrations import verifier_a_jour
from orientation.stockage.moteur import creer_moteur, fabrique_sessions

#: Responses every route may give (documented once in the OpenAPI).
REPONSES_ERREURS: dict[int | str, dict[str, Any]] = {
    code: {"model": Probleme, "content": {"application/problem+json": {}}, "description": texte}
    for code, texte in ((401, "clé d'API absente ou refusée"), (403, "département hors de la clé"),
                        (413, "requête trop volumineuse"), (422, "données invalides"))}


@dataclass
class Chargement:
    """State of the background loading of rules and model (read by ``/pret``)."""

    pret: bool = False
    erreur: Optional[str] = None
    departements: list[str] = field(default_factory=list)


@dataclass
class Service:
    """Everything the routes share: settings, database, configuration, authentication (``app.state.service``)."""

    parametres: Parametres
    moteur: Engine
    sessions: sessionmaker[Session]
    orientateur: Orientateur
    authentificateur: Authentificateur
    chargement: Chargement = field(default_factory=Chargement)
    extensions: dict[str, Any] = field(default_factory=dict)  # what other parts of the service attach

    def charger(self) -> None:
        """Load the rules of every département with a file, then the model (if configured)."""
        try:
            dossier = self.orientateur.regles / "departements"
            codes = sorted(p.stem for p in dossier.glob("*.yaml")) if dossier.is_dir() else []
            for code in codes:
                self.orientateur.referentiel(code)
            self.orientateur.modele  # noqa: B018 - loads it now
            self.chargement.departements = codes
            self.chargement.pret = True
        except OrientationError as exc:
            self.chargement.erreur = str(exc)
        except Exception as exc:  # noqa: BLE001 - reported by /pret, never raised
            self.chargement.erreur = f"erreur interne inattendue ({type(exc).__name__}) au chargement"


def service_de(request: Request) -> Service:
    """The :class:`Service` of the application handling ``request``."""
    return request.app.state.service


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
    service = Service(p, moteur, sessions, Orientateur.charger(p.regles, p.modele),
                      Authentificateur(sessions, p.duree_cache_cles))

    @asynccontextmanager
    async def cycle(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=service.charger, name="orientation-chargement", daemon=True).start()
        yield
        moteur.dispose()

    app = FastAPI(
        title="orientation — service HTTP", version=version_bibliotheque(), lifespan=cycle,
        description="Recommandation et explication de l'orientation des nouveaux bénéficiaires du RSA, pour les "
                    "logiciels de suivi des départements. Erreurs : application/problem+json (RFC 9457), en "
                    "français. Authentification : « Authorization: Bearer <clé> » (orientation cles creer).")
    app.state.service = service
    installer(app)
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
