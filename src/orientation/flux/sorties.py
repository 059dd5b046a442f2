"""Output files of a bulk run: checked paths, temporary parts, atomic publication, run manifest.

Every output is first written to a temporary part in its target folder, named
``.<final name>.partiel-<pid>[-<n>]`` (hidden, never the final name), and renamed into place only
when the run is complete (:meth:`Sorties.publier`), followed by the run manifest
``<decisions stem>.manifeste.json`` (counts, SHA-256 of the input and of every output, versions,
options, start and end, ``etat``).  An interrupted run removes its parts
(:meth:`Sorties.abandonner`) and leaves at most a manifest whose ``etat`` is ``interrompu``;
parts left by a killed run (SIGKILL, power cut) are removed by the next run writing the same
outputs (their process no longer exists).

Paths are refused when an output is the input or another output (same resolved path, or same
file through a hard link), and existing outputs are only replaced with ``ecraser=True``; then the
outputs listed in the earlier run's manifest that this run does not write (e.g. old
explanations) are removed, so that no stale file sits beside new decisions.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, TextIO

from orientation.erreurs import OrientationError
from orientation.flux.bloc import COLONNES_POSITION_XML
from orientation.flux.lecture import COLONNES_REJETS, Rejet

#: Version of the manifest's layout.
FORMAT_MANIFESTE = "orientation-lot-manifeste/1"
_PARTIEL = ".partiel-"

#: French causes of the system errors a run may meet (``strerror`` is English).
CAUSES: dict[int, str] = {
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota disque dépassé",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "le chemin désigne un dossier",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ENFILE: "trop de fichiers ouverts",
    errno.EFBIG: "fichier trop grand",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.ELOOP: "trop de liens symboliques",
    errno.ENOMEM: "mémoire insuffisante",
}


def cause_systeme(exc: BaseException) -> str:
    """French cause of a system error (its number when it is not a usual one)."""
    numero = getattr(exc, "errno", None)
    if numero is None:  # pyarrow's errors carry the number in their text only
        m = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        numero = int(m.group(1)) if m else None
    if numero in CAUSES:
        return CAUSES[numero]
    return f"erreur système n° {numero}" if numero is not None else "erreur d'entrée-sortie"


class SortiesRefusees(OrientationError, ValueError):
    """Output paths that would destroy data (the input, another output, an earlier run's outputs)."""


class ErreurEcriture(OrientationError, OSError):
    """An output could not be written (permissions, disk full...): nothing was published."""

    def __init__(self, chemin: Path, exc: BaseException):
        self.chemin = chemin
        self.cause = cause_systeme(exc)
        super().__init__(f"écriture impossible de {chemin} : {self.cause}. Aucune sortie n'a été publiée.")


def partie(final: Path, pid: Optional[int] = None, n: Optional[int] = None) -> Path:
    """Temporary part of an output: hidden, in the same folder, never the final name."""
    suffixe = f"{_PARTIEL}{os.getpid() if pid is None else pid}" + ("" if n is None else f"-{n}")
    return final.with_name(f".{final.name}{suffixe}")


def chemin_catalogue(explications: Path) -> Path:
    """``explications.jsonl`` -> ``explications.catalogue.json`` (texts the explanation lines refer to)."""
    return explications.with_name(f"{explications.stem}.catalogue.json")


def chemin_manifeste(decisions: Path) -> Path:
    """``decisions.csv`` -> ``decisions.manifeste.json``."""
    return decisions.with_name(f"{decisions.stem}.manifeste.json")


def _meme_fichier(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def _vivant(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lire_manifeste(chemin: Path) -> Optional[dict[str, Any]]:
    try:
        contenu = json.loads(chemin.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return contenu if isinstance(contenu, dict) else None


def sha256(chemin: Path) -> str:
    """SHA-256 of a file, read by blocks."""
    h = hashlib.sha256()
    with open(chemin, "rb") as f:
        while bloc := f.read(1 << 22):
            h.update(bloc)
    return h.hexdigest()


class EcrivainRejets:
    """The rejects file: RFC 4180 CSV whatever the values (a bare CR is quoted too), header first."""

    def __init__(self, f: TextIO, position: bool = False):
        self._minimal = csv.writer(f, lineterminator="\n")
        # csv quotes "\n" (the line terminator) but not a bare "\r" unless asked: such rows quote every cell
        self._tout = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.position = position  # XML flux: where each refused row is (COLONNES_POSITION_XML)
        self._minimal.writerow(COLONNES_REJETS + (COLONNES_POSITION_XML if position else ()))

    def ecrire(self, rejets: Iterable[Rejet]) -> None:
        for r in rejets:
            cellules = r.cellules(self.position)
            (self._tout if any("\r" in c for c in cellules) else self._minimal).writerow(cellules)


@dataclass
class Sorties:
    """The outputs of one run (final paths, their parts) and how they are published."""

    flux: Path
    decisions: Path
    rejets: Path
    explications: Optional[Path]
    ecraser: bool = False
    manifeste: Path = field(init=False)
    _ancien: Optional[dict[str, Any]] = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.manifeste = chemin_manifeste(self.decisions)

    @property
    def finales(self) -> dict[str, Path]:
        """Final path of each output written by this run (manifest excluded)."""
        d = {"decisions": self.decisions, "rejets": self.rejets}
        if self.explications is not None:
            d["explications"] = self.explications
            d["catalogue"] = chemin_catalogue(self.explications)
        return d

    def preparer(self) -> None:
        """Check the paths, create the folders, remove stale parts of killed runs; raises :class:`SortiesRefusees`."""
        noms = {"decisions": "--sortie", "rejets": "--rejets", "explications": "--explications",
                "catalogue": "catalogue des explications", "manifeste": "manifeste"}
        chemins = dict(self.finales, manifeste=self.manifeste)
        for cle, p in chemins.items():
            if _meme_fichier(p, self.flux):
                raise SortiesRefusees(f"le fichier de sortie {p} ({noms[cle]}) est le fichier d'entrée {self.flux} : "
                                      "il serait détruit. Choisissez un autre nom de sortie.")
            if p.exists() and not p.is_file():
                raise SortiesRefusees(f"le chemin de sortie {p} ({noms[cle]}) n'est pas un fichier ordinaire.")
        cles = list(chemins)
        for i, a in enumerate(cles):
            for b in cles[i + 1:]:
                if _meme_fichier(chemins[a], chemins[b]):
                    raise SortiesRefusees(f"{noms[a]} et {noms[b]} désignent le même fichier ({chemins[a]}) : "
                                          "l'un écraserait l'autre. Donnez-leur des noms différents.")
        self._ancien = _lire_manifeste(self.manifeste) if self.manifeste.exists() else None
        interrompu = self._ancien is not None and self._ancien.get("etat") == "interrompu"
        existants = [p for cle, p in chemins.items() if p.exists() and not (cle == "manifeste" and interrompu)]
        if existants and not self.ecraser:
            raise SortiesRefusees("fichier(s) de sortie déjà présent(s) (traitement précédent ?) : "
                                  + ", ".join(str(p) for p in existants)
                                  + ". Ajoutez --ecraser pour les remplacer, ou choisissez d'autres noms.")
        for p in chemins.values():
            p.parent.mkdir(parents=True, exist_ok=True)
        self._nettoyer_parties_perimees()

    def _nettoyer_parties_perimees(self) -> None:
        for p in list(self.finales.values()) + [self.manifeste]:
            motif = re.compile(re.escape(f".{p.name}{_PARTIEL}") + r"(\d+)(?:-\d+)?")
            for q in p.parent.glob(f".{p.name}{_PARTIEL}*"):
                m = motif.fullmatch(q.name)
                if m is None:
                    continue
                pid = int(m.group(1))
                if pid != os.getpid() and _vivant(pid):
                    raise SortiesRefusees(f"un autre traitement (processus {pid}) écrit déjà {p} : "
                                          "attendez sa fin ou choisissez un autre nom de sortie.")
                q.unlink(missing_ok=True)

    def partie(self, final: Path) -> Path:
        return partie(final)

    def abandonner(self) -> None:
        """Remove every part of this run (main parts and workers' parts); never a final output."""
        for p in list(self.finales.values()) + [self.manifeste]:
            for q in p.parent.glob(f".{p.name}{_PARTIEL}{os.getpid()}*"):
                if re.fullmatch(re.escape(f".{p.name}{_PARTIEL}{os.getpid()}") + r"(?:-\d+)?", q.name):
                    q.unlink(missing_ok=True)

    def manifeste_interrompu(self, contenu: dict[str, Any]) -> None:
        """Write a manifest saying the run was interrupted, unless it would replace an earlier run's manifest."""
        if self.manifeste.exists() and not (self._ancien is not None and self._ancien.get("etat") == "interrompu"):
            return  # the earlier run's outputs are untouched: keep the manifest that describes them
        contenu = {"format": FORMAT_MANIFESTE, "etat": "interrompu", **contenu, "sorties": {}}
        self._ecrire_manifeste(contenu)

    def _ecrire_manifeste(self, contenu: dict[str, Any]) -> None:
        tmp = partie(self.manifeste)
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(contenu, f, ensure_ascii=False, indent=2)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.manifeste)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ErreurEcriture(self.manifeste, exc) from None

    def publier(self, contenu: dict[str, Any], empreintes: Optional[dict[str, str]] = None) -> dict[str, Any]:
        """Rename the complete parts into place, remove the earlier run's other outputs, write the manifest.

        Called once every part is written and closed.  The earlier manifest is removed first and
        the new one written last, so that outputs without a complete manifest beside them are
        never mistaken for a complete run (even after a crash in between).  ``empreintes``: SHA-256
        of outputs already hashed while written (by key); the others are hashed here.
        """
        from concurrent.futures import ThreadPoolExecutor

        empreintes = empreintes or {}

        def sur_disque(final: Path) -> None:
            try:
                with open(partie(final), "rb") as f:
                    os.fsync(f.fileno())
            except OSError as exc:
                raise ErreurEcriture(final, exc) from None

        def hacher(final: Path) -> str:
            try:
                return sha256(partie(final))
            except OSError as exc:
                raise ErreurEcriture(final, exc) from None

        # syncs and hashes in parallel (I/O waits, and hashlib releases the GIL)
        with ThreadPoolExecutor(2 * len(self.finales)) as ex:
            syncs = [ex.submit(sur_disque, p) for p in self.finales.values()]
            hashs = {cle: ex.submit(hacher, p) for cle, p in self.finales.items() if cle not in empreintes}
            for x in syncs:
                x.result()
            sorties = {cle: {"chemin": os.path.abspath(p), "octets": partie(p).stat().st_size,
                             "sha256": empreintes[cle] if cle in empreintes else hashs[cle].result()}
                       for cle, p in self.finales.items()}
        try:
            self.manifeste.unlink(missing_ok=True)
            for final in self.finales.values():
                os.replace(partie(final), final)
        except OSError as exc:
            raise ErreurEcriture(final, exc) from None
        ecrits = list(self.finales.values())
        if self._ancien is not None:
            for entree in (self._ancien.get("sorties") or {}).values():
                ancien = Path(entree.get("chemin", "")) if isinstance(entree, dict) else None
                if (ancien is not None and ancien.name and ancien.is_file()
                        and not _meme_fichier(ancien, self.flux) and not any(_meme_fichier(ancien, p) for p in ecrits)):
                    ancien.unlink(missing_ok=True)
        contenu = {"format": FORMAT_MANIFESTE, "etat": "complet", **contenu, "sorties": sorties}
        self._ecrire_manifeste(contenu)
        try:  # the renames themselves reach the disk
            fd = os.open(self.decisions.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:  # pragma: no cover - some file systems refuse fsync on a folder
            pass
        return contenu


__all__ = ["CAUSES", "EcrivainRejets", "ErreurEcriture", "FORMAT_MANIFESTE", "Sorties", "SortiesRefusees", "cause_systeme",
           "chemin_manifeste", "partie", "sha256"]
