"""The JSON contract: committed schemas are up to date and versioned, and real outputs validate against them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from orientation import Dossier, DossierInvalide, explain, recommend, schemas
from orientation.cli import main
from orientation.dossier.schema import EXEMPLE_CNAF

from .strategies import dossiers
from .test_decision import RECURRENT

RACINE = Path(__file__).resolve().parents[1]
EXEMPLES = sorted((RACINE / "examples" / "dossiers").glob("*.json"))
PUBLIES = schemas.publies()
VALIDEURS = {nom: jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())
             for nom, s in PUBLIES.items()}


def valider_document(nom: str, document: object) -> None:
    """Assert that ``document`` is valid against the committed schema ``nom``."""
    erreurs = sorted(VALIDEURS[nom].iter_errors(document), key=str)
    assert not erreurs, f"{nom} : " + "; ".join(f"{list(e.absolute_path)} {e.message}" for e in erreurs[:5])


def test_schemas_publies_a_jour_et_versionnes() -> None:
    generes = schemas.generer()
    assert set(PUBLIES) == set(generes) == set(schemas.VERSIONS)
    empreintes = schemas.empreintes_publiees()
    for nom, schema in generes.items():
        jsonschema.Draft202012Validator.check_schema(PUBLIES[nom])
        assert PUBLIES[nom]["schema_version"] == schemas.VERSIONS[nom] and PUBLIES[nom]["$id"].endswith(
            f":{nom}:{schemas.VERSIONS[nom]}")
        # a contract change must change the version: the recorded fingerprint of this version must still hold
        assert empreintes[nom][schemas.VERSIONS[nom]] == schemas.empreinte(schema), (
            f"schéma « {nom} » modifié sans changement de version")
        assert PUBLIES[nom] == schema, f"schéma « {nom} » à régénérer : orientation schemas --ecrire src/orientation/schemas"


def test_ecrire_refuse_un_contrat_modifie_sans_nouvelle_version(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["schemas", "--ecrire", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == {f"{n}.json" for n in schemas.VERSIONS} | {"empreintes.json"}
    original = schemas.generer

    def modifie() -> dict:
        out = original()
        out["decision"] = {**out["decision"], "description": "changé"}
        return out

    monkeypatch.setattr(schemas, "generer", modifie)
    with pytest.raises(ValueError, match="« decision » modifié sans changement de version"):
        schemas.ecrire(tmp_path)
    assert main(["schemas", "--ecrire", str(tmp_path)]) == 2
    publiee = schemas.VERSIONS["decision"]
    monkeypatch.setitem(schemas.VERSIONS, "decision", "2.0")
    schemas.ecrire(tmp_path)  # a new version is accepted and recorded next to the old one
    assert set(json.loads((tmp_path / "empreintes.json").read_text())["decision"]) == {publiee, "2.0"}


@pytest.mark.parametrize("chemin", EXEMPLES, ids=lambda p: p.stem)
def test_exemples_dossier_decision_explication_valides(chemin: Path) -> None:
    brut = json.loads(chemin.read_text(encoding="utf-8"))
    cnaf = "dtdemrsa" in brut
    valider_document("dossier_cnaf" if cnaf else "dossier", brut)
    dossier = Dossier.depuis_cnaf(brut) if cnaf else Dossier.valider(brut)
    valider_document("dossier_cnaf", dossier.vers_cnaf())
    valider_document("dossier", dossier.model_dump(mode="json"))
    for modele in (False, "demo"):
        valider_document("decision", recommend(dossier, modele=modele).en_dict())
        e = explain(dossier, modele=modele)
        valider_document("explication", json.loads(e.json()))
        assert e.en_dict() == json.loads(e.json())


def test_sorties_json_de_la_ligne_de_commande_valides(capsys: pytest.CaptureFixture[str]) -> None:
    chemin = str(RACINE / "examples" / "dossiers" / "recurrent_profil_emploi.json")
    assert main(["recommander", chemin, "--modele", "demo"]) == 0
    valider_document("decision", json.loads(capsys.readouterr().out))
    assert main(["expliquer", chemin, "--format", "json", "--modele", "demo"]) == 0
    e = json.loads(capsys.readouterr().out)
    valider_document("explication", e)
    assert e["modele"] is not None and e["contrefactuels"]  # the richest shape is covered


def test_rejets_valides() -> None:
    for mauvais in ({**EXEMPLE_CNAF, "natlog": "0999", "dtnai": "1987-02-30"}, {"identifiant": "X"}):
        with pytest.raises(DossierInvalide) as exc:
            Dossier.depuis_cnaf(mauvais) if "dtdemrsa" in mauvais else Dossier.valider(mauvais)
        rejet = schemas.Rejet.depuis_erreur(exc.value)
        assert len(rejet.erreurs) == len(exc.value.erreurs) >= 1
        valider_document("rejet", rejet.model_dump(mode="json"))


def test_un_document_hors_contrat_est_refuse_par_les_schemas() -> None:
    d = recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF)).en_dict()
    for casse in ({**d, "modalite": "peut_etre"}, {**d, "scenario": "4"}, {k: v for k, v in d.items() if k != "delais"}):
        assert not VALIDEURS["decision"].is_valid(casse)
    assert not VALIDEURS["dossier_cnaf"].is_valid({**EXEMPLE_CNAF, "natlog": "0999"})
    assert not VALIDEURS["dossier"].is_valid({"identifiant": "X"})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(dossiers())
def test_propriete_sorties_conformes_au_contrat(dossier: Dossier) -> None:
    valider_document("dossier", dossier.model_dump(mode="json"))
    valider_document("dossier_cnaf", dossier.vers_cnaf())
    valider_document("decision", recommend(dossier, modele="demo").en_dict())
    valider_document("explication", explain(dossier, modele="demo").en_dict())


def test_scenario_un_seul_type() -> None:
    e = explain(Dossier.depuis_cnaf(RECURRENT), modele="demo").en_dict()
    assert e["scenario"] == e["decision"]["scenario"] == 4 and isinstance(e["libelle_scenario"], str)
