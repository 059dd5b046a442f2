"""``orientation suivis importer FICHIER --departement 93 [--base URL] [--rejets REJETS.csv]``.

Imports the follow-up events the structures send back (:mod:`orientation.espace.import_suivis`): all rows
or none.  A refused file exits with code 2, the first rejects on standard error (line, field, value,
reason) and, with ``--rejets``, every reject in a CSV file; nothing is imported.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from pathlib import Path
from typing import Any


def _cmd_importer(args: argparse.Namespace) -> int:
    from orientation.erreurs import CodeSortie
    from orientation.espace.commandes import _sessions
    from orientation.espace.import_suivis import ImportSuivisRefuse, importer_suivis

    departement = args.departement.strip().upper()
    try:
        rapport = importer_suivis(_sessions(args), Path(args.fichier), departement, date.today())
    except ImportSuivisRefuse as exc:
        if args.rejets and exc.rejets:
            with open(args.rejets, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["ligne", "champ", "valeur", "raison"])
                w.writerows([r.ligne, r.champ, r.valeur, r.raison] for r in exc.rejets)
        print(f"Erreur : {exc}" + (f"\n(liste complète dans {args.rejets})" if args.rejets and exc.rejets else ""),
              file=sys.stderr)
        return CodeSortie.entree_invalide
    print(f"Suivis importés dans le département {departement} : {rapport.resume()}")
    return 0


def enregistrer(sub: Any) -> None:
    """Add ``suivis importer`` to the main parser's subcommands."""
    s = sub.add_parser("suivis", help="suivi de l'accompagnement (rendez-vous, relances, contrats) dans l'espace "
                                      "référent")
    ss = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    i = ss.add_parser("importer", help="importer les événements de suivi renvoyés par les structures (CSV : "
                                       "identifiant, date_demande, type, date, commentaire) ; tout ou rien")
    i.add_argument("fichier", help="fichier CSV des événements de suivi (UTF-8)")
    i.add_argument("--departement", required=True, help="département des dossiers")
    i.add_argument("--rejets", metavar="REJETS.csv", help="fichier refusé : écrire toutes les erreurs (ligne, champ, "
                                                          "valeur, raison) dans ce CSV")
    i.add_argument("--base", metavar="URL", help="base de données du service (défaut : $ORIENTATION_BASE, sinon "
                                                 "orientation.sqlite3 du dossier courant)")
    i.set_defaults(func=_cmd_importer)


__all__ = ["enregistrer"]
