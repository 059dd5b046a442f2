"""Foundation of the HTTP service: factory, problem+json errors, limits, access log, API keys and scope.

In-process (httpx over ASGI, via Starlette's TestClient) for the error paths, a real uvicorn process
for liveness, readiness, the logs and the command line.
"""

from __future__ import annotations

import json
import time
import logging
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi import Depends, Request
from fastapi.testclient import TestClient

from orientation.service import Parametres, creer_application
from orientation.service.authentification import cle_api, exiger_departement
from orientation.stockage import cles
from orientation.stockage.cles import CleVerifiee
from orientation.stockage.moteur import BaseInvalide, creer_moteur, fabrique_sessions
from tests.serveur import Serveur, commande, port_libre

PROBLEME = "application/problem+json"
SECRET = "NOM-TRES-PERSONNEL-1234"


def _probleme(r: Any, statut: int) -> dict[str, Any]:
    assert r.status_code == statut, r.text
    assert r.headers["content-type"].startswith(PROBLEME)
    corps = r.json()
    assert corps["status"] == statut and corps["type"].startswith("urn:orientation:probleme:")
    assert "Traceback" not in r.text and corps["title"] and corps["detail"]
    return corps


@pytest.fixture
def application(base_migree: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An application with two test routes (one protected by key and département), and keys."""
    moteur = creer_moteur(base_migree)
    with fabrique_sessions(moteur)() as s:
        _, k93 = cles.creer_cle(s, "webrsa", ["93"])
        _, k58 = cles.creer_cle(s, "nievre", ["58"])
        revoquee, krev = cles.creer_cle(s, "ancienne", ["93"])
        cles.revoquer_cle(s, revoquee.prefixe)
    moteur.dispose()
    app = creer_application(Parametres(base=base_migree, taille_max_requete=1000))

    @app.post("/essai/{departement}")
    async def essai(departement: str, cle: CleVerifiee = Depends(cle_api)) -> dict[str, str]:
        exiger_departement(cle, departement)
        return {"cle": cle.nom}

    @app.get("/panne")
    async def panne() -> None:
        raise RuntimeError(f"donnée personnelle {SECRET}")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {"93": k93, "58": k58, "revoquee": krev}
    app.state.service.moteur.dispose()


def test_fabrique_refuse_une_base_non_migree(url_base: str) -> None:
    with pytest.raises(BaseInvalide, match="jamais été préparée.*orientation base migrer"):
        creer_application(Parametres(base=url_base))


def test_cles_et_portee_departementale(application: tuple[TestClient, dict[str, str]]) -> None:
    client, k = application
    sans = _probleme(client.post("/essai/93"), 401)
    assert "Authorization: Bearer" in sans["detail"]
    assert client.post("/essai/93").headers["www-authenticate"].startswith("Bearer")
    _probleme(client.post("/essai/93", headers={"Authorization": "Bearer orn_faux"}), 401)
    _probleme(client.post("/essai/93", headers={"Authorization": f"Basic {k['93']}"}), 401)
    faux = k["93"][:-1] + ("A" if k["93"][-1] != "A" else "B")
    _probleme(client.post("/essai/93", headers={"Authorization": f"Bearer {faux}"}), 401)
    _probleme(client.post("/essai/93", headers={"Authorization": f"Bearer {k['revoquee']}"}), 401)
    ok = client.post("/essai/93", headers={"Authorization": f"Bearer {k['93']}"})
    assert ok.status_code == 200 and ok.json() == {"cle": "webrsa"}
    interdit = _probleme(client.post("/essai/58", headers={"Authorization": f"Bearer {k['93']}"}), 403)
    assert "« webrsa »" in interdit["detail"] and "93" in interdit["detail"] and "58" in interdit["detail"]
    assert client.post("/essai/58", headers={"Authorization": f"Bearer {k['58']}"}).status_code == 200


def test_revocation_immediate_dans_chaque_processus(base_migree: str) -> None:
    """A key revoked elsewhere (another engine: « orientation cles revoquer ») is refused at the very next request
    of every process of the service, with the default settings (no cache of verified keys)."""
    moteur = creer_moteur(base_migree)
    sessions = fabrique_sessions(moteur)
    with sessions() as s:
        ligne, cle = cles.creer_cle(s, "webrsa", ["93"])
    apps = [creer_application(Parametres(base=base_migree)) for _ in range(2)]  # two workers: two engines

    for app in apps:
        @app.get("/essai")
        async def essai(c: CleVerifiee = Depends(cle_api)) -> str:
            return c.nom

    entete = {"Authorization": f"Bearer {cle}"}
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        for _ in range(3):  # verified, and would be cached if there were a cache
            assert a.get("/essai", headers=entete).status_code == 200
            assert b.get("/essai", headers=entete).status_code == 200
        with sessions() as s:
            cles.revoquer_cle(s, ligne.prefixe)  # what the command does, without a process start in between
        for client in (a, b):
            _probleme(client.get("/essai", headers=entete), 401)
    for app in apps:
        app.state.service.moteur.dispose()
    moteur.dispose()


def test_erreurs_http_en_problem_json(application: tuple[TestClient, dict[str, str]]) -> None:
    client, k = application
    assert "aucune ressource" in _probleme(client.get("/nulle/part"), 404)["detail"]
    _probleme(client.get("/essai/93"), 405)
    panne = _probleme(client.get("/panne"), 500)
    assert SECRET not in json.dumps(panne) and "RuntimeError" in panne["detail"]


def test_limite_de_taille_413(application: tuple[TestClient, dict[str, str]]) -> None:
    client, k = application
    entete = {"Authorization": f"Bearer {k['93']}"}
    annonce = _probleme(client.post("/essai/93", content=b"x" * 1001, headers=entete), 413)
    assert "1\u202f000 octets" in annonce["detail"]

    def morceaux() -> Iterator[bytes]:  # no Content-Length: counted while read
        for _ in range(5):
            yield b"y" * 400


    app = client.app

    @app.post("/lecture")  # type: ignore[attr-defined]
    async def lecture(request: Request) -> int:
        return len(await request.body())

    _probleme(client.post("/lecture", content=morceaux()), 413)
    assert client.post("/lecture", content=b"z" * 999).json() == 999


def test_journal_une_ligne_json_par_requete_sans_donnees(application: tuple[TestClient, dict[str, str]],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    client, k = application
    with caplog.at_level(logging.INFO, logger="orientation.service"):
        client.post(f"/essai/93?identifiant={SECRET}", headers={"Authorization": f"Bearer {k['93']}"},
                    content=json.dumps({"identifiant": SECRET}))
        client.get("/panne")
        client.get(f"/{SECRET}")
    acces = [json.loads(r.getMessage()) for r in caplog.records if r.name == "orientation.service.acces"]
    assert [(a["methode"], a["chemin"], a["statut"], a["cle"]) for a in acces] == [
        ("POST", "/essai/{departement}", 200, "webrsa"), ("GET", "/panne", 500, None),
        ("GET", "(adresse inconnue)", 404, None)]
    assert all(isinstance(a["duree_ms"], float) and a["duree_ms"] >= 0 for a in acces)
    assert SECRET not in caplog.text  # neither the body, the query, the raw path nor the exception's text
    assert "RuntimeError" in caplog.text


# --------------------------------------------------------------------------- a real uvicorn process


def test_sante_pret_et_journaux_sur_un_vrai_serveur(serveur: Serveur) -> None:
    with serveur.client() as c:
        sante = c.get("/sante")
        assert sante.status_code == 200 and sante.json()["statut"] == "en service"
        pret = c.get("/pret").json()
        assert pret["pret"] is True and {"58", "69", "93"} <= set(pret["departements_charges"])
        assert pret["modele"] is None
        _probleme(c.get(f"/{SECRET}"), 404)
    vues: list[tuple[object, object, object]] = []
    for _ in range(100):  # the server writes its log lines after answering: wait (at most 5 s) for the last one
        lignes = [json.loads(x) for x in serveur.journaux().splitlines() if x.startswith("{")]
        vues = [(x.get("methode"), x.get("chemin"), x.get("statut")) for x in lignes]
        if any(v[2] == 404 for v in vues):
            break
        time.sleep(0.05)
    assert ("GET", "/sante", 200) in vues and ("GET", "/pret", 200) in vues, vues[-5:]
    assert [v for v in vues if v[2] == 404], vues[-5:]  # the unknown path is logged, without its raw text
    assert SECRET not in serveur.journaux()


def test_servir_refuse_une_base_non_migree(tmp_path: Path) -> None:
    base = f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    r = commande("servir", "--port", str(port_libre()), "--base", base, cwd=tmp_path)
    assert r.returncode == 2 and "orientation base migrer" in r.stderr and "Traceback" not in r.stderr
