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

**Dated rules.**  Rules, grids and grid lines may carry ``en_vigueur: {du: ..., au: ...}``
(:mod:`orientation.regles.vigueur`).  The référentiel cuts time at every bound and builds one
:class:`VersionRegles` per segment (the rules in force then, compiled to durable-rules); a
dossier is evaluated with the version in force at its request date, or at an explicit date.
Several versions of one id (disjoint periods) are allowed; in :attr:`Referentiel.regles` (every
version, for bulk runs and counterfactuals) the first keeps the id and each later one is named
``<id>@<first day in force>`` (``primo_demandeur@2025-01-01``), the name decisions report.

>>> ref = Referentiel.charger("93")
>>> ref.scenario, len(ref.version)
(4, 64)
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Optional

from orientation.donnees import repertoire
from orientation.dossier.schema import DEPARTEMENTS, Dossier
from orientation.erreurs import ReglesInvalides
from orientation.regles.conditions import atomes, cle, construire, evaluer, valeurs, verite
from orientation.regles.evaluation import CodesDepartement, EvaluationRegles, RegleEvaluee, VigueurRegles
from orientation.regles.fichiers import (  # noqa: F401 - re-exported (limits, parsing of the national file)
    NOMBRE_MAX_CONDITIONS,
    NOMBRE_MAX_REGLES,
    FichierDepartemental,
    FichierNational,
    Grille,
    Regle,
    charger_departement,
    charger_national,
    lire_national,
    regle_scenario,
    verifier_lignes,
)
from orientation.regles.lecture import lire_yaml  # noqa: F401 - re-exported for the test cases
from orientation.regles.moteur_durable import MoteurDurable, MoteurIncoherent
from orientation.regles.vigueur import Periode, representant, segments
from orientation.vocabulaire import Modalite, Parcours, Verite



#: Environment variable naming the rules directory (listed in the README, « Configuration »).
VARIABLE_ENV_REGLES = "ORIENTATION_REGLES"


def dossier_regles_defaut() -> Path:
    """``$ORIENTATION_REGLES`` if set, else the rules shipped with the library (``rules/`` of the repository)."""
    env = os.environ.get(VARIABLE_ENV_REGLES)
    return Path(env) if env else repertoire("regles")



# --------------------------------------------------------------------------- model


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


#: durable-rules' own error codes when it refuses a ruleset (measured with durable-rules 2.0.28).
_CODES_MOTEUR = {106: "trop de règles ou de conditions pour le moteur",
                 108: "plus de 256 règles partagent une même comparaison : regrouper ces règles",
                 113: "une condition compte trop de comparaisons pour le moteur (au plus une trentaine d'expressions "
                      "par règle, chaque comparaison en coûtant deux) : la simplifier ou la scinder"}


def _erreur_moteur(exc: Exception) -> str:
    """French reason for an error of the durable-rules engine itself."""
    trouve = re.search(r"error code: (\d+)", str(exc))
    code = int(trouve.group(1)) if trouve else None
    detail = _CODES_MOTEUR.get(code or 0, "limite interne du moteur atteinte")
    return f"compilation vers durable-rules impossible : {detail}" + (f" (code {code})" if code else "")


# --------------------------------------------------------------------------- versions in force


@dataclass
class _Instantane:
    periode: Periode
    regles: list[Regle]
    grilles: list[Grille]
    ordre_grilles: tuple[str, ...] = ()  # every grid of the référentiel, in evaluation order


def _instantanes(national: FichierNational, dep: Optional[FichierDepartemental], nom_dep: str) -> list[_Instantane]:
    """The rules and grids in force over each segment of time, versions of one id renamed ``id@date``."""
    grilles = dep.grilles if dep else []
    entrees = dep.regles if dep else []
    scenario = regle_scenario(dep.scenario, nom_dep) if dep and dep.scenario != 4 else None
    fichier_de = {g.id: (national.fichier if g.source == "national.yaml" else dep.fichier if dep else "")
                  for g in grilles}
    periodes = ([r.vigueur for r in national.regles] + [r.vigueur for r, _, _ in entrees]
                + [g.vigueur for g in grilles] + [x.vigueur for g in grilles for x in g.lignes])
    out: list[_Instantane] = []
    for seg in segments(periodes):
        jour = representant(seg)
        regles = [r for r in national.regles if r.vigueur.contient(jour)]
        for r, _, desactive in entrees:
            if not r.vigueur.contient(jour):
                continue
            pos = next((j for j, x in enumerate(regles) if x.id == r.id), None)
            if pos is not None:
                del regles[pos]
            if not desactive:
                regles.append(r)
        if scenario is not None:
            regles.insert(0, scenario)
        en_vigueur = []
        for g in grilles:
            lignes = tuple(x for x in g.lignes if x.vigueur.contient(jour)) if g.vigueur.contient(jour) else ()
            if lignes:
                en_vigueur.append(Grille(g.id, g.titre, g.description, g.reference, g.source, lignes, g.vigueur))
                verifier_lignes(en_vigueur[-1], fichier_de[g.id], seg)
        out.append(_Instantane(seg, regles, en_vigueur, tuple(g.id for g in grilles)))
    return _renommer(out)


def _renommer(instantanes: list[_Instantane]) -> list[_Instantane]:
    """Give each version of a multi-version id its own id: the first keeps it, later ones get ``@<date>``."""
    premiers: dict[str, list[tuple[Regle, Periode]]] = {}
    for inst in instantanes:
        for r in inst.regles + [x for g in inst.grilles for x in g.lignes]:
            versions = premiers.setdefault(r.id, [])
            if all(v is not r for v, _ in versions):
                versions.append((r, inst.periode))
    nouveaux: dict[int, Regle] = {}
    for rid, versions in premiers.items():
        for rang, (r, debut) in enumerate(versions):
            if rang > 0 and debut.du is not None:
                nouveaux[id(r)] = dataclasses.replace(r, id=f"{rid}@{debut.du.isoformat()}")
    if not nouveaux:
        return instantanes

    def nv(r: Regle) -> Regle:
        return nouveaux.get(id(r), r)

    return [_Instantane(i.periode, [nv(r) for r in i.regles],
                        [dataclasses.replace(g, lignes=tuple(nv(x) for x in g.lignes)) for g in i.grilles],
                        i.ordre_grilles)
            for i in instantanes]


def _empreinte(regles: list[Regle], grilles: list[Grille], scenario: int) -> str:
    """SHA-256 of the content of a set of rules in force (identifies a version of the rules)."""
    h = hashlib.sha256(f"scenario {scenario}\0".encode())
    for r in regles + [x for g in grilles for x in g.lignes]:
        h.update(repr((r.id, r.groupe, r.source, r.titre, r.reference, r.priorite, cle(r.si),
                       r.effet.model_dump_json())).encode() + b"\0")
    return h.hexdigest()


class VersionRegles:
    """The rules and grids in force over one period, compiled to durable-rules."""

    def __init__(self, departement: str, scenario: int, periode: Periode, regles: list[Regle],
                 grilles: list[Grille], version: str, codes: CodesDepartement = CodesDepartement()):
        self.departement = departement
        self.codes = codes
        self.scenario = scenario
        self.periode = periode
        self.regles: list[Regle] = sorted(regles, key=lambda r: (r.priorite, r.ordre))
        self.grilles: list[Grille] = grilles
        self.version = version
        self.empreinte = _empreinte(self.regles, grilles, scenario)
        self._toutes = self.regles + [ligne for g in grilles for ligne in g.lignes]
        self._moteur = MoteurDurable([(r.id, r.si) for r in self._toutes])
        champs: dict[str, Any] = {}
        for r in self._toutes:
            for a in atomes(r.si):
                champs.setdefault(a.champ.chemin, a.champ)
        self._champs = list(champs.values())

    def vigueur(self, jour: date) -> VigueurRegles:
        return VigueurRegles(date_application=jour, du=self.periode.du, au=self.periode.au, empreinte=self.empreinte,
                             libelle=self.periode.libelle())

    def evaluer(self, dossier: Dossier, jour: date) -> EvaluationRegles:
        vals = valeurs(dossier, self._champs)
        tirees = self._moteur.declenchees(vals)
        evaluation = self._evaluation(vals, jour)
        vraies = {r.id for r in evaluation.regles if r.resultat == Verite.vrai}
        if tirees != vraies:
            raise MoteurIncoherent(
                f"désaccord entre durable-rules et l'évaluateur Python pour le dossier {dossier.identifiant} : "
                f"seulement durable-rules {sorted(tirees - vraies)}, seulement Python {sorted(vraies - tirees)}")
        return evaluation

    def issue(self, dossier: Dossier) -> Issue:
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

    def _evaluation(self, vals: dict[str, Any], jour: date) -> EvaluationRegles:
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
                                regles=ordre, modalite=modalite, proposition_grille=proposition,
                                vigueur=self.vigueur(jour), codes_departement=self.codes)


# --------------------------------------------------------------------------- référentiel


class Referentiel:
    """The rules that apply in one département, one :class:`VersionRegles` per period; cached per process."""

    _cache: ClassVar[dict[tuple[str, str], Referentiel]] = {}
    _verrou_cache: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, departement: str, scenario: int, instantanes: list[_Instantane], version: str,
                 fichiers: list[str], codes: CodesDepartement = CodesDepartement()):
        self.departement = departement
        #: labels and France Travail codes of the routes from the département file (orientation.codes_sortie)
        self.codes = codes
        self.scenario = scenario
        self.version = version
        self.fichiers = fichiers
        self.versions: list[VersionRegles] = [VersionRegles(departement, scenario, i.periode, i.regles, i.grilles,
                                                            version, codes) for i in instantanes]
        # every version of every rule and grid line, for bulk runs and counterfactuals
        regles: dict[int, Regle] = {}
        lignes: dict[str, dict[int, Regle]] = {}
        grilles: dict[str, Grille] = {}
        for v in self.versions:
            regles.update((id(r), r) for r in v.regles)
            for g in v.grilles:
                grilles.setdefault(g.id, g)
                lignes.setdefault(g.id, {}).update((id(x), x) for x in g.lignes)
        self.regles: list[Regle] = sorted(regles.values(), key=lambda r: (r.priorite, r.ordre))
        ordre = instantanes[0].ordre_grilles
        self.grilles: list[Grille] = [dataclasses.replace(
            g, lignes=tuple(sorted(lignes[g.id].values(), key=lambda r: (r.priorite, r.ordre))))
            for g in sorted(grilles.values(), key=lambda g: ordre.index(g.id))]
        self._toutes = self.regles + [ligne for g in self.grilles for ligne in g.lignes]
        #: rule id -> periods of the versions (of the référentiel) in which it is in force
        self.vigueur_par_id: dict[str, list[Periode]] = {}
        for v in self.versions:
            for r in v._toutes:
                self.vigueur_par_id.setdefault(r.id, []).append(v.periode)

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
        fichier_dep = racine / "departements" / f"{departement}.yaml"
        return cls.depuis_fichiers(departement, national, fichier_dep if fichier_dep.is_file() else None)

    @classmethod
    def depuis_fichiers(cls, departement: str, national: Path, fichier_dep: Optional[Path]) -> "Referentiel":
        """Build (without cache) from a national file and an optional département file."""
        nat = lire_national(national)
        fichiers = [("national.yaml", national)]
        dep, nom = None, f"departements/{departement}.yaml"
        if fichier_dep is not None:
            dep = charger_departement(fichier_dep, departement, nat, nom)
            fichiers.append((nom, fichier_dep))
        h = hashlib.sha256()
        for n, chemin in fichiers:
            h.update(n.encode() + b"\0" + chemin.read_bytes() + b"\0")
        fautif = str(fichier_dep or national)
        try:
            return cls(departement, dep.scenario if dep else 4, _instantanes(nat, dep, nom), h.hexdigest(),
                       [n for n, _ in fichiers], dep.codes if dep else CodesDepartement())
        except MoteurIncoherent as exc:  # e.g. too many fact properties for durable-rules
            raise ReglesInvalides(fautif, None, f"compilation vers durable-rules impossible : {exc}") from None
        except ReglesInvalides:
            raise
        except Exception as exc:  # the engine's own errors (e.g. its rule limit) are in English
            raise ReglesInvalides(fautif, None, _erreur_moteur(exc)) from None

    # ------------------------------------------------------------------ versions

    def en_vigueur(self, jour: date) -> VersionRegles:
        """The version of the rules in force on a date."""
        return next(v for v in self.versions if v.periode.contient(jour))

    @property
    def _moteur(self) -> MoteurDurable:
        """durable-rules ruleset of the latest version (the only one when nothing is dated)."""
        return self.versions[-1]._moteur

    def toutes_regles(self) -> list[Regle]:
        """Every version of the rules then of the grid lines, in evaluation order."""
        return list(self._toutes)

    # ------------------------------------------------------------------ evaluation

    def evaluer(self, dossier: Dossier, a_la_date: Optional[date] = None) -> EvaluationRegles:
        """Evaluate with the rules in force at ``a_la_date`` (default: the request date), durable-rules deciding
        which rules fire and the Python evaluator giving the details.

        Raises :class:`orientation.regles.moteur_durable.MoteurIncoherent` if the two disagree.
        """
        jour = a_la_date or dossier.date_demande
        return self.en_vigueur(jour).evaluer(dossier, jour)

    def evaluer_python(self, dossier: Dossier, a_la_date: Optional[date] = None) -> EvaluationRegles:
        """Same result as :meth:`evaluer`, computed by the Python evaluator only (for batches)."""
        jour = a_la_date or dossier.date_demande
        v = self.en_vigueur(jour)
        return v._evaluation(valeurs(dossier, v._champs), jour)

    def declenchees_moteur(self, dossier: Dossier, a_la_date: Optional[date] = None) -> frozenset[str]:
        """Ids of the rules and grid lines durable-rules fires (every matching grid line)."""
        v = self.en_vigueur(a_la_date or dossier.date_demande)
        return v._moteur.declenchees(valeurs(dossier, v._champs))

    def declenchees_python(self, dossier: Dossier, a_la_date: Optional[date] = None) -> frozenset[str]:
        """Ids of the rules and grid lines whose condition is *vrai* (Python evaluator)."""
        v = self.en_vigueur(a_la_date or dossier.date_demande)
        vals = valeurs(dossier, v._champs)
        return frozenset(r.id for r in v._toutes if verite(r.si, vals) == Verite.vrai)

    def issue(self, dossier: Dossier, a_la_date: Optional[date] = None) -> Issue:
        """Modality, grid proposal and fired ids (same semantics as :meth:`evaluer`), truth values only."""
        return self.en_vigueur(a_la_date or dossier.date_demande).issue(dossier)

    def __repr__(self) -> str:
        return (f"Referentiel(departement={self.departement!r}, scenario={self.scenario}, "
                f"regles={len(self.regles)}, grilles={len(self.grilles)}, versions={len(self.versions)}, "
                f"version={self.version[:12]})")


def _regle_evaluee(r: Regle, res: Verite, declenchee: bool, details: list[Any]) -> RegleEvaluee:
    return construire(  # typed values built here: no re-validation needed
        RegleEvaluee, id=r.id, titre=r.titre, description=r.description, reference=r.reference, source=r.source,
        groupe=r.groupe, priorite=r.priorite, resultat=res, declenchee=declenchee, conditions=details,
        conditions_non_remplies=sum(1 for c in details if c.resultat != Verite.vrai), effet=r.effet,
        en_vigueur_du=r.vigueur.du, en_vigueur_au=r.vigueur.au)


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
        nat = lire_national(national)
    except ReglesInvalides as exc:
        return [f"ERREUR {exc}"]
    for f in fichiers:
        if f.resolve() == national.resolve():
            grilles = f", grille(s) à choisir : {', '.join(g.id for g in nat.grilles)}" if nat.grilles else ""
            lignes.append(f"OK {national} : {len(nat.regles)} règle(s) nationale(s){grilles}")
            continue
        code = f.stem
        try:
            if code not in DEPARTEMENTS:
                raise ReglesInvalides(str(f), None, f"nom de fichier « {f.name} » : code de département inconnu")
            ref = Referentiel.depuis_fichiers(code, national, f)
        except ReglesInvalides as exc:
            lignes.append(f"ERREUR {exc}")
            continue
        grilles = ", ".join(f"{g.id} ({len(g.lignes)} lignes)" for g in ref.grilles) or "aucune grille"
        periodes = (f", {len(ref.versions)} périodes de vigueur ("
                    + " ; ".join(v.periode.libelle() for v in ref.versions) + ")") if len(ref.versions) > 1 else ""
        for v in ref.versions:
            v._moteur.fermer()
        lignes.append(f"OK {f} : scénario {ref.scenario}, {len(ref.regles)} règle(s), {grilles}{periodes}")
    return lignes
