"""recommend(): dossier → rules → model → typed decision.

>>> from orientation.dossier.schema import Dossier, EXEMPLE_CNAF
>>> d = recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF))
>>> d.modalite.value, d.delais.orientation_au_plus_tard.isoformat()
('rdv_obligatoire', '2025-10-20')
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from pathlib import Path
from datetime import date, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from orientation.codes_sortie import CodesSortie, codes_sortie
from orientation.configuration import SourceModele, SpecModele, referentiel as charger_referentiel
from orientation.dossier.schema import Dossier
from orientation.erreurs import ConfigurationInvalide
from orientation.regles.evaluation import EvaluationRegles, VigueurRegles
from orientation.vocabulaire import Modalite, Parcours, Structure

if TYPE_CHECKING:
    from orientation.modele.modele import ModeleOrientation, PropositionModele
    from orientation.regles.referentiel import Referentiel

#: Seeds (DITP 2019, CASF art. L262-29 and loi plein emploi): orientation within one month of the
#: notification of rights; first accompaniment appointment within two weeks of the orientation.
DELAI_ORIENTATION_MOIS = 1
DELAI_PREMIER_RDV_JOURS = 14

#: Legal deadlines of décret n° 2024-1244 du 30 décembre 2024 relatif aux délais d'orientation et
#: d'accompagnement des demandeurs d'emploi (JORF n° 0309 du 31 décembre 2024, NOR TSSD2416580D), in force on
#: 1 January 2025 (its notice says so).  Its art. 2 inserted CASF art. D262-65-2 (text of art. 2 read on a
#: mirror of the JORF, legal.tricoteuses.fr, JORFARTI000050871762): if the président du conseil
#: départemental has not oriented the RSA beneficiary within six weeks of his services receiving the
#: information that the right was opened (or transferred into the département), the France Travail operator
#: orients.  The decree also created Code du travail art. D5411-14-1 (article number: Centre Inffo,
#: 10 January 2025; the one-month rule itself is also in the decree's notice, idcite.com; the article text
#: was not read): the contrat d'engagement is drawn up and signed within one month of the notification of
#: the orientation decision (a new orientation after the global diagnosis opens a new month, same sources:
#: not modelled, the recommendation precedes any orientation).  The dossier does not carry the date the
#: département received that information: the six weeks are counted from the same reference date as the
#: DITP deadlines (notification of rights, else opening of rights), an approximation flagged by
#: ``reference_estimee`` and documented in the README.  The deadlines apply to reference dates on or after
#: :data:`DATE_DECRET_DELAIS` (no transitional rule for rights opened earlier was found: this cut-off is our
#: reading); before it the fields are null and ``motif_sans_delais_legaux`` says why.
DATE_DECRET_DELAIS = date(2025, 1, 1)
DELAI_ORIENTATION_LEGAL_JOURS = 42  # six weeks
DELAI_CONTRAT_ENGAGEMENT_MOIS = 1
REFERENCE_ORIENTATION_LEGALE = (
    "CASF art. D262-65-2 (décret n° 2024-1244 du 30 décembre 2024) : sans orientation par le président du conseil "
    "départemental dans les six semaines suivant la réception de l'information d'ouverture (ou de transfert) du "
    "droit au RSA, l'opérateur France Travail oriente")
REFERENCE_CONTRAT_ENGAGEMENT = (
    "Code du travail art. D5411-14-1 (décret n° 2024-1244 du 30 décembre 2024) : contrat d'engagement élaboré et "
    "signé dans le mois suivant la notification de la décision d'orientation")
MOTIF_AVANT_DECRET = (
    "date de référence antérieure au 1er janvier 2025, date d'entrée en vigueur du décret n° 2024-1244 : "
    "délais légaux non applicables")

#: Referent body used when a route comes from the model and no grid line named one.
STRUCTURE_PAR_DEFAUT: dict[Parcours, Structure] = {
    Parcours.professionnel: Structure.france_travail,
    Parcours.socio_professionnel: Structure.departement,
    Parcours.social: Structure.departement,
}

Origine = Literal["regle", "grille", "modele", "aucune"]

#: Version of the decision's JSON contract (``src/orientation/schemas/decision.json``).
VERSION_SCHEMA_DECISION = "1.2"


def ajouter_mois(d: date, mois: int) -> date:
    """Add calendar months, clamping to the last day of the month (31 janvier + 1 mois = 28/29 février)."""
    m = d.month - 1 + mois
    annee, mois0 = d.year + m // 12, m % 12 + 1
    return date(annee, mois0, min(d.day, calendar.monthrange(annee, mois0)[1]))


class Delais(BaseModel):
    """Legal deadlines computed for this dossier."""

    model_config = ConfigDict(frozen=True)

    date_reference: date
    reference_estimee: bool
    orientation_au_plus_tard: date
    premier_rdv_jours_apres_orientation: int
    premier_rdv_au_plus_tard: date
    orientation_limite_legale: Optional[date] = Field(
        description="six semaines après la date de référence : sans orientation par le département à cette "
                    "date, France Travail oriente (CASF art. D262-65-2) ; null avant le 1er janvier 2025")
    contrat_engagement_mois_apres_notification_orientation: Optional[int] = Field(
        description="délai de signature du contrat d'engagement, en mois après la notification de "
                    "l'orientation (Code du travail art. D5411-14-1) ; null avant le 1er janvier 2025")
    contrat_engagement_si_orientation_a_limite_legale: Optional[date] = Field(
        description="date limite de signature du contrat d'engagement si l'orientation est notifiée à la limite "
                    "légale ; plus tôt si elle est notifiée avant ; null avant le 1er janvier 2025")
    references_legales: list[str] = Field(description="articles fondant les délais légaux (vide s'ils ne "
                                                      "s'appliquent pas)")
    motif_sans_delais_legaux: Optional[str] = Field(
        description="pourquoi les délais légaux ne sont pas calculés ; null quand ils le sont")


class Versions(BaseModel):
    """Versions used to decide: same input + same versions ⇒ same decision."""

    model_config = ConfigDict(frozen=True)

    bibliotheque: str
    regles: str = Field(description="SHA-256 des fichiers de règles (toutes périodes de vigueur)")
    modele: Optional[str] = None
    modele_sha256: Optional[str] = None
    regles_en_vigueur: Optional[VigueurRegles] = Field(
        default=None, description="version des règles appliquée : date retenue, période de vigueur, empreinte")


class ModeleUtilise(BaseModel):
    """The statistical model loaded for this decision (``None`` in :attr:`Decision.modele` when none was)."""

    model_config = ConfigDict(frozen=True)

    nom: str
    version: str
    sha256: str
    synthetique: bool = Field(description="modèle entraîné sur des données synthétiques : démonstration "
                                          "seulement, ne pas orienter de vraies personnes avec lui")
    consulte: bool = Field(description="le modèle a été consulté pour ce dossier (aucune règle n'avait tranché)")


class Decision(BaseModel):
    """The recommendation for one dossier."""

    model_config = ConfigDict(frozen=True)

    version_schema: Literal["1.2"] = VERSION_SCHEMA_DECISION
    identifiant: str
    departement: str
    scenario: int = Field(description="scénario DITP 2019 du département (1 à 4)")
    modalite: Modalite
    parcours: Optional[Parcours]
    structure: Optional[Structure]
    origine_parcours: Origine
    codes: Optional[CodesSortie] = Field(
        description="le parcours dans les codes des systèmes qui reçoivent la décision (France Travail, "
                    "rdv-insertion, libellé du département) ; null quand aucun parcours n'est décidé")
    regles_declenchees: list[str]
    probabilite_modele: Optional[float] = Field(
        description="probabilité calibrée du parcours proposé par le modèle ; présente seulement quand le modèle "
                    "a été consulté (même s'il s'est abstenu)")
    modele: Optional[ModeleUtilise] = Field(description="modèle chargé pour cette décision, sinon null")
    delais: Delais
    versions: Versions

    def json(self, indent: int | None = 2) -> str:  # type: ignore[override]
        """The decision as a JSON string (contract: ``orientation/schemas/decision.json``)."""
        return self.model_dump_json(indent=indent)

    def en_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict (same content as :meth:`json`)."""
        return self.model_dump(mode="json")


@functools.lru_cache(maxsize=1)
def version_bibliotheque() -> str:
    try:
        return version("orientation")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+source"


def calculer_delais(dossier: Dossier) -> Delais:
    ref = dossier.date_reference_delais
    limite = ajouter_mois(ref, DELAI_ORIENTATION_MOIS)
    return Delais(
        date_reference=ref,
        reference_estimee=dossier.date_notification_droits is None,
        orientation_au_plus_tard=limite,
        premier_rdv_jours_apres_orientation=DELAI_PREMIER_RDV_JOURS,
        premier_rdv_au_plus_tard=limite + timedelta(days=DELAI_PREMIER_RDV_JOURS),
        **delais_legaux(ref),
    )


def delais_legaux(ref: date) -> dict[str, Any]:
    """Fields of :class:`Delais` from décret 2024-1244 for reference date ``ref`` (null before it applies)."""
    if ref < DATE_DECRET_DELAIS:
        return dict(orientation_limite_legale=None, contrat_engagement_mois_apres_notification_orientation=None,
                    contrat_engagement_si_orientation_a_limite_legale=None, references_legales=[],
                    motif_sans_delais_legaux=MOTIF_AVANT_DECRET)
    limite = ref + timedelta(days=DELAI_ORIENTATION_LEGAL_JOURS)
    return dict(orientation_limite_legale=limite,
                contrat_engagement_mois_apres_notification_orientation=DELAI_CONTRAT_ENGAGEMENT_MOIS,
                contrat_engagement_si_orientation_a_limite_legale=ajouter_mois(limite, DELAI_CONTRAT_ENGAGEMENT_MOIS),
                references_legales=[REFERENCE_ORIENTATION_LEGALE, REFERENCE_CONTRAT_ENGAGEMENT],
                motif_sans_delais_legaux=None)


def decider(
    dossier: Dossier,
    evaluation: EvaluationRegles,
    proposition: Optional[PropositionModele],
    modele: Optional[ModeleOrientation] = None,
) -> Decision:
    """Combine the rule layer and the model proposal into a decision (pure function).

    Precedence: a modality set by a rule wins (the most protective one); otherwise, in
    scenario 4, the model may propose ``orientation_directe`` when it is confident on a
    recurring profile; otherwise a referent examines the dossier (``examen_individuel``).
    The route comes from the rule that set the modality, else the pre-orientation grid,
    else the model (only when it decided).
    """
    grille = evaluation.proposition_grille
    regles = [r.id for r in evaluation.declenchees]
    confiance: Optional[float] = None
    parcours: Optional[Parcours] = None
    structure: Optional[Structure] = None
    origine: Origine = "aucune"

    modalite = evaluation.modalite
    regle_modalite = None
    if modalite is not None:
        regle_modalite = next(
            (r for r in evaluation.declenchees if r.effet.modalite == modalite and r.effet.parcours), None)
    if regle_modalite is not None:
        parcours, structure, origine = regle_modalite.effet.parcours, regle_modalite.effet.structure, "regle"
    elif grille is not None:
        parcours, structure, origine = grille.effet.parcours, grille.effet.structure, "grille"

    if modalite is None:
        if proposition is not None and proposition.decide:
            modalite = Modalite.orientation_directe
            confiance = proposition.confiance
            if parcours != proposition.parcours:
                structure = None
            parcours, origine = proposition.parcours, "modele"
            structure = structure or STRUCTURE_PAR_DEFAUT[parcours]
        else:
            modalite = Modalite.examen_individuel
            if proposition is not None:
                confiance = proposition.confiance
    elif modalite == Modalite.orientation_directe and parcours is None:
        # A rule allowed direct orientation but nothing names a route: a referent must examine it.
        modalite = Modalite.examen_individuel

    return Decision(
        identifiant=dossier.identifiant,
        departement=dossier.departement,
        scenario=evaluation.scenario,
        modalite=modalite,
        parcours=parcours,
        structure=structure,
        origine_parcours=origine,
        codes=codes_sortie(parcours, evaluation.codes_departement),
        regles_declenchees=regles,
        probabilite_modele=confiance,
        modele=None if modele is None else ModeleUtilise(
            nom=modele.nom, version=modele.version, sha256=modele.sha256,
            synthetique=modele.donnees_synthetiques, consulte=proposition is not None),
        delais=calculer_delais(dossier),
        versions=Versions(
            bibliotheque=version_bibliotheque(),
            regles=evaluation.version_regles,
            modele=None if modele is None else f"{modele.nom}@{modele.version}",
            modele_sha256=None if modele is None else modele.sha256,
            regles_en_vigueur=evaluation.vigueur,
        ),
    )


@dataclass(frozen=True)
class Chaine:
    """Every intermediate result of one run of the chain (used by :func:`orientation.explain`)."""

    referentiel: Referentiel
    source_modele: SourceModele
    evaluation: EvaluationRegles
    proposition: Optional[PropositionModele]
    decision: Decision

    @property
    def modele(self) -> Optional[ModeleOrientation]:
        """The model if it was loaded (a dossier decided by a rule does not load it)."""
        return self.source_modele.charge


def executer(
    dossier: Dossier,
    referentiel: Referentiel | str | Path | None = None,
    modele: SpecModele | SourceModele = None,
) -> Chaine:
    """Run dossier → rules → model → decision once and keep every intermediate result.

    ``referentiel``: a :class:`~orientation.regles.referentiel.Referentiel` of the dossier's
    département, a rules directory, or ``None`` (``$ORIENTATION_REGLES``, else the bundled
    rules).  ``modele``: see :data:`orientation.configuration.SpecModele`; it is loaded only if
    no rule sets the modality in scenario 4.
    """
    ref = charger_referentiel(dossier.departement, referentiel)
    if ref.departement != dossier.departement:
        raise ConfigurationInvalide(
            f"Règles du département {ref.departement} utilisées pour un dossier du département "
            f"{dossier.departement} : les règles d'un département ne s'appliquent qu'à ses dossiers "
            f"(laisser referentiel vide, ou charger celles du département {dossier.departement}).")
    source = modele if isinstance(modele, SourceModele) else SourceModele(modele)
    evaluation = ref.evaluer(dossier)
    proposition = None
    if evaluation.modalite is None and evaluation.scenario == 4:
        mod = source.obtenir()
        if mod is not None:
            proposition = mod.proposer(dossier)
    return Chaine(ref, source, evaluation, proposition, decider(dossier, evaluation, proposition, source.charge))


def recommend(
    dossier: Dossier,
    referentiel: Referentiel | str | Path | None = None,
    modele: SpecModele = None,
) -> Decision:
    """Recommend an orientation for one dossier.

    ``referentiel`` defaults to the rules of the dossier's département (``$ORIENTATION_REGLES``,
    else the bundled rules); ``modele`` to ``$ORIENTATION_MODELE``, else no model: profiles not
    caught by a rule then go to ``examen_individuel``.  ``modele="demo"`` asks for the bundled
    demonstration model (trained on SYNTHETIC data); ``False`` disables the model.  See
    :class:`orientation.Orientateur` for an explicit configuration object.
    """
    return executer(dossier, referentiel, modele).decision
