"""Conditions of the YAML rule language: parsing, validation, three-valued evaluation.

Rule language (``rules/national.yaml``, ``rules/departements/<code>.yaml``)
==========================================================================

A condition (key ``si`` of a rule or grid line) is a mapping, one of:

* an **atom** ``{champ: <chemin>, <opérateur>: <valeur>}``;
* ``{tous: [cond, ...]}`` (all), ``{au_moins_un: [cond, ...]}`` (any), ``{non: cond}`` (not);
* ``{toujours: true}``: always true (only as the whole condition: a grid's catch-all line or a
  rule that applies to everyone).

**Field paths** (``champ``): ``primo_demandeur``, ``demande_rdv``, ``soumis_droits_devoirs``
(booleans); ``inscription_france_travail``, ``foyer.composition``, ``departement`` (codes);
``fragilites_declarees`` (several codes); ``foyer.ages_enfants`` (several integers);
``date_demande``, ``date_ouverture_droits``, ``date_notification_droits``, ``date_naissance``
(dates); ``dsp.<champ>`` for every DSP field of :data:`orientation.dossier.codes.CHAMPS` under its
readable name (``dsp.logement``, ``dsp.difficultes_sociales``, ``dsp.annee_diplome_max``...);
``diagnostic.<champ>`` for the France Travail diagnostic of the national orientation criteria
(booleans ``diagnostic.activite_recente``, ``diagnostic.projection_emploi``,
``diagnostic.formation_qualifiante``; barriers ``diagnostic.frein_sante``, ``frein_logement``,
``frein_mobilite``, ``frein_garde_enfant``, ``frein_proche_aidant``, ``frein_autre`` coded
``fort`` / ``moyen`` / ``sans_impact``).
``identifiant``, ``sexe`` and ``nationalite`` are refused (pseudonymous or protected data), and so
are ``id`` and ``sid`` (reserved by the durable-rules engine).

**Derived values** are written as field expressions and are integers:

* ``age(<date>)``: age in full years at that date (``age(date_demande)``);
* ``mois_entre(<a>, <b>)``: full months elapsed from *a* to *b* (negative if *b* is earlier);
* ``annees_entre(<a>, <b>)``: full years from *a* to *b*; an argument may be a year field
  (``annees_entre(dsp.annee_diplome_max, date_demande)``);
* ``nombre(<champ multiple>)``: number of items (``nombre(foyer.ages_enfants)``).

A derived value is « non renseigné » as soon as one of its arguments is.

**Operators**, by kind of field:

===========================  ===========================================================
kind                         operators
===========================  ===========================================================
booléen                      ``egal``, ``different``
code (one value)             ``egal``, ``different``, ``dans`` (list), ``hors_de`` (list)
nombre, date, valeur dérivée ``egal``, ``different``, ``inferieur``, ``inferieur_ou_egal``,
                             ``superieur``, ``superieur_ou_egal``, ``dans``, ``hors_de``
plusieurs codes / entiers    ``contient`` (one), ``contient_un_de`` (list),
                             ``contient_tous`` (list), and their negations
                             ``ne_contient_pas``, ``ne_contient_aucun_de``,
                             ``ne_contient_pas_tous`` (an addition to the base language)
any field                    ``renseigne`` (``true``: answered, ``false``: not answered)
===========================  ===========================================================

Coded values are readable names (``sans_abri``) or CNAF codes written as strings (``"0912"``,
normalised to the name); booleans must be YAML booleans; dates are ``'AAAA-MM-JJ'``.

**Three-valued (Kleene) semantics.**  An atom on a non-renseigné field is *inconnu* (except
``renseigne``, always vrai or faux); ``non inconnu`` is *inconnu*; ``tous`` is faux if one
item is faux, else inconnu if one is inconnu, else vrai; ``au_moins_un`` is the dual.  A rule
fires only when its condition is *vrai*.  ``non`` is pushed down to the atoms when parsing
(negation normal form: ``non egal`` becomes ``different``, ``non tous`` becomes
``au_moins_un`` of negations...), which is exact under Kleene logic; the evaluated atoms
therefore show the operator actually tested.

**Files.**  ``rules/national.yaml`` holds ``portee: national`` and ``regles``;
``rules/departements/<code>.yaml`` holds ``portee: departement``, ``departement: "93"``,
``scenario`` (1 to 4, DITP 2019), ``regles`` and ``grilles``; both may have a ``description``.
A rule has ``id`` (``[a-z][a-z0-9_]*``, unique across national rules, département rules, grids and
grid lines), ``titre``, ``description``, ``reference`` (required: the text it comes from), ``si``,
``alors: {modalite: rdv_obligatoire | examen_individuel | orientation_directe, motif: "..."}`` and
an optional ``priorite`` (display order).  ``alors`` may also say what happens to the route:
``parcours: a_decider_au_rendez_vous`` (only with ``rdv_obligatoire``, and its default: the route is
decided at the appointment, the grid's proposal is kept only as an indication) or a route
(``professionnel``, ``socio_professionnel``, ``social``, with an optional ``structure``) that the
rule fixes, e.g. ``social`` for a situation of domestic violence.  Among the fired rules of the
winning modality, the first that names a route gives it; else, if one decides it at the appointment,
no route is proposed; else the grid proposes it.  In a département file, a rule with a national id must
say ``remplace: true`` (it replaces the national rule); ``remplace: true`` + ``desactive: true``
(no ``si``/``alors``, the reason in ``description``) removes it.  Scenarios 1 to 3 add the rule
``scenario_rdv_systematique`` (appointment for everyone); a département without a file gets
scenario 4 and the national rules only.  The modality of a dossier is the strongest of the fired
rules (rendez-vous > examen individuel > orientation directe), or none.  A grid (``id``,
``titre``, ``reference``, ``lignes``) is a first-match list: lines (``id``, ``titre``,
``description``, ``priorite``, ``si``, ``alors: {parcours, structure, motif}``) are tried by
increasing ``priorite``, ties in file order; the first *vrai* line is the grid's proposal (the
first grid's if there are several).  ``si: {toujours: true}`` is the catch-all line and must come
last.  ``national.yaml`` may also hold ``grilles`` that a département chooses with
``grilles_nationales: [criteres_nationaux]``; chosen national grids are evaluated before the
département's own.  Test cases live in ``rules/tests/*.yaml`` (see :mod:`orientation.regles.cas_tests`).

**Periods of validity.**  A rule, a grid or a grid line may say ``en_vigueur: {du: AAAA-MM-JJ,
au: AAAA-MM-JJ}`` (either bound may be left out; both are included; ``au`` must not precede
``du``); a line's period is the intersection with its grid's.  A dossier is evaluated with the
rules in force at its request date (``date_demande``), or at a date given to
:meth:`orientation.regles.referentiel.Referentiel.evaluer`.  One id may appear several times
in a file as versions whose periods do not overlap (overlaps are refused); in a département
file, ``remplace: true`` with a period replaces the national rule over that period only.
Each later version of an id is reported as ``<id>@<first day in force>``; evaluations name the
period and the fingerprint of the set of rules applied (:class:`orientation.regles.evaluation.VigueurRegles`).
Unreachable grid lines are checked period by period.

Validation at load raises :class:`orientation.erreurs.ReglesInvalides` naming the file and the
rule for: unknown or protected field, unknown code (the admissible codes are listed),
operator unfit for the field, value of the wrong type, empty list, and contradictory
(never true) conditions such as ``tous`` of ``egal A`` and ``egal B`` on one field, an empty
numeric range, or ``contient X`` with ``ne_contient_pas X``; and, in files, for a missing
title or reference, an unknown modality, route or structure, a duplicate id, an unknown key, and
unreachable grid lines (after the catch-all, identical to an earlier line, or covered by the
earlier lines: every dossier that makes it *vrai* makes an earlier line *vrai*).
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional, TypeVar, Union

from pydantic import BaseModel

from orientation.dossier.schema import Dossier
from orientation.regles.champs import Champ, Genre, Lieu, champ, valeur_json
from orientation.regles.evaluation import ConditionEvaluee
from orientation.vocabulaire import Verite

# --------------------------------------------------------------------------- conditions (negation normal form)

OPERATEURS: dict[Genre, tuple[str, ...]] = {
    "booleen": ("egal", "different", "renseigne"),
    "code": ("egal", "different", "dans", "hors_de", "renseigne"),
    "entier": ("egal", "different", "inferieur", "inferieur_ou_egal", "superieur", "superieur_ou_egal",
               "dans", "hors_de", "renseigne"),
    "date": ("egal", "different", "inferieur", "inferieur_ou_egal", "superieur", "superieur_ou_egal",
             "dans", "hors_de", "renseigne"),
    "codes": ("contient", "ne_contient_pas", "contient_un_de", "ne_contient_aucun_de", "contient_tous",
              "ne_contient_pas_tous", "renseigne"),
    "entiers": ("contient", "ne_contient_pas", "contient_un_de", "ne_contient_aucun_de", "contient_tous",
                "ne_contient_pas_tous", "renseigne"),
}
TOUS_OPERATEURS: tuple[str, ...] = tuple(dict.fromkeys(op for ops in OPERATEURS.values() for op in ops))
NEGATION: dict[str, str] = {
    "egal": "different", "inferieur": "superieur_ou_egal", "inferieur_ou_egal": "superieur",
    "dans": "hors_de", "contient": "ne_contient_pas", "contient_un_de": "ne_contient_aucun_de",
    "contient_tous": "ne_contient_pas_tous",
}
NEGATION.update({v: k for k, v in list(NEGATION.items())})
OPERATEURS_LISTE: frozenset[str] = frozenset(
    {"dans", "hors_de", "contient_un_de", "ne_contient_aucun_de", "contient_tous", "ne_contient_pas_tous"})


@dataclass(frozen=True)
class Atome:
    """An elementary test ``champ <operateur> valeur`` (values normalised: code names, dates, tuples)."""

    champ: Champ
    operateur: str
    valeur: Any
    #: precomputed for explanations: expected value as JSON and in French
    attendu_json: Any = field(init=False, compare=False, repr=False)
    attendu_libelle: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attendu_json", valeur_json(self.valeur))
        object.__setattr__(self, "attendu_libelle", attendu_texte(self))


@dataclass(frozen=True)
class Tous:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class AuMoinsUn:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Toujours:
    pass


Condition = Union[Atome, Tous, AuMoinsUn, Toujours]


def atomes(c: Condition) -> list[Atome]:
    """Every atom of a condition, in reading order."""
    if isinstance(c, Atome):
        return [c]
    if isinstance(c, (Tous, AuMoinsUn)):
        return [a for x in c.items for a in atomes(x)]
    return []


_SINGLETONS = {"dans": "egal", "hors_de": "different", "contient_un_de": "contient", "contient_tous": "contient",
               "ne_contient_aucun_de": "ne_contient_pas", "ne_contient_pas_tous": "ne_contient_pas"}


def cle(c: Condition) -> Any:
    """Canonical, order-insensitive key of a condition (to detect identical conditions)."""
    if isinstance(c, Atome):
        op, v = c.operateur, c.valeur
        if isinstance(v, tuple) and len(v) == 1:
            op, v = _SINGLETONS[op], v[0]
        return ("a", c.champ.chemin, op, tuple(sorted(map(str, v))) if isinstance(v, tuple) else str(v))
    if isinstance(c, (Tous, AuMoinsUn)):
        keys = sorted({cle(x) for x in c.items}, key=repr)
        return (type(c).__name__, tuple(keys)) if len(keys) > 1 else keys[0]
    return ("toujours",)


# --------------------------------------------------------------------------- parsing


def analyser(brut: Any, fichier: str = "(condition)", regle: Optional[str] = None) -> Condition:
    """Parse and validate a condition (YAML mapping) into negation normal form.

    Raises :class:`ReglesInvalides` naming ``fichier`` and ``regle``.
    """
    lieu = Lieu(fichier, regle)
    cond = _analyser(brut, lieu, negatif=False, racine=True)
    _verifier_satisfiable(cond, lieu)
    return cond


def _analyser(brut: Any, lieu: Lieu, negatif: bool, racine: bool = False) -> Condition:
    if not isinstance(brut, dict) or not brut:
        raise lieu.erreur(f"condition mal formée : un objet (tous, au_moins_un, non, champ...) est attendu, "
                          f"reçu {brut!r}")
    cles = set(brut)
    if "toujours" in cles:
        if cles != {"toujours"} or brut["toujours"] is not True:
            raise lieu.erreur("« toujours » s'écrit seul : « si: {toujours: true} »")
        if not racine or negatif:
            raise lieu.erreur("« toujours » n'est admis que comme condition entière d'une règle ou d'une ligne")
        return Toujours()
    for comb in ("tous", "au_moins_un"):
        if comb in cles:
            if cles != {comb}:
                raise lieu.erreur(f"« {comb} » doit être seul dans sa condition (clés en trop : "
                                  f"{', '.join(sorted(map(str, cles - {comb})))})")
            items = brut[comb]
            if not isinstance(items, list) or not items:
                raise lieu.erreur(f"« {comb} » attend une liste non vide de conditions")
            enfants = tuple(_analyser(x, lieu, negatif) for x in items)
            est_tous = (comb == "tous") != negatif
            if len(enfants) == 1:
                return enfants[0]
            return Tous(enfants) if est_tous else AuMoinsUn(enfants)
    if "non" in cles:
        if cles != {"non"}:
            raise lieu.erreur("« non » doit être seul dans sa condition")
        return _analyser(brut["non"], lieu, not negatif)
    if "champ" not in cles:
        raise lieu.erreur(f"condition mal formée : clés {', '.join(sorted(map(str, cles)))} ; attendu « champ » "
                          "et un opérateur, ou tous / au_moins_un / non / toujours")
    ops = cles - {"champ"}
    if len(ops) != 1:
        raise lieu.erreur(f"une condition sur « {brut['champ']} » doit avoir exactement un opérateur "
                          f"(reçu : {', '.join(sorted(map(str, ops))) or 'aucun'})")
    (op,) = ops
    ch = champ(brut["champ"], lieu)
    if op not in TOUS_OPERATEURS:
        proches = difflib.get_close_matches(str(op), TOUS_OPERATEURS, n=1)
        sugg = f" ; vouliez-vous dire « {proches[0]} » ?" if proches else ""
        raise lieu.erreur(f"opérateur inconnu « {op} » (opérateurs admis : {', '.join(TOUS_OPERATEURS)}){sugg}")
    if op not in OPERATEURS[ch.genre]:
        raise lieu.erreur(f"l'opérateur « {op} » ne convient pas au champ « {ch.chemin} » ({_GENRES[ch.genre]}) ; "
                          f"opérateurs admis : {', '.join(OPERATEURS[ch.genre])}")
    valeur = _valeur(ch, str(op), brut[op], lieu)
    if negatif:
        if op == "renseigne":
            return Atome(ch, "renseigne", not valeur)
        return Atome(ch, NEGATION[str(op)], valeur)
    return Atome(ch, str(op), valeur)


_GENRES: dict[str, str] = {
    "booleen": "booléen", "code": "code à une valeur", "codes": "plusieurs codes", "entier": "nombre entier",
    "entiers": "plusieurs nombres entiers", "date": "date",
}


def _valeur(ch: Champ, op: str, brut: Any, lieu: Lieu) -> Any:
    if op == "renseigne":
        if not isinstance(brut, bool):
            raise lieu.erreur(f"« renseigne » attend true ou false (booléen YAML), reçu {brut!r}")
        return brut
    if op in OPERATEURS_LISTE:
        if not isinstance(brut, list):
            raise lieu.erreur(f"l'opérateur « {op} » attend une liste de valeurs pour « {ch.chemin} », reçu {brut!r}")
        if not brut:
            raise lieu.erreur(f"liste vide pour « {op} » sur « {ch.chemin} » : la condition ne peut jamais être vraie")
        vals = [_scalaire(ch, x, lieu) for x in brut]
        if len(set(vals)) != len(vals):
            raise lieu.erreur(f"valeur en double dans la liste de « {op} » sur « {ch.chemin} »")
        return tuple(vals)
    if isinstance(brut, list):
        raise lieu.erreur(f"l'opérateur « {op} » attend une seule valeur pour « {ch.chemin} », reçu une liste")
    return _scalaire(ch, brut, lieu)


def _scalaire(ch: Champ, v: Any, lieu: Lieu) -> Any:
    genre = ch.genre
    if genre == "booleen":
        if not isinstance(v, bool):
            raise lieu.erreur(f"« {ch.chemin} » est un booléen : valeur true ou false attendue (booléen YAML, "
                              f"sans guillemets), reçu {v!r}")
        return v
    if genre in ("code", "codes"):
        if isinstance(v, str):
            noms = [n for n, _ in ch.codes]
            if v in noms:
                return v
            for cnaf, nom in ch.cnaf:
                if v == cnaf:
                    return nom
        admis = ", ".join(f"{n} ({c})" for c, n in ch.cnaf) if ch.cnaf else ", ".join(n for n, _ in ch.codes)
        if ch.chemin == "departement":
            admis = "01 à 95, 2A, 2B, 971 à 976 (entre guillemets)"
        raise lieu.erreur(f"code inconnu {v!r} pour « {ch.chemin} » ({ch.libelle}) ; codes admis : {admis}")
    if genre in ("entier", "entiers"):
        if isinstance(v, bool) or not isinstance(v, int):
            raise lieu.erreur(f"« {ch.chemin} » est numérique : nombre entier attendu, reçu {v!r}")
        return v
    # date
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise lieu.erreur(f"« {ch.chemin} » est une date : valeur 'AAAA-MM-JJ' attendue, reçu {v!r}")


# --------------------------------------------------------------------------- satisfiability

_DNF_MAX = 512


def _dnf(c: Condition) -> Optional[list[list[Atome]]]:
    if isinstance(c, Atome):
        return [[c]]
    if isinstance(c, Toujours):
        return [[]]
    parts = [_dnf(x) for x in c.items]
    if any(p is None for p in parts):
        return None
    if isinstance(c, AuMoinsUn):
        out = [t for p in parts for t in p]  # type: ignore[union-attr]
        return out if len(out) <= _DNF_MAX else None
    produit: list[list[Atome]] = [[]]
    for p in parts:
        produit = [a + b for a in produit for b in p]  # type: ignore[union-attr]
        if len(produit) > _DNF_MAX:
            return None
    return produit


class _Budget(Exception):
    pass


def _tous_satisfiable(parts: list[Condition], budget: int = 20000) -> bool:
    """Whether some dossier makes every condition of ``parts`` *vrai* (True when unsure: too large)."""
    dnfs = [_dnf(p) for p in parts]
    if any(d is None for d in dnfs):
        return True
    ordre = sorted(dnfs, key=len)  # type: ignore[arg-type]
    reste = [budget]

    def rec(i: int, acc: list[Atome]) -> bool:
        if i == len(ordre):
            return True
        for terme in ordre[i]:  # type: ignore[union-attr]
            reste[0] -= 1
            if reste[0] < 0:
                raise _Budget
            nouveau = acc + terme
            if _conjonction_possible(nouveau) and rec(i + 1, nouveau):
                return True
        return False

    try:
        return rec(0, [])
    except _Budget:
        return True


def satisfiable(c: Condition) -> bool:
    """Whether some dossier can make the condition *vrai* (exact for conditions of reasonable size)."""
    return _tous_satisfiable([c])


def non_vrai(c: Condition) -> Optional[Condition]:
    """A condition that is *vrai* exactly when ``c`` is not *vrai* (faux or inconnu); None if impossible."""
    if isinstance(c, Toujours):
        return None
    if isinstance(c, Atome):
        if c.operateur == "renseigne":
            return Atome(c.champ, "renseigne", not c.valeur)
        neg = Atome(c.champ, NEGATION[c.operateur], c.valeur)
        return neg if c.champ.toujours_renseigne else AuMoinsUn((neg, Atome(c.champ, "renseigne", False)))
    parts = [non_vrai(x) for x in c.items]
    if isinstance(c, Tous):
        possibles = tuple(p for p in parts if p is not None)
        return None if not possibles else (possibles[0] if len(possibles) == 1 else AuMoinsUn(possibles))
    if any(p is None for p in parts):
        return None
    return Tous(tuple(p for p in parts if p is not None))


def couverte(c: Condition, precedentes: list[Condition]) -> bool:
    """Whether every dossier making ``c`` *vrai* already makes one of ``precedentes`` *vrai*."""
    negations = [non_vrai(p) for p in precedentes]
    if any(n is None for n in negations):
        return True
    return not _tous_satisfiable([c] + [n for n in negations if n is not None])


def _verifier_satisfiable(c: Condition, lieu: Lieu) -> None:
    if isinstance(c, (Tous, AuMoinsUn)):
        for x in c.items:
            _verifier_satisfiable(x, lieu)
    if not satisfiable(c):
        raise lieu.erreur(f"condition contradictoire, jamais vraie : {decrire(c)}")


def _conjonction_possible(termes: list[Atome]) -> bool:
    par_champ: dict[str, list[Atome]] = {}
    for a in termes:
        par_champ.setdefault(a.champ.chemin, []).append(a)
    return all(_champ_possible(lst) for lst in par_champ.values())


def _champ_possible(lst: list[Atome]) -> bool:
    ch = lst[0].champ
    absent = [a for a in lst if a.operateur == "renseigne" and not a.valeur]
    if absent:
        return not ch.toujours_renseigne and len(absent) == len(lst)
    tests = [a for a in lst if a.operateur != "renseigne"]
    if ch.multiple:
        return _multiple_possible(tests)
    if ch.genre in ("entier", "date"):
        return _numerique_possible(ch, tests)
    domaine: set[Any] = {True, False} if ch.genre == "booleen" else {n for n, _ in ch.codes}
    for a in tests:
        vals = set(a.valeur) if isinstance(a.valeur, tuple) else {a.valeur}
        if a.operateur in ("egal", "dans"):
            domaine &= vals
        else:
            domaine -= vals
    return bool(domaine)


def _ord(v: Any) -> int:
    return v.toordinal() if isinstance(v, date) else int(v)


def _numerique_possible(ch: Champ, tests: list[Atome]) -> bool:
    if ch.genre == "date":
        lo, hi = date(1900, 1, 1).toordinal(), date(2100, 12, 31).toordinal()
    else:
        lo, hi = ch.bornes or (-10**9, 10**9)
    permis: Optional[set[int]] = None
    exclus: set[int] = set()
    for a in tests:
        op = a.operateur
        if isinstance(a.valeur, tuple):
            vals = {_ord(x) for x in a.valeur}
            if op == "dans":
                permis = vals if permis is None else permis & vals
            else:
                exclus |= vals
            continue
        v = _ord(a.valeur)
        if op == "egal":
            permis = {v} if permis is None else permis & {v}
        elif op == "different":
            exclus.add(v)
        elif op == "inferieur":
            hi = min(hi, v - 1)
        elif op == "inferieur_ou_egal":
            hi = min(hi, v)
        elif op == "superieur":
            lo = max(lo, v + 1)
        elif op == "superieur_ou_egal":
            lo = max(lo, v)
    if lo > hi:
        return False
    if permis is not None:
        return any(lo <= x <= hi and x not in exclus for x in permis)
    return hi - lo + 1 > len({x for x in exclus if lo <= x <= hi})


def _multiple_possible(tests: list[Atome]) -> bool:
    contraintes: list[tuple[str, frozenset[Any]]] = []
    for a in tests:
        vals = frozenset(a.valeur) if isinstance(a.valeur, tuple) else frozenset({a.valeur})
        contraintes.append((a.operateur, vals))
    univers = sorted({x for _, v in contraintes for x in v}, key=str)

    def ok(s: frozenset[Any]) -> bool:
        for op, v in contraintes:
            if op in ("contient", "contient_tous") and not v <= s:
                return False
            if op in ("ne_contient_pas", "ne_contient_aucun_de") and v & s:
                return False
            if op == "contient_un_de" and not v & s:
                return False
            if op == "ne_contient_pas_tous" and v <= s:
                return False
        return True

    if len(univers) > 12:  # approximate but sound for usual rules
        doit = frozenset().union(*[v for op, v in contraintes if op in ("contient", "contient_tous")])
        interdit = frozenset().union(*[v for op, v in contraintes if op in ("ne_contient_pas", "ne_contient_aucun_de")])
        return not doit & interdit
    return any(ok(frozenset(s)) for r in range(len(univers) + 1) for s in itertools.combinations(univers, r))


# --------------------------------------------------------------------------- description

_OP_TEXTE = {
    "egal": "{}", "different": "différent de {}", "inferieur": "inférieur à {}",
    "inferieur_ou_egal": "inférieur ou égal à {}", "superieur": "supérieur à {}",
    "superieur_ou_egal": "supérieur ou égal à {}", "dans": "l'une de {}", "hors_de": "aucune de {}",
    "contient": "contient {}", "ne_contient_pas": "ne contient pas {}",
    "contient_un_de": "contient au moins l'une de {}", "ne_contient_aucun_de": "ne contient aucune de {}",
    "contient_tous": "contient chacune de {}", "ne_contient_pas_tous": "ne contient pas toutes de {}",
}


def _libelle_element(ch: Champ, v: Any) -> str:
    if ch.genre in ("code", "codes"):
        return ch.libelle_code(v)
    if ch.genre == "booleen":
        return "oui" if v else "non"
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return f"{v} {ch.unite}".strip() if ch.genre == "entier" else str(v)


def attendu_texte(a: Atome) -> str:
    """French text of what an atom expects (« l'une de Hébergement d'urgence, Hôtel social »)."""
    if a.operateur == "renseigne":
        return "renseigné" if a.valeur else "non renseigné"
    if isinstance(a.valeur, tuple):
        texte = ", ".join(_libelle_element(a.champ, x) for x in a.valeur)
    else:
        texte = _libelle_element(a.champ, a.valeur)
    return _OP_TEXTE[a.operateur].format(texte)


def decrire(c: Condition) -> str:
    """French one-line description of a condition."""
    if isinstance(c, Toujours):
        return "toujours"
    if isinstance(c, Atome):
        return f"{c.champ.libelle} : {attendu_texte(c)}"
    mot = " et " if isinstance(c, Tous) else " ou "
    return "(" + mot.join(decrire(x) for x in c.items) + ")"


# --------------------------------------------------------------------------- three-valued evaluation

Valeurs = dict[str, Any]


def valeurs(dossier: Dossier, champs: list[Champ]) -> Valeurs:
    """Readable values of the given fields for one dossier (``None`` = non renseigné)."""
    return {c.chemin: c.lire(dossier) for c in champs}


def tester(a: Atome, v: Any) -> Verite:
    """Truth of one atom for the actual value ``v`` (``None`` = non renseigné)."""
    op, x = a.operateur, a.valeur
    if op == "renseigne":
        return Verite.vrai if (v is not None) == x else Verite.faux
    if v is None:
        return Verite.inconnu
    if op == "egal":
        r = v == x
    elif op == "different":
        r = v != x
    elif op == "inferieur":
        r = v < x
    elif op == "inferieur_ou_egal":
        r = v <= x
    elif op == "superieur":
        r = v > x
    elif op == "superieur_ou_egal":
        r = v >= x
    elif op == "dans":
        r = v in x
    elif op == "hors_de":
        r = v not in x
    elif op == "contient":
        r = x in v
    elif op == "ne_contient_pas":
        r = x not in v
    elif op == "contient_un_de":
        r = any(e in v for e in x)
    elif op == "ne_contient_aucun_de":
        r = not any(e in v for e in x)
    elif op == "contient_tous":
        r = all(e in v for e in x)
    elif op == "ne_contient_pas_tous":
        r = not all(e in v for e in x)
    else:  # pragma: no cover - operators are validated at parse time
        raise ValueError(op)
    return Verite.vrai if r else Verite.faux


def verite(c: Condition, vals: Valeurs) -> Verite:
    """Kleene truth of a condition (no details)."""
    if isinstance(c, Atome):
        return tester(c, vals[c.champ.chemin])
    if isinstance(c, Toujours):
        return Verite.vrai
    res = [verite(x, vals) for x in c.items]
    return _combiner(c, res)


def _combiner(c: Tous | AuMoinsUn, res: list[Verite]) -> Verite:
    fort, faible = (Verite.faux, Verite.vrai) if isinstance(c, Tous) else (Verite.vrai, Verite.faux)
    if fort in res:
        return fort
    if Verite.inconnu in res:
        return Verite.inconnu
    return faible



_M = TypeVar("_M", bound=BaseModel)
_LIB_VERITE: dict[Verite, str] = {v: v.libelle for v in Verite}


def construire(cls: type[_M], **valeurs: Any) -> _M:
    """Build a pydantic model from already-typed values without validation (like ``model_construct``,
    several times faster: used for the many per-condition results of batch evaluation)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", valeurs)
    object.__setattr__(obj, "__pydantic_fields_set__", set(valeurs))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def detailler(a: Atome, v: Any) -> ConditionEvaluee:
    """One atom evaluated, with the actual value and a French sentence."""
    r = tester(a, v)
    lib = a.champ.libelle_valeur(v)
    texte = f"{a.champ.libelle} = {lib} (attendu : {a.attendu_libelle}) → {_LIB_VERITE[r]}"
    return construire(
        ConditionEvaluee, champ=a.champ.chemin, libelle_champ=a.champ.libelle, operateur=a.operateur,
        attendu=a.attendu_json, valeur=valeur_json(v), valeur_libelle=lib, resultat=r, texte=texte)


def evaluer(c: Condition, vals: Valeurs) -> tuple[Verite, list[ConditionEvaluee]]:
    """Kleene truth of a condition and every atom evaluated (in reading order)."""
    details = [detailler(a, vals[a.champ.chemin]) for a in atomes(c)]
    resultats = iter([d.resultat for d in details])

    def combiner(x: Condition) -> Verite:
        if isinstance(x, Atome):
            return next(resultats)
        if isinstance(x, Toujours):
            return Verite.vrai
        return _combiner(x, [combiner(y) for y in x.items])

    return combiner(c), details

