"""Typed results of evaluating a référentiel of rules on one dossier.

Produced by :mod:`orientation.regles.referentiel` (durable-rules runtime plus the independent
three-valued evaluator that gives each condition's actual value), consumed by
:mod:`orientation.decision` and :mod:`orientation.explication.construction`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

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
    en_vigueur_du: Optional[date] = Field(default=None, description="début de validité de la règle (null : sans)")
    en_vigueur_au: Optional[date] = Field(default=None, description="fin de validité de la règle (null : sans)")


class VigueurRegles(BaseModel):
    """Which version of the rules was applied: the date, the period of that version, its fingerprint."""

    model_config = ConfigDict(frozen=True)

    date_application: date = Field(description="date à laquelle les règles en vigueur ont été prises "
                                               "(date de la demande, sauf date donnée)")
    du: Optional[date] = Field(description="début de la période où cet ensemble de règles est en vigueur")
    au: Optional[date] = Field(description="fin de cette période (null : jusqu'à nouvel ordre)")
    libelle: str = Field(description="la période en français")
    empreinte: str = Field(description="SHA-256 du contenu des règles et grilles en vigueur sur la période")


class CodesDepartement(BaseModel):
    """What a département's rule file says of the routes' names (keys ``libelles_parcours`` and
    ``codes_france_travail``); used by :mod:`orientation.codes_sortie`.  Not dated."""

    model_config = ConfigDict(frozen=True)

    libelles_parcours: dict[Parcours, str] = Field(default_factory=dict)
    france_travail: dict[Parcours, str] = Field(default_factory=dict)


class EvaluationRegles(BaseModel):
    """Everything the rule layer says about one dossier."""

    model_config = ConfigDict(frozen=True)

    version_regles: str
    departement: str
    scenario: int
    regles: list[RegleEvaluee]
    modalite: Optional[Modalite]
    proposition_grille: Optional[RegleEvaluee]
    vigueur: Optional[VigueurRegles] = None
    codes_departement: CodesDepartement = CodesDepartement()

    @property
    def declenchees(self) -> list[RegleEvaluee]:
        return [r for r in self.regles if r.declenchee]
