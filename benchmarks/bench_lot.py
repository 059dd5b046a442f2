"""Benchmark of bulk orientation (``orientation lot``) on SYNTHETIC dossiers.

Generates N synthetic dossiers with the fast columnar generator
(:func:`orientation.modele.synthetique.generer_table`, default N = 2,100,000: the national stock of RSA
beneficiaries), writes them to a temporary CSV and Parquet file, then runs the whole batch
(:func:`orientation.flux.lot.traiter_fichier`: read, validate, rules, model, decisions, rejects,
explanations) end to end with the demonstration model (``--modele demo``, the default here), each
configuration in a fresh process so that its peak memory (``ru_maxrss``) is its own.  Prints, for
each format, dossiers/s with and without explanations, the peak memory of the parent and of the
largest worker, the average size of an explanation line and the size of the catalogue written
beside the explanations; and the load average of the machine (shared machines skew the figures).

Targets on a 2-core machine, with explanations: >= 80,000 dossiers/s, <= 700 bytes per explanation
line on average, <= 1 GiB peak memory per worker process.

    python benchmarks/bench_lot.py              # N = 2,100,000
    python benchmarks/bench_lot.py --n 500000   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CIBLE = 80_000  # dossiers/s with explanations
CIBLE_OCTETS_LIGNE = 700  # average bytes per explanation line
CIBLE_PIC_TRAVAIL_MIO = 1024  # peak memory per worker process


def _fr(x: float, decimales: int = 0) -> str:
    """French number: thin spaces between thousands, decimal comma."""
    return f"{x:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")


def generer(n: int, dossier: Path, departement: str) -> dict[str, Path]:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from orientation.modele.synthetique import COLONNE_PARCOURS, generer_table

    t0 = time.perf_counter()
    table = generer_table(n, graine=2026, departement=departement).drop_columns([COLONNE_PARCOURS])
    t1 = time.perf_counter()
    chemins = {"csv": dossier / "flux.csv", "parquet": dossier / "flux.parquet"}
    pcsv.write_csv(table, chemins["csv"], write_options=pcsv.WriteOptions(quoting_style="none"))
    pq.write_table(table, chemins["parquet"])
    t2 = time.perf_counter()
    taille = chemins["csv"].stat().st_size / 1e6
    print(f"{_fr(n)} dossiers synthétiques générés en {_fr(t1 - t0, 1)} s, écrits en {_fr(t2 - t1, 1)} s "
          f"(CSV {_fr(taille)} Mo)", flush=True)
    return chemins


def une_mesure(flux: Path, departement: str, sortie: Path, explications: bool, modele: str) -> dict[str, float]:
    """One run in this process; returns duration, rows, peak memory (MiB) and output sizes."""
    from orientation.donnees import chemin_modele
    from orientation.flux.lot import traiter_fichier

    t0 = time.perf_counter()
    rapport = traiter_fichier(flux, departement, sortie / "decisions.csv",
                              explications=(sortie / "explications.jsonl") if explications else None,
                              progression=False, modele=False if modele == "aucun" else chemin_modele(modele))
    duree = time.perf_counter() - t0
    pic = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pic_travail = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest forked worker
    octets_expl = (sortie / "explications.jsonl").stat().st_size if explications else 0
    catalogue = sortie / "explications.catalogue.json"
    return {"duree": duree, "lignes": rapport.lignes, "decides": rapport.decides, "rejetes": rapport.rejetes,
            "pic_mio": pic, "pic_travail_mio": pic_travail, "debit": rapport.lignes / duree,
            "taille_explications_mo": octets_expl / 1e6, "octets_par_ligne": octets_expl / max(rapport.decides, 1),
            "octets_catalogue": catalogue.stat().st_size if explications and catalogue.is_file() else 0}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2_100_000, help="nombre de dossiers (défaut 2 100 000)")
    p.add_argument("--departement", default="93")
    p.add_argument("--formats", default="csv,parquet", help="csv, parquet ou les deux")
    p.add_argument("--garder", help="dossier où garder les fichiers (défaut : temporaire)")
    p.add_argument("--modele", default="demo", help="modèle livré ou dossier (défaut : demo) ; « aucun » : règles seules")
    p.add_argument("--mesure", nargs=3, metavar=("FLUX", "SORTIE", "EXPLICATIONS"), help=argparse.SUPPRESS)
    p.add_argument("--generer", metavar="DOSSIER", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.generer:
        generer(args.n, Path(args.generer), args.departement)
        return 0
    if args.mesure:
        flux, sortie, expl = args.mesure
        print(json.dumps(une_mesure(Path(flux), args.departement, Path(sortie), expl == "1", args.modele)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_lot_") as tmp:
        dossier = Path(args.garder) if args.garder else Path(tmp)
        dossier.mkdir(parents=True, exist_ok=True)
        print("Charge moyenne de la machine (1, 5, 15 min) au départ : "
              + " ; ".join(_fr(x, 2) for x in os.getloadavg()) + f" ({os.cpu_count()} cœurs)", flush=True)
        # generated in a child process: Linux keeps a process's peak RSS (ru_maxrss) across fork
        # and exec, so a measure started from a parent holding the table would report its peak
        subprocess.run([sys.executable, __file__, "--n", str(args.n), "--departement", args.departement,
                        "--generer", str(dossier)], check=True)
        chemins = {"csv": dossier / "flux.csv", "parquet": dossier / "flux.parquet"}
        resultats = []
        for fmt in args.formats.split(","):
            for expl in (True, False):
                sortie = dossier / f"sortie_{fmt}_{int(expl)}"
                sortie.mkdir(exist_ok=True)
                cmd = [sys.executable, __file__, "--departement", args.departement, "--modele", args.modele,
                       "--mesure", str(chemins[fmt]), str(sortie), "1" if expl else "0"]
                r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                              env=dict(os.environ)).stdout.strip().splitlines()[-1])
                r.update(format=fmt, explications=expl)
                resultats.append(r)
                print(f"{fmt:8s} {'avec' if expl else 'sans'} explications : {_fr(r['lignes'])} dossiers en "
                      f"{_fr(r['duree'], 1)} s = {_fr(r['debit'])} dossiers/s, pic mémoire {_fr(r['pic_mio'])} Mio "
                      f"(+ {_fr(r['pic_travail_mio'])} Mio par processus de travail)"
                      + (f", explications {_fr(r['taille_explications_mo'])} Mo soit {_fr(r['octets_par_ligne'])} "
                         f"octets par ligne en moyenne, catalogue {_fr(r['octets_catalogue'])} octets" if expl else ""),
                      flush=True)
        avec = [r for r in resultats if r["explications"]]
        for nom, valeur, cible, ok in (
                ("débit avec explications (dossiers/s)", min(r["debit"] for r in avec), CIBLE,
                 min(r["debit"] for r in avec) >= CIBLE),
                ("taille moyenne d'une ligne d'explication (octets)", max(r["octets_par_ligne"] for r in avec),
                 CIBLE_OCTETS_LIGNE, max(r["octets_par_ligne"] for r in avec) <= CIBLE_OCTETS_LIGNE),
                ("pic mémoire par processus de travail (Mio)", max(r["pic_travail_mio"] for r in resultats),
                 CIBLE_PIC_TRAVAIL_MIO, max(r["pic_travail_mio"] for r in resultats) <= CIBLE_PIC_TRAVAIL_MIO)):
            print(f"Cible {nom} {_fr(cible)} : {'atteinte' if ok else 'NON atteinte'} ({_fr(valeur)}).", flush=True)
        print("Charge moyenne de la machine (1, 5, 15 min) à la fin : "
              + " ; ".join(_fr(x, 2) for x in os.getloadavg()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
