"""The model's proposal in words: confidence shown sensibly, answers weighed toward the proposed route only.

The model's contributions are log-odds (:mod:`orientation.modele.contributions`); for the reader
each answer gets one line, « pèse fortement / modérément / légèrement en faveur du … » (or
« contre »), the number in parentheses, explained once (:data:`NOTE_POIDS`).
"""

from __future__ import annotations

import math
from typing import Literal, Optional

from orientation.explication.modeles import LectureModele, PoidsReponse
from orientation.francais import nombre_fr
from orientation.modele.modele import PropositionModele

#: Answers shown per explanation; weights below :data:`POIDS_NEGLIGEABLE` are not shown.
REPONSES_MAX = 5
POIDS_NEGLIGEABLE = 0.05
#: Thresholds of the words, in log-odds (1 multiplies the odds by e ≈ 2.7).
FORT, MODERE = 1.0, 0.4

NOTE_POIDS = ("Les nombres entre parenthèses sont les poids du modèle pour ce parcours (log-cote) : 0 est sans "
              "effet, +1 multiplie environ par 2,7 la cote du parcours, −1 la divise d'autant.")


def confiance_fr(p: float) -> str:
    """A probability for a reader: whole percents, never « 100 % » nor « 0 % » (« plus de 99 % »)."""
    if not math.isfinite(p):
        return "non définie"
    if p >= 0.995:
        return "plus de 99\u202f%"
    if p <= 0.005:
        return "moins de 1\u202f%"
    return f"{round(p * 100)}\u202f%"


def seuil_fr(seuil: float) -> str:
    return confiance_fr(seuil) if math.isfinite(seuil) else "jamais atteint pour ce parcours"


def _force(poids: float) -> Literal["fortement", "modérément", "légèrement"]:
    a = abs(poids)
    return "fortement" if a >= FORT else "modérément" if a >= MODERE else "légèrement"


def hesitation(m: PropositionModele) -> Optional[str]:
    """« le modèle hésite entre A (51 %) et B (49 %) » when the two likeliest routes are within 15 points."""
    (p1, v1), (p2, v2) = sorted(m.probabilites.items(), key=lambda kv: -kv[1])[:2]
    if v1 - v2 > 0.15:
        return None
    return f"le modèle hésite entre le {p1.libelle} ({confiance_fr(v1)}) et le {p2.libelle} ({confiance_fr(v2)})"


def lire(m: Optional[PropositionModele]) -> Optional[LectureModele]:
    """The reading of the model's proposal (``None`` when the model was not consulted)."""
    if m is None:
        return None
    reponses = []
    for c in m.principales_contributions(m.parcours, n=REPONSES_MAX):
        if abs(c.poids) < POIDS_NEGLIGEABLE:
            continue
        force = _force(c.poids)
        sens = "en faveur du" if c.poids > 0 else "contre le"
        reponses.append(PoidsReponse(
            champ=c.champ, libelle_champ=c.libelle_champ, valeur=c.valeur, poids=c.poids, force=force,
            phrase=f"« {c.libelle_champ} » : {c.valeur} — pèse {force} {sens} {m.parcours.libelle} "
                   f"({nombre_fr(c.poids)})."))
    if m.decide:
        phrase = (f"Le modèle propose le {m.parcours.libelle} avec une confiance de {confiance_fr(m.confiance)} "
                  f"(seuil {seuil_fr(m.seuil)}), pour un profil vu {m.effectif_profil} fois à l'entraînement.")
    else:
        h = hesitation(m)
        phrase = (f"Le modèle s'abstient : {h}." if h else
                  f"Le modèle s'abstient : {m.parcours.libelle} à {confiance_fr(m.confiance)}, seuil "
                  f"{seuil_fr(m.seuil)}" + ("" if m.profil_recurrent else
                                             f", profil vu {m.effectif_profil} fois seulement") + ".")
    if not m.contributions_exactes:
        phrase += " Poids approchés (forêt aléatoire)."
    return LectureModele(parcours=m.parcours, confiance=confiance_fr(m.confiance), phrase=phrase,
                         reponses=reponses, note_poids=NOTE_POIDS)
