"""explain(): why this decision, in French a référent can read (CRPA art. R311-3-1-2).

The explanation is a typed object (:class:`Explication`) with three renderings:
``texte()``, ``markdown()`` and ``json()``.  It lists the rules that fired with the
dossier's actual values (« non renseigné » when the answer is missing, never « faux »),
the rules that almost fired, the model's contribution when it was consulted, what would
change the outcome (counterfactuals, computed by re-running the chain on a modified
dossier), and the four items of article R311-3-1-2 of the code des relations entre le
public et l'administration.

>>> from orientation.dossier.schema import Dossier, EXEMPLE_CNAF
>>> e = explain(Dossier.depuis_cnaf(EXEMPLE_CNAF))
>>> e.decision.modalite.value
'rdv_obligatoire'
>>> "primo" in e.texte().lower()
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from orientation.configuration import SANS_MODELE, SourceModele, SpecModele
from orientation.codes_sortie import CodesSortie
from orientation.decision import Chaine, Decision, Delais, Origine, executer
from orientation.dossier.schema import LIBELLES_ENUMS, Dossier
from orientation.erreurs import DossierInvalide
from orientation.francais import date_fr, nombre_fr, pourcent
from orientation.modele.modele import PropositionModele
from orientation.regles.champs import CHAMPS, valeur_json
from orientation.regles.evaluation import EvaluationRegles, RegleEvaluee
from orientation.regles.vigueur import Periode
from orientation.vocabulaire import SCENARIOS, Modalite, Parcours, Structure, Verite

if TYPE_CHECKING:
    from pathlib import Path

    from orientation.regles.referentiel import Referentiel

#: Version of the explanation's JSON contract (``src/orientation/schemas/explication.json``).
VERSION_SCHEMA_EXPLICATION = "1.2"

Format = Literal["texte", "markdown", "json"]

#: Where each piece of data comes from (CRPA item 2).
SOURCES: dict[str, str] = {
    "dsp": "questionnaire DSP (données socio-professionnelles) déclaré lors de la demande de RSA, transmis par la CAF",
    "dossier": "dossier d'allocataire CAF (dates de demande, d'ouverture et de notification des droits, "
    "date de naissance, composition du foyer, soumission aux droits et devoirs, primo-demande)",
    "france_travail": "état de l'inscription à France Travail",
    "declaratif": "fragilités et demande de rendez-vous déclarées par la personne ou signalées par un travailleur social",
    "diagnostic": "diagnostic France Travail (situation vis-à-vis de l'emploi, formation, difficultés)",
}


class Changement(BaseModel):
    """One changed answer: the field (rule path, as in the YAML rules) and its value before and after.

    Values are in the dossier's readable form (code names, booleans, integers, lists of code
    names, ``null`` for « non renseigné »): another program can re-apply the change.
    """

    model_config = ConfigDict(frozen=True)

    champ: str = Field(description="chemin du champ, comme dans les règles YAML (dsp.logement, demande_rdv…)")
    libelle_champ: str
    avant: Any = Field(description="valeur actuelle du dossier (forme lisible ; null : non renseigné)")
    apres: Any = Field(description="valeur qui changerait la recommandation (forme lisible ; null : non renseigné)")


class Issue(BaseModel):
    """The recommendation the chain gives once the changes are applied."""

    model_config = ConfigDict(frozen=True)

    modalite: Modalite
    parcours: Optional[Parcours]
    structure: Optional[Structure]
    origine_parcours: Origine


class Cause(BaseModel):
    """What makes the recommendation change: rules, grid line, model."""

    model_config = ConfigDict(frozen=True)

    regles: list[str] = Field(description="règles et lignes de grille qui s'appliqueraient ou cesseraient de s'appliquer")
    ligne_grille: Optional[str] = Field(description="ligne de grille qui proposerait le parcours après le changement")
    modele: Optional[Literal["decide", "abstention"]] = Field(
        description="ce que ferait le modèle après le changement (null : il ne serait pas consulté)")


class Contrefactuel(BaseModel):
    """A change of one or a few answers that would change the recommendation (computed, not guessed)."""

    model_config = ConfigDict(frozen=True)

    source: Literal["regles", "modele"] = Field(description="couche qui a proposé le changement")
    changements: list[Changement]
    apres: Issue
    cause: Cause
    phrase: str = Field(description="le contrefactuel en français, pour un référent")


class ElementsCRPA(BaseModel):
    """The four items owed under CRPA art. R311-3-1-2 for an individual decision."""

    model_config = ConfigDict(frozen=True)

    degre_et_mode_de_contribution: str
    donnees_et_sources: list[str]
    parametres_et_ponderations: list[str]
    operations: list[str]


class Explication(BaseModel):
    """Structured explanation of one decision."""

    model_config = ConfigDict(frozen=True)

    version_schema: Literal["1.2"] = VERSION_SCHEMA_EXPLICATION
    decision: Decision
    scenario: int = Field(description="scénario DITP 2019 du département (1 à 4)")
    libelle_scenario: str
    avertissements: list[str] = Field(description="à lire en premier (modèle entraîné sur des données synthétiques, "
                                                  "aucun modèle configuré…)")
    regles_declenchees: list[RegleEvaluee]
    regles_presque_declenchees: list[RegleEvaluee]
    proposition_grille: Optional[RegleEvaluee]
    modele: Optional[PropositionModele] = Field(description="proposition du modèle quand il a été consulté")
    modele_non_consulte: Optional[str] = Field(description="pourquoi le modèle n'a pas été consulté (null s'il l'a été)")
    contrefactuels: list[Contrefactuel]
    crpa: ElementsCRPA

    def texte(self) -> str:
        return rendre_texte(self)

    def markdown(self) -> str:
        return rendre_markdown(self)

    def json(self, indent: int | None = 2) -> str:  # type: ignore[override]
        """The explanation as a JSON string (contract: ``orientation/schemas/explication.json``)."""
        return self.model_dump_json(indent=indent)

    def en_dict(self) -> dict[str, Any]:
        """The explanation as a JSON-ready dict (same content as :meth:`json`)."""
        return self.model_dump(mode="json")

    def rendre(self, format: Format = "texte") -> str:
        return {"texte": self.texte, "markdown": self.markdown, "json": self.json}[format]()


# --------------------------------------------------------------------------- building


def _presque(evaluation: EvaluationRegles) -> list[RegleEvaluee]:
    """Rules that did not fire but depend on an unanswered question, or miss one condition of several."""
    out = []
    for r in evaluation.regles:
        if r.declenchee or not r.conditions:
            continue
        if r.resultat == Verite.inconnu or (r.conditions_non_remplies == 1 and len(r.conditions) > 1):
            out.append(r)
    return out


def _libelle_valeur(v: object) -> str:
    if v is None:
        return "non renseigné"
    if isinstance(v, bool):
        return "oui" if v else "non"
    return LIBELLES_ENUMS.get(str(v), str(v))


def _issue_finale(d: Decision) -> str:
    s = d.modalite.libelle
    if d.parcours is not None:
        s += f", {d.parcours.libelle}"
    return s


def _valeur_avant(dossier: Dossier, champ: str) -> Any:
    return valeur_json(CHAMPS[champ].lire(dossier)) if champ in CHAMPS else None


def _contrefactuels(dossier: Dossier, chaine: Chaine, maximum: int = 8) -> list[Contrefactuel]:
    """Counterfactuals of both layers, each checked by re-running the whole chain on the changed dossier.

    Only changes that alter the final recommendation (modality or route) are kept, at most
    ``maximum`` per layer; the sentence states the new recommendation, then the layer's own reason.
    """
    from orientation.regles.contrefactuels import contrefactuels, modifier_dossier

    candidats: list[tuple[Literal["regles", "modele"], list[str], list[Changement], str, Any]] = [
        ("regles", list(c.changements),
         [Changement(champ=c.champ, libelle_champ=c.libelle_champ, avant=c.valeur_actuelle,
                     apres=c.valeur_alternative)],
         c.effet, lambda d, c=c: modifier_dossier(d, c.champ, c.valeur_alternative))
        for c in contrefactuels(chaine.referentiel, dossier)
    ]
    if chaine.modele is not None and chaine.proposition is not None:
        for c in chaine.modele.contrefactuels_modele(dossier):
            chemins = [ch.champ if ch.champ == "inscription_france_travail" else f"dsp.{ch.champ}" for ch in c.details]
            candidats.append(("modele", list(c.changements), [
                Changement(champ=chemin, libelle_champ=ch.libelle_champ, avant=_valeur_avant(dossier, chemin),
                           apres=valeur_json(ch.valeur)) for chemin, ch in zip(chemins, c.details)],
                c.effet, c.appliquer))
    avant = chaine.decision
    regles_avant = set(avant.regles_declenchees)
    out: list[Contrefactuel] = []
    vus: set[tuple[str, ...]] = set()
    for source, phrases, changements, effet_couche, appliquer in candidats:
        if sum(c.source == source for c in out) >= maximum:
            continue
        try:
            autre = executer(appliquer(dossier), chaine.referentiel, chaine.source_modele)
        except DossierInvalide:
            continue  # the change would make the dossier incoherent: not a real alternative
        apres = autre.decision
        if (apres.modalite, apres.parcours) == (avant.modalite, avant.parcours):
            continue
        cle = tuple(phrases)
        if cle in vus:
            continue
        vus.add(cle)
        grille = autre.evaluation.proposition_grille
        out.append(Contrefactuel(
            source=source, changements=changements,
            apres=Issue(modalite=apres.modalite, parcours=apres.parcours, structure=apres.structure,
                        origine_parcours=apres.origine_parcours),
            cause=Cause(regles=sorted(regles_avant ^ set(apres.regles_declenchees)),
                        ligne_grille=None if grille is None else grille.id,
                        modele=None if autre.proposition is None
                        else ("decide" if autre.proposition.decide else "abstention")),
            phrase=f"Si {' et '.join(phrases)} : la recommandation deviendrait « {_issue_finale(apres)} » — "
                   f"{effet_couche}"))
    return out


def _crpa(
    dossier: Dossier,
    evaluation: EvaluationRegles,
    decision: Decision,
    proposition: Optional[PropositionModele],
    non_consulte: Optional[str] = None,
) -> ElementsCRPA:
    # 1. degree and mode of contribution
    if decision.modalite == Modalite.orientation_directe and decision.origine_parcours == "modele":
        degre = (
            "Le traitement algorithmique a contribué de manière déterminante à la proposition : aucune règle "
            "n'imposait de rendez-vous et le modèle statistique, suffisamment confiant "
            f"({pourcent(proposition.confiance)} pour un seuil de {pourcent(proposition.seuil)}), propose une orientation directe "
            f"vers le {decision.parcours.libelle}. Il s'agit d'une proposition : la décision d'orientation "
            "appartient au président du conseil départemental, et la personne peut demander un rendez-vous."
        ) if proposition is not None and decision.parcours is not None else ""
    elif decision.modalite == Modalite.rdv_obligatoire:
        degre = (
            "Le traitement algorithmique s'est limité à appliquer des règles explicites (référentiel national et "
            "règles du département) : au moins une impose un rendez-vous en présentiel. Le modèle statistique n'a "
            "pas été utilisé. L'orientation sera décidée à l'issue du rendez-vous."
        )
    else:
        degre = (
            "Le traitement algorithmique n'a pas décidé : le dossier est transmis à un référent pour un examen "
            "individuel. "
            + ("Le modèle statistique a été consulté mais s'est abstenu. " if proposition is not None else "")
            + ("Aucun modèle statistique n'est configuré. " if non_consulte == SANS_MODELE else "")
            + ("Une proposition indicative issue de la grille de pré-orientation du département est jointe."
               if evaluation.proposition_grille is not None else "")
        ).strip()

    # 2. data and sources
    donnees = [
        f"Date de demande {date_fr(dossier.date_demande)}, ouverture des droits "
        f"{date_fr(dossier.date_ouverture_droits)}, notification "
        f"{date_fr(dossier.date_notification_droits) if dossier.date_notification_droits else 'non renseignée'}, "
        f"âge à la demande {dossier.age(dossier.date_demande)} ans, foyer "
        f"« {_libelle_valeur(dossier.foyer.composition)} » avec {len(dossier.foyer.ages_enfants)} enfant(s), "
        f"primo-demandeur : {_libelle_valeur(dossier.primo_demandeur)} — source : {SOURCES['dossier']}.",
        f"Inscription à France Travail : {_libelle_valeur(dossier.inscription_france_travail)} — source : "
        f"{SOURCES['france_travail']}.",
        "Fragilités déclarées : "
        + (", ".join(_libelle_valeur(f) for f in dossier.fragilites_declarees) or "aucune"
           if dossier.fragilites_declarees is not None else "non renseigné")
        + f" ; demande de rendez-vous : {_libelle_valeur(dossier.demande_rdv)} — source : {SOURCES['declaratif']}.",
        f"Réponses au questionnaire DSP utilisées par les règles et le modèle — source : {SOURCES['dsp']}.",
    ]
    if dossier.diagnostic.model_dump(exclude_none=True):
        donnees.append(f"Réponses du diagnostic utilisées par les critères nationaux d'orientation — source : "
                       f"{SOURCES['diagnostic']}.")
    donnees += [
        "Le sexe et la nationalité ne sont utilisés ni par les règles ni par le modèle.",
    ]

    # 3. parameters and weights applied to this person
    params: list[str] = []
    for r in evaluation.declenchees:
        conds = " ; ".join(c.texte for c in r.conditions)
        params.append(f"Règle « {r.titre} » ({r.id}, {r.reference}) : {conds}.")
    if proposition is not None:
        seuil = pourcent(proposition.seuil) if math.isfinite(proposition.seuil) else "jamais atteint"
        probs = ", ".join(f"{p.libelle} {pourcent(v)}" for p, v in proposition.probabilites.items())
        params.append(
            f"Modèle {proposition.modele} (version {proposition.version}) : probabilités {probs} ; seuil de "
            f"confiance {seuil} ; profil « {proposition.profil} » vu {proposition.effectif_profil} "
            f"fois à l'entraînement (seuil de récurrence {proposition.seuil_recurrence})."
        )
        for c in proposition.contributions[:8]:
            sens = "rapproche du" if c.poids > 0 else "éloigne du"
            params.append(f"{c.libelle_champ} = {c.valeur} : {sens} {c.parcours.libelle} (poids {nombre_fr(c.poids)}).")
    if not params:
        params.append("Aucune règle ne s'est appliquée et le modèle n'a pas été consulté.")

    # 4. operations
    ops = [
        "Validation du dossier (codes CNAF, dates, cohérence).",
        f"Évaluation des règles du référentiel (version {evaluation.version_regles[:12]}) par le moteur de règles "
        f"durable-rules, {SCENARIOS[evaluation.scenario]}, département {evaluation.departement} ; une condition "
        "portant sur une réponse absente est « non renseignée », jamais « fausse ».",
    ]
    if evaluation.vigueur is not None:
        v = evaluation.vigueur
        ops.append(f"Règles appliquées : celles en vigueur le {date_fr(v.date_application)} (ensemble en vigueur "
                   f"{v.libelle}, empreinte {v.empreinte[:12]}).")
    if evaluation.proposition_grille is not None:
        ops.append("Application de la grille de pré-orientation : première ligne satisfaite par ordre de priorité.")
    if proposition is not None:
        ops.append(
            "Calcul par le modèle statistique des probabilités de chaque parcours, comparaison au seuil de confiance "
            "et vérification que le profil est récurrent ; abstention sinon.")
    ops.append(
        f"Calcul des délais fixés par la convention DITP : orientation au plus tard le "
        f"{date_fr(decision.delais.orientation_au_plus_tard)}, premier rendez-vous d'accompagnement dans les "
        f"{decision.delais.premier_rdv_jours_apres_orientation} jours suivant l'orientation. "
        + _delais_legaux(decision.delais))
    return ElementsCRPA(degre_et_mode_de_contribution=degre, donnees_et_sources=donnees,
                        parametres_et_ponderations=params, operations=ops)


def _delais_legaux(delais: Delais) -> str:
    """The sentence on the deadlines of décret n° 2024-1244 (CASF D262-65-2, Code du travail D5411-14-1)."""
    if delais.orientation_limite_legale is None:
        return f"Délais légaux : {delais.motif_sans_delais_legaux}."
    mois = delais.contrat_engagement_mois_apres_notification_orientation
    return (f"Délais légaux (décret n° 2024-1244) : sans orientation par le département au "
            f"{date_fr(delais.orientation_limite_legale)}, l'opérateur France Travail oriente (CASF art. D262-65-2) ; "
            f"le contrat d'engagement est signé dans {'le mois' if mois == 1 else f'les {mois} mois'} suivant la notification de l'orientation (Code du travail art. D5411-14-1), soit au plus tard le "
            f"{date_fr(delais.contrat_engagement_si_orientation_a_limite_legale)} si elle est notifiée à cette "
            "limite. Les six semaines courent de la réception par le département de l'information d'ouverture du "
            "droit, date absente du dossier : elles sont comptées ici depuis la date de référence des délais.")


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
    return (f"ATTENTION : le modèle statistique « {nom} » (version {version}) a été entraîné sur des données "
            "SYNTHÉTIQUES ; c'est un modèle de démonstration : ne pas l'utiliser pour orienter de vraies personnes.")


def _avertissements(chaine: Chaine, non_consulte: Optional[str]) -> list[str]:
    out = []
    m = chaine.modele
    if m is not None and m.donnees_synthetiques:
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
    contrefactuels = _contrefactuels(dossier, chaine)
    non_consulte = _modele_non_consulte(chaine)
    return Explication(
        decision=decision,
        scenario=evaluation.scenario,
        libelle_scenario=SCENARIOS[evaluation.scenario],
        avertissements=_avertissements(chaine, non_consulte),
        regles_declenchees=evaluation.declenchees,
        regles_presque_declenchees=_presque(evaluation),
        proposition_grille=evaluation.proposition_grille,
        modele=proposition,
        modele_non_consulte=non_consulte,
        contrefactuels=contrefactuels,
        crpa=_crpa(dossier, evaluation, decision, proposition, non_consulte),
    )


# --------------------------------------------------------------------------- renderers


_LIBELLE_ORIGINE = {"regle": "fixé par une règle", "grille": "proposé par la grille de pré-orientation",
                    "modele": "proposé par le modèle", "aucune": ""}


def resume_decision(modalite: Modalite, parcours: Optional[Parcours], structure: Optional[Structure],
                    origine: str) -> str:
    """French one-sentence summary of a decision (used by the renderings and the batch explanations)."""
    s = f"Modalité recommandée : {modalite.libelle}."
    if parcours is not None:
        s += f" Parcours : {parcours.libelle} ({_LIBELLE_ORIGINE[origine]})"
        if structure is not None:
            s += f", structure référente : {structure.libelle}"
        s += "."
    return s


def phrase_codes(codes: Optional[CodesSortie]) -> list[str]:
    """The sentence naming the route's output codes (none when no route is decided)."""
    if codes is None:
        return []
    return [f"Codes de sortie : rdv-insertion « {codes.rdv_insertion} » ; France Travail "
            + (f"« {codes.france_travail} »" if codes.france_travail else "non renseigné (aucun code fixé par le "
               "département ; aucune source publique ne confirme de code par défaut)")
            + " ; libellé du département "
            + (f"« {codes.departement} »." if codes.departement else "non renseigné.")]


def _lignes(e: Explication, titre: callable, puce: str) -> list[str]:  # type: ignore[valid-type]
    d = e.decision
    L: list[str] = [titre(1, f"Orientation du dossier {d.identifiant} (département {d.departement})"), ""]
    if e.avertissements:
        L += [f"{puce}{a}" for a in e.avertissements] + [""]
    L += [resume_decision(e.decision.modalite, e.decision.parcours, e.decision.structure, e.decision.origine_parcours),
          *phrase_codes(d.codes),
                    f"Cadre : {e.libelle_scenario}.",
                    f"Orientation à notifier au plus tard le {date_fr(d.delais.orientation_au_plus_tard)}"
                    + (" (date estimée : notification des droits non renseignée, ouverture des droits utilisée)"
                       if d.delais.reference_estimee else "")
                    + f" ; premier rendez-vous d'accompagnement au plus tard le "
                    f"{date_fr(d.delais.premier_rdv_au_plus_tard)} (objectifs de la convention DITP).",
                    _delais_legaux(d.delais), ""]
    L.append(titre(2, "Règles appliquées"))
    if not e.regles_declenchees:
        L.append(f"{puce}Aucune règle ne s'applique à ce dossier.")
    for r in e.regles_declenchees:
        vigueur = (f" En vigueur {Periode(r.en_vigueur_du, r.en_vigueur_au).libelle()}."
                   if r.en_vigueur_du or r.en_vigueur_au else "")
        L.append(f"{puce}« {r.titre} » ({r.id}) — {r.description} Référence : {r.reference}.{vigueur}")
        for c in r.conditions:
            L.append(f"    {puce}{c.texte}")
    if e.regles_presque_declenchees:
        L += ["", titre(2, "Règles presque appliquées")]
        for r in e.regles_presque_declenchees:
            if r.resultat == Verite.inconnu:
                manq = [c.libelle_champ for c in r.conditions if c.resultat == Verite.inconnu]
                L.append(f"{puce}« {r.titre} » ({r.id}) : dépend de réponses non renseignées "
                         f"({', '.join(dict.fromkeys(manq))}).")
            else:
                manq = [c.texte for c in r.conditions if c.resultat != Verite.vrai]
                L.append(f"{puce}« {r.titre} » ({r.id}) : une seule condition manque : {'; '.join(manq)}.")
    if e.modele is not None:
        m = e.modele
        L += ["", titre(2, "Proposition du modèle statistique")]
        if m.donnees_synthetiques:
            L.append(f"{puce}Modèle « {m.modele} » entraîné sur des données SYNTHÉTIQUES (démonstration).")
        probs = ", ".join(f"{k.value.replace('_', '-')} {pourcent(v)}" for k, v in m.probabilites.items())
        seuil = pourcent(m.seuil) if math.isfinite(m.seuil) else "jamais atteint pour ce parcours"
        L.append(f"{puce}Probabilités : {probs} ; confiance {pourcent(m.confiance)}, seuil {seuil}.")
        L.append(f"{puce}Profil « {m.profil} » : vu {m.effectif_profil} fois à l'entraînement "
                 f"({'récurrent' if m.profil_recurrent else 'non récurrent'}).")
        if m.decide:
            L.append(f"{puce}Le modèle propose une orientation directe.")
        else:
            L.append(f"{puce}Le modèle s'abstient : {m.raison_abstention}")
        L.append(f"{puce}Réponses qui ont le plus pesé :")
        for c in m.contributions[:6]:
            L.append(f"    {puce}{c.libelle_champ} = {c.valeur} → {c.parcours.value.replace('_', '-')} "
                     f"({nombre_fr(c.poids)})")
    elif e.modele_non_consulte and e.modele_non_consulte == SANS_MODELE:
        L += ["", titre(2, "Proposition du modèle statistique"), f"{puce}Non consulté : {e.modele_non_consulte}."]
    L += ["", titre(2, "Ce qui changerait le résultat")]
    if not e.contrefactuels:
        L.append(f"{puce}Aucun changement simple des réponses ne modifierait la recommandation.")
    for c in e.contrefactuels:
        L.append(f"{puce}{c.phrase}")
    L += ["", titre(2, "Informations dues au titre de l'article R311-3-1-2 du CRPA"),
          f"{puce}Degré et mode de contribution du traitement algorithmique : "
          f"{e.crpa.degre_et_mode_de_contribution}",
          f"{puce}Données traitées et leurs sources :"]
    L += [f"    {puce}{x}" for x in e.crpa.donnees_et_sources]
    L.append(f"{puce}Paramètres de traitement et leur pondération appliqués à la situation de la personne :")
    L += [f"    {puce}{x}" for x in e.crpa.parametres_et_ponderations]
    L.append(f"{puce}Opérations effectuées par le traitement :")
    L += [f"    {puce}{x}" for x in e.crpa.operations]
    v = d.versions.regles_en_vigueur
    L += ["", f"Versions : bibliothèque {d.versions.bibliotheque}, règles {d.versions.regles[:12]}"
          + (f" (en vigueur le {date_fr(v.date_application)} : ensemble {v.libelle}, empreinte {v.empreinte[:12]})"
             if v is not None else "")
          + (f", modèle {d.versions.modele} (sha256 {d.versions.modele_sha256[:12]})" if d.versions.modele else "")
          + "."]
    return L


def rendre_texte(e: Explication) -> str:
    def titre(niveau: int, t: str) -> str:
        return f"{t}\n{('=' if niveau == 1 else '-') * len(t)}"

    return "\n".join(_lignes(e, titre, "- ")) + "\n"


def rendre_markdown(e: Explication) -> str:
    def titre(niveau: int, t: str) -> str:
        return f"{'#' * niveau} {t}"

    return "\n".join(_lignes(e, titre, "- ")) + "\n"
