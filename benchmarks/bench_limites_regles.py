"""How many rules durable-rules compiles and evaluates in reasonable time (the figures behind NOMBRE_MAX_REGLES).

    python benchmarks/bench_limites_regles.py                  # 100, 300, 1000 rules
    python benchmarks/bench_limites_regles.py --n 1000 3000 4000

Each generated département file has N rules of two comparisons (age and housing, 60 distinct
thresholds); the national rules are those of ``rules/``.  Prints, for each N: loading and
compilation time, evaluation time per SYNTHETIC dossier (durable-rules + Python evaluator), peak
resident memory.  Each N runs in a fresh process.  Above ``NOMBRE_MAX_REGLES`` the référentiel
is refused before compiling, so the limit is lifted for the measurement.  Figures depend on the
machine; they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
LOGEMENTS = ("sans_abri", "heberge_tiers", "hotel_social")


def _fichier(n: int) -> str:
    lignes = ["portee: departement", 'departement: "58"', "scenario: 4", "regles:"]
    for i in range(n):
        lignes.append(f"  - {{id: r{i}, titre: R{i}, reference: test, si: {{tous: ["
                      f"{{champ: age(date_demande), superieur: {18 + i % 60}}}, "
                      f"{{champ: dsp.logement, egal: {LOGEMENTS[i % 3]}}}]}}, alors: {{modalite: examen_individuel}}}}")
    return "\n".join(lignes) + "\n"


def mesurer(n: int) -> None:
    from orientation.modele import synthetique as syn
    from orientation.regles import fichiers, lecture
    from orientation.regles.referentiel import Referentiel

    fichiers.NOMBRE_MAX_REGLES = 10 ** 9
    lecture.TAILLE_MAX_FICHIER_REGLES = 10 ** 9
    with tempfile.TemporaryDirectory() as tmp:
        racine = Path(tmp)
        (racine / "departements").mkdir()
        shutil.copy(RACINE / "rules" / "national.yaml", racine / "national.yaml")
        (racine / "departements" / "58.yaml").write_text(_fichier(n), encoding="utf-8")
        debut = time.perf_counter()
        try:
            ref = Referentiel.charger("58", racine)
        except Exception as exc:  # noqa: BLE001 - a measurement: report the refusal
            print(f"{n:>6} règles : refusé ({exc})")
            return
        chargement = time.perf_counter() - debut
        dossiers = [d for d, _ in syn.generer(50, graine=1, departement="58")]
        debut = time.perf_counter()
        for d in dossiers:
            ref.evaluer(d)
        par_dossier = (time.perf_counter() - debut) / len(dossiers)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:>6} règles : chargement et compilation {chargement:6.2f} s, évaluation {par_dossier * 1000:7.1f} ms "
          f"par dossier, mémoire maximale {rss:5.0f} Mo")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", default=[100, 300, 1000])
    p.add_argument("--un", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.un is not None:
        mesurer(a.un)
        return
    for n in a.n:
        subprocess.run([sys.executable, __file__, "--un", str(n)], check=False)


if __name__ == "__main__":
    main()
