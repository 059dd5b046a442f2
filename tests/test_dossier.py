"""Dossier schema: CNAF round trip, « non renseigné », French validation errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation import Modalite, recommend
from orientation.dossier import codes
from orientation.dossier.cnaf import CLES
from orientation.dossier.schema import EXEMPLE_CNAF, Dossier
from orientation.erreurs import DossierInvalide
from orientation.dossier.tabulaire import enregistrement_vers_ligne, ligne_vers_enregistrement

from .strategies import dossiers


@settings(max_examples=200, deadline=None)
@given(dossiers())
def test_aller_retour_cnaf_sans_perte(d: Dossier) -> None:
    enregistrement = d.vers_cnaf()
    assert Dossier.depuis_cnaf(enregistrement) == d
    assert Dossier.depuis_cnaf(enregistrement).vers_cnaf() == enregistrement
    assert set(enregistrement) <= set(CLES)


@settings(max_examples=200, deadline=None)
@given(dossiers())
def test_aller_retour_cellules_de_fichier(d: Dossier) -> None:
    ligne = enregistrement_vers_ligne(d.vers_cnaf())
    assert all(isinstance(v, str) for v in ligne.values())
    assert Dossier.depuis_cnaf(ligne_vers_enregistrement(ligne)) == d


@settings(max_examples=100, deadline=None)
@given(dossiers())
def test_aller_retour_json_lisible(d: Dossier) -> None:
    assert Dossier.depuis_json(d.model_dump_json()) == d


def test_chaque_code_a_un_nom_et_un_libelle_francais() -> None:
    for champ in codes.CHAMPS:
        assert champ.nom and champ.libelle and champ.nom != champ.cnaf
        noms = [c.nom for c in champ.codes]
        assert len(noms) == len(set(noms)), champ.cnaf
        for c in champ.codes:
            assert c.libelle and c.nom.isidentifier()
    assert len(codes.CHAMPS) == 38


def test_non_renseigne_est_distinct_de_non_et_de_vide() -> None:
    base = dict(EXEMPLE_CNAF)
    absent = Dossier.depuis_cnaf(base)
    assert absent.dsp.couverture_sociale is None
    assert absent.dsp.difficultes_logement is None
    non = Dossier.depuis_cnaf({**base, "topcouvsoc": "0", "diflog": []})
    assert non.dsp.couverture_sociale is False
    assert non.dsp.difficultes_logement == []
    assert codes.libelle("couverture_sociale", absent.dsp.couverture_sociale) == "non renseigné"
    assert codes.libelle("couverture_sociale", non.dsp.couverture_sociale) == "non"


def test_codes_cnaf_acceptes_dans_la_forme_lisible() -> None:
    d = Dossier.valider({**Dossier.depuis_cnaf(EXEMPLE_CNAF).model_dump(mode="json"),
                         "dsp": {"logement": "0903", "difficultes_sociales": ["0406", "sante"]}})
    assert d.dsp.logement == "hebergement_urgence"
    assert d.dsp.difficultes_sociales == ["sante", "endettement"]


@pytest.mark.parametrize(
    ("modif", "champ", "raison"),
    [
        ({"natlog": "0999"}, "natlog", "code inconnu"),
        ({"difsoc": ["0402", "9999"]}, "difsoc", "code inconnu"),
        ({"topcouvsoc": "oui"}, "topcouvsoc", "booléen CNAF attendu"),
        ({"dtnai": "1987-02-30"}, "dtnai", "date impossible"),
        ({"dtdemrsa": "0"}, "dtdemrsa", "date impossible"),
        ({"dtdemrsa": "2025-09-02T00:00:00"}, "dtdemrsa", "date impossible"),
        ({"dtnai": "2022-01-01"}, "dtnai", "âge impossible"),
        ({"dtnotifdroit": "2025-08-01"}, "dtnotifdroit", "antérieure"),
        ({"departement": "20"}, "departement", "département inconnu"),
        ({"sexe": "3"}, "sexe", "code inconnu"),
        ({"agesenfants": [4, 40]}, "agesenfants.1", "hors limites"),
        ({"annobtnivdipmax": "deux mille"}, "annobtnivdipmax", "année attendue"),
        ({"colonne_inconnue": "x"}, "colonne_inconnue", "champ inconnu"),
        ({"identifiant": "a b"}, "identifiant", "caractères non admis"),
    ],
)
def test_erreur_claire_nommant_champ_valeur_raison(modif: dict, champ: str, raison: str) -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.depuis_cnaf({**EXEMPLE_CNAF, **modif})
    erreurs = exc.value.erreurs
    assert len(erreurs) == 1, erreurs
    assert erreurs[0].champ == champ
    assert raison in erreurs[0].raison
    message = str(exc.value)
    assert champ in message and raison in message
    valeur = list(modif.values())[0]
    assert repr(valeur if not isinstance(valeur, list) else erreurs[0].valeur) in message


def test_champs_obligatoires_manquants_tous_signales() -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.valider({"identifiant": "X1"})
    champs = {e.champ for e in exc.value.erreurs}
    assert {"departement", "date_demande", "date_naissance", "foyer", "primo_demandeur"} <= champs
    assert all(e.raison == "champ obligatoire manquant" for e in exc.value.erreurs)


def test_json_mal_forme() -> None:
    with pytest.raises(DossierInvalide, match="JSON mal formé"):
        Dossier.depuis_json("{pas du json")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(list(CLES) + ["x"]),
                       st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 3000), st.booleans(),
                                 st.lists(st.text(max_size=5), max_size=3))))
def test_entree_quelconque_donne_un_dossier_ou_une_erreur_claire(enregistrement: dict) -> None:
    try:
        d = Dossier.depuis_cnaf({**EXEMPLE_CNAF, **enregistrement})
    except DossierInvalide as exc:
        assert exc.erreurs and all(e.champ and e.raison for e in exc.erreurs)
    else:
        assert isinstance(d, Dossier)
        json.loads(d.model_dump_json())
        decision = recommend(d)  # a valid dossier always gets a decision, never a crash
        assert decision.identifiant == d.identifiant and decision.modalite in set(Modalite)
