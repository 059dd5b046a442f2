"""Queue « À orienter » of the referent workspace on 100,000 dossiers: page time of the main views.

    python benchmarks/bench_espace.py                 # SQLite (temporary file), and PostgreSQL if
                                                      # $ORIENTATION_TEST_POSTGRESQL is set (own database, dropped)
    python benchmarks/bench_espace.py --n 100000 --repetitions 50

The example flux is imported once through the real import path, then its rows are copied with new
identifiers up to ``--n`` dossiers (bulk insert), so that the table has the real shape (JSON payloads of
the same size).  Each view (:func:`orientation.espace.file.page_file`: counts per modality, late count, one
page of 50) is timed ``--repetitions`` times on a warm database; p50 and p99 are printed, not asserted.
PostgreSQL is measured right after the import, then after ``VACUUM (ANALYZE)`` (the counts are index-only
scans once the visibility map is set, which autovacuum does some time after a bulk import).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from orientation.espace.file import Filtres, page_file  # noqa: E402
from orientation.espace.importation import importer_flux  # noqa: E402
from orientation.orientateur import Orientateur  # noqa: E402
from orientation.stockage.espace import DossierEspace  # noqa: E402
from orientation.stockage.migrations import migrer  # noqa: E402
from orientation.stockage.moteur import creer_moteur, fabrique_sessions  # noqa: E402

VUES = {
    "toutes, page 1": Filtres(),
    "rendez-vous, page 1": Filtres(modalite="rdv_obligatoire"),
    "examens, page 1": Filtres(modalite="examen_individuel"),
    "orientations directes, page 1": Filtres(modalite="orientation_directe"),
    "en retard, parcours professionnel": Filtres(parcours="professionnel", echeance="en_retard"),
    "structure France Travail, 30 jours": Filtres(structure="france_travail", echeance="30"),
    "toutes, page 1000": Filtres(page=1000),
    "rendez-vous, page 1000": Filtres(modalite="rdv_obligatoire", page=1000),
    "France Travail, professionnel, 7 jours": Filtres(structure="france_travail", parcours="professionnel",
                                                      echeance="7"),
}


def remplir(url: str, n: int) -> None:
    moteur = creer_moteur(url)
    migrer(moteur)
    sessions = fabrique_sessions(moteur)
    o = Orientateur.charger(None, "demo")
    importer_flux(sessions, RACINE / "examples" / "flux_exemple.csv", "93", o.referentiel("93"), o.modele)
    colonnes = [c for c in DossierEspace.__table__.columns.keys() if c != "id"]
    with sessions() as db:
        modeles = [dict(zip(colonnes, r)) for r in db.execute(select(*(DossierEspace.__table__.c[c] for c in colonnes)))]
        total, k = len(modeles), 0
        while total < n:
            paquet = []
            for m in modeles[: n - total]:
                paquet.append(dict(m, identifiant=f"{m['identifiant']}-{k}"))
            db.execute(insert(DossierEspace), paquet)
            total += len(paquet)
            k += 1
        db.commit()
    if moteur.dialect.name == "postgresql":
        with moteur.begin() as c:
            c.execute(text("ANALYZE dossiers_espace"))  # VACUUM later (see main): measured both ways
    else:
        with moteur.begin() as c:
            c.execute(text("ANALYZE"))
    moteur.dispose()


def mesurer(url: str, repetitions: int) -> None:
    moteur = creer_moteur(url)
    sessions = fabrique_sessions(moteur)
    jour = date(2025, 9, 1)
    with sessions() as db:
        n = db.scalar(select(text("count(*)")).select_from(DossierEspace))
        print(f"  {n:,} dossiers".replace(",", "\u202f"))
        for nom, f in VUES.items():
            page_file(db, "93", f, jour)  # warm
            durees = []
            for _ in range(repetitions):
                t = time.perf_counter()
                p = page_file(db, "93", f, jour)
                durees.append((time.perf_counter() - t) * 1000)
            durees.sort()
            p99 = durees[min(len(durees) - 1, int(0.99 * len(durees)))]
            print(f"  {nom:<38} {p.total:>7} dossiers  p50 {statistics.median(durees):7.1f} ms  p99 {p99:7.1f} ms")
    moteur.dispose()


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--n", type=int, default=100_000)
    a.add_argument("--repetitions", type=int, default=30)
    args = a.parse_args()
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{Path(d) / 'bench.sqlite3'}"
        t = time.perf_counter()
        remplir(url, args.n)
        print(f"SQLite (remplissage {time.perf_counter() - t:.0f} s)")
        mesurer(url, args.repetitions)
    serveur = os.environ.get("ORIENTATION_TEST_POSTGRESQL")
    if not serveur:
        print("PostgreSQL : ORIENTATION_TEST_POSTGRESQL non défini, non mesuré.")
        return
    admin = create_engine(make_url(serveur), isolation_level="AUTOCOMMIT")
    nom = f"orientation_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{nom}"'))
    try:
        url = make_url(serveur).set(database=nom).render_as_string(hide_password=False)
        t = time.perf_counter()
        remplir(url, args.n)
        print(f"PostgreSQL (remplissage {time.perf_counter() - t:.0f} s), juste après l'import (ANALYZE, pas de VACUUM)")
        mesurer(url, args.repetitions)
        # counts read the indexes alone (index-only scans) once the visibility map is set: by autovacuum some
        # time after an import in production, by hand here
        nettoyage = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
        with nettoyage.connect() as c:
            c.execute(text("VACUUM (ANALYZE) dossiers_espace"))
        nettoyage.dispose()
        print("PostgreSQL après VACUUM (ANALYZE) dossiers_espace (ce que fait l'autovacuum après un import)")
        mesurer(url, args.repetitions)
    finally:
        time.sleep(1)  # a background worker (autovacuum after ANALYZE) may still be connected
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{nom}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
