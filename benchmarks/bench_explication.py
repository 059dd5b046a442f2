"""Speed of explain(): p50 / p99 per dossier, without and with the demonstration model.

    python benchmarks/bench_explication.py             # 2,000 SYNTHETIC dossiers of the 93
    python benchmarks/bench_explication.py --n 500 --profil   # and a pyinstrument profile of the slowest

The dossiers are SYNTHETIC (``orientation.modele.synthetique``).  The first call of each
configuration (loading rules and model) is made before timing.  Figures depend on the machine;
they are printed, not asserted (target of issue 10: p99 ≤ 15 ms).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from orientation import explain
from orientation.modele import synthetique as syn


def _mesures(dossiers: list[Any], modele: Any) -> list[tuple[float, Any]]:
    for d in dossiers[:50]:  # warm-up: rules, engine, and the model (loaded by the first dossier that needs it)
        explain(d, modele=modele)
    out = []
    for d in dossiers:
        debut = time.perf_counter()
        explain(d, modele=modele)
        out.append((time.perf_counter() - debut, d))
    return out


def _quantile(valeurs: list[float], q: float) -> float:
    return statistics.quantiles(valeurs, n=100, method="inclusive")[int(q) - 1] if len(valeurs) > 1 else valeurs[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2_000, help="nombre de dossiers synthétiques")
    p.add_argument("--departement", default="93")
    p.add_argument("--profil", action="store_true", help="profil pyinstrument des 20 dossiers les plus lents")
    a = p.parse_args()
    dossiers = [d for d, _ in syn.generer(a.n, graine=11, departement=a.departement)]
    for libelle, modele in (("sans modèle", False), ("modèle demo", "demo")):
        mesures = _mesures(dossiers, modele)
        durees = [t * 1000 for t, _ in mesures]
        print(f"explain() {libelle:<12} {len(durees):>6} dossiers : p50 {_quantile(durees, 50):6.2f} ms, "
              f"p99 {_quantile(durees, 99):6.2f} ms, max {max(durees):6.2f} ms")
        if a.profil:
            from pyinstrument import Profiler

            lents = [d for _, d in sorted(mesures, key=lambda m: -m[0])[:20]]
            profiler = Profiler()
            profiler.start()
            for d in lents:
                explain(d, modele=modele)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
