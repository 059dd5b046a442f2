"""The README's examples run: its Python blocks execute and its YAML rules validate."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orientation.regles.referentiel import verifier

RACINE = Path(__file__).resolve().parents[1]
README = (RACINE / "README.md").read_text(encoding="utf-8")


def _blocs(langage: str) -> list[str]:
    return re.findall(rf"```{langage}\n(.*?)```", README, flags=re.S)


def test_blocs_python_du_readme_s_executent(capsys) -> None:  # type: ignore[no-untyped-def]
    blocs = _blocs("python")
    assert blocs
    for bloc in blocs:
        exec(compile(bloc, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "rdv_obligatoire" in out and "R311-3-1-2" in out


def test_exemples_yaml_du_readme_valides(tmp_path: Path) -> None:
    blocs = [yaml.safe_load(b) for b in _blocs("yaml")]
    regles = next(b for b in blocs if "regles" in b)["regles"]
    grilles = next(b for b in blocs if "grilles" in b)["grilles"]
    (tmp_path / "national.yaml").write_text((RACINE / "rules" / "national.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    (tmp_path / "departements").mkdir()
    doc = {"portee": "departement", "departement": "93", "scenario": 4, "regles": regles, "grilles": grilles}
    (tmp_path / "departements" / "93.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    lignes = verifier(tmp_path)
    assert lignes and all(x.startswith("OK") for x in lignes), lignes
