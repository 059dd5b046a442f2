"""Column-oriented validation and three-valued rule evaluation for bulk orientation.

Used by :mod:`orientation.flux.lot`.  Two pieces:

* :func:`encoder` reads flat CNAF cells (a pyarrow Table of string or dictionary columns, one
  row per person) and, column by column, validates and encodes them.  Every column is
  dictionary-encoded and each *distinct* cell is examined once in Python with the same
  normalisation as :func:`orientation.dossier.tabulaire.ligne_vers_enregistrement` (``str.strip``,
  ``|``-separated lists, ``-`` for an answered empty list), so the per-row cost is a few numpy
  ``take`` calls.  The check is **sound**: a row that is not flagged ``suspect`` is accepted by
  :meth:`Dossier.depuis_cnaf` (it only accepts canonical spellings, and checks the cross-field
  rules of the dossier: age 16 to 120 at the request, notification after opening, diploma after
  birth).  Suspect rows must go through the per-row reference path, which gives the exact French
  errors (or accepts an unusual but valid spelling).  The encoder also rebuilds the canonical
  cells of every column (input of :func:`orientation.modele.caracteristiques.vectoriser_colonnes`).

* :class:`EvaluateurVectoriel` evaluates the parsed rule AST of a
  :class:`~orientation.regles.referentiel.Referentiel` (:class:`~orientation.regles.conditions.Atome`,
  :class:`~orientation.regles.conditions.Tous`, :class:`~orientation.regles.conditions.AuMoinsUn`,
  :class:`~orientation.regles.conditions.Toujours`, derived values ``age(...)``, ``mois_entre(...)``,
  ``annees_entre(...)``, ``nombre(...)``) on whole columns with Kleene semantics: each condition
  gives two boolean arrays, *vrai* and *faux* (neither = « non renseigné »).  It is an
  independent re-implementation of :func:`orientation.regles.conditions.verite`; the test suite checks
  with hypothesis that both agree on random dossiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orientation.dossier import codes
from orientation.dossier.cnaf import CLES, CLES_DOSSIER
from orientation.regles.champs import CHAMPS, Champ, champ as resoudre_champ
from orientation.regles.conditions import Atome, AuMoinsUn, Condition, Toujours, Tous
from orientation.dossier.schema import DEPARTEMENTS, Fragilite

#: Columns a row cannot do without (the departement column may be absent: the lot's one is used).
OBLIGATOIRES: tuple[str, ...] = ("identifiant", "departement", "dtdemrsa", "dtouvdroit", "dtnai", "typefoyer",
                                 "toppersdrodevorsa", "topprimodemandeur")
_DATES = ("dtdemrsa", "dtouvdroit", "dtnotifdroit", "dtnai")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ENTIER = re.compile(r"[0-9]{1,9}")
_IDENTIFIANT = r"^[A-Za-z0-9_.\-]{1,64}$"
_EPOQUE = date(1970, 1, 1)
_AGE_MAX_ENFANT = 25

#: Rule paths of plain fields -> CNAF column.
CHEMIN_VERS_CLE: dict[str, str] = {chemin: cle for cle, (chemin, _) in CLES_DOSSIER.items()}
CHEMIN_VERS_CLE.update({f"dsp.{c.nom}": c.cnaf for c in codes.CHAMPS})


# --------------------------------------------------------------------------- encoded columns


@dataclass
class Colonne:
    """One encoded column.

    ``code``: int64 per row (meaning depends on the column: code index, bitmask, days since
    1970-01-01, year...), ``nul``: « non renseigné », ``suspect``: the cell is not a canonical
    valid value.  ``affichage``/``valeurs``: per-row key into the Python values (for messages).
    """

    code: np.ndarray
    nul: np.ndarray
    suspect: np.ndarray
    canonique: pa.Array  # canonical cells (string), null = non renseigné
    nombre: Optional[np.ndarray] = None  # items of a multi-valued cell
    cle: Optional[np.ndarray] = None  # per-row key into ``valeurs``
    valeurs: Optional[list[Any]] = None  # Python value of each distinct cell (after validation)


def _distincts(arr: Any, n: int) -> tuple[np.ndarray, list[Optional[str]]]:
    """(index per row into the distinct list, distinct raw cells); index ``len`` = null."""
    if arr is None:
        return np.zeros(n, dtype=np.int64), [None]
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_dictionary(arr.type):
        if pa.types.is_large_string(arr.type):
            arr = arr.cast(pa.string())
        arr = pc.dictionary_encode(arr)
    dico = arr.dictionary
    if not (pa.types.is_string(dico.type) or pa.types.is_large_string(dico.type)):
        dico = dico.cast(pa.string())
    valeurs: list[Optional[str]] = dico.to_pylist()
    ind = arr.indices.fill_null(len(valeurs)).to_numpy(zero_copy_only=False).astype(np.int64)
    valeurs.append(None)
    return ind, valeurs


#: Parser of one distinct cell: returns (valid, canonical cell or None, code, python value, extra)
Analyseur = Callable[[Optional[str]], tuple[bool, Optional[str], int, Any, int]]

_NUL = (True, None, -1, None, 0)
_MAUVAIS = (False, None, -1, None, 0)


def _texte(s: Optional[str]) -> str:
    return "" if s is None else s.strip()


def _analyseur_table(table: dict[str, tuple[int, Any]]) -> Analyseur:
    """Single code: canonical spelling -> (code, python value)."""
    def f(s: Optional[str]) -> tuple[bool, Optional[str], int, Any, int]:
        t = _texte(s)
        if t == "":
            return _NUL
        if t in table:
            c, v = table[t]
            return True, t, c, v, 0
        return _MAUVAIS
    return f


def _analyseur_liste(table: dict[str, tuple[int, Any]]) -> Analyseur:
    """Several codes separated by ``|`` (``-``: answered, none): bitmask of code indices."""
    def f(s: Optional[str]) -> tuple[bool, Optional[str], int, Any, int]:
        t = _texte(s)
        if t == "":
            return _NUL
        if t == "-":
            return True, "-", 0, [], 0
        items = [x.strip() for x in t.split("|")]
        if any(x not in table for x in items) or len(set(items)) != len(items):
            return _MAUVAIS
        rangs = sorted(table[x][0] for x in items)
        masque = 0
        for r in rangs:
            masque |= 1 << r
        par_rang = {table[x][0]: x for x in items}
        return True, "|".join(par_rang[r] for r in rangs), masque, [table[par_rang[r]][1] for r in rangs], len(rangs)
    return f


def _analyse_date(s: Optional[str]) -> tuple[bool, Optional[str], int, Any, int]:
    t = _texte(s)
    if t == "":
        return _NUL
    if not _ISO.fullmatch(t):
        return _MAUVAIS
    try:
        d = date.fromisoformat(t)
    except ValueError:
        return _MAUVAIS
    if not 1900 <= d.year <= 2100:
        return _MAUVAIS
    return True, t, (d - _EPOQUE).days, d, 0


def _analyse_annee(s: Optional[str]) -> tuple[bool, Optional[str], int, Any, int]:
    t = _texte(s)
    if t == "":
        return _NUL
    if not _ENTIER.fullmatch(t):
        return _MAUVAIS
    a = int(t)
    if not 1900 <= a <= 2100:
        return _MAUVAIS
    return True, str(a), a, a, 0


def _analyse_enfants(s: Optional[str]) -> tuple[bool, Optional[str], int, Any, int]:
    t = _texte(s)
    if t == "":
        return True, None, 0, [], 0  # no children: the foyer's default empty list
    if t == "-":
        return True, "-", 0, [], 0
    items = [x.strip() for x in t.split("|")]
    if not all(_ENTIER.fullmatch(x) for x in items):
        return _MAUVAIS
    ages = sorted(int(x) for x in items)
    if any(a > _AGE_MAX_ENFANT for a in ages):
        return _MAUVAIS
    masque = 0
    for a in ages:
        masque |= 1 << a
    return True, "|".join(map(str, ages)), masque, ages, len(ages)


def _table_codes(champ: codes.ChampDSP) -> dict[str, tuple[int, Any]]:
    return {c.cnaf: (i, c.nom) for i, c in enumerate(champ.codes)}


def _table_dict(cle: str, noms: Optional[list[str]] = None) -> dict[str, tuple[int, Any]]:
    conv = CLES_DOSSIER[cle][1]
    if noms is None:
        return {k: (int(v), bool(v)) if isinstance(v, bool) else (i, v) for i, (k, v) in enumerate(conv.items())}
    return {k: (noms.index(v), v) for k, v in conv.items()}


def _analyseurs(departement: str) -> dict[str, Analyseur]:
    codes_de = ("inscription_france_travail", "foyer.composition", "preorientation_caf",
                "motif_modification_parcours_caf")
    noms = {chemin: [n for n, _ in CHAMPS[chemin].codes] for chemin in codes_de}
    dep_index = sorted(DEPARTEMENTS).index(departement)
    out: dict[str, Analyseur] = {
        "departement": _analyseur_table({departement: (dep_index, departement)}),
        "sexe": _analyseur_table(_table_dict("sexe")),
        "nati": _analyseur_table(_table_dict("nati")),
        "typefoyer": _analyseur_table(_table_dict("typefoyer", noms["foyer.composition"])),
        "agesenfants": _analyse_enfants,
        "toppersdrodevorsa": _analyseur_table(_table_dict("toppersdrodevorsa")),
        "topprimodemandeur": _analyseur_table(_table_dict("topprimodemandeur")),
        "inscft": _analyseur_table(_table_dict("inscft", noms["inscription_france_travail"])),
        "fragilites": _analyseur_liste({f.value: (i, f.value) for i, f in enumerate(Fragilite)}),
        "topdemanderdv": _analyseur_table(_table_dict("topdemanderdv")),
        "natparcocal": _analyseur_table(_table_dict("natparcocal", noms["preorientation_caf"])),
        "natparcomod": _analyseur_table(_table_dict("natparcomod", noms["preorientation_caf"])),
        "motimodparco": _analyseur_table(_table_dict("motimodparco", noms["motif_modification_parcours_caf"])),
    }
    for cle, (chemin, conv) in CLES_DOSSIER.items():  # France Travail diagnostic (booleans and barriers)
        if chemin.startswith("diagnostic."):
            genre = CHAMPS[chemin].genre
            out[cle] = _analyseur_table(_table_dict(cle) if genre == "booleen"
                                        else _table_dict(cle, [n for n, _ in CHAMPS[chemin].codes]))
    for cle in _DATES:
        out[cle] = _analyse_date
    for c in codes.CHAMPS:
        if c.kind == "booleen":
            out[c.cnaf] = _analyseur_table({"0": (0, False), "1": (1, True)})
        elif c.kind == "entier":
            out[c.cnaf] = _analyse_annee
        elif c.kind == "codes":
            out[c.cnaf] = _analyseur_liste(_table_codes(c))
        else:
            out[c.cnaf] = _analyseur_table(_table_codes(c))
    return out


@dataclass
class Encodage:
    """Encoded columns of a block of rows, and which rows must take the per-row path."""

    n: int
    departement: str
    colonnes: dict[str, Colonne]
    suspect: np.ndarray
    #: (year, month, day) of each date column (-1 where empty)
    ymd: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def table_canonique(self, lignes: Optional[np.ndarray] = None) -> pa.Table:
        """Canonical CNAF cells (null = non renseigné) of the given rows (default: all)."""
        cols = {}
        for cle in CLES:
            arr = self.colonnes[cle].canonique
            cols[cle] = arr if lignes is None else arr.take(pa.array(lignes))
        return pa.table(cols)

    def sous_ensemble(self, lignes: np.ndarray) -> "Encodage":
        """The same encoding restricted to some rows."""
        cols = {}
        for k, c in self.colonnes.items():
            cols[k] = Colonne(c.code[lignes], c.nul[lignes], c.suspect[lignes], c.canonique.take(pa.array(lignes)),
                              None if c.nombre is None else c.nombre[lignes], None if c.cle is None else c.cle[lignes],
                              c.valeurs)
        ymd = {k: (a[lignes], m[lignes], j[lignes]) for k, (a, m, j) in self.ymd.items()}
        return Encodage(len(lignes), self.departement, cols, self.suspect[lignes], ymd)


def encoder(table: pa.Table, departement: str) -> Encodage:
    """Validate and encode flat CNAF cells (see the module docstring).

    ``table``: string or dictionary<string> columns named by CNAF keys (unknown columns are
    ignored; an absent ``departement`` column means every row is of ``departement``).
    """
    n = table.num_rows
    noms = set(table.column_names)
    analyseurs = _analyseurs(departement)
    colonnes: dict[str, Colonne] = {}
    suspect = np.zeros(n, dtype=bool)
    ymd: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for cle in CLES:
        brut = table.column(cle) if cle in noms else None
        if cle == "identifiant":
            colonnes[cle] = _encoder_identifiant(brut, n)
        elif cle == "departement" and brut is None:
            dep_index = sorted(DEPARTEMENTS).index(departement)
            colonnes[cle] = Colonne(np.full(n, dep_index, dtype=np.int64), np.zeros(n, dtype=bool),
                                    np.zeros(n, dtype=bool), pa.array(np.full(n, departement, dtype=object),
                                                                      type=pa.string()),
                                    cle=np.zeros(n, dtype=np.int64), valeurs=[departement])
        else:
            colonnes[cle] = _encoder_colonne(brut, n, analyseurs[cle])
        c = colonnes[cle]
        suspect |= c.suspect
        if cle in OBLIGATOIRES:
            suspect |= c.nul
    for cle in _DATES:
        c = colonnes[cle]
        assert c.valeurs is not None and c.cle is not None
        a = np.array([-1 if v is None else v.year for v in c.valeurs], dtype=np.int64)
        m = np.array([-1 if v is None else v.month for v in c.valeurs], dtype=np.int64)
        j = np.array([-1 if v is None else v.day for v in c.valeurs], dtype=np.int64)
        ymd[cle] = (a[c.cle], m[c.cle], j[c.cle])
    # cross-field rules of Dossier._coherence (only meaningful where the fields are valid)
    dem, nai, ouv, notif = (colonnes[k] for k in ("dtdemrsa", "dtnai", "dtouvdroit", "dtnotifdroit"))
    (ya, ma, ja), (yn, mn, jn) = ymd["dtdemrsa"], ymd["dtnai"]
    age = ya - yn - ((ma * 100 + ja) < (mn * 100 + jn))
    ok = ~(dem.nul | nai.nul)
    suspect |= ok & ((nai.code >= dem.code) | (age < 16) | (age > 120))
    suspect |= ~notif.nul & ~ouv.nul & (notif.code < ouv.code)
    annee = colonnes["annobtnivdipmax"]
    suspect |= ~annee.nul & ~nai.nul & (annee.code < yn)
    return Encodage(n, departement, colonnes, suspect, ymd)


def _encoder_identifiant(brut: Any, n: int) -> Colonne:
    if brut is None:
        arr = pa.nulls(n, pa.string())
    else:
        arr = brut.combine_chunks() if isinstance(brut, pa.ChunkedArray) else brut
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)
        if not pa.types.is_string(arr.type):
            arr = arr.cast(pa.string())
    bon = pc.fill_null(pc.match_substring_regex(arr, _IDENTIFIANT), False).to_numpy(zero_copy_only=False)
    nul = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), ""), True).to_numpy(zero_copy_only=False)
    return Colonne(np.zeros(n, dtype=np.int64), nul, ~bon, pc.if_else(pa.array(bon), arr, pa.scalar(None, pa.string())))


def _encoder_colonne(brut: Any, n: int, analyse: Analyseur) -> Colonne:
    ind, distincts = _distincts(brut, n)
    res = [analyse(s) for s in distincts]
    valide = np.array([r[0] for r in res], dtype=bool)
    canon = [r[1] for r in res]
    code = np.array([r[2] for r in res], dtype=np.int64)
    nul = np.array([r[1] is None and r[0] for r in res], dtype=bool)
    nombre = np.array([r[4] for r in res], dtype=np.int64)
    valeurs = [r[3] for r in res]
    canonique = pa.DictionaryArray.from_arrays(pa.array(ind.astype(np.int32)), pa.array(canon, type=pa.string()))
    return Colonne(code[ind], nul[ind], ~valide[ind], canonique.cast(pa.string()), nombre[ind], ind, valeurs)


# --------------------------------------------------------------------------- field vectors


@dataclass
class Vecteur:
    """Values of one rule field for every row: ``val`` (int64), ``nul`` (non renseigné).

    ``bits`` is True for multi-valued fields (``val`` is a bitmask).  ``python(i)`` gives the
    readable value (as :attr:`orientation.regles.champs.Champ.lire` returns it) of row ``i``;
    ``cle`` is a per-row key such that rows with the same key have the same readable value.
    """

    val: np.ndarray
    nul: np.ndarray
    cle: np.ndarray
    python_cle: Callable[[int], Any]
    bits: bool = False


def _mois(ya: np.ndarray, ma: np.ndarray, ja: np.ndarray, yb: np.ndarray, mb: np.ndarray, jb: np.ndarray,
          b_avant: np.ndarray) -> np.ndarray:
    """Full months from a to b (negative when b is earlier), as champs._mois."""
    avant = (yb - ya) * 12 + (mb - ma) - (jb < ja)
    arriere = -((ya - yb) * 12 + (ma - mb) - (ja < jb))
    return np.where(b_avant, arriere, avant)


class Vecteurs:
    """Lazily computed :class:`Vecteur` of each rule field (plain or derived) of an encoding."""

    _DERIVEE = re.compile(r"^([a-z_]+)\((.*)\)$")

    def __init__(self, enc: Encodage):
        self.enc = enc
        self._cache: dict[str, Vecteur] = {}

    def __getitem__(self, chemin: str) -> Vecteur:
        if chemin not in self._cache:
            self._cache[chemin] = self._calculer(chemin)
        return self._cache[chemin]

    def _calculer(self, chemin: str) -> Vecteur:
        m = self._DERIVEE.match(chemin)
        if m:
            return self._derive(m.group(1), [a.strip() for a in m.group(2).split(",")])
        cle = CHEMIN_VERS_CLE[chemin]
        c = self.enc.colonnes[cle]
        ch = resoudre_champ(chemin)
        valeurs = c.valeurs or []
        assert c.cle is not None
        if ch.genre == "date":
            return Vecteur(c.code, c.nul, c.cle, lambda k, v=valeurs: v[k])
        if ch.genre == "codes":
            return Vecteur(c.code, c.nul, c.cle, lambda k, v=valeurs: None if v[k] is None else list(v[k]), bits=True)
        if ch.genre == "entiers":
            return Vecteur(c.code, np.zeros(self.enc.n, dtype=bool), c.cle, lambda k, v=valeurs: list(v[k] or []),
                           bits=True)
        return Vecteur(c.code, c.nul, c.cle, lambda k, v=valeurs: v[k])

    def _derive(self, fonction: str, args: list[str]) -> Vecteur:
        if fonction == "nombre":
            (a,) = args
            c = self.enc.colonnes[CHEMIN_VERS_CLE[a]]
            assert c.nombre is not None
            nul = self[a].nul
            return self._entier(c.nombre, nul)
        if fonction == "age":
            (a,) = args
            ya, ma, ja = self._ymd(a)
            yn, mn, jn = self.enc.ymd["dtnai"]
            v = ya - yn - ((ma * 100 + ja) < (mn * 100 + jn))
            return self._entier(v, self[a].nul)
        a, b = args
        va, vb = self[a], self[b]
        nul = va.nul | vb.nul
        if fonction == "mois_entre":
            ya, ma, ja = self._ymd(a)
            yb, mb, jb = self._ymd(b)
            return self._entier(_mois(ya, ma, ja, yb, mb, jb, vb.val < va.val), nul)
        # annees_entre: dates -> full years; a year field on either side -> difference of years
        if resoudre_champ(a).genre == "date" and resoudre_champ(b).genre == "date":
            ya, ma, ja = self._ymd(a)
            yb, mb, jb = self._ymd(b)
            b_avant = vb.val < va.val
            avant = _mois(ya, ma, ja, yb, mb, jb, np.zeros_like(b_avant)) // 12
            arriere = -(_mois(yb, mb, jb, ya, ma, ja, np.zeros_like(b_avant)) // 12)
            return self._entier(np.where(b_avant, arriere, avant), nul)
        return self._entier(self._annee(b) - self._annee(a), nul)

    def _ymd(self, chemin: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.enc.ymd[CHEMIN_VERS_CLE[chemin]]

    def _annee(self, chemin: str) -> np.ndarray:
        if resoudre_champ(chemin).genre == "date":
            return self._ymd(chemin)[0]
        return self[chemin].val

    @staticmethod
    def _entier(v: np.ndarray, nul: np.ndarray) -> Vecteur:
        v = np.where(nul, 0, v).astype(np.int64)
        return Vecteur(v, nul, np.where(nul, np.iinfo(np.int64).min, v), lambda k: None if k == np.iinfo(np.int64).min
                       else int(k))


# --------------------------------------------------------------------------- three-valued evaluation


def _encoder_valeur(ch: Champ, x: Any) -> Optional[int]:
    """A rule value in the encoding of :class:`Vecteur` (None: never present in any row)."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, date):
        return (x - _EPOQUE).days
    if ch.genre in ("code", "codes"):
        noms = [n for n, _ in ch.codes]
        return noms.index(x) if x in noms else None
    if ch.genre == "entiers":
        return int(x) if 0 <= int(x) <= _AGE_MAX_ENFANT else None
    return int(x)


def _tester(a: Atome, v: Vecteur) -> np.ndarray:
    """Boolean result of the atom's operator where the value is renseigné (as conditions.tester)."""
    op, x, ch = a.operateur, a.valeur, a.champ
    if v.bits:
        xs = x if isinstance(x, tuple) else (x,)
        enc = [_encoder_valeur(ch, e) for e in xs]
        presents = [e for e in enc if e is not None]
        masque = 0
        for e in presents:
            masque |= 1 << e
        avec = (v.val & masque) != 0 if masque else np.zeros(len(v.val), dtype=bool)
        if op in ("contient", "contient_un_de"):
            return avec
        if op in ("ne_contient_pas", "ne_contient_aucun_de"):
            return ~avec
        tous = (v.val & masque) == masque if len(presents) == len(enc) else np.zeros(len(v.val), dtype=bool)
        return tous if op == "contient_tous" else ~tous
    if isinstance(x, tuple):
        enc = np.array([e for e in (_encoder_valeur(ch, y) for y in x) if e is not None], dtype=np.int64)
        dans = np.isin(v.val, enc)
        return dans if op == "dans" else ~dans
    e = _encoder_valeur(ch, x)
    if e is None:
        r = np.zeros(len(v.val), dtype=bool)
        return ~r if op == "different" else r
    return {
        "egal": np.equal, "different": np.not_equal, "inferieur": np.less, "inferieur_ou_egal": np.less_equal,
        "superieur": np.greater, "superieur_ou_egal": np.greater_equal,
    }[op](v.val, e)


@dataclass
class Verites:
    """Kleene truth of a condition on every row: ``vrai``, ``faux`` (neither: inconnu)."""

    vrai: np.ndarray
    faux: np.ndarray

    @property
    def inconnu(self) -> np.ndarray:
        return ~(self.vrai | self.faux)


class EvaluateurVectoriel:
    """Evaluates every rule and grid line of a référentiel on encoded columns.

    Each row gets the rules in force at its request date (``dtdemrsa``): a rule's *vrai* mask is
    its condition's, restricted to the rows whose date falls in a period where the référentiel
    applies that rule (every version of a rule has its own id, see
    :mod:`orientation.regles.referentiel`).
    """

    def __init__(self, referentiel: Any):
        self.referentiel = referentiel
        self.regles = list(referentiel.toutes_regles())
        self._vigueur: dict[str, list[tuple[int, int]]] = {}
        for r in self.regles:
            periodes = referentiel.vigueur_par_id[r.id]
            if len(periodes) != len(referentiel.versions):  # in force in some versions only
                self._vigueur[r.id] = [(_jours(p.du, -(1 << 62)), _jours(p.au, 1 << 62)) for p in periodes]

    def verite(self, c: Condition, vecteurs: Vecteurs) -> Verites:
        n = vecteurs.enc.n
        if isinstance(c, Toujours):
            return Verites(np.ones(n, dtype=bool), np.zeros(n, dtype=bool))
        if isinstance(c, Atome):
            v = vecteurs[c.champ.chemin]
            if c.operateur == "renseigne":
                vrai = ~v.nul if c.valeur else v.nul.copy()
                return Verites(vrai, ~vrai)
            r = _tester(c, v)
            return Verites(~v.nul & r, ~v.nul & ~r)
        parts = [self.verite(x, vecteurs) for x in c.items]
        if isinstance(c, Tous):
            return Verites(np.logical_and.reduce([p.vrai for p in parts]),
                           np.logical_or.reduce([p.faux for p in parts]))
        assert isinstance(c, AuMoinsUn)
        return Verites(np.logical_or.reduce([p.vrai for p in parts]),
                       np.logical_and.reduce([p.faux for p in parts]))

    def evaluer(self, enc: Encodage) -> tuple[Vecteurs, dict[str, np.ndarray]]:
        """(field vectors, ``{rule id: vrai mask}``) for every rule and grid line."""
        vecteurs = Vecteurs(enc)
        out = {r.id: self.verite(r.si, vecteurs).vrai for r in self.regles}
        if self._vigueur:
            jours = enc.colonnes["dtdemrsa"].code
            for rid, bornes in self._vigueur.items():
                en_vigueur = np.logical_or.reduce([(jours >= du) & (jours <= au) for du, au in bornes])
                out[rid] = out[rid] & en_vigueur
        return vecteurs, out


def _jours(d: Optional[date], defaut: int) -> int:
    """Days since 1970-01-01 of a period bound (``defaut`` for an open bound)."""
    return defaut if d is None else (d - _EPOQUE).days


def python_depuis_jours(jours: int) -> date:
    return _EPOQUE + timedelta(days=int(jours))
