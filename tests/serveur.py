"""Test infrastructure of the HTTP service: databases (SQLite, PostgreSQL) and a real uvicorn process.

Fixtures (registered by ``tests/conftest.py``):

* ``url_sqlite``: a fresh SQLite file in the test's temporary folder;
* ``url_postgresql``: a fresh PostgreSQL database (unique name) on the server named by
  ``$ORIENTATION_TEST_POSTGRESQL`` (``bash .ci/postgresql`` prints it), dropped afterwards; skipped with
  the reason when the variable is unset, except under CI (``$CI`` set), where that is a failure;
* ``url_base``: parametrised over both (``[sqlite]``, ``[postgresql]``), not migrated;
* ``base_migree``: the same, migrated to the latest revision;
* ``serveur``: a real ``orientation servir`` process on 127.0.0.1 on a free port, with a migrated SQLite
  database, started once per test module (see :class:`Serveur`); ``serveur_base`` does the same over
  ``url_base`` (both databases).

:func:`demarrer` starts one with other options (``--modele demo``, ``--processus 2``...).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import httpx
import pytest

VARIABLE_POSTGRESQL = "ORIENTATION_TEST_POSTGRESQL"
ORIENTATION = Path(sys.executable).parent / "orientation"


def port_libre() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Serveur:
    """A running ``orientation servir``: its URL, database, log file and an API key per département set."""

    url: str
    base: str
    journal: Path
    processus: subprocess.Popen[bytes]
    dossier: Path

    def client(self, cle: Optional[str] = None, **kw: object) -> httpx.Client:
        entetes = {"Authorization": f"Bearer {cle}"} if cle else {}
        return httpx.Client(base_url=self.url, headers=entetes, timeout=60, **kw)  # type: ignore[arg-type]

    def cle(self, nom: str, *departements: str) -> str:
        """A new API key (created with the real command, on this server's database)."""
        return creer_cle(self.base, nom, *departements)

    def journaux(self) -> str:
        return self.journal.read_text(encoding="utf-8", errors="replace")

    def arreter(self) -> None:
        if self.processus.poll() is None:
            self.processus.terminate()
            try:
                self.processus.wait(20)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.processus.kill()
                self.processus.wait(10)


def commande(*args: str, env: Optional[dict[str, str]] = None, cwd: Optional[Path] = None
             ) -> subprocess.CompletedProcess[str]:
    """Run ``orientation ARGS`` (the installed command)."""
    return subprocess.run([str(ORIENTATION), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def migrer(url: str) -> None:
    r = commande("base", "migrer", "--base", url)
    assert r.returncode == 0, r.stderr


def creer_cle(url: str, nom: str, *departements: str) -> str:
    opts = [x for d in departements for x in ("--departement", d)]
    r = commande("cles", "creer", "--nom", nom, *opts, "--base", url)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def demarrer(base: str, dossier: Path, *options: str, attente: float = 120.0) -> Serveur:
    """Start ``orientation servir`` on a free port and wait until ``/pret`` answers 200."""
    port = port_libre()
    journal = dossier / f"serveur-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORIENTATION_")}
    with open(journal, "wb") as sortie:
        proc = subprocess.Popen([str(ORIENTATION), "servir", "--port", str(port), "--base", base,
                                 "--dossier-lots", str(dossier / "lots"), *options],
                                stdout=sortie, stderr=subprocess.STDOUT, cwd=dossier, env=env)
    serveur = Serveur(f"http://127.0.0.1:{port}", base, journal, proc, dossier)
    fin = time.monotonic() + attente
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"le serveur s'est arrêté (code {proc.returncode}) : {serveur.journaux()}")
        try:
            if httpx.get(f"{serveur.url}/pret", timeout=2).status_code == 200:
                return serveur
        except httpx.TransportError:
            pass
        if time.monotonic() > fin:
            serveur.arreter()
            raise AssertionError(f"serveur pas prêt après {attente} s : {serveur.journaux()}")
        time.sleep(0.1)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def url_sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'service.sqlite3'}"


def _postgresql_serveur() -> str:
    url = os.environ.get(VARIABLE_POSTGRESQL)
    if not url:
        raison = (f"{VARIABLE_POSTGRESQL} non défini : pas de serveur PostgreSQL pour les tests "
                  "(export ORIENTATION_TEST_POSTGRESQL=\"$(bash .ci/postgresql)\")")
        if os.environ.get("CI"):
            pytest.fail(raison + " ; obligatoire en CI")
        pytest.skip(raison)
    if "\n" in url.strip() or "://" not in url:
        pytest.fail(f"{VARIABLE_POSTGRESQL} n'est pas une URL SQLAlchemy sur une ligne : {url!r}")
    return url.strip()


@contextlib.contextmanager
def base_postgresql() -> Iterator[str]:
    """A fresh PostgreSQL database with a unique name, dropped afterwards (skip or fail: see module doc)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    serveur = make_url(_postgresql_serveur())
    nom = f"orientation_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(serveur, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{nom}"'))
    try:
        yield serveur.set(database=nom).render_as_string(hide_password=False)
    finally:
        _supprimer_base(admin, nom)
        admin.dispose()


def _supprimer_base(admin: Any, nom: str, essais: int = 5) -> None:
    """DROP DATABASE ... WITH (FORCE), retried: a backend of the database may be ending meanwhile."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    for essai in range(essais):
        try:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)'))
            return
        except DBAPIError:
            if essai == essais - 1:
                raise
            time.sleep(0.2 * (essai + 1))


@contextlib.contextmanager
def base_temporaire(genre: str, dossier: Path) -> Iterator[str]:
    """URL of a fresh empty database: ``sqlite`` (a file in ``dossier``) or ``postgresql``."""
    if genre == "sqlite":
        yield f"sqlite:///{dossier / f'service-{uuid.uuid4().hex[:8]}.sqlite3'}"
    else:
        with base_postgresql() as url:
            yield url


@pytest.fixture
def url_postgresql() -> Iterator[str]:
    with base_postgresql() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url_base(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"url_{request.param}"))


@pytest.fixture
def base_migree(url_base: str) -> str:
    from orientation.stockage.migrations import migrer as migrer_base
    from orientation.stockage.moteur import creer_moteur

    moteur = creer_moteur(url_base)
    migrer_base(moteur)
    moteur.dispose()
    return url_base


@contextlib.contextmanager
def serveur_temporaire(genre: str, dossier: Path, *options: str) -> Iterator[Serveur]:
    """A real ``orientation servir`` on a fresh migrated database of ``genre``, stopped afterwards."""
    with base_temporaire(genre, dossier) as base:
        migrer(base)
        s = demarrer(base, dossier, *options)
        try:
            yield s
        finally:
            s.arreter()


@pytest.fixture(scope="module")
def serveur(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serveur]:
    """A real uvicorn process (one per test module), SQLite database, bundled rules, no model."""
    with serveur_temporaire("sqlite", tmp_path_factory.mktemp("serveur")) as s:
        yield s


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def serveur_base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serveur]:
    """The same as ``serveur``, once on SQLite and once on PostgreSQL."""
    with serveur_temporaire(request.param, tmp_path_factory.mktemp("serveur")) as s:
        yield s
