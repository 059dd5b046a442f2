"""Speed of the rule layer: decisions per second through durable-rules vs the Python evaluator.

    python benchmarks/bench_regles.py            # 5,000 dossiers, national + Seine-Saint-Denis (93)
    python benchmarks/bench_regles.py --n 20000 --memoire 20000

The dossiers are SYNTHETIC (``orientation.modele.synthetique``).  ``Referentiel.evaluer`` runs durable-rules
(which decides which rules fire) plus the Python evaluator (per-condition details) and checks that
they agree; ``evaluer_python`` is the pure-Python path used for batches; ``issue`` gives the
outcome only (no per-condition details).  Also measured: the engine alone, and the resident memory over many engine evaluations (it must stay flat).  Figures depend on
the machine; they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from typing import Any, Callable

from orientation.modele import synthetique as syn
from orientation.regles.referentiel import Referentiel


def _rss_mo() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:  # not Linux
        return float("nan")


def _mesure(libelle: str, n: int, fonction: Callable[[], Any]) -> Any:
    debut = time.perf_counter()
    resultat = fonction()
    duree = time.perf_counter() - debut
    print(f"{libelle:<58} {n:>7} dossiers {duree:7.2f} s {n / duree:>9.0f} décisions/s")
    return resultat


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5_000, help="nombre de dossiers synthétiques")
    p.add_argument("--departement", default="93")
    p.add_argument("--memoire", type=int, default=20_000, help="évaluations pour la mesure de mémoire")
    a = p.parse_args()

    dossiers = [d for d, _ in syn.generer(a.n, graine=7, departement=a.departement)]
    ref = Referentiel.charger(a.departement)
    print(f"{ref!r} : {len(ref.regles)} règles, {sum(len(g.lignes) for g in ref.grilles)} lignes de grille")
    ref.evaluer(dossiers[0])  # warm-up

    par_moteur = _mesure("evaluer (durable-rules + détails Python, vérifiés)", a.n,
                         lambda: [ref.evaluer(d) for d in dossiers])
    par_python = _mesure("evaluer_python (évaluateur Python seul)", a.n,
                         lambda: [ref.evaluer_python(d) for d in dossiers])
    _mesure("durable-rules seul (règles déclenchées)", a.n, lambda: [ref.declenchees_moteur(d) for d in dossiers])
    issues = _mesure("issue (Python, valeurs de vérité seules)", a.n, lambda: [ref.issue(d) for d in dossiers])
    assert [i.modalite for i in issues] == [e.modalite for e in par_python]
    assert par_moteur == par_python

    modalites = Counter(str(e.modalite.value if e.modalite else "aucune") for e in par_moteur)
    print("modalités :", ", ".join(f"{k} {v / a.n:.1%}" for k, v in modalites.most_common()))

    avant = _rss_mo()
    for i in range(a.memoire):
        ref.declenchees_moteur(dossiers[i % len(dossiers)])
    apres = _rss_mo()
    print(f"mémoire résidente sur {a.memoire} évaluations durable-rules : {avant:.1f} Mo -> {apres:.1f} Mo "
          f"({apres - avant:+.1f} Mo)")


if __name__ == "__main__":
    main()
