"""Small files read and written whole, with French reasons: reading a UTF-8 input file, publishing outputs.

Used by several outer rings (rules, indicators, the workspace's imports, the analysts' outputs): one
reader of small UTF-8 files (:func:`lire_texte_utf8`), one atomic publication of outputs
(:func:`publier`: hidden partial files renamed over the outputs, all or none), one French wording of
input/output errors (:func:`cause_os`).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


def cause_os(exc: OSError) -> str:
    """French reason of an input/output error (no English system message)."""
    causes = {errno.ENOENT: "fichier introuvable", errno.EACCES: "permission refusée",
              errno.EPERM: "opération non permise", errno.EISDIR: "c'est un répertoire",
              errno.ENOTDIR: "chemin invalide (un élément n'est pas un répertoire)",
              errno.ENOSPC: "disque plein", errno.EROFS: "système de fichiers en lecture seule",
              errno.ENAMETOOLONG: "nom de fichier trop long", errno.ELOOP: "trop de liens symboliques",
              errno.EMFILE: "trop de fichiers ouverts", errno.EEXIST: "le fichier existe déjà",
              errno.EINVAL: "argument invalide pour ce fichier", errno.EPIPE: "sortie fermée"}
    return causes.get(exc.errno or 0, "erreur d'entrée-sortie")


def lire_texte_utf8(chemin: Path, quoi: str, erreur: type[Exception]) -> str:
    """The text of the small file ``chemin`` (UTF-8, BOM allowed); every problem raises ``erreur`` with a French
    message naming ``quoi`` (« fichier d'événements »…), the file and the reason (missing, unreadable, the line of
    the first byte that is not UTF-8)."""
    if not chemin.is_file():
        raise erreur(f"{quoi} {chemin} : introuvable ou n'est pas un fichier ordinaire")
    try:
        octets = chemin.read_bytes()
    except OSError as exc:
        raise erreur(f"{quoi} {chemin} : illisible ({cause_os(exc)})") from None
    try:
        return octets.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ligne = octets[: exc.start].count(b"\n") + 1
        raise erreur(f"{quoi} {chemin} : ligne {ligne}, octets non UTF-8 ; enregistrer le fichier en UTF-8") from None


def publier(textes: dict[Path, str]) -> None:
    r"""Write every output to a hidden partial file, then rename them all: all published, or none.

    Outputs that already exist are first linked (or copied) to a hidden backup: if a rename fails after
    others succeeded, the outputs already renamed get their previous content back (or are removed when
    they did not exist), so a reader never sees a mix of old and new outputs once this returns or raises.
    An :class:`OSError` names the output (``filename``), not its hidden partial file.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> publier({d / "a.txt": "A\n", d / "b.txt": "B\n"})
    >>> sorted(p.name for p in d.iterdir()), (d / "a.txt").read_text(encoding="utf-8")
    (['a.txt', 'b.txt'], 'A\n')
    """
    partiels: dict[Path, Path] = {}
    anciens: dict[Path, Path] = {}
    publies: list[Path] = []
    chemin = next(iter(textes))
    try:
        for chemin, texte in textes.items():
            partiel = chemin.with_name(f".{chemin.name}.partiel-{os.getpid()}")
            partiels[chemin] = partiel
            with open(partiel, "w", encoding="utf-8", newline="") as f:
                f.write(texte)
        for chemin in partiels:
            if chemin.is_file():
                anciens[chemin] = _sauvegarder(chemin)
        for chemin, partiel in partiels.items():
            os.replace(partiel, chemin)
            publies.append(chemin)
    except OSError as exc:
        _restaurer(publies, anciens)
        exc.filename = str(chemin)
        raise
    finally:
        for cache in (*partiels.values(), *anciens.values()):
            cache.unlink(missing_ok=True)


def _sauvegarder(chemin: Path) -> Path:
    """A hidden backup of the existing output ``chemin`` (a hard link when possible, else a copy)."""
    sauvegarde = chemin.with_name(f".{chemin.name}.ancien-{os.getpid()}")
    sauvegarde.unlink(missing_ok=True)
    try:
        os.link(chemin, sauvegarde)
    except OSError:
        shutil.copy2(chemin, sauvegarde)
    return sauvegarde


def _restaurer(publies: list[Path], anciens: dict[Path, Path]) -> None:
    """Undo the renames already done: previous content back, new outputs removed (best effort)."""
    for chemin in reversed(publies):
        try:
            if chemin in anciens:
                os.replace(anciens.pop(chemin), chemin)
            else:
                chemin.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - the original error is the one reported
            pass


__all__ = ["cause_os", "lire_texte_utf8", "publier"]
