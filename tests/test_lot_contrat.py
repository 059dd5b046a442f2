"""Bulk outputs and their contract: compact lines, catalogue, synthetic-model flag, subset of explain()."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest

from orientation import schemas
from orientation.configuration import SANS_MODELE
from orientation.flux import lot
from orientation.flux.catalogue import avertissement_modele, catalogue, chemin_catalogue
from orientation.flux.contrat import NB_CONTRIBUTIONS
from orientation.flux.decisions import COLONNES_DECISIONS, Contexte
from orientation.modele.synthetique import generer_table

from .test_lot import DEMO, MODELE, REFERENTIELS
from .test_schemas import valider_document

RACINE = Path(__file__).resolve().parents[1]
FLUX = {fmt: RACINE / "examples" / f"flux_exemple.{fmt}" for fmt in ("csv", "jsonl", "parquet")}


def _lire_csv(chemin: Path) -> list[dict[str, str]]:
    with chemin.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _executer(tmp_path: Path, flux: Path, modele: Any) -> tuple[lot.Rapport, list[dict[str, str]], list[dict[str, Any]],
                                                                   dict[str, Any]]:
    expl = tmp_path / "explications.jsonl"
    rapport = lot.traiter_fichier(flux, "93", tmp_path / "decisions.csv", explications=expl, modele=modele,
                                  progression=False)
    decisions = _lire_csv(tmp_path / "decisions.csv")
    lignes = [json.loads(x) for x in expl.read_text(encoding="utf-8").splitlines()]
    cat = json.loads(chemin_catalogue(expl).read_text(encoding="utf-8"))
    return rapport, decisions, lignes, cat


def _verifier_renvois(lignes: list[dict[str, Any]], cat: dict[str, Any]) -> None:
    """Every id a line carries is in the catalogue, with as many conditions, and code values have a label."""
    for ligne in lignes:
        for r in ligne["regles_declenchees"]:
            regle = cat["regles"][r["id"]]
            assert len(r["conditions"]) == len(regle["conditions"]), r["id"]
            for c, attendue in zip(r["conditions"], regle["conditions"]):
                champ = cat["champs"][attendue["champ"]]
                if champ["genre"] in ("code", "codes") and c["valeur"] is not None:
                    valeurs = c["valeur"] if isinstance(c["valeur"], list) else [c["valeur"]]
                    assert set(valeurs) <= set(champ["codes"]), (attendue["champ"], c["valeur"])
        if ligne["proposition_grille"] is not None:
            grille = ligne["proposition_grille"]["id"]
            assert cat["regles"][grille]["groupe"] is not None
            assert grille in {r["id"] for r in ligne["regles_declenchees"]}
        m = ligne["modele"]
        if m is not None and m["contributions"] is not None:
            assert 1 <= len(m["contributions"]) <= NB_CONTRIBUTIONS
            assert {c["champ"] for c in m["contributions"]} <= set(cat["modele"]["groupes"])


@pytest.mark.parametrize("fmt", list(FLUX))
def test_flux_exemple_lignes_et_catalogue_conformes(fmt: str, tmp_path: Path) -> None:
    rapport, decisions, lignes, cat = _executer(tmp_path, FLUX[fmt], DEMO)
    assert rapport.decides == len(decisions) == len(lignes) > 100
    valider_document("catalogue_lot", cat)
    for ligne in lignes:
        valider_document("explication_lot", ligne)
    _verifier_renvois(lignes, cat)
    assert cat["version_schema"] == schemas.VERSIONS["catalogue_lot"]
    assert cat["version_schema_ligne"] == schemas.VERSIONS["explication_lot"]
    assert cat["versions"]["modele"] == decisions[0]["version_modele"] and cat["modele"]["sha256"] == MODELE.sha256
    # the synthetic model is said in every output
    assert list(decisions[0]) == list(COLONNES_DECISIONS)
    assert {d["modele_synthetique"] for d in decisions} == {"1"}
    assert cat["modele"]["synthetique"] is True and "SYNTHÉTIQUES" in cat["avertissements"][0]
    assert rapport.resume().splitlines()[0] == cat["avertissements"][0]
    # probabilite_modele is there exactly when the model was consulted, and is the line's probability
    consultes = 0
    for d, ligne in zip(decisions, lignes):
        assert (d["identifiant"], int(d["ligne"])) == (ligne["decision"]["identifiant"], ligne["ligne"])
        assert (d["probabilite_modele"] != "") == (ligne["modele"] is not None)
        if ligne["modele"] is not None:
            consultes += 1
            p = ligne["modele"]["probabilites"][ligne["modele"]["parcours"]]
            assert float(d["probabilite_modele"]) == pytest.approx(p, abs=1e-12)
            assert ligne["decision"]["probabilite_modele"] == pytest.approx(p, abs=1e-12)
            assert ligne["modele"]["decide"] == (d["origine_parcours"] == "modele")
    assert consultes > 0
    _verifier_indicatifs(decisions, lignes, cat)


def _verifier_indicatifs(decisions: list[dict[str, str]], lignes: list[dict[str, Any]], cat: dict[str, Any]) -> None:
    """decisions.csv's indicative route is the effect, in the catalogue, of the line's grid proposal, exactly
    when the route is decided at the appointment; the line itself repeats the decision's route columns."""
    indicatifs = 0
    for d, ligne in zip(decisions, lignes):
        for k in ("modalite", "parcours", "structure", "origine_parcours"):
            assert d[k] == (ligne["decision"][k] or ""), k
        g = ligne["proposition_grille"]
        if d["origine_parcours"] == "rendez_vous" and g is not None:
            effet = cat["regles"][g["id"]]["effet"]
            assert (d["parcours_indicatif"], d["structure_indicative"]) == (effet["parcours"], effet["structure"] or "")
            assert d["parcours"] == d["structure"] == ""
            indicatifs += 1
        else:
            assert d["parcours_indicatif"] == d["structure_indicative"] == ""
    assert indicatifs > 0
    assert cat["modele_non_consulte"] == "une règle fixe la modalité : le modèle n'est pas consulté"


def test_sans_modele_rien_de_synthetique(tmp_path: Path) -> None:
    rapport, decisions, lignes, cat = _executer(tmp_path, FLUX["csv"], False)
    valider_document("catalogue_lot", cat)
    assert cat["modele"] is None and cat["versions"]["modele"] is None
    assert cat["modele_non_consulte"] == SANS_MODELE
    assert not any("SYNTHÉTIQUES" in a for a in cat["avertissements"])
    assert "SYNTHÉTIQUES" not in rapport.resume()
    assert {d["modele_synthetique"] for d in decisions} == {""} and {d["probabilite_modele"] for d in decisions} == {""}
    assert all(x["modele"] is None and x["decision"]["probabilite_modele"] is None for x in lignes)


def test_modele_reel_signale_non_synthetique() -> None:
    reel = copy.copy(MODELE)
    reel.donnees_synthetiques = False
    table = generer_table(200, graine=4, departement="93").drop_columns(["parcours_referent"])
    res = lot.orienter_table(table, "93", REFERENTIELS["93"], reel, explications=True)
    assert set(res.decisions.column("modele_synthetique").to_pylist()) == {"0"}
    ctx = Contexte("93", REFERENTIELS["93"], reel, True)
    assert avertissement_modele(ctx) is None
    cat = catalogue(ctx).model_dump(mode="json")
    assert cat["modele"]["synthetique"] is False and cat["avertissements"] == []


@pytest.mark.parametrize("dep", ["93", "58", "69"])
def test_catalogue_de_chaque_departement(dep: str) -> None:
    ref = REFERENTIELS[dep]
    cat = catalogue(Contexte(dep, ref, MODELE, True)).model_dump(mode="json")
    valider_document("catalogue_lot", cat)
    assert set(cat["regles"]) == {r.id for r in ref.toutes_regles()}
    assert cat["scenario"] == ref.scenario
    attendu = ("une règle fixe la modalité : le modèle n'est pas consulté" if ref.scenario == 4
               else f"scénario {ref.scenario} : le modèle n'est consulté qu'en scénario 4")
    assert cat["modele_non_consulte"] == attendu
    for regle in cat["regles"].values():
        for c in regle["conditions"]:
            assert cat["champs"][c["champ"]]["libelle"] == c["libelle_champ"]


# --------------------------------------------------------------------------- the line is a subset of explain()


def _resoudre(schema: dict[str, Any], racine: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = racine["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


_ANNOTATIONS = {"title", "description", "additionalProperties", "required", "default"}


def _meme_type(ligne: dict[str, Any], expl: dict[str, Any], rl: dict[str, Any], re_: dict[str, Any],
               chemin: str) -> None:
    """The line's schema at ``chemin`` types values as the explanation's does (objects: a subset of its fields)."""
    ligne, expl = _resoudre(ligne, rl), _resoudre(expl, re_)
    if "anyOf" in ligne or "anyOf" in expl:
        a, b = ligne.get("anyOf", [ligne]), expl.get("anyOf", [expl])
        assert len(a) == len(b), chemin
        for x, y in zip(a, b):
            _meme_type(x, y, rl, re_, chemin)
        return
    if ligne.get("type") == "object" and "properties" in ligne:
        assert expl.get("type") == "object", chemin
        for nom, sous in ligne["properties"].items():
            assert nom in expl["properties"], f"{chemin}.{nom} absent de l'explication"
            _meme_type(sous, expl["properties"][nom], rl, re_, f"{chemin}.{nom}")
        return
    if ligne.get("type") == "array":
        assert expl.get("type") == "array", chemin
        _meme_type(ligne["items"], expl["items"], rl, re_, f"{chemin}[]")
        return
    cles = lambda s: {k: v for k, v in s.items() if k not in _ANNOTATIONS}  # noqa: E731
    if "propertyNames" in ligne:  # dict keyed by an enum: same keys and values
        assert _resoudre(ligne["propertyNames"], rl) == _resoudre(expl["propertyNames"], re_), chemin
        _meme_type(ligne["additionalProperties"], expl["additionalProperties"], rl, re_, chemin)
        return
    assert cles(ligne) == cles(expl), (chemin, ligne, expl)


def test_schema_de_la_ligne_sous_ensemble_de_l_explication() -> None:
    publies = schemas.publies()
    ligne, expl = publies["explication_lot"], publies["explication"]
    proprietes = dict(ligne["properties"])
    assert proprietes.pop("ligne")["type"] == "integer" and "ligne" not in expl["properties"]  # its own field
    # contributions: a list as in explain(), or null when they are not exact (forest): the one documented widening
    contributions = ligne["$defs"]["PropositionLot"]["properties"]["contributions"]
    assert contributions["anyOf"][1] == {"type": "null"}
    pl = copy.deepcopy(ligne)
    pl["$defs"]["PropositionLot"]["properties"]["contributions"] = contributions["anyOf"][0]
    _meme_type({"type": "object", "properties": proprietes}, expl, pl, expl, "ligne")
    # the check bites: a renamed field or a changed type is caught
    for nom, schema in (("confiance", {"type": "number"}), ("probabilite_modele", {"type": "string"})):
        casse = copy.deepcopy(pl)
        casse["$defs"]["DecisionLot"]["properties"][nom] = schema
        with pytest.raises(AssertionError):
            _meme_type({"type": "object", "properties": proprietes}, expl, casse, expl, "ligne")
