"""Alembic migrations shipped inside the package, run in code (works from an installed wheel).

The scripts are in this folder (``env.py``, ``versions/``); :func:`configuration` builds the
Alembic :class:`~alembic.config.Config` in code (no ``alembic.ini``), and passes the connection to
``env.py`` through ``Config.attributes``, so the URL (and its password) never goes through a file.

* :func:`migrer`: upgrade a database to the latest revision (``orientation base migrer``);
* :func:`etat`: its current revision and the latest one;
* :func:`verifier_a_jour`: raise :class:`~orientation.stockage.moteur.BaseInvalide` with the command
  to run when the database is not at the latest revision (the service refuses to start).

A new revision: a file ``versions/vNNNN_<what>.py`` with ``revision = "NNNN_<what>"`` and
``down_revision`` = the current head (``alembic revision`` can write it from a hand-made
``alembic.ini`` whose ``script_location`` is this folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from orientation.stockage.moteur import BaseInvalide, masquer

DOSSIER = Path(__file__).resolve().parent


def configuration() -> Config:
    """The Alembic configuration of the package's migrations (built in code)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(DOSSIER))
    return cfg


def revision_la_plus_recente() -> str:
    """The head revision of the shipped scripts (one head: the history is linear)."""
    tetes = ScriptDirectory.from_config(configuration()).get_heads()
    if len(tetes) != 1:  # pragma: no cover - a broken history (two branches not merged)
        raise BaseInvalide(f"historique des migrations ambigu : {len(tetes)} révisions finales ({', '.join(tetes)})")
    return tetes[0]


@dataclass(frozen=True)
class EtatBase:
    """The revision of a database and the latest revision shipped."""

    actuelle: Optional[str]
    derniere: str

    @property
    def a_jour(self) -> bool:
        return self.actuelle == self.derniere


def etat(moteur: Engine) -> EtatBase:
    """Current revision of the database (``None``: never migrated) and the latest shipped."""
    try:
        with moteur.connect() as connexion:
            actuelles = MigrationContext.configure(connexion).get_current_heads()
    except SQLAlchemyError as exc:
        raise BaseInvalide(f"base de données {masquer(str(moteur.url))} inaccessible : {_cause(exc)}") from None
    return EtatBase(actuelles[0] if len(actuelles) == 1 else None, revision_la_plus_recente())


def _cause(exc: SQLAlchemyError) -> str:
    """French cause, then the driver's own first line (in its language) to diagnose it."""
    origine = getattr(exc, "orig", None)
    texte = str(origine if origine is not None else exc).strip().splitlines()
    pilote = f" ; message du pilote : {texte[0][:200]}" if texte else ""
    if isinstance(exc, OperationalError):
        return "serveur injoignable, base absente ou connexion refusée (vérifier l'adresse, le port, l'utilisateur " \
               "et le mot de passe)" + pilote
    return "erreur de la base de données" + pilote


def migrer(moteur: Engine, revision: str = "head") -> EtatBase:
    """Upgrade the database to ``revision`` (default: the latest) in one transaction; its new state."""
    cfg = configuration()
    try:
        with moteur.begin() as connexion:
            cfg.attributes["connexion"] = connexion
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise BaseInvalide(f"migration de la base {masquer(str(moteur.url))} impossible : {_cause(exc)}") from None
    return etat(moteur)


def verifier_a_jour(moteur: Engine) -> None:
    """Raise :class:`BaseInvalide` (French, with the command to run) unless the database is at the latest revision."""
    e = etat(moteur)
    if e.a_jour:
        return
    url = masquer(str(moteur.url))
    if e.actuelle is None:
        quoi = "n'a jamais été préparée (aucune révision)"
    else:
        quoi = f"est à la révision « {e.actuelle} », la plus récente est « {e.derniere} »"
    raise BaseInvalide(f"la base de données {url} {quoi} : lancer « orientation base migrer --base {url} » "
                       "avant de démarrer le service")
