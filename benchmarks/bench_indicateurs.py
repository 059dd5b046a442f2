"""Time of ``orientation indicateurs`` steps on a large SYNTHETIC events file (figures printed, nothing asserted).

    python benchmarks/bench_indicateurs.py [--personnes 200000]

Builds an events file of N persons by repeating the example file's rows under new identifiers,
then times reading it, computing every indicator by month, structure and route, and rendering the
HTML report and the CSV table.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from orientation.pilotage.evenements import lire_fichier
from orientation.pilotage.periode import Periode
from orientation.pilotage.rapport import html, preparer
from orientation.pilotage.tableau import texte_csv

EXEMPLE = Path(__file__).resolve().parents[1] / "examples" / "evenements_exemple.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--personnes", type=int, default=200_000)
    n = parser.parse_args().personnes
    entete, *lignes = EXEMPLE.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / "evenements.csv"
        with chemin.open("w", encoding="utf-8") as f:
            f.write(entete + "\n")
            for i in range(n):
                ligne = lignes[i % len(lignes)]
                f.write(f"B{i}" + ligne[ligne.index(","):] + "\n")
        t0 = time.perf_counter()
        lecture = lire_fichier(chemin)
        t1 = time.perf_counter()
        rapport = preparer(lecture, "bench", Periode.depuis_texte("2025-01:2025-12"), ("mois", "structure", "parcours"))
        t2 = time.perf_counter()
        page = html(rapport)
        t3 = time.perf_counter()
        table = texte_csv(rapport.lignes)
        t4 = time.perf_counter()
    pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} personnes ({len(lecture.rejets)} rejets) : lecture {t1 - t0:.2f} s ({n / (t1 - t0):,.0f} lignes/s), "
          f"calcul {t2 - t1:.2f} s, rapport HTML {t3 - t2:.2f} s ({len(page) / 1e6:.1f} Mo), CSV {t4 - t3:.2f} s "
          f"({len(rapport.lignes)} lignes), pic mémoire {pic:.0f} Mio")


if __name__ == "__main__":
    main()
