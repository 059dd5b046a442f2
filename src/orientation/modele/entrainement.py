"""Train an orientation model from a labelled CSV file and write its artifact (used by ``orientation entrainer``).

The CSV has the flat CNAF columns of :mod:`orientation.dossier.tabulaire` plus ``parcours_referent``
(``professionnel`` / ``socio_professionnel`` / ``social``, or the rdv-insertion codes
``pro`` / ``socio_pro`` / ``social``).  :func:`entrainer_fichier` reads it, trains with
:func:`orientation.modele.modele.entrainer`, writes ``modele.joblib`` + ``manifeste.json`` into the
output directory and returns a :class:`ResultatEntrainement` whose :meth:`~ResultatEntrainement.resume`
is a French summary.  The training data SHA-256 in the manifest is the SHA-256 of the CSV file.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from orientation.erreurs import OrientationError
from orientation.francais import pourcent
from orientation.modele.classes import CLASSES, LIBELLES_TYPE, TypeModele
from orientation.modele.modele import ModeleOrientation, entrainer


@dataclass
class ResultatEntrainement:
    """A trained model, where it was written, and its held-out metrics."""

    modele: ModeleOrientation
    sortie: Path
    chemin_modele: Path
    chemin_manifeste: Path

    @property
    def metriques(self) -> dict[str, Any]:
        return self.modele.metriques

    def resume(self) -> str:
        """French summary of the training and of the held-out (test) metrics."""
        return resume_modele(self.modele, self.sortie)


def _p(x: Any) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "—"
    return "—" if f != f else pourcent(f)


def _d(x: Any, decimales: int = 4) -> str:
    try:
        return f"{float(x):.{decimales}f}".replace(".", ",")
    except (TypeError, ValueError):
        return "—"


def resume_modele(m: ModeleOrientation, sortie: Optional[Path] = None) -> str:
    """French multi-line summary of a model's training and test metrics."""
    e = m.entrainement
    t = m.metriques.get("test", {})
    cal = t.get("calibration", {})
    lignes = [
        f"Modèle « {m.nom} » version {m.version} — {LIBELLES_TYPE[m.type_modele]}",
    ]
    if m.donnees_synthetiques:
        lignes.append("ATTENTION : modèle de démonstration entraîné sur données SYNTHÉTIQUES (aucune personne réelle).")
    if sortie is not None:
        lignes.append(f"Artefact : {sortie} (modele.joblib, SHA-256 {m.sha256[:16]}…, et manifeste.json)")
    lignes += [
        f"Données : {e.get('n_dossiers')} dossiers (entraînement {e.get('n_entrainement')}, validation "
        f"{e.get('n_validation')}, test {e.get('n_test')}), SHA-256 {str(e.get('sha256_donnees'))[:16]}…",
        "Seuils de confiance (choisis sur la validation pour viser "
        f"{_p(e.get('accord_cible'))} d'accord avec les référents) : "
        + ", ".join(f"{p.libelle} {'jamais' if m.seuils[k] == float('inf') else _p(m.seuils[k])}"
                    for k, p in enumerate(CLASSES)),
        f"Profil récurrent : au moins {m.seuil_recurrence} dossiers comparables à l'entraînement "
        f"({e.get('n_profils_recurrents')} profils récurrents sur {e.get('n_profils_distincts')}).",
        f"Sur le jeu de test ({t.get('n')} dossiers jamais vus) :",
        f"  accord global avec les référents (sans abstention) : {_p(t.get('accord_global'))}",
        f"  couverture (orientation directe proposée)          : {_p(t.get('couverture'))}",
        f"  accord sur les dossiers décidés                     : {_p(t.get('accord_decides'))} "
        f"({t.get('n_decides')} dossiers)",
        "  par parcours choisi par le référent :",
    ]
    for p in CLASSES:
        r = t.get("par_parcours_referent", {}).get(p.value, {})
        q = t.get("par_parcours_propose", {}).get(p.value, {})
        lignes.append(f"    {p.libelle:<30} n={r.get('n')}, couverture {_p(r.get('couverture'))}, accord "
                      f"{_p(r.get('accord_decides'))} ; proposés et décidés : {q.get('n_decides')}, justes "
                      f"{_p(q.get('precision_decides'))}")
    if cal:
        lignes.append(f"  calibration (erreur ECE sur la confiance) : avant {_d(cal.get('ece_confiance_avant'))}, "
                      f"après {_d(cal.get('ece_confiance_apres'))}")
    return "\n".join(lignes)


def lire_csv_colonnes(chemin: Path) -> Any:
    """Read a flat CSV as a pyarrow Table of strings (empty cell = non renseigné)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    import csv

    with chemin.open(encoding="utf-8", newline="") as f:
        entete = next(csv.reader(f), [])
    types = {k: pa.string() for k in entete}
    return pacsv.read_csv(chemin, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))


def entrainer_fichier(donnees: str | Path, sortie: str | Path, *, type_modele: TypeModele = "logistique",
                      accord_cible: float = 0.95, graine: int = 0, seuil_recurrence: int = 20,
                      nom: Optional[str] = None, version: str = "1.0", description: Optional[str] = None,
                      donnees_synthetiques: Optional[bool] = None) -> ResultatEntrainement:
    """Train on a labelled CSV file and write ``modele.joblib`` + ``manifeste.json`` into ``sortie``."""
    donnees = Path(donnees)
    sortie = Path(sortie)
    if not donnees.is_file():
        raise FileNotFoundError(2, "fichier introuvable", str(donnees))
    h = hashlib.sha256()
    with donnees.open("rb") as f:
        for bloc in iter(lambda: f.read(1 << 20), b""):
            h.update(bloc)
    table = lire_csv_colonnes(donnees)
    modele = entrainer(table, type_modele=type_modele, accord_cible=accord_cible, graine=graine,
                       seuil_recurrence=seuil_recurrence, nom=nom or sortie.resolve().name, version=version,
                       description=description, donnees_synthetiques=donnees_synthetiques, empreinte=h.hexdigest(),
                       source=donnees.name)
    chemin_manifeste = modele.enregistrer(sortie)
    return ResultatEntrainement(modele, sortie, sortie / "modele.joblib", chemin_manifeste)


def construire_parseur() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="orientation entrainer",
                                description="Entraîner un modèle d'orientation sur un fichier CSV étiqueté "
                                            "(colonnes CNAF + parcours_referent).")
    p.add_argument("donnees", help="fichier CSV étiqueté")
    p.add_argument("--sortie", required=True, help="dossier du modèle, ex. models/mon_modele/")
    p.add_argument("--type", choices=["logistique", "foret"], default="logistique", help="type de modèle")
    p.add_argument("--accord-cible", type=float, default=0.95, help="accord visé avec les référents (défaut 0,95)")
    p.add_argument("--seuil-recurrence", type=int, default=20,
                   help="nombre minimal de dossiers comparables pour qu'un profil soit récurrent (défaut 20)")
    p.add_argument("--graine", type=int, default=0, help="graine aléatoire (défaut 0)")
    p.add_argument("--nom", help="nom du modèle (défaut : nom du dossier de sortie)")
    p.add_argument("--version", default="1.0", help="version du modèle (défaut 1.0)")
    p.add_argument("--description", help="description en français (défaut : générée)")
    p.add_argument("--synthetique", action="store_true", default=None,
                   help="déclarer les données synthétiques (détecté si tous les identifiants commencent par SYN-)")
    return p


def commande_entrainer(args: Sequence[str]) -> int:
    """``orientation entrainer donnees.csv --sortie models/<nom>/ [options]``; returns the exit code."""
    a = construire_parseur().parse_args(list(args))
    try:
        r = entrainer_fichier(a.donnees, a.sortie, type_modele=a.type, accord_cible=a.accord_cible, graine=a.graine,
                              seuil_recurrence=a.seuil_recurrence, nom=a.nom, version=a.version,
                              description=a.description, donnees_synthetiques=a.synthetique)
    except FileNotFoundError as exc:
        print(f"Erreur : fichier introuvable : {exc.filename}", file=sys.stderr)
        return 2
    except (OrientationError, ValueError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(r.resume())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(commande_entrainer(sys.argv[1:]))
