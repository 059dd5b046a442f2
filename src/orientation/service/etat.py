"""What the routes of the service share: :class:`Service` (``app.state.service``) and the documented errors.

Routes import this module, :mod:`orientation.service.application` imports the routes: no import cycle.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any, Optional

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from orientation.erreurs import OrientationError
from orientation.orientateur import Orientateur
from orientation.service.authentification import Authentificateur
from orientation.service.orienter import OrienteurLot
from orientation.service.parametres import Parametres
from orientation.service.problemes import Probleme

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
    orienteur_lot: OrienteurLot
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
            # what is loaded stays for the process: out of the collector's sight, full collections stay short
            gc.collect()
            gc.freeze()
            self.chargement.pret = True
        except OrientationError as exc:
            self.chargement.erreur = str(exc)
        except Exception as exc:  # noqa: BLE001 - reported by /pret, never raised
            self.chargement.erreur = f"erreur interne inattendue ({type(exc).__name__}) au chargement"


def service_de(request: Request) -> Service:
    """The :class:`Service` of the application handling ``request``."""
    return request.app.state.service


