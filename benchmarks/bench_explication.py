"""Speed of explain(): p50 / p99 / max per dossier and dossiers/s, without and with the demonstration model.

    python benchmarks/bench_explication.py             # 2,000 SYNTHETIC dossiers of the 93
    python benchmarks/bench_explication.py --n 500 --profil   # and a pyinstrument profile of the slowest

``recommend()`` alone is measured in the same run, as the baseline: the difference is the cost
of explaining.  Each line gives wall-clock figures (what a caller waits) and the CPU time of the
thread (``time.thread_time``: what the code costs, hardly affected by other processes on a
loaded machine); the load average is printed with them.  The dossiers are SYNTHETIC
(``orientation.modele.synthetique``).  The first calls of each configuration (loading rules and
model) are made before timing.  Figures depend on the machine; they are printed, not asserted
(target of issue 10: p99 ≤ 15 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any, Callable

from orientation import explain, recommend
from orientation.configuration import SourceModele
from orientation.modele import synthetique as syn


def _mesures(dossiers: list[Any], fonction: Callable[[Any], Any]) -> list[tuple[float, float, Any]]:
    """(wall seconds, thread CPU seconds, dossier) of each call, after a warm-up."""
    for d in dossiers[:50]:  # warm-up: rules, engine, and the model (loaded by the first dossier that needs it)
        fonction(d)
    out = []
    for d in dossiers:
        debut, cpu = time.perf_counter(), time.thread_time()
        fonction(d)
        out.append((time.perf_counter() - debut, time.thread_time() - cpu, d))
    return out


def _quantile(valeurs: list[float], q: float) -> float:
    return statistics.quantiles(valeurs, n=100, method="inclusive")[int(q) - 1] if len(valeurs) > 1 else valeurs[0]


def _ligne(libelle: str, valeurs: list[float]) -> str:
    ms = [v * 1000 for v in valeurs]
    return (f"p50 {_quantile(ms, 50):6.2f} ms, p99 {_quantile(ms, 99):6.2f} ms, max {max(ms):7.2f} ms, "
            f"{len(ms) / sum(valeurs):7.0f} dossiers/s ({libelle})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2_000, help="nombre de dossiers synthétiques")
    p.add_argument("--departement", default="93")
    p.add_argument("--profil", action="store_true", help="profil pyinstrument des 20 dossiers les plus lents")
    a = p.parse_args()
    dossiers = [d for d, _ in syn.generer(a.n, graine=11, departement=a.departement)]
    print(f"charge de la machine (load average 1, 5, 15 min) : {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"pour {os.cpu_count()} processeur(s)")
    for libelle, modele in (("sans modèle", False), ("modèle demo", "demo")):
        source = SourceModele(modele)  # one configuration, as Orientateur or the HTTP service keep it
        for quoi, fonction in (("recommend()", lambda d: recommend(d, modele=source.obtenir() or False)),
                               ("explain()", lambda d: explain(d, modele=source))):
            mesures = _mesures(dossiers, fonction)
            print(f"{quoi:<12} {libelle:<12} {len(mesures):>6} dossiers")
            print(f"    {_ligne('horloge', [m[0] for m in mesures])}")
            print(f"    {_ligne('CPU du fil', [m[1] for m in mesures])}")
            if a.profil and quoi == "explain()":
                from pyinstrument import Profiler

                lents = [m[2] for m in sorted(mesures, key=lambda m: -m[0])[:20]]
                profiler = Profiler()
                profiler.start()
                for d in lents:
                    fonction(d)
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"charge de la machine en fin de mesure : {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
