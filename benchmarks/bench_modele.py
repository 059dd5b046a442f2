"""Speed of synthetic generation, features and model scoring (dossiers per second).

    python benchmarks/bench_modele.py                 # quick (200,000 rows in bulk)
    python benchmarks/bench_modele.py --lot 2100000   # the 2.1 million RSA beneficiaries
    python benchmarks/bench_modele.py --chargement     # artifact load time only (fresh processes)

Uses the shipped demonstration model (models/demo, trained on SYNTHETIC data) unless
ORIENTATION_MODELE points elsewhere.  Figures depend on the machine; they are printed, not asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from orientation.modele import caracteristiques as car
from orientation.modele import synthetique as syn
from orientation.modele.modele import charger_modele_defaut


def _mesure(libelle: str, n: int, fonction) -> object:
    debut = time.perf_counter()
    resultat = fonction()
    duree = time.perf_counter() - debut
    print(f"{libelle:<62} {n:>10,} dossiers  {duree:8.2f} s  {n / duree:>12,.0f} dossiers/s".replace(",", " "))
    return resultat


_CHARGEMENT = """
import time
t0 = time.perf_counter()
from orientation.modele.modele import ModeleOrientation
t1 = time.perf_counter()
ModeleOrientation.charger({dossier!r})
t2 = time.perf_counter()
ModeleOrientation.charger({dossier!r})
t3 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.4f}} {{t3 - t2:.4f}}")
"""


def chargement(repetitions: int = 5) -> None:
    """Load time of the artifact (pickle-free JSON + NPZ since format 2), each run in a fresh process.

    Format 1 (a joblib pickle, refused since) took, on the 2-CPU development machine, about
    3 ms per load once scikit-learn was imported (measured before the change).
    """
    from orientation.modele.artefact import repertoire_modele_defaut

    dossier = str(repertoire_modele_defaut())
    mesures = []
    for _ in range(repetitions):
        r = subprocess.run([sys.executable, "-c", _CHARGEMENT.format(dossier=dossier)], capture_output=True,
                           text=True, check=True)
        mesures.append([float(x) for x in r.stdout.split()])
    med = [sorted(m[i] for m in mesures)[len(mesures) // 2] for i in range(3)]
    print(f"chargement du modèle {dossier} (médiane de {repetitions} processus neufs) : import de la bibliothèque "
          f"{med[0] * 1000:.0f} ms, premier chargement {med[1] * 1000:.1f} ms, chargement suivant {med[2] * 1000:.1f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--unitaire", type=int, default=1_000, help="dossiers scorés un par un par proposer()")
    p.add_argument("--lot", type=int, default=200_000, help="lignes scorées en lot par proposer_lot()")
    p.add_argument("--chargement", action="store_true", help="temps de chargement du modèle seulement")
    a = p.parse_args()
    chargement()
    if a.chargement:
        return

    modele = charger_modele_defaut()
    print(f"Modèle : {modele}")
    n = a.unitaire
    _mesure("génération en colonnes (generer_colonnes)", 100_000, lambda: syn.generer_colonnes(100_000, graine=1))
    paires = _mesure("génération de Dossier validés (generer)", n, lambda: syn.generer(n, graine=1))
    _mesure("génération de Dossier sans revalidation (valider=False)", 10 * n,
            lambda: syn.generer(10 * n, graine=1, valider=False))
    dossiers = [d for d, _ in paires]
    _mesure("caractéristiques depuis des Dossier (vectoriser)", n, lambda: car.vectoriser(dossiers))
    modele.proposer(dossiers[0])  # warm-up
    props = _mesure("proposer() un dossier à la fois (avec contributions)", n,
                    lambda: [modele.proposer(d) for d in dossiers])
    _mesure("contrefactuels_modele() (max 3 changements)", min(n, 50),
            lambda: [modele.contrefactuels_modele(d) for d in dossiers[:50]])
    lot_d = _mesure("proposer_lot() sur une liste de Dossier", n, lambda: modele.proposer_lot(dossiers))
    assert [p.decide for p in props] == lot_d.decide.tolist()

    table = _mesure("génération d'une table Arrow (generer_table)", a.lot, lambda: syn.generer_table(a.lot, graine=2))
    _mesure("caractéristiques depuis la table (vectoriser_colonnes)", min(a.lot, 200_000),
            lambda: car.vectoriser_colonnes(table.slice(0, min(a.lot, 200_000))))
    lot = _mesure("proposer_lot() sur la table Arrow (par blocs de 200 000)", a.lot, lambda: modele.proposer_lot(table))
    print(f"  couverture {lot.decide.mean():.1%}, profils récurrents {lot.profil_recurrent.mean():.1%}, "
          f"parcours proposés : " + ", ".join(f"{v} {np.mean(lot.noms_parcours == v):.1%}"
                                              for v in ("professionnel", "socio_professionnel", "social")))


if __name__ == "__main__":
    main()
