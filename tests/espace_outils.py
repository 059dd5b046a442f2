"""Helpers of the workspace's tests: a migrated database with the example flux imported, accounts, logins.

Fixtures (registered by ``tests/conftest.py``): ``base`` (:func:`preparer` on ``base_migree``: SQLite and
PostgreSQL) and ``client`` (the workspace's application on that database, in-process).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

RACINE = Path(__file__).resolve().parents[1]
FLUX_EXEMPLE = RACINE / "examples" / "flux_exemple.csv"
MOT_DE_PASSE = "mot-de-passe-de-test-1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Base:
    url: str
    sessions: Any
    orientateur: Any
    moteur: Any


def preparer(url: str, flux: Path = FLUX_EXEMPLE) -> Base:
    from orientation.espace.comptes import ajouter_utilisateur
    from orientation.espace.importation import importer_flux
    from orientation.orientateur import Orientateur
    from orientation.stockage.migrations import migrer
    from orientation.stockage.moteur import creer_moteur, fabrique_sessions

    moteur = creer_moteur(url)
    migrer(moteur)
    sessions = fabrique_sessions(moteur)
    o = Orientateur.charger(None, "demo")
    importer_flux(sessions, flux, "93", o.referentiel("93"), o.modele)
    with sessions() as db:
        ajouter_utilisateur(db, "referente@93.fr", "referent", "93", MOT_DE_PASSE, habilite_validation=True)
        ajouter_utilisateur(db, "simple@93.fr", "referent", "93", MOT_DE_PASSE)
        ajouter_utilisateur(db, "analyste@93.fr", "analyste", "93", MOT_DE_PASSE)
        ajouter_utilisateur(db, "admin@93.fr", "administrateur", "93", MOT_DE_PASSE)
        ajouter_utilisateur(db, "referent@58.fr", "referent", "58", MOT_DE_PASSE)
    return Base(url, sessions, o, moteur)


def csrf(html: str) -> str:
    trouve = _CSRF.search(html)
    assert trouve, html[:500]
    return trouve.group(1)


def connecter(client: TestClient, courriel: str, mot_de_passe: str = MOT_DE_PASSE) -> Any:
    jeton = csrf(client.get("/espace/connexion").text)
    return client.post("/espace/connexion", data={"csrf": jeton, "courriel": courriel, "mot_de_passe": mot_de_passe},
                       follow_redirects=False)


@pytest.fixture
def base(base_migree: str) -> Iterator[Base]:
    """A migrated database (SQLite or PostgreSQL) with the example flux imported in 93 and the test accounts."""
    b = preparer(base_migree)
    yield b
    b.moteur.dispose()  # PostgreSQL: the test database is dropped afterwards


@pytest.fixture
def client(base: Base, tmp_path: Path) -> Iterator[TestClient]:
    """The workspace's application (demo model) on ``base``, its jobs' folder in the test's temporary folder."""
    from orientation.espace.application import creer_application
    from orientation.service import Parametres

    app = creer_application(Parametres(base=base.url, modele="demo", dossier_lots=str(tmp_path / "lots")))
    with TestClient(app, base_url="http://testserver") as c:
        yield c
    app.state.service.moteur.dispose()
