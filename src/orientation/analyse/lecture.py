"""A flux or labelled export read whole with its extra columns, and the rows that are valid dossiers.

The bulk readers of :mod:`orientation.flux.lecture` do the reading (same formats, encodings,
header checks and reading rejects as ``orientation lot``); :func:`lire` also keeps the extra
columns asked for (labels, optional columns of a labelled export) aligned with the rows.
:func:`valider` then checks every row exactly as the bulk run does (vectorised check, per-row
:meth:`Dossier.depuis_cnaf` for flagged rows) and returns the valid rows' feature matrix and the
rejects (line, identifier, field, cell as in the file, French reason).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pyarrow as pa

from orientation.dossier.cnaf import CLES
from orientation.erreurs import DossierInvalide
from orientation.flux.lecture import FluxInvalide, Rejet, _identifiant_lisible, lire_bloc, ouvrir_flux
from orientation.flux.lot import enregistrement_de_ligne
from orientation.modele import caracteristiques as car
from orientation.regles.vectoriel import encoder

#: Département used to check rows when the file has no ``departement`` column and none is given.
DEPARTEMENT_PAR_DEFAUT = "93"


@dataclass
class Lu:
    """A file read whole: string cells (CNAF columns + extras present), line numbers, reading rejects."""

    chemin: Path
    table: pa.Table
    lignes: np.ndarray
    rejets: list[Rejet]
    entete: list[str]  # every column name of the file, in order
    bruts: dict[int, dict[str, Any]] = field(default_factory=dict)
    avec_departement: bool = True

    @property
    def nb_lignes(self) -> int:
        """Rows in the file (readable or refused while reading)."""
        return self.table.num_rows + len({r.ligne for r in self.rejets})

    def colonne(self, nom: str) -> Optional[list[Optional[str]]]:
        """Cells of a column (``None`` when the file does not have it); empty cells are ``None``."""
        if nom not in self.table.column_names:
            return None
        return [None if v is None or not str(v).strip() else str(v).strip() for v in self.table[nom].to_pylist()]


def lire(chemin: str | Path, extras: Sequence[str] = (), encodage: str = "utf-8", blocs: Optional[int] = None) -> Lu:
    """Read a CSV, JSON Lines or Parquet flux with the extra columns ``extras`` that it has.

    JSON Lines has no header: every extra is read, and kept (as a column, and in ``entete`` with
    the file's other keys outside the CNAF format) only when some object of the file has it.
    ``blocs``: read only that many blocks of :data:`~orientation.flux.lecture.TAILLE_BLOC` rows (a sample).
    """
    chemin = Path(chemin)
    source = ouvrir_flux(chemin, encodage)
    jsonl = source.format == "jsonl"
    entete = list(source.noms) if source.format == "csv" else list(source.colonnes) + list(
        source.colonnes_ignorees or [])
    presentes = [k for k in extras if (jsonl or k in entete) and k not in CLES]
    source = dataclasses.replace(source, colonnes=list(source.colonnes) + presentes)
    tables, lignes, rejets, bruts = [], [], [], {}
    vues: set[str] = set()  # JSON Lines: keys outside the CNAF format found in the objects
    n = 0
    for rang, tache in enumerate(source.blocs()):
        if blocs is not None and rang >= blocs:
            break
        lu = lire_bloc(source, tache)
        t = lu.table
        if source.format == "parquet" and presentes:
            lot, avant = tache[1], tache[2]
            rang = pa.array(lu.lignes - avant - 1)
            for k in presentes:
                t = t.append_column(k, _texte(lot.column(k)).take(rang))
        tables.append(t)
        vues.update(lu.colonnes_ignorees)
        lignes.append(lu.lignes)
        rejets.extend(lu.rejets)
        bruts.update({n + i: r for i, r in lu.bruts.items()})
        n += t.num_rows
    vide = pa.table({k: pa.array([], pa.string()) for k in source.colonnes})
    table = pa.concat_tables(tables, promote_options="permissive") if tables else vide
    if jsonl:
        table = table.drop_columns([k for k in presentes if k not in vues])
        entete += sorted(vues)
    return Lu(chemin, table, np.concatenate(lignes).astype(np.int64) if lignes else np.zeros(0, dtype=np.int64),
              sorted(rejets, key=lambda r: r.ligne), entete, bruts, source.avec_departement)


def _texte(colonne: Any) -> pa.Array:
    """A Parquet column as text cells (dates as ISO dates)."""
    typ = colonne.type
    if pa.types.is_date(typ) or pa.types.is_timestamp(typ):
        return colonne.cast(pa.date32()).cast(pa.string())
    if pa.types.is_string(typ):
        return colonne
    return pa.array([None if v is None else str(v) for v in colonne.to_pylist()], pa.string())


def departement_majoritaire(lu: Lu, departement: Optional[str] = None) -> str:
    """The département rows are checked against: the one given, else the file's most frequent one."""
    from orientation.dossier.schema import DEPARTEMENTS

    if departement:
        if str(departement) not in DEPARTEMENTS:
            raise FluxInvalide(f"département inconnu « {departement} » (attendu 01 à 95, 2A, 2B, 971 à 976).")
        return str(departement)
    valeurs = [v for v in (lu.colonne("departement") or []) if v]

    for v, _ in Counter(valeurs).most_common():
        if v in DEPARTEMENTS:
            return v
    return DEPARTEMENT_PAR_DEFAUT


@dataclass
class Valides:
    """Valid rows of a :class:`Lu` (indices into its table), their features, and the rejected rows' errors."""

    indices: np.ndarray
    X: np.ndarray
    rejets: list[Rejet]

    @property
    def lignes_rejetees(self) -> int:
        return len({r.ligne for r in self.rejets})


def valider(lu: Lu, departement: Optional[str] = None) -> Valides:
    """Check every row as ``orientation lot`` does; features of the valid ones (rows of any département)."""
    from orientation.dossier.schema import Dossier

    dep = departement_majoritaire(lu, departement)
    cnaf = lu.table.select([k for k in lu.table.column_names if k in CLES])
    n = cnaf.num_rows
    if n == 0:
        return Valides(np.zeros(0, dtype=np.int64), np.zeros((0, len(car.SCHEMA))), list(lu.rejets))
    suspect = encoder(cnaf, dep).suspect.copy()
    if lu.bruts:
        suspect[list(lu.bruts)] = True
    rejets = list(lu.rejets)
    lents: dict[int, Any] = {}
    cellules = cnaf.take(pa.array(np.flatnonzero(suspect))).to_pylist() if suspect.any() else []
    for i, cel in zip(np.flatnonzero(suspect).tolist(), cellules):
        brut = lu.bruts.get(i, cel)
        ligne = int(lu.lignes[i])
        ident = _identifiant_lisible(brut.get("identifiant"))
        try:
            lents[i] = Dossier.depuis_cnaf(enregistrement_de_ligne(brut, dep, lu.avec_departement))
        except DossierInvalide as exc:
            rejets.extend(Rejet(ligne, ident, e.champ, brut.get(e.champ, e.valeur) if e.champ in brut else e.valeur,
                                e.raison) for e in exc.erreurs)
        except (ValueError, RecursionError):  # cells that cannot even be converted
            rejets.append(Rejet(ligne, ident, "(ligne)", "", "valeurs illisibles"))
    rapides = np.flatnonzero(~suspect)
    garde = np.sort(np.r_[rapides, np.array(sorted(lents), dtype=np.int64)]).astype(np.int64)
    X = np.zeros((len(garde), len(car.SCHEMA)), dtype=np.float64)
    position = {int(i): k for k, i in enumerate(garde)}
    if len(rapides):
        X[[position[int(i)] for i in rapides]] = car.vectoriser_colonnes(cnaf.take(pa.array(rapides)))
    if lents:
        X[[position[i] for i in sorted(lents)]] = car.vectoriser([lents[i] for i in sorted(lents)])
    return Valides(garde, X, sorted(rejets, key=lambda r: r.ligne))


def ecrire_rejets(rejets: Sequence[Rejet], chemin: str | Path) -> Path:
    """Write rejects as the bulk run does (CSV: ligne, identifiant, champ, valeur, raison)."""
    from orientation.flux.sorties import EcrivainRejets

    chemin = Path(chemin)
    with chemin.open("w", encoding="utf-8", newline="") as f:
        EcrivainRejets(f).ecrire(list(rejets))
    return chemin


__all__ = ["Lu", "Valides", "departement_majoritaire", "ecrire_rejets", "lire", "valider"]
