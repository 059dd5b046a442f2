"""Bundled example dossiers (cover every rule) and the French command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orientation import Dossier, recommend
from orientation.cli import _lire_dossier, main
from orientation.regles.referentiel import Referentiel

RACINE = Path(__file__).resolve().parents[1]
EXEMPLES = sorted((RACINE / "examples" / "dossiers").glob("*.json"))


def test_exemples_valides_et_couvrant_chaque_regle() -> None:
    assert len(EXEMPLES) >= 10
    declenchees: dict[str, set[str]] = {}
    for chemin in EXEMPLES:
        dossier = _lire_dossier(str(chemin))
        assert isinstance(dossier, Dossier)
        decision = recommend(dossier)
        declenchees.setdefault(dossier.departement, set()).update(decision.regles_declenchees)
    toutes = set().union(*declenchees.values())
    for dep in ("93", "58", "69"):
        ref = Referentiel.charger(dep)
        for regle in ref.regles:  # rules (not grid lines): each must fire in some example
            assert regle.id in toutes, f"aucun exemple ne déclenche la règle {regle.id} ({dep})"
        assert declenchees.get(dep), f"aucun exemple pour le département {dep}"


def test_cli_recommander_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommander", str(RACINE / "examples/dossiers/primo_demandeuse_sans_abri.json")]) == 0
    sortie = json.loads(capsys.readouterr().out)
    assert sortie["modalite"] == "rdv_obligatoire"
    assert "primo_demandeur" in sortie["regles_declenchees"]


@pytest.mark.parametrize("fmt", ["texte", "markdown", "html", "json"])
def test_cli_expliquer_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    chemin = str(RACINE / "examples/dossiers/recurrent_profil_emploi.json")
    assert main(["expliquer", chemin, "--format", fmt, "--modele", "demo"]) == 0
    court = capsys.readouterr().out
    assert main(["expliquer", chemin, "--format", fmt, "--modele", "demo", "--detail", "complet"]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["decision"]["modalite"] == "orientation_directe" and out == court
    else:
        assert "À faire" in court and "Orientation directe" in court
        assert "--detail complet" in court and "Opérations effectuées" not in court
        assert "article R311-3-1-2 du CRPA" in out and "Opérations effectuées" in out
        assert ("## " in out) == (fmt == "markdown") and ("<h2" in out) == (fmt == "html")


def test_cli_sans_modele(capsys: pytest.CaptureFixture[str]) -> None:
    chemin = str(RACINE / "examples/dossiers/recurrent_profil_emploi.json")
    assert main(["recommander", chemin, "--sans-modele"]) == 0
    assert json.loads(capsys.readouterr().out)["modalite"] == "examen_individuel"


def test_cli_dossier_invalide_message_clair(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mauvais = json.loads((RACINE / "examples/dossiers/primo_demandeuse_sans_abri.json").read_text())
    mauvais["natlog"] = "0999"
    f = tmp_path / "mauvais.json"
    f.write_text(json.dumps(mauvais))
    assert main(["recommander", str(f)]) == 2
    err = capsys.readouterr().err
    assert "natlog" in err and "'0999'" in err and "code inconnu" in err
    f.write_text("{pas du json")
    assert main(["expliquer", str(f)]) == 2
    assert "JSON mal formé" in capsys.readouterr().err
    assert main(["recommander", str(tmp_path / "absent.json")]) == 2
    assert "introuvable" in capsys.readouterr().err


def test_cli_regles_verifier_et_tester(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regles", "verifier", str(RACINE / "rules")]) == 0
    out = capsys.readouterr().out
    assert "93" in out
    assert main(["regles", "tester"]) == 0
    assert "réussi" in capsys.readouterr().out.lower()


def test_cli_regles_verifier_erreur(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "national.yaml").write_text(
        "portee: national\nregles:\n  - id: r1\n    titre: T\n    description: D\n    reference: R\n"
        "    si: {champ: dsp.logement, egal: chateau}\n    alors: {modalite: rdv_obligatoire}\n", encoding="utf-8")
    assert main(["regles", "verifier", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "national.yaml" in err and "r1" in err and "chateau" in err
