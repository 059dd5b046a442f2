"""Typed pieces of an explanation (JSON contract ``explication`` 1.2), built by the other modules of the package.

:class:`~orientation.explication.construction.Explication` assembles them; this module only
declares them so that each concept's module (synthesis, counterfactuals, model reading, CRPA
items) and the renderers can share them without importing each other.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from orientation.decision import Origine
from orientation.vocabulaire import Modalite, Parcours, Structure

_FIGE = ConfigDict(frozen=True)


class Changement(BaseModel):
    """One changed answer: the field (rule path, as in the YAML rules) and its value before and after.

    Values are in the dossier's readable form (code names, booleans, integers, lists of code
    names, ``null`` for « non renseigné »): another program can re-apply the change.
    """

    model_config = _FIGE

    champ: str = Field(description="chemin du champ, comme dans les règles YAML (dsp.logement, demande_rdv…)")
    libelle_champ: str
    avant: Any = Field(description="valeur actuelle du dossier (forme lisible ; null : non renseigné)")
    apres: Any = Field(description="valeur qui changerait la recommandation (forme lisible ; null : non renseigné)")
    fait_etabli: bool = Field(
        default=False, description="fait passé que ni la personne ni le référent ne peuvent changer (il ne "
                                   "change que s'il était erroné) : primo-demande, droits antérieurs…")


class Issue(BaseModel):
    """The recommendation the chain gives once the changes are applied."""

    model_config = _FIGE

    modalite: Modalite
    parcours: Optional[Parcours]
    structure: Optional[Structure]
    origine_parcours: Origine


class Cause(BaseModel):
    """What decides the new recommendation after the change (checked by re-running the whole chain)."""

    model_config = _FIGE

    regles: list[str] = Field(description="règles et lignes de grille qui s'appliqueraient ou cesseraient de s'appliquer")
    ligne_grille: Optional[str] = Field(description="ligne de grille qui proposerait le parcours après le changement")
    modele: Optional[Literal["decide", "abstention"]] = Field(
        description="ce que ferait le modèle après le changement (null : il ne serait pas consulté)")
    nature: Literal["regle", "retrait", "grille", "modele"] = Field(
        description="ce qui décide la nouvelle recommandation : une règle qui s'appliquerait (regle), la fin d'une "
                    "règle qui s'appliquait (retrait), une autre ligne de grille (grille), le modèle, consulté "
                    "après le changement (modele)")
    decisive: Optional[str] = Field(
        description="identifiant de la règle ou ligne de grille en cause (pour retrait : la règle qui cesserait "
                    "de s'appliquer) ; null pour le modèle")
    libelle: str = Field(description="la cause, en français")


class Contrefactuel(BaseModel):
    """A change of one answer that would change the recommendation (computed, not guessed)."""

    model_config = _FIGE

    source: Literal["regles", "modele"] = Field(description="couche qui a proposé le changement")
    changements: list[Changement]
    apres: Issue
    cause: Cause
    phrase: str = Field(description="le contrefactuel en français, pour un référent")


class GroupeContrefactuels(BaseModel):
    """Counterfactuals with the same effect and the same cause: one line for the reader."""

    model_config = _FIGE

    apres: Issue
    cause: Cause
    contrefactuels: list[int] = Field(description="rangs des contrefactuels du groupe dans « contrefactuels »")
    fait_etabli: bool = Field(description="chaque changement du groupe porte sur un fait établi")
    effet: str = Field(description="la nouvelle recommandation et sa cause, en français")
    conditions: list[str] = Field(description="les réponses qui la déclencheraient, une par champ, en français")
    phrase: str


class AComplementer(BaseModel):
    """A missing answer that could change the outcome."""

    model_config = _FIGE

    champs: list[str] = Field(description="chemins des champs non renseignés (plusieurs : un même questionnaire)")
    libelle: str
    effet: str = Field(description="ce que la réponse pourrait changer, en français")
    verifie: bool = Field(description="vrai : une valeur au moins a été essayée et change la recommandation ; "
                                      "faux : une règle ou une ligne de grille en dépend")


class Synthese(BaseModel):
    """The first block: what to do and why, the deadline, what to complete."""

    model_config = _FIGE

    recommandation: str
    parcours: str
    raisons: list[str] = Field(description="une à trois raisons décisives, avec les valeurs de la personne")
    echeance: str
    a_completer: list[AComplementer]
    preorientation_caf: Optional[str] = Field(
        default=None, description="pré-orientation calculée par la CAF (flux d'instruction), quand le flux la porte")


class PoidsReponse(BaseModel):
    """How much one answer weighs toward the route the model proposes, in words and in log-odds."""

    model_config = _FIGE

    champ: str
    libelle_champ: str
    valeur: str
    poids: float = Field(description="contribution au score du parcours proposé (log-cote)")
    force: Literal["fortement", "modérément", "légèrement"]
    phrase: str


class LectureModele(BaseModel):
    """The model's proposal read toward the proposed route only."""

    model_config = _FIGE

    parcours: Parcours
    confiance: str = Field(description="la confiance, en français (jamais « 100,0 % »)")
    phrase: str
    reponses: list[PoidsReponse]
    note_poids: str = Field(description="ce que signifient les nombres")


class ElementsCRPA(BaseModel):
    """The four items owed under CRPA art. R311-3-1-2 for an individual decision."""

    model_config = _FIGE

    degre_et_mode_de_contribution: str
    donnees_et_sources: list[str]
    parametres_et_ponderations: list[str]
    operations: list[str]
