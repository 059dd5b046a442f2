"""The built wheel works on its own: README example, ``orientation --help``, ``recommander``, from any folder.

The wheel is built (``pip wheel``), installed without its dependencies in a fresh virtualenv
whose only other packages are those of the interpreter running the tests (added by a ``.pth``
path; that interpreter's editable install of the project is not: its hook is not a plain path),
and run from an empty folder, so nothing can be read from the source tree.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[1]
EXEMPLE = "primo_demandeuse_sans_abri.json"


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(wheel, bin directory of the fresh virtualenv, empty working folder)."""
    base = tmp_path_factory.mktemp("paquet")
    # a clean copy: setuptools builds in the source folder and would reuse a stale build/ there
    source = base / "source"
    ignores = {".git", ".venv", "build", "dist", "__pycache__", ".hypothesis", "sortie"}
    shutil.copytree(RACINE, source, ignore=lambda d, noms: [
        n for n in noms if n in ignores or n.endswith(".egg-info") or (Path(d) == RACINE and n in ("tests", "notebooks"))])
    construit = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"),
                                str(source)], capture_output=True, text=True, cwd=base)
    assert construit.returncode == 0, construit.stderr
    (roue,) = (base / "dist").glob("orientation-*.whl")
    env = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    bin_env = env / ("Scripts" if os.name == "nt" else "bin")
    python = bin_env / "python"
    site_env = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    Path(site_env, "dependances_des_tests.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installe = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                               "--quiet", str(roue)], capture_output=True, text=True, cwd=base)
    assert installe.returncode == 0, installe.stderr
    ailleurs = base / "ailleurs"
    ailleurs.mkdir()
    return roue, bin_env, ailleurs


def _lancer(installation: tuple[Path, Path, Path], *commande: str) -> subprocess.CompletedProcess[str]:
    _, bin_env, ailleurs = installation
    environnement = {k: v for k, v in os.environ.items() if not k.startswith("ORIENTATION_") and k != "PYTHONPATH"}
    return subprocess.run([str(bin_env / commande[0]), *commande[1:]], capture_output=True, text=True, cwd=ailleurs,
                          env=environnement, timeout=120)


def test_la_roue_contient_modules_regles_modele_exemples_et_schemas(installation: tuple[Path, Path, Path]) -> None:
    noms = set(zipfile.ZipFile(installation[0]).namelist())
    modules = {f"orientation/{p.relative_to(RACINE / 'src' / 'orientation').as_posix()}"
               for p in (RACINE / "src" / "orientation").rglob("*.py")}
    assert modules <= noms, sorted(modules - noms)
    attendus = {"orientation/donnees/regles/national.yaml", "orientation/donnees/regles/departements/93.yaml",
                "orientation/donnees/regles/tests/national.yaml", "orientation/donnees/modeles/demo/manifeste.json",
                f"orientation/donnees/exemples/{EXEMPLE}", "orientation/schemas/decision.json",
                "orientation/explication/gabarits/carte.html.j2"}
    assert attendus <= noms, sorted(attendus - noms)
    for p in (RACINE / "models" / "demo").iterdir():
        assert f"orientation/donnees/modeles/demo/{p.name}" in noms


def test_exemple_python_du_readme_depuis_un_autre_dossier(installation: tuple[Path, Path, Path]) -> None:
    _, _, ailleurs = installation
    blocs = re.findall(r"```python\n(.*?)```", (RACINE / "README.md").read_text(encoding="utf-8"), flags=re.S)
    script = ailleurs / "exemple_readme.py"
    script.write_text("import orientation\nprint('PAQUET', orientation.__file__)\n" + "\n".join(blocs),
                      encoding="utf-8")
    r = _lancer(installation, "python", str(script))
    assert r.returncode == 0, r.stderr
    paquet = next(ligne for ligne in r.stdout.splitlines() if ligne.startswith("PAQUET"))
    assert str(RACINE) not in paquet and "site-packages" in paquet
    assert "rdv_obligatoire" in r.stdout and "R311-3-1-2" in r.stdout


def test_commandes_depuis_un_autre_dossier(installation: tuple[Path, Path, Path]) -> None:
    _, _, ailleurs = installation
    aide = _lancer(installation, "orientation", "--help")
    assert aide.returncode == 0 and "recommander" in aide.stdout
    exemple = ailleurs / EXEMPLE
    exemple.write_bytes((RACINE / "examples" / "dossiers" / EXEMPLE).read_bytes())
    r = _lancer(installation, "orientation", "recommander", EXEMPLE)
    assert r.returncode == 0, r.stderr
    assert '"modalite": "rdv_obligatoire"' in r.stdout and '"modele": null' in r.stdout
    recurrent = ailleurs / "recurrent.json"
    recurrent.write_bytes((RACINE / "examples" / "dossiers" / "recurrent_profil_emploi.json").read_bytes())
    e = _lancer(installation, "orientation", "expliquer", recurrent.name, "--modele", "demo")
    assert e.returncode == 0, e.stderr
    assert "SYNTHÉTIQUES" in "\n".join(e.stdout.splitlines()[:4])
    t = _lancer(installation, "orientation", "regles", "tester")
    assert t.returncode == 0, t.stdout + t.stderr


def test_migrations_et_cles_depuis_la_roue(installation: tuple[Path, Path, Path]) -> None:
    roue, _, ailleurs = installation
    noms = set(zipfile.ZipFile(roue).namelist())
    assert {"orientation/stockage/migrations/env.py", "orientation/stockage/migrations/script.py.mako",
            "orientation/stockage/migrations/versions/v0001_cles_api.py",
            "orientation/espace/gabarits/fiche.html", "orientation/espace/statique/espace.css",
            "orientation/espace/statique/espace.js"} <= noms
    base = f"sqlite:///{ailleurs / 'service.sqlite3'}"
    m = _lancer(installation, "orientation", "base", "migrer", "--base", base)
    from orientation.stockage.migrations import revision_la_plus_recente

    assert m.returncode == 0 and revision_la_plus_recente() in m.stdout, m.stderr
    c = _lancer(installation, "orientation", "cles", "creer", "--nom", "webrsa", "--departement", "93", "--base", base)
    assert c.returncode == 0 and c.stdout.strip().splitlines()[-1].startswith("orn_"), c.stderr
