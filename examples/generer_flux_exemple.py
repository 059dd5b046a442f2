"""Regenerate the example CAF flux (SYNTHETIC dossiers, fixed seed) used by ``make demo``.

    python examples/generer_flux_exemple.py

Writes ``examples/flux_exemple.csv`` (2,000 synthetic rows, of which a handful are deliberately
invalid so that the demo shows the rejects file), and the first 200 rows of it as
``examples/flux_exemple.jsonl`` and ``examples/flux_exemple.parquet``.  Every identifier starts
with ``SYN-``: no real person.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orientation.dossier.cnaf import CLES
from orientation.modele.synthetique import COLONNE_PARCOURS, generer_table

ICI = Path(__file__).resolve().parent
N = 2_000
GRAINE = 93

#: (row index, column, bad value, what is wrong) — deliberately invalid rows
ERREURS = [
    (17, "natlog", "0999", "code inconnu de nature du logement"),
    (256, "dtdemrsa", "2025-02-30", "date impossible"),
    (511, "dtnai", "", "champ obligatoire manquant (date de naissance)"),
    (777, "difsoc", "0402|0402", "code en double"),
    (1024, "typefoyer", "XXX", "composition du foyer inconnue"),
    (1500, "dtnotifdroit", "2019-01-01", "notification antérieure à l'ouverture des droits"),
]


def main() -> None:
    table = generer_table(N, graine=GRAINE, departement="93").drop_columns([COLONNE_PARCOURS])
    lignes = [{k: ("" if v is None else v) for k, v in r.items()} for r in table.to_pylist()]
    for i, cle, valeur, _ in ERREURS:
        lignes[i][cle] = valeur
    with (ICI / "flux_exemple.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(CLES), lineterminator="\n")
        w.writeheader()
        w.writerows(lignes)
    petites = lignes[:200]
    with (ICI / "flux_exemple.jsonl").open("w", encoding="utf-8") as f:
        for l in petites:
            obj = {k: (v.split("|") if k in ("difsoc", "difdisp") and v not in ("", "-") else v)
                   for k, v in l.items() if v != ""}
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    pq.write_table(pa.table({k: pa.array([l[k] or None for l in petites], pa.string()) for k in CLES}),
                   ICI / "flux_exemple.parquet")
    print(f"{N} dossiers SYNTHÉTIQUES écrits dans {ICI / 'flux_exemple.csv'} ({len(ERREURS)} lignes invalides "
          "volontaires), 200 dans flux_exemple.jsonl et flux_exemple.parquet.")


if __name__ == "__main__":
    main()
