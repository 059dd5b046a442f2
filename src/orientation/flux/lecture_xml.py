"""Reading a CAF XML flux by blocks (``orientation lot flux.xml``): tasks of rows, then string columns.

The XML structure and its mapping to flat CNAF rows are in :mod:`orientation.dossier.cnaf_xml`.
XML cannot be cut by byte ranges, so the parent process parses the file once, streamed
(:class:`~orientation.dossier.cnaf_xml.LecteurXML`), and hands out tasks of at most ``taille_bloc``
rows (cells as plain lists, picklable); each worker turns its task into a :class:`Flux`
(:func:`lire_bloc_xml`) and decides it like any other block.  Memory is bounded by the block
size and the tasks in flight, not by the file size.

Positions: the ``ligne`` of a decision or reject is the rank of the row (person) in the flux,
from 1 (as for Parquet: an XML file may hold everything on one line); every reject's reason ends
with the record's rank and the line of its ``<Personne>`` (or ``<InfoDemandeRSA>``) start tag.
A file that is not well-formed XML, declares a DTD or holds no record raises :class:`FluxInvalide`
(before any output when it is at the start, else during the run: nothing is published).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np
import pyarrow as pa

from orientation.dossier.cnaf import CLES
from orientation.dossier.cnaf_xml import ENREGISTREMENT, LecteurXML, XMLRefuse, lignes
from orientation.flux.bloc import Flux, FluxInvalide, Rejet, identifiant_lisible

#: Columns of every XML block's table (the département is the run's).
COLONNES_XML: list[str] = [k for k in CLES if k != "departement"]


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


def blocs_xml(chemin: Path, taille_bloc: int, empreinte: Any = None) -> Iterable[tuple[Any, ...]]:
    """Tasks ``(rang, table of cells, ranks, rejects, unknown elements, positions)`` in file order.

    The cells travel as a pyarrow table (compact, unlike Python strings) while tasks wait for a worker.
    """
    rang = 0
    rangs: list[int] = []
    colonnes: dict[str, list[Optional[str]]] = {k: [] for k in COLONNES_XML}
    rejets: list[Rejet] = []
    inconnus: set[str] = set()
    positions: dict[int, str] = {}
    numero = 0  # rows (persons) and refused records so far

    def tache() -> tuple[Any, ...]:
        nonlocal rangs, colonnes, rejets, inconnus, positions, rang
        table = pa.table({k: pa.array(v, pa.string()) for k, v in colonnes.items()})
        t = (rang, table, rangs, rejets, sorted(inconnus), positions)
        rang += 1
        rangs, colonnes, rejets, inconnus, positions = [], {k: [] for k in COLONNES_XML}, [], set(), {}
        return t

    with open(chemin, "rb") as f:
        lecteur = LecteurXML(f, str(chemin), lus=None if empreinte is None else empreinte.update)
        try:
            for rec in lecteur:
                inconnus |= rec.inconnus
                rangees, raison = lignes(rec)
                if raison is not None:
                    numero += 1
                    ident = identifiant_lisible((rec.communs.get("numdemrsa") or [""])[0])
                    rejets.append(Rejet(numero, ident, "(enregistrement)", "",
                                        f"{raison} (balise <{ENREGISTREMENT}> ligne {rec.ligne})"))
                for ligne, cellules in rangees:
                    numero += 1
                    rangs.append(numero)
                    positions[numero] = f"enregistrement n° {rec.numero}, balise <Personne> ligne {ligne}"
                    for k in COLONNES_XML:
                        colonnes[k].append(cellules.get(k))
                if len(rangs) + len(rejets) >= taille_bloc:
                    yield tache()
        except XMLRefuse as exc:
            raise FluxInvalide(str(exc)) from None
        inconnus |= lecteur.inconnus_hors
    if rangs or rejets or inconnus or rang == 0:
        yield tache()


def lire_bloc_xml(tache: tuple[Any, ...]) -> Flux:
    """The :class:`Flux` of a task of :func:`blocs_xml` (string columns, rows refused while reading)."""
    _, table, rangs, rejets, inconnus, positions = tache
    return Flux(table, np.array(rangs, dtype=np.int64), list(rejets), list(inconnus), {}, False, positions)


__all__ = ["COLONNES_XML", "blocs_xml", "estimation_xml", "lire_bloc_xml", "verifier_xml"]
