"""Rebuild ``models/demo/``: the demonstration model trained on SYNTHETIC data.

    python models/entrainer_demo.py

Writes 60,000 synthetic dossiers (``orientation.modele.synthetique``, graine 0, département 93,
date de référence 2025-09-01) to a temporary CSV file, trains the calibrated logistic model
on it (``orientation.analyse.entrainement.entrainer_fichier``: training-data contract) and writes the pickle-free artifact
(``manifeste.json``, ``parametres.json``, ``tableaux.npz``) into ``models/demo/`` (replaced whole: the
bundled data is written only by this script, ``ecrire_modele_livre=True``).  Same library
versions => same model and metrics (the manifest's creation date may differ).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from orientation.analyse.entrainement import entrainer_fichier
from orientation.modele.synthetique import ecrire_csv

N, GRAINE, DEPARTEMENT = 60_000, 0, "93"
DESCRIPTION = (
    "Modèle d'orientation « demo » : modèle de démonstration entraîné sur données synthétiques. "
    f"{N} dossiers SYNTHÉTIQUES générés par orientation.modele.synthetique (graine {GRAINE}, département {DEPARTEMENT} "
    "fictif, date de référence 2025-09-01), étiquetés par une politique de référents documentée avec un désaccord "
    "réaliste entre référents. Aucune personne réelle. Ne pas utiliser pour orienter de vraies personnes : "
    "réentraîner sur les orientations réelles du département (orientation entrainer)."
)


def main() -> int:
    sortie = Path(__file__).resolve().parent / "demo"
    with tempfile.TemporaryDirectory() as tmp:
        csv = ecrire_csv(Path(tmp) / f"demo_{N}_graine{GRAINE}.csv", N, graine=GRAINE, departement=DEPARTEMENT)
        r = entrainer_fichier(csv, sortie, nom="demo", version="1.0", description=DESCRIPTION,
                              donnees_synthetiques=True, ecrire_modele_livre=True)
    if r.ancien is not None:  # the previous demo model is in git: no copy left in models/
        shutil.rmtree(r.ancien)
    print(r.resume().split("\nAncien dossier")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
