"""Where the analysts' commands write: never over a user's data by surprise, never into the bundled data.

``orientation entrainer --sortie DIR`` and ``orientation modele carte [--sortie DIR]`` check their
target before any long work (:func:`verifier_dossier`, :func:`verifier_fichiers`):

* the bundled data and the installed package (the ``demo`` model, the repository's ``models/``
  folder in a source checkout: :func:`orientation.donnees.dans_les_donnees_livrees`) are always
  refused: they may be read-only, shared, or shipped in the wheel;
* an existing folder that is not empty (a model directory is written whole) and existing card
  files are refused unless the caller asks to replace them (``--remplacer``).

A model directory is then written into a temporary sibling (``.DIR.tmp-XXXX``) and renamed to
``DIR`` only when complete (:func:`publier_dossier`): an interrupted training leaves the old folder
as it was.  A replaced folder is kept beside, renamed ``DIR.ancien-AAAAMMJJTHHMMSS`` (two renames:
between them, for a fraction of a millisecond, ``DIR`` does not exist).  Files (the cards, a report)
are written to hidden partial files and renamed over the old ones (:func:`orientation.fichiers.publier`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional, Sequence

from orientation.erreurs import ConfigurationInvalide


class SortieRefusee(ConfigurationInvalide):
    """An output folder or file that the command will not write (French message naming it and the reason)."""


def _livre(chemin: Path) -> bool:
    from orientation.donnees import dans_les_donnees_livrees

    return dans_les_donnees_livrees(chemin)


def verifier_dossier(dossier: str | Path, *, remplacer: bool, quoi: str = "dossier du modèle",
                     livre_autorise: bool = False) -> None:
    """Refuse ``dossier`` when it is in the bundled data (unless ``livre_autorise``), not a folder, or an
    existing non-empty folder (unless ``remplacer``)."""
    dossier = Path(dossier)
    if _livre(dossier) and not livre_autorise:
        raise SortieRefusee(f"{quoi} {dossier} : fait partie des données livrées avec la bibliothèque (modèle "
                            "de démonstration, dossier models/ du dépôt, paquet installé), peut-être en lecture "
                            "seule ou partagé : rien n'y est écrit. Choisir un autre dossier, par exemple "
                            "mes_modeles/mon_modele/.")
    if dossier.exists() or dossier.is_symlink():
        if not dossier.is_dir():
            raise SortieRefusee(f"{quoi} {dossier} : existe et n'est pas un dossier : rien n'est écrit.")
        if any(dossier.iterdir()) and not remplacer:
            raise SortieRefusee(f"{quoi} {dossier} : le dossier existe et n'est pas vide : il n'est pas remplacé "
                                "sans --remplacer (l'ancien dossier est alors conservé à côté, renommé "
                                f"{dossier.name}.ancien-<date>), ou choisir un dossier neuf.")


def verifier_fichiers(fichiers: Sequence[str | Path], *, remplacer: bool, quoi: str,
                      entrees: Sequence[str | Path] = ()) -> None:
    """Refuse to write ``fichiers`` when one is in the bundled data, is one of the input files ``entrees``,
    has no parent folder (checked only when given ``entrees``: a command's single output file), or exists
    and ``remplacer`` is false."""
    lus = {Path(e).resolve() for e in entrees}
    for f in map(Path, fichiers):
        if f.resolve() in lus:
            raise SortieRefusee(f"{quoi} {f} : c'est un fichier d'entrée de la commande : il n'est jamais remplacé.")
        if entrees and not f.parent.is_dir():
            raise SortieRefusee(f"{quoi} {f} : le dossier {f.parent} n'existe pas.")
        if _livre(f):
            raise SortieRefusee(f"{quoi} {f} : fait partie des données livrées avec la bibliothèque (peut-être en "
                                "lecture seule ou partagé) : rien n'y est écrit. Écrire ailleurs avec --sortie DOSSIER.")
        if (f.exists() or f.is_symlink()) and not f.is_file():
            raise SortieRefusee(f"{quoi} {f} : existe et n'est pas un fichier ordinaire : rien n'est écrit.")
        if f.exists() and not remplacer:
            raise SortieRefusee(f"{quoi} {f} : le fichier existe déjà : il n'est pas remplacé sans --remplacer.")


def nom_ancien(chemin: Path, horodatage: Optional[datetime] = None) -> Path:
    """A free sibling name ``<chemin>.ancien-AAAAMMJJTHHMMSS`` (``-2``, ``-3``… if taken) for a replaced folder."""
    base = f"{chemin.name}.ancien-{(horodatage or datetime.now()):%Y%m%dT%H%M%S}"
    candidat, n = chemin.with_name(base), 1
    while candidat.exists() or candidat.is_symlink():
        n += 1
        candidat = chemin.with_name(f"{base}-{n}")
    return candidat


@dataclass
class Publication:
    """A folder being written by :func:`publier_dossier`: where to write, and where the replaced folder went."""

    temporaire: Path
    ancien: Optional[Path] = None


@contextmanager
def publier_dossier(dossier: str | Path, *, remplacer: bool, livre_autorise: bool = False) -> Iterator[Publication]:
    """Yield a :class:`Publication` whose temporary sibling folder is written; on success rename it to ``dossier``.

    The target is checked again at publication (:func:`verifier_dossier`); an existing non-empty
    ``dossier`` (with ``remplacer``) is first renamed :func:`nom_ancien` (kept, named in
    :attr:`Publication.ancien`), an empty one removed.  On an error the temporary folder is removed
    and ``dossier`` is left as it was.  ``livre_autorise``: the maintainers' rebuild of a bundled model.
    """
    dossier = Path(dossier)
    verifier_dossier(dossier, remplacer=remplacer, livre_autorise=livre_autorise)
    dossier.parent.mkdir(parents=True, exist_ok=True)
    pub = Publication(Path(tempfile.mkdtemp(prefix=f".{dossier.name}.tmp-", dir=dossier.parent)))
    try:
        yield pub
        verifier_dossier(dossier, remplacer=remplacer, livre_autorise=livre_autorise)  # written meanwhile?
        if dossier.is_dir():
            if any(dossier.iterdir()):
                pub.ancien = nom_ancien(dossier)
                os.rename(dossier, pub.ancien)
            else:
                dossier.rmdir()
        os.rename(pub.temporaire, dossier)
    except BaseException:
        if pub.ancien is not None and not os.path.lexists(dossier):  # interrupted between the two renames
            os.rename(pub.ancien, dossier)
            pub.ancien = None
        shutil.rmtree(pub.temporaire, ignore_errors=True)
        raise


__all__ = ["Publication", "SortieRefusee", "nom_ancien", "publier_dossier", "verifier_dossier", "verifier_fichiers"]
