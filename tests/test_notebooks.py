"""The three French notebooks run top to bottom, on a labelled export written here and with their defaults.

Parameters are injected after the cell tagged ``parameters`` (as papermill does); each notebook
writes what it computed to the JSON file ``RESULTATS``, which these tests compare with the
library.  The notebooks' text is free: analysts may edit them without breaking these tests.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from orientation.analyse.audit import auditer
from orientation.analyse.contrat import lire_donnees_entrainement
from orientation.modele import synthetique as syn

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
N = 2000


@pytest.fixture(scope="module")
def noyau(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernel spec for THIS interpreter, so the notebooks run the code under test (not whatever
    a user-wide ``python3`` kernel points at)."""
    racine = tmp_path_factory.mktemp("jupyter")
    dossier = racine / "kernels" / "orientation-tests"
    dossier.mkdir(parents=True)
    (dossier / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "orientation (tests)", "language": "python"}))
    return racine


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small labelled export with one defect (a blank label on line 3)."""
    chemin = syn.ecrire_csv(tmp_path_factory.mktemp("export") / "export.csv", N, graine=11)
    with chemin.open(encoding="utf-8", newline="") as f:
        lignes = list(csv.reader(f))
    lignes[2][lignes[0].index("parcours_referent")] = ""
    with chemin.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(lignes)
    return chemin


def _executer(nom: str, monkeypatch, noyau: Path, tmp_path: Path, **parametres) -> tuple[nbformat.NotebookNode, dict]:
    monkeypatch.setenv("JUPYTER_PATH", str(noyau))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.delenv("ORIENTATION_MODELE", raising=False)
    nb = nbformat.read(NOTEBOOKS / nom, as_version=4)
    resultats = tmp_path / f"{nom}.json"
    parametres["RESULTATS"] = str(resultats)
    position = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injectee = new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parametres.items()))
    injectee.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(position + 1, injectee)
    NotebookClient(nb, timeout=300, kernel_name="orientation-tests",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for cellule in nb.cells:
        for sortie in cellule.get("outputs", []):
            if sortie.get("output_type") == "error":
                pytest.fail(f"erreur dans le carnet {nom} : {sortie.get('ename')}: {sortie.get('evalue')}")
    return nb, json.loads(resultats.read_text(encoding="utf-8"))


def _images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in s.get("data", {}) for c in nb.cells for s in c.get("outputs", []))


def test_cellule_de_parametres() -> None:
    for chemin in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(chemin, as_version=4)
        cellules = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cellules) == 1 and "EXPORT = None" in cellules[0].source, chemin.name


def test_exploration_sur_un_export(export, monkeypatch, noyau, tmp_path) -> None:
    nb, r = _executer("01_exploration_donnees.ipynb", monkeypatch, noyau, tmp_path, EXPORT=str(export))
    lues = lire_donnees_entrainement(export)
    assert (r["n"], r["lignes_lues"], r["lignes_rejetees"]) == (N - 1, N, 1) == (lues.preparees.n, N, 1)
    assert sum(r["parts_parcours"].values()) == pytest.approx(1.0)
    assert _images(nb) >= 2


def test_exploration_par_defaut(monkeypatch, noyau, tmp_path) -> None:
    nb, r = _executer("01_exploration_donnees.ipynb", monkeypatch, noyau, tmp_path, TAILLE=1500)
    assert r["n"] == 1500 and r["lignes_rejetees"] == 0
    texte = "\n".join(str(s.get("data", {}).get("text/plain", "")) + s.get("text", "")
                      for c in nb.cells for s in c.get("outputs", []))
    assert "Chiffre public" in texte and "SYNTHÉTIQUES" in texte


def test_entrainement_sur_un_export(export, monkeypatch, noyau, tmp_path) -> None:
    nb, r = _executer("02_entrainement_comparaison.ipynb", monkeypatch, noyau, tmp_path, EXPORT=str(export))
    for t in ("logistique", "foret"):
        assert r[t]["n_test"] == round((N - 1) * 0.2) and 0 <= r[t]["couverture"] <= 1
    assert _images(nb) >= 2


def test_audit_sur_un_export(export, monkeypatch, noyau, tmp_path) -> None:
    nb, r = _executer("03_audit_groupes.ipynb", monkeypatch, noyau, tmp_path, EXPORT=str(export))
    attendu = auditer(export, "93", modele="demo").figures["ensemble"]
    assert r["ensemble"]["n"] == attendu["n"] and r["ensemble"]["modalites"] == json.loads(
        json.dumps(attendu["modalites"]))
    assert r["ensemble"]["etiquetes"] == N - 1  # the blank label is not a label
    assert r["derive"]["niveau"] in ("stable", "modérée", "importante")
    assert r["sans_sexe_ni_nationalite_identiques"] is True
    assert _images(nb) >= 2
