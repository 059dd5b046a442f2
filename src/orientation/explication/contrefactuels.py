"""What would change the recommendation: search, attribution to the true cause, grouping by effect.

Candidates are single-answer changes: the values the rules mention
(:func:`orientation.regles.contrefactuels.candidats`) and the answer changes that alter the model's
outcome (:meth:`~orientation.modele.modele.ModeleOrientation.contrefactuels_modele`, one change).
Each is replayed through the whole chain: the rules are re-evaluated incrementally
(:class:`~orientation.regles.contrefactuels.Rejoueur`), the model is consulted, in one batch, only
for the changed dossiers where no rule sets the modality (scenario 4), and
:func:`orientation.decision.arbitrer` decides as :func:`~orientation.decision.recommend` would.
A change is kept when the modality or the route changes; its cause is what decides the new
recommendation: a rule that now applies, the end of the rule that applied, another grid line, or the
model, named only when it is consulted after the change.

Groups gather the changes with the same effect and cause (one line per rule or model outcome,
listing the answers that would trigger it).  Changes of an unanswered question are not grouped:
they go to « À compléter » (:mod:`orientation.explication.synthese`).
"""

from __future__ import annotations

from typing import Any, Optional

from orientation.decision import Arbitrage, Chaine, arbitrer
from orientation.dossier.schema import Dossier
from orientation.explication.modeles import Cause, Changement, Contrefactuel, GroupeContrefactuels, Issue
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES
from orientation.regles.champs import CHAMPS, valeur_json
from orientation.regles.contrefactuels import Rejoueur, candidats, modifier_dossier
from orientation.vocabulaire import Modalite

#: Past facts: neither the person nor the referent can change them (only a correction can).
FAITS_ETABLIS = frozenset({"primo_demandeur", "soumis_droits_devoirs", "foyer.ages_enfants",
                           "dsp.droits_rmi_rsa_anterieurs", "dsp.droits_rsa_deux_ans", "dsp.annee_diplome_max"})

#: At most this many groups are shown to the reader; values listed per field of a group.
GROUPES_MAX = 5
VALEURS_PAR_CHAMP = 3

_COURT = {Modalite.rdv_obligatoire: "rendez-vous obligatoire", Modalite.examen_individuel: "examen individuel",
          Modalite.orientation_directe: "orientation directe sans rendez-vous"}


def issue_courte(modalite: Modalite, parcours: Any, origine: str) -> str:
    """« rendez-vous obligatoire, parcours décidé au rendez-vous », « orientation directe, parcours social »…"""
    s = _COURT[modalite]
    if origine == "rendez_vous":
        return s
    return s + (f", {parcours.libelle}" if parcours is not None else "")


def _chemin_modele(champ: str) -> str:
    return champ if champ in CHAMPS else f"dsp.{champ}"


def _candidats_modele(chaine: Chaine, dossier: Dossier) -> list[tuple[str, Any]]:
    if chaine.modele is None or chaine.proposition is None:
        return []
    out = []
    for c in chaine.modele.contrefactuels_modele(dossier, max_changes=1, max_resultats=6):
        for ch in c.details:
            chemin = _chemin_modele(ch.champ)
            if chemin in CHAMPS:
                out.append((chemin, valeur_json(ch.valeur)))
    return out


def _titres(chaine: Chaine) -> dict[str, str]:
    return {r.id: r.titre for r in chaine.referentiel.toutes_regles()}


def _cause(a0: Arbitrage, a1: Arbitrage, avant: set[str], apres: set[str], ligne: Optional[str],
           titres: dict[str, str]) -> Cause:
    """What decides ``a1`` rather than ``a0`` (see the module docstring)."""
    modele = None if a1.modele is None else ("decide" if a1.modele[1] else "abstention")
    regles = sorted(avant ^ apres)
    retiree = a0.regle_parcours or a0.regle_modalite
    retrait = (f"la règle « {titres[retiree]} » ne s'appliquerait plus"
               if retiree is not None and retiree not in apres else None)
    if a1.modele is not None and (a1.origine == "modele" or a0.origine == "modele" or a0.modele is None):
        if a1.origine == "modele":
            quoi = f"le modèle, consulté, déciderait le {a1.parcours.libelle}"  # type: ignore[union-attr]
        else:
            quoi = "le modèle, consulté, s'abstiendrait"
        libelle = f"{retrait} ; {quoi}" if retrait and a0.modele is None else quoi
        return Cause(regles=regles, ligne_grille=ligne, modele=modele, nature="modele", decisive=None, libelle=libelle)
    if a1.regle_modalite is not None and a1.modalite != a0.modalite and a1.regle_modalite not in avant:
        rid = a1.regle_modalite
        return Cause(regles=regles, ligne_grille=ligne, modele=modele, nature="regle", decisive=rid,
                     libelle=f"règle « {titres[rid]} »")
    if (a1.regle_parcours is not None and a1.regle_parcours != a0.regle_parcours
            and a1.regle_parcours not in avant):
        rid = a1.regle_parcours
        return Cause(regles=regles, ligne_grille=ligne, modele=modele, nature="regle", decisive=rid,
                     libelle=f"règle « {titres[rid]} »")
    if a1.origine == "grille" and a1.modalite == a0.modalite and a0.origine == "grille" and ligne is not None:
        return Cause(regles=regles, ligne_grille=ligne, modele=modele, nature="grille", decisive=ligne,
                     libelle=f"ligne de grille « {titres[ligne]} »")
    if retiree is not None and retiree not in apres:
        suite = ""
        if a1.regle_modalite is not None:
            suite = f" ; la règle « {titres[a1.regle_modalite]} » s'appliquerait seule"
        elif a1.origine == "grille" and ligne is not None:
            suite = f" ; la grille proposerait le parcours (ligne « {titres[ligne]} »)"
        return Cause(regles=regles, ligne_grille=ligne, modele=modele, nature="retrait", decisive=retiree,
                     libelle=retrait + suite)  # type: ignore[operator]
    # the route of a rule-set modality left to the grid, or a grid line under an unchanged rule
    rid = ligne if a1.origine == "grille" else (a1.regle_parcours or a1.regle_modalite)
    nature = "grille" if a1.origine == "grille" else "regle"
    quoi = "ligne de grille" if nature == "grille" else "règle"
    return Cause(regles=regles, ligne_grille=ligne, modele=modele, nature=nature, decisive=rid,  # type: ignore[arg-type]
                 libelle=f"{quoi} « {titres[rid]} »" if rid else "aucune règle ne s'appliquerait")


_AUCUN = frozenset({"aucun", "aucune"})


def _ou(valeurs: list[str]) -> str:
    valeurs = list(dict.fromkeys(valeurs))
    return valeurs[0] if len(valeurs) == 1 else f"{', '.join(valeurs[:-1])} ou {valeurs[-1]}"


def _ajouts_retraits(ch: Changement) -> tuple[list[str], list[str]]:
    champ = CHAMPS[ch.champ]
    avant = ch.avant if isinstance(ch.avant, list) else []
    ajouts = [f"« {champ.libelle_code(x)} »" for x in ch.apres if x not in avant]
    # removing « aucune difficulté » when adding one goes without saying
    retraits = [f"« {champ.libelle_code(x)} »" for x in avant if x not in ch.apres and not (ajouts and x in _AUCUN)]
    return ajouts, retraits


def decrire_changement(ch: Changement) -> str:
    """The new value in French: « Hôtel social », ajout de « Santé », retrait de « Endettement »."""
    champ = CHAMPS[ch.champ]
    if champ.multiple and isinstance(ch.apres, list) and ch.avant is not None:
        ajouts, retraits = _ajouts_retraits(ch)
        parties = ([f"ajout de {', '.join(ajouts)}"] if ajouts else []) + (
            [f"retrait de {', '.join(retraits)}"] if retraits else [])
        return " et ".join(parties) or f"« {champ.libelle_valeur(ch.apres)} »"
    return f"« {champ.libelle_valeur(ch.apres)} »"


def decrire_alternatives(changements: list[Changement]) -> str:
    """Several values of one field that have the same effect, in one phrase."""
    champ = CHAMPS[changements[0].champ]
    if champ.multiple and all(isinstance(c.apres, list) and c.avant is not None for c in changements):
        simples = [_ajouts_retraits(c) for c in changements]
        if all(len(a) == 1 and not r for a, r in simples):
            return f"ajout de {_ou([a[0] for a, _ in simples])}"
        if all(len(r) == 1 and not a for a, r in simples):
            return f"retrait de {_ou([r[0] for _, r in simples])}"
    return _ou([decrire_changement(c) for c in changements])


def _scores_modele(mod: Any, dossier: Dossier, changements: list[tuple[str, Any]]) -> list[tuple[Any, bool]]:
    """The model's (route, decided) for the dossier with each single change, scored in one batch.

    Only the features of the changed answer are recomputed
    (:func:`~orientation.modele.caracteristiques.vectoriser_variantes`); the changed dossiers are all
    of the dossier's département, whose coverage by the model is checked once.
    """
    variantes = [modifier_dossier(dossier, chemin, alt) for chemin, alt in changements]
    lot = mod.proposer_lot(car.vectoriser_variantes(dossier, variantes))
    couvert = bool(mod.couvre([dossier.departement])[0])
    return [(CLASSES[int(p)], bool(d) and couvert) for p, d in zip(lot.parcours, lot.decide)]


def chercher(dossier: Dossier, chaine: Chaine) -> list[Contrefactuel]:
    """Single-answer changes that change the recommendation, each attributed to what decides it."""
    rejoueur = Rejoueur(chaine.referentiel, dossier)
    version = rejoueur.version
    d0 = chaine.decision
    ev = chaine.evaluation
    p0 = chaine.proposition
    a0 = arbitrer(ev.modalite, ev.declenchees, ev.proposition_grille,
                  None if p0 is None else (p0.parcours, p0.decide))
    titres = _titres(chaine)
    essais: list[tuple[str, str, Any, Any]] = []  # (source, path, before, after)
    vus: set[tuple[str, str]] = set()
    for ch, actuel, alt in candidats(chaine.referentiel, dossier):
        if alt is None:  # an answer withdrawn is not something to act on
            continue
        cle = (ch.chemin, repr(valeur_json(alt)))
        if cle not in vus:
            vus.add(cle)
            essais.append(("regles", ch.chemin, actuel, alt))
    for chemin, alt in _candidats_modele(chaine, dossier):
        cle = (chemin, repr(alt))
        if cle not in vus:
            vus.add(cle)
            essais.append(("modele", chemin, CHAMPS[chemin].lire(dossier), alt))

    issues = [rejoueur.issue(chemin, alt) for _, chemin, _, alt in essais]
    a_scorer = [i for i, iss in enumerate(issues) if iss.modalite is None and version.scenario == 4]
    scores: dict[int, tuple[Any, bool]] = {}
    if a_scorer:
        mod = chaine.source_modele.obtenir()
        if mod is not None:
            scores = dict(zip(a_scorer, _scores_modele(mod, dossier, [essais[i][1:4:2] for i in a_scorer])))

    avant_ids = set(d0.regles_declenchees)
    out: list[Contrefactuel] = []
    retenus: dict[tuple[Any, ...], int] = {}
    par_ids: dict[frozenset[str], list[Any]] = {}  # fired rules in evaluation order, per set of ids
    for i, ((source, chemin, actuel, alt), iss) in enumerate(zip(essais, issues)):
        declenchees = par_ids.get(iss.declenchees)
        if declenchees is None:
            declenchees = par_ids[iss.declenchees] = [r for r in version.regles if r.id in iss.declenchees]
        a1 = arbitrer(iss.modalite, declenchees, iss.proposition, scores.get(i))
        if (a1.modalite, a1.parcours) == (d0.modalite, d0.parcours):
            continue
        ligne = iss.proposition.id if iss.proposition is not None else None
        cause = _cause(a0, a1, avant_ids, set(iss.declenchees), ligne, titres)
        cle_groupe = (a1.modalite, a1.parcours, cause.nature, cause.decisive, cause.modele, chemin)
        if retenus.get(cle_groupe, 0) >= VALEURS_PAR_CHAMP:
            continue
        retenus[cle_groupe] = retenus.get(cle_groupe, 0) + 1
        champ = CHAMPS[chemin]
        changement = Changement(champ=chemin, libelle_champ=champ.libelle, avant=valeur_json(actuel),
                                apres=valeur_json(alt), fait_etabli=chemin in FAITS_ETABLIS)
        nouvelle = issue_courte(a1.modalite, a1.parcours, a1.origine)
        phrase = (f"Si « {champ.libelle} » était {decrire_changement(changement)} (au lieu de "
                  f"« {champ.libelle_valeur(actuel)} ») : {nouvelle} ({cause.libelle}).")
        out.append(Contrefactuel(
            source=source, changements=[changement],  # type: ignore[arg-type]
            apres=Issue(modalite=a1.modalite, parcours=a1.parcours, structure=a1.structure,
                        origine_parcours=a1.origine),
            cause=cause, phrase=phrase))
    return out


def phrase_groupe(effet: str, conditions: list[str], fait_etabli: bool, maximum: Optional[int] = None) -> str:
    """« Effet (cause) si A ; ou B » (at most ``maximum`` answers, then how many more)."""
    montrees = conditions if maximum is None else conditions[:maximum]
    reste = len(conditions) - len(montrees)
    return (f"{effet} si {' ; ou '.join(montrees)}" + (f" ; ou {reste} autre(s) réponse(s)" if reste else "")
            + (" (fait établi : ne changerait que s'il était erroné)." if fait_etabli else "."))


def grouper(contrefactuels: list[Contrefactuel]) -> list[GroupeContrefactuels]:
    """One group per effect and cause, answers listed by field; unanswered questions left out (À compléter).

    Groups on answers that can change come first, then those on established facts; at most
    :data:`GROUPES_MAX`.
    """
    par_cle: dict[tuple[Any, ...], list[int]] = {}
    for i, c in enumerate(contrefactuels):
        if any(ch.avant is None for ch in c.changements):
            continue
        cle = (c.apres.modalite, c.apres.parcours, c.apres.origine_parcours, c.cause.nature, c.cause.decisive,
               c.cause.modele, c.cause.libelle)
        par_cle.setdefault(cle, []).append(i)
    groupes = []
    for indices in par_cle.values():
        membres = [contrefactuels[i] for i in indices]
        premier = membres[0]
        fait = all(ch.fait_etabli for c in membres for ch in c.changements)
        par_champ: dict[str, list[Changement]] = {}
        for c in membres:
            for ch in c.changements:
                par_champ.setdefault(ch.libelle_champ, []).append(ch)
        conditions = [f"« {lib} » : {decrire_alternatives(chs)}" for lib, chs in par_champ.items()]
        a = premier.apres
        effet = f"{issue_courte(a.modalite, a.parcours, a.origine_parcours).capitalize()} ({premier.cause.libelle})"
        groupes.append(GroupeContrefactuels(apres=a, cause=premier.cause, contrefactuels=indices, fait_etabli=fait,
                                            effet=effet, conditions=conditions,
                                            phrase=phrase_groupe(effet, conditions, fait)))
    groupes.sort(key=lambda g: g.fait_etabli)  # stable: discovery order otherwise
    return groupes[:GROUPES_MAX]
