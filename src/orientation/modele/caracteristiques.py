"""Numeric features of a dossier for the orientation model, each traceable to the answer it comes from.

Every feature is a 0/1 indicator belonging to one *group*: a DSP field (``logement``,
``difficultes_sociales``...) or a dossier datum (``tranche_age``, ``composition``...).

* single-valued fields are one-hot, with an explicit « non renseigné » category;
* yes/no fields have three categories: ``oui``, ``non``, ``non_renseigne``;
* multi-valued fields have one indicator per code, plus ``aucun_code`` (answered, no code)
  and ``non_renseigne`` (question not answered);
* the year of the highest diploma becomes its age at the application (bands).

Protected attributes (``sexe``, ``nationalite``) are NEVER features, nor are ``identifiant``
and ``departement`` (a model is trained for one département).  ``demande_rdv`` is not a
feature either: asking for an appointment decides the modality (rules), not the route.

Two independent paths build the same matrix:

* :func:`vectoriser` from :class:`~orientation.dossier.schema.Dossier` objects;
* :func:`vectoriser_colonnes` from flat CNAF columns (CSV cells, dict of lists / numpy
  arrays, or a pyarrow Table), vectorised with pyarrow/numpy for bulk scoring.

The test suite checks with hypothesis that both give EXACTLY the same matrix.

:data:`SCHEMA` is the ordered tuple of :class:`Caracteristique`; :func:`empreinte_schema`
is its stable SHA-256, stored in every model manifest.

Coarse profile (recurrence)
---------------------------
:func:`profils` maps each row to a coarse profile key used to decide whether a profile is
*recurring* (seen at least ``k`` times in the training data): age band (under 30 / 30-49 /
50 and over) × household × housing (stable / hosted or temporary / emergency or precarious /
non renseigné) × activity (recent / older / never worked / non renseigné) × education (bac
or higher / CAP-BEP / lower / non renseigné) × health obstacle (yes / no / non renseigné) ×
ready to look for work (yes / no / non renseigné) × declared fragility (yes / no).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from orientation.dossier import codes
from orientation.dossier.schema import LIBELLES_ENUMS, Fragilite
from orientation.erreurs import DossierInvalide, ErreurChamp

#: Bump when the meaning of a feature or of the profile key changes (part of the schema hash).
VERSION_CARACTERISTIQUES = "caracteristiques-1"

NON_RENSEIGNE = "non_renseigne"
AUCUN_CODE = "aucun_code"
LIBELLE_NON_RENSEIGNE = "non renseigné"


@dataclass(frozen=True)
class Caracteristique:
    """One model input: ``groupe = valeur`` (0/1)."""

    nom: str
    groupe: str
    libelle_groupe: str
    valeur: str
    libelle_valeur: str
    source: str  # "dsp" or "dossier"
    cle_cnaf: str  # flat-file column it is read from

    @property
    def libelle(self) -> str:
        return f"{self.libelle_groupe} = {self.libelle_valeur}"


@dataclass(frozen=True)
class Groupe:
    """Features coming from one field; ``multiple`` groups may have several active indicators."""

    nom: str
    libelle: str
    source: str
    cle_cnaf: str
    valeurs: tuple[tuple[str, str], ...]  # (value, French label)
    multiple: bool
    modifiable: bool  # may appear in counterfactual "what would change" answers


_TRANCHES_AGE = (("moins_25", "moins de 25 ans"), ("25_29", "25 à 29 ans"), ("30_39", "30 à 39 ans"),
                 ("40_49", "40 à 49 ans"), ("50_59", "50 à 59 ans"), ("60_plus", "60 ans et plus"))
_BORNES_AGE = np.array([25, 30, 40, 50, 60])
_NB_ENFANTS = (("0", "aucun enfant"), ("1", "1 enfant"), ("2", "2 enfants"), ("3_plus", "3 enfants ou plus"))
_PLUS_JEUNE = (("sans_enfant", "sans enfant"), ("moins_3_ans", "moins de 3 ans"), ("3_5_ans", "3 à 5 ans"),
               ("6_15_ans", "6 à 15 ans"), ("16_ans_plus", "16 ans ou plus"))
_DELAI = (("moins_31_jours", "moins de 31 jours"), ("31_92_jours", "31 à 92 jours"),
          ("plus_92_jours", "plus de 92 jours"), (NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE))
_ANCIENNETE_DIPLOME = (("moins_5_ans", "moins de 5 ans"), ("5_14_ans", "5 à 14 ans"),
                       ("15_ans_plus", "15 ans ou plus"), (NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE))
_OUI_NON_NR = (("oui", "oui"), ("non", "non"), (NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE))


def _groupes() -> tuple[Groupe, ...]:
    g: list[Groupe] = [
        Groupe("tranche_age", "Tranche d'âge à la demande", "dossier", "dtnai", _TRANCHES_AGE, False, False),
        Groupe("composition", "Composition du foyer", "dossier", "typefoyer",
               tuple((v, LIBELLES_ENUMS[v]) for v in ("personne_seule", "parent_isole", "couple")), False, False),
        Groupe("nombre_enfants", "Nombre d'enfants", "dossier", "agesenfants", _NB_ENFANTS, False, False),
        Groupe("plus_jeune_enfant", "Âge du plus jeune enfant", "dossier", "agesenfants", _PLUS_JEUNE, False, False),
        Groupe("inscription_france_travail", "Inscription à France Travail", "dossier", "inscft",
               tuple((v, LIBELLES_ENUMS[v]) for v in ("inscrit", "en_cours", "non_inscrit"))
               + ((NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE),), False, True),
        Groupe("primo_demandeur", "Primo-demandeur du RSA", "dossier", "topprimodemandeur",
               (("oui", "oui"), ("non", "non")), False, False),
        Groupe("soumis_droits_devoirs", "Soumis aux droits et devoirs", "dossier", "toppersdrodevorsa",
               (("oui", "oui"), ("non", "non")), False, False),
        Groupe("fragilites_declarees", "Fragilités déclarées hors DSP", "dossier", "fragilites",
               tuple((f.value, LIBELLES_ENUMS[f.value]) for f in Fragilite)
               + ((AUCUN_CODE, "aucune"), (NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE)), True, False),
        Groupe("delai_notification", "Délai entre l'ouverture des droits et leur notification au département",
               "dossier", "dtnotifdroit", _DELAI, False, False),
    ]
    for c in codes.CHAMPS:
        if c.kind == "booleen":
            vals: tuple[tuple[str, str], ...] = _OUI_NON_NR
        elif c.kind == "entier":
            g.append(Groupe(c.nom, "Ancienneté du plus haut diplôme à la demande", "dsp", c.cnaf,
                            _ANCIENNETE_DIPLOME, False, False))
            continue
        elif c.kind == "codes":
            vals = tuple((x.nom, x.libelle) for x in c.codes) + ((AUCUN_CODE, "aucun code (réponse vide)"),
                                                                 (NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE))
        else:
            vals = tuple((x.nom, x.libelle) for x in c.codes) + ((NON_RENSEIGNE, LIBELLE_NON_RENSEIGNE),)
        g.append(Groupe(c.nom, c.libelle, "dsp", c.cnaf, vals, c.kind == "codes", True))
    return tuple(g)


#: Feature groups, in schema order.
GROUPES: tuple[Groupe, ...] = _groupes()
GROUPES_PAR_NOM: dict[str, Groupe] = {g.nom: g for g in GROUPES}

#: Ordered features.
SCHEMA: tuple[Caracteristique, ...] = tuple(
    Caracteristique(f"{g.nom}={v}", g.nom, g.libelle, v, lib, g.source, g.cle_cnaf)
    for g in GROUPES for v, lib in g.valeurs)
NOMS: tuple[str, ...] = tuple(c.nom for c in SCHEMA)
INDEX: dict[str, int] = {nom: i for i, nom in enumerate(NOMS)}
#: For each group, the column indices of its features.
COLONNES_GROUPE: dict[str, np.ndarray] = {
    g.nom: np.array([INDEX[f"{g.nom}={v}"] for v, _ in g.valeurs]) for g in GROUPES}
#: Group index of every feature column.
GROUPE_DE_COLONNE: np.ndarray = np.array([[g.nom for g in GROUPES].index(c.groupe) for c in SCHEMA])

#: Dossier fields and CNAF keys that are never model inputs.
ATTRIBUTS_PROTEGES = frozenset({"sexe", "nationalite", "nati"})
EXCLUS = frozenset({"identifiant", "departement", "demande_rdv", "topdemanderdv"})


def empreinte_schema() -> str:
    """Stable SHA-256 of the feature schema (names, groups, values and feature-logic version)."""
    contenu = {"version": VERSION_CARACTERISTIQUES,
               "caracteristiques": [[c.nom, c.groupe, c.valeur, c.cle_cnaf] for c in SCHEMA]}
    return hashlib.sha256(json.dumps(contenu, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _col(groupe: str, valeur: str) -> int:
    return INDEX[f"{groupe}={valeur}"]


# --------------------------------------------------------------------------- shared bands


def _bande_age(age: int) -> int:
    return _col("tranche_age", _TRANCHES_AGE[int(np.searchsorted(_BORNES_AGE, age, side="right"))][0])


def _bande_plus_jeune(ages: Sequence[int]) -> int:
    if not ages:
        return _col("plus_jeune_enfant", "sans_enfant")
    m = min(ages)
    v = "moins_3_ans" if m < 3 else "3_5_ans" if m < 6 else "6_15_ans" if m < 16 else "16_ans_plus"
    return _col("plus_jeune_enfant", v)


def _bande_delai(jours: int) -> int:
    return _col("delai_notification", "moins_31_jours" if jours < 31 else "31_92_jours" if jours <= 92
                else "plus_92_jours")


def _bande_diplome(ecart: int) -> int:
    return _col("annee_diplome_max", "moins_5_ans" if ecart < 5 else "5_14_ans" if ecart < 15 else "15_ans_plus")


# --------------------------------------------------------------------------- Dossier path

_PLAN_DSP: list[tuple[str, str, dict[Any, int], int, int]] = []
for _c in codes.CHAMPS:
    _nr = _col(_c.nom, NON_RENSEIGNE)
    if _c.kind == "booleen":
        _PLAN_DSP.append((_c.nom, "booleen", {True: _col(_c.nom, "oui"), False: _col(_c.nom, "non")}, _nr, -1))
    elif _c.kind == "entier":
        _PLAN_DSP.append((_c.nom, "entier", {}, _nr, -1))
    elif _c.kind == "codes":
        _PLAN_DSP.append((_c.nom, "codes", {x.nom: _col(_c.nom, x.nom) for x in _c.codes}, _nr,
                          _col(_c.nom, AUCUN_CODE)))
    else:
        _PLAN_DSP.append((_c.nom, "code", {x.nom: _col(_c.nom, x.nom) for x in _c.codes}, _nr, -1))
_FRAG = {f.value: _col("fragilites_declarees", f.value) for f in Fragilite}


def indices_actifs(d: Any) -> list[int]:
    """Column indices equal to 1 for one dossier."""
    idx = _indices_hors_dsp(d)
    dsp = d.dsp
    for plan in _PLAN_DSP:
        _indices_dsp(idx, plan, getattr(dsp, plan[0]), d.date_demande.year)
    return idx


def _indices_hors_dsp(d: Any) -> list[int]:
    """Active column indices of the groups read from the dossier itself (not its DSP)."""
    idx = [_bande_age(d.age(d.date_demande)), _col("composition", str(d.foyer.composition))]
    enfants = d.foyer.ages_enfants
    idx.append(_col("nombre_enfants", str(len(enfants)) if len(enfants) < 3 else "3_plus"))
    idx.append(_bande_plus_jeune(enfants))
    ins = d.inscription_france_travail
    idx.append(_col("inscription_france_travail", NON_RENSEIGNE if ins is None else str(ins)))
    idx.append(_col("primo_demandeur", "oui" if d.primo_demandeur else "non"))
    idx.append(_col("soumis_droits_devoirs", "oui" if d.soumis_droits_devoirs else "non"))
    frag = d.fragilites_declarees
    if frag is None:
        idx.append(_col("fragilites_declarees", NON_RENSEIGNE))
    elif not frag:
        idx.append(_col("fragilites_declarees", AUCUN_CODE))
    else:
        idx.extend(_FRAG[str(f)] for f in frag)
    if d.date_notification_droits is None:
        idx.append(_col("delai_notification", NON_RENSEIGNE))
    else:
        idx.append(_bande_delai((d.date_notification_droits - d.date_ouverture_droits).days))
    return idx


def _indices_dsp(idx: list[int], plan: tuple[str, str, dict[Any, int], int, int], v: Any, annee: int) -> None:
    """Append the active column indices of one DSP answer ``v`` (``annee``: year of the request)."""
    _, kind, table, nr, vide = plan
    if v is None:
        idx.append(nr)
    elif kind == "code":
        idx.append(table[str(v)])
    elif kind == "booleen":
        idx.append(table[bool(v)])
    elif kind == "codes":
        if v:
            idx.extend(table[str(x)] for x in v)
        else:
            idx.append(vide)
    else:
        idx.append(_bande_diplome(annee - int(v)))


_COLONNES_HORS_DSP = np.concatenate([COLONNES_GROUPE[g.nom] for g in GROUPES if g.source == "dossier"])
_TOUTES_COLONNES = np.arange(len(SCHEMA))
_PLAN_PAR_NOM = {plan[0]: plan for plan in _PLAN_DSP}


def vectoriser(dossiers: Iterable[Any]) -> np.ndarray:
    """Feature matrix (float64, one row per dossier, columns in :data:`SCHEMA` order)."""
    dossiers = list(dossiers)
    X = np.zeros((len(dossiers), len(SCHEMA)), dtype=np.float64)
    for i, d in enumerate(dossiers):
        X[i, indices_actifs(d)] = 1.0
    return X


def vectoriser_variantes(dossier: Any, variantes: Sequence[Any]) -> np.ndarray:
    """Same matrix as ``vectoriser(variantes)`` for copies of ``dossier`` (``model_copy``), recomputing only what changed.

    Unchanged fields of a copy are the same objects as the dossier's: a copy with the same DSP
    object (and request date) recomputes only the groups read from the dossier itself; a copy
    differing only in its DSP recomputes only the DSP groups whose answer is another object.
    Anything else is vectorised whole.
    """
    X = np.repeat(vectoriser([dossier]), len(variantes), axis=0)
    base, base_dsp = vars(dossier), vars(dossier.dsp)
    zeros: list[tuple[int, np.ndarray]] = []
    uns: list[tuple[int, list[int]]] = []
    for i, v in enumerate(variantes):
        changes = [k for k, x in vars(v).items() if x is not base.get(k, base)]
        if changes == ["dsp"]:
            for nom, reponse in vars(v.dsp).items():
                if reponse is not base_dsp.get(nom, base_dsp) and nom in _PLAN_PAR_NOM:
                    idx: list[int] = []
                    _indices_dsp(idx, _PLAN_PAR_NOM[nom], reponse, v.date_demande.year)
                    zeros.append((i, COLONNES_GROUPE[nom]))
                    uns.append((i, idx))
        elif changes and "dsp" not in changes and "date_demande" not in changes:
            zeros.append((i, _COLONNES_HORS_DSP))
            uns.append((i, _indices_hors_dsp(v)))
        elif changes:
            zeros.append((i, _TOUTES_COLONNES))
            uns.append((i, indices_actifs(v)))
    for lignes, valeur in ((zeros, 0.0), (uns, 1.0)):
        if lignes:
            X[np.concatenate([np.full(len(c), i) for i, c in lignes]),
              np.concatenate([np.asarray(c, dtype=np.intp) for _, c in lignes])] = valeur
    return X


# --------------------------------------------------------------------------- column path


def _texte_cellule(v: Any) -> Any:
    if v is None or type(v).__name__ in ("NAType", "NaTType"):  # pandas missing values
        return None
    if isinstance(v, np.bool_):
        v = bool(v)
    if isinstance(v, float):
        if v != v:
            return None
        if v.is_integer():
            return str(int(v))
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, datetime):  # pandas Timestamp included
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple, np.ndarray)):
        v = list(v)
        return "|".join(str(x) for x in v) if len(v) else "-"
    s = str(v).strip()
    return s or None


def _normaliser(colonne: Any, n: int) -> Any:
    """Any column representation -> pyarrow StringArray, null = non renseigné (``""`` included)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if colonne is None:
        return pa.nulls(n, type=pa.string())
    if isinstance(colonne, pa.ChunkedArray):
        colonne = colonne.combine_chunks()
    if isinstance(colonne, pa.Array):
        if pa.types.is_dictionary(colonne.type):
            colonne = colonne.cast(colonne.type.value_type)
        if pa.types.is_list(colonne.type) or pa.types.is_large_list(colonne.type):
            colonne = pa.array([_texte_cellule(x) for x in colonne.to_pylist()], type=pa.string())
        elif pa.types.is_large_string(colonne.type):
            colonne = colonne.cast(pa.string())
        elif not pa.types.is_string(colonne.type):
            colonne = pa.array([_texte_cellule(x) for x in colonne.to_pylist()], type=pa.string())
    else:
        valeurs = colonne.tolist() if isinstance(colonne, np.ndarray) else list(colonne)
        try:
            arr = pa.array(valeurs, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([_texte_cellule(x) for x in valeurs], type=pa.string())
        colonne = arr
    if len(colonne) != n:
        raise ValueError(f"colonnes de longueurs différentes ({len(colonne)} au lieu de {n})")
    colonne = pc.utf8_trim_whitespace(colonne)
    return pc.if_else(pc.equal(colonne, ""), pa.scalar(None, pa.string()), colonne)


def _erreur(erreurs: list[ErreurChamp], cle: str, lignes: np.ndarray, valeurs: Any, raison: str) -> None:
    for ligne, v in list(zip(lignes.tolist(), valeurs))[:20]:
        erreurs.append(ErreurChamp(cle, v, f"{raison} (ligne {ligne + 1})"))


def _une_valeur(X: np.ndarray, arr: Any, cle: str, table: Mapping[str, int], nr: int | None,
                erreurs: list[ErreurChamp], raison: str) -> None:
    """One-hot of a single-valued column; ``nr`` None means the value is required."""
    enc = arr.dictionary_encode()
    dico = enc.dictionary.to_pylist()
    carte = np.array([table.get(v, -1) for v in dico] + [nr if nr is not None else -2], dtype=np.int64)
    ind = enc.indices.fill_null(len(dico)).to_numpy(zero_copy_only=False).astype(np.int64)
    cols = carte[ind]
    if (cols < 0).any():
        for ligne in np.flatnonzero(cols < 0)[:20]:
            v = dico[ind[ligne]] if ind[ligne] < len(dico) else None
            _erreur(erreurs, cle, np.array([ligne]), [v], raison if v is not None else "valeur obligatoire manquante")
        return
    X[np.arange(len(cols)), cols] = 1.0


def _plusieurs_valeurs(X: np.ndarray, arr: Any, cle: str, table: Mapping[str, int], nr: int, vide: int,
                       erreurs: list[ErreurChamp], raison: str) -> None:
    import pyarrow.compute as pc

    n = len(arr)
    est_nr = arr.is_null().to_numpy(zero_copy_only=False)
    X[est_nr, nr] = 1.0
    listes = pc.split_pattern(arr, "|")
    plat = pc.utf8_trim_whitespace(pc.list_flatten(listes))
    parents = pc.list_parent_indices(listes).to_numpy().astype(np.int64)
    enc = plat.dictionary_encode()
    dico = enc.dictionary.to_pylist()
    carte = np.array([vide if v == "-" else table.get(v, -1) for v in dico], dtype=np.int64)
    cols = carte[enc.indices.to_numpy().astype(np.int64)] if len(dico) else np.zeros(0, dtype=np.int64)
    if (cols < 0).any():
        mauvais = np.flatnonzero(cols < 0)
        _erreur(erreurs, cle, parents[mauvais], [dico[i] for i in enc.indices.to_numpy()[mauvais]], raison)
        return
    # duplicates and "-" mixed with codes are refused, as Dossier validation does
    paires = parents * X.shape[1] + cols
    uniques, nb = np.unique(paires, return_counts=True)
    if (nb > 1).any():
        lignes = uniques[nb > 1] // X.shape[1]
        _erreur(erreurs, cle, lignes, [arr[int(i)].as_py() for i in lignes], "code en double dans une liste")
        return
    nb_items = np.bincount(parents, minlength=n)
    tiret = cols == vide
    if (nb_items[parents[tiret]] > 1).any():
        lignes = np.unique(parents[tiret][nb_items[parents[tiret]] > 1])
        _erreur(erreurs, cle, lignes, [arr[int(i)].as_py() for i in lignes], "« - » (liste vide) mêlé à des codes")
        return
    X[parents, cols] = 1.0


def _dates(arr: Any, cle: str, erreurs: list[ErreurChamp]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day, days since epoch) with -1 / null mask where empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        d = pc.strptime(arr, format="%Y-%m-%d", unit="s", error_is_null=True)
    except pa.ArrowInvalid:  # pragma: no cover - defensive
        d = pa.nulls(len(arr), pa.timestamp("s"))
    # strict AAAA-MM-JJ, a real calendar day (Arrow alone reads 2025-02-30 as 2 March), 1900-2100
    relu = pc.strftime(d, format="%Y-%m-%d")
    exact = pc.fill_null(pc.equal(relu, arr), False).to_numpy(zero_copy_only=False)
    annee = pc.fill_null(pc.year(d), 0).to_numpy(zero_copy_only=False)
    exact &= (annee >= 1900) & (annee <= 2100)
    d = pc.if_else(pa.array(exact), d, pa.scalar(None, d.type))
    mauvais = (~exact & ~arr.is_null().to_numpy(zero_copy_only=False))
    if mauvais.any():
        lignes = np.flatnonzero(mauvais)
        _erreur(erreurs, cle, lignes, [arr[int(i)].as_py() for i in lignes],
                "date impossible ou mal formée (attendu AAAA-MM-JJ)")
    a = pc.year(d).fill_null(-1).to_numpy(zero_copy_only=False)
    m = pc.month(d).fill_null(-1).to_numpy(zero_copy_only=False)
    j = pc.day(d).fill_null(-1).to_numpy(zero_copy_only=False)
    jours = d.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False) // 86400
    jours = np.where(d.is_null().to_numpy(zero_copy_only=False), _SANS_DATE, jours)
    return a.astype(np.int64), m.astype(np.int64), j.astype(np.int64), jours.astype(np.int64)


_SANS_DATE = -(10 ** 12)


def est_tabulaire(donnees: Any) -> bool:
    """Whether ``donnees`` is columns: a mapping, a pyarrow Table / RecordBatch or a pandas DataFrame."""
    return isinstance(donnees, Mapping) or hasattr(donnees, "column_names") or _est_dataframe(donnees)


def _est_dataframe(donnees: Any) -> bool:
    return type(donnees).__name__ == "DataFrame" and hasattr(donnees, "columns") and hasattr(donnees, "iloc")


def en_colonnes(donnees: Any) -> Any:
    """Columns as a pyarrow Table or a mapping ``{CNAF key: column}``.

    Accepts a mapping (dict of lists, numpy or pyarrow arrays, pandas Series), a pyarrow Table
    or RecordBatch, or a pandas DataFrame (its index is dropped; NaN is « non renseigné »).
    """
    import pyarrow as pa

    if isinstance(donnees, pa.RecordBatch):
        return pa.Table.from_batches([donnees])
    if _est_dataframe(donnees):
        return {str(k): donnees[k].tolist() for k in donnees.columns}
    if isinstance(donnees, Mapping) and not isinstance(donnees, dict):
        return dict(donnees)
    return donnees


def longueur_colonnes(colonnes: Any) -> int:
    """Number of rows of a column mapping, a pyarrow Table or a pandas DataFrame."""
    colonnes = en_colonnes(colonnes)
    if hasattr(colonnes, "num_rows"):
        return int(colonnes.num_rows)
    for v in colonnes.values():
        return len(v)
    return 0


def vectoriser_colonnes(colonnes: Any) -> np.ndarray:
    """Feature matrix from flat CNAF columns (same result as :func:`vectoriser`).

    ``colonnes``: a pyarrow Table or RecordBatch, a pandas DataFrame, or a mapping
    ``{CNAF key: column}`` whose columns are lists, numpy arrays, pandas Series or pyarrow arrays of CSV cells (``""``/``None`` = non renseigné, ``a|b`` for
    several codes, ``-`` for an answered empty list; Python lists and booleans are accepted
    too).  Unknown codes, duplicated codes and bad dates raise
    :class:`~orientation.erreurs.DossierInvalide` naming the column and the line.
    """
    colonnes = en_colonnes(colonnes)
    n = longueur_colonnes(colonnes)
    noms = colonnes.column_names if hasattr(colonnes, "column_names") else list(colonnes)

    def lire(cle: str) -> Any:
        if cle in noms:
            return _normaliser(colonnes[cle], n)
        return _normaliser(None, n)

    X = np.zeros((n, len(SCHEMA)), dtype=np.float64)
    if n == 0:
        return X
    erreurs: list[ErreurChamp] = []
    for cle in ("dtdemrsa", "dtnai", "dtouvdroit", "typefoyer", "toppersdrodevorsa", "topprimodemandeur"):
        if cle not in noms:
            erreurs.append(ErreurChamp(cle, None, "colonne obligatoire absente"))
    if erreurs:
        raise DossierInvalide(erreurs)

    # age band at the application date
    a2, m2, j2, jours_demande = _dates(lire("dtdemrsa"), "dtdemrsa", erreurs)
    a1, m1, j1, _ = _dates(lire("dtnai"), "dtnai", erreurs)
    _, _, _, jours_ouv = _dates(lire("dtouvdroit"), "dtouvdroit", erreurs)
    _, _, _, jours_notif = _dates(lire("dtnotifdroit"), "dtnotifdroit", erreurs)
    manquant = (a1 < 0) | (a2 < 0) | (jours_ouv == _SANS_DATE)
    if manquant.any():
        lignes = np.flatnonzero(manquant)
        _erreur(erreurs, "dtdemrsa/dtnai/dtouvdroit", lignes, [None] * len(lignes), "date obligatoire manquante")
    if erreurs:
        raise DossierInvalide(erreurs)
    age = a2 - a1 - ((m2 * 100 + j2) < (m1 * 100 + j1))
    incoherent = (age < 16) | (age > 120)
    if incoherent.any():
        lignes = np.flatnonzero(incoherent)
        _erreur(erreurs, "dtnai", lignes, [f"{a1[i]:04d}-{m1[i]:02d}-{j1[i]:02d}" for i in lignes],
                "âge impossible à la demande (16 à 120 ans)")
        raise DossierInvalide(erreurs)
    tranche = np.searchsorted(_BORNES_AGE, age, side="right")
    X[np.arange(n), COLONNES_GROUPE["tranche_age"][tranche]] = 1.0

    _une_valeur(X, lire("typefoyer"), "typefoyer",
                {"ISO": _col("composition", "personne_seule"), "PAR": _col("composition", "parent_isole"),
                 "COU": _col("composition", "couple")}, None, erreurs, "code inconnu (codes admis : ISO, COU, PAR)")

    # children
    import pyarrow.compute as pc

    enfants = lire("agesenfants")
    listes = pc.split_pattern(pc.if_else(pc.equal(enfants, "-"), "", enfants), "|")
    plat = pc.utf8_trim_whitespace(pc.list_flatten(listes))
    parents = pc.list_parent_indices(listes).to_numpy().astype(np.int64)
    garde = pc.not_equal(plat, "").to_numpy(zero_copy_only=False)
    plat_np = np.array(plat.to_pylist(), dtype=object)[garde]
    parents = parents[garde]
    try:
        ages_e = np.array([int(x) for x in plat_np], dtype=np.int64)
    except ValueError:
        bad = [i for i, x in enumerate(plat_np) if not str(x).isdigit()]
        _erreur(erreurs, "agesenfants", parents[bad], plat_np[bad], "âge entier attendu")
        raise DossierInvalide(erreurs) from None
    if ((ages_e < 0) | (ages_e > 25)).any():
        bad = np.flatnonzero((ages_e < 0) | (ages_e > 25))
        _erreur(erreurs, "agesenfants", parents[bad], ages_e[bad], "âge hors limites (0 à 25)")
    nb = np.bincount(parents, minlength=n)
    X[np.arange(n), COLONNES_GROUPE["nombre_enfants"][np.minimum(nb, 3)]] = 1.0
    plus_jeune = np.full(n, 99, dtype=np.int64)
    np.minimum.at(plus_jeune, parents, ages_e)
    bande = np.where(nb == 0, 0, np.where(plus_jeune < 3, 1, np.where(plus_jeune < 6, 2,
                                                                      np.where(plus_jeune < 16, 3, 4))))
    X[np.arange(n), COLONNES_GROUPE["plus_jeune_enfant"][bande]] = 1.0

    _une_valeur(X, lire("inscft"), "inscft",
                {"INS": _col("inscription_france_travail", "inscrit"),
                 "ENC": _col("inscription_france_travail", "en_cours"),
                 "NON": _col("inscription_france_travail", "non_inscrit")},
                _col("inscription_france_travail", NON_RENSEIGNE), erreurs, "code inconnu (codes admis : INS, ENC, NON)")
    for cle, groupe in (("topprimodemandeur", "primo_demandeur"), ("toppersdrodevorsa", "soumis_droits_devoirs")):
        _une_valeur(X, lire(cle), cle, {"1": _col(groupe, "oui"), "0": _col(groupe, "non")}, None, erreurs,
                    "booléen CNAF attendu (0 ou 1)")
    _plusieurs_valeurs(X, lire("fragilites"), "fragilites", _FRAG, _col("fragilites_declarees", NON_RENSEIGNE),
                       _col("fragilites_declarees", AUCUN_CODE), erreurs, "fragilité inconnue")

    # notification delay
    ecart = jours_notif - jours_ouv
    sans_notif = jours_notif == _SANS_DATE
    if (~sans_notif & (ecart < 0)).any():
        lignes = np.flatnonzero(~sans_notif & (ecart < 0))
        _erreur(erreurs, "dtnotifdroit", lignes, [None] * len(lignes), "antérieure à la date d'ouverture des droits")
    bande = np.where(sans_notif, 3, np.where(ecart < 31, 0, np.where(ecart <= 92, 1, 2)))
    X[np.arange(n), COLONNES_GROUPE["delai_notification"][bande]] = 1.0

    for c in codes.CHAMPS:
        arr = lire(c.cnaf)
        nr = _col(c.nom, NON_RENSEIGNE)
        if c.kind == "booleen":
            _une_valeur(X, arr, c.cnaf, {"1": _col(c.nom, "oui"), "0": _col(c.nom, "non")}, nr, erreurs,
                        "booléen CNAF attendu (0 ou 1)")
        elif c.kind == "entier":
            est_nr = arr.is_null().to_numpy(zero_copy_only=False)
            vals = arr.to_pylist()
            annee = np.zeros(n, dtype=np.int64)
            for i in np.flatnonzero(~est_nr):
                s = vals[i]
                if not s.isdigit():
                    _erreur(erreurs, c.cnaf, np.array([i]), [s], "année attendue (AAAA)")
                else:
                    annee[i] = int(s)
            avant = ~est_nr & (annee > 0) & ((annee < a1) | (annee > 2100))
            if avant.any():
                _erreur(erreurs, c.cnaf, np.flatnonzero(avant), annee[avant],
                        "antérieure à l'année de naissance ou hors limites")
            ec = a2 - annee
            bande = np.where(est_nr, 3, np.where(ec < 5, 0, np.where(ec < 15, 1, 2)))
            X[np.arange(n), COLONNES_GROUPE[c.nom][bande]] = 1.0
        else:
            table = {x.cnaf: _col(c.nom, x.nom) for x in c.codes}
            raison = f"code inconnu pour « {c.libelle} » (codes admis : {', '.join(x.cnaf for x in c.codes)})"
            if c.kind == "codes":
                _plusieurs_valeurs(X, arr, c.cnaf, table, nr, _col(c.nom, AUCUN_CODE), erreurs, raison)
            else:
                _une_valeur(X, arr, c.cnaf, table, nr, erreurs, raison)
    if erreurs:
        raise DossierInvalide(erreurs)
    return X


# --------------------------------------------------------------------------- readable values


def libelle_valeur_groupe(x: np.ndarray, groupe: str) -> str:
    """French label of a row's answer for one group (several codes joined, or « non renseigné »)."""
    g = GROUPES_PAR_NOM[groupe]
    cols = COLONNES_GROUPE[groupe]
    actifs = [g.valeurs[j][1] for j in range(len(cols)) if x[cols[j]] > 0.5]
    return ", ".join(actifs) if actifs else LIBELLE_NON_RENSEIGNE


# --------------------------------------------------------------------------- coarse profile

_AXES_PROFIL: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("âge", ("moins de 30 ans", "30-49 ans", "50 ans et plus")),
    ("foyer", ("personne seule", "parent isolé", "couple")),
    ("logement", ("logement stable", "hébergé ou logement temporaire", "urgence ou logement précaire",
                  "logement non renseigné")),
    ("activité", ("activité récente", "activité ancienne", "jamais travaillé", "activité non renseignée")),
    ("formation", ("niveau bac ou plus", "niveau CAP-BEP", "niveau infra CAP", "niveau non renseigné")),
    ("santé", ("frein de santé", "sans frein de santé", "santé non renseignée")),
    ("démarches", ("prêt aux démarches", "pas prêt aux démarches", "disponibilité non renseignée")),
    ("fragilité", ("fragilité déclarée", "sans fragilité déclarée")),
)
_RADIX = np.array([len(v) for _, v in _AXES_PROFIL], dtype=np.int64)


def _un(X: np.ndarray, *noms: str) -> np.ndarray:
    return X[:, [INDEX[n] for n in noms]].max(axis=1) > 0.5


def composantes_profil(X: np.ndarray) -> np.ndarray:
    """(n, 8) integer components of the coarse profile of each row."""
    X = np.atleast_2d(X)
    age = np.where(_un(X, "tranche_age=moins_25", "tranche_age=25_29"), 0,
                   np.where(_un(X, "tranche_age=30_39", "tranche_age=40_49"), 1, 2))
    foyer = np.where(_un(X, "composition=personne_seule"), 0, np.where(_un(X, "composition=parent_isole"), 1, 2))
    stable = _un(X, "logement=autonome_individuel", "logement=autonome_collectif")
    heberge = _un(X, "logement=heberge_tiers", "logement=appartement_relais", "logement=bail_glissant")
    logement = np.where(stable, 0, np.where(heberge, 1, np.where(_un(X, f"logement={NON_RENSEIGNE}"), 3, 2)))
    recent = _un(X, "cessation_derniere_activite=moins_un_an")
    jamais = _un(X, "historique_professionnel=jamais_travaille")
    ancienne = _un(X, "cessation_derniere_activite=plus_un_an", "historique_professionnel=toujours_travaille",
                   "historique_professionnel=travail_intermittent", "historique_professionnel=a_deja_travaille")
    activite = np.where(recent, 0, np.where(jamais, 2, np.where(ancienne, 1, 3)))
    formation = np.where(_un(X, "niveau_etude=niveau_1_2", "niveau_etude=niveau_3", "niveau_etude=niveau_4"), 0,
                         np.where(_un(X, "niveau_etude=niveau_5"), 1,
                                  np.where(_un(X, f"niveau_etude={NON_RENSEIGNE}"), 3, 2)))
    sante_oui = _un(X, "difficultes_sociales=sante", "difficultes_sociales=rqth", "freins_disponibilite=sante")
    sante_nr = _un(X, f"difficultes_sociales={NON_RENSEIGNE}") & _un(X, f"freins_disponibilite={NON_RENSEIGNE}")
    sante = np.where(sante_oui, 0, np.where(sante_nr, 2, 1))
    pret = np.where(_un(X, "pret_demarches_emploi=oui"), 0, np.where(_un(X, "pret_demarches_emploi=non"), 1, 2))
    frag_cols = [f"fragilites_declarees={f.value}" for f in Fragilite]
    fragilite = np.where(_un(X, *frag_cols), 0, 1)
    return np.column_stack([age, foyer, logement, activite, formation, sante, pret, fragilite]).astype(np.int64)


def profils(X: np.ndarray) -> np.ndarray:
    """Integer key of the coarse profile of each row (mixed radix of :func:`composantes_profil`)."""
    comp = composantes_profil(X)
    cle = np.zeros(len(comp), dtype=np.int64)
    for j, r in enumerate(_RADIX):
        cle = cle * r + comp[:, j]
    return cle


def libelle_profil(cle: int) -> str:
    """French description of a profile key."""
    parts = []
    for (_, valeurs), r in zip(reversed(_AXES_PROFIL), reversed(_RADIX.tolist())):
        parts.append(valeurs[int(cle % r)])
        cle //= r
    return " · ".join(reversed(parts))
