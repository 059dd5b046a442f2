"""Parsing and validation of the rule files: ``national.yaml`` and ``departements/<code>.yaml``.

Produces :class:`Regle` and :class:`Grille` objects (each with its period of validity, see
:mod:`orientation.regles.vigueur`); :mod:`orientation.regles.referentiel` builds the versions in
force from them.  Every error is a :class:`ReglesInvalides` naming the file and the rule.  The
language is documented in :mod:`orientation.regles.conditions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from orientation.erreurs import ReglesInvalides
from orientation.regles.conditions import Condition, Toujours, analyser, atomes, cle, couverte
from orientation.regles.evaluation import CodesDepartement, Effet
from orientation.regles.lecture import lire_yaml
from orientation.regles.vigueur import TOUJOURS, Periode, lire_periode
from orientation.vocabulaire import SCENARIOS, Modalite, Parcours, Structure

ID_REGLE = re.compile(r"^[a-z][a-z0-9_]*$")

REFERENCE_DITP = "Référentiel DITP 2019 « orientation des bénéficiaires du RSA »"
_SCENARIOS_NOMS = {1: "rendez-vous 2-en-1", 2: "aiguillage rapide", 3: "diagnostic approfondi"}


@dataclass(frozen=True)
class Regle:
    """A rule (``groupe`` is None) or a line of the grid ``groupe``."""

    id: str
    titre: str
    description: str
    reference: str
    source: str
    si: Condition
    effet: Effet
    priorite: int = 0
    groupe: Optional[str] = None
    ordre: int = 0
    #: period of validity (a grid line's is the intersection with its grid's)
    vigueur: Periode = TOUJOURS


@dataclass(frozen=True)
class Grille:
    """A pre-orientation grid: lines evaluated by priority, the first matching one wins."""

    id: str
    titre: str
    description: str
    reference: str
    source: str
    lignes: tuple[Regle, ...]
    vigueur: Periode = TOUJOURS


#: Limits of a référentiel, so that a hostile or mistaken file is refused in seconds: rules and
#: grid lines (national + département: durable-rules compiles 1,000 two-condition rules in about
#: 0.5 s and evaluates them in about 15 ms per dossier, and fails near 4,000:
#: ``benchmarks/bench_limites_regles.py``), and comparisons in one condition.  File size and YAML
#: nesting are limited by :mod:`orientation.regles.lecture`.
NOMBRE_MAX_REGLES = 1000
NOMBRE_MAX_CONDITIONS = 100


def _verifier_nombre(regles: list[Any], fichier: str) -> None:
    if len(regles) > NOMBRE_MAX_REGLES:
        raise ReglesInvalides(fichier, None, f"trop de règles et lignes de grille ({len(regles)}, au plus "
                              f"{NOMBRE_MAX_REGLES} : au-delà, durable-rules compile et évalue trop lentement)")


# --------------------------------------------------------------------------- parsing of files

_CLES_REGLE = {"id", "titre", "description", "reference", "si", "alors", "priorite", "remplace", "desactive",
               "en_vigueur"}
_CLES_LIGNE = {"id", "titre", "description", "reference", "si", "alors", "priorite", "en_vigueur"}
_CLES_GRILLE = {"id", "titre", "description", "reference", "lignes", "en_vigueur"}


def _texte(d: dict[str, Any], k: str, fichier: str, rid: Optional[str], requis: bool = True) -> str:
    v = d.get(k)
    if v is None or (isinstance(v, str) and not v.strip()):
        if requis:
            raise ReglesInvalides(fichier, rid, f"« {k} » manquant ou vide (obligatoire)")
        return ""
    if not isinstance(v, str):
        raise ReglesInvalides(fichier, rid, f"« {k} » doit être un texte, reçu {v!r}")
    return v.strip()


def _id(d: Any, fichier: str, quoi: str) -> str:
    if not isinstance(d, dict):
        raise ReglesInvalides(fichier, None, f"{quoi} mal formée : objet attendu, reçu {d!r}")
    rid = d.get("id")
    if not isinstance(rid, str) or not ID_REGLE.match(rid):
        raise ReglesInvalides(fichier, str(rid) if rid is not None else None,
                              f"identifiant de {quoi} invalide {rid!r} (attendu : minuscules, chiffres et _, "
                              "commençant par une lettre)")
    return rid


def _cles(d: dict[str, Any], admises: set[str], fichier: str, rid: Optional[str]) -> None:
    inconnues = set(d) - admises
    if inconnues:
        raise ReglesInvalides(fichier, rid, f"clé(s) inconnue(s) : {', '.join(sorted(map(str, inconnues)))} "
                              f"(clés admises : {', '.join(sorted(admises))})")


def _priorite(d: dict[str, Any], fichier: str, rid: str) -> int:
    p = d.get("priorite", 0)
    if isinstance(p, bool) or not isinstance(p, int):
        raise ReglesInvalides(fichier, rid, f"« priorite » doit être un nombre entier, reçu {p!r}")
    return p


def _vigueur(d: dict[str, Any], fichier: str, rid: str) -> Periode:
    return lire_periode(d["en_vigueur"], fichier, rid) if "en_vigueur" in d else TOUJOURS


def _enum(en: Any, v: Any, fichier: str, rid: str, quoi: str) -> Any:
    try:
        return en(v)
    except ValueError:
        admis = ", ".join(m.value for m in en)
        raise ReglesInvalides(fichier, rid, f"{quoi} inconnu(e) {v!r} (valeurs admises : {admis})") from None


def _effet_regle(d: dict[str, Any], fichier: str, rid: str) -> Effet:
    alors = d.get("alors")
    if not isinstance(alors, dict):
        raise ReglesInvalides(fichier, rid, "« alors » manquant : attendu « alors: {modalite: ..., motif: ...} »")
    _cles(alors, {"modalite", "motif"}, fichier, rid)
    if "modalite" not in alors:
        raise ReglesInvalides(fichier, rid, "« alors » doit donner une « modalite » "
                              "(rdv_obligatoire, examen_individuel ou orientation_directe)")
    modalite = _enum(Modalite, alors["modalite"], fichier, rid, "modalité")
    return Effet(modalite=modalite, motif=_texte(alors, "motif", fichier, rid, requis=False) or None)


def _effet_ligne(d: dict[str, Any], fichier: str, rid: str) -> Effet:
    alors = d.get("alors")
    if not isinstance(alors, dict):
        raise ReglesInvalides(fichier, rid, "« alors » manquant : attendu « alors: {parcours: ..., structure: ...} »")
    _cles(alors, {"parcours", "structure", "motif"}, fichier, rid)
    if "parcours" not in alors:
        raise ReglesInvalides(fichier, rid, "« alors » d'une ligne de grille doit donner un « parcours » "
                              "(professionnel, socio_professionnel ou social)")
    parcours = _enum(Parcours, alors["parcours"], fichier, rid, "parcours")
    structure = _enum(Structure, alors["structure"], fichier, rid, "structure") if "structure" in alors else None
    return Effet(parcours=parcours, structure=structure,
                 motif=_texte(alors, "motif", fichier, rid, requis=False) or None)


def _regle(d: Any, fichier: str, source: str, ordre: int) -> tuple[Regle, bool, bool]:
    """Parse one rule; returns (rule, remplace, desactive)."""
    rid = _id(d, fichier, "règle")
    _cles(d, _CLES_REGLE, fichier, rid)
    remplace, desactive = d.get("remplace", False), d.get("desactive", False)
    for k, v in (("remplace", remplace), ("desactive", desactive)):
        if not isinstance(v, bool):
            raise ReglesInvalides(fichier, rid, f"« {k} » doit être true ou false")
    vigueur = _vigueur(d, fichier, rid)
    if desactive:
        if not remplace:
            raise ReglesInvalides(fichier, rid, "« desactive: true » ne s'emploie qu'avec « remplace: true » "
                                  "pour retirer une règle nationale")
        if not _texte(d, "description", fichier, rid, requis=False):
            raise ReglesInvalides(fichier, rid, "une règle désactivée doit en donner la raison dans « description »")
        if "si" in d or "alors" in d:
            raise ReglesInvalides(fichier, rid, "une règle désactivée n'a ni « si » ni « alors »")
        return Regle(rid, _texte(d, "titre", fichier, rid, requis=False) or rid, _texte(d, "description", fichier, rid),
                     _texte(d, "reference", fichier, rid, requis=False), source, Toujours(), Effet(),
                     ordre=ordre, vigueur=vigueur), True, True
    titre = _texte(d, "titre", fichier, rid)
    reference = _texte(d, "reference", fichier, rid)
    if "si" not in d:
        raise ReglesInvalides(fichier, rid, "condition « si » manquante (écrire « si: {toujours: true} » "
                              "pour une règle qui s'applique à tous)")
    si = _condition(d["si"], fichier, rid)
    return Regle(rid, titre, _texte(d, "description", fichier, rid, requis=False), reference, source, si,
                 _effet_regle(d, fichier, rid), _priorite(d, fichier, rid), None, ordre, vigueur), remplace, False


def _condition(brut: Any, fichier: str, rid: str) -> Condition:
    si = analyser(brut, fichier, rid)
    if len(atomes(si)) > NOMBRE_MAX_CONDITIONS:
        raise ReglesInvalides(fichier, rid, f"condition trop longue ({len(atomes(si))} comparaisons, au plus "
                              f"{NOMBRE_MAX_CONDITIONS}) : la découper en plusieurs règles")
    return si


def _versions_disjointes(items: list[Regle], fichier: str, quoi: str) -> None:
    """Several items of one id must have disjoint periods (they are versions of one rule or line)."""
    par_id: dict[str, list[Regle]] = {}
    for r in items:
        par_id.setdefault(r.id, []).append(r)
    for rid, versions in par_id.items():
        for i, a in enumerate(versions):
            for b in versions[i + 1:]:
                if a.vigueur.chevauche(b.vigueur):
                    raise ReglesInvalides(fichier, rid, f"{quoi} en double : deux versions en vigueur en même temps "
                                          f"({a.vigueur.libelle()} et {b.vigueur.libelle()}) ; donner à chaque "
                                          "version une période « en_vigueur » distincte, ou un autre identifiant")


def _grille(d: Any, fichier: str, source: str) -> Grille:
    gid = _id(d, fichier, "grille")
    _cles(d, _CLES_GRILLE, fichier, gid)
    vigueur = _vigueur(d, fichier, gid)
    lignes_brutes = d.get("lignes")
    if not isinstance(lignes_brutes, list) or not lignes_brutes:
        raise ReglesInvalides(fichier, gid, "une grille doit avoir une liste « lignes » non vide")
    lignes = []
    for i, ld in enumerate(lignes_brutes):
        lid = _id(ld, fichier, "ligne de grille")
        _cles(ld, _CLES_LIGNE, fichier, lid)
        if "si" not in ld:
            raise ReglesInvalides(fichier, lid, "condition « si » manquante (écrire « si: {toujours: true} » "
                                  "pour la ligne par défaut)")
        periode = vigueur.intersection(_vigueur(ld, fichier, lid))
        if periode is None:
            raise ReglesInvalides(fichier, lid, f"ligne jamais en vigueur : sa période est hors de celle de sa "
                                  f"grille ({vigueur.libelle()})")
        lignes.append(Regle(
            lid, _texte(ld, "titre", fichier, lid), _texte(ld, "description", fichier, lid, requis=False),
            _texte(ld, "reference", fichier, lid, requis=False) or _texte(d, "reference", fichier, gid),
            source, _condition(ld["si"], fichier, lid), _effet_ligne(ld, fichier, lid),
            _priorite(ld, fichier, lid), gid, i, periode))
    lignes.sort(key=lambda r: (r.priorite, r.ordre))
    _versions_disjointes(lignes, fichier, "ligne de grille")
    return Grille(gid, _texte(d, "titre", fichier, gid), _texte(d, "description", fichier, gid, requis=False),
                  _texte(d, "reference", fichier, gid), source, tuple(lignes), vigueur)


def verifier_lignes(g: Grille, fichier: str, a_la_date: Optional[Periode]) -> None:
    """Refuse unreachable lines of a grid (the lines in force over one period)."""
    quand = "" if a_la_date is None or a_la_date.toujours else f" (règles en vigueur {a_la_date.libelle()})"
    lignes = list(g.lignes)
    vues: dict[Any, str] = {}
    for i, ligne in enumerate(lignes):
        if i > 0 and isinstance(lignes[i - 1].si, Toujours):
            raise ReglesInvalides(fichier, ligne.id, "ligne inatteignable : elle vient après la ligne "
                                  f"« {lignes[i - 1].id} » qui s'applique toujours "
                                  f"(par priorité puis ordre du fichier){quand}")
        k = cle(ligne.si)
        if k in vues:
            raise ReglesInvalides(fichier, ligne.id, f"ligne inatteignable : sa condition est identique à celle "
                                  f"de la ligne « {vues[k]} » évaluée avant elle{quand}")
        if i > 0 and couverte(ligne.si, [x.si for x in lignes[:i]]):
            raise ReglesInvalides(fichier, ligne.id, "ligne inatteignable : toute situation qui vérifie sa "
                                  "condition vérifie déjà celle d'une ligne évaluée avant elle ("
                                  + ", ".join(f"« {x.id} »" for x in lignes[:i]) + f"){quand}")
        vues[k] = ligne.id


def _liste(doc: dict[str, Any], k: str, fichier: str) -> list[Any]:
    v = doc.get(k, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise ReglesInvalides(fichier, None, f"« {k} » doit être une liste")
    return v


@dataclass
class FichierNational:
    regles: list[Regle]
    grilles: list[Grille]
    fichier: str


def lire_national(chemin: Path, nom: str = "national.yaml") -> FichierNational:
    """Parse and validate the national file: rules, and the grids a département may choose."""
    doc = lire_yaml(chemin, str(chemin))
    fichier = str(chemin)
    if not isinstance(doc, dict):
        raise ReglesInvalides(fichier, None, "le fichier doit être un objet avec « portee » et « regles »")
    _cles(doc, {"portee", "regles", "grilles", "description"}, fichier, None)
    if doc.get("portee") != "national":
        raise ReglesInvalides(fichier, None, f"« portee: national » attendu, reçu {doc.get('portee')!r}")
    regles: list[Regle] = []
    grilles_brutes = _liste(doc, "grilles", fichier)
    _verifier_nombre(_liste(doc, "regles", fichier) + [x for g in grilles_brutes for x in _lignes_brutes(g)], fichier)
    for i, d in enumerate(_liste(doc, "regles", fichier)):
        r, remplace, _ = _regle(d, fichier, nom, i)
        if remplace:
            raise ReglesInvalides(fichier, r.id, "« remplace » n'a de sens que dans un fichier départemental")
        regles.append(r)
    _versions_disjointes(regles, fichier, "identifiant de règle")
    grilles = [_grille(g, fichier, nom) for g in grilles_brutes]
    _ids_distincts(regles, grilles, fichier)
    return FichierNational(regles, grilles, fichier)


def charger_national(chemin: Path, nom: str = "national.yaml") -> list[Regle]:
    """Parse and validate the national file; its rules (every version)."""
    return lire_national(chemin, nom).regles


def _lignes_brutes(g: Any) -> list[Any]:
    return g["lignes"] if isinstance(g, dict) and isinstance(g.get("lignes"), list) else []


def _ids_distincts(regles: list[Regle], grilles: list[Grille], fichier: str) -> None:
    """A rule, a grid and a grid line never share an id (versions of one item do)."""
    role: dict[str, str] = {}
    for rid, quoi in ([(r.id, "r") for r in regles] + [(g.id, "g:" + g.id) for g in grilles]
                      + [(x.id, "l:" + g.id) for g in grilles for x in g.lignes]):
        if role.setdefault(rid, quoi) != quoi or (quoi.startswith("g:") and [g.id for g in grilles].count(rid) > 1):
            raise ReglesInvalides(fichier, rid, "identifiant en double entre règles nationales, règles "
                                  "départementales, grilles et lignes de grille")


@dataclass
class FichierDepartemental:
    scenario: int
    regles: list[tuple[Regle, bool, bool]]  # (rule, remplace, desactive)
    grilles: list[Grille]  # national grids chosen, then the département's, in evaluation order
    fichier: str
    codes: CodesDepartement = CodesDepartement()


#: Output codes a département may give (see :mod:`orientation.codes_sortie`): its own label of each route
#: (free text, at most ``LONGUEUR_MAX_LIBELLE`` characters) and the France Travail code it agreed on.
LONGUEUR_MAX_LIBELLE = 120
CODE_FRANCE_TRAVAIL = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")


def _par_parcours(doc: dict[str, Any], k: str, fichier: str) -> dict[Parcours, str]:
    """``k: {professionnel: ..., socio_professionnel: ..., social: ...}`` (every route, text values)."""
    v = doc.get(k)
    if v is None:
        return {}
    routes = ", ".join(p.value for p in Parcours)
    if not isinstance(v, dict):
        raise ReglesInvalides(fichier, None, f"« {k} » doit associer à chaque parcours ({routes}) un texte, "
                              f"reçu {v!r}")
    inconnus = [str(x) for x in v if x not in {p.value for p in Parcours}]
    if inconnus:
        raise ReglesInvalides(fichier, None, f"« {k} » : parcours inconnu(s) {', '.join(map(repr, inconnus))} "
                              f"(parcours admis : {routes})")
    manquants = [p.value for p in Parcours if p.value not in v]
    if manquants:
        raise ReglesInvalides(fichier, None, f"« {k} » : parcours manquant(s) {', '.join(manquants)} (les trois "
                              "parcours sont obligatoires, pour qu'aucune décision ne reste sans code)")
    out: dict[Parcours, str] = {}
    for p in Parcours:
        x = v[p.value]
        if not isinstance(x, str) or not x.strip():
            raise ReglesInvalides(fichier, None, f"« {k}.{p.value} » doit être un texte non vide, reçu {x!r}")
        x = x.strip()
        if k == "libelles_parcours" and (len(x) > LONGUEUR_MAX_LIBELLE or "\n" in x):
            raise ReglesInvalides(fichier, None, f"« {k}.{p.value} » : libellé de plus de {LONGUEUR_MAX_LIBELLE} "
                                  f"caractères ou sur plusieurs lignes ({x[:40]!r}…)")
        if k == "codes_france_travail" and not CODE_FRANCE_TRAVAIL.match(x):
            raise ReglesInvalides(fichier, None, f"« {k}.{p.value} » : code {x!r} invalide (attendu : 1 à 16 "
                                  "majuscules, chiffres, _ ou -, comme PE)")
        out[p] = x
    return out


def charger_departement(chemin: Path, code: str, national: FichierNational, nom: str) -> FichierDepartemental:
    """Parse and validate a département file against the national file (overrides, chosen national grids)."""
    fichier = str(chemin)
    doc = lire_yaml(chemin, fichier)
    if not isinstance(doc, dict):
        raise ReglesInvalides(fichier, None, "le fichier doit être un objet (portee, departement, scenario...)")
    _cles(doc, {"portee", "departement", "scenario", "regles", "grilles", "grilles_nationales", "description",
                "libelles_parcours", "codes_france_travail"}, fichier, None)
    if doc.get("portee") != "departement":
        raise ReglesInvalides(fichier, None, f"« portee: departement » attendu, reçu {doc.get('portee')!r}")
    if str(doc.get("departement")) != code:
        raise ReglesInvalides(fichier, None, f"le fichier doit déclarer « departement: \"{code}\" » "
                              f"(reçu {doc.get('departement')!r})")
    scenario = doc.get("scenario")
    if isinstance(scenario, bool) or scenario not in SCENARIOS:
        raise ReglesInvalides(fichier, None, f"« scenario » doit valoir 1, 2, 3 ou 4 (DITP 2019), reçu {scenario!r}")
    nationales = {g.id: g for g in national.grilles}
    choisies = []
    for gid in _liste(doc, "grilles_nationales", fichier):
        if gid not in nationales:
            raise ReglesInvalides(fichier, str(gid), f"« grilles_nationales » : grille nationale inconnue {gid!r} "
                                  f"(grilles de national.yaml : {', '.join(nationales) or 'aucune'})")
        if nationales[gid] in choisies:
            raise ReglesInvalides(fichier, gid, "grille nationale choisie deux fois")
        choisies.append(nationales[gid])
    grilles_brutes = _liste(doc, "grilles", fichier)
    _verifier_nombre(list(national.regles) + _liste(doc, "regles", fichier)
                     + [x for g in grilles_brutes for x in _lignes_brutes(g)]
                     + [x for g in choisies for x in g.lignes], fichier)
    ids_nationaux = {r.id for r in national.regles}
    entrees: list[tuple[Regle, bool, bool]] = []
    for i, d in enumerate(_liste(doc, "regles", fichier)):
        r, remplace, desactive = _regle(d, fichier, nom, 1000 + i)
        if r.id in ids_nationaux and not remplace:
            raise ReglesInvalides(fichier, r.id, "identifiant déjà utilisé par une règle nationale : ajouter "
                                  "« remplace: true » pour la remplacer, ou choisir un autre identifiant")
        if remplace and r.id not in ids_nationaux:
            raise ReglesInvalides(fichier, r.id, "« remplace: true » mais aucune règle nationale ne porte cet "
                                  "identifiant")
        if r.id == "scenario_rdv_systematique" and scenario != 4:
            raise ReglesInvalides(fichier, r.id, "identifiant réservé à la règle générée par le scénario")
        entrees.append((r, remplace, desactive))
    _versions_disjointes([r for r, _, _ in entrees], fichier, "identifiant de règle")
    grilles = choisies + [_grille(g, fichier, nom) for g in grilles_brutes]
    _ids_distincts(list(national.regles) + [r for r, _, _ in entrees], grilles, fichier)
    codes = CodesDepartement(libelles_parcours=_par_parcours(doc, "libelles_parcours", fichier),
                             france_travail=_par_parcours(doc, "codes_france_travail", fichier))
    return FichierDepartemental(scenario, entrees, grilles, fichier, codes)


def regle_scenario(scenario: int, nom: str) -> Regle:
    return Regle(
        "scenario_rdv_systematique", f"Scénario {scenario} : rendez-vous systématique",
        f"Le département applique le {SCENARIOS[scenario]} : chaque nouveau bénéficiaire est reçu en "
        "rendez-vous d'orientation.",
        f"{REFERENCE_DITP}, scénario {scenario} « {_SCENARIOS_NOMS[scenario]} »",
        nom, Toujours(), Effet(modalite=Modalite.rdv_obligatoire,
                               motif=f"le département applique le scénario {scenario} "
                                     f"« {_SCENARIOS_NOMS[scenario]} » : rendez-vous pour tous"),
        -1000, None, -1)
