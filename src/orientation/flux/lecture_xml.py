"""Reading a CAF XML flux by blocks (``orientation lot flux.xml``, the workspace's import).

The XML structure, its parsing and its mapping to flat CNAF rows are in
:mod:`orientation.dossier.cnaf_xml` (one parser for a single dossier and for a flux:
:class:`~orientation.dossier.cnaf_xml.LecteurXML`, lxml's pull parser).  The process cutting the
flux into tasks reads the file once (hash, parse, DOCTYPE refused, unknown elements) and turns
every :data:`PAR_TACHE` records (at most ``taille_bloc``) into a :class:`Flux` (string columns,
Arrow buffers: cheap to hand to a worker), decided like any other block.  In ``orientation lot``
that process is a dedicated reader (:mod:`orientation.flux.lecteur_dedie`), so that parsing and
deciding run at the same time; elsewhere (workspace import, one process) it is the caller.  Memory is bounded by
the block size and the tasks in flight, not by the file size.

Positions: the ``ligne`` of a decision or reject is the rank of the row (person) in the flux,
from 1 (as for Parquet: an XML file may hold everything on one line); a record without a person to
orient takes one rank (its reject).  The file is read in order by one process, which numbers the
rows as it goes.  Every reject of an XML row carries the record's rank and the line of its
``<Personne>`` (or ``<InfoDemandeRSA>``) start tag (:attr:`~orientation.flux.bloc.Flux.positions`,
the rejects file's ``enregistrement`` and ``ligne_balise`` columns).  The département of a row is
the one the flux gives (``DEPARTEMENT``, or ``Organisme > NUMORG``), else the run's (a null cell).
A file that is not well-formed XML, declares a DTD or holds no record raises :class:`FluxInvalide`
(before any output when it is at the start, else during the run: nothing is published).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import pyarrow as pa

from orientation.dossier.cnaf import CLES
from orientation.dossier.cnaf_xml import ENREGISTREMENT, PERSONNE, EnregistrementXML, LecteurXML, XMLRefuse, lignes
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


#: Most records in one task: enough tasks for every worker on a medium file, small tasks in flight.
PAR_TACHE = 4096


class _Bloc:
    """Rows of the records of one task as they are read (each record turned into its rows at once, so that
    few objects stay alive: the collector scans little), then a :class:`Flux`."""

    def __init__(self, avant: int, inconnus_hors: set[str]):
        self.numero, self.records = avant, 0
        self.lues: list[dict[str, str]] = []
        self.rangs: list[int] = []
        self.rejets: list[Rejet] = []
        self.inconnus: set[str] = inconnus_hors  # the reader's set: read when the block is made
        self.vus: set[str] = set()
        self.positions: dict[int, tuple[int, int]] = {}

    def ajouter(self, rec: EnregistrementXML) -> None:
        self.records += 1
        if rec.inconnus:
            self.vus |= rec.inconnus
        rangees, raison = lignes(rec)
        if raison is not None:
            self.numero += 1
            ident = identifiant_lisible((rec.communs.get("numdemrsa") or [""])[0])
            self.rejets.append(Rejet(self.numero, ident, "(enregistrement)", "", raison.split(" : ", 1)[-1],
                                     rec.numero, rec.ligne))
        for ligne, cellules in rangees:
            self.numero += 1
            self.rangs.append(self.numero)
            self.positions[self.numero] = (rec.numero, ligne)
            self.lues.append(cellules)

    def flux(self) -> Flux:
        # one struct array built by Arrow from the row dicts (a missing key is null), then its columns
        table = pa.Table.from_struct_array(pa.array(self.lues, _STRUCT))
        return Flux(table, np.array(self.rangs, dtype=np.int64), self.rejets, sorted(self.vus | self.inconnus), {},
                    False, self.positions)


_STRUCT = pa.struct([(k, pa.string()) for k in COLONNES_XML])


def blocs_xml(chemin: Path, taille_bloc: int, empreinte: Any = None) -> Iterable[tuple[int, Flux]]:
    """Tasks ``(rang, Flux)`` of at most ``taille_bloc`` records (and :data:`PAR_TACHE`), read in this process."""
    par_tache = max(1, min(taille_bloc, PAR_TACHE))
    rang = 0
    with open(chemin, "rb") as f:
        lecteur = LecteurXML(f, str(chemin), 1 << 20, None if empreinte is None else empreinte.update)
        bloc = _Bloc(0, lecteur.inconnus_hors)
        try:
            for rec in lecteur:
                bloc.ajouter(rec)
                if bloc.records >= par_tache:
                    flux = bloc.flux()
                    yield rang, flux
                    rang, bloc = rang + 1, _Bloc(bloc.numero, lecteur.inconnus_hors)
        except XMLRefuse as exc:
            raise FluxInvalide(str(exc)) from None
    if bloc.records or rang == 0 or lecteur.inconnus_hors:  # the rest; unknown elements after the last record
        yield rang, bloc.flux()


def lire_bloc_xml(tache: tuple[int, Flux]) -> Flux:
    """The :class:`Flux` of a task of :func:`blocs_xml` (read when the task was made)."""
    return tache[1]


__all__ = ["COLONNES_XML", "PERSONNE", "blocs_xml", "estimation_xml", "lire_bloc_xml", "verifier_xml"]
