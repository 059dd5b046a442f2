"""CSV records that span several physical lines (a line break inside a quoted cell, RFC 4180).

Rows are counted per record, not per physical line.  A physical line with an odd number of
quotes leaves a quoted cell open: with the next such line (at most :data:`MAX_LIGNES` lines and
:data:`MAX_OCTETS` bytes further) it forms one record *if* that text is exactly one CSV record
of the header's width; otherwise the line stands alone (and is rejected as unreadable), and the
search restarts from the next odd line.  A stray quote therefore never swallows the rest of the
file.  :func:`decouper` cuts the file into blocks of whole records and says which lines of each
block form one record; :func:`extraire` takes them out of a block for the line-based reader.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np

#: A record spans at most this many physical lines...
MAX_LIGNES = 1_000
#: ... and this many bytes; beyond, its first line is a record of its own (rejected).
MAX_OCTETS = 1 << 20
#: Bytes read at a time.
_LECTURE = 1 << 23


def lire_enregistrement(texte: str, delim: str, ncol: int) -> Optional[list[str]]:
    """The cells of ``texte`` if it is exactly one CSV record of ``ncol`` cells (line breaks inside quotes)."""
    try:
        lignes = list(csv.reader(io.StringIO(texte, newline=""), delimiter=delim, strict=True))
    except csv.Error:
        return None
    return lignes[0] if len(lignes) == 1 and len(lignes[0]) == ncol else None


def decouper(chemin: Path, debut: int, avant: int, taille_bloc: int, ncol: int, delim: str, encodage: str,
             empreinte: Any = None) -> Iterable[tuple[int, int, int, tuple[tuple[int, int], ...]]]:
    """(offset, length, physical lines before, multi-line records) of blocks of about ``taille_bloc`` lines.

    A block never cuts a multi-line record; its records are given as (first, last) physical
    line indexes relative to the block.  Only :data:`_LECTURE` bytes are held at a time.
    """
    fd = os.open(chemin, os.O_RDONLY)

    def valide(a: int, b: int) -> bool:
        brut = os.pread(fd, b - a, a)
        texte = brut.decode(encodage, "surrogateescape").rstrip("\n")
        return lire_enregistrement(texte.removesuffix("\r"), delim, ncol) is not None

    try:
        with open(chemin, "rb") as f:
            f.seek(debut)
            lus = debut
            starts = np.array([debut], dtype=np.int64)  # start offset of lines base.., and of the next one
            base = 0  # line index of starts[0] (the current block's first line)
            n = 0  # complete lines seen
            parite = 0  # quotes (mod 2) of the partial line at the end of what was read
            attente: Optional[int] = None  # odd line waiting for its closing line
            acceptes: list[tuple[int, int]] = []

            def debut_ligne(g: int) -> int:
                return int(starts[g - base])

            def impaires(nl: np.ndarray, arr: np.ndarray) -> np.ndarray:
                nonlocal parite
                q = arr == 34
                cq = np.cumsum(q, dtype=np.uint8) & 1
                c = cq[nl] if len(nl) else np.zeros(0, dtype=np.uint8)
                lp = c ^ np.r_[np.uint8(0), c[:-1]]
                if len(lp):
                    lp[0] ^= parite
                    parite = int(cq[-1] ^ c[-1])
                else:
                    parite ^= int(cq[-1]) if len(cq) else 0
                return np.flatnonzero(lp)

            def traiter_impaires(lignes: Iterable[int]) -> None:
                nonlocal attente
                for g in lignes:
                    if attente is not None and (g - attente > MAX_LIGNES
                                                or debut_ligne(g + 1) - debut_ligne(attente) > MAX_OCTETS):
                        attente = None
                    if attente is None:
                        attente = g
                    elif valide(debut_ligne(attente), debut_ligne(g + 1)):
                        acceptes.append((attente, g))
                        attente = None
                    else:
                        attente = g

            def couper(horizon: int, fin: bool) -> Iterable[tuple[int, int, int, tuple[tuple[int, int], ...]]]:
                nonlocal base, starts, acceptes
                while horizon - base >= taille_bloc or (fin and horizon > base):
                    coupe = min(base + taille_bloc, horizon)
                    for s, e in acceptes:
                        if s < coupe <= e:
                            coupe = e + 1
                    if coupe > horizon:
                        return
                    dedans = tuple((s - base, e - base) for s, e in acceptes if s < coupe)
                    a = debut_ligne(base)
                    yield a, debut_ligne(coupe) - a, avant + base, dedans
                    acceptes = [x for x in acceptes if x[0] >= coupe]
                    starts = starts[coupe - base:]
                    base = coupe

            while morceau := f.read(_LECTURE):
                if empreinte is not None:
                    empreinte.update(morceau)
                arr = np.frombuffer(morceau, dtype=np.uint8)
                nl = np.flatnonzero(arr == 10)
                if parite or morceau.find(b'"') >= 0:
                    impaires_ici = (impaires(nl, arr) + n).tolist()
                else:
                    impaires_ici = []
                starts = np.concatenate([starts, lus + nl + 1])
                n += len(nl)
                lus += len(morceau)
                traiter_impaires(impaires_ici)
                if attente is not None and (n - attente > MAX_LIGNES or lus - debut_ligne(attente) > MAX_OCTETS):
                    attente = None
                yield from couper(attente if attente is not None else n, False)
            if lus > debut_ligne(n):  # last line without a newline: a line like the others
                starts = np.concatenate([starts, [lus]])
                if parite:
                    traiter_impaires([n])
                n += 1
            yield from couper(n, True)
    finally:
        os.close(fd)


def extraire(data: bytes, enregistrements: tuple[tuple[int, int], ...]
             ) -> tuple[bytes, Optional[np.ndarray], list[tuple[int, bytes]]]:
    """Take the multi-line records out of a block: (other lines, their original line index, records).

    Each record is (index of its first physical line in the block, its bytes without the final
    line break).  ``None`` as index array: no record was taken out (lines keep their index).
    """
    if not enregistrements:
        return data, None, []
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    debuts = np.r_[0, nl + 1]
    garder = np.ones(len(debuts), dtype=bool)
    morceaux, extraits, precedent = [], [], 0
    for s, e in enregistrements:
        fin = int(nl[e]) if e < len(nl) else len(data)
        brut = data[int(debuts[s]):fin]
        extraits.append((s, brut[:-1] if brut.endswith(b"\r") else brut))
        morceaux.append(data[precedent:int(debuts[s])])
        precedent = min(fin + 1, len(data))
        garder[s:e + 1] = False
    morceaux.append(data[precedent:])
    return b"".join(morceaux), np.flatnonzero(garder), extraits


#: Reason of a CSV line that cannot be read as one record.
ILLISIBLE = ("ligne CSV illisible : guillemets mal placés ou non fermés, retour chariot hors guillemets "
              "ou cellule trop longue")


def guillemets_mal_places(zone: np.ndarray, debuts: np.ndarray, longueurs: np.ndarray, delim: int) -> np.ndarray:
    """Per line, quotes that do not open a field (after a delimiter or at the start) or close one."""
    q = zone == 34
    qu = q.view(np.uint8)
    cq = np.cumsum(qu, dtype=np.uint8)  # wraps around: only its parity is used
    avant = np.where(debuts > 0, cq[np.maximum(debuts - 1, 0)], 0).astype(np.uint8)
    impair = ((cq - qu - np.repeat(avant, longueurs)) & 1).astype(bool)  # index of the quote in its line is odd
    del cq
    precedent = np.ones(len(zone), dtype=bool)
    precedent[1:] = (zone[:-1] == delim) | (zone[:-1] == 10)
    suivant = np.ones(len(zone), dtype=bool)
    suivant[:-1] = (zone[1:] == delim) | (zone[1:] == 10) | (zone[1:] == 13)
    mauvais = q & np.where(impair, ~suivant, ~precedent)
    return np.add.reduceat(mauvais.view(np.uint8), debuts, dtype=np.int64)


__all__ = ["ILLISIBLE", "MAX_LIGNES", "MAX_OCTETS", "decouper", "extraire", "guillemets_mal_places",
           "lire_enregistrement"]
