"""``/v1/lots`` on a real uvicorn process (SQLite and PostgreSQL): upload, background run, progress, downloads, scope."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from orientation.service import Parametres, creer_application
from orientation.stockage import cles
from orientation.stockage.migrations import migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from tests.serveur import Serveur

FLUX = Path(__file__).resolve().parents[1] / "examples" / "flux_exemple.csv"


def _attendre_fin(c: httpx.Client, adresse: str, essais: int = 600) -> dict[str, Any]:
    """Poll the job until it leaves the active states (bounded number of polls)."""
    for _ in range(essais):
        etat = c.get(adresse).json()
        assert 0.0 <= (etat["progression"] if etat["progression"] is not None else 0.0) <= 1.0
        if etat["etat"] not in ("en_attente", "en_cours"):
            return etat
        time.sleep(0.1)
    raise AssertionError(f"lot toujours actif : {etat}")


def test_lot_televerse_traite_et_telecharge(serveur_base: Serveur) -> None:
    k93, k58 = serveur_base.cle("webrsa", "93"), serveur_base.cle("nievre", "58")
    with serveur_base.client(k93) as c:
        r = c.post("/v1/lots", params={"departement": "93", "format": "csv", "explications": "true"},
                   content=FLUX.read_bytes())
        assert r.status_code == 202, r.text
        adresse = r.json()["adresse"]
        assert r.headers["location"] == adresse
        etat = _attendre_fin(c, adresse)
        assert etat["etat"] == "termine", etat
        assert etat["lignes_lues"] == etat["decidees"] + etat["rejetees"] == 2000
        assert etat["progression"] == 1.0 and etat["lignes_estimees"] == 2000
        assert set(etat["resultats"]) == {"decisions", "rejets", "explications", "catalogue", "manifeste"}
        decisions = list(csv.DictReader(io.StringIO(c.get(etat["resultats"]["decisions"]).text)))
        assert len(decisions) == etat["decidees"]
        manifeste = c.get(etat["resultats"]["manifeste"]).json()
        assert manifeste["etat"] == "complet" and manifeste["decidees"] == etat["decidees"]
        lignes = c.get(etat["resultats"]["explications"]).text.splitlines()
        assert len(lignes) == etat["decidees"] and json.loads(lignes[0])["ligne"] == 2
        # another département's key sees nothing of it, nor another key of the same département
        with serveur_base.client(k58) as autre, serveur_base.client(serveur_base.cle("rdv", "93")) as voisin:
            for c2 in (autre, voisin):
                assert c2.get(adresse).status_code == 404
                assert c2.get(etat["resultats"]["decisions"]).status_code == 404
            assert autre.post("/v1/lots", params={"departement": "93", "format": "csv"},
                              content=FLUX.read_bytes()).status_code == 403
        # a flux refused as a whole: state « refuse » and the French reason
        r = c.post("/v1/lots", params={"departement": "93", "format": "csv"}, content=b"pas,un,flux\n1,2,3\n")
        refuse = _attendre_fin(c, r.json()["adresse"])
        assert refuse["etat"] == "refuse" and "colonne" in refuse["message"] and refuse["resultats"] == {}
        assert c.get(f"{r.json()['adresse']}/decisions").status_code == 404
        assert c.get("/v1/lots/" + "0" * 32).status_code == 404
    assert "SYN-93" not in serveur_base.journaux()


def test_limites_des_lots(tmp_path: Path) -> None:
    base = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    moteur = creer_moteur(base)
    migrer(moteur)
    with fabrique_sessions(moteur)() as s:
        cle = cles.creer_cle(s, "webrsa", ["93"])[1]
    moteur.dispose()
    app = creer_application(Parametres(base=base, lots_max_en_cours=0, taille_max_lot=1000,
                                       dossier_lots=str(tmp_path / "lots")))
    with TestClient(app, raise_server_exceptions=False) as client:
        h = {"Authorization": f"Bearer {cle}"}
        plein = client.post("/v1/lots?departement=93&format=csv", content=b"a\n", headers=h)
        assert plein.status_code == 429 and plein.headers["retry-after"] == "30"
        gros = client.post("/v1/lots?departement=93&format=csv", content=b"x" * 1001, headers=h)
        assert gros.status_code == 413
        assert client.post("/v1/lots?departement=93&format=xls", content=b"a", headers=h).status_code == 422
    assert not (tmp_path / "lots").exists() or not any((tmp_path / "lots").iterdir())
    app.state.service.moteur.dispose()


@pytest.mark.parametrize("format_flux", ["jsonl", "parquet"])
def test_autres_formats(serveur: Serveur, format_flux: str) -> None:
    with serveur.client(serveur.cle("webrsa", "93")) as c:
        fichier = FLUX.with_suffix(f".{format_flux}")
        r = c.post("/v1/lots", params={"departement": "93", "format": format_flux}, content=fichier.read_bytes())
        etat = _attendre_fin(c, r.json()["adresse"])
        if format_flux == "parquet":
            import pyarrow.parquet as pq

            attendues = pq.ParquetFile(fichier).metadata.num_rows
        else:
            attendues = sum(1 for x in fichier.read_bytes().splitlines() if x.strip())
        assert etat["etat"] == "termine" and etat["lignes_lues"] == attendues > 0, etat


def test_erreur_inattendue_d_un_lot_le_ferme_en_echec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error in the job's thread (swallowed by the pool) used to leave it « en_cours » for ever,
    counting against the limit of active jobs: it is closed as « echec » with a French message."""
    from orientation.service import lots as service_lots
    from orientation.stockage import lots as table

    base = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    moteur = creer_moteur(base)
    migrer(moteur)
    sessions = fabrique_sessions(moteur)
    with sessions() as s:
        cle = cles.creer_cle(s, "webrsa", ["93"])[0]
        table.creer_lot(s, table.Lot(id="c" * 32, departement="93", origine="api", cle_id=cle.id, format="csv",
                                     explications=False, octets=10))
    app = creer_application(Parametres(base=base, dossier_lots=str(tmp_path / "lots")))
    (tmp_path / "lots" / ("c" * 32)).mkdir(parents=True)
    (tmp_path / "lots" / ("c" * 32) / "entree.csv").write_bytes(FLUX.read_bytes())

    def panne(*a: Any, **k: Any) -> None:
        raise ValueError("argument inattendu")

    monkeypatch.setattr(service_lots.subprocess, "Popen", panne)
    service_lots.Executeur(app.state.service)._executer_sans_faute("c" * 32)  # what the pool's thread runs
    with sessions() as s:
        lot = table.lire_lot(s, "c" * 32)
        assert lot.etat == "echec" and "erreur interne inattendue du service (ValueError)" in lot.message
        assert lot.fin_le is not None and table.actifs(s) == 0
    app.state.service.moteur.dispose()
    moteur.dispose()
