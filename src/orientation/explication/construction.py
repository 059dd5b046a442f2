"""explain(): why this decision, in French a référent can act on in one minute (CRPA art. R311-3-1-2).

The explanation is a typed object (:class:`Explication`, JSON contract ``explication`` 1.2) with
four renderings: ``texte()``, ``markdown()``, ``html()`` (short by default, ``detail="complet"``
for everything) and ``json()`` (always complete).  It is assembled from one module per concept:

* :mod:`~orientation.explication.synthese`: the first block (what to do, why, by when) and
  « À compléter »;
* :mod:`~orientation.explication.contrefactuels`: what would change the outcome, each change
  replayed through the whole chain and attributed to what actually decides it, grouped by effect;
* :mod:`~orientation.explication.lecture_modele`: the model's proposal in words;
* :mod:`~orientation.explication.crpa`: the four items of article R311-3-1-2;
* :mod:`~orientation.explication.document`, :mod:`~orientation.explication.rendu_texte`,
  :mod:`~orientation.explication.rendu_html`: the reading order and the renderings.

>>> from orientation.dossier.schema import Dossier, EXEMPLE_CNAF
>>> e = explain(Dossier.depuis_cnaf(EXEMPLE_CNAF))
>>> e.decision.modalite.value, e.decision.origine_parcours
('rdv_obligatoire', 'rendez_vous')
>>> "Primo-demandeur" in e.texte()
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from orientation.configuration import SANS_MODELE, SourceModele, SpecModele
from orientation.decision import Chaine, Decision, executer
from orientation.dossier.preorientation import phrase as phrase_preorientation
from orientation.dossier.schema import Dossier
from orientation.explication import contrefactuels as cf
from orientation.explication import crpa, lecture_modele, synthese
from orientation.explication.crpa import SOURCES, delais_legaux  # noqa: F401 - re-exported
from orientation.explication.document import Detail
from orientation.explication.modeles import (  # noqa: F401 - re-exported
    AComplementer,
    Cause,
    Changement,
    Contrefactuel,
    ElementsCRPA,
    GroupeContrefactuels,
    Issue,
    LectureModele,
    Synthese,
)
from orientation.explication.rendu_html import rendre_html
from orientation.explication.rendu_texte import rendre_markdown, rendre_texte
from orientation.modele.modele import PropositionModele
from orientation.regles.evaluation import EvaluationRegles, RegleEvaluee
from orientation.vocabulaire import SCENARIOS, Modalite, Parcours, Structure, Verite

if TYPE_CHECKING:
    from pathlib import Path

    from orientation.regles.referentiel import Referentiel

#: Version of the explanation's JSON contract (``src/orientation/schemas/explication.json``).
VERSION_SCHEMA_EXPLICATION = "1.2"

Format = Literal["texte", "markdown", "html", "json"]


class Explication(BaseModel):
    """Structured explanation of one decision."""

    model_config = ConfigDict(frozen=True)

    version_schema: Literal["1.2"] = VERSION_SCHEMA_EXPLICATION
    decision: Decision
    scenario: int = Field(description="scénario DITP 2019 du département (1 à 4)")
    libelle_scenario: str
    avertissements: list[str] = Field(description="à lire en premier (modèle entraîné sur des données synthétiques, "
                                                  "aucun modèle configuré…)")
    synthese: Synthese = Field(description="premier bloc : que faire et pourquoi, échéance, réponses à compléter")
    regles_declenchees: list[RegleEvaluee]
    regles_presque_declenchees: list[RegleEvaluee]
    proposition_grille: Optional[RegleEvaluee]
    modele: Optional[PropositionModele] = Field(description="proposition du modèle quand il a été consulté")
    lecture_modele: Optional[LectureModele] = Field(
        description="la proposition du modèle en mots, vers le parcours proposé seulement (null : non consulté)")
    modele_non_consulte: Optional[str] = Field(description="pourquoi le modèle n'a pas été consulté (null s'il l'a été)")
    contrefactuels: list[Contrefactuel]
    groupes_contrefactuels: list[GroupeContrefactuels] = Field(
        description="les contrefactuels regroupés par effet et par cause, au plus cinq (sans ceux qui portent sur "
                    "une réponse non renseignée : voir synthese.a_completer)")
    crpa: ElementsCRPA

    def texte(self, detail: Detail = "court") -> str:
        return rendre_texte(self, detail)

    def markdown(self, detail: Detail = "court") -> str:
        return rendre_markdown(self, detail)

    def html(self, detail: Detail = "court", fragment: bool = False, style: bool = True) -> str:
        """A self-contained HTML page (A4 card), or a fragment to embed in another page (without its
        ``<style>`` when ``style=False``: the host links :func:`~orientation.explication.rendu_html.style_carte`)."""
        return rendre_html(self, detail, fragment, style)

    def json(self, indent: int | None = 2) -> str:  # type: ignore[override]
        """The explanation as a JSON string (contract: ``orientation/schemas/explication.json``)."""
        return self.model_dump_json(indent=indent)

    def en_dict(self) -> dict[str, Any]:
        """The explanation as a JSON-ready dict (same content as :meth:`json`)."""
        return self.model_dump(mode="json")

    def rendre(self, format: Format = "texte", detail: Detail = "court") -> str:
        if format == "json":
            return self.json()
        return {"texte": self.texte, "markdown": self.markdown, "html": self.html}[format](detail)


def _presque(evaluation: EvaluationRegles) -> list[RegleEvaluee]:
    """Rules that did not fire but depend on an unanswered question, or miss one condition of several."""
    out = []
    for r in evaluation.regles:
        if r.declenchee or not r.conditions:
            continue
        if r.resultat == Verite.inconnu or (r.conditions_non_remplies == 1 and len(r.conditions) > 1):
            out.append(r)
    return out


def _modele_non_consulte(chaine: Chaine) -> Optional[str]:
    """Why the model was not consulted (``None`` when it was); same wording as the bulk explanations."""
    if chaine.proposition is not None:
        return None
    if chaine.evaluation.modalite is not None:
        return "une règle fixe la modalité : le modèle n'est pas consulté"
    if chaine.evaluation.scenario != 4:
        return f"scénario {chaine.evaluation.scenario} : le modèle n'est consulté qu'en scénario 4"
    return SANS_MODELE


def avertissement_synthetique(nom: str, version: str) -> str:
    """French warning of a model trained on synthetic data (explanations, bulk catalogue and summary)."""
    return (f"ATTENTION : modèle statistique « {nom} » (version {version}) entraîné sur des données SYNTHÉTIQUES, "
            "pour démonstration : ne pas orienter de vraies personnes avec lui.")


def _avertissements(chaine: Chaine, non_consulte: Optional[str], contrefactuels: list[Contrefactuel]) -> list[str]:
    out = []
    m = chaine.modele
    a_servi = chaine.proposition is not None or any(c.cause.modele is not None for c in contrefactuels)
    if m is not None and m.donnees_synthetiques and a_servi:
        out.append(avertissement_synthetique(m.nom, m.version))
    if non_consulte == SANS_MODELE:
        out.append(f"{SANS_MODELE[0].upper()}{SANS_MODELE[1:]}.")
    return out


def explain(
    dossier: Dossier,
    referentiel: Referentiel | str | Path | None = None,
    modele: SpecModele | SourceModele = None,
) -> Explication:
    """Explain the recommendation for one dossier (same arguments as :func:`orientation.recommend`)."""
    chaine = executer(dossier, referentiel, modele)
    evaluation, proposition, decision = chaine.evaluation, chaine.proposition, chaine.decision
    contrefactuels = cf.chercher(dossier, chaine)
    non_consulte = _modele_non_consulte(chaine)
    lecture = lecture_modele.lire(proposition)
    return Explication(
        decision=decision,
        scenario=evaluation.scenario,
        libelle_scenario=SCENARIOS[evaluation.scenario],
        avertissements=_avertissements(chaine, non_consulte, contrefactuels),
        synthese=synthese.construire(chaine, lecture, contrefactuels, non_consulte).model_copy(
            update={"preorientation_caf": phrase_preorientation(dossier)}),
        regles_declenchees=evaluation.declenchees,
        regles_presque_declenchees=_presque(evaluation),
        proposition_grille=evaluation.proposition_grille,
        modele=proposition,
        lecture_modele=lecture,
        modele_non_consulte=non_consulte,
        contrefactuels=contrefactuels,
        groupes_contrefactuels=cf.grouper(contrefactuels),
        crpa=crpa.elements(dossier, evaluation, decision, proposition, lecture, non_consulte),
    )


# --------------------------------------------------------------------------- one-line summaries


_LIBELLE_ORIGINE = {"regle": "fixé par une règle", "grille": "proposé par la grille de pré-orientation",
                    "modele": "proposé par le modèle", "rendez_vous": "à décider au rendez-vous", "aucune": ""}


def resume_decision(modalite: Modalite, parcours: Optional[Parcours], structure: Optional[Structure],
                    origine: str) -> str:
    """French one-sentence summary of a decision (used by the batch explanations)."""
    s = f"Modalité recommandée : {modalite.libelle}."
    if origine == "rendez_vous":
        s += " Parcours : à décider au rendez-vous."
    elif parcours is not None:
        s += f" Parcours : {parcours.libelle} ({_LIBELLE_ORIGINE[origine]})"
        if structure is not None:
            s += f", structure référente : {structure.libelle}"
        s += "."
    return s


__all__ = ["Explication", "Format", "VERSION_SCHEMA_EXPLICATION", "avertissement_synthetique", "explain",
           "rendre_html", "rendre_markdown", "rendre_texte", "resume_decision"]
