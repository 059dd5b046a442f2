"""Reading one record batch of a Parquet flux into string cells (:func:`lire_bloc_parquet`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from orientation.dossier.cnaf import CLES
from orientation.flux.bloc import Flux, Rejet
from orientation.flux.bloc import identifiant_lisible as _identifiant_lisible
from orientation.flux.cellules_json import cellule_json as _cellule_json


def lire_bloc_parquet(t: pa.RecordBatch, avant: int) -> Flux:
    """String cells of a record batch: text and integers as they are, dates as ISO dates, others as JSON values."""
    cols: dict[str, Any] = {}
    bruts: dict[int, dict[str, Any]] = {}
    valeurs_brutes: dict[str, list[Any]] = {}
    mauvais: dict[int, list[tuple[str, str]]] = {}  # row -> (column, cell) not valid UTF-8
    for k in t.schema.names:
        if k not in CLES:
            continue
        c = t.column(k)
        typ = c.type.value_type if pa.types.is_dictionary(c.type) else c.type
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            col = c.dictionary_decode() if pa.types.is_dictionary(c.type) else c.cast(pa.string())
            try:
                col.validate(full=True)
                cols[k] = c if pa.types.is_dictionary(c.type) else col
            except pa.ArrowInvalid:  # bytes that are not UTF-8: those rows are rejected
                octets = col.view(pa.binary()).to_pylist()
                cellules = []
                for i, b in enumerate(octets):
                    try:
                        cellules.append(None if b is None else b.decode("utf-8"))
                    except UnicodeDecodeError:
                        mauvais.setdefault(i, []).append((k, b.decode("utf-8", "replace")))
                        cellules.append("")
                cols[k] = pa.array(cellules, pa.string())
        elif pa.types.is_integer(typ):
            cols[k] = c.cast(pa.string())
        elif pa.types.is_date(typ) or pa.types.is_timestamp(typ):  # pandas writes dates as timestamps
            cols[k] = c.cast(pa.date32()).cast(pa.string())
        else:  # lists, booleans, floats...: cell by cell, as JSON values
            valeurs = c.to_pylist()
            valeurs_brutes[k] = valeurs
            cellules = []
            for i, v in enumerate(valeurs):
                if isinstance(v, float) and v != v:
                    v = None
                cellule, ok = _cellule_json(k, v)
                cellules.append(cellule)
                if not ok:
                    bruts.setdefault(i, {})[k] = v
            cols[k] = pa.array(cellules, pa.string())
    table = pa.table(cols) if cols else pa.table({})
    for i in list(bruts):  # per-row path needs the whole record (raw values where they are not text)
        bruts[i] = {k: valeurs_brutes[k][i] if k in valeurs_brutes else table.column(k)[i].as_py() for k in cols}
    lignes = np.arange(avant + 1, avant + t.num_rows + 1, dtype=np.int64)
    rejets: list[Rejet] = []
    if mauvais:
        ids = table.column("identifiant").to_pylist() if "identifiant" in cols else [None] * t.num_rows
        for i in sorted(mauvais):
            for k, v in mauvais[i]:
                rejets.append(Rejet(int(lignes[i]), _identifiant_lisible(ids[i]), k, v,
                                    "encodage invalide (le format Parquet impose l'UTF-8)"))
        garder = np.ones(t.num_rows, dtype=bool)
        garder[list(mauvais)] = False
        nouveau = np.cumsum(garder) - 1
        bruts = {int(nouveau[i]): r for i, r in bruts.items() if garder[i]}
        table, lignes = table.filter(pa.array(garder)), lignes[garder]
    return Flux(table, lignes, rejets, [], bruts)


__all__ = ["lire_bloc_parquet"]
