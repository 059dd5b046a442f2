"""Explanation of the orientation model: contributions of the answers, and model counterfactuals.

* :func:`calculer_contributions`: signed contribution of each answer of THIS dossier to the score of
  each route.  For the logistic model they are exact: ``coefficient × (x − mean of the
  training data)`` summed over the indicators of one field, in log-odds; ``valeurs_de_base``
  plus the contributions reproduce the model's scores (``scores``).  For the forest they are
  an approximation by occlusion: score of the dossier minus the mean score obtained when the
  field's answer is replaced by the answers observed in the training data (weighted by their
  frequency); the remainder is reported in ``residu``.
* :func:`contrefactuels_modele` searches, by re-scoring, the smallest sets of changed DSP
  answers (and France Travail registration) that change the proposed route or let the model
  decide.

Both take the model (:class:`~orientation.modele.modele.ModeleOrientation`, which exposes them
through :meth:`~orientation.modele.modele.ModeleOrientation.proposer` and
:meth:`~orientation.modele.modele.ModeleOrientation.contrefactuels_modele`) as first argument.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from orientation.dossier import codes
from orientation.francais import pourcent
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES
from orientation.vocabulaire import Parcours

METHODE_EXACTE = ("contributions exactes du modèle linéaire : coefficient × écart à la moyenne des données "
                  "d'entraînement, en log-cote, sommées par champ ; base + contributions = score du modèle")
METHODE_APPROCHEE = ("contributions APPROXIMATIVES par occlusion : score du dossier moins le score moyen obtenu en "
                     "remplaçant la réponse du champ par les réponses observées à l'entraînement (forêt aléatoire, "
                     "effets non additifs : le reste figure dans « residu »)")


# --------------------------------------------------------------------------- typed results


class Contribution(BaseModel):
    """Signed contribution of one answer of the dossier to the score of one route."""

    model_config = ConfigDict(frozen=True)

    champ: str
    libelle_champ: str
    valeur: str
    parcours: Parcours
    poids: float


class Changement(BaseModel):
    """One changed answer in a counterfactual."""

    model_config = ConfigDict(frozen=True)

    champ: str
    libelle_champ: str
    valeur_actuelle: str
    nouvelle_valeur: str
    valeur: Any  # new value for the Dossier field (code name(s), bool), see ContrefactuelModele.appliquer


class ContrefactuelModele(BaseModel):
    """A smallest set of answer changes that changes the model's outcome (found by re-scoring).

    ``changements`` are French sentences (one per changed answer), ``details`` the same changes
    typed, ``effet`` what the model would then propose, ``texte`` the whole sentence.
    """

    model_config = ConfigDict(frozen=True)

    objectif: Literal["changer_parcours", "atteindre_seuil"]
    changements: list[str]
    details: list[Changement]
    effet: str
    parcours: Parcours
    confiance: float
    decide: bool
    texte: str

    def appliquer(self, dossier: Any) -> Any:
        """The dossier with these answers changed (validated :class:`~orientation.dossier.schema.Dossier`)."""
        from orientation.dossier.schema import Dossier

        donnees = dossier.model_dump(mode="json", exclude_none=True)
        donnees["dsp"] = dossier.dsp.model_dump(mode="json", exclude_none=True)
        for ch in self.details:
            if ch.champ == "inscription_france_travail":
                donnees[ch.champ] = ch.valeur
            else:
                donnees["dsp"][ch.champ] = ch.valeur
        return Dossier.valider(donnees)


# --------------------------------------------------------------------------- contributions


def calculer_contributions(modele: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(scores (3,), base (3,), contributions (3, n_groups), exact?) of ``modele`` for one row ``x`` (1, p).

    ``modele`` is a :class:`~orientation.modele.modele.ModeleOrientation`.
    """
    ng = len(car.GROUPES)
    if modele.type_modele == "logistique":
        W = modele.base.coef_
        b = modele.base.intercept_
        ecart = W * (x[0] - modele.reference)  # (3, p)
        contribs = np.zeros((3, ng))
        np.add.at(contribs.T, car.GROUPE_DE_COLONNE, ecart.T)
        base = b + W @ modele.reference
        scores = modele.scores(x)[0]
        return scores, base, contribs, True
    # occlusion against the training answers of each field
    lignes = []
    poids = []
    for g in car.GROUPES:
        motifs, freq = modele.motifs_reference[g.nom]
        cols = car.COLONNES_GROUPE[g.nom]
        bloc = np.repeat(x, len(motifs), axis=0)
        bloc[:, cols] = motifs
        lignes.append(bloc)
        poids.append(freq)
    S = modele.scores(np.vstack([x] + lignes))
    score = S[0]
    contribs = np.zeros((3, ng))
    debut = 1
    for j, f in enumerate(poids):
        bloc = S[debut:debut + len(f)]
        contribs[:, j] = score - (f[:, None] * bloc).sum(axis=0)
        debut += len(f)
    base = np.asarray(modele.entrainement.get("score_moyen", np.zeros(3)), dtype=float)
    return score, base, contribs, False


def liste_contributions(x: np.ndarray, contribs: np.ndarray) -> list[Contribution]:
    """Non-zero contributions (3, n_groups) of the row ``x`` (1, p) as typed objects, largest first."""
    liste = []
    valeurs = [car.libelle_valeur_groupe(x[0], g.nom) for g in car.GROUPES]
    for k, p in enumerate(CLASSES):
        for j, g in enumerate(car.GROUPES):
            w = float(contribs[k, j])
            if abs(w) > 1e-12:
                # already typed values: built without re-validation (about 140 per proposal)
                liste.append(Contribution.model_construct(champ=g.nom, libelle_champ=g.libelle,
                                                          valeur=valeurs[j], parcours=p, poids=w))
    liste.sort(key=lambda c: -abs(c.poids))
    return liste


# --------------------------------------------------------------------------- counterfactuals


def contrefactuels_modele(modele: Any, dossier: Any, max_changes: int = 3, max_resultats: int = 5,
                         largeur: int = 25) -> list[ContrefactuelModele]:
    """Smallest sets of answer changes that change the route or let the model decide.

    Only DSP answers and the France Travail registration may change (not age, household,
    dates...), never to « non renseigné ».  Every candidate is re-scored with the model
    (beam search of width ``largeur``, up to ``max_changes`` changes).
    """
    x = car.vectoriser([dossier])[0]
    depart = modele._lot_matrice(x[None, :], departements=[dossier.departement])
    p0 = int(depart.parcours[0])
    d0 = bool(depart.decide[0])
    candidats = _candidats(x)
    if not candidats:
        return []
    trouves: dict[str, list[tuple[tuple[int, ...], int, float, bool]]] = {"changer_parcours": [],
                                                                          "atteindre_seuil": []}
    faisceau: list[tuple[int, ...]] = [()]
    for niveau in range(1, max_changes + 1):
        combos: list[tuple[int, ...]] = []
        vus = set()
        for base_combo in faisceau:
            groupes_pris = {candidats[i][0] for i in base_combo}
            for i, (g, _, _) in enumerate(candidats):
                if g in groupes_pris:
                    continue
                combo = tuple(sorted(base_combo + (i,)))
                if combo in vus:
                    continue
                if any(set(sol[0]) <= set(combo) for sols in trouves.values() for sol in sols):
                    continue
                vus.add(combo)
                combos.append(combo)
        if not combos:
            break
        # every changed answer of every combination written in one assignment
        membres = [(r, i) for r, combo in enumerate(combos) for i in combo]
        colonnes = [car.COLONNES_GROUPE[candidats[i][0]] for _, i in membres]
        X = np.repeat(x[None, :], len(combos), axis=0)
        X[np.repeat([r for r, _ in membres], [len(c) for c in colonnes]), np.concatenate(colonnes)] = (
            np.concatenate([candidats[i][1] for _, i in membres]))
        lot = modele._lot_matrice(X, departements=[dossier.departement] * len(combos))
        parcours_l, confiance_l, decide_l = lot.parcours.tolist(), lot.confiance.tolist(), lot.decide.tolist()
        recurrent_l, p_p0 = lot.profil_recurrent.tolist(), lot.probabilites[:, p0].tolist()
        progres = np.zeros(len(combos))
        for r, combo in enumerate(combos):
            if parcours_l[r] != p0:
                trouves["changer_parcours"].append((combo, parcours_l[r], confiance_l[r], decide_l[r]))
            elif not d0 and decide_l[r]:
                trouves["atteindre_seuil"].append((combo, parcours_l[r], confiance_l[r], True))
            else:
                progres[r] = max(1.0 - p_p0[r], 0.0 if d0 else confiance_l[r] + 0.5 * float(recurrent_l[r]))
        restants = [r for r in np.argsort(-progres) if progres[r] > 0][:largeur]
        faisceau = [combos[r] for r in restants]
        if all(len(v) >= max_resultats for v in trouves.values()) or not faisceau:
            break
    out = []
    for objectif, sols in trouves.items():
        sols.sort(key=lambda s: (len(s[0]), -s[2]))
        for combo, parcours, conf, decide in sols[:max_resultats]:
            chs = [_changement(x, candidats[i]) for i in combo]
            phrases = [_phrase_changement(c) for c in chs]
            effet = _effet(objectif, CLASSES[parcours], conf, decide)
            out.append(ContrefactuelModele(objectif=objectif, changements=phrases, details=chs,  # type: ignore[arg-type]
                                           effet=effet, parcours=CLASSES[parcours], confiance=conf,
                                           decide=decide, texte=f"Si {' ; '.join(phrases)}, {effet}."))
    return out


def _candidats(x: np.ndarray) -> list[tuple[str, np.ndarray, Any]]:
    """(group, new indicator vector, new Dossier value) for every single answer change."""
    out: list[tuple[str, np.ndarray, Any]] = []
    for g in car.GROUPES:
        if not g.modifiable:
            continue
        cols = car.COLONNES_GROUPE[g.nom]
        actuel = (x[cols] > 0.5).tolist()
        valeurs = [v for v, _ in g.valeurs]
        if not g.multiple:
            for j, v in enumerate(valeurs):
                if v in (car.NON_RENSEIGNE, "code_v") or actuel[j]:  # no unanswered / unexplained targets
                    continue
                vect = np.zeros(len(cols))
                vect[j] = 1.0
                out.append((g.nom, vect, _valeur_dossier(g.nom, v)))
        else:
            j_nr = valeurs.index(car.NON_RENSEIGNE)
            j_vide = valeurs.index(car.AUCUN_CODE)
            j_aucun = [i for i, w in enumerate(valeurs) if w in ("aucun", "aucune")]
            for j, v in enumerate(valeurs):
                if j in (j_nr, j_vide):
                    continue
                nouveau = list(actuel)
                nouveau[j_nr] = False
                nouveau[j_vide] = False
                nouveau[j] = not actuel[j]
                if nouveau[j]:
                    # « aucun(e) » excludes every other code of the field, and conversely.
                    if j in j_aucun:
                        nouveau = [False] * len(nouveau)
                        nouveau[j] = True
                    else:
                        for i in j_aucun:
                            nouveau[i] = False
                if not any(nouveau):
                    nouveau[j_vide] = True
                codes_actifs = [valeurs[i] for i in range(len(valeurs)) if nouveau[i] and i not in (j_nr, j_vide)]
                out.append((g.nom, np.array(nouveau, dtype=float), codes_actifs))
    return out


def _changement(x: np.ndarray, cand: tuple[str, np.ndarray, Any]) -> Changement:
    g, vect, valeur = cand
    groupe = car.GROUPES_PAR_NOM[g]
    y = x.copy()
    y[car.COLONNES_GROUPE[g]] = vect
    return Changement(champ=g, libelle_champ=groupe.libelle, valeur_actuelle=car.libelle_valeur_groupe(x, g),
                      nouvelle_valeur=car.libelle_valeur_groupe(y, g), valeur=valeur)


def _valeur_dossier(groupe: str, valeur: str) -> Any:
    g = car.GROUPES_PAR_NOM[groupe]
    if g.source == "dsp":
        if codes.PAR_NOM[groupe].kind == "booleen":
            return valeur == "oui"
    return valeur


def _phrase_changement(c: Changement) -> str:
    return f"« {c.libelle_champ} » : {c.valeur_actuelle} → {c.nouvelle_valeur}"


def _effet(objectif: str, parcours: Parcours, conf: float, decide: bool) -> str:
    if objectif == "changer_parcours":
        suite = f"le modèle proposerait le {parcours.libelle} (confiance {pourcent(conf, 0)})"
        if decide:
            suite += " et déciderait sans examen individuel"
    else:
        suite = f"le modèle déciderait le {parcours.libelle} sans examen individuel (confiance {pourcent(conf, 0)})"
    return suite
