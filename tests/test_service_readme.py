"""The README's curl session runs as written against a real ``orientation servir`` (the calling system's view)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.serveur import Serveur

RACINE = Path(__file__).resolve().parents[1]


def test_session_curl_du_readme(serveur: Serveur, tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl absent de cette machine")
    bloc = next(b for b in re.findall(r"```sh\n(.*?)```", (RACINE / "README.md").read_text(encoding="utf-8"), re.S)
                if b.startswith("SERVICE="))
    cle = serveur.cle("webrsa", "93")
    script = re.sub(r"^SERVICE=.*$", f"SERVICE={serveur.url}", bloc, count=1, flags=re.M)
    script = re.sub(r"^CLE=.*$", f"CLE={cle}", script, count=1, flags=re.M)
    (tmp_path / "examples").symlink_to(RACINE / "examples")
    r = subprocess.run(["timeout", "300", "bash", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert '"modalite":"rdv_obligatoire"' in r.stdout and "# " in r.stdout  # decision, then markdown explanation
    assert '"catalogue"' in (tmp_path / "referentiel_93.json").read_text(encoding="utf-8")
    decisions = (tmp_path / "decisions_lot.csv").read_text(encoding="utf-8").splitlines()
    assert decisions[0].startswith('"identifiant"') and len(decisions) > 1900
