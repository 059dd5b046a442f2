"""Catalogue of a bulk run: every text the compact explanation lines refer to, written once per run.

``orientation lot ... --explications explications.jsonl`` writes ``explications.catalogue.json``
beside the lines (:func:`chemin_catalogue`).  Its shape is :class:`Catalogue` (JSON Schema
``src/orientation/schemas/catalogue_lot.json``):

* versions: of this catalogue's contract (``version_schema``), of the lines' contract
  (``version_schema_ligne``), of the library, rules and model (``versions``);
* ``departement``, ``scenario`` and its French label;
* ``modele``: identity, ``synthetique`` (trained on synthetic data: demonstration only), thresholds,
  how contributions are computed and the French labels of the model's feature groups (``groupes``,
  the ``champ`` of a line's contributions); ``null`` when the run used no model;
* ``avertissements``: to read first (synthetic model, no model configured);
* ``modele_non_consulte``: why the model was not consulted, for every line whose ``modele`` is null;
* ``regles``: every rule and grid line by id: title, description, legal reference, source, grid
  (``groupe``), priority, effect and its elementary conditions in order (field, its French label,
  operator, expected value as JSON and in French): condition ``i`` of a line's rule is condition
  ``i`` here;
* ``champs``: every field the conditions test: French label, kind, unit and code labels (code
  name -> French label), to read a condition's ``valeur``;
* ``libelles``: French labels of modalities, routes, structures, route origins and results.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from orientation.configuration import SANS_MODELE
from orientation.decision import Versions
from orientation.explication.construction import _LIBELLE_ORIGINE, avertissement_synthetique
from orientation.flux.contrat import NB_CONTRIBUTIONS, VERSION_SCHEMA_LIGNE
from orientation.flux.sorties import chemin_catalogue
from orientation.flux.decisions import Contexte
from orientation.flux.explications import raison_non_consulte
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES
from orientation.modele.contributions import METHODE_APPROCHEE, METHODE_EXACTE
from orientation.regles.conditions import atomes
from orientation.regles.evaluation import Effet
from orientation.vocabulaire import SCENARIOS, Modalite, Parcours, Structure, Verite

#: Version of the catalogue's JSON contract (``src/orientation/schemas/catalogue_lot.json``).
VERSION_SCHEMA_CATALOGUE = "1.1"

_CONFIG = ConfigDict(frozen=True, extra="forbid")


class ConditionCatalogue(BaseModel):
    """One elementary condition of a rule (a line gives its value and result, in the same order)."""

    model_config = _CONFIG

    champ: str = Field(description="chemin du champ testé (clé de « champs »)")
    libelle_champ: str
    operateur: str
    attendu: Any = Field(description="valeur attendue (forme lisible)")
    attendu_libelle: str = Field(description="valeur attendue, en français")


class RegleCatalogue(BaseModel):
    """A rule, or a line of a pre-orientation grid (``groupe``: the grid)."""

    model_config = _CONFIG

    titre: str
    description: str
    reference: str = Field(description="référence juridique ou documentaire")
    source: str
    groupe: Optional[str] = Field(description="grille de pré-orientation de la ligne (null : une règle)")
    priorite: int
    effet: Effet
    conditions: list[ConditionCatalogue]


class ChampCatalogue(BaseModel):
    """A field tested by the rules: how to read its values."""

    model_config = _CONFIG

    libelle: str
    genre: Literal["booleen", "code", "codes", "entier", "entiers", "date"]
    unite: str
    codes: dict[str, str] = Field(description="nom du code -> libellé français (champs à codes)")


class ModeleCatalogue(BaseModel):
    """The statistical model of the run."""

    model_config = _CONFIG

    nom: str
    version: str
    sha256: str
    synthetique: bool = Field(description="modèle entraîné sur des données synthétiques : démonstration "
                                          "seulement, ne pas orienter de vraies personnes avec lui")
    type_modele: str
    departements: list[str] = Field(description="départements des orientations d'entraînement")
    seuils: dict[Parcours, Optional[float]] = Field(
        description="seuil de confiance de chaque parcours (null : jamais atteint, le modèle ne le propose pas)")
    seuil_recurrence: int = Field(description="effectif minimal d'un profil pour que le modèle décide")
    contributions_exactes: bool = Field(description="false : les lignes ne portent pas de contributions")
    methode_contributions: str
    nb_contributions: int = Field(description="contributions au parcours proposé écrites par ligne (au plus)")
    groupes: dict[str, str] = Field(description="groupe de caractéristiques (champ d'une contribution) -> libellé")


class Catalogue(BaseModel):
    """The texts and versions of a bulk run, written once beside its explanation lines."""

    model_config = _CONFIG

    version_schema: Literal["1.1"] = VERSION_SCHEMA_CATALOGUE
    version_schema_ligne: str = Field(description="version du contrat des lignes (schéma explication_lot)")
    departement: str
    scenario: int = Field(description="scénario DITP 2019 du département (1 à 4)")
    libelle_scenario: str
    versions: Versions
    modele: Optional[ModeleCatalogue]
    avertissements: list[str] = Field(description="à lire en premier (modèle entraîné sur des données "
                                                  "synthétiques, aucun modèle configuré…)")
    modele_non_consulte: str = Field(description="pourquoi le modèle n'a pas été consulté, pour les lignes dont "
                                                 "« modele » est null")
    regles: dict[str, RegleCatalogue] = Field(description="règles et lignes de grille, par identifiant")
    champs: dict[str, ChampCatalogue] = Field(description="champs testés par les conditions, par chemin")
    libelles: dict[str, dict[str, str]] = Field(
        description="libellés français : modalite, parcours, structure, origine_parcours, resultat")


def _modele(ctx: Contexte) -> Optional[ModeleCatalogue]:
    m = ctx.modele
    if m is None:
        return None
    exact = m.type_modele == "logistique"
    return ModeleCatalogue(
        nom=m.nom, version=m.version, sha256=m.sha256, synthetique=bool(m.donnees_synthetiques),
        type_modele=m.type_modele, departements=[str(d) for d in m.departements],
        seuils={p: (float(s) if math.isfinite(s) else None) for p, s in zip(CLASSES, m.seuils)},
        seuil_recurrence=int(m.seuil_recurrence), contributions_exactes=exact,
        methode_contributions=METHODE_EXACTE if exact else METHODE_APPROCHEE, nb_contributions=NB_CONTRIBUTIONS,
        groupes={g.nom: g.libelle for g in car.GROUPES})


def avertissement_modele(ctx: Contexte) -> Optional[str]:
    """French warning when the run's model was trained on synthetic data (catalogue and summary), else None."""
    m = ctx.modele
    return avertissement_synthetique(m.nom, m.version) if m is not None and m.donnees_synthetiques else None


def catalogue(ctx: Contexte) -> Catalogue:
    """The catalogue of a run (its référentiel and model)."""
    ref = ctx.referentiel
    regles: dict[str, RegleCatalogue] = {}
    champs: dict[str, ChampCatalogue] = {}
    for r in ref.toutes_regles():
        conditions = []
        for a in atomes(r.si):
            c = a.champ
            conditions.append(ConditionCatalogue(champ=c.chemin, libelle_champ=c.libelle, operateur=a.operateur,
                                                 attendu=a.attendu_json, attendu_libelle=a.attendu_libelle))
            champs.setdefault(c.chemin, ChampCatalogue(libelle=c.libelle, genre=c.genre, unite=c.unite,
                                                       codes=dict(c.codes)))
        regles[r.id] = RegleCatalogue(titre=r.titre, description=r.description, reference=r.reference,
                                      source=r.source, groupe=r.groupe, priorite=r.priorite, effet=r.effet,
                                      conditions=conditions)
    m = ctx.modele
    avertissements = [a for a in (avertissement_modele(ctx),) if a]
    if m is None:
        avertissements.append(f"{SANS_MODELE[0].upper()}{SANS_MODELE[1:]}.")
    # one reason for every line without a model proposal: no model / not scenario 4 / a rule set the modality
    non_consulte = raison_non_consulte(ctx, 0) or raison_non_consulte(ctx, 1)
    return Catalogue(
        version_schema_ligne=VERSION_SCHEMA_LIGNE, departement=ctx.departement, scenario=ref.scenario,
        libelle_scenario=SCENARIOS[ref.scenario],
        versions=Versions(bibliotheque=ctx.version_bibliotheque, regles=ref.version, modele=ctx.version_modele,
                          modele_sha256=ctx.sha_modele),
        modele=_modele(ctx), avertissements=avertissements, modele_non_consulte=non_consulte or "",
        regles=regles, champs=dict(sorted(champs.items())),
        libelles={"modalite": {x.value: x.libelle for x in Modalite}, "parcours": {x.value: x.libelle for x in Parcours},
                  "structure": {x.value: x.libelle for x in Structure},
                  "origine_parcours": {k: v for k, v in _LIBELLE_ORIGINE.items() if v},
                  "resultat": {x.value: x.libelle for x in Verite}})


def ecrire_catalogue(ctx: Contexte, destination: Path) -> None:
    """Write the run's catalogue to ``destination``: the temporary part of
    :func:`~orientation.flux.sorties.chemin_catalogue`, published with the run's other outputs."""
    texte = json.dumps(catalogue(ctx).model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
    destination.write_text(texte, encoding="utf-8")


__all__ = ["VERSION_SCHEMA_CATALOGUE", "Catalogue", "avertissement_modele", "catalogue", "chemin_catalogue", "ecrire_catalogue"]
