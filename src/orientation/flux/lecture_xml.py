"""Reading a CAF XML flux by blocks (``orientation lot flux.xml``): byte ranges of whole records.

The XML structure and its mapping to flat CNAF rows are in :mod:`orientation.dossier.cnaf_xml`;
the cutting into byte ranges and the reading of one range in :mod:`orientation.dossier.cnaf_xml_blocs`.
The parent process reads the file once (hash, well-formedness check at C speed, DOCTYPE refused,
record boundaries, unknown elements outside records) and hands out tasks of at most
``taille_bloc`` records as byte ranges; each worker reads its range from the file, parses it with
lxml and turns it into a :class:`Flux` (:func:`lire_bloc_xml`) decided like any other block.
Memory is bounded by the block size and the tasks in flight, not by the file size.

Positions: the ``ligne`` of a decision or reject is the rank of the row (person) in the flux,
from 1 (as for Parquet: an XML file may hold everything on one line); a record without a person to
orient takes one rank (its reject).  A block's first rank depends on the rows of the blocks
before it, which only their workers know: each worker publishes its count as soon as its range
is parsed (:class:`_Rangs`, shared memory created before the workers are forked) and waits for
the count of the block before (parsed by then or being parsed; never a block after it).
Every reject of an XML row carries the record's rank and the line of its ``<Personne>`` (or
``<InfoDemandeRSA>``) start tag (:attr:`~orientation.flux.bloc.Flux.positions`, the rejects
file's ``enregistrement`` and ``ligne_balise`` columns).  The département of a row is the one the
flux gives (``DEPARTEMENT``, or ``Organisme > NUMORG``), else the run's (a null cell).
A file that is not well-formed XML, declares a DTD or holds no record raises :class:`FluxInvalide`
(before any output when it is at the start, else during the run: nothing is published).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import pyarrow as pa

from orientation.dossier.cnaf import CLES
from orientation.dossier.cnaf_xml import ENREGISTREMENT, PERSONNE, LecteurXML, XMLRefuse, lignes
from orientation.dossier.cnaf_xml_blocs import Decoupeur, Plage, lire_plage
from orientation.flux.bloc import Flux, FluxInvalide, Rejet, identifiant_lisible

#: Columns of every XML block's table (``departement``: null where the flux does not give one).
COLONNES_XML: list[str] = list(CLES)


def verifier_xml(chemin: Path) -> None:
    """Read the file up to its first record: a malformed start, a DTD or no record raise :class:`FluxInvalide`."""
    with open(chemin, "rb") as f:
        lecteur = LecteurXML(f, str(chemin))
        try:
            for _ in lecteur:
                return
        except XMLRefuse as exc:
            raise FluxInvalide(str(exc)) from None
    raise FluxInvalide(f"Fichier {chemin} : aucun enregistrement <{ENREGISTREMENT}> dans ce document XML "
                       f"(élément racine <{lecteur.racine or '?'}>). Aucune ligne n'a été traitée.")


def estimation_xml(chemin: Path, echantillon: int = 1 << 20) -> Optional[int]:
    """Rows in the file, estimated from the first MiB (progress bar)."""
    taille = chemin.stat().st_size
    with open(chemin, "rb") as f:
        debut = f.read(echantillon)
    n = debut.count(b"<ROLEPERS>DEM<") + debut.count(b"<ROLEPERS>CJT<") or debut.count(b"<" + ENREGISTREMENT.encode())
    return None if not debut or n == 0 else max(1, round(n * taille / len(debut)))


class _Rangs:
    """Rows before each block, shared by the forked workers: block ``k`` publishes its total once parsed.

    A ring of :data:`_ANNEAU` slots (block number, rows up to the end of the block): far more than
    the blocks in flight (two per worker).
    """

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else \
            multiprocessing
        self.verrou = ctx.Lock()
        self.blocs = ctx.RawArray("q", [-1] * _ANNEAU)
        self.totaux = ctx.RawArray("q", _ANNEAU)

    def publier(self, rang: int, n: int) -> int:
        """Record that block ``rang`` holds ``n`` ranks; return the ranks before it (waits for block ``rang - 1``)."""
        avant = 0
        if rang > 0:
            attente = 1e-4
            while True:
                with self.verrou:
                    if self.blocs[(rang - 1) % _ANNEAU] == rang - 1:
                        avant = self.totaux[(rang - 1) % _ANNEAU]
                        break
                time.sleep(attente)
                attente = min(attente * 2, 0.01)
        with self.verrou:
            self.totaux[rang % _ANNEAU] = avant + n
            self.blocs[rang % _ANNEAU] = rang
        return avant


_ANNEAU = 4096
#: Most records in one task (about 20 MiB of XML): enough tasks for every worker on a medium file.
PAR_TACHE = 8192
_RANGS: Optional[_Rangs] = None  # of the run being read (set by the parent before the workers are forked)


def blocs_xml(chemin: Path, taille_bloc: int, empreinte: Any = None) -> Iterable[tuple[Any, ...]]:
    """Tasks ``(rang, path, byte ranges, unknown elements outside records)`` of at most ``taille_bloc`` records
    (and :data:`PAR_TACHE`)."""
    global _RANGS
    _RANGS = _Rangs()
    rang = 0
    plages: list[Plage] = []
    n = 0
    with open(chemin, "rb") as f:
        decoupe = Decoupeur(f, str(chemin), taille_bloc, lus=None if empreinte is None else empreinte.update)
        try:
            for plage in decoupe:
                plages.append(plage)
                n += plage.enregistrements
                if n >= min(taille_bloc, PAR_TACHE):
                    yield rang, str(chemin), plages, sorted(decoupe.inconnus_hors)
                    rang, plages, n = rang + 1, [], 0
        except XMLRefuse as exc:
            raise FluxInvalide(str(exc)) from None
    if plages or rang == 0 or decoupe.inconnus_hors:  # the rest; unknown elements after the last record
        yield rang, str(chemin), plages, sorted(decoupe.inconnus_hors)


def _lire(chemin: str, a: int, n: int) -> bytes:
    fd = os.open(chemin, os.O_RDONLY)
    try:
        morceaux = []
        while n > 0:
            m = os.pread(fd, n, a)
            if not m:
                raise FluxInvalide(f"Fichier {chemin} : modifié pendant le traitement (plus court que prévu).")
            morceaux.append(m)
            a, n = a + len(m), n - len(m)
        return b"".join(morceaux)
    finally:
        os.close(fd)


def lire_bloc_xml(tache: tuple[Any, ...]) -> Flux:
    """The :class:`Flux` of a task of :func:`blocs_xml` (string columns, rows refused while reading)."""
    rang, chemin, plages, inconnus_hors = tache
    lus = [(rec, *lignes(rec)) for plage in plages
           for rec in lire_plage(_lire(chemin, plage.debut, plage.fin - plage.debut), plage, chemin)]
    n = sum(len(rangees) or 1 for _, rangees, _ in lus)
    avant = _RANGS.publier(rang, n) if _RANGS is not None else 0
    numero = avant
    rangs: list[int] = []
    colonnes: dict[str, list[Optional[str]]] = {k: [] for k in COLONNES_XML}
    rejets: list[Rejet] = []
    inconnus: set[str] = set(inconnus_hors)
    positions: dict[int, tuple[int, int]] = {}
    for rec, rangees, raison in lus:
        inconnus |= rec.inconnus
        if raison is not None:
            numero += 1
            ident = identifiant_lisible((rec.communs.get("numdemrsa") or [""])[0])
            rejets.append(Rejet(numero, ident, "(enregistrement)", "", raison.split(" : ", 1)[-1],
                                rec.numero, rec.ligne))
        for ligne, cellules in rangees:
            numero += 1
            rangs.append(numero)
            positions[numero] = (rec.numero, ligne)
            for k in COLONNES_XML:
                colonnes[k].append(cellules.get(k))
    table = pa.table({k: pa.array(v, pa.string()) for k, v in colonnes.items()})
    return Flux(table, np.array(rangs, dtype=np.int64), rejets, sorted(inconnus), {}, False, positions)


__all__ = ["COLONNES_XML", "PERSONNE", "blocs_xml", "estimation_xml", "lire_bloc_xml", "verifier_xml"]
