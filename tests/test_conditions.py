"""Condition language: parsing, three-valued (Kleene) semantics, derived values, explanations."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from orientation.regles import conditions
from orientation.regles.champs import champ
from orientation.regles.contrefactuels import contrefactuels
from orientation.regles.conditions import (
    Atome,
    AuMoinsUn,
    Tous,
    analyser,
    decrire,
    evaluer,
    satisfiable,
    valeurs,
    verite,
)
from orientation.dossier.schema import Dossier
from orientation.erreurs import ReglesInvalides
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Modalite, Parcours, Verite

V, F, NR = Verite.vrai, Verite.faux, Verite.inconnu

BASE: dict[str, Any] = {
    "identifiant": "T-1",
    "departement": "93",
    "date_demande": "2025-09-02",
    "date_ouverture_droits": "2025-06-15",
    "date_notification_droits": "2025-09-20",
    "date_naissance": "1985-09-03",
    "foyer": {"composition": "parent_isole", "ages_enfants": [2, 9]},
    "soumis_droits_devoirs": True,
    "primo_demandeur": False,
    "dsp": {"logement": "sans_abri", "difficultes_sociales": ["sante", "endettement"],
            "annee_diplome_max": 2004, "couverture_sociale": True},
}


def dossier(**maj: Any) -> Dossier:
    donnees = {**BASE, **{k: v for k, v in maj.items() if k != "dsp"}}
    if "dsp" in maj:
        donnees["dsp"] = {**BASE["dsp"], **maj["dsp"]}
    return Dossier.valider(donnees)


def truth(brut: dict[str, Any], d: Dossier) -> Verite:
    c = analyser(brut)
    return verite(c, valeurs(d, [a.champ for a in _atomes(c)]))


def _atomes(c: Any) -> list[Atome]:
    from orientation.regles.conditions import atomes

    return atomes(c)


# --------------------------------------------------------------------------- parsing


def test_code_cnaf_normalise_en_nom() -> None:
    c = analyser({"champ": "dsp.logement", "dans": ["0912", "hotel_social"]})
    assert isinstance(c, Atome)
    assert c.valeur == ("sans_abri", "hotel_social")


def test_non_pousse_vers_les_atomes() -> None:
    c = analyser({"non": {"tous": [{"champ": "primo_demandeur", "egal": True},
                                   {"champ": "dsp.difficultes_sociales", "contient": "sante"}]}})
    assert isinstance(c, AuMoinsUn)
    assert [(a.operateur, a.valeur) for a in c.items] == [("different", True), ("ne_contient_pas", "sante")]  # type: ignore[union-attr]


def test_double_negation_et_renseigne() -> None:
    c = analyser({"non": {"non": {"champ": "dsp.logement", "renseigne": False}}})
    assert c == Atome(champ("dsp.logement"), "renseigne", False)
    c2 = analyser({"non": {"champ": "dsp.logement", "renseigne": False}})
    assert c2 == Atome(champ("dsp.logement"), "renseigne", True)


def test_expressions_derivees_normalisees() -> None:
    assert champ("age( date_demande )").chemin == "age(date_demande)"
    assert champ("annees_entre(dsp.annee_diplome_max,date_demande)").chemin == \
        "annees_entre(dsp.annee_diplome_max, date_demande)"


def test_dates_acceptees_en_texte() -> None:
    c = analyser({"champ": "date_demande", "superieur_ou_egal": "2025-01-01"})
    assert isinstance(c, Atome) and c.valeur == date(2025, 1, 1)


@pytest.mark.parametrize("brut, morceau", [
    ({"champ": "dsp.logment", "egal": "sans_abri"}, "vouliez-vous dire : dsp.logement"),
    ({"champ": "sexe", "egal": "femme"}, "protégé"),
    ({"champ": "nationalite", "egal": "francaise"}, "protégé"),
    ({"champ": "identifiant", "egal": "X"}, "protégé"),
    ({"champ": "age(date_naissance, sexe)", "egal": 3}, "protégé"),
    ({"champ": "id", "egal": 1}, "réservé"),
    ({"champ": "dsp.sid", "egal": 1}, "réservé"),
    ({"champ": "dsp.logement", "egal": "chateau"}, "codes admis : autonome_individuel (0901)"),
    ({"champ": "dsp.logement", "egal": "9999"}, "code inconnu"),
    ({"champ": "dsp.logement", "contient": "sans_abri"}, "ne convient pas"),
    ({"champ": "dsp.difficultes_sociales", "egal": "sante"}, "ne convient pas"),
    ({"champ": "primo_demandeur", "inferieur": 1}, "ne convient pas"),
    ({"champ": "primo_demandeur", "egale": True}, "vouliez-vous dire « egal »"),
    ({"champ": "primo_demandeur", "egal": "oui"}, "booléen"),
    ({"champ": "age(date_demande)", "inferieur": "25"}, "nombre entier"),
    ({"champ": "age(date_demande)", "inferieur": True}, "nombre entier"),
    ({"champ": "date_demande", "inferieur": "02/09/2025"}, "AAAA-MM-JJ"),
    ({"champ": "dsp.logement", "dans": []}, "liste vide"),
    ({"champ": "dsp.logement", "dans": "sans_abri"}, "liste"),
    ({"champ": "dsp.logement", "egal": ["sans_abri"]}, "une seule valeur"),
    ({"champ": "dsp.logement", "dans": ["sans_abri", "0912"]}, "en double"),
    ({"champ": "dsp.logement", "egal": "sans_abri", "different": "hotel_social"}, "exactement un opérateur"),
    ({"champ": "dsp.logement", "renseigne": "oui"}, "true ou false"),
    ({"champ": "age(dsp.logement)", "egal": 3}, "doit être une date"),
    ({"champ": "nombre(dsp.logement)", "egal": 3}, "plusieurs valeurs"),
    ({"champ": "moyenne(date_demande)", "egal": 3}, "fonction inconnue"),
    ({"champ": "mois_entre(date_demande)", "egal": 3}, "attend 2 argument"),
    ({"tous": []}, "liste non vide"),
    ({"tous": [{"champ": "primo_demandeur", "egal": True}], "non": {}}, "seul"),
    ({"non": {"toujours": True}}, "toujours"),
    ({"tous": [{"toujours": True}, {"champ": "primo_demandeur", "egal": True}]}, "toujours"),
    ({"quelque": "chose"}, "mal formée"),
    ("primo_demandeur", "mal formée"),
])
def test_erreurs_de_condition(brut: Any, morceau: str) -> None:
    with pytest.raises(ReglesInvalides) as exc:
        analyser(brut, "regles/x.yaml", "ma_regle")
    assert "regles/x.yaml" in str(exc.value) and "ma_regle" in str(exc.value)
    assert exc.value.regle == "ma_regle"
    assert morceau in str(exc.value)


# --------------------------------------------------------------------------- contradictions


@pytest.mark.parametrize("brut", [
    {"tous": [{"champ": "dsp.logement", "egal": "sans_abri"}, {"champ": "dsp.logement", "egal": "hotel_social"}]},
    {"tous": [{"champ": "age(date_demande)", "superieur": 30}, {"champ": "age(date_demande)", "inferieur": 25}]},
    {"tous": [{"champ": "age(date_demande)", "superieur_ou_egal": 30},
              {"champ": "age(date_demande)", "inferieur_ou_egal": 30}, {"champ": "age(date_demande)", "different": 30}]},
    {"tous": [{"champ": "dsp.difficultes_sociales", "contient": "sante"},
              {"non": {"champ": "dsp.difficultes_sociales", "contient_un_de": ["sante", "rqth"]}}]},
    {"tous": [{"champ": "dsp.logement", "renseigne": False}, {"champ": "dsp.logement", "egal": "sans_abri"}]},
    {"champ": "primo_demandeur", "renseigne": False},
    {"tous": [{"champ": "primo_demandeur", "egal": True}, {"champ": "primo_demandeur", "different": True}]},
    {"tous": [{"champ": "dsp.logement", "dans": ["sans_abri", "hotel_social"]},
              {"champ": "dsp.logement", "hors_de": ["sans_abri", "hotel_social"]}]},
    {"tous": [{"champ": "date_demande", "superieur": "2025-01-01"}, {"champ": "date_demande", "inferieur": "2024-01-01"}]},
    {"au_moins_un": [{"champ": "primo_demandeur", "egal": True},
                     {"tous": [{"champ": "foyer.ages_enfants", "contient": 3},
                               {"champ": "foyer.ages_enfants", "ne_contient_pas": 3}]}]},
    {"tous": [{"champ": "dsp.difficultes_sociales", "contient_un_de": ["sante", "rqth"]},
              {"champ": "dsp.difficultes_sociales", "ne_contient_pas": "sante"},
              {"champ": "dsp.difficultes_sociales", "ne_contient_pas_tous": ["rqth"]}]},
])
def test_conditions_contradictoires_refusees(brut: dict[str, Any]) -> None:
    with pytest.raises(ReglesInvalides, match="contradictoire") as exc:
        analyser(brut, "national.yaml", "regle_x")
    assert "national.yaml" in str(exc.value) and "regle_x" in str(exc.value)


@pytest.mark.parametrize("brut", [
    {"tous": [{"champ": "age(date_demande)", "superieur": 24}, {"champ": "age(date_demande)", "inferieur": 26}]},
    {"tous": [{"champ": "dsp.difficultes_sociales", "contient": "sante"},
              {"champ": "dsp.difficultes_sociales", "ne_contient_pas": "rqth"}]},
    {"tous": [{"champ": "dsp.logement", "renseigne": False}, {"champ": "dsp.logement", "renseigne": False}]},
    {"tous": [{"champ": "dsp.logement", "hors_de": ["sans_abri"]}, {"champ": "dsp.logement", "different": "hotel_social"}]},
])
def test_conditions_satisfiables_acceptees(brut: dict[str, Any]) -> None:
    assert satisfiable(analyser(brut))


def test_ligne_couverte_par_les_precedentes() -> None:
    from orientation.regles.conditions import couverte

    oui = analyser({"champ": "dsp.permis_b", "egal": True})
    assert couverte(analyser({"champ": "dsp.permis_b", "different": False}), [oui])
    assert couverte(analyser({"tous": [{"champ": "dsp.permis_b", "egal": True},
                                       {"champ": "demande_rdv", "egal": True}]}), [oui])
    # the dossiers where permis_b is non renseigné still reach this line
    assert not couverte(analyser({"au_moins_un": [{"champ": "dsp.permis_b", "egal": True},
                                                  {"champ": "dsp.permis_b", "renseigne": False}]}), [oui])
    non = analyser({"champ": "dsp.permis_b", "egal": False})
    assert couverte(analyser({"champ": "dsp.permis_b", "renseigne": True}), [oui, non])
    assert not couverte(analyser({"champ": "age(date_demande)", "inferieur": 30}),
                        [analyser({"champ": "age(date_demande)", "inferieur": 25})])
    assert couverte(analyser({"champ": "age(date_demande)", "inferieur": 25}),
                    [analyser({"champ": "age(date_demande)", "inferieur": 30})])


# --------------------------------------------------------------------------- three-valued semantics


def test_atome_non_renseigne_est_inconnu_pas_faux() -> None:
    d = dossier(dsp={"couverture_sociale": None})
    assert truth({"champ": "dsp.couverture_sociale", "egal": False}, d) == NR
    assert truth({"champ": "dsp.couverture_sociale", "different": False}, d) == NR
    assert truth({"non": {"champ": "dsp.couverture_sociale", "egal": False}}, d) == NR
    assert truth({"champ": "dsp.couverture_sociale", "renseigne": False}, d) == V
    assert truth({"champ": "dsp.couverture_sociale", "renseigne": True}, d) == F
    d2 = dossier(dsp={"couverture_sociale": True})
    assert truth({"champ": "dsp.couverture_sociale", "egal": False}, d2) == F


def test_liste_vide_repondue_n_est_pas_non_renseignee() -> None:
    vide = dossier(fragilites_declarees=[])
    absent = dossier()
    brut = {"champ": "fragilites_declarees", "contient": "violences_conjugales"}
    assert truth(brut, vide) == F
    assert truth(brut, absent) == NR
    assert truth({"non": brut}, vide) == V


_ATOMES = {
    V: {"champ": "primo_demandeur", "egal": False},
    F: {"champ": "soumis_droits_devoirs", "egal": False},
    NR: {"champ": "demande_rdv", "egal": True},
}


def _kleene_et(a: Verite, b: Verite) -> Verite:
    if F in (a, b):
        return F
    return NR if NR in (a, b) else V


def _kleene_non(a: Verite) -> Verite:
    return {V: F, F: V, NR: NR}[a]


@pytest.mark.parametrize("a, b", list(itertools.product([V, F, NR], repeat=2)))
def test_tables_de_kleene(a: Verite, b: Verite) -> None:
    d = dossier()  # primo_demandeur False, soumis_droits_devoirs True, demande_rdv non renseigné
    ba, bb = _ATOMES[a], _ATOMES[b]
    assert truth({"tous": [ba, bb]}, d) == _kleene_et(a, b)
    ou = _kleene_non(_kleene_et(_kleene_non(a), _kleene_non(b)))
    assert truth({"au_moins_un": [ba, bb]}, d) == ou
    assert truth({"non": {"tous": [ba, bb]}}, d) == _kleene_non(_kleene_et(a, b))
    assert truth({"non": {"au_moins_un": [ba, bb]}}, d) == _kleene_non(ou)


# --------------------------------------------------------------------------- operators and derived values


@pytest.mark.parametrize("brut, attendu", [
    ({"champ": "age(date_demande)", "egal": 39}, V),  # born 1985-09-03, request 2025-09-02: 39 full years
    ({"champ": "age(date_notification_droits)", "egal": 40}, V),
    ({"champ": "mois_entre(date_ouverture_droits, date_demande)", "egal": 2}, V),  # 15/06 -> 02/09
    ({"champ": "mois_entre(date_demande, date_ouverture_droits)", "egal": -2}, V),
    ({"champ": "annees_entre(dsp.annee_diplome_max, date_demande)", "egal": 21}, V),
    ({"champ": "annees_entre(date_naissance, date_demande)", "egal": 39}, V),
    ({"champ": "nombre(foyer.ages_enfants)", "egal": 2}, V),
    ({"champ": "nombre(fragilites_declarees)", "egal": 0}, NR),
    ({"champ": "foyer.ages_enfants", "contient_un_de": [0, 1, 2]}, V),
    ({"champ": "foyer.ages_enfants", "contient_tous": [2, 3]}, F),
    ({"champ": "foyer.ages_enfants", "ne_contient_pas_tous": [2, 3]}, V),
    ({"champ": "foyer.ages_enfants", "ne_contient_aucun_de": [3, 4]}, V),
    ({"champ": "dsp.logement", "hors_de": ["hotel_social"]}, V),
    ({"champ": "dsp.logement", "dans": ["0912"]}, V),
    ({"champ": "date_demande", "superieur": "2025-09-01"}, V),
    ({"champ": "date_demande", "inferieur_ou_egal": "2025-09-01"}, F),
    ({"champ": "dsp.annee_diplome_max", "dans": [2003, 2004]}, V),
    ({"champ": "departement", "egal": "93"}, V),
    ({"champ": "foyer.composition", "different": "couple"}, V),
    ({"champ": "mois_entre(date_ouverture_droits, date_notification_droits)", "superieur": 2}, V),
])
def test_operateurs_et_valeurs_derivees(brut: dict[str, Any], attendu: Verite) -> None:
    assert truth(brut, dossier()) == attendu


def test_valeur_derivee_non_renseignee_si_un_argument_l_est() -> None:
    d = dossier(date_notification_droits=None)
    assert truth({"champ": "mois_entre(date_ouverture_droits, date_notification_droits)", "egal": 0}, d) == NR
    assert truth({"champ": "annees_entre(dsp.annee_diplome_max, date_demande)", "renseigne": True},
                 dossier(dsp={"annee_diplome_max": None})) == F


# --------------------------------------------------------------------------- explanations


def test_condition_evaluee_en_francais() -> None:
    c = analyser({"champ": "dsp.logement", "dans": ["hebergement_urgence", "sans_abri"]})
    res, (detail,) = evaluer(c, valeurs(dossier(), [champ("dsp.logement")]))
    assert res == V
    assert detail.texte == ("Nature du logement = Précaire : sans abri (attendu : l'une de Hébergement d'urgence, "
                            "Précaire : sans abri) → vrai")
    assert detail.valeur == "sans_abri" and detail.attendu == ["hebergement_urgence", "sans_abri"]
    assert detail.libelle_champ == "Nature du logement"


def test_condition_evaluee_non_renseignee() -> None:
    c = analyser({"champ": "dsp.couverture_sociale", "egal": False})
    d = dossier(dsp={"couverture_sociale": None})
    res, (detail,) = evaluer(c, valeurs(d, [champ("dsp.couverture_sociale")]))
    assert res == NR and detail.resultat == NR
    assert detail.valeur is None and detail.valeur_libelle == "non renseigné"
    assert detail.texte.endswith("→ non renseigné")
    assert "Dispose d'une couverture maladie = non renseigné (attendu : non)" in detail.texte


def test_valeur_derivee_avec_unite() -> None:
    c = analyser({"champ": "age(date_demande)", "inferieur": 25})
    _, (detail,) = evaluer(c, valeurs(dossier(), [champ("age(date_demande)")]))
    assert detail.valeur == 39 and detail.valeur_libelle == "39 ans"
    assert "attendu : inférieur à 25 ans" in detail.texte and detail.resultat == F


def test_decrire() -> None:
    c = analyser({"tous": [{"champ": "primo_demandeur", "egal": True},
                           {"champ": "dsp.difficultes_sociales", "contient": "sante"}]})
    assert decrire(c) == ("(Primo-demandeur (aucun droit RSA antérieur) : oui et "
                          "Difficultés sociales : contient Santé)")


def test_tester_refuse_rien_pour_un_atome_valide() -> None:
    a = Atome(champ("foyer.ages_enfants"), "contient", 2)
    assert conditions.tester(a, [2]) == V and conditions.tester(a, []) == F and conditions.tester(a, None) == NR


def test_tous_et_au_moins_un_reels() -> None:
    c = analyser({"au_moins_un": [{"champ": "primo_demandeur", "egal": True}, {"champ": "demande_rdv", "egal": True}]})
    assert isinstance(c, AuMoinsUn) and not isinstance(c, Tous)


# --------------------------------------------------------------------------- counterfactuals


def test_contrefactuels_recalcules() -> None:
    ref = Referentiel.charger("93")
    d = dossier(foyer={"composition": "personne_seule", "ages_enfants": []},
                dsp={"logement": "autonome_individuel", "difficultes_sociales": ["aucune"],
                     "historique_professionnel": "a_deja_travaille", "motif_demande": "faibles_ressources"})
    assert ref.evaluer(d).modalite is None
    cfs = contrefactuels(ref, d)
    par_champ = {c.champ: c for c in cfs}
    primo = par_champ["primo_demandeur"]
    assert primo.valeur_alternative is True and primo.modalite == Modalite.rdv_obligatoire
    assert "primo_demandeur" in primo.regles
    assert "rendez-vous d'orientation en présentiel obligatoire" in primo.effet
    assert primo.changements == ["« Primo-demandeur (aucun droit RSA antérieur) » était « oui » (au lieu de « non »)"]
    # every counterfactual is checked by re-evaluating the modified dossier
    base = ref.evaluer_python(d)
    for c in cfs:
        assert (c.modalite, c.parcours) != (base.modalite,
                                            base.proposition_grille.effet.parcours if base.proposition_grille else None)
    # adding « santé » drops « aucune difficulté »
    assert par_champ["dsp.difficultes_sociales"].valeur_alternative == ["sante"]
    logement = [c for c in cfs if c.champ == "dsp.logement"]
    assert any(c.parcours == Parcours.social for c in logement)


def test_contrefactuels_fonction_du_module() -> None:
    ref = Referentiel.charger("75")
    d = dossier(primo_demandeur=True, dsp={"logement": "autonome_individuel", "difficultes_sociales": ["aucune"]})
    cfs = contrefactuels(ref, d)
    # removing primo-demandeur alone does not change the modality: the DSP is incomplete (examen individuel)
    primo = [c for c in cfs if c.champ == "primo_demandeur"]
    assert primo and primo[0].modalite == Modalite.examen_individuel
