"""Référentiel of rules for one département: loading and validation of the YAML files, evaluation.

Files (default directory: ``$ORIENTATION_REGLES``, else the rules shipped with the library,
:func:`orientation.donnees.repertoire`):

* ``national.yaml`` (``portee: national``): rules that apply everywhere (DITP 2019 scenario 4
  cases where an in-person appointment is mandatory, CASF art. L262-27 to L262-39);
* ``departements/<code>.yaml`` (``portee: departement``): the département's scenario (1 to 4),
  extra rules, overrides of national rules (``remplace: true``, with ``desactive: true`` to
  remove one, giving the reason in ``description``) and pre-orientation grids.

A département **without a file** gets the default: scenario 4 and the national rules only, no
grid.  Scenarios 1 to 3 add a generated rule ``scenario_rdv_systematique`` (every dossier gets a
mandatory appointment).  See :mod:`orientation.regles.conditions` for the condition language.

>>> ref = Referentiel.charger("93")
>>> ref.scenario, len(ref.version)
(4, 64)
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Optional

from orientation.regles.conditions import (
    Condition,
    Toujours,
    analyser,
    atomes,
    cle,
    construire,
    couverte,
    evaluer,
    valeurs,
    verite,
)
from orientation.donnees import repertoire
from orientation.dossier.schema import DEPARTEMENTS, Dossier
from orientation.erreurs import ReglesInvalides
from orientation.regles.evaluation import Effet, EvaluationRegles, RegleEvaluee
from orientation.regles.lecture import lire_yaml
from orientation.regles.moteur_durable import MoteurDurable, MoteurIncoherent
from orientation.vocabulaire import SCENARIOS, Modalite, Parcours, Structure, Verite

ID_REGLE = re.compile(r"^[a-z][a-z0-9_]*$")

REFERENCE_DITP = "Référentiel DITP 2019 « orientation des bénéficiaires du RSA »"
_SCENARIOS_NOMS = {1: "rendez-vous 2-en-1", 2: "aiguillage rapide", 3: "diagnostic approfondi"}


#: Environment variable naming the rules directory (listed in the README, « Configuration »).
VARIABLE_ENV_REGLES = "ORIENTATION_REGLES"


def dossier_regles_defaut() -> Path:
    """``$ORIENTATION_REGLES`` if set, else the rules shipped with the library (``rules/`` of the repository)."""
    env = os.environ.get(VARIABLE_ENV_REGLES)
    return Path(env) if env else repertoire("regles")



# --------------------------------------------------------------------------- model


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


@dataclass(frozen=True)
class Issue:
    """Outcome of the rules for one dossier, from truth values only (fast; no per-condition details)."""

    modalite: Optional[Modalite]
    proposition: Optional[Regle]
    declenchees: frozenset[str]

    @property
    def cle(self) -> tuple[Optional[Modalite], Optional[Parcours]]:
        """(modality, route of the grid proposal): what a counterfactual must change."""
        return self.modalite, self.proposition.effet.parcours if self.proposition else None


@dataclass(frozen=True)
class Grille:
    """A pre-orientation grid: lines evaluated by priority, the first matching one wins."""

    id: str
    titre: str
    description: str
    reference: str
    source: str
    lignes: tuple[Regle, ...]


#: Limits of a référentiel, so that a hostile or mistaken file is refused in seconds: rules and
#: grid lines (national + département: durable-rules compiles 1,000 two-condition rules in about
#: 0.5 s and evaluates them in about 15 ms per dossier, and fails near 4,000:
#: ``benchmarks/bench_limites_regles.py``), and comparisons in one condition.  File size and YAML
#: nesting are limited by :mod:`orientation.regles.lecture`.
NOMBRE_MAX_REGLES = 1000
NOMBRE_MAX_CONDITIONS = 100


#: durable-rules' own error codes when it refuses a ruleset (measured with durable-rules 2.0.28).
_CODES_MOTEUR = {106: "trop de règles ou de conditions pour le moteur",
                 108: "plus de 256 règles partagent une même comparaison : regrouper ces règles"}


def _erreur_moteur(exc: Exception) -> str:
    """French reason for an error of the durable-rules engine itself."""
    trouve = re.search(r"error code: (\d+)", str(exc))
    code = int(trouve.group(1)) if trouve else None
    detail = _CODES_MOTEUR.get(code or 0, "limite interne du moteur atteinte")
    return f"compilation vers durable-rules impossible : {detail}" + (f" (code {code})" if code else "")


def _verifier_nombre(regles: list[Any], fichier: str) -> None:
    if len(regles) > NOMBRE_MAX_REGLES:
        raise ReglesInvalides(fichier, None, f"trop de règles et lignes de grille ({len(regles)}, au plus "
                              f"{NOMBRE_MAX_REGLES} : au-delà, durable-rules compile et évalue trop lentement)")


# --------------------------------------------------------------------------- parsing of files

_CLES_REGLE = {"id", "titre", "description", "reference", "si", "alors", "priorite", "remplace", "desactive"}
_CLES_LIGNE = {"id", "titre", "description", "reference", "si", "alors", "priorite"}
_CLES_GRILLE = {"id", "titre", "description", "reference", "lignes"}


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
    if desactive:
        if not remplace:
            raise ReglesInvalides(fichier, rid, "« desactive: true » ne s'emploie qu'avec « remplace: true » "
                                  "pour retirer une règle nationale")
        if not _texte(d, "description", fichier, rid, requis=False):
            raise ReglesInvalides(fichier, rid, "une règle désactivée doit en donner la raison dans « description »")
        if "si" in d or "alors" in d:
            raise ReglesInvalides(fichier, rid, "une règle désactivée n'a ni « si » ni « alors »")
        return Regle(rid, _texte(d, "titre", fichier, rid, requis=False) or rid, _texte(d, "description", fichier, rid),
                     _texte(d, "reference", fichier, rid, requis=False), source, Toujours(), Effet()), True, True
    titre = _texte(d, "titre", fichier, rid)
    reference = _texte(d, "reference", fichier, rid)
    if "si" not in d:
        raise ReglesInvalides(fichier, rid, "condition « si » manquante (écrire « si: {toujours: true} » "
                              "pour une règle qui s'applique à tous)")
    si = _condition(d["si"], fichier, rid)
    return Regle(rid, titre, _texte(d, "description", fichier, rid, requis=False), reference, source, si,
                 _effet_regle(d, fichier, rid), _priorite(d, fichier, rid), None, ordre), remplace, False


def _condition(brut: Any, fichier: str, rid: str) -> Condition:
    si = analyser(brut, fichier, rid)
    if len(atomes(si)) > NOMBRE_MAX_CONDITIONS:
        raise ReglesInvalides(fichier, rid, f"condition trop longue ({len(atomes(si))} comparaisons, au plus "
                              f"{NOMBRE_MAX_CONDITIONS}) : la découper en plusieurs règles")
    return si


def _grille(d: Any, fichier: str, source: str) -> Grille:
    gid = _id(d, fichier, "grille")
    _cles(d, _CLES_GRILLE, fichier, gid)
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
        lignes.append(Regle(
            lid, _texte(ld, "titre", fichier, lid), _texte(ld, "description", fichier, lid, requis=False),
            _texte(ld, "reference", fichier, lid, requis=False) or _texte(d, "reference", fichier, gid),
            source, _condition(ld["si"], fichier, lid), _effet_ligne(ld, fichier, lid),
            _priorite(ld, fichier, lid), gid, i))
    lignes.sort(key=lambda r: (r.priorite, r.ordre))
    vues: dict[Any, str] = {}
    for i, ligne in enumerate(lignes):
        if i > 0 and isinstance(lignes[i - 1].si, Toujours):
            raise ReglesInvalides(fichier, ligne.id, "ligne inatteignable : elle vient après la ligne "
                                  f"« {lignes[i - 1].id} » qui s'applique toujours "
                                  "(par priorité puis ordre du fichier)")
        k = cle(ligne.si)
        if k in vues:
            raise ReglesInvalides(fichier, ligne.id, f"ligne inatteignable : sa condition est identique à celle "
                                  f"de la ligne « {vues[k]} » évaluée avant elle")
        if i > 0 and couverte(ligne.si, [x.si for x in lignes[:i]]):
            raise ReglesInvalides(fichier, ligne.id, "ligne inatteignable : toute situation qui vérifie sa "
                                  "condition vérifie déjà celle d'une ligne évaluée avant elle ("
                                  + ", ".join(f"« {x.id} »" for x in lignes[:i]) + ")")
        vues[k] = ligne.id
    return Grille(gid, _texte(d, "titre", fichier, gid), _texte(d, "description", fichier, gid, requis=False),
                  _texte(d, "reference", fichier, gid), source, tuple(lignes))


def _liste(doc: dict[str, Any], k: str, fichier: str) -> list[Any]:
    v = doc.get(k, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise ReglesInvalides(fichier, None, f"« {k} » doit être une liste")
    return v


def charger_national(chemin: Path, nom: str = "national.yaml") -> list[Regle]:
    """Parse and validate the national file."""
    doc = lire_yaml(chemin, str(chemin))
    fichier = str(chemin)
    if not isinstance(doc, dict):
        raise ReglesInvalides(fichier, None, "le fichier doit être un objet avec « portee » et « regles »")
    _cles(doc, {"portee", "regles", "description"}, fichier, None)
    if doc.get("portee") != "national":
        raise ReglesInvalides(fichier, None, f"« portee: national » attendu, reçu {doc.get('portee')!r}")
    regles: list[Regle] = []
    _verifier_nombre(_liste(doc, "regles", fichier), fichier)
    for i, d in enumerate(_liste(doc, "regles", fichier)):
        r, remplace, _ = _regle(d, fichier, nom, i)
        if remplace:
            raise ReglesInvalides(fichier, r.id, "« remplace » n'a de sens que dans un fichier départemental")
        if any(x.id == r.id for x in regles):
            raise ReglesInvalides(fichier, r.id, "identifiant de règle en double")
        regles.append(r)
    return regles


@dataclass
class _Departemental:
    scenario: int
    regles: list[Regle]
    grilles: list[Grille]
    fichier: str


def charger_departement(chemin: Path, code: str, nationales: list[Regle], nom: str) -> _Departemental:
    """Parse a département file and merge it with the national rules (overrides, scenario rule)."""
    fichier = str(chemin)
    doc = lire_yaml(chemin, fichier)
    if not isinstance(doc, dict):
        raise ReglesInvalides(fichier, None, "le fichier doit être un objet (portee, departement, scenario...)")
    _cles(doc, {"portee", "departement", "scenario", "regles", "grilles", "description"}, fichier, None)
    if doc.get("portee") != "departement":
        raise ReglesInvalides(fichier, None, f"« portee: departement » attendu, reçu {doc.get('portee')!r}")
    if str(doc.get("departement")) != code:
        raise ReglesInvalides(fichier, None, f"le fichier doit déclarer « departement: \"{code}\" » "
                              f"(reçu {doc.get('departement')!r})")
    scenario = doc.get("scenario")
    if isinstance(scenario, bool) or scenario not in SCENARIOS:
        raise ReglesInvalides(fichier, None, f"« scenario » doit valoir 1, 2, 3 ou 4 (DITP 2019), reçu {scenario!r}")
    grilles_brutes = _liste(doc, "grilles", fichier)
    _verifier_nombre(list(nationales) + _liste(doc, "regles", fichier)
                     + [x for g in grilles_brutes for x in (g.get("lignes") if isinstance(g, dict)
                                                           and isinstance(g.get("lignes"), list) else [])], fichier)
    regles = list(nationales)
    ids_nationaux = {r.id for r in nationales}
    vus: set[str] = set()
    for i, d in enumerate(_liste(doc, "regles", fichier)):
        r, remplace, desactive = _regle(d, fichier, nom, 1000 + i)
        if r.id in vus:
            raise ReglesInvalides(fichier, r.id, "identifiant de règle en double dans le fichier")
        vus.add(r.id)
        if r.id in ids_nationaux:
            if not remplace:
                raise ReglesInvalides(fichier, r.id, "identifiant déjà utilisé par une règle nationale : ajouter "
                                      "« remplace: true » pour la remplacer, ou choisir un autre identifiant")
            pos = next(j for j, x in enumerate(regles) if x.id == r.id)
            if desactive:
                del regles[pos]
            else:
                regles[pos] = r
        elif remplace:
            raise ReglesInvalides(fichier, r.id, "« remplace: true » mais aucune règle nationale ne porte cet "
                                  "identifiant")
        else:
            regles.append(r)
    if scenario != 4:
        if "scenario_rdv_systematique" in vus:
            raise ReglesInvalides(fichier, "scenario_rdv_systematique", "identifiant réservé à la règle générée "
                                  "par le scénario")
        regles.insert(0, Regle(
            "scenario_rdv_systematique", f"Scénario {scenario} : rendez-vous systématique",
            f"Le département applique le {SCENARIOS[scenario]} : chaque nouveau bénéficiaire est reçu en "
            "rendez-vous d'orientation.",
            f"{REFERENCE_DITP}, scénario {scenario} « {_SCENARIOS_NOMS[scenario]} »",
            nom, Toujours(), Effet(modalite=Modalite.rdv_obligatoire,
                                   motif=f"le département applique le scénario {scenario} "
                                         f"« {_SCENARIOS_NOMS[scenario]} » : rendez-vous pour tous"),
            -1000, None, -1))
    grilles = [_grille(g, fichier, nom) for g in grilles_brutes]
    ids = [r.id for r in regles] + [g.id for g in grilles] + [ligne.id for g in grilles for ligne in g.lignes]
    doublons = sorted({i for i in ids if ids.count(i) > 1})
    if doublons:
        raise ReglesInvalides(fichier, doublons[0], "identifiant en double entre règles nationales, règles "
                              "départementales, grilles et lignes de grille")
    return _Departemental(scenario, regles, grilles, fichier)


# --------------------------------------------------------------------------- référentiel


class Referentiel:
    """The rules that apply in one département, compiled to durable-rules once per process."""

    _cache: ClassVar[dict[tuple[str, str], Referentiel]] = {}
    _verrou_cache: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, departement: str, scenario: int, regles: list[Regle], grilles: list[Grille],
                 version: str, fichiers: list[str]):
        self.departement = departement
        self.scenario = scenario
        self.regles: list[Regle] = sorted(regles, key=lambda r: (r.priorite, r.ordre))
        self.grilles: list[Grille] = grilles
        self.version = version
        self.fichiers = fichiers
        self._toutes = self.regles + [ligne for g in grilles for ligne in g.lignes]
        self._moteur = MoteurDurable([(r.id, r.si) for r in self._toutes])
        champs: dict[str, Any] = {}
        for r in self._toutes:
            for a in atomes(r.si):
                champs.setdefault(a.champ.chemin, a.champ)
        self._champs = list(champs.values())

    # ------------------------------------------------------------------ loading

    @classmethod
    def charger(cls, departement: str, dossier_regles: Path | str | None = None) -> "Referentiel":
        """Load (once per process) the référentiel of a département from the rules directory."""
        racine = Path(dossier_regles) if dossier_regles is not None else dossier_regles_defaut()
        cle_cache = (departement, str(racine.resolve()))
        with cls._verrou_cache:
            if cle_cache not in cls._cache:
                cls._cache[cle_cache] = cls._construire(departement, racine)
            return cls._cache[cle_cache]

    @classmethod
    def vider_cache(cls) -> None:
        """Forget every loaded référentiel (the next :meth:`charger` re-reads the files)."""
        with cls._verrou_cache:
            cls._cache.clear()

    @classmethod
    def _construire(cls, departement: str, racine: Path) -> "Referentiel":
        if departement not in DEPARTEMENTS:
            raise ReglesInvalides(str(racine), None, f"département inconnu « {departement} » "
                                  "(attendu 01 à 95, 2A, 2B, 971 à 976)")
        national = racine / "national.yaml"
        if not national.is_file():
            raise ReglesInvalides(str(national), None, "fichier national introuvable (le dossier des règles se "
                                  f"choisit avec l'argument regles=, l'option --regles ou la variable "
                                  f"{VARIABLE_ENV_REGLES})")
        regles = charger_national(national)
        fichiers = [("national.yaml", national)]
        scenario, grilles = 4, []
        fichier_dep = racine / "departements" / f"{departement}.yaml"
        if fichier_dep.is_file():
            nom = f"departements/{departement}.yaml"
            dep = charger_departement(fichier_dep, departement, regles, nom)
            regles, scenario, grilles = dep.regles, dep.scenario, dep.grilles
            fichiers.append((nom, fichier_dep))
        h = hashlib.sha256()
        for nom, chemin in fichiers:
            h.update(nom.encode() + b"\0" + chemin.read_bytes() + b"\0")
        try:
            return cls(departement, scenario, regles, grilles, h.hexdigest(), [n for n, _ in fichiers])
        except MoteurIncoherent as exc:  # e.g. too many fact properties for durable-rules
            raise ReglesInvalides(str(fichier_dep if fichier_dep.is_file() else national), None,
                                  f"compilation vers durable-rules impossible : {exc}") from None
        except Exception as exc:  # the engine's own errors (e.g. its rule limit) are in English
            raise ReglesInvalides(str(fichier_dep if fichier_dep.is_file() else national), None,
                                  _erreur_moteur(exc)) from None

    # ------------------------------------------------------------------ evaluation

    def toutes_regles(self) -> list[Regle]:
        """Rules then grid lines, in evaluation order."""
        return list(self._toutes)

    def evaluer(self, dossier: Dossier) -> EvaluationRegles:
        """Evaluate with durable-rules deciding which rules fire; the Python evaluator gives the details.

        Raises :class:`orientation.regles.moteur_durable.MoteurIncoherent` if the two disagree.
        """
        vals = valeurs(dossier, self._champs)
        tirees = self._moteur.declenchees(vals)
        evaluation = self._evaluation(dossier, vals)
        vraies = {r.id for r in evaluation.regles if r.resultat == Verite.vrai}
        if tirees != vraies:
            raise MoteurIncoherent(
                f"désaccord entre durable-rules et l'évaluateur Python pour le dossier {dossier.identifiant} : "
                f"seulement durable-rules {sorted(tirees - vraies)}, seulement Python {sorted(vraies - tirees)}")
        return evaluation

    def evaluer_python(self, dossier: Dossier) -> EvaluationRegles:
        """Same result as :meth:`evaluer`, computed by the Python evaluator only (for batches)."""
        return self._evaluation(dossier, valeurs(dossier, self._champs))

    def declenchees_moteur(self, dossier: Dossier) -> frozenset[str]:
        """Ids of the rules and grid lines durable-rules fires (every matching grid line)."""
        return self._moteur.declenchees(valeurs(dossier, self._champs))

    def declenchees_python(self, dossier: Dossier) -> frozenset[str]:
        """Ids of the rules and grid lines whose condition is *vrai* (Python evaluator)."""
        vals = valeurs(dossier, self._champs)
        return frozenset(r.id for r in self._toutes if verite(r.si, vals) == Verite.vrai)

    def issue(self, dossier: Dossier) -> Issue:
        """Modality, grid proposal and fired ids (same semantics as :meth:`evaluer`), truth values only."""
        vals = valeurs(dossier, self._champs)
        tirees = {r.id for r in self.regles if verite(r.si, vals) == Verite.vrai}
        modalites = [r.effet.modalite for r in self.regles if r.id in tirees and r.effet.modalite is not None]
        proposition: Optional[Regle] = None
        for g in self.grilles:
            ligne = next((x for x in g.lignes if verite(x.si, vals) == Verite.vrai), None)
            if ligne is not None:
                tirees.add(ligne.id)
                proposition = proposition or ligne
        return Issue(max(modalites, key=lambda m: m.force) if modalites else None, proposition, frozenset(tirees))


    def _evaluation(self, dossier: Dossier, vals: dict[str, Any]) -> EvaluationRegles:
        evaluees: list[RegleEvaluee] = []
        for r in self.regles:
            res, details = evaluer(r.si, vals)
            evaluees.append(_regle_evaluee(r, res, res == Verite.vrai, details))
        proposition: Optional[RegleEvaluee] = None
        for g in self.grilles:
            retenue = False
            for ligne in g.lignes:
                res, details = evaluer(ligne.si, vals)
                choisie = res == Verite.vrai and not retenue
                retenue = retenue or choisie
                ev = _regle_evaluee(ligne, res, choisie, details)
                evaluees.append(ev)
                if choisie and proposition is None:
                    proposition = ev
        modalites = [r.effet.modalite for r in evaluees if r.declenchee and r.effet.modalite is not None]
        modalite = max(modalites, key=lambda m: m.force) if modalites else None
        ordre = [r for r in evaluees if r.declenchee] + [r for r in evaluees if not r.declenchee]
        return EvaluationRegles(version_regles=self.version, departement=self.departement, scenario=self.scenario,
                                regles=ordre, modalite=modalite, proposition_grille=proposition)

    def __repr__(self) -> str:
        return (f"Referentiel(departement={self.departement!r}, scenario={self.scenario}, "
                f"regles={len(self.regles)}, grilles={len(self.grilles)}, version={self.version[:12]})")


def _regle_evaluee(r: Regle, res: Verite, declenchee: bool, details: list[Any]) -> RegleEvaluee:
    return construire(  # typed values built here: no re-validation needed
        RegleEvaluee, id=r.id, titre=r.titre, description=r.description, reference=r.reference, source=r.source,
        groupe=r.groupe, priorite=r.priorite, resultat=res, declenchee=declenchee, conditions=details,
        conditions_non_remplies=sum(1 for c in details if c.resultat != Verite.vrai), effet=r.effet)


# --------------------------------------------------------------------------- verification (CLI)


def verifier(chemin: Path | str) -> list[str]:
    """Validate a rules directory (or one file) and return French report lines.

    Lines of errors start with ``ERREUR``; the others with ``OK``.  Used by
    ``orientation regles verifier rules/``.
    """
    chemin = Path(chemin)
    lignes: list[str] = []
    if chemin.is_file():
        racine = chemin.parent.parent if chemin.parent.name == "departements" else chemin.parent
        fichiers = [chemin]
    else:
        racine = chemin
        fichiers = [chemin / "national.yaml"] + sorted((chemin / "departements").glob("*.yaml"))
    national = racine / "national.yaml"
    try:
        nationales = charger_national(national)
    except ReglesInvalides as exc:
        return [f"ERREUR {exc}"]
    for f in fichiers:
        if f.resolve() == national.resolve():
            lignes.append(f"OK {national} : {len(nationales)} règle(s) nationale(s)")
            continue
        code = f.stem
        try:
            if code not in DEPARTEMENTS:
                raise ReglesInvalides(str(f), None, f"nom de fichier « {f.name} » : code de département inconnu")
            dep = charger_departement(f, code, nationales, f"departements/{f.name}")
            toutes = dep.regles + [x for g in dep.grilles for x in g.lignes]
            try:
                MoteurDurable([(r.id, r.si) for r in toutes]).fermer()
            except MoteurIncoherent as exc:
                raise ReglesInvalides(str(f), None, f"compilation vers durable-rules impossible : {exc}") from None
            except Exception as exc:  # the engine's own errors are in English
                raise ReglesInvalides(str(f), None, _erreur_moteur(exc)) from None
        except ReglesInvalides as exc:
            lignes.append(f"ERREUR {exc}")
            continue
        grilles = ", ".join(f"{g.id} ({len(g.lignes)} lignes)" for g in dep.grilles) or "aucune grille"
        lignes.append(f"OK {f} : scénario {dep.scenario}, {len(dep.regles)} règle(s), {grilles}")
    return lignes
