"""Shape of a bulk explanation line: a documented subset of :func:`orientation.explain`'s JSON.

A line of ``explications.jsonl`` carries ids, values and results only; the texts (rule titles,
references, condition texts and expected values, field and code labels, grid lines, model
feature-group labels, versions) are written once per run in the catalogue beside it
(:mod:`orientation.flux.catalogue`).  Every field of a line except ``ligne`` is a field of
``explain(...).en_dict()`` with the same name and the same type, at the same place:

* ``ligne``: line number in the input file (bulk only; CSV/JSON Lines: physical line, header = 1;
  Parquet: rank of the record from 1);
* ``decision``: ``identifiant``, ``modalite``, ``parcours``, ``structure``, ``origine_parcours``,
  ``probabilite_modele`` (non-null only when the model was consulted).  Omitted: ``version_schema``,
  ``departement``, ``scenario``, ``modele`` and ``versions`` (same for the whole run: catalogue),
  ``regles_declenchees`` (the ids of the line's ``regles_declenchees``), ``delais`` and ``codes``
  (columns of ``decisions.csv``);
* ``regles_declenchees``: every rule and grid line that fired, in evaluation order: ``id`` and
  ``conditions``, each with the actual ``valeur`` (readable form, ``null`` = non renseigné) and the
  Kleene ``resultat``; condition ``i`` is condition ``i`` of the rule in the catalogue (``champ``,
  ``libelle_champ``, ``operateur``, ``attendu``...).  Omitted: every text and every field of the rule;
* ``proposition_grille``: ``id`` of the grid line that proposed the route (catalogue for the rest);
* ``modele`` (``null`` when the model was not consulted: the reason is the catalogue's
  ``modele_non_consulte``): ``probabilites``, ``parcours``, ``effectif_profil``, ``profil_recurrent``,
  ``decide`` and ``contributions``: the :data:`NB_CONTRIBUTIONS` largest non-zero contributions to
  the proposed route (``champ``, ``valeur``, ``poids``), ``null`` when they are not exact (forest,
  see the catalogue's ``contributions_exactes``).  Omitted: ``confiance`` (= ``decision.probabilite_modele``),
  ``seuil`` and ``seuil_recurrence`` (catalogue), ``raison_abstention`` (follows from ``decide``,
  ``profil_recurrent``, the probability and the catalogue's thresholds), ``profil`` (label), the
  model's identity, scores and the contributions to the other routes.

Omitted from the explanation altogether (per-dossier API only, far too costly for millions of rows):
``regles_presque_declenchees``, ``contrefactuels``, ``crpa``, ``avertissements`` and
``libelle_scenario`` (catalogue).

:func:`projeter` turns an explanation JSON into its bulk line; the tests check that the bulk
writer's lines equal it.
"""

from __future__ import annotations

import typing
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from orientation.decision import Decision
from orientation.modele.contributions import Contribution
from orientation.modele.modele import PropositionModele
from orientation.regles.evaluation import ConditionEvaluee, RegleEvaluee

#: Version of the bulk line's JSON contract (``src/orientation/schemas/explication_lot.json``).
VERSION_SCHEMA_LIGNE = "1.0"

#: Number of model contributions (to the proposed route) written per line.
NB_CONTRIBUTIONS = 5

_CONFIG = ConfigDict(frozen=True, extra="forbid")


def _sous_modele(nom: str, source: type[BaseModel], champs: tuple[str, ...], doc: str,
                 **remplaces: Any) -> type[BaseModel]:
    """A model keeping ``champs`` of ``source`` with their type and description (``remplaces``: sub-models)."""
    definitions: dict[str, Any] = {}
    for c in champs:
        info = source.model_fields[c]
        typ = remplaces.get(c, info.annotation)
        definitions[c] = (typ, Field(..., description=info.description))
    modele = create_model(nom, __config__=_CONFIG, __doc__=doc, **definitions)
    return typing.cast(type[BaseModel], modele)


ConditionLot = _sous_modele("ConditionLot", ConditionEvaluee, ("valeur", "resultat"),
                            "Condition i of the rule in the catalogue: actual value and Kleene result.")
RegleLot = _sous_modele("RegleLot", RegleEvaluee, ("id", "conditions"), "A rule or grid line that fired.",
                        conditions=list[ConditionLot])  # type: ignore[valid-type]
GrilleLot = _sous_modele("GrilleLot", RegleEvaluee, ("id",), "The grid line that proposed the route.")
ContributionLot = _sous_modele("ContributionLot", Contribution, ("champ", "valeur", "poids"),
                               "Signed contribution of one answer to the proposed route (log-odds).")
PropositionLot = _sous_modele(
    "PropositionLot", PropositionModele,
    ("probabilites", "parcours", "profil_recurrent", "effectif_profil", "decide", "contributions"),
    "What the model proposed (the rest is in the catalogue).",
    contributions=Optional[list[ContributionLot]])  # type: ignore[valid-type]
DecisionLot = _sous_modele(
    "DecisionLot", Decision,
    ("identifiant", "modalite", "parcours", "structure", "origine_parcours", "probabilite_modele"),
    "The decision (the rest is in decisions.csv and the catalogue).")


class LigneExplication(BaseModel):
    """One line of the bulk explanations file (``explications.jsonl``): a subset of ``explain().json()``."""

    model_config = _CONFIG

    ligne: int = Field(description="numéro de la ligne dans le fichier d'entrée (propre au traitement en lot)")
    decision: DecisionLot  # type: ignore[valid-type]
    regles_declenchees: list[RegleLot]  # type: ignore[valid-type]
    proposition_grille: Optional[GrilleLot]  # type: ignore[valid-type]
    modele: Optional[PropositionLot] = Field(  # type: ignore[valid-type]
        description="proposition du modèle quand il a été consulté (sinon : modele_non_consulte du catalogue)")


def _sous_modele_de(annotation: Any) -> Optional[type[BaseModel]]:
    """The pydantic model inside ``Optional[M]`` / ``list[M]`` / ``M``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in typing.get_args(annotation):
        m = _sous_modele_de(a)
        if m is not None:
            return m
    return None


def _garder(modele: type[BaseModel], d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for nom, info in modele.model_fields.items():
        v = d[nom]
        sous = _sous_modele_de(info.annotation)
        if sous is not None and isinstance(v, dict):
            v = _garder(sous, v)
        elif sous is not None and isinstance(v, list):
            v = [_garder(sous, x) for x in v]
        out[nom] = v
    return out


def projeter(explication: dict[str, Any], ligne: int) -> dict[str, Any]:
    """The bulk line of an explanation JSON (``explain(...).en_dict()``): the subset documented above."""
    e = dict(explication, ligne=ligne)
    m = e.get("modele")
    if m is not None:
        exactes = m["contributions_exactes"]
        e["modele"] = dict(m, contributions=[c for c in m["contributions"] if c["parcours"] == m["parcours"]
                                             and abs(c["poids"]) > 1e-12][:NB_CONTRIBUTIONS] if exactes else None)
    return _garder(LigneExplication, e)


__all__ = ["NB_CONTRIBUTIONS", "VERSION_SCHEMA_LIGNE", "LigneExplication", "projeter"]
