"""explain(): actual values, « non renseigné », checked counterfactuals, CRPA items, three renderings."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from orientation import Dossier, Modalite, explain, recommend
from orientation.regles.contrefactuels import modifier_dossier
from orientation.dossier.schema import EXEMPLE_CNAF
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Verite

from .strategies import dossiers
from .test_decision import RECURRENT


def test_regle_declenchee_avec_valeurs_reelles() -> None:
    e = explain(Dossier.depuis_cnaf(EXEMPLE_CNAF))
    ids = {r.id for r in e.regles_declenchees}
    assert {"primo_demandeur", "fragilite_logement", "fragilite_sante"} <= ids
    logement = next(r for r in e.regles_declenchees if r.id == "fragilite_logement")
    vraies = [c for c in logement.conditions if c.resultat == Verite.vrai]
    assert any(c.valeur == "sans_abri" and "sans abri" in c.valeur_libelle for c in vraies)
    assert "Précaire : sans abri" in e.texte()  # a decisive reason, with the person's value


def test_deux_sortes_de_delais_avec_leurs_articles() -> None:
    e = explain(Dossier.depuis_cnaf(EXEMPLE_CNAF))  # reference 20/09/2025
    for rendu in (e.texte("complet"), e.markdown("complet"), json.dumps(e.en_dict(), ensure_ascii=False)):
        assert "convention DITP" in rendu and "20/10/2025" in rendu
        assert "CASF art. D262-65-2" in rendu and "01/11/2025" in rendu
        assert "Code du travail art. D5411-14-1" in rendu and "01/12/2025" in rendu
    avant = {**EXEMPLE_CNAF, "dtdemrsa": "2024-12-20", "dtouvdroit": "2024-12-31", "dtnotifdroit": "2024-12-31"}
    texte = explain(Dossier.depuis_cnaf(avant)).texte("complet")
    assert "Délais légaux : date de référence antérieure au 1er janvier 2025" in texte
    assert "D262-65-2" not in texte


def test_non_renseigne_jamais_faux() -> None:
    # no health-coverage answer: the condition « couverture_sociale = non » is unknown, not false
    e = explain(Dossier.depuis_cnaf(RECURRENT | {"difsoc": ["0401"]}))
    sante = next(r for r in e.regles_presque_declenchees if r.id == "fragilite_sante") if any(
        r.id == "fragilite_sante" for r in e.regles_presque_declenchees) else None
    assert sante is not None and sante.resultat == Verite.inconnu
    for c in sante.conditions:
        if c.valeur is None:
            assert c.resultat == Verite.inconnu and c.valeur_libelle == "non renseigné"
            assert "faux" not in c.texte
    # the missing answer is listed once, under « À compléter », with what it could change
    assert "Difficultés sociales relevées par le professionnel" in e.texte().split("À compléter")[1]


def test_quatre_elements_crpa_dans_les_trois_rendus() -> None:
    e = explain(Dossier.depuis_cnaf(RECURRENT), modele="demo")
    assert e.decision.modalite == Modalite.orientation_directe
    assert "déterminante" in e.crpa.degre_et_mode_de_contribution
    assert e.crpa.donnees_et_sources and e.crpa.parametres_et_ponderations and e.crpa.operations
    assert any("poids" in p for p in e.crpa.parametres_et_ponderations)
    assert any("sexe" in x for x in e.crpa.donnees_et_sources)
    texte, md, js = e.texte("complet"), e.markdown("complet"), json.loads(e.json())
    for titre in ("Degré et mode de contribution", "Données traitées et leurs sources",
                  "Paramètres de traitement et leur pondération", "Opérations effectuées"):
        assert titre in texte and titre in md
    assert md.startswith("# Orientation du dossier")
    assert set(js["crpa"]) == {"degre_et_mode_de_contribution", "donnees_et_sources", "parametres_et_ponderations",
                               "operations"}
    assert js["modele"]["decide"] is True and js["decision"]["modalite"] == "orientation_directe"


def test_rdv_obligatoire_dit_que_le_modele_n_a_pas_servi() -> None:
    e = explain(Dossier.depuis_cnaf(EXEMPLE_CNAF))
    assert e.modele is None
    assert "n'a pas été utilisé" in e.crpa.degre_et_mode_de_contribution


def test_contrefactuels_verifies_en_rejouant_la_chaine() -> None:
    dossier = Dossier.depuis_cnaf(RECURRENT)
    e = explain(dossier, modele="demo")
    regles = [c for c in e.contrefactuels if c.source == "regles"]
    assert any("Primo-demandeur" in c.phrase for c in regles)
    assert any(c.cause.nature == "modele" for c in e.contrefactuels)
    ref = Referentiel.charger("93")
    for c in e.contrefactuels:
        # the structured changes are enough to re-apply the counterfactual, and give its stated outcome
        change = dossier
        for ch in c.changements:
            change = modifier_dossier(change, ch.champ, ch.apres)
        apres = recommend(change, ref, modele="demo")
        assert (apres.modalite, apres.parcours) == (c.apres.modalite, c.apres.parcours)
        assert (apres.modalite, apres.parcours) != (e.decision.modalite, e.decision.parcours)
        assert set(c.cause.regles) == set(apres.regles_declenchees) ^ set(e.decision.regles_declenchees)
    primo = recommend(modifier_dossier(dossier, "primo_demandeur", True), ref)
    assert primo.modalite == Modalite.rdv_obligatoire


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers())
def test_propriete_explication_coherente_avec_la_decision(dossier: Dossier) -> None:
    e = explain(dossier, modele=False)
    assert e.decision == recommend(dossier, modele=False)
    assert {r.id for r in e.regles_declenchees} == set(e.decision.regles_declenchees)
    texte = e.texte("complet")
    assert e.decision.modalite.libelle[1:] in texte
    for r in e.regles_declenchees:
        assert r.resultat == Verite.vrai and r.titre in texte
        assert all(c.resultat != Verite.inconnu or c.valeur is None for c in r.conditions)
    assert e == explain(dossier, modele=False)
