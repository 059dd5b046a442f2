"""The first block of an explanation: what to do and why, by when, and what to complete.

* the recommendation, and the route as the rules mean it: decided at the appointment (the
  grid's proposal only as an indication), fixed by a rule, proposed by the model, or left to the
  referent (saying when the model hesitates between two routes);
* one to three decisive reasons, with the person's values;
* the deadline (DITP objective, legal limit of décret n° 2024-1244);
* « À compléter »: the unanswered questions that could change the outcome, in one list (the
  counterfactuals on an unanswered question, checked by replaying the chain, then the rules and
  grid lines that depend on an unanswered question and would change the outcome if true).
"""

from __future__ import annotations

from typing import Optional

from orientation.configuration import SANS_MODELE
from orientation.decision import Chaine
from orientation.explication.contrefactuels import decrire_changement, issue_courte
from orientation.explication.crpa import conditions_remplies
from orientation.explication.lecture_modele import hesitation, seuil_fr
from orientation.explication.modeles import AComplementer, Contrefactuel, LectureModele, Synthese
from orientation.francais import date_fr
from orientation.regles.evaluation import RegleEvaluee
from orientation.vocabulaire import Modalite, Verite

#: Reasons shown in the first block.
RAISONS_MAX = 3
_DIAGNOSTIC = "diagnostic."


def _structure(s: object) -> str:
    return f" ({s.libelle})" if s is not None else ""  # type: ignore[attr-defined]


def _parcours(chaine: Chaine, titres: dict[str, str]) -> str:
    d, m = chaine.decision, chaine.proposition
    if d.origine_parcours == "rendez_vous":
        s = "Parcours : à décider au rendez-vous"
        if d.parcours_indicatif is not None:
            s += (f" ; à titre indicatif seulement, la grille propose le {d.parcours_indicatif.libelle}"
                  f"{_structure(d.structure_indicative)}")
        return s + "."
    if d.parcours is None:
        return "Parcours : à choisir par le référent (aucune proposition)."
    if d.origine_parcours == "regle":
        regle = next((r for r in chaine.evaluation.declenchees if r.effet.parcours == d.parcours
                      and r.effet.modalite == d.modalite), None)
        par = f", fixé par la règle « {regle.titre} »" if regle is not None else ", fixé par une règle"
        return f"Parcours : {d.parcours.libelle}{_structure(d.structure)}{par}."
    if d.origine_parcours == "modele":
        return f"Parcours : {d.parcours.libelle}{_structure(d.structure)}, proposé par le modèle."
    if d.modalite == Modalite.examen_individuel:
        h = hesitation(m) if m is not None else None
        return ("Parcours : à choisir par le référent" + (f" ; {h}" if h else "")
                + f" ; à titre indicatif, la grille propose le {d.parcours.libelle}{_structure(d.structure)}.")
    return f"Parcours proposé par la grille : {d.parcours.libelle}{_structure(d.structure)}."


def _raison_regle(r: RegleEvaluee) -> str:
    valeurs = conditions_remplies(r, 2)
    return f"{r.titre}" + (f" — {' ; '.join(valeurs)}" if valeurs else "") + "."


def _raisons(chaine: Chaine, lecture: Optional[LectureModele], non_consulte: Optional[str]) -> list[str]:
    ev, d = chaine.evaluation, chaine.decision
    raisons: list[str] = []
    if ev.modalite is not None:
        decisives = [r for r in ev.declenchees if r.groupe is None and r.effet.modalite == ev.modalite]
        raisons += [_raison_regle(r) for r in decisives[:RAISONS_MAX]]
        if len(decisives) > RAISONS_MAX:
            raisons[-1] = raisons[-1][:-1] + f" (et {len(decisives) - RAISONS_MAX} autre(s) règle(s) de même effet)."
    else:
        raisons.append("Aucune règle n'impose de rendez-vous ni d'examen individuel.")
        if lecture is not None and chaine.proposition is not None:
            m = chaine.proposition
            raisons.append(lecture.phrase if m.decide or hesitation(m) is None else
                           f"Le modèle s'abstient : confiance {lecture.confiance}, seuil {seuil_fr(m.seuil)}.")
            if lecture.reponses and len(raisons) < RAISONS_MAX and d.origine_parcours == "modele":
                r = lecture.reponses[0]
                raisons.append(f"Réponse qui pèse le plus : « {r.libelle_champ} » ({r.valeur}).")
        elif non_consulte and non_consulte != SANS_MODELE:  # no model at all: the first warning says so
            raisons.append(f"Modèle statistique non consulté : {non_consulte}.")
    g = ev.proposition_grille
    if g is not None and d.origine_parcours == "grille" and len(raisons) < RAISONS_MAX:
        valeurs = conditions_remplies(g, 2)
        raisons.append(f"Grille de pré-orientation : « {g.titre} »" + (f" — {' ; '.join(valeurs)}" if valeurs else "")
                       + ".")
    return raisons[:RAISONS_MAX]


def _echeance(chaine: Chaine) -> str:
    delais = chaine.decision.delais
    s = f"Échéance : orientation à notifier au plus tard le {date_fr(delais.orientation_au_plus_tard)} (objectif DITP)"
    if delais.reference_estimee:
        s += ", date estimée faute de date de notification des droits"
    if delais.orientation_limite_legale is not None:
        s += (f" ; sans orientation au {date_fr(delais.orientation_limite_legale)}, France Travail oriente "
              "(délai légal)")
    return s + "."


def _change_l_issue(r: RegleEvaluee, chaine: Chaine, ordre_grilles: list[str]) -> Optional[str]:
    """What a rule or grid line that depends on an unanswered question would change if true (None: nothing)."""
    ev, d = chaine.evaluation, chaine.decision
    if r.groupe is None:
        e = r.effet
        force = ev.modalite.force if ev.modalite is not None else 0
        if e.modalite is not None and e.modalite.force > force:
            quoi = "imposer un rendez-vous" if e.modalite == Modalite.rdv_obligatoire else "imposer un examen individuel"
            return f"pourrait {quoi} (règle « {r.titre} »)"
        return None
    g = ev.proposition_grille
    if d.origine_parcours != "grille" or g is None or r.effet.parcours == g.effet.parcours:
        return None
    avant = (ordre_grilles.index(r.groupe), r.priorite) < (ordre_grilles.index(g.groupe), g.priorite) \
        if r.groupe in ordre_grilles and g.groupe in ordre_grilles else False
    return f"pourrait faire proposer le {r.effet.parcours.libelle} (grille)" if avant else None  # type: ignore[union-attr]


def a_completer(chaine: Chaine, contrefactuels: list[Contrefactuel]) -> list[AComplementer]:
    """Unanswered questions that could change the outcome, one item per question (the diagnostic as one)."""
    items: dict[str, AComplementer] = {}
    for c in contrefactuels:
        for ch in c.changements:
            if ch.avant is not None or ch.champ in items or ch.champ.startswith(_DIAGNOSTIC):
                continue
            items[ch.champ] = AComplementer(
                champs=[ch.champ], libelle=ch.libelle_champ, verifie=True,
                effet=f"si {decrire_changement(ch)} : {issue_courte(c.apres.modalite, c.apres.parcours, c.apres.origine_parcours)} "
                      f"({c.cause.libelle})")
    ordre_grilles = [g.id for g in chaine.referentiel.grilles]
    diagnostic: list[str] = []
    effet_diagnostic = ""
    for r in chaine.evaluation.regles:
        if r.declenchee or r.resultat != Verite.inconnu:
            continue
        effet = _change_l_issue(r, chaine, ordre_grilles)
        if effet is None:
            continue
        for c in r.conditions:
            if c.resultat != Verite.inconnu or c.champ in items:
                continue
            if c.champ.startswith(_DIAGNOSTIC):
                diagnostic.append(c.champ)
                effet_diagnostic = effet_diagnostic or effet
                continue
            items[c.champ] = AComplementer(champs=[c.champ], libelle=c.libelle_champ, effet=effet, verifie=False)
    out: list[AComplementer] = []
    for item in items.values():  # questions with the same effect: one item
        pareil = next((x for x in out if x.effet == item.effet and x.verifie == item.verifie), None)
        if pareil is None:
            out.append(item)
        else:
            out[out.index(pareil)] = pareil.model_copy(update={
                "champs": pareil.champs + item.champs, "libelle": f"{pareil.libelle} ou {item.libelle}"})
    if diagnostic:
        champs = list(dict.fromkeys(diagnostic))
        out.append(AComplementer(champs=champs, libelle=f"Diagnostic France Travail ({len(champs)} réponse{'s' if len(champs) > 1 else ''})",
                                 effet=effet_diagnostic, verifie=False))
    return out


def construire(chaine: Chaine, lecture: Optional[LectureModele], contrefactuels: list[Contrefactuel],
               non_consulte: Optional[str]) -> Synthese:
    """The first block of the explanation."""
    titres = {r.id: r.titre for r in chaine.evaluation.regles}
    d = chaine.decision
    return Synthese(recommandation=f"{d.modalite.libelle[0].upper()}{d.modalite.libelle[1:]}.",
                    parcours=_parcours(chaine, titres), raisons=_raisons(chaine, lecture, non_consulte),
                    echeance=_echeance(chaine), a_completer=a_completer(chaine, contrefactuels))
