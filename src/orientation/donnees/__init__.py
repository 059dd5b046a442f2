"""Where the bundled data lives: the national and departmental rules, the demo model, the example dossiers.

The repository keeps them in its top-level ``rules/``, ``models/`` and ``examples/dossiers/``
folders; the wheel carries them as package data of this package (``pyproject.toml`` maps
those folders to ``orientation.donnees.regles``, ``orientation.donnees.modeles.<nom>`` and
``orientation.donnees.exemples``).  :func:`repertoire` finds them with
:mod:`importlib.resources` in an installed wheel, and in the source tree for an editable
install (``make installer``), where the mapping does not apply.

>>> (repertoire("regles") / "national.yaml").is_file()
True
>>> "demo" in modeles_livres()
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

Donnees = Literal["regles", "modeles", "exemples"]

#: Folder of each kind of bundled data in the repository (source tree).
DANS_LE_DEPOT: dict[str, tuple[str, ...]] = {
    "regles": ("rules",), "modeles": ("models",), "exemples": ("examples", "dossiers")}

#: Manifest file that makes a sub-folder of ``modeles`` a bundled model.
_MANIFESTE = "manifeste.json"


def repertoire(nom: Donnees) -> Path:
    """Directory of the bundled data ``nom`` (installed package first, then the source tree)."""
    paquet = resources.files(__name__) / nom
    if isinstance(paquet, Path) and paquet.is_dir():
        return paquet
    depot = Path(__file__).resolve().parents[3].joinpath(*DANS_LE_DEPOT[nom])
    if depot.is_dir():
        return depot
    raise FileNotFoundError(  # pragma: no cover - a broken installation
        f"Données livrées « {nom} » introuvables : ni {paquet} (paquet installé) ni {depot} (dépôt source). "
        "Réinstaller le paquet orientation.")


def modeles_livres() -> list[str]:
    """Names of the models shipped with the library (``demo``)."""
    return sorted(p.name for p in repertoire("modeles").iterdir() if (p / _MANIFESTE).is_file())


def dans_les_donnees_livrees(chemin: str | Path) -> bool:
    """Whether ``chemin`` is inside the bundled data or the installed package (read-only or shared: never written).

    Both the bundled models (installed package or source tree) and the package's own folder count.
    """
    cible = Path(chemin).resolve()
    racines = [Path(__file__).resolve().parents[1]]  # the orientation package
    try:
        racines.append(repertoire("modeles").resolve())
    except FileNotFoundError:  # pragma: no cover - a broken installation
        pass
    return any(cible == r or r in cible.parents for r in racines)


def chemin_modele(modele: str | Path) -> Path:
    """Directory of a model given by the name of a bundled model (a ``str`` such as ``"demo"``) or a path.

    A ``str`` equal to the name of a bundled model designates it (write ``./demo`` for a local
    folder of that name); anything else is a path.
    """
    if isinstance(modele, str) and modele in modeles_livres():
        return repertoire("modeles") / modele
    return Path(modele)
