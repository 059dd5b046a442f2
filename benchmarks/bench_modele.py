"""Speed of synthetic generation, features and model scoring (dossiers per second).

    python benchmarks/bench_modele.py                 # quick (200,000 rows in bulk)
    python benchmarks/bench_modele.py --lot 2100000   # the 2.1 million RSA beneficiaries

Uses the shipped demonstration model (models/demo, trained on SYNTHETIC data) unless
ORIENTATION_MODELE points elsewhere.  Figures depend on the machine; they are printed, not asserted.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--unitaire", type=int, default=1_000, help="dossiers scorés un par un par proposer()")
    p.add_argument("--lot", type=int, default=200_000, help="lignes scorées en lot par proposer_lot()")
    a = p.parse_args()

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
