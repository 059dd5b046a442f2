"""Typed results of evaluating a référentiel of rules on one dossier.

Produced by :mod:`orientation.regles.referentiel` (durable-rules runtime plus the independent
three-valued evaluator that gives each condition's actual value), consumed by
:mod:`orientation.decision` and :mod:`orientation.explication.construction`.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict

from orientation.vocabulaire import Modalite, Parcours, Structure, Verite


class Effet(BaseModel):
    """What a rule does when it fires."""

    model_config = ConfigDict(frozen=True)

    modalite: Optional[Modalite] = None
    parcours: Optional[Parcours] = None
    structure: Optional[Structure] = None
    motif: Optional[str] = None


class ConditionEvaluee(BaseModel):
    """One elementary condition of a rule, with the dossier's actual value."""

    model_config = ConfigDict(frozen=True)

    champ: str
    libelle_champ: str
    operateur: str
    attendu: Any
    valeur: Any
    valeur_libelle: str
    resultat: Verite
    texte: str


class RegleEvaluee(BaseModel):
    """One rule (or grid line) evaluated on one dossier."""

    model_config = ConfigDict(frozen=True)

    id: str
    titre: str
    description: str
    reference: str
    source: str
    groupe: Optional[str] = None
    priorite: int = 0
    resultat: Verite
    declenchee: bool
    conditions: list[ConditionEvaluee]
    conditions_non_remplies: int
    effet: Effet


class EvaluationRegles(BaseModel):
    """Everything the rule layer says about one dossier."""

    model_config = ConfigDict(frozen=True)

    version_regles: str
    departement: str
    scenario: int
    regles: list[RegleEvaluee]
    modalite: Optional[Modalite]
    proposition_grille: Optional[RegleEvaluee]

    @property
    def declenchees(self) -> list[RegleEvaluee]:
        return [r for r in self.regles if r.declenchee]
