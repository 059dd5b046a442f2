"""Indicators read from the referent workspace's database (``--base``) on 100,000 dossiers: time and memory.

    python benchmarks/bench_indicateurs_base.py            # SQLite (temporary file)
    python benchmarks/bench_indicateurs_base.py --n 200000

The database is filled as ``bench_espace.py`` does (the example flux imported, then copied with new
identifiers up to ``--n``), and one decision is added for every other dossier (bulk insert).  Then
:class:`~orientation.pilotage.base_espace.SourceBase` reads it (twice: timed, then traced) and the report is
prepared; times, the Python allocations of the read (tracemalloc: peak, and what the persons keep) and the
process's peak resident memory are printed, not asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))
sys.path.insert(0, str(RACINE / "benchmarks"))

from sqlalchemy import insert, select  # noqa: E402

from bench_espace import remplir  # noqa: E402
from orientation.pilotage.base_espace import SourceBase  # noqa: E402
from orientation.pilotage.periode import Periode  # noqa: E402
from orientation.pilotage.rapport import html, preparer  # noqa: E402
from orientation.stockage.base import maintenant  # noqa: E402
from orientation.stockage.espace import DecisionReferent, DossierEspace  # noqa: E402
from orientation.stockage.moteur import creer_moteur  # noqa: E402


def _pic_mio() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decider_la_moitie(url: str) -> int:
    moteur = creer_moteur(url)
    t = maintenant()
    with moteur.begin() as c:
        lignes = [dict(dossier_id=i, parcours="social", structure="departement",
                       date_decision=demande + timedelta(days=20 + i % 40), differe_recommandation=False,
                       validation_lot=False, auteur="banc@exemple.invalid", auteur_role="referent", enregistree_le=t)
                  for i, demande in c.execute(select(DossierEspace.id, DossierEspace.date_demande)) if i % 2]
        for k in range(0, len(lignes), 5_000):
            c.execute(insert(DecisionReferent), lignes[k:k + 5_000])
    moteur.dispose()
    return len(lignes)


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--n", type=int, default=100_000)
    args = a.parse_args()
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{Path(d) / 'bench.sqlite3'}"
        t = time.perf_counter()
        remplir(url, args.n)
        decidees = decider_la_moitie(url)
        print(f"SQLite : {args.n} dossiers, {decidees} décisions (remplissage {time.perf_counter() - t:.0f} s)")
        t = time.perf_counter()
        lecture = SourceBase(url, "93").lire()
        lu = time.perf_counter() - t
        del lecture
        tracemalloc.start()
        lecture = SourceBase(url, "93").lire()
        actuel, pic = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  lecture : {lecture.lignes_lues} dossiers, {len(lecture.personnes)} personnes en {lu:.1f} s ; "
              f"allocations Python pendant la lecture (tracemalloc) : pic {pic / 2**20:.0f} Mio, "
              f"{actuel / 2**20:.0f} Mio gardés (les personnes)")
        t = time.perf_counter()
        rapport = preparer(lecture, "banc", Periode.depuis_texte("2025-01:2025-12"), ("mois", "structure"))
        calcul = time.perf_counter() - t
        t = time.perf_counter()
        page = html(rapport)
        print(f"  indicateurs (mois, structure) {calcul:.1f} s ; rapport HTML {time.perf_counter() - t:.1f} s "
              f"({len(page) / 1e6:.1f} Mo) ; pic mémoire {_pic_mio():.0f} Mio")


if __name__ == "__main__":
    main()
