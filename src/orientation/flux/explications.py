"""Explanation lines of the batch (JSON Lines, one compact object per decided row).

The shape of a line is :class:`~orientation.flux.contrat.LigneExplication` (a documented subset of
:func:`orientation.explain`'s JSON; texts are in the run's catalogue, :mod:`orientation.flux.catalogue`).
:func:`explication_ligne` writes the line of a row from the per-dossier objects (the reference,
through :func:`~orientation.flux.contrat.projeter`); :func:`_explications_vectorielles` writes the
same lines for a whole block from the arrays of :func:`~orientation.flux.decisions.decider_lot`,
building each distinct fragment once.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

import numpy as np
import pyarrow as pa

from orientation.configuration import SANS_MODELE
from orientation.decision import Decision
from orientation.flux.contrat import NB_CONTRIBUTIONS, projeter
from orientation.flux.decisions import _MODALITES, _ORIGINES, _PARCOURS, _STRUCTURES, Contexte, _Modele, _val
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES as _PARCOURS_MODELE
from orientation.regles.conditions import atomes, detailler
from orientation.regles.vectoriel import Vecteurs


def _j(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _hachable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _flottant(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else "null"


def _tete_regle(ctx: Contexte, rid: str) -> str:
    """Start of the JSON of a fired rule (id, opening of its conditions), cached per run."""
    if rid not in ctx._fragments:
        ctx._fragments[rid] = f'{{"id":{_j(rid)},"conditions":['
    return ctx._fragments[rid]


def _condition(ctx: Contexte, atome: Any, valeur: Any) -> str:
    """JSON of one evaluated atom (value and result, as :func:`~orientation.regles.conditions.detailler`), cached."""
    cle = (id(atome), _hachable(valeur))
    if cle not in ctx._conditions:
        c = detailler(atome, valeur)
        ctx._conditions[cle] = _j({"valeur": c.valeur, "resultat": c.resultat.value})
    return ctx._conditions[cle]


def raison_non_consulte(ctx: Contexte, force_modalite: int) -> Optional[str]:
    """Why the model was not consulted (French), or None when it was."""
    if force_modalite > 0:
        return "une règle fixe la modalité : le modèle n'est pas consulté"
    if ctx.referentiel.scenario != 4:
        return f"scénario {ctx.referentiel.scenario} : le modèle n'est consulté qu'en scénario 4"
    if ctx.modele is None:
        return SANS_MODELE
    return None


def _contributions(mod: _Modele) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """(top groups (n, k), weights (n, k)) for the proposed route; None if not exact (forest)."""
    m = mod.ctx.modele
    if m.type_modele != "logistique":
        return None
    W = m.base.coef_
    ng = len(car.GROUPES)
    G = np.zeros((W.shape[1], ng))
    G[np.arange(W.shape[1]), car.GROUPE_DE_COLONNE] = 1.0
    n = mod.X.shape[0]
    C = np.zeros((n, ng))
    k_row = mod.parcours
    for k in range(W.shape[0]):
        rows = np.flatnonzero(k_row == k)
        if len(rows):
            A = W[k][:, None] * G
            C[rows] = (mod.X[rows] - m.reference) @ A
    ordre = np.argsort(-np.abs(C), axis=1, kind="stable")[:, :NB_CONTRIBUTIONS]
    return ordre, np.take_along_axis(C, ordre, axis=1)


def _libelles_groupe(mod: _Modele, g: int, rows: np.ndarray) -> list[str]:
    """JSON of the French label of the answer of group ``g`` for the given rows (as libelle_valeur_groupe)."""
    nom = car.GROUPES[g].nom
    cols = car.COLONNES_GROUPE[nom]
    sous = mod.X[np.ix_(rows, cols)] > 0.5
    cle = sous.astype(np.int64) @ (1 << np.arange(len(cols), dtype=np.int64))
    uniques, inverse = np.unique(cle, return_inverse=True)
    textes = []
    for u in uniques.tolist():
        x = np.zeros(mod.X.shape[1])
        x[cols] = [(u >> j) & 1 for j in range(len(cols))]
        textes.append(_j(car.libelle_valeur_groupe(x, nom)))
    return [textes[i] for i in inverse.reshape(-1)]


def _json_modele(ctx: Contexte, mod: _Modele) -> list[str]:
    """JSON of the model's proposal for each scored row (the fields of PropositionLot)."""
    n = len(mod.parcours)
    contribs = _contributions(mod)
    noms = [p.value for p in _PARCOURS_MODELE]
    if contribs is not None:
        textes_contrib: list[list[str]] = [[] for _ in range(n)]
        ordre, poids = contribs
        for rang in range(ordre.shape[1]):
            garde = np.abs(poids[:, rang]) > 1e-12
            for g in np.unique(ordre[garde, rang]):
                rows = np.flatnonzero(garde & (ordre[:, rang] == g))
                tete = f'{{"champ":{_j(car.GROUPES[int(g)].nom)},"valeur":'
                for r, lib, w in zip(rows.tolist(), _libelles_groupe(mod, int(g), rows), poids[rows, rang].tolist()):
                    textes_contrib[r].append(f'{tete}{lib},"poids":{_flottant(w)}}}')
        contributions = ["[" + ",".join(t) + "]" for t in textes_contrib]
    else:
        contributions = ["null"] * n
    P = mod.probabilites.tolist()
    fin = {(k, r, dcd): f'"parcours":"{noms[k]}","profil_recurrent":{"true" if r else "false"},"effectif_profil":'
           for k in range(3) for r in (False, True) for dcd in (False, True)}
    decide = ',"decide":true,"contributions":', ',"decide":false,"contributions":'
    return [f'{{"probabilites":{{"{noms[0]}":{_flottant(p[0])},"{noms[1]}":{_flottant(p[1])},"{noms[2]}":'
            f'{_flottant(p[2])}}},{fin[k, r, dcd]}{e}{decide[0] if dcd else decide[1]}{c}}}'
            for p, k, e, r, dcd, c in zip(P, mod.parcours.tolist(), mod.effectif.tolist(), mod.recurrent.tolist(),
                                          mod.decide.tolist(), contributions)]


def _combinaisons(colonnes: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(index of each row's distinct combination, first row of each combination) of int columns."""
    if not colonnes:
        return np.zeros(n, dtype=np.int64), np.zeros(min(n, 1), dtype=np.int64)
    denses = []
    for c in colonnes:
        _, inv = np.unique(c, return_inverse=True)
        denses.append(inv.reshape(-1).astype(np.int64))
    cle = np.zeros(n, dtype=np.int64)
    base = 1
    paquets = []
    for c in denses:
        m = int(c.max()) + 1 if n else 1
        if base * m >= 2 ** 62:
            paquets.append(cle)
            cle, base = np.zeros(n, dtype=np.int64), 1
        cle = cle + c * base
        base *= m
    paquets.append(cle)
    if len(paquets) == 1:
        _, premiers, inverse = np.unique(paquets[0], return_index=True, return_inverse=True)
    else:
        _, premiers, inverse = np.unique(np.column_stack(paquets), axis=0, return_index=True, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), premiers


def _explications_vectorielles(ctx: Contexte, enc: Any, vecteurs: Vecteurs, d: dict[str, Any], inverse: np.ndarray,
                               motifs: np.ndarray, ids: pa.Array, lignes: np.ndarray, delais: Any,
                               modele_rows: dict[str, Any]) -> list[str]:
    """Lines of the rows decided by :func:`~orientation.flux.decisions.decider_lot` (``d``).

    ``enc`` and ``delais`` are not written any more (deadlines are columns of ``decisions.csv``);
    they stay in the signature so that the caller in :mod:`orientation.flux.lot` is unchanged.
    """
    n = len(lignes)
    # Texts depend on few values: build each one once per distinct combination and take it.
    colonnes_regles: list[list[Optional[str]]] = []
    for j, rid in enumerate(ctx.ordre_ids):
        if not motifs[:, j].any():
            continue
        rows = np.flatnonzero(motifs[inverse, j])
        atomes_r = [(a, vecteurs[a.champ.chemin]) for a in atomes(ctx._regles_par_id[rid].si)]
        comb_r, prem_r = _combinaisons([v.cle[rows] for _, v in atomes_r], len(rows))
        tete = _tete_regle(ctx, rid)
        frags = np.array([tete + ",".join(_condition(ctx, a, v.python_cle(int(v.cle[rows[i]]))) for a, v in atomes_r)
                          + "]}" for i in prem_r.tolist()], dtype=object)
        col = np.full(n, None, dtype=object)
        col[rows] = frags[comb_r]
        colonnes_regles.append(col.tolist())
    if colonnes_regles:
        liste_regles = [",".join([x for x in t if x is not None]) for t in zip(*colonnes_regles)]
    else:
        liste_regles = [""] * n
    combi, premiers = _combinaisons([d["modalite"], d["parcours"], d["structure"], d["origine"], d["proposition"]], n)
    textes = []
    for i in premiers.tolist():
        k = int(d["proposition"][i])
        grille = "null" if k < 0 else f'{{"id":{_j(ctx.ordre_ids[k])}}}'
        textes.append((f'","modalite":"{_MODALITES[int(d["modalite"][i])].value}","parcours":'
                       f'{_j(None if d["parcours"][i] < 0 else _PARCOURS[int(d["parcours"][i])].value)},"structure":'
                       f'{_j(None if d["structure"][i] < 0 else _STRUCTURES[int(d["structure"][i])].value)},'
                       f'"origine_parcours":"{_ORIGINES[int(d["origine"][i])]}","probabilite_modele":',
                       f'],"proposition_grille":{grille},"modele":'))
    t_dec = np.array([t[0] for t in textes], dtype=object)[combi].tolist()
    t_reg = np.array([t[1] for t in textes], dtype=object)[combi].tolist()
    modele_json = np.full(n, "null", dtype=object)
    if "mod" in modele_rows:
        modele_json[modele_rows["idx"]] = np.array(_json_modele(ctx, modele_rows["mod"]), dtype=object)
    conf = [("null" if c != c else repr(c)) for c in d["probabilite_modele"].tolist()]
    return [f'{{"ligne":{ligne},"decision":{{"identifiant":"{ident}{de}{c}}},"regles_declenchees":[{lr}{rg}{mj}}}'
            for ligne, ident, de, c, lr, rg, mj in zip(lignes.tolist(), ids.to_pylist(), t_dec, conf, liste_regles,
                                                       t_reg, modele_json.tolist())]


# --------------------------------------------------------------------------- per-row reference path


def explication_ligne(ctx: Contexte, ligne: int, evaluation: Any, proposition: Any, decision: Decision) -> str:
    """JSON line of one row from the per-dossier objects (the reference the batch is tested against).

    The same objects as in ``explain(...).en_dict()`` (without what the line omits), projected
    by :func:`~orientation.flux.contrat.projeter`.
    """
    g = evaluation.proposition_grille
    explication = {
        "decision": decision.en_dict(),
        "regles_declenchees": [{"id": r.id, "conditions": [{"valeur": c.valeur, "resultat": c.resultat.value}
                                                          for c in r.conditions]} for r in evaluation.declenchees],
        "proposition_grille": None if g is None else {"id": g.id},
        "modele": None if proposition is None else proposition.model_dump(mode="json"),
    }
    return _j(projeter(explication, ligne))


__all__ = ["explication_ligne", "raison_non_consulte"]
