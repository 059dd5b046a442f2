"""Regenerate the example follow-up file (SYNTHETIC) that ``make demo`` imports into the demonstration workspace.

    python examples/generer_suivis_exemple.py

Writes ``examples/suivis_exemple.csv`` in the format of ``orientation suivis importer`` (identifiant,
date_demande, type, date, commentaire): the complete-application date (``dossier_complet``) of the first
:data:`NOMBRE` persons of ``examples/evenements_exemple.csv`` whose example flux row is a valid dossier (the
rows the import of the flux rejects have no dossier in the workspace, their events would be refused).  Only
this type: the demonstration workspace holds no referent's decision yet, and every other follow-up event
comes after the orientation decision (it is recorded on the card once the decision is taken).
The output depends only on the two example files (``tests/test_suivis.py`` checks it).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

ICI = Path(__file__).resolve().parent
NOMBRE = 200


def generer() -> str:
    """The example follow-up file's text."""
    from orientation.erreurs import OrientationError
    from orientation.dossier import Dossier

    with (ICI / "flux_exemple.csv").open(encoding="utf-8", newline="") as f:
        valides = set()
        for r in csv.DictReader(f):
            try:
                Dossier.depuis_cnaf(r)
            except (OrientationError, ValueError):
                continue
            valides.add((r["identifiant"], r["dtdemrsa"]))
    tampon = io.StringIO()
    w = csv.writer(tampon, lineterminator="\n")
    w.writerow(["identifiant", "date_demande", "type", "date", "commentaire"])
    with (ICI / "evenements_exemple.csv").open(encoding="utf-8", newline="") as f:
        lignes = [r for r in csv.DictReader(f)
                  if (r["identifiant"], r["date_demande"]) in valides and r["date_dossier_complet"]]
    for r in lignes[:NOMBRE]:
        w.writerow([r["identifiant"], r["date_demande"], "dossier_complet", r["date_dossier_complet"], ""])
    return tampon.getvalue()


def main() -> None:
    texte = generer()
    (ICI / "suivis_exemple.csv").write_text(texte, encoding="utf-8", newline="")
    print(f"{texte.count(chr(10)) - 1} événements de suivi SYNTHÉTIQUES écrits dans {ICI / 'suivis_exemple.csv'}.")


if __name__ == "__main__":
    main()
