"""Dossiers received by the service → decisions, rejects and explanation lines, one by one or in batches.

A single dossier goes through the reference chain (:meth:`Orientateur.recommend`: durable-rules and
the Python evaluator, checked against each other).  A list goes through the **bulk path** of
:mod:`orientation.flux` (:func:`orientation.flux.lot.traiter_bloc`: rules evaluated on whole columns,
model scored per block, per-row reference path for unusual rows), exactly as ``orientation lot``
reads a JSON Lines file, and each row of its decisions table is written back as the
:class:`~orientation.decision.Decision` JSON (schema ``decision``) that :func:`orientation.recommend`
gives for that dossier (the tests check they are equal).  Readable-form dossiers are validated one by
one and rewritten in CNAF codes (:meth:`Dossier.vers_cnaf`, without loss) before joining the batch.

Explanation lines, on request, are the compact lines of the bulk run (schema ``explication_lot``);
the texts they refer to are the catalogue, ``GET /v1/referentiels/{departement}``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

import numpy as np
import pyarrow as pa

from orientation.decision import VERSION_SCHEMA_DECISION, delais_depuis
from orientation.dossier.cnaf import CLES
from orientation.dossier.schema import DEPARTEMENTS, Dossier
from orientation.erreurs import DossierInvalide, ErreurChamp
from orientation.flux.cellules_json import cellule_json
from orientation.flux.decisions import Contexte
from orientation.flux.lot import traiter_bloc
from orientation.orientateur import Orientateur
from orientation.regles.vectoriel import OBLIGATOIRES
from orientation.schemas import Rejet


_CLES = frozenset(CLES)


@dataclass
class Resultats:
    """The answer to a list: per rank, a decision (JSON dict) or a reject, and the explanation lines."""

    nombre: int
    decisions: dict[int, str] = field(default_factory=dict)  # Decision JSON texts
    rejets: dict[int, dict[str, Any]] = field(default_factory=dict)
    explications: dict[int, str] = field(default_factory=dict)  # compact JSON lines, as text

    def json(self) -> bytes:
        """``{"nombre", "decides", "rejetes", "resultats": [{"rang", "decision"[, "explication"]} | {"rang", "rejet"}]}``."""
        morceaux = []
        for rang in range(self.nombre):
            if rang in self.decisions:
                texte = f'{{"rang":{rang},"decision":{self.decisions[rang]}'
                if rang in self.explications:
                    texte += f',"explication":{self.explications[rang]}'
                morceaux.append(texte + "}")
            else:
                morceaux.append(f'{{"rang":{rang},"rejet":{json.dumps(self.rejets[rang], ensure_ascii=False)}}}')
        tete = f'{{"nombre":{self.nombre},"decides":{len(self.decisions)},"rejetes":{len(self.rejets)},"resultats":['
        return (tete + ",".join(morceaux) + "]}").encode("utf-8")


def departement_annonce(obj: Any) -> Optional[str]:
    """The département a received object says it belongs to (before validation), if it names a known one."""
    if not isinstance(obj, dict):
        return None
    v = obj.get("departement")
    texte = str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else None
    return texte if texte in DEPARTEMENTS else None


def lire_dossier(obj: Any) -> Dossier:
    """A dossier from a received JSON value: CNAF codes if it has ``dtdemrsa``, else readable names."""
    if isinstance(obj, dict) and "dtdemrsa" in obj:
        return Dossier.depuis_cnaf(obj)
    return Dossier.valider(obj)


def rejet(obj: Any, exc: DossierInvalide) -> dict[str, Any]:
    """The JSON of a reject (schema ``rejet``)."""
    return Rejet.depuis_erreur(exc).model_dump(mode="json")


def _rejet_non_objet(obj: Any) -> dict[str, Any]:
    return rejet(obj, DossierInvalide([ErreurChamp("(dossier)", obj, "objet JSON attendu (un dossier)")]))


def _j(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=4096)
def _delais(reference: date, estimee: bool) -> str:
    return delais_depuis(reference, estimee).model_dump_json()


def _date(texte: Any) -> Optional[date]:
    try:
        return date.fromisoformat(str(texte).strip())
    except ValueError:
        return None


class OrienteurLot:
    """Decides lists of received objects with the bulk path of one configuration (rules and model)."""

    def __init__(self, orientateur: Orientateur):
        self.orientateur = orientateur
        self._contextes: dict[tuple[str, bool], Contexte] = {}
        self._vigueurs: dict[tuple[str, date], str] = {}

    def contexte(self, departement: str, explications: bool) -> Contexte:
        cle = (departement, explications)
        if cle not in self._contextes:
            self._contextes[cle] = Contexte(departement, self.orientateur.referentiel(departement),
                                            self.orientateur.modele, explications)
        return self._contextes[cle]

    def _vigueur(self, ctx: Contexte, jour: date) -> str:
        cle = (ctx.departement, jour)
        if cle not in self._vigueurs:
            self._vigueurs[cle] = ctx.referentiel.en_vigueur(jour).vigueur(jour).model_dump_json()
        return self._vigueurs[cle]

    def orienter(self, objets: list[Any], explications: bool = False) -> Resultats:
        """Decide every object of the list (rank = position); a bad object is rejected, never the list."""
        res = Resultats(len(objets))
        groupes: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for rang, obj in enumerate(objets):
            if not isinstance(obj, dict):
                res.rejets[rang] = _rejet_non_objet(obj)
                continue
            enregistrement: Optional[dict[str, Any]] = obj
            if "dtdemrsa" not in obj:  # readable names: validated here, then in CNAF codes like the others
                try:
                    enregistrement = Dossier.valider(obj).vers_cnaf()
                except DossierInvalide as exc:
                    res.rejets[rang] = rejet(obj, exc)
                    continue
            dep = departement_annonce(enregistrement)
            if dep is None:  # unknown or malformed département: the per-dossier validation says why
                try:
                    dossier = Dossier.depuis_cnaf(enregistrement)
                except DossierInvalide as exc:
                    res.rejets[rang] = rejet(obj, exc)
                    continue
                dep = dossier.departement
                enregistrement = dossier.vers_cnaf()
            groupes.setdefault(dep, []).append((rang, enregistrement))
        for dep, lignes in groupes.items():
            self._orienter_departement(res, self.contexte(dep, explications), lignes, objets)
        return res

    def _orienter_departement(self, res: Resultats, ctx: Contexte, lignes: list[tuple[int, dict[str, Any]]],
                              objets: list[Any]) -> None:
        # the cells of the JSON Lines reader of the bulk path (cellule_json), only the values present visited
        n = len(lignes)
        colonnes: dict[str, list[str]] = {k: [""] * n for k in OBLIGATOIRES}
        bruts: dict[int, dict[str, Any]] = {}
        memo: dict[Any, tuple[str, bool]] = {}  # lists of codes repeat: each distinct one converted once
        for i, (_, rec) in enumerate(lignes):
            simple = True
            for k, v in rec.items():
                if k not in _CLES or v is None:
                    continue
                col = colonnes.get(k)
                if col is None:
                    col = colonnes[k] = [""] * n
                if v.__class__ is str:
                    col[i] = v
                    continue
                cle = (k, tuple(v)) if v.__class__ is list else (k, v)
                try:
                    cellule, ok = memo[cle]
                except (KeyError, TypeError):  # TypeError: unhashable items (nested lists or objects)
                    cellule, ok = cellule_json(k, v)
                    if len(memo) < 100_000:
                        try:
                            memo[cle] = (cellule, ok)
                        except TypeError:
                            pass
                col[i] = cellule
                simple &= ok
            if not simple:
                bruts[i] = {k: v for k, v in rec.items() if k in _CLES}
        presentes = [k for k in CLES if k in colonnes]
        table = pa.table({k: pa.array(colonnes[k], pa.string()) for k in presentes})
        rangs = np.array([r for r, _ in lignes], dtype=np.int64)
        bloc = traiter_bloc(ctx, table, rangs, bruts, avec_departement=True)
        par_rang = dict(lignes)
        for rang in sorted({rj.ligne for rj in bloc.rejets}):
            try:  # the exact values received (the bulk path shows cells)
                Dossier.depuis_cnaf(par_rang[rang])
                siens = [rj for rj in bloc.rejets if rj.ligne == rang]
                res.rejets[rang] = rejet(objets[rang], DossierInvalide(
                    [ErreurChamp(rj.champ, rj.valeur, rj.raison) for rj in siens], siens[0].identifiant or None))
            except DossierInvalide as exc:
                res.rejets[rang] = rejet(objets[rang], exc)
        textes = self._decisions(ctx, bloc.decisions, par_rang)
        for k, (rang, texte) in enumerate(zip(bloc.decisions.column("ligne").to_pylist(), textes)):
            res.decisions[rang] = texte
            if bloc.explications:
                res.explications[rang] = bloc.explications[k]

    def _decisions(self, ctx: Contexte, table: pa.Table, par_rang: dict[int, dict[str, Any]]) -> list[str]:
        """The decisions table of the bulk path as Decision JSON texts (schema ``decision``, same field order as
        :meth:`Decision.model_dump_json`); the parts shared by many rows are serialised once."""
        mod = ctx.modele
        tete = f'{{"version_schema":{_j(VERSION_SCHEMA_DECISION)},'
        departement = _j(ctx.departement)
        modele = {c: "null" if mod is None else _j({
            "nom": mod.nom, "version": mod.version, "sha256": mod.sha256, "synthetique": mod.donnees_synthetiques,
            "consulte": c}) for c in (False, True)}
        versions = (f'"versions":{{"bibliotheque":{_j(ctx.version_bibliotheque)},"regles":{_j(ctx.referentiel.version)},'
                    f'"modele":{_j(ctx.version_modele)},"modele_sha256":{_j(ctx.sha_modele)},"regles_en_vigueur":')
        colonnes = {k: table.column(k).to_pylist() for k in (
            "ligne", "identifiant", "scenario", "modalite", "parcours", "structure", "origine_parcours",
            "code_france_travail", "code_rdv_insertion", "code_departement", "parcours_indicatif",
            "structure_indicative", "regles_declenchees", "probabilite_modele", "date_reference", "date_reference_estimee")}
        memo: dict[Any, str] = {}

        def jm(v: Any) -> str:  # few distinct values (modalities, lists of rules): serialised once each
            cle = tuple(v) if isinstance(v, list) else v
            t = memo.get(cle)
            if t is None:
                t = memo[cle] = _j(v)
            return t

        memo_codes: dict[tuple[Optional[str], str, Optional[str]], str] = {}

        def codes(i: int) -> str:  # orientation.codes_sortie.CodesSortie, null when no route is decided
            rdv = colonnes["code_rdv_insertion"][i]
            if not rdv:
                return "null"
            cle = (colonnes["code_france_travail"][i] or None, rdv, colonnes["code_departement"][i] or None)
            t = memo_codes.get(cle)
            if t is None:
                t = memo_codes[cle] = _j({"france_travail": cle[0], "rdv_insertion": rdv, "departement": cle[2]})
            return t

        out = []
        for i, rang in enumerate(colonnes["ligne"]):
            prob = colonnes["probabilite_modele"][i]
            texte = par_rang[rang].get("dtdemrsa")
            jour = _date(texte)
            if jour is None:  # an unusual spelling the per-row path accepted
                jour = Dossier.depuis_cnaf(par_rang[rang]).date_demande
            regles = colonnes["regles_declenchees"][i]
            out.append(
                f'{tete}"identifiant":{_j(colonnes["identifiant"][i])},"departement":{departement},'
                f'"scenario":{colonnes["scenario"][i]},"modalite":{jm(colonnes["modalite"][i])},'
                f'"parcours":{jm(colonnes["parcours"][i])},"structure":{jm(colonnes["structure"][i])},'
                f'"origine_parcours":{jm(colonnes["origine_parcours"][i])},'
                f'"codes":{codes(i)},'
                f'"parcours_indicatif":{jm(colonnes["parcours_indicatif"][i])},'
                f'"structure_indicative":{jm(colonnes["structure_indicative"][i])},'
                f'"regles_declenchees":{jm(regles.split("|") if regles else [])},'
                f'"probabilite_modele":{"null" if prob is None else repr(float(prob))},'
                f'"modele":{modele[prob is not None]},'
                f'"delais":{_delais(colonnes["date_reference"][i], colonnes["date_reference_estimee"][i] == "1")},'
                f'{versions}{self._vigueur(ctx, jour)}}}}}')
        return out
