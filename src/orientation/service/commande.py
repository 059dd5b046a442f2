"""The ``orientation servir`` command: the HTTP service under uvicorn, in one or several processes.

The settings go to uvicorn's workers through the environment (:class:`Parametres`); each worker builds
the application with :func:`orientation.service.application.depuis_environnement`.  The database is
checked first, so a database not at the latest revision stops the command with a French message
and exit code 2 (the factory would refuse it too).  Logs: one JSON line per request on standard
error (``orientation.service.acces``), uvicorn's own access log is off.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from typing import Any

#: Logging of the service's processes (uvicorn's ``log_config``): access lines as they are (JSON).
CONFIG_JOURNAUX: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "brut": {"format": "%(message)s"},
        "serveur": {"format": "%(asctime)s %(levelname)s %(name)s : %(message)s"},
    },
    "handlers": {
        "acces": {"class": "logging.StreamHandler", "formatter": "brut", "stream": "ext://sys.stderr"},
        "serveur": {"class": "logging.StreamHandler", "formatter": "serveur", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "orientation.service.acces": {"handlers": ["acces"], "level": "INFO", "propagate": False},
        "orientation.service": {"handlers": ["serveur"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["serveur"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def _cmd_servir(args: argparse.Namespace) -> int:
    import uvicorn

    from orientation.service.parametres import Parametres
    from orientation.stockage.migrations import verifier_a_jour
    from orientation.stockage.moteur import creer_moteur, url_base

    if args.processus < 1:
        from orientation.erreurs import ConfigurationInvalide

        raise ConfigurationInvalide("--processus doit valoir au moins 1")
    parametres = Parametres(base=url_base(args.base), regles=args.regles, modele=args.modele,
                            processus=args.processus, dossier_lots=args.dossier_lots,
                            demarre_le=datetime.now(timezone.utc).isoformat())
    moteur = creer_moteur(parametres.base)
    try:
        verifier_a_jour(moteur)
    finally:
        moteur.dispose()
    os.environ.update(parametres.vers_environnement())
    print(f"Service orientation sur http://{args.hote}:{args.port} ({args.processus} processus) ; documentation : "
          f"http://{args.hote}:{args.port}/docs", flush=True)
    uvicorn.run(args.fabrique, factory=True, host=args.hote,
                port=args.port, workers=args.processus, log_config=CONFIG_JOURNAUX, access_log=False,
                server_header=False, proxy_headers=False)
    return 0


#: The application factory uvicorn's workers call; an outer package may serve its own (registration hook).
FABRIQUE = "orientation.service.application:depuis_environnement"


def enregistrer(sub: Any, fabrique: str = FABRIQUE) -> None:
    """Add ``servir`` to the subcommands ``sub`` of the main parser (``fabrique``: ``module:function``)."""
    s = sub.add_parser("servir", help="service HTTP (API JSON) pour les logiciels qui n'importent pas Python")
    s.add_argument("--hote", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port d'écoute (défaut : 8000)")
    s.add_argument("--base", metavar="URL", help="base de données (adresse SQLAlchemy ; défaut : $ORIENTATION_BASE, "
                                                 "sinon le fichier SQLite orientation.sqlite3 du dossier courant)")
    s.add_argument("--regles", help="dossier des règles (défaut : $ORIENTATION_REGLES, sinon règles livrées)")
    s.add_argument("--modele", help="dossier d'un modèle entraîné, ou « demo » (données SYNTHÉTIQUES ; défaut : "
                                    "$ORIENTATION_MODELE, sinon aucun modèle)")
    s.add_argument("--processus", type=int, default=1, help="processus de service (défaut : 1)")
    s.add_argument("--dossier-lots", help="dossier des flux téléversés et des résultats des lots "
                                          "(défaut : orientation-lots dans le dossier courant)")
    s.set_defaults(func=_cmd_servir, fabrique=fabrique)
