"""The four items owed under article R311-3-1-2 of the code des relations entre le public et l'administration.

1° degree and mode of contribution of the algorithmic processing; 2° data processed and their
sources; 3° processing parameters and their weighting applied to the person's situation (rules
with the person's values and their reference, the model's weights toward the proposed route);
4° operations carried out (validation, rules and their version, grid, model, deadlines).
"""

from __future__ import annotations

from typing import Optional

from orientation.configuration import SANS_MODELE
from orientation.decision import Decision, Delais
from orientation.dossier.preorientation import phrase as phrase_preorientation
from orientation.dossier.schema import LIBELLES_ENUMS, Dossier
from orientation.explication.lecture_modele import confiance_fr, seuil_fr
from orientation.explication.modeles import ElementsCRPA, LectureModele
from orientation.francais import date_fr
from orientation.modele.modele import PropositionModele
from orientation.regles.evaluation import EvaluationRegles, RegleEvaluee
from orientation.regles.vigueur import Periode
from orientation.vocabulaire import SCENARIOS, Modalite, Verite

#: Where each piece of data comes from (CRPA item 2).
SOURCES: dict[str, str] = {
    "dsp": "questionnaire DSP (données socio-professionnelles) déclaré lors de la demande de RSA, transmis par la CAF",
    "dossier": "dossier d'allocataire CAF (dates de demande, d'ouverture et de notification des droits, "
    "date de naissance, composition du foyer, soumission aux droits et devoirs, primo-demande)",
    "france_travail": "état de l'inscription à France Travail",
    "declaratif": "fragilités et demande de rendez-vous déclarées par la personne ou signalées par un travailleur social",
    "diagnostic": "diagnostic France Travail (situation vis-à-vis de l'emploi, formation, difficultés)",
}


def libelle_valeur(v: object) -> str:
    if v is None:
        return "non renseigné"
    if isinstance(v, bool):
        return "oui" if v else "non"
    return LIBELLES_ENUMS.get(str(v), str(v))


def conditions_remplies(r: RegleEvaluee, n: Optional[int] = None) -> list[str]:
    """The person's values that make a fired rule true: « Nature du logement : Précaire : sans abri »."""
    vus = dict.fromkeys(f"{c.libelle_champ} : {c.valeur_libelle}" for c in r.conditions if c.resultat == Verite.vrai)
    return list(vus)[:n]


def delais_legaux(delais: Delais) -> str:
    """The sentence on the deadlines of décret n° 2024-1244 (CASF D262-65-2, Code du travail D5411-14-1)."""
    if delais.orientation_limite_legale is None:
        return f"Délais légaux : {delais.motif_sans_delais_legaux}."
    mois = delais.contrat_engagement_mois_apres_notification_orientation
    return (f"Délais légaux (décret n° 2024-1244) : sans orientation par le département au "
            f"{date_fr(delais.orientation_limite_legale)}, l'opérateur France Travail oriente (CASF art. D262-65-2) ; "
            f"le contrat d'engagement est signé dans {'le mois' if mois == 1 else f'les {mois} mois'} suivant la "
            "notification de l'orientation (Code du travail art. D5411-14-1), soit au plus tard le "
            f"{date_fr(delais.contrat_engagement_si_orientation_a_limite_legale)} si elle est notifiée à cette "
            "limite. Les six semaines courent de la réception par le département de l'information d'ouverture du "
            "droit, date absente du dossier : elles sont comptées ici depuis la date de référence des délais.")


def _degre(evaluation: EvaluationRegles, decision: Decision, proposition: Optional[PropositionModele],
           non_consulte: Optional[str]) -> str:
    if decision.modalite == Modalite.orientation_directe and decision.origine_parcours == "modele" \
            and proposition is not None and decision.parcours is not None:
        return (
            "Le traitement algorithmique a contribué de manière déterminante à la proposition : aucune règle "
            "n'imposait de rendez-vous et le modèle statistique, suffisamment confiant "
            f"({confiance_fr(proposition.confiance)} pour un seuil de {seuil_fr(proposition.seuil)}), propose une "
            f"orientation directe vers le {decision.parcours.libelle}. Il s'agit d'une proposition : la décision "
            "d'orientation appartient au président du conseil départemental, et la personne peut demander un "
            "rendez-vous.")
    if decision.modalite == Modalite.rdv_obligatoire:
        suite = ("L'orientation sera décidée à l'issue du rendez-vous."
                 if decision.origine_parcours == "rendez_vous" else
                 f"La règle fixe le {decision.parcours.libelle} ; le rendez-vous le confirme."
                 if decision.origine_parcours == "regle" and decision.parcours is not None else
                 "L'orientation sera décidée à l'issue du rendez-vous, sur la proposition de la grille.")
        return ("Le traitement algorithmique s'est limité à appliquer des règles explicites (référentiel national et "
                "règles du département) : au moins une impose un rendez-vous en présentiel. Le modèle statistique n'a "
                f"pas été utilisé. {suite}")
    return (
        "Le traitement algorithmique n'a pas décidé : le dossier est transmis à un référent pour un examen "
        "individuel. "
        + ("Le modèle statistique a été consulté mais s'est abstenu. " if proposition is not None else "")
        + ("Aucun modèle statistique n'est configuré. " if non_consulte == SANS_MODELE else "")
        + ("Une proposition indicative issue de la grille de pré-orientation du département est jointe."
           if evaluation.proposition_grille is not None else "")
    ).strip()


def _donnees(dossier: Dossier) -> list[str]:
    donnees = [
        f"Date de demande {date_fr(dossier.date_demande)}, ouverture des droits "
        f"{date_fr(dossier.date_ouverture_droits)}, notification "
        f"{date_fr(dossier.date_notification_droits) if dossier.date_notification_droits else 'non renseignée'}, "
        f"âge à la demande {dossier.age(dossier.date_demande)} ans, foyer "
        f"« {libelle_valeur(dossier.foyer.composition)} » avec {len(dossier.foyer.ages_enfants)} enfant(s), "
        f"primo-demandeur : {libelle_valeur(dossier.primo_demandeur)} — source : {SOURCES['dossier']}.",
        f"Inscription à France Travail : {libelle_valeur(dossier.inscription_france_travail)} — source : "
        f"{SOURCES['france_travail']}.",
        "Fragilités déclarées : "
        + (", ".join(libelle_valeur(f) for f in dossier.fragilites_declarees) or "aucune"
           if dossier.fragilites_declarees is not None else "non renseigné")
        + f" ; demande de rendez-vous : {libelle_valeur(dossier.demande_rdv)} — source : {SOURCES['declaratif']}.",
        f"Réponses au questionnaire DSP utilisées par les règles et le modèle — source : {SOURCES['dsp']}.",
    ]
    if dossier.diagnostic.model_dump(exclude_none=True):
        donnees.append("Réponses du diagnostic utilisées par les critères nationaux d'orientation — source : "
                       f"{SOURCES['diagnostic']}.")
    if (ligne_caf := phrase_preorientation(dossier)) is not None:  # the CAF's pre-routing, when the flux has it
        donnees.append(ligne_caf)
    donnees.append("Le sexe et la nationalité ne sont utilisés ni par les règles ni par le modèle.")
    return donnees


def _parametres(evaluation: EvaluationRegles, proposition: Optional[PropositionModele],
                lecture: Optional[LectureModele]) -> list[str]:
    params: list[str] = []
    citees: dict[str, str] = {}  # reference -> title of the first rule citing it (each text said once)
    for r in evaluation.declenchees:
        valeurs = conditions_remplies(r)
        quoi = "Ligne de grille" if r.groupe else "Règle"
        reference = (f"Référence : la même que « {citees[r.reference]} »." if r.reference in citees
                     else f"Référence : {r.reference}.")
        citees.setdefault(r.reference, r.titre)
        vigueur = (f" En vigueur {Periode(r.en_vigueur_du, r.en_vigueur_au).libelle()}."
                   if r.en_vigueur_du or r.en_vigueur_au else "")
        params.append(f"{quoi} « {r.titre} » : " + ("; ".join(valeurs) if valeurs else "s'applique à tout dossier "
                                                    "qu'aucune ligne précédente ne retient")
                      + f". {reference}{vigueur}")
    if proposition is not None and lecture is not None:
        probs = ", ".join(f"{p.libelle} {confiance_fr(v)}" for p, v in proposition.probabilites.items())
        params.append(
            f"Modèle {proposition.modele} (version {proposition.version}) : probabilités {probs} ; seuil de "
            f"confiance {seuil_fr(proposition.seuil)} ; profil « {proposition.profil} » vu "
            f"{proposition.effectif_profil} fois à l'entraînement (seuil de récurrence {proposition.seuil_recurrence}).")
        params += [r.phrase for r in lecture.reponses]
        if lecture.reponses:
            params.append(f"{lecture.note_poids[:-1]} ; ce sont les poids appliqués à la situation de la personne.")
    if not params:
        params.append("Aucune règle ne s'est appliquée et le modèle n'a pas été consulté.")
    return params


def _operations(evaluation: EvaluationRegles, decision: Decision, proposition: Optional[PropositionModele]) -> list[str]:
    ops = [
        "Validation du dossier (codes CNAF, dates, cohérence).",
        f"Évaluation des règles du référentiel (version {evaluation.version_regles[:12]}) par le moteur de règles "
        f"durable-rules, {SCENARIOS[evaluation.scenario]}, département {evaluation.departement} ; une condition "
        "portant sur une réponse absente est « non renseignée », jamais « fausse ».",
    ]
    if evaluation.vigueur is not None:
        v = evaluation.vigueur
        ops.append(f"Règles appliquées : celles en vigueur le {date_fr(v.date_application)} (ensemble en vigueur "
                   f"{v.libelle}, empreinte SHA-256 {v.empreinte[:12]}).")
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
        + delais_legaux(decision.delais))
    v = decision.versions
    ops.append(f"Versions : bibliothèque {v.bibliotheque}, règles (SHA-256) {v.regles[:12]}"
               + (f", modèle {v.modele} (SHA-256 {v.modele_sha256[:12]})" if v.modele and v.modele_sha256 else "")
               + " : même dossier et mêmes versions donnent toujours la même recommandation.")
    return ops


def elements(dossier: Dossier, evaluation: EvaluationRegles, decision: Decision,
             proposition: Optional[PropositionModele], lecture: Optional[LectureModele],
             non_consulte: Optional[str] = None) -> ElementsCRPA:
    """The four CRPA items for this dossier."""
    return ElementsCRPA(degre_et_mode_de_contribution=_degre(evaluation, decision, proposition, non_consulte),
                        donnees_et_sources=_donnees(dossier),
                        parametres_et_ponderations=_parametres(evaluation, proposition, lecture),
                        operations=_operations(evaluation, decision, proposition))
