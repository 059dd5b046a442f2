"""France Travail diagnostic fields of the dossier (national orientation criteria): optional, « non renseigné »."""

from __future__ import annotations

import json

import pytest

from orientation import Dossier
from orientation.dossier.cnaf import CLES
from orientation.dossier.schema import EXEMPLE_CNAF, NiveauFrein
from orientation.dossier.tabulaire import enregistrement_vers_ligne, ligne_vers_enregistrement
from orientation.erreurs import DossierInvalide
from orientation.modele import caracteristiques as car
from orientation.regles.champs import champ

DIAG = {"diag_activite_recente": "0", "diag_projection_emploi": "1", "diag_formation_qualifiante": "0",
        "diag_frein_sante": "fort", "diag_frein_logement": "moyen", "diag_frein_mobilite": "sans_impact",
        "diag_frein_garde_enfant": "sans_impact", "diag_frein_proche_aidant": "sans_impact",
        "diag_frein_autre": "sans_impact"}


def test_absent_vaut_non_renseigne() -> None:
    d = Dossier.depuis_cnaf(EXEMPLE_CNAF)
    assert d.diagnostic.model_dump() == dict.fromkeys(d.diagnostic.model_dump())  # every answer is None
    assert "diagnostic" not in d.model_dump(exclude_unset=True)
    assert champ("diagnostic.frein_sante").lire(d) is None
    assert champ("diagnostic.frein_sante").libelle_valeur(None) == "non renseigné"
    assert not any(k.startswith("diag_") for k in d.vers_cnaf())


def test_aller_retour_cnaf_et_cellules_plates() -> None:
    enregistrement = {**EXEMPLE_CNAF, **DIAG}
    d = Dossier.depuis_cnaf(enregistrement)
    assert d.diagnostic.activite_recente is False and d.diagnostic.projection_emploi is True
    assert d.diagnostic.frein_sante == NiveauFrein.fort and d.diagnostic.frein_logement == NiveauFrein.moyen
    assert d.vers_cnaf() == enregistrement
    ligne = enregistrement_vers_ligne(d.vers_cnaf())
    assert set(DIAG) <= set(CLES) and ligne["diag_frein_sante"] == "fort"
    assert Dossier.depuis_cnaf(ligne_vers_enregistrement(ligne)) == d
    lisible = json.loads(d.model_dump_json())
    assert lisible["diagnostic"]["frein_sante"] == "fort" and Dossier.valider(lisible) == d
    # readable form written as flat cells: "" is non renseigné, "0"/"1" booleans
    cellules = Dossier.valider({**lisible, "diagnostic": {"activite_recente": "1", "frein_autre": ""}})
    assert cellules.diagnostic.activite_recente is True and cellules.diagnostic.frein_autre is None


@pytest.mark.parametrize("cle, valeur, morceau", [
    ("diag_frein_sante", "élevé", "codes admis : fort, moyen, sans_impact"),
    ("diag_frein_sante", "1", "codes admis : fort, moyen, sans_impact"),
    ("diag_activite_recente", "oui", "codes admis : 0, 1"),
])
def test_erreurs_en_francais_nomment_la_colonne(cle: str, valeur: str, morceau: str) -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.depuis_cnaf({**EXEMPLE_CNAF, cle: valeur})
    (erreur,) = exc.value.erreurs
    assert erreur.champ == cle and erreur.valeur == valeur and morceau in erreur.raison


def test_forme_lisible_refuse_un_niveau_inconnu() -> None:
    lisible = json.loads(Dossier.depuis_cnaf(EXEMPLE_CNAF).model_dump_json())
    with pytest.raises(DossierInvalide) as exc:
        Dossier.valider({**lisible, "diagnostic": {"frein_mobilite": "fort", "frein_inconnu": "fort"}})
    assert [e.champ for e in exc.value.erreurs] == ["diagnostic.frein_inconnu"]


def test_caracteristiques_du_modele_inchangees() -> None:
    """The demo model's manifest pins the feature schema: the diagnostic is not a model input."""
    assert not any(c.cle_cnaf and c.cle_cnaf.startswith("diag_") for c in car.SCHEMA)
    d0 = Dossier.depuis_cnaf(EXEMPLE_CNAF)
    d1 = Dossier.depuis_cnaf({**EXEMPLE_CNAF, **DIAG})
    assert (car.vectoriser([d0]) == car.vectoriser([d1])).all()
