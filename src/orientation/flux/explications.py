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
from typing import Any, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orientation.configuration import SANS_MODELE
from orientation.decision import Decision
from orientation.flux.contrat import NB_CONTRIBUTIONS, projeter
from orientation.flux.decisions import _MODALITES, _ORIGINES, _PARCOURS, _STRUCTURES, Contexte, _Modele
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES as _PARCOURS_MODELE
from orientation.regles.conditions import atomes, detailler
from orientation.regles.vectoriel import Vecteurs


def _j(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _hachable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


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


def _libelles_groupe(mod: _Modele, g: int, rows: np.ndarray) -> np.ndarray:
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
    return np.array(textes, dtype=object)[inverse.reshape(-1)]


def _nombres(x: np.ndarray) -> pa.Array:
    """JSON numbers of a float array (shortest round-trip form; non-finite values are null in JSON)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return pc.cast(pa.array(x, pa.float64(), mask=~np.isfinite(x)), pa.string()).fill_null("null")


def _json_modele(ctx: Contexte, mod: _Modele) -> pa.Array:
    """JSON of the model's proposal for each scored row (the fields of PropositionLot)."""
    n = len(mod.parcours)
    contribs = _contributions(mod)
    noms = [p.value for p in _PARCOURS_MODELE]
    if contribs is not None:
        ordre, poids = contribs
        tetes = pa.array([f'{{"champ":{_j(g.nom)},"valeur":' for g in car.GROUPES], pa.string())
        rangs = []
        for rang in range(ordre.shape[1]):
            # sorted by decreasing |weight|: once a weight is zero, the following ones are too
            garde = np.abs(poids[:, rang]) > 1e-12
            libelles = np.empty(n, dtype=object)
            for g in np.unique(ordre[garde, rang]).tolist():
                rows = np.flatnonzero(garde & (ordre[:, rang] == g))
                libelles[rows] = _libelles_groupe(mod, g, rows)
            libelles[~garde] = None
            rangs.append(pc.binary_join_element_wise(
                "," if rang else "", tetes.take(pa.array(np.ascontiguousarray(ordre[:, rang]))), pa.array(libelles, pa.string()),
                ',"poids":', _nombres(poids[:, rang]), "}", "").fill_null(""))
        contributions = pc.binary_join_element_wise("[", *rangs, "]", "")
    else:
        contributions = pa.array(np.full(n, "null", dtype=object), pa.string())
    fins = pa.array([f'}},"parcours":"{noms[k]}","profil_recurrent":{"true" if r else "false"},"effectif_profil":'
                     for k in range(3) for r in (False, True)], pa.string())
    P = mod.probabilites
    return pc.binary_join_element_wise(
        f'{{"probabilites":{{"{noms[0]}":', _nombres(P[:, 0]), f',"{noms[1]}":', _nombres(P[:, 1]),
        f',"{noms[2]}":', _nombres(P[:, 2]),
        fins.take(pa.array(mod.parcours.astype(np.int64) * 2 + mod.recurrent.astype(np.int64))),
        pc.cast(pa.array(mod.effectif, pa.int64()), pa.string()),
        pa.array(np.where(mod.decide, ',"decide":true,"contributions":', ',"decide":false,"contributions":')
                 .astype(object), pa.string()),
        contributions, "}", "")


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
    # Texts depend on few values: each fragment is built once per distinct value or combination,
    # then taken and concatenated by Arrow kernels (no Python work per row except the model's).
    colonnes_regles = []
    for j, rid in enumerate(ctx.ordre_ids):
        if not motifs[:, j].any():
            continue
        rows = np.flatnonzero(motifs[inverse, j])
        morceaux: list[Any] = ["," + _tete_regle(ctx, rid)]
        for k, a in enumerate(atomes(ctx._regles_par_id[rid].si)):
            v = vecteurs[a.champ.chemin]
            uniques, inv = np.unique(v.cle[rows], return_inverse=True)
            frags = pa.array([_condition(ctx, a, v.python_cle(int(c))) for c in uniques.tolist()], pa.string())
            morceaux += ([","] if k else []) + [frags.take(pa.array(inv.reshape(-1)))]
        if len(morceaux) == 1:
            regle = pa.array(np.full(len(rows), morceaux[0] + "]}", dtype=object), pa.string())
        else:
            regle = pc.binary_join_element_wise(*morceaux, "]}", "")
        colonnes_regles.append(regle.take(_indices_partiels(rows, n)).fill_null(""))
    if colonnes_regles:
        # each fired rule starts with ","; the first one is cut
        regles = pc.binary_join_element_wise(*colonnes_regles, "")
        del colonnes_regles  # memory: free each intermediate as soon as it is consumed (blocks are large)
        regles = pc.utf8_slice_codeunits(regles, 1)
    else:
        regles = pa.array(np.full(n, "", dtype=object), pa.string())
    combi, premiers = _combinaisons([d["modalite"], d["parcours"], d["structure"], d["origine"], d["proposition"]], n)
    t_dec, t_reg = [], []
    for i in premiers.tolist():
        k = int(d["proposition"][i])
        grille = "null" if k < 0 else f'{{"id":{_j(ctx.ordre_ids[k])}}}'
        t_dec.append(f'","modalite":"{_MODALITES[int(d["modalite"][i])].value}","parcours":'
                     f'{_j(None if d["parcours"][i] < 0 else _PARCOURS[int(d["parcours"][i])].value)},"structure":'
                     f'{_j(None if d["structure"][i] < 0 else _STRUCTURES[int(d["structure"][i])].value)},'
                     f'"origine_parcours":"{_ORIGINES[int(d["origine"][i])]}","probabilite_modele":')
        t_reg.append(f'],"proposition_grille":{grille},"modele":')
    prises = pa.array(combi)
    if "mod" in modele_rows:
        modele_json = _json_modele(ctx, modele_rows["mod"]).take(
            _indices_partiels(modele_rows["idx"], n)).fill_null("null")
    else:
        modele_json = pa.array(np.full(n, "null", dtype=object), pa.string())
    probabilite = _nombres(d["probabilite_modele"])
    lignes_json = pc.binary_join_element_wise(
        '{"ligne":', pc.cast(pa.array(lignes, pa.int64()), pa.string()), ',"decision":{"identifiant":"',
        pc.cast(ids, pa.string()), pa.array(t_dec, pa.string()).take(prises), probabilite,
        '},"regles_declenchees":[', regles, pa.array(t_reg, pa.string()).take(prises), modele_json, "}", "")
    del regles, modele_json, probabilite
    return lignes_json.to_pylist()


def _indices_partiels(rows: np.ndarray, n: int) -> pa.Array:
    """Indices into the ``len(rows)`` values of some rows, for all ``n`` rows (null where absent)."""
    idx = np.full(n, -1, dtype=np.int64)
    idx[rows] = np.arange(len(rows))
    return pa.array(idx, mask=idx < 0)


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
