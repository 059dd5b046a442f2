"""Start-up cost: ``import orientation`` and the first ``recommend()`` in a fresh process.

    python benchmarks/bench_demarrage.py            # 20 fresh processes per case
    python benchmarks/bench_demarrage.py --n 50

Each run is a new Python process (nothing cached), timed from inside: the import of
``orientation``, then the first ``recommend()`` of one dossier.  Cases:

* ``regle``: a primo-demandeur (a rule imposes an appointment), demo model configured — the
  model must not be loaded (target: first ``recommend()`` ≤ 300 ms);
* ``modele``: a recurring profile no rule catches, demo model — the model is loaded and consulted;
* ``sans_modele``: the same recurring profile without a model (default configuration).

Figures depend on the machine; they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

ENFANT = r"""
import json, sys, time
t0 = time.perf_counter()
import orientation
t1 = time.perf_counter()
from orientation.dossier.schema import EXEMPLE_CNAF
cas = sys.argv[1]
cnaf = dict(EXEMPLE_CNAF)
if cas != "regle":  # a recurring, job-ready profile with no mandatory case
    cnaf.update(topprimodemandeur="0", natlog="0901", difsoc=["0401"], hispro="1901", nivetu="1203",
                sitpersdemrsa="0101", cessderact="2701", difdisp=["0501"], topcouvsoc="1")
dossier = orientation.Dossier.depuis_cnaf(cnaf)
t2 = time.perf_counter()
d = orientation.recommend(dossier, modele=False if cas == "sans_modele" else "demo")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "recommend": t3 - t2, "modalite": d.modalite.value,
                  "modele_charge": d.modele is not None}))
"""


def _quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=20, help="processus neufs par cas")
    args = p.parse_args()
    print(f"{args.n} processus neufs par cas ; Python {sys.version.split()[0]}")
    print(f"{'cas':<12} {'modalité':<20} {'modèle chargé':<14} {'import p50/p99 (ms)':<22} "
          f"{'1er recommend p50/p99 (ms)':<28} {'total p50 (ms)':<10}")
    for cas in ("regle", "modele", "sans_modele"):
        mesures = [json.loads(subprocess.run([sys.executable, "-c", ENFANT, cas], check=True, capture_output=True,
                                             text=True).stdout) for _ in range(args.n)]
        imp = [1000 * m["import"] for m in mesures]
        rec = [1000 * m["recommend"] for m in mesures]
        tot = [a + b for a, b in zip(imp, rec)]
        print(f"{cas:<12} {mesures[0]['modalite']:<20} {str(mesures[0]['modele_charge']):<14} "
              f"{statistics.median(imp):6.0f} / {_quantile(imp, 0.99):<13.0f} "
              f"{statistics.median(rec):6.0f} / {_quantile(rec, 0.99):<19.0f} {statistics.median(tot):6.0f}")


if __name__ == "__main__":
    main()
