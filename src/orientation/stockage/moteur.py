"""Engine and session factory of the service's database, from a SQLAlchemy URL.

Default: a SQLite file ``orientation.sqlite3`` in the working directory (:data:`URL_DEFAUT`),
else ``$ORIENTATION_BASE``, else the ``--base`` option.  SQLite connections get write-ahead
logging (readers do not block the writer), foreign keys and a busy timeout.

>>> masquer("postgresql+psycopg://moi:secret@127.0.0.1:5432/base")
'postgresql+psycopg://moi:***@127.0.0.1:5432/base'
"""

from __future__ import annotations

import os
from typing import Any, Optional

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from orientation.erreurs import OrientationError

#: Environment variable naming the database (a SQLAlchemy URL).
VARIABLE_ENV_BASE = "ORIENTATION_BASE"
#: The database when nothing is configured: a SQLite file in the working directory.
URL_DEFAUT = "sqlite:///orientation.sqlite3"


class BaseInvalide(OrientationError):
    """The database cannot be used: bad URL, unreachable server, not migrated (French message)."""


def url_base(url: Optional[str] = None) -> str:
    """The database URL: given, else ``$ORIENTATION_BASE``, else :data:`URL_DEFAUT`."""
    return url or os.environ.get(VARIABLE_ENV_BASE) or URL_DEFAUT


def masquer(url: str) -> str:
    """The URL with its password hidden (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(adresse de base illisible)"


def _sqlite_connexion(connexion: Any, _enregistrement: Any) -> None:
    curseur = connexion.cursor()
    curseur.execute("PRAGMA journal_mode=WAL")
    curseur.execute("PRAGMA foreign_keys=ON")
    curseur.execute("PRAGMA busy_timeout=5000")
    curseur.execute("PRAGMA synchronous=NORMAL")
    curseur.close()


def creer_moteur(url: Optional[str] = None) -> Engine:
    """An engine for the database ``url`` (see :func:`url_base`); French error for an unusable URL."""
    adresse = url_base(url)
    try:
        parsee = make_url(adresse)
        moteur = create_engine(parsee, pool_pre_ping=parsee.get_backend_name() != "sqlite")
    except (ArgumentError, ValueError) as exc:
        raise BaseInvalide(f"adresse de base de données invalide « {masquer(adresse)} » : {exc.__class__.__name__} "
                           "(attendu une adresse SQLAlchemy, par exemple sqlite:///orientation.sqlite3 ou "
                           "postgresql+psycopg://utilisateur:motdepasse@hote:5432/base)") from None
    except ImportError as exc:
        raise BaseInvalide(f"pilote de base de données absent pour « {masquer(adresse)} » ({exc.name})") from None
    if moteur.dialect.name == "sqlite":
        event.listen(moteur, "connect", _sqlite_connexion)
    return moteur


def fabrique_sessions(moteur: Engine) -> sessionmaker[Session]:
    """Session factory bound to ``moteur`` (objects stay readable after commit)."""
    return sessionmaker(moteur, expire_on_commit=False)
