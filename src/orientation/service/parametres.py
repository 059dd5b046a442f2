"""Settings of the HTTP service: database, rules, model, limits, worker processes.

:class:`Parametres` is what :func:`orientation.service.creer_application` takes.  ``orientation
servir`` builds it from its options and passes it to uvicorn's worker processes through
environment variables (:meth:`Parametres.vers_environnement`, :meth:`Parametres.depuis_environnement`),
because workers import the application by name.

>>> p = Parametres(regles=None, modele="demo")
>>> Parametres.depuis_environnement(p.vers_environnement()) == p
True
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from orientation.erreurs import ConfigurationInvalide
from orientation.stockage.moteur import url_base

#: Environment variable carrying the settings to uvicorn's worker processes (JSON).
VARIABLE_ENV_PARAMETRES = "ORIENTATION_SERVICE_PARAMETRES"
#: Environment variable: days a finished job's folder (upload and outputs) is kept (default 30).
VARIABLE_CONSERVATION_LOTS = "ORIENTATION_LOTS_CONSERVATION_JOURS"
CONSERVATION_LOTS_DEFAUT = 30


#: Environment variable: seconds between two runs of the jobs' retention inside the service (default 3600).
VARIABLE_INTERVALLE_PURGE_LOTS = "ORIENTATION_LOTS_PURGE_INTERVALLE"
INTERVALLE_PURGE_LOTS_DEFAUT = 3600


def _entier_env(environ: Optional[Mapping[str, str]], variable: str, defaut: int, attendu: str, minimum: int) -> int:
    texte = (os.environ if environ is None else environ).get(variable, "").strip()
    if not texte:
        return defaut
    if not texte.isdigit() or not texte.isascii() or int(texte) < minimum:
        raise ConfigurationInvalide(f"${variable} « {texte[:20]} » : {attendu}")
    return int(texte)


def conservation_lots(environ: Optional[Mapping[str, str]] = None) -> int:
    """Retention of the jobs' folders in days, from ``$ORIENTATION_LOTS_CONSERVATION_JOURS`` (default 30).

    Raises :class:`~orientation.erreurs.ConfigurationInvalide` for anything but a whole number of days.
    """
    return _entier_env(environ, VARIABLE_CONSERVATION_LOTS, CONSERVATION_LOTS_DEFAUT,
                       "nombre entier de jours attendu (durée de conservation des fichiers des lots)", 0)


def intervalle_purge_lots(environ: Optional[Mapping[str, str]] = None) -> int:
    """Seconds between two runs of the retention in the service, from ``$ORIENTATION_LOTS_PURGE_INTERVALLE`` (default 3600).

    Raises :class:`~orientation.erreurs.ConfigurationInvalide` for anything but a whole number of seconds ≥ 1.
    """
    return _entier_env(environ, VARIABLE_INTERVALLE_PURGE_LOTS, INTERVALLE_PURGE_LOTS_DEFAUT,
                       "nombre entier de secondes, au moins 1, attendu (intervalle entre deux passages de la "
                       "conservation des lots dans le service)", 1)


@dataclass(frozen=True)
class Parametres:
    """Settings of one service.

    ``base``: SQLAlchemy URL (default ``$ORIENTATION_BASE``, else ``sqlite:///orientation.sqlite3``);
    ``regles``: rules directory (``None``: ``$ORIENTATION_REGLES``, else the bundled rules);
    ``modele``: model directory, ``"demo"`` or ``None`` for none (no default model in a service);
    limits in bytes and dossiers; ``lots_conservation_jours``: days a finished job's folder is kept
    (:func:`conservation_lots`), checked every ``lots_purge_intervalle`` seconds while the service runs
    (:func:`intervalle_purge_lots`); ``demarre_le``: when ``orientation servir`` started (informative: orphaned
    jobs are found per job, by heartbeat and owner process, :mod:`orientation.stockage.lots`).  API keys are read
    from the database at every request (a revoked key is refused at once: no setting).
    """

    base: str = dataclasses.field(default_factory=url_base)
    regles: Optional[str] = None
    modele: Optional[str] = None
    processus: int = 1
    taille_max_requete: int = 16 * 1024 * 1024
    dossiers_max_par_requete: int = 10_000
    taille_max_lot: int = 512 * 1024 * 1024
    lots_max_en_cours: int = 4
    dossier_lots: Optional[str] = None
    lots_conservation_jours: int = dataclasses.field(default_factory=conservation_lots)
    lots_purge_intervalle: float = dataclasses.field(default_factory=intervalle_purge_lots)
    demarre_le: Optional[str] = None  # ISO time ``orientation servir`` started (shared by its workers)

    @property
    def chemin_regles(self) -> Optional[Path]:
        return Path(self.regles) if self.regles else None

    @property
    def chemin_lots(self) -> Path:
        """Folder of the uploaded flux files and job outputs (default ``orientation-lots`` in the working dir)."""
        return Path(self.dossier_lots) if self.dossier_lots else Path("orientation-lots")

    def vers_environnement(self) -> dict[str, str]:
        return {VARIABLE_ENV_PARAMETRES: json.dumps(dataclasses.asdict(self))}

    @classmethod
    def depuis_environnement(cls, environ: Optional[Mapping[str, str]] = None) -> "Parametres":
        texte = (os.environ if environ is None else environ).get(VARIABLE_ENV_PARAMETRES)
        if not texte:
            return cls()
        valeurs = json.loads(texte)
        connus = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in valeurs.items() if k in connus})
