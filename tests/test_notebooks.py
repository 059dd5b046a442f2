"""The three French notebooks run top to bottom on small data and produce their tables and plots."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


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


def _executer(nom: str, monkeypatch, noyau: Path) -> nbformat.NotebookNode:
    monkeypatch.setenv("JUPYTER_PATH", str(noyau))
    monkeypatch.setenv("ORIENTATION_NB_TAILLE", "small")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.delenv("ORIENTATION_MODELE", raising=False)
    nb = nbformat.read(NOTEBOOKS / nom, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="orientation-tests", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def _textes(nb: nbformat.NotebookNode) -> str:
    morceaux = []
    for cellule in nb.cells:
        for sortie in cellule.get("outputs", []):
            if sortie.get("output_type") == "error":
                pytest.fail(f"erreur dans le carnet : {sortie.get('ename')}: {sortie.get('evalue')}")
            morceaux.append(sortie.get("text", ""))
            for cle in ("text/plain", "text/html"):
                morceaux.append(str(sortie.get("data", {}).get(cle, "")))
    return "\n".join(morceaux)


def _images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in s.get("data", {}) for c in nb.cells for s in c.get("outputs", []))


def test_sources_a_jour() -> None:
    """The committed notebooks are exactly what construire_notebooks.py writes (outputs cleared)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("construire", NOTEBOOKS / "construire_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for nom, fabrique in module.NOTEBOOKS.items():
        attendu = fabrique()
        present = nbformat.read(NOTEBOOKS / nom, as_version=4)
        assert [c.source for c in present.cells] == [c.source for c in attendu.cells], nom
        assert all(not c.get("outputs") for c in present.cells if c.cell_type == "code"), nom


def test_exploration(monkeypatch, noyau: Path) -> None:
    nb = _executer("01_exploration_donnees.ipynb", monkeypatch, noyau)
    texte = _textes(nb)
    for attendu in ("Chiffre public", "Familles monoparentales", "Femmes parmi les parents isolés",
                    "En mauvaise santé", "Désaccord entre référents", "non renseignées"):
        assert attendu in texte, attendu
    assert _images(nb) >= 3


def test_entrainement_comparaison(monkeypatch, noyau: Path) -> None:
    nb = _executer("02_entrainement_comparaison.ipynb", monkeypatch, noyau)
    texte = _textes(nb)
    for attendu in ("logistique", "foret", "accord sur décidés", "couverture", "ECE confiance après",
                    "contributions exactes", "APPROXIMATIVES", "Examen individuel"):
        assert attendu in texte, attendu
    assert _images(nb) >= 2


def test_audit_groupes(monkeypatch, noyau: Path) -> None:
    nb = _executer("03_audit_groupes.ipynb", monkeypatch, noyau)
    texte = _textes(nb)
    for attendu in ("femme", "homme", "personne seule", "parent isolé", "couple", "30 à 39 ans",
                    "rapport de couverture", "Propositions identiques sans sexe ni nationalité : True",
                    "données synthétiques"):
        assert attendu in texte, attendu
    assert _images(nb) >= 2
