"""Rule language: what a rule imposing an appointment does to the route (a_decider_au_rendez_vous or a route).

The bulk twin (``flux/decisions.py``) is compared with the per-dossier decisions by the hypothesis
properties of ``tests/test_lot.py``, which cover the new origin ``rendez_vous``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orientation import recommend
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Modalite, Parcours, Structure

from .test_referentiel import GRILLE, dossier, ecrire, erreur, regle

PRIMO = 'titre: "T"\nreference: "R"\nsi: {champ: primo_demandeur, egal: true}\n'


@pytest.mark.parametrize("alors, morceau", [
    ("alors: {modalite: examen_individuel, parcours: a_decider_au_rendez_vous}\n", "ne s'emploie qu'avec"),
    ("alors: {modalite: rdv_obligatoire, parcours: a_decider_au_rendez_vous, structure: ccas}\n", "sans objet"),
    ("alors: {modalite: rdv_obligatoire, parcours: plus_tard}\n", "parcours inconnu 'plus_tard'"),
    ("alors: {modalite: examen_individuel, structure: ccas}\n", "« structure » demande un « parcours »"),
])
def test_erreurs_du_parcours_d_une_regle(tmp_path: Path, alors: str, morceau: str) -> None:
    exc = erreur(tmp_path, national=regle("regle_fautive", PRIMO + alors))
    assert exc.regle == "regle_fautive" and morceau in str(exc)


def _ref(tmp_path: Path, alors_primo: str, alors_autre: str) -> Referentiel:
    national = regle("primo", PRIMO + alors_primo) + "  - id: demande\n" + (
        '    titre: "D"\n    reference: "R"\n    si: {champ: demande_rdv, egal: true}\n' f"    {alors_autre}")
    return Referentiel.depuis_fichiers("93", ecrire(tmp_path, national, {"93": GRILLE}) / "national.yaml",
                                       tmp_path / "departements" / "93.yaml")


def test_par_defaut_le_parcours_se_decide_au_rendez_vous(tmp_path: Path) -> None:
    ref = _ref(tmp_path, "alors: {modalite: rdv_obligatoire}\n", "alors: {modalite: rdv_obligatoire}\n")
    d = recommend(dossier(primo_demandeur=True, dsp={"logement": "sans_abri"}), ref)
    assert (d.modalite, d.parcours, d.structure, d.origine_parcours) == (Modalite.rdv_obligatoire, None, None,
                                                                        "rendez_vous")
    assert (d.parcours_indicatif, d.structure_indicative) == (Parcours.social, Structure.departement)
    # without an appointment rule, the grid proposes the route as before
    d = recommend(dossier(dsp={"logement": "sans_abri"}), ref)
    assert (d.parcours, d.origine_parcours, d.parcours_indicatif) == (Parcours.social, "grille", None)


def test_une_regle_qui_fixe_le_parcours_l_emporte(tmp_path: Path) -> None:
    ref = _ref(tmp_path, "alors: {modalite: rdv_obligatoire, parcours: a_decider_au_rendez_vous}\n",
               "alors: {modalite: rdv_obligatoire, parcours: social, structure: ccas}\n")
    d = recommend(dossier(primo_demandeur=True, demande_rdv=True), ref)
    assert (d.parcours, d.structure, d.origine_parcours, d.parcours_indicatif) == (
        Parcours.social, Structure.ccas, "regle", None)
    d = recommend(dossier(primo_demandeur=True), ref)
    assert (d.parcours, d.origine_parcours, d.parcours_indicatif) == (None, "rendez_vous", Parcours.professionnel)


def test_violences_conjugales_parcours_social_livre() -> None:
    d = recommend(dossier(primo_demandeur=True, fragilites_declarees=["violences_conjugales"]))
    assert (d.modalite, d.parcours, d.structure, d.origine_parcours) == (
        Modalite.rdv_obligatoire, Parcours.social, Structure.departement, "regle")
