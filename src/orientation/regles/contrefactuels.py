"""Counterfactuals of the rules: single-field changes of a dossier that change their outcome.

:func:`candidats` lists the single-field changes worth trying (values the rules mention);
:class:`Rejoueur` re-evaluates the référentiel on the dossier with one field changed, recomputing
only the rules and grid lines that read that field (same truth values as a full re-evaluation:
the other conditions do not read it); :func:`contrefactuels` keeps the changes that alter the
rules' outcome, so every counterfactual is true by construction.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from pydantic import BaseModel, ConfigDict

from orientation.dossier import codes
from orientation.dossier.schema import (Composition, Dossier, Fragilite, InscriptionFT, MotifModificationParcours,
                                        NatureParcoursCAF, NiveauFrein)
from orientation.regles.champs import CHAMPS, Champ, valeur_json
from orientation.regles.conditions import Atome, Condition, Tous, Toujours, atomes, tester, valeurs
from orientation.vocabulaire import Modalite, Parcours, Verite

from orientation.regles.referentiel import Issue

if TYPE_CHECKING:
    from orientation.regles.fichiers import Regle
    from orientation.regles.referentiel import Referentiel, VersionRegles



class Contrefactuel(BaseModel):
    """A single-field change that changes the rules' outcome, found by re-evaluating the dossier."""

    model_config = ConfigDict(frozen=True)

    champ: str
    libelle_champ: str
    valeur_actuelle: Any
    valeur_alternative: Any
    changements: list[str]
    effet: str
    regles: list[str]
    modalite: Optional[Modalite]
    parcours: Optional[Parcours]


def _candidats(ch: Champ, actuel: Any, mentionnes: list[Any]) -> list[Any]:
    vides: list[Any] = [] if ch.toujours_renseigne else [None]
    if ch.genre == "booleen":
        out: list[Any] = [True, False] + vides
    elif ch.genre == "code":
        out = [n for n, _ in ch.codes if ch.chemin != "departement"] + vides
    elif ch.multiple:
        base = list(actuel) if actuel is not None else []
        # adding a code also drops the "none" code (« aucune difficulté ») it contradicts
        out = [sorted(set(base) - {m} if m in base else (set(base) - _AUCUN) | {m}, key=_rang(ch))
               for m in mentionnes]
        out += ([[]] if actuel is None else []) + vides
    elif ch.genre == "entier":
        out = sorted({m + d for m in mentionnes for d in (-1, 0, 1)}) + vides
    else:
        out = []
    return [x for x in out if x != actuel]


_AUCUN = frozenset({"aucun", "aucune"})


def _rang(ch: Champ) -> Callable[[Any], Any]:
    ordre = {n: i for i, (n, _) in enumerate(ch.codes)}
    return lambda x: ordre.get(x, x if isinstance(x, int) else 0)


def modifier_dossier(dossier: Dossier, chemin: str, valeur: Any) -> Dossier:
    """The dossier with one field (rule path, readable value as in a :class:`Contrefactuel`) changed."""
    if chemin.startswith("dsp."):
        nom = chemin[4:]
        champ_dsp = codes.PAR_NOM[nom]
        if valeur is not None and champ_dsp.kind in ("code", "codes"):
            en = codes.ENUMS[nom]
            valeur = [en(x) for x in valeur] if champ_dsp.kind == "codes" else en(valeur)
        dsp: BaseModel = dossier.dsp
        return dossier.model_copy(update={"dsp": dsp.model_copy(update={nom: valeur})})
    if chemin.startswith("diagnostic."):
        nom = chemin[len("diagnostic."):]
        if valeur is not None and nom.startswith("frein_"):
            valeur = NiveauFrein(valeur)
        return dossier.model_copy(update={"diagnostic": dossier.diagnostic.model_copy(update={nom: valeur})})
    if chemin.startswith("foyer."):
        nom = chemin[6:]
        if nom == "composition":
            valeur = Composition(valeur)
        return dossier.model_copy(update={"foyer": dossier.foyer.model_copy(update={nom: valeur})})
    if valeur is not None and chemin == "inscription_france_travail":
        valeur = InscriptionFT(valeur)
    if valeur is not None and chemin in ("preorientation_caf", "parcours_modifie_caf"):
        valeur = NatureParcoursCAF(valeur)
    if valeur is not None and chemin == "motif_modification_parcours_caf":
        valeur = MotifModificationParcours(valeur)
    if valeur is not None and chemin == "fragilites_declarees":
        valeur = [Fragilite(x) for x in valeur]
    return dossier.model_copy(update={chemin: valeur})


def candidats(referentiel: Referentiel, dossier: Dossier) -> list[tuple[Champ, Any, Any]]:
    """Single-field changes worth trying: ``(field, current value, other value)``, readable values.

    For every plain field a rule or grid line tests (not dates nor the département): the other
    codes, ``oui``/``non``, « non renseigné », the mentioned codes added or removed, the mentioned
    numbers ±1.
    """
    mentionnes: dict[str, list[Any]] = {}
    for r in referentiel.toutes_regles():
        for a in atomes(r.si):
            if a.champ.chemin in CHAMPS:
                vals = a.valeur if isinstance(a.valeur, tuple) else (a.valeur,)
                lst = mentionnes.setdefault(a.champ.chemin, [])
                lst.extend(v for v in vals if v not in lst and not isinstance(v, bool))
    out = []
    for chemin, ments in mentionnes.items():
        ch = CHAMPS[chemin]
        if ch.genre == "date" or chemin == "departement":
            continue
        actuel = ch.lire(dossier)
        out.extend((ch, actuel, alt) for alt in _candidats(ch, actuel, ments))
    return out


_VRAI, _FAUX, _INCONNU = Verite.vrai, Verite.faux, Verite.inconnu
Evaluateur = Callable[[dict[str, Any]], Verite]


def compiler(c: Condition) -> Evaluateur:
    """The condition as a function of the readable values: same Kleene truth as :func:`conditions.verite`.

    Built once per rule; it stops at the first sub-condition that decides (« faux » in an ``all``,
    « vrai » in an ``any``), which gives the same truth value.
    """
    if isinstance(c, Atome):
        chemin = c.champ.chemin
        return lambda vals: tester(c, vals[chemin])
    if isinstance(c, Toujours):
        return lambda vals: _VRAI
    items = tuple(compiler(x) for x in c.items)  # type: ignore[union-attr]
    fort, faible = (_FAUX, _VRAI) if isinstance(c, Tous) else (_VRAI, _FAUX)

    def evaluer(vals: dict[str, Any]) -> Verite:
        inconnu = False
        for item in items:
            r = item(vals)
            if r is fort:
                return fort
            inconnu = inconnu or r is _INCONNU
        return _INCONNU if inconnu else faible

    return evaluer


@dataclass(frozen=True)
class _Index:
    """What the replay needs of one version of the rules, built once (read-only, shared between threads)."""

    regles_lisant: dict[str, list[Regle]]  # plain field -> rules and grid lines reading it
    champs_lisant: dict[str, list[Champ]]  # plain field -> rule fields computed from it
    evaluateurs: dict[str, Evaluateur]  # rule or grid line id -> compiled condition
    ids_regles: frozenset[str]  # rules (not grid lines)
    a_modalite: tuple[Regle, ...]  # rules setting a modality, in evaluation order
    lignes: dict[str, int]  # grid line id -> rank of its grid


@functools.lru_cache(maxsize=32)
def _index(version: VersionRegles) -> _Index:
    regles: dict[str, list[Regle]] = defaultdict(list)
    for r in version._toutes:
        for base in dict.fromkeys(b for a in atomes(r.si) for b in a.champ.bases):
            regles[base].append(r)
    champs: dict[str, list[Champ]] = defaultdict(list)
    for c in version._champs:
        for base in c.bases:
            champs[base].append(c)
    return _Index(dict(regles), dict(champs), {r.id: compiler(r.si) for r in version._toutes},
                  frozenset(r.id for r in version.regles),
                  tuple(r for r in version.regles if r.effet.modalite is not None),
                  {x.id: k for k, g in enumerate(version.grilles) for x in g.lignes})


class Rejoueur:
    """The rules' outcome for one dossier with one field changed, re-evaluating only what reads that field.

    The outcome is recomputed from the truth values that changed: same result as
    :meth:`VersionRegles.issue_verites` on all of them (checked by a property test).
    """

    def __init__(self, referentiel: Referentiel, dossier: Dossier):
        self.dossier = dossier
        self.version: VersionRegles = referentiel.en_vigueur(dossier.date_demande)
        v = self.version
        self._index = _index(v)
        self._vals = valeurs(dossier, v._champs)
        self._verites: dict[str, Verite] = {r.id: self._index.evaluateurs[r.id](self._vals) for r in v._toutes}
        self.avant: Issue = v.issue_verites(lambda r: self._verites[r.id])
        self._tirees_regles = frozenset(r.id for r in v.regles if self._verites[r.id] == _VRAI)
        self._choix = [next((x for x in g.lignes if self._verites[x.id] == _VRAI), None) for g in v.grilles]

    def issue(self, chemin: str, valeur: Any) -> Issue:
        """The outcome with field ``chemin`` set to ``valeur`` (readable form, as :func:`candidats` gives)."""
        vals = dict(self._vals)
        champs = self._index.champs_lisant.get(chemin, [])
        if any(c.chemin != chemin for c in champs):  # a derived value reads it: compute from the changed dossier
            change = modifier_dossier(self.dossier, chemin, valeur)
            for c in champs:
                vals[c.chemin] = c.lire(change)
        elif champs:
            vals[chemin] = valeur
        changees = {}
        evaluateurs = self._index.evaluateurs
        for r in self._index.regles_lisant.get(chemin, ()):
            v = evaluateurs[r.id](vals)
            if v != self._verites[r.id]:
                changees[r.id] = v
        if not changees:  # the outcome is a function of the truth values only
            return self.avant
        return self._issue(changees)

    def _issue(self, changees: dict[str, Verite]) -> Issue:
        """:meth:`VersionRegles.issue_verites` recomputed from the truth values that changed."""
        ix = self._index
        tirees = set(self._tirees_regles)
        modalite = self.avant.modalite
        if not ix.ids_regles.isdisjoint(changees):
            for rid, v in changees.items():
                if rid in ix.ids_regles:
                    (tirees.add if v == _VRAI else tirees.discard)(rid)
            modalites = [r.effet.modalite for r in ix.a_modalite if r.id in tirees]
            modalite = max(modalites, key=lambda m: m.force) if modalites else None  # type: ignore[union-attr]
        grilles = {ix.lignes[rid] for rid in changees if rid in ix.lignes}
        proposition = None
        for k, g in enumerate(self.version.grilles):
            choisie = self._choix[k]
            if k in grilles:
                choisie = next((x for x in g.lignes if changees.get(x.id, self._verites[x.id]) == _VRAI), None)
            if choisie is not None:
                tirees.add(choisie.id)
                proposition = proposition or choisie
        return Issue(modalite, proposition, frozenset(tirees))


def contrefactuels(referentiel: Referentiel, dossier: Dossier) -> list[Contrefactuel]:
    """Single-field changes of the dossier that change the modality or the grid's route.

    Each candidate value of each plain field tested by the référentiel's rules is re-evaluated
    (:class:`Rejoueur`, truth values only); for each field the first value giving each distinct
    new outcome (modality, route) is kept.
    """
    rejoueur = Rejoueur(referentiel, dossier)
    avant = rejoueur.avant
    titres = {r.id: r.titre for r in referentiel.toutes_regles()}
    out: list[Contrefactuel] = []
    vus: dict[str, set[Any]] = {}
    for ch, actuel, alt in candidats(referentiel, dossier):
        apres = rejoueur.issue(ch.chemin, alt)
        deja = vus.setdefault(ch.chemin, {avant.cle})
        if apres.cle in deja:
            continue
        deja.add(apres.cle)
        out.append(_contrefactuel(ch, actuel, alt, avant, apres, titres))
    return out


def _contrefactuel(ch: Champ, actuel: Any, alt: Any, avant: Any, apres: Any, titres: dict[str, str]) -> Contrefactuel:
    effets = []
    m0, m1 = avant.modalite, apres.modalite
    f0, f1 = avant.declenchees, apres.declenchees
    changees = sorted(f0 ^ f1)
    if m0 != m1:
        def lm(m: Optional[Modalite]) -> str:
            return m.libelle if m else "aucune modalité imposée par les règles"
        nouvelles = [f"« {titres[i]} »" for i in sorted(f1 - f0)]
        pourquoi = f" (règle {', '.join(nouvelles)})" if nouvelles else ""
        effets.append(f"la modalité serait « {lm(m1)} » au lieu de « {lm(m0)} »{pourquoi}")
    p0, p1 = avant.proposition, apres.proposition
    par0 = p0.effet.parcours if p0 is not None else None
    par1 = p1.effet.parcours if p1 is not None else None
    if par0 != par1:
        def lp(p: Any) -> str:
            return p.libelle if p else "aucune pré-orientation"
        ligne = f" (ligne « {p1.titre} »)" if p1 is not None else ""
        if par0 and par1:
            effets.append(f"la grille de pré-orientation proposerait le {lp(par1)} au lieu du {lp(par0)}{ligne}")
        else:
            effets.append(f"la pré-orientation serait « {lp(par1)} » au lieu de « {lp(par0)} »{ligne}")
    changement = (f"« {ch.libelle} » était « {ch.libelle_valeur(alt)} » "
                  f"(au lieu de « {ch.libelle_valeur(actuel)} »)")
    return Contrefactuel(
        champ=ch.chemin, libelle_champ=ch.libelle, valeur_actuelle=valeur_json(actuel), valeur_alternative=valeur_json(alt),
        changements=[changement], effet=" ; ".join(effets), regles=changees, modalite=m1,
        parcours=par1)
