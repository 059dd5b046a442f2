"""Decisions of a block: the vectorised twin of :func:`orientation.decision.decider`, and the decisions table.

:class:`Contexte` is what every block needs (référentiel, vectorised evaluator, model, versions).
:func:`decider_lot` decides whole columns of valid rows as :func:`~orientation.decision.decider`
decides one dossier; :func:`chaine_reference` is the per-dossier chain the batch falls back on
(and is tested against).  Both end in the same Arrow table (:data:`COLONNES_DECISIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from orientation.codes_sortie import colonnes_codes
from orientation.decision import (DATE_DECRET_DELAIS, DELAI_CONTRAT_ENGAGEMENT_MOIS, DELAI_ORIENTATION_LEGAL_JOURS,
                                  DELAI_PREMIER_RDV_JOURS, STRUCTURE_PAR_DEFAUT, Decision, decider,
                                  version_bibliotheque)
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES as _PARCOURS_MODELE
from orientation.regles.vectoriel import EvaluateurVectoriel
from orientation.vocabulaire import Modalite, Parcours, Structure

#: Columns of the decisions file.
COLONNES_DECISIONS: tuple[str, ...] = (
    "identifiant", "ligne", "modalite", "parcours", "structure", "origine_parcours",
    "code_france_travail", "code_rdv_insertion", "code_departement",  # orientation.codes_sortie
    "regles_declenchees",
    "probabilite_modele", "date_reference", "date_reference_estimee", "orientation_au_plus_tard",
    "premier_rdv_au_plus_tard", "orientation_limite_legale", "contrat_engagement_si_orientation_a_limite_legale",
    "scenario", "version_bibliotheque", "version_regles", "version_modele", "modele_sha256",
    "modele_synthetique")

_MODALITES = (None, Modalite.orientation_directe, Modalite.examen_individuel, Modalite.rdv_obligatoire)  # by force
_PARCOURS = tuple(Parcours)
_STRUCTURES = tuple(Structure)
_ORIGINES = ("aucune", "regle", "grille", "modele")
_SCHEMA_DECISIONS = pa.schema([
    ("identifiant", pa.string()), ("ligne", pa.int64()), ("modalite", pa.string()), ("parcours", pa.string()),
    ("structure", pa.string()), ("origine_parcours", pa.string()),
    ("code_france_travail", pa.string()), ("code_rdv_insertion", pa.string()), ("code_departement", pa.string()),
    ("regles_declenchees", pa.string()),
    ("probabilite_modele", pa.float64()), ("date_reference", pa.date32()), ("date_reference_estimee", pa.string()),
    ("orientation_au_plus_tard", pa.date32()), ("premier_rdv_au_plus_tard", pa.date32()),
    ("orientation_limite_legale", pa.date32()), ("contrat_engagement_si_orientation_a_limite_legale", pa.date32()),
    ("scenario", pa.int64()),
    ("version_bibliotheque", pa.string()), ("version_regles", pa.string()), ("version_modele", pa.string()),
    ("modele_sha256", pa.string()), ("modele_synthetique", pa.string())])


def _val(e: Any) -> Any:
    return None if e is None else e.value


@dataclass
class Contexte:
    """What every block needs: référentiel, vectorised evaluator, model, versions."""

    departement: str
    referentiel: Any
    modele: Any  # ModeleOrientation or None
    explications: bool = False

    def __post_init__(self) -> None:
        ref = self.referentiel
        self.evaluateur = EvaluateurVectoriel(ref)
        self.regles = list(ref.regles)
        self.grilles = list(ref.grilles)
        self.ordre_ids = [r.id for r in self.regles] + [ligne.id for g in self.grilles for ligne in g.lignes]
        self.version_bibliotheque = version_bibliotheque()
        m = self.modele
        self.version_modele = None if m is None else f"{m.nom}@{m.version}"
        self.sha_modele = None if m is None else m.sha256
        #: output code columns: the code of each route, in Parcours order (orientation.codes_sortie)
        self.codes = colonnes_codes(ref.codes)
        #: column ``modele_synthetique`` of the decisions: "1" model trained on synthetic data, "0" not, empty: no model
        self.modele_synthetique = None if m is None else ("1" if m.donnees_synthetiques else "0")
        self._regles_par_id = {r.id: r for r in ref.toutes_regles()}
        # JSON fragments of the explanations, built once per run (see orientation.flux.explications)
        self._fragments: dict[str, str] = {}
        self._conditions: dict[tuple[int, Any], str] = {}


def _ajouter_mois(jours: np.ndarray, mois_ajoutes: int) -> np.ndarray:
    """Vectorised :func:`orientation.decision.ajouter_mois` (clamped to the month's last day)."""
    mois = jours.astype("datetime64[M]")
    jour = (jours - mois.astype("datetime64[D]")).astype(np.int64)
    suivant = mois + mois_ajoutes
    longueur = ((suivant + 1).astype("datetime64[D]") - suivant.astype("datetime64[D]")).astype(np.int64)
    return suivant.astype("datetime64[D]") + np.minimum(jour, longueur - 1)


def _delais(jours_ouv: np.ndarray, jours_notif: np.ndarray, notif_nul: np.ndarray) -> tuple[np.ndarray, ...]:
    """(reference, estimated?, orientation deadline, first appointment deadline, legal orientation deadline,
    contract deadline) as days / bools; the two legal ones are NaT before décret 2024-1244 applies."""
    ref = np.where(notif_nul, jours_ouv, jours_notif).astype("datetime64[D]")
    limite = _ajouter_mois(ref, 1)
    rdv = limite + np.timedelta64(DELAI_PREMIER_RDV_JOURS, "D")
    hors_champ = ref < np.datetime64(DATE_DECRET_DELAIS, "D")
    legale = np.where(hors_champ, np.datetime64("NaT", "D"), ref + np.timedelta64(DELAI_ORIENTATION_LEGAL_JOURS, "D"))
    contrat = np.where(hors_champ, np.datetime64("NaT", "D"), _ajouter_mois(legale, DELAI_CONTRAT_ENGAGEMENT_MOIS))
    return ref, notif_nul.copy(), limite, rdv, legale, contrat


def _motif_cles(masques: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(index of each row's pattern, patterns as bool rows) of a list of boolean columns."""
    if not masques:
        return np.zeros(n, dtype=np.int64), np.zeros((1, 0), dtype=bool)
    M = np.column_stack(masques)
    paquets = np.packbits(M, axis=1)
    if paquets.shape[1] <= 8:
        cle = np.zeros(n, dtype=np.uint64)
        for j in range(paquets.shape[1]):
            cle = (cle << np.uint64(8)) | paquets[:, j].astype(np.uint64)
        _, premiers, inverse = np.unique(cle, return_index=True, return_inverse=True)
    else:
        _, premiers, inverse = np.unique(paquets, axis=0, return_index=True, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), M[premiers]


def decider_lot(ctx: Contexte, declenchees: dict[str, np.ndarray], n: int,
                proposer: Any) -> dict[str, np.ndarray]:
    """Vectorised twin of :func:`orientation.decision.decider` on ``n`` valid rows.

    ``declenchees``: rule or grid-line id -> *vrai* mask (from the vectorised evaluator).
    ``proposer(lignes)``: called with the rows whose modality no rule set (scenario 4, model
    present); returns ``(parcours index, confidence, decided)`` arrays for them.

    Returns arrays: ``force`` (modality force set by rules, 0 = none), ``modalite`` (force of
    the final modality), ``parcours`` / ``structure`` (index, -1 = none), ``origine`` (index in
    ``aucune, regle, grille, modele``), ``probabilite_modele`` (NaN: model not consulted), ``choisies`` (grid lines
    chosen, id -> mask), ``consulte`` (model consulted), ``proposition`` (index of the grid line
    proposed in ``ctx.ordre_ids``, -1 = none).
    """
    force = np.zeros(n, dtype=np.int8)
    for r in ctx.regles:
        if r.effet.modalite is not None:
            force = np.maximum(force, np.where(declenchees[r.id], np.int8(r.effet.modalite.force), np.int8(0)))
    parcours = np.full(n, -1, dtype=np.int64)
    structure = np.full(n, -1, dtype=np.int64)
    origine = np.zeros(n, dtype=np.int64)
    pris = np.zeros(n, dtype=bool)
    for r in ctx.regles:  # the first fired rule that set the modality and names a route
        if r.effet.modalite is not None and r.effet.parcours is not None:
            m = declenchees[r.id] & (force == r.effet.modalite.force) & ~pris
            parcours[m] = _PARCOURS.index(r.effet.parcours)
            structure[m] = -1 if r.effet.structure is None else _STRUCTURES.index(r.effet.structure)
            origine[m] = 1
            pris |= m
    choisies: dict[str, np.ndarray] = {}
    proposition = np.full(n, -1, dtype=np.int64)
    for g in ctx.grilles:
        retenue = np.zeros(n, dtype=bool)
        for ligne in g.lignes:
            c = declenchees[ligne.id] & ~retenue
            retenue |= c
            choisies[ligne.id] = c
            proposition[c & (proposition < 0)] = ctx.ordre_ids.index(ligne.id)
    grille = ~pris & (proposition >= 0)
    for k in np.unique(proposition[grille]):
        ligne = ctx._regles_par_id[ctx.ordre_ids[int(k)]]
        m = grille & (proposition == k)
        parcours[m] = _PARCOURS.index(ligne.effet.parcours)
        structure[m] = -1 if ligne.effet.structure is None else _STRUCTURES.index(ligne.effet.structure)
        origine[m] = 2
    modalite = force.astype(np.int64).copy()
    probabilite = np.full(n, np.nan)
    consulte = (force == 0) & (ctx.referentiel.scenario == 4) & (ctx.modele is not None)
    idx = np.flatnonzero(consulte)
    if len(idx):
        p_parcours, p_conf, p_decide = proposer(idx)
        probabilite[idx] = p_conf
        d = idx[p_decide]
        nouveau = np.array([_PARCOURS.index(_PARCOURS_MODELE[k]) for k in range(3)])[p_parcours[p_decide]]
        structure[d] = np.where(parcours[d] != nouveau, -1, structure[d])
        parcours[d] = nouveau
        origine[d] = 3
        defaut = np.array([_STRUCTURES.index(STRUCTURE_PAR_DEFAUT[p]) for p in _PARCOURS])
        structure[d] = np.where(structure[d] < 0, defaut[nouveau], structure[d])
        modalite[d] = Modalite.orientation_directe.force
    modalite[modalite == 0] = Modalite.examen_individuel.force
    directe_sans_parcours = (force == Modalite.orientation_directe.force) & (parcours < 0)
    modalite[directe_sans_parcours] = Modalite.examen_individuel.force
    return {"force": force, "modalite": modalite, "parcours": parcours, "structure": structure, "origine": origine,
            "probabilite_modele": probabilite, "choisies": choisies, "consulte": consulte, "proposition": proposition}


def _noms(valeurs: tuple[Any, ...], idx: np.ndarray) -> pa.Array:
    dico = pa.array([v.value if hasattr(v, "value") else v for v in valeurs], pa.string())
    return dico.take(pa.array(idx, mask=idx < 0))


def _table_decisions(ctx: Contexte, ids: pa.Array, lignes: np.ndarray, d: dict[str, Any], regles: pa.Array,
                     delais: tuple[np.ndarray, ...]) -> pa.Table:
    n = len(lignes)
    ref, estimee, limite, rdv, legale, contrat = delais
    conf = d["probabilite_modele"]
    const = lambda v: pa.array(np.full(n, v, dtype=object), pa.string()) if v is not None else pa.nulls(n, pa.string())  # noqa: E731
    return pa.table([
        ids, pa.array(lignes, pa.int64()), _noms(_MODALITES, d["modalite"]), _noms(_PARCOURS, d["parcours"]),
        _noms(_STRUCTURES, d["structure"]), _noms(_ORIGINES, d["origine"]),
        *(_noms(ctx.codes[c], d["parcours"]) for c in ("code_france_travail", "code_rdv_insertion", "code_departement")),
        regles,
        pa.array(conf, pa.float64(), mask=np.isnan(conf)), pa.array(ref, pa.date32()),
        pa.array(np.where(estimee, "1", "0").astype(object), pa.string()),
        pa.array(limite, pa.date32()), pa.array(rdv, pa.date32()),
        pa.array(legale, pa.date32(), mask=np.isnat(legale)), pa.array(contrat, pa.date32(), mask=np.isnat(contrat)),
        pa.array(np.full(n, ctx.referentiel.scenario, dtype=np.int64)),
        const(ctx.version_bibliotheque), const(ctx.referentiel.version), const(ctx.version_modele),
        const(ctx.sha_modele), const(ctx.modele_synthetique)], schema=_SCHEMA_DECISIONS)


class _Modele:
    """Model scoring of some rows of a block, with what explanations need (features, profiles)."""

    def __init__(self, ctx: Contexte, table: pa.Table):
        m = ctx.modele
        self.X = car.vectoriser_colonnes(table)
        lot = m.proposer_lot(self.X)
        # a bare feature matrix carries no département: the caller checks the model covers it
        self.couvert = bool(m.couvre([ctx.departement])[0]) if hasattr(m, "couvre") else True
        self.probabilites, self.parcours, self.confiance = lot.probabilites, lot.parcours, lot.confiance
        self.profil, self.effectif, self.recurrent = lot.profil, lot.effectif_profil, lot.profil_recurrent
        self.decide = lot.decide & self.couvert
        self.ctx = ctx


def chaine_reference(dossier: Any, referentiel: Any, modele: Any) -> tuple[Any, Any, Decision]:
    """Per-dossier chain (durable-rules, ``proposer``, ``decider``): (evaluation, proposal, decision).

    Same steps as :func:`orientation.recommend`; kept here so that the batch can write the
    explanation of a row decided by the per-row path.
    """
    evaluation = referentiel.evaluer(dossier)
    proposition = None
    if modele is not None and evaluation.modalite is None and evaluation.scenario == 4:
        proposition = modele.proposer(dossier)
    return evaluation, proposition, decider(dossier, evaluation, proposition, modele)


def _table_depuis_decisions(ctx: Contexte, lignes: list[int], decisions: list[Decision]) -> pa.Table:
    cols: dict[str, list[Any]] = {k: [] for k in COLONNES_DECISIONS}
    for ligne, d in zip(lignes, decisions):
        cols["identifiant"].append(d.identifiant)
        cols["ligne"].append(ligne)
        cols["modalite"].append(d.modalite.value)
        cols["parcours"].append(_val(d.parcours))
        cols["structure"].append(_val(d.structure))
        cols["origine_parcours"].append(d.origine_parcours)
        for k in ("france_travail", "rdv_insertion", "departement"):
            cols[f"code_{k}"].append(None if d.codes is None else getattr(d.codes, k))
        cols["regles_declenchees"].append("|".join(d.regles_declenchees))
        cols["probabilite_modele"].append(d.probabilite_modele)
        cols["date_reference"].append(d.delais.date_reference)
        cols["date_reference_estimee"].append("1" if d.delais.reference_estimee else "0")
        cols["orientation_au_plus_tard"].append(d.delais.orientation_au_plus_tard)
        cols["premier_rdv_au_plus_tard"].append(d.delais.premier_rdv_au_plus_tard)
        cols["orientation_limite_legale"].append(d.delais.orientation_limite_legale)
        cols["contrat_engagement_si_orientation_a_limite_legale"].append(
            d.delais.contrat_engagement_si_orientation_a_limite_legale)
        cols["scenario"].append(d.scenario)
        cols["version_bibliotheque"].append(d.versions.bibliotheque)
        cols["version_regles"].append(d.versions.regles)
        cols["version_modele"].append(d.versions.modele)
        cols["modele_sha256"].append(d.versions.modele_sha256)
        cols["modele_synthetique"].append(ctx.modele_synthetique)
    return pa.table(cols, schema=_SCHEMA_DECISIONS)


__all__ = ["COLONNES_DECISIONS", "Contexte", "chaine_reference", "decider_lot"]
