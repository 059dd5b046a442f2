"""Reading a flux file by blocks: CSV, JSON Lines and Parquet readers, and the rows they refuse.

:func:`ouvrir_flux` checks what the file says of itself (header, schema, keys present) and raises
:class:`FluxInvalide` when it cannot be processed at all; :meth:`Source.blocs` cuts the rows into
small picklable tasks and :func:`lire_bloc` reads one of them into a :class:`Flux` (string columns
of CNAF keys).  A row refused while reading, or later by field validation, is a :class:`Rejet`
(one line of the rejects file, :data:`COLONNES_REJETS`).
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

import numpy as np
import pyarrow as pa

from orientation.dossier.cnaf import CLES
from orientation.flux import enregistrements_csv
from orientation.flux.cellules_json import cellule_json as _cellule_json, cellule_texte
from orientation.flux.cellules_json import erreur_json as _erreur_json
from orientation.flux.cellules_json import objet_json as _objet_json
from orientation.flux.enregistrements_csv import ILLISIBLE as _ILLISIBLE
from orientation.flux.enregistrements_csv import guillemets_mal_places as _guillemets_mal_places
from orientation.flux.bloc import COLONNES_REJETS, Flux, FluxInvalide, Rejet, identifiant_lisible
from orientation.flux.lecture_parquet import lire_bloc_parquet
from orientation.flux.lecture_xml import COLONNES_XML, blocs_xml, estimation_xml, lire_bloc_xml, verifier_xml
from orientation.regles.vectoriel import OBLIGATOIRES

#: Physical lines (Parquet: rows) per block: bounds memory; the model is scored by blocks too.
TAILLE_BLOC = 65_536
_identifiant_lisible = identifiant_lisible



_BOM = b"\xef\xbb\xbf"
#: Bytes read at a time when cutting a text file into blocks (the main process holds no more).
_LECTURE = 1 << 23


@dataclass
class Source:
    """A flux file opened for streamed reading: what its header (or schema) says, and where rows start.

    Built by :func:`ouvrir_flux`, which raises :class:`FluxInvalide` for a file that cannot be
    processed as a whole (nothing is written then).  :meth:`blocs` cuts the rows into small
    picklable tasks without keeping them; :func:`lire_bloc` reads one task into a :class:`Flux`
    (in a worker process, so that reading is parallel and memory is bounded by the block size).
    """

    chemin: Path
    format: Literal["csv", "jsonl", "parquet", "xml"]
    colonnes: list[str]  # CNAF columns of every block's table, in order
    colonnes_ignorees: Optional[list[str]]  # None: collected from the rows (JSON Lines)
    avec_departement: bool
    debut: int = 0  # text formats: byte offset of the first data line
    lignes_avant: int = 0  # text formats: physical lines before ``debut``
    noms: list[str] = field(default_factory=list)  # CSV: every header name
    delim: str = ","  # CSV
    total: Optional[int] = None  # rows, when known in advance (Parquet)
    encodage: str = "utf-8"  # text formats: utf-8, cp1252 or iso8859-1 (Python codec names)

    def estimation_lignes(self, echantillon: int = 1 << 20) -> Optional[int]:
        """Rows in the file: exact for Parquet, estimated from the first MiB for text formats (progress bar)."""
        if self.total is not None or self.format == "parquet":
            return self.total
        if self.format == "xml":
            return estimation_xml(self.chemin)
        taille = self.chemin.stat().st_size - self.debut
        with self.chemin.open("rb") as f:
            f.seek(self.debut)
            debut = f.read(echantillon)
        lignes = debut.count(b"\n") + (0 if debut.endswith(b"\n") else 1) if debut else 0
        return None if lignes == 0 else max(1, round(lignes * taille / len(debut)))

    def blocs(self, taille_bloc: int = TAILLE_BLOC, empreinte: Any = None) -> Iterable[tuple[Any, ...]]:
        """Tasks of at most ``taille_bloc`` rows, in file order: ``(rang, ...)``, see :func:`lire_bloc`.

        ``empreinte``: a hashlib object updated with every byte of the file (read once).
        """
        if self.format == "parquet":
            if empreinte is not None:
                with open(self.chemin, "rb") as f:
                    while morceau := f.read(_LECTURE):
                        empreinte.update(morceau)
            yield from _blocs_parquet(self, taille_bloc)
            return
        if self.format == "xml":  # parsed once here, streamed; tasks carry their rows
            yield from blocs_xml(self.chemin, taille_bloc, empreinte)
            return
        if empreinte is not None and self.debut:
            with open(self.chemin, "rb") as f:
                empreinte.update(f.read(self.debut))
        if self.format == "csv":  # records may span several lines (line breaks inside quotes)
            for rang, tache in enumerate(enregistrements_csv.decouper(
                    self.chemin, self.debut, self.lignes_avant, taille_bloc, len(self.noms), self.delim, self.encodage,
                    empreinte)):
                yield (rang, *tache)
            return
        for rang, (a, n, avant) in enumerate(_decouper(self.chemin, self.debut, self.lignes_avant, taille_bloc,
                                                       empreinte)):
            yield rang, a, n, avant


#: Encodings accepted for text files (``--encodage``), by the names users give.
ENCODAGES = {"utf-8": "utf-8", "utf8": "utf-8", "windows-1252": "cp1252", "cp1252": "cp1252",
             "latin-1": "iso8859-1", "latin1": "iso8859-1", "iso-8859-1": "iso8859-1"}
_NOMS_ENCODAGES = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "iso8859-1": "Latin-1"}
#: What a reject or an error says when UTF-8 decoding fails.
CONSEIL_ENCODAGE = "relancez avec --encodage windows-1252 s'il s'agit d'un export Windows"


def raison_encodage(encodage: str) -> str:
    """French reason of a line that the file's encoding cannot decode."""
    if encodage == "utf-8":
        return f"encodage invalide (UTF-8 attendu ; {CONSEIL_ENCODAGE})"
    return f"encodage invalide ({_NOMS_ENCODAGES.get(encodage, encodage)} attendu)"


def ouvrir_flux(chemin: Path | str, encodage: str = "utf-8") -> Source:
    """Open a flux file (CSV, JSON Lines or Parquet, by extension): header checks, no row read yet."""
    chemin = Path(chemin)
    ext = chemin.suffix.lower()
    if encodage.lower() not in ENCODAGES:
        raise FluxInvalide(f"encodage « {encodage} » non pris en charge : utf-8 (défaut), windows-1252 ou latin-1.")
    encodage = ENCODAGES[encodage.lower()]
    if not chemin.exists():
        raise FileNotFoundError(2, "fichier introuvable", str(chemin))
    if not chemin.is_file():
        nature = "un répertoire" if chemin.is_dir() else "un fichier spécial (périphérique, tube ou socket)"
        raise FluxInvalide(f"Fichier {chemin} : ce chemin désigne {nature}, pas un fichier ordinaire ; "
                           "indiquez un fichier .csv, .jsonl, .parquet ou .xml.")
    with open(chemin, "rb"):  # unreadable (permissions): an OSError naming the file, before anything else
        pass
    if ext in (".csv", ".txt"):
        source = _ouvrir_csv(chemin, encodage)
    elif ext in (".jsonl", ".ndjson", ".json"):
        source = _ouvrir_jsonl(chemin, encodage)
    elif ext in (".parquet", ".pq"):
        source = _ouvrir_parquet(chemin)
    elif ext == ".xml":
        verifier_xml(chemin)
        source = Source(chemin, "xml", list(COLONNES_XML), None, False)
    else:
        raise FluxInvalide(f"Fichier {chemin} : format inconnu « {ext or '(sans extension)'} » "
                           "(attendu .csv, .jsonl, .parquet ou .xml).")
    manquantes = [k for k in OBLIGATOIRES if k != "departement" and k not in source.colonnes]
    if manquantes:
        raise FluxInvalide(f"Fichier {chemin} : colonne(s) obligatoire(s) absente(s) : {', '.join(manquantes)}. "
                           "Aucune ligne n'a été traitée.")
    source.avec_departement = "departement" in source.colonnes
    return source


def lire_bloc(source: Source, tache: tuple[Any, ...]) -> Flux:
    """Read one task of :meth:`Source.blocs` (row indexes of ``bruts`` are relative to the block)."""
    if source.format == "parquet":
        return lire_bloc_parquet(tache[1], tache[2])
    if source.format == "xml":
        return lire_bloc_xml(tache)
    a, n, avant = tache[1:4]
    fd = os.open(source.chemin, os.O_RDONLY)
    try:
        data = os.pread(fd, n, a)
        while len(data) < n:  # pread may return less than asked
            suite = os.pread(fd, n - len(data), a + len(data))
            if not suite:
                break
            data += suite
    finally:
        os.close(fd)
    if source.encodage != "utf-8":  # the readers work on UTF-8; undecodable bytes stay and are rejected
        data = data.decode(source.encodage, "surrogateescape").encode("utf-8", "surrogateescape")
    if source.format == "csv":
        return _lire_csv_bloc(source, data, avant, tache[4] if len(tache) > 4 else ())
    return _lire_jsonl_bloc(source, data, avant)


def lire_flux(chemin: Path | str, taille_bloc: int = TAILLE_BLOC) -> Flux:
    """Read a whole flux file into one :class:`Flux` (in memory: :func:`traiter_fichier` streams instead)."""
    source = ouvrir_flux(chemin)
    tables, lignes, rejets, bruts, ignorees = [], [], [], {}, set()
    n = 0
    for tache in source.blocs(taille_bloc):
        lu = lire_bloc(source, tache)
        tables.append(lu.table)
        lignes.append(lu.lignes)
        rejets.extend(lu.rejets)
        bruts.update({n + i: r for i, r in lu.bruts.items()})
        ignorees.update(lu.colonnes_ignorees)
        n += lu.table.num_rows
    vide = pa.table({k: pa.array([], pa.string()) for k in source.colonnes})
    table = pa.concat_tables(tables, promote_options="permissive") if tables else vide
    return Flux(table, np.concatenate(lignes).astype(np.int64) if lignes else np.zeros(0, dtype=np.int64), rejets,
                source.colonnes_ignorees if source.colonnes_ignorees is not None else sorted(ignorees), bruts,
                source.avec_departement)


def _decouper(chemin: Path, debut: int, avant: int, taille_bloc: int,
              empreinte: Any = None) -> Iterable[tuple[int, int, int]]:
    """(offset, length, physical lines before) of blocks of ``taille_bloc`` whole lines from ``debut``.

    Only :data:`_LECTURE` bytes are held at a time; the last block may end without a newline.
    """
    with open(chemin, "rb") as f:
        f.seek(debut)
        lus = debut  # file offset of the next byte to read
        a = debut  # start of the current block
        dans_bloc = 0  # complete lines already in the current block
        while morceau := f.read(_LECTURE):
            if empreinte is not None:
                empreinte.update(morceau)
            nl = np.flatnonzero(np.frombuffer(morceau, dtype=np.uint8) == 10)
            j = 0
            while len(nl) - j >= taille_bloc - dans_bloc:
                j += taille_bloc - dans_bloc
                fin = lus + int(nl[j - 1]) + 1
                yield a, fin - a, avant
                avant += taille_bloc
                a, dans_bloc = fin, 0
            dans_bloc += len(nl) - j
            lus += len(morceau)
        if lus > a:
            yield a, lus - a, avant


def _entete(texte: str, chemin: Path) -> tuple[list[str], str]:
    delim = ";" if texte.count(";") > texte.count(",") else ","
    try:
        noms = next(csv.reader([texte], delimiter=delim, strict=True))
    except (csv.Error, StopIteration):
        raise FluxInvalide(f"Fichier {chemin} : ligne d'en-tête illisible "
                           "(guillemets mal placés ou non fermés).") from None
    noms = [n.strip() for n in noms]
    doublons = sorted({n for n in noms if noms.count(n) > 1})
    if doublons:
        raise FluxInvalide(f"Fichier {chemin} : colonne(s) en double dans l'en-tête : {', '.join(doublons)}.")
    return noms, delim


def _ouvrir_csv(chemin: Path, encodage: str = "utf-8") -> Source:
    """Find the header (first non-blank line) without reading further."""
    with open(chemin, "rb") as f:
        data = f.read(1 << 20)
        base = 0  # file offset of data[0]
        pos = 3 if data.startswith(_BOM) else 0
        avant = 0  # physical lines before ``pos``
        while True:
            fin = data.find(b"\n", pos)
            if fin < 0:
                suite = f.read(1 << 20)
                if suite:
                    base += pos
                    data, pos = data[pos:] + suite, 0
                    continue
                fin = suivant = len(data)
            else:
                suivant = fin + 1
            brut = data[pos:fin]
            if brut.endswith(b"\r"):
                brut = brut[:-1]
            if brut:
                break
            if suivant >= len(data) and not (suite := f.read(1 << 20)):
                raise FluxInvalide(f"Fichier {chemin} : fichier vide (aucune ligne d'en-tête).")
            if suivant >= len(data):
                base += len(data)
                data, pos = suite, 0
            else:
                pos = suivant
            avant += 1
    try:
        texte_entete = brut.decode(encodage)
    except UnicodeDecodeError:
        raise FluxInvalide(f"Fichier {chemin} : en-tête illisible, {raison_encodage(encodage)}.") from None
    noms, delim = _entete(texte_entete, chemin)
    return Source(chemin, "csv", [n for n in noms if n in CLES], [n for n in noms if n not in CLES], True,
                  debut=base + suivant, lignes_avant=avant + 1, noms=noms, delim=delim, encodage=encodage)


def _lire_csv_bloc(source: Source, data: bytes, avant: int, multi: tuple[tuple[int, int], ...] = ()) -> Flux:
    """Read a block of whole CSV records (``avant`` physical lines precede them).

    ``multi``: records spanning several physical lines ((first, last) line in the block, see
    :mod:`orientation.flux.enregistrements_csv`); the other records are one physical line each.
    """
    data, origine, extraits = enregistrements_csv.extraire(data, multi)
    lu = _lire_csv_lignes(source, data, avant, origine)
    if not extraits:
        return lu
    noms, delim, connues = source.noms, source.delim, source.colonnes
    cellules, numeros = [], []
    for s, brut in extraits:
        numero = avant + s + 1
        try:
            texte = brut.decode("utf-8")
        except UnicodeDecodeError:
            lu.rejets.append(Rejet(numero, "", "(ligne)", brut[:80].decode("utf-8", "replace"),
                                   raison_encodage(source.encodage)))
            continue
        rangee = enregistrements_csv.lire_enregistrement(texte, delim, len(noms))
        if rangee is None:  # pragma: no cover - checked when the file was cut into blocks
            lu.rejets.append(Rejet(numero, "", "(ligne)", texte[:80], _ILLISIBLE))
            continue
        cellules.append(rangee)
        numeros.append(numero)
    lu.rejets.sort(key=lambda r: r.ligne)
    if not cellules:
        return lu
    pos = [noms.index(k) for k in connues]
    t = pa.table({k: pa.array([c[p] for c in cellules], pa.string()) for k, p in zip(connues, pos)})
    table = pa.concat_tables([lu.table, t])
    lignes = np.concatenate([lu.lignes, np.array(numeros, dtype=np.int64)])
    ordre = np.argsort(lignes, kind="stable")
    return Flux(table.take(pa.array(ordre)), lignes[ordre], lu.rejets)


def _lire_csv_lignes(source: Source, data: bytes, avant: int, origine: Optional[np.ndarray]) -> Flux:
    """Read CSV lines, one record per physical line (``origine``: line index in the block of each line)."""
    import pyarrow.csv as pcsv

    noms, delim, connues = source.noms, source.delim, source.colonnes
    vide = Flux(pa.table({k: pa.array([], pa.string()) for k in connues}), np.zeros(0, dtype=np.int64))
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    debuts = np.r_[0, nl + 1].astype(np.int64)
    fins = np.r_[nl, len(buf)].astype(np.int64)  # exclusive, without "\n"
    if len(debuts) and debuts[-1] == len(buf):  # block ends with a newline
        debuts, fins = debuts[:-1], fins[:-1]
    if len(fins):
        cr = fins > debuts
        cr[cr] = buf[fins[cr] - 1] == 13
        fins_utiles = fins - cr
    else:
        fins_utiles = fins
    lignes_donnees = np.flatnonzero(fins_utiles > debuts)
    if len(lignes_donnees) == 0:
        return vide
    ncol = len(noms)
    d0, f0 = debuts[lignes_donnees], fins_utiles[lignes_donnees]
    # per line: delimiters, quotes, non-ASCII bytes (np.add.reduceat over each line's span)
    decal = int(d0[0])
    zone = buf[decal:]
    pos = d0 - decal

    def compter(masque: np.ndarray) -> np.ndarray:
        # sums up to the next line's start: the rest of a line is "\r", "\n" and blank lines
        return np.add.reduceat(masque.view(np.uint8), pos, dtype=np.int64)

    nb_delim = compter(zone == ord(delim))
    nb_guill = compter(zone == 34)
    nb_haut = compter(zone >= 128)
    # a carriage return inside a line (not the "\r" of "\r\n"): pyarrow would end the row there
    cr_nus = (compter(zone == 13) - (fins[lignes_donnees] > f0)) > 0
    # physical line numbers (1-based)
    numeros = avant + (lignes_donnees if origine is None else origine[lignes_donnees]) + 1
    rejets: list[Rejet] = []
    rapides = (nb_guill == 0) & (nb_delim == ncol - 1) & ~cr_nus
    idx_id = noms.index("identifiant") if "identifiant" in noms else -1
    # lines with non-ASCII bytes must be valid UTF-8
    mauvais_utf8 = np.zeros(len(lignes_donnees), dtype=bool)
    for j in np.flatnonzero(nb_haut > 0):
        try:
            data[d0[j]:f0[j]].decode("utf-8")
        except UnicodeDecodeError:
            mauvais_utf8[j] = True
    rapides &= ~mauvais_utf8
    longueurs = np.r_[d0[1:], len(buf)] - d0  # line + newline (+ blank lines)
    # quoted lines: when every field is either unquoted or wholly quoted, pyarrow reads them too
    alignes = np.zeros(len(lignes_donnees), dtype=bool)
    if nb_guill.any():
        alignes = (nb_guill > 0) & (nb_guill % 2 == 0) & ~mauvais_utf8 & ~cr_nus & (
            _guillemets_mal_places(zone, pos, longueurs, ord(delim)) == 0)
    types = {n: pa.string() for n in noms}

    def lire(garde: np.ndarray, guillemets: bool) -> Optional[pa.Table]:
        if garde.all():
            morceau: Any = pa.py_buffer(memoryview(data)[decal:])
        else:
            morceau = pa.py_buffer(zone[np.repeat(garde, longueurs)].tobytes())
        invalides: list[Any] = []
        t = pcsv.read_csv(
            pa.BufferReader(morceau),
            read_options=pcsv.ReadOptions(column_names=noms, block_size=1 << 24),
            parse_options=pcsv.ParseOptions(delimiter=delim, quote_char='"' if guillemets else False,
                                            double_quote=False, newlines_in_values=False, ignore_empty_lines=True,
                                            invalid_row_handler=lambda r: invalides.append(r) or "skip"),
            convert_options=pcsv.ConvertOptions(column_types=types, include_columns=connues,
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
        if invalides or t.num_rows != int(garde.sum()):
            return None  # e.g. a delimiter inside a quoted field: read these lines one by one
        return t

    morceaux: list[tuple[pa.Table, np.ndarray]] = []
    if rapides.any():
        t = lire(rapides, False)
        if t is not None:
            morceaux.append((t, numeros[rapides]))
        else:  # pragma: no cover - guarded by the line scan above; read these lines one by one then
            rapides[:] = False
    if alignes.any():
        t = lire(alignes, True)
        if t is not None:
            morceaux.append((t, numeros[alignes]))
        else:
            alignes[:] = False
    lentes: list[tuple[int, list[str]]] = []
    for j in np.flatnonzero(~rapides & ~alignes):
        brut = data[d0[j]:f0[j]]
        numero = int(numeros[j])
        texte = brut.decode("utf-8", errors="replace")
        naif = texte.split(delim)
        ident = _identifiant_lisible(naif[idx_id].strip('"')) if 0 <= idx_id < len(naif) else ""
        if mauvais_utf8[j]:
            rejets.append(Rejet(numero, ident, "(ligne)", texte[:80], raison_encodage(source.encodage)))
            continue
        if nb_guill[j] == 0:
            if nb_delim[j] != ncol - 1:
                rejets.append(Rejet(numero, ident, "(ligne)", texte[:80],
                                    f"nombre de colonnes incorrect : {nb_delim[j] + 1} au lieu de {ncol}"))
            else:  # e.g. a bare carriage return in a cell: the cell keeps it (and is judged as a value)
                lentes.append((numero, texte.split(delim)))
            continue
        try:
            cellules = next(csv.reader([texte], delimiter=delim, strict=True))
        except (csv.Error, StopIteration):
            rejets.append(Rejet(numero, ident, "(ligne)", texte[:80], _ILLISIBLE))
            continue
        if len(cellules) != ncol:
            rejets.append(Rejet(numero, ident, "(ligne)", texte[:80],
                                f"nombre de colonnes incorrect : {len(cellules)} au lieu de {ncol}"))
            continue
        lentes.append((numero, cellules))
    if lentes:
        pos_connues = [noms.index(k) for k in connues]
        morceaux.append((pa.table({k: pa.array([c[p] for _, c in lentes], pa.string())
                                   for k, p in zip(connues, pos_connues)}),
                         np.array([n for n, _ in lentes], dtype=np.int64)))
    if not morceaux:
        vide.rejets = rejets
        return vide
    table = pa.concat_tables([t for t, _ in morceaux]) if len(morceaux) > 1 else morceaux[0][0]
    lignes = np.concatenate([l for _, l in morceaux]).astype(np.int64)
    if len(morceaux) > 1:
        ordre = np.argsort(lignes, kind="stable")
        table = table.take(pa.array(ordre))
        lignes = lignes[ordre]
    return Flux(table, lignes, rejets)


def _ouvrir_jsonl(chemin: Path, encodage: str = "utf-8") -> Source:
    """Which CNAF keys occur in the file's objects, without parsing every line.

    The table of every block must have the columns of the whole file (a missing column, or
    ``departement``, changes how rows are read).  A key ``k`` occurs in an object only if its
    line contains ``"k"`` or an escape (``\\``): only those lines are parsed, and only while
    some key is still unseen (usually the first line shows them all).
    """
    inconnues = set(CLES)  # CNAF keys not yet seen in an object
    un_objet = non_vide = False
    blanc = re.compile(rb"[^ \t\n\r\x0b\x0c]")

    def essayer(morceau: bytes, i: int) -> int:
        """Parse the line around offset i; return the offset after it."""
        nonlocal un_objet
        a = morceau.rfind(b"\n", 0, i) + 1
        b = morceau.find(b"\n", i)
        b = len(morceau) if b < 0 else b
        obj = _objet_json(morceau[a:b], encodage)
        if obj is not None:
            un_objet = True
            inconnues.difference_update(obj)
        return b + 1

    with open(chemin, "rb") as f:
        reste = b""
        premier = True
        while True:
            lu = f.read(_LECTURE)
            if premier and lu.startswith(_BOM):
                lu = lu[3:]
            premier = False
            morceau = reste + lu
            if lu:
                coupe = morceau.rfind(b"\n") + 1
                morceau, reste = morceau[:coupe], morceau[coupe:]
            if not non_vide and blanc.search(morceau):
                non_vide = True
            if non_vide and not un_objet:  # the first line that is an object
                i = 0
                while not un_objet and i < len(morceau):
                    m = blanc.search(morceau, i)
                    if m is None:
                        break
                    i = essayer(morceau, m.start())
            for motif in [f'"{k}"'.encode() for k in sorted(inconnues)] + [b"\\"]:
                i = 0
                while i < len(morceau) and inconnues and (motif == b"\\" or motif[1:-1].decode() in inconnues):
                    i = morceau.find(motif, i)
                    if i < 0:
                        break
                    i = essayer(morceau, i)
            if not lu:
                break
    if not non_vide:
        raise FluxInvalide(f"Fichier {chemin} : fichier vide (aucun objet JSON).")
    presentes = set(CLES) - inconnues if un_objet else set(OBLIGATOIRES)  # nothing readable: all rejected
    return Source(chemin, "jsonl", [k for k in CLES if k in presentes], None, True,
                  debut=3 if _commence_par_bom(chemin) else 0, encodage=encodage)


def _commence_par_bom(chemin: Path) -> bool:
    with open(chemin, "rb") as f:
        return f.read(3) == _BOM


def _lire_jsonl_bloc(source: Source, data: bytes, avant: int) -> Flux:
    presentes = source.colonnes
    extras = [k for k in presentes if k not in CLES]  # keys outside the CNAF format asked for (labels)
    colonnes: dict[str, list[Any]] = {k: [] for k in (*CLES, *extras)}
    ignorees: set[str] = set()
    lignes: list[int] = []
    rejets: list[Rejet] = []
    bruts: dict[int, dict[str, Any]] = {}
    for numero, brut in enumerate(data.split(b"\n"), avant + 1):
        if not brut.strip():
            continue
        try:
            texte = brut.decode("utf-8")
        except UnicodeDecodeError:
            rejets.append(Rejet(numero, "", "(ligne)", brut[:80].decode("utf-8", "replace"),
                                raison_encodage(source.encodage)))
            continue
        try:
            obj = json.loads(texte)
        except json.JSONDecodeError as exc:
            rejets.append(Rejet(numero, "", "(ligne)", texte.strip()[:80],
                                f"JSON mal formé : {_erreur_json(exc.msg)} (colonne {exc.colno})"))
            continue
        except ValueError:  # integer of more than 4,300 digits (sys.int_info.str_digits_check_threshold)
            rejets.append(Rejet(numero, "", "(ligne)", texte.strip()[:80],
                                "JSON refusé : nombre trop long (plus de 4 300 chiffres)"))
            continue
        except RecursionError:
            rejets.append(Rejet(numero, "", "(ligne)", texte.strip()[:80],
                                "JSON refusé : structure trop profondément imbriquée"))
            continue
        if not isinstance(obj, dict):
            rejets.append(Rejet(numero, "", "(ligne)", texte.strip()[:80], "objet JSON attendu ({...})"))
            continue
        i = len(lignes)
        lignes.append(numero)
        simple = True
        for k in CLES:
            cellule, ok = _cellule_json(k, obj.get(k))
            colonnes[k].append(cellule)
            simple &= ok
        for k in extras:
            colonnes[k].append(cellule_texte(obj.get(k)))
        for k in obj:
            if k not in CLES:
                ignorees.add(str(k))
        if not simple:
            bruts[i] = {k: v for k, v in obj.items() if k in CLES}
    table = pa.table({k: pa.array(colonnes[k], pa.string()) for k in presentes})
    return Flux(table, np.array(lignes, dtype=np.int64), rejets, sorted(ignorees), bruts)


def _ouvrir_parquet(chemin: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        fichier = pq.ParquetFile(chemin)
        schema, total = fichier.schema_arrow, fichier.metadata.num_rows
    except (pa.ArrowInvalid, OSError):
        raise FluxInvalide(f"Fichier {chemin} : Parquet illisible (fichier corrompu, tronqué ou d'un autre "
                           "format).") from None
    if total == 0 and len(schema.names) == 0:
        raise FluxInvalide(f"Fichier {chemin} : fichier vide.")
    doublons = sorted({n for n in schema.names if schema.names.count(n) > 1})
    if doublons:
        raise FluxInvalide(f"Fichier {chemin} : colonne(s) en double dans le schéma Parquet : {', '.join(doublons)}.")
    return Source(chemin, "parquet", [k for k in schema.names if k in CLES], [k for k in schema.names if k not in CLES],
                  True, total=total)


def _blocs_parquet(source: Source, taille_bloc: int) -> Iterable[tuple[Any, ...]]:
    """(rang, record batch of CNAF columns, rows before): the file is read batch by batch."""
    import pyarrow.parquet as pq

    rang = avant = 0
    try:
        fichier = pq.ParquetFile(source.chemin)
        for lot in fichier.iter_batches(batch_size=taille_bloc, columns=source.colonnes):
            yield rang, lot, avant
            rang += 1
            avant += lot.num_rows
    except (pa.ArrowInvalid, OSError):
        raise FluxInvalide(f"Fichier {source.chemin} : Parquet illisible après {avant} ligne(s) (fichier corrompu "
                           "ou tronqué).") from None


__all__ = ["COLONNES_REJETS", "TAILLE_BLOC", "Flux", "FluxInvalide", "Rejet", "Source", "lire_bloc", "lire_flux",
           "ouvrir_flux"]
