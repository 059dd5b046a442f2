"""Compilation of the rules to durable-rules 2.0.28, the runtime that decides which rules fire.

Each rule and grid line of a référentiel becomes one rule of a durable-rules ruleset (JSON/dict
form).  A dossier is posted as one **fact**: a flat dict of the values the rules test, under safe
names (``v_dsp_logement``, ``v_age_date_demande``), with every non-renseigné value **omitted**;
the actions only record the id of the rule that fired.

Hazards of the engine and how they are guarded (see also ``tests/test_moteur.py``):

* The session state is itself a fact (``{'sid': '0', 'id': 'sid-0', '$s': 1}``): a rule whose
  condition it can satisfy (e.g. ``$nex`` alone) fires forever and the call never returns.  Every
  rule is therefore ``$and: [GARDE, condition]`` with ``GARDE = {'_t': 'dossier'}`` set on every fact,
  and no fact property is named ``id`` or ``sid``.
* ``MessageObservedException``: facts are deduplicated by content; each fact carries a unique
  counter ``_n`` and is retracted right after its evaluation, so the session stays empty.
* ``MessageNotHandledException``: a catch-all rule (``_recu``) matches every dossier fact; it
  also proves that the engine saw the fact.
* Threads: the native engine is process-global state and loses firings when used concurrently;
  every engine call is made under the module-level lock :data:`VERROU`.  The host is a
  :class:`durable.engine.Host` whose background dispatch threads are disabled, so actions run
  synchronously in the calling thread.
* Memory: assert + retract in one session keeps the memory flat (checked over 20,000 dossiers).
* The engine has no ``not``: conditions are compiled from negation normal form (see
  :mod:`orientation.regles.conditions`); each atom first checks that its field exists (``$ex``), which
  gives exactly the Kleene semantics (an atom on an absent field is never *vrai*).
* Multi-valued fields are posted as their number of items (``v_dsp_difficultes_sociales = 2``)
  plus one 0/1 flag per code the rules mention (``v_dsp_difficultes_sociales__sante``); a fact may
  hold at most 252 properties, checked at compilation.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from datetime import date
from typing import Any, Callable, Sequence

import durable_rules_engine
from durable.engine import Host

from orientation.regles.champs import Champ
from orientation.regles.conditions import Atome, Condition, Toujours, Tous, Valeurs, atomes
from orientation.erreurs import OrientationError

#: Lock held around every call into durable-rules (process-global native state).
VERROU = threading.RLock()

GARDE: dict[str, Any] = {"_t": "dossier"}
REGLE_RECU = "_recu"
PROPRIETES_MAX = 250


class MoteurIncoherent(OrientationError, RuntimeError):
    """Internal error: durable-rules and the Python evaluator disagree, or the engine misbehaved."""


class _HoteSynchrone(Host):
    """A durable-rules host without its background dispatch threads: actions run in the caller."""

    def _run(self) -> None:
        return None


def nom_sur(ch: Champ) -> str:
    """Safe fact property name of a field (never ``id``/``sid``)."""
    return "v_" + re.sub(r"[^a-z0-9]+", "_", ch.chemin.lower()).strip("_")


def _drapeau(ch: Champ, code: Any) -> str:
    return f"{nom_sur(ch)}__{code}"


def _encoder(ch: Champ, v: Any) -> Any:
    if isinstance(v, date):
        return v.year * 10000 + v.month * 100 + v.day
    return v


_COMPARAISONS = {"different": "$neq", "inferieur": "$lt", "inferieur_ou_egal": "$lte", "superieur": "$gt",
                 "superieur_ou_egal": "$gte"}


def _et(items: list[dict[str, Any]]) -> dict[str, Any]:
    return items[0] if len(items) == 1 else {"$and": items}


def _ou(items: list[dict[str, Any]]) -> dict[str, Any]:
    return items[0] if len(items) == 1 else {"$or": items}


def compiler_atome(a: Atome) -> dict[str, Any]:
    """durable-rules expression that is true exactly when the atom is *vrai*."""
    ch, op, x = a.champ, a.operateur, a.valeur
    nom = nom_sur(ch)
    if op == "renseigne":
        return {"$ex" if x else "$nex": {nom: 1}}
    present = {"$ex": {nom: 1}}
    if ch.multiple:
        vals = x if isinstance(x, tuple) else (x,)
        oui = [{_drapeau(ch, v): 1} for v in vals]
        non = [{_drapeau(ch, v): 0} for v in vals]
        test = {"contient": _et(oui), "contient_tous": _et(oui), "contient_un_de": _ou(oui),
                "ne_contient_pas": _et(non), "ne_contient_aucun_de": _et(non), "ne_contient_pas_tous": _ou(non)}[op]
    elif op == "egal":
        test = {nom: _encoder(ch, x)}
    elif op == "dans":
        test = _ou([{nom: _encoder(ch, v)} for v in x])
    elif op == "hors_de":
        test = _et([{"$neq": {nom: _encoder(ch, v)}} for v in x])
    else:
        test = {_COMPARAISONS[op]: {nom: _encoder(ch, x)}}
    return {"$and": [present, test]}


def compiler(c: Condition) -> dict[str, Any]:
    """durable-rules expression (without the guard) true exactly when ``c`` is *vrai* (Kleene)."""
    if isinstance(c, Atome):
        return compiler_atome(c)
    if isinstance(c, Toujours):
        return dict(GARDE)
    parts = [compiler(x) for x in c.items]
    return _et(parts) if isinstance(c, Tous) else _ou(parts)


class MoteurDurable:
    """One durable-rules ruleset for a list of ``(rule id, condition)``; thread-safe."""

    _numeros = itertools.count(1)

    def __init__(self, regles: Sequence[tuple[str, Condition]]):
        self._tires: list[tuple[str, Any]] = []
        self._compteur = itertools.count(1)
        champs: dict[str, Champ] = {}
        drapeaux: dict[str, set[Any]] = {}
        for _, c in regles:
            for a in atomes(c):
                champs.setdefault(a.champ.chemin, a.champ)
                if a.champ.multiple and a.operateur != "renseigne":
                    vals = a.valeur if isinstance(a.valeur, tuple) else (a.valeur,)
                    drapeaux.setdefault(a.champ.chemin, set()).update(vals)
        self.champs: list[Champ] = list(champs.values())
        self._drapeaux = {k: sorted(v, key=str) for k, v in drapeaux.items()}
        noms = [nom_sur(c) for c in self.champs]
        if len(set(noms)) != len(noms):  # pragma: no cover - paths are distinct identifiers
            raise MoteurIncoherent("deux champs ont le même nom sûr dans le fait durable-rules")
        nb = 2 + len(noms) + sum(len(v) for v in self._drapeaux.values())
        if nb > PROPRIETES_MAX:
            raise MoteurIncoherent(f"trop de propriétés dans le fait durable-rules ({nb} > {PROPRIETES_MAX})")
        definition: dict[str, Any] = {}
        for rid, c in regles:
            expr = dict(GARDE) if isinstance(c, Toujours) else {"$and": [dict(GARDE), compiler(c)]}
            definition[rid] = {"all": [{"m": expr}], "run": self._action(rid)}
        definition[REGLE_RECU] = {"all": [{"m": dict(GARDE)}], "run": self._action(REGLE_RECU)}
        self.definition_json = json.dumps({k: {"all": v["all"]} for k, v in definition.items()},
                                          ensure_ascii=False, sort_keys=True)
        self.nom = f"orientation_{next(MoteurDurable._numeros)}"
        with VERROU:
            self._hote = _HoteSynchrone()
            self._hote.register_rulesets({self.nom: definition})
            self._ruleset = self._hote.get_ruleset(self.nom)

    def _action(self, rid: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            self._tires.append((rid, c.m._d.get("_n")))

        return action

    def fait(self, vals: Valeurs) -> dict[str, Any]:
        """The fact posted for these field values (non-renseigné values omitted), without ``_n``."""
        out: dict[str, Any] = dict(GARDE)
        for ch in self.champs:
            v = vals[ch.chemin]
            if v is None:
                continue
            nom = nom_sur(ch)
            if ch.multiple:
                out[nom] = len(v)
                for code in self._drapeaux.get(ch.chemin, ()):
                    out[_drapeau(ch, code)] = 1 if code in v else 0
            else:
                out[nom] = _encoder(ch, v)
        return out

    def declenchees(self, vals: Valeurs) -> frozenset[str]:
        """Ids of the rules durable-rules fires for these field values."""
        fait = self.fait(vals)
        with VERROU:
            n = next(self._compteur)
            fait["_n"] = n
            self._tires = []
            try:
                etat = self._hote.assert_fact(self.nom, fait)
            finally:
                self._hote.retract_fact(self.nom, fait)
            tires = self._tires
            self._tires = []
        if isinstance(etat, dict) and "exception" in etat:
            raise MoteurIncoherent(f"une action durable-rules a échoué : {etat['exception']}")
        if any(num != n for _, num in tires):
            raise MoteurIncoherent("durable-rules a déclenché une règle pour un autre dossier que celui évalué")
        ids = {rid for rid, _ in tires}
        if REGLE_RECU not in ids:
            raise MoteurIncoherent("durable-rules n'a pas traité le dossier (règle de réception non déclenchée)")
        return frozenset(ids - {REGLE_RECU})

    def fermer(self) -> None:
        """Free the native ruleset (the object is unusable afterwards)."""
        with VERROU:
            with contextlib.suppress(Exception):  # no session yet
                self._hote.delete_state(self.nom)
            durable_rules_engine.delete_ruleset(self._ruleset._handle)
