"""Explanation lines of the batch (JSON Lines, one object per decided row).

:func:`explication_ligne` writes the line of a row from the per-dossier objects (the reference);
:func:`_explications_vectorielles` writes the same lines for a whole block from the arrays of
:func:`~orientation.flux.decisions.decider_lot`, building each distinct fragment once.  The full
:func:`orientation.explain` stays the per-dossier API.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any, Optional

import numpy as np
import pyarrow as pa

from orientation.decision import Decision
from orientation.explication.construction import resume_decision
from orientation.flux.decisions import _MODALITES, _ORIGINES, _PARCOURS, _STRUCTURES, Contexte, _Modele, _val
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES as _PARCOURS_MODELE
from orientation.regles.conditions import atomes, detailler
from orientation.regles.vectoriel import Vecteurs

#: Number of model contributions written per explanation.
NB_CONTRIBUTIONS = 5


def json_condition(c: Any) -> str:
    """Compact JSON of a :class:`~orientation.regles.evaluation.ConditionEvaluee`."""
    return _j({"champ": c.champ, "valeur": c.valeur, "valeur_libelle": c.valeur_libelle,
               "resultat": c.resultat.value})


def _j(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _hachable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _flottant(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else "null"


def _tete_regle(ctx: Contexte, rid: str) -> str:
    """Start of the JSON of a fired rule (id, title, opening of its conditions), cached per run."""
    if rid not in ctx._fragments:
        r = ctx._regles_par_id[rid]
        ctx._fragments[rid] = f'{{"id":{_j(r.id)},"titre":{_j(r.titre)},"conditions":['
    return ctx._fragments[rid]


def _condition(ctx: Contexte, atome: Any, valeur: Any) -> str:
    """JSON of one evaluated atom (from :func:`orientation.regles.conditions.detailler`), cached per run."""
    cle = (id(atome), _hachable(valeur))
    if cle not in ctx._conditions:
        ctx._conditions[cle] = json_condition(detailler(atome, valeur))
    return ctx._conditions[cle]


def raison_non_consulte(ctx: Contexte, force_modalite: int) -> Optional[str]:
    """Why the model was not consulted (French), or None when it was."""
    if force_modalite > 0:
        return "une règle fixe la modalité : le modèle n'est pas consulté"
    if ctx.referentiel.scenario != 4:
        return f"scénario {ctx.referentiel.scenario} : le modèle n'est consulté qu'en scénario 4"
    if ctx.modele is None:
        return "aucun modèle (traitement sans modèle)"
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
    """French label of the answer of group ``g`` for the given rows (as libelle_valeur_groupe)."""
    nom = car.GROUPES[g].nom
    cols = car.COLONNES_GROUPE[nom]
    sous = mod.X[np.ix_(rows, cols)] > 0.5
    cle = sous.astype(np.int64) @ (1 << np.arange(len(cols), dtype=np.int64))
    uniques, inverse = np.unique(cle, return_inverse=True)
    textes = []
    for u in uniques.tolist():
        x = np.zeros(mod.X.shape[1])
        x[cols] = [(u >> j) & 1 for j in range(len(cols))]
        textes.append(car.libelle_valeur_groupe(x, nom))
    return [textes[i] for i in inverse.reshape(-1)]


def _json_modele(ctx: Contexte, mod: _Modele) -> list[str]:
    """JSON of the model's proposal for each scored row."""
    m = ctx.modele
    n = len(mod.parcours)
    contribs = _contributions(mod)
    profils_uniques, inv_profils = np.unique(mod.profil, return_inverse=True)
    libelles_profils = [_j(car.libelle_profil(int(p))) for p in profils_uniques]
    seuils = [_flottant(float(s)) for s in m.seuils]
    noms = [p.value for p in _PARCOURS_MODELE]
    textes_contrib: list[list[str]] = [[] for _ in range(n)]
    exact = contribs is not None
    if contribs is not None:
        ordre, poids = contribs
        for rang in range(ordre.shape[1]):
            garde = np.abs(poids[:, rang]) > 1e-12
            for g in np.unique(ordre[garde, rang]):
                rows = np.flatnonzero(garde & (ordre[:, rang] == g))
                groupe = car.GROUPES[int(g)]
                tete = f'{{"champ":{_j(groupe.nom)},"libelle_champ":{_j(groupe.libelle)},"valeur":'
                for r, lib, w in zip(rows.tolist(), _libelles_groupe(mod, int(g), rows), poids[rows, rang].tolist()):
                    textes_contrib[r].append(f'{tete}{_j(lib)},"poids":{_flottant(w)}}}')
    tete = f'{{"modele":{_j(m.nom)},"version":{_j(m.version)},"type_modele":{_j(m.type_modele)},"probabilites":{{'
    P = mod.probabilites.tolist()
    out = []
    for i, (p, k, c, e, r, dcd, ip) in enumerate(zip(P, mod.parcours.tolist(), mod.confiance.tolist(),
                                                     mod.effectif.tolist(), mod.recurrent.tolist(),
                                                     mod.decide.tolist(), inv_profils.reshape(-1).tolist())):
        raison = m.raison_abstention(k, c, e, r, dcd, mod.couvert, ctx.departement)
        contributions = ("[" + ",".join(textes_contrib[i]) + "]") if exact else "null"
        out.append(
            f'{tete}"{noms[0]}":{_flottant(p[0])},"{noms[1]}":{_flottant(p[1])},"{noms[2]}":{_flottant(p[2])}}},'
            f'"parcours":"{noms[k]}","confiance":{_flottant(c)},"seuil":{seuils[k]},"profil":{libelles_profils[ip]},'
            f'"effectif_profil":{e},"profil_recurrent":{"true" if r else "false"},'
            f'"seuil_recurrence":{m.seuil_recurrence},"decide":{"true" if dcd else "false"},'
            f'"raison_abstention":{_j(raison)},"contributions":{contributions},'
            f'"contributions_exactes":{"true" if exact else "false"}}}')
    return out


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
                               motifs: np.ndarray, ids: pa.Array, lignes: np.ndarray, delais: tuple[np.ndarray, ...],
                               modele_rows: dict[str, Any]) -> list[str]:
    n = enc.n
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
    combi, premiers = _combinaisons([d["modalite"], d["parcours"], d["structure"], d["origine"], d["proposition"],
                                     d["force"]], n)
    textes = []
    for i in premiers.tolist():
        mod = _MODALITES[int(d["modalite"][i])]
        par = None if d["parcours"][i] < 0 else _PARCOURS[int(d["parcours"][i])]
        st = None if d["structure"][i] < 0 else _STRUCTURES[int(d["structure"][i])]
        ori = _ORIGINES[int(d["origine"][i])]
        k = int(d["proposition"][i])
        if k < 0:
            grille = "null"
        else:
            lg = ctx._regles_par_id[ctx.ordre_ids[k]]
            grille = _j({"id": lg.id, "titre": lg.titre, "parcours": _val(lg.effet.parcours),
                         "structure": _val(lg.effet.structure)})
        textes.append((f',"resume":{_j(resume_decision(mod, par, st, ori))},"modalite":"{mod.value}",'
                       f'"parcours":{_j(_val(par))},"structure":{_j(_val(st))},"origine_parcours":"{ori}"',
                       f'],"grille":{grille}',
                       _j(raison_non_consulte(ctx, int(d["force"][i])))))
    t_dec = np.array([t[0] for t in textes], dtype=object)[combi].tolist()
    t_reg = np.array([t[1] for t in textes], dtype=object)[combi].tolist()
    t_nc = np.array([t[2] for t in textes], dtype=object)[combi].tolist()
    modele_json = np.full(n, "null", dtype=object)
    if "mod" in modele_rows:
        modele_json[modele_rows["idx"]] = np.array(_json_modele(ctx, modele_rows["mod"]), dtype=object)
    ref, estimee, limite, rdv = delais
    jours = [ref.astype(np.int64), limite.astype(np.int64), rdv.astype(np.int64), estimee.astype(np.int64)]
    inv_j, prem_j = _combinaisons(jours, n)
    textes_delais = [f'"delais":{{"date_reference":"{_iso(jours[0][i])}","orientation_au_plus_tard":'
                     f'"{_iso(jours[1][i])}","premier_rdv_au_plus_tard":"{_iso(jours[2][i])}",'
                     f'"date_reference_estimee":{"true" if jours[3][i] else "false"}}}' for i in prem_j.tolist()]
    t_del = np.array(textes_delais, dtype=object)[inv_j].tolist()
    versions = (f',"versions":{{"bibliotheque":{_j(ctx.version_bibliotheque)},"regles":{_j(ctx.referentiel.version)},'
                f'"modele":{_j(ctx.version_modele)},"modele_sha256":{_j(ctx.sha_modele)}}}}}')
    conf = [("null" if c != c else repr(c)) for c in d["confiance"].tolist()]
    return [f'{{"ligne":{ligne},"identifiant":"{ident}"{de},"confiance":{c},"regles_declenchees":[{lr}{rg},'
            f'"modele":{mj},"modele_non_consulte":{nc},{dl}{versions}'
            for ligne, ident, de, c, lr, rg, mj, nc, dl in zip(lignes.tolist(), ids.to_pylist(), t_dec, conf,
                                                               liste_regles, t_reg, modele_json.tolist(), t_nc, t_del)]


_ORDINAL_EPOQUE = date(1970, 1, 1).toordinal()


def _iso(jours: int) -> str:
    return date.fromordinal(_ORDINAL_EPOQUE + int(jours)).isoformat()


# --------------------------------------------------------------------------- per-row reference path


def explication_ligne(ctx: Contexte, ligne: int, evaluation: Any, proposition: Any, decision: Decision) -> str:
    """JSON explanation of one row from the per-dossier objects (the reference the batch is tested against)."""
    regles = []
    for r in evaluation.declenchees:
        regles.append(_tete_regle(ctx, r.id) + ",".join(json_condition(c) for c in r.conditions) + "]}")
    g = evaluation.proposition_grille
    grille = "null" if g is None else _j({"id": g.id, "titre": g.titre, "parcours": _val(g.effet.parcours),
                                          "structure": _val(g.effet.structure)})
    force = evaluation.modalite.force if evaluation.modalite is not None else 0
    if proposition is None:
        modele = "null"
    else:
        m = ctx.modele
        p = proposition
        if m.type_modele == "logistique":
            contribs = "[" + ",".join(
                _j({"champ": c.champ, "libelle_champ": c.libelle_champ, "valeur": c.valeur, "poids": c.poids})
                for c in p.principales_contributions(n=NB_CONTRIBUTIONS) if abs(c.poids) > 1e-12) + "]"
        else:
            contribs = "null"
        modele = _j({"modele": m.nom, "version": m.version, "type_modele": m.type_modele,
                     "probabilites": {k.value: v for k, v in p.probabilites.items()}, "parcours": p.parcours.value,
                     "confiance": p.confiance, "seuil": p.seuil if math.isfinite(p.seuil) else None,
                     "profil": p.profil, "effectif_profil": p.effectif_profil, "profil_recurrent": p.profil_recurrent,
                     "seuil_recurrence": p.seuil_recurrence, "decide": p.decide,
                     "raison_abstention": p.raison_abstention})[:-1] + f',"contributions":{contribs},' \
            f'"contributions_exactes":{"true" if m.type_modele == "logistique" else "false"}}}'
    d = decision
    nc = raison_non_consulte(ctx, force) if proposition is None else None
    dl = d.delais
    obj = (f'{{"ligne":{ligne},"identifiant":{_j(d.identifiant)},'
           f'"resume":{_j(resume_decision(d.modalite, d.parcours, d.structure, d.origine_parcours))},'
           f'"modalite":"{d.modalite.value}","parcours":{_j(_val(d.parcours))},"structure":{_j(_val(d.structure))},'
           f'"origine_parcours":"{d.origine_parcours}","confiance":{"null" if d.confiance is None else repr(d.confiance)},'
           f'"regles_declenchees":[{",".join(regles)}],"grille":{grille},"modele":{modele},'
           f'"modele_non_consulte":{_j(nc)},"delais":{{"date_reference":"{dl.date_reference.isoformat()}",'
           f'"orientation_au_plus_tard":"{dl.orientation_au_plus_tard.isoformat()}",'
           f'"premier_rdv_au_plus_tard":"{dl.premier_rdv_au_plus_tard.isoformat()}",'
           f'"date_reference_estimee":{"true" if dl.reference_estimee else "false"}}},'
           f'"versions":{{"bibliotheque":{_j(ctx.version_bibliotheque)},"regles":{_j(d.versions.regles)},'
           f'"modele":{_j(d.versions.modele)},"modele_sha256":{_j(d.versions.modele_sha256)}}}}}')
    return obj


__all__ = ["NB_CONTRIBUTIONS", "explication_ligne", "json_condition", "raison_non_consulte"]
