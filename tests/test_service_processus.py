"""``orientation servir --processus 2``: a real uvicorn with two worker processes over one database.

What must hold whichever worker answers: the same decisions, a bulk job accepted by one and followed,
downloaded and listed through any of them, an API key revoked from the command line refused at once by
all, and a clean stop that leaves no worker behind.  Which worker answers a given connection is the
kernel's choice: no assertion depends on it.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.serveur import Serveur, commande, serveur_temporaire

EXEMPLES = Path(__file__).resolve().parents[1] / "examples"
PRIMO = json.loads((EXEMPLES / "dossiers" / "primo_demandeuse_sans_abri.json").read_text(encoding="utf-8"))
FLUX = EXEMPLES / "flux_exemple.csv"


def _travailleurs(serveur: Serveur, nombre: int, attente: float = 120.0) -> set[int]:
    """Process ids of the workers once ``nombre`` of them have completed their start (bounded wait)."""
    fin = time.monotonic() + attente
    while True:
        journal = serveur.journaux()
        demarres = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", journal)]
        if journal.count("Application startup complete.") >= nombre:
            return set(demarres)
        if serveur.processus.poll() is not None or time.monotonic() > fin:
            raise AssertionError(f"{nombre} processus attendus : {journal}")
        time.sleep(0.1)


def _vivant(pid: int) -> bool:
    """The process runs (a zombie, exited but not yet reaped, does not count)."""
    try:
        etat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return etat not in ("Z", "X")


def _requetes_separees(serveur: Serveur, cle: str, nombre: int) -> list[httpx.Response]:
    """``nombre`` requests, each on its own connection (no keep-alive), 8 at a time."""
    def une(_: int) -> httpx.Response:
        with httpx.Client(base_url=serveur.url, headers={"Authorization": f"Bearer {cle}"}, timeout=60,
                          limits=httpx.Limits(max_keepalive_connections=0)) as c:
            return c.post("/v1/recommandations", json=PRIMO)
    with ThreadPoolExecutor(8) as ex:
        return list(ex.map(une, range(nombre)))


@pytest.fixture(scope="module")
def serveur_2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serveur]:
    with serveur_temporaire("sqlite", tmp_path_factory.mktemp("processus"), "--processus", "2") as s:
        yield s


def test_deux_processus_memes_decisions_et_revocation_partout(serveur_2: Serveur) -> None:
    pids = _travailleurs(serveur_2, 2)
    assert len(pids) == 2 and serveur_2.processus.pid not in pids and all(_vivant(p) for p in pids)
    cle = serveur_2.cle("webrsa", "93")
    reponses = _requetes_separees(serveur_2, cle, 40)
    assert {r.status_code for r in reponses} == {200}
    assert len({r.text for r in reponses}) == 1  # same input, same versions: same decision from any worker
    assert reponses[0].json()["identifiant"] == PRIMO["identifiant"]
    prefixe = cle.split("_")[1]
    r = commande("cles", "revoquer", prefixe, "--base", serveur_2.base)
    assert r.returncode == 0, r.stderr
    apres = _requetes_separees(serveur_2, cle, 40)
    assert {x.status_code for x in apres} == {401}  # no worker keeps a cached, revoked key
    assert all(x.headers["content-type"].startswith("application/problem+json") for x in apres)
    assert PRIMO["identifiant"] not in serveur_2.journaux()


def test_lot_suivi_par_nimporte_quel_processus(serveur_2: Serveur) -> None:
    _travailleurs(serveur_2, 2)
    cle = serveur_2.cle("iodas", "93")
    entete = {"Authorization": f"Bearer {cle}"}
    with httpx.Client(base_url=serveur_2.url, headers=entete, timeout=60) as c:
        r = c.post("/v1/lots", params={"departement": "93", "format": "csv"}, content=FLUX.read_bytes())
        assert r.status_code == 202, r.text
        adresse = r.json()["adresse"]
    etat: dict[str, object] = {}
    for _ in range(600):  # every poll on a new connection: any worker may answer, all read the database
        with httpx.Client(base_url=serveur_2.url, headers=entete, timeout=60,
                          limits=httpx.Limits(max_keepalive_connections=0)) as c:
            etat = c.get(adresse).json()
        if etat["etat"] not in ("en_attente", "en_cours"):
            break
        time.sleep(0.1)
    assert etat["etat"] == "termine", etat
    assert etat["lignes_lues"] == etat["decidees"] + etat["rejetees"] == 2000  # type: ignore[operator]
    resultats = etat["resultats"]
    assert isinstance(resultats, dict)
    tailles = set()
    for _ in range(6):
        with httpx.Client(base_url=serveur_2.url, headers=entete, timeout=60,
                          limits=httpx.Limits(max_keepalive_connections=0)) as c:
            decisions = c.get(resultats["decisions"])
            assert decisions.status_code == 200
            tailles.add(len(decisions.content))
    assert len(tailles) == 1 and decisions.text.count("\n") == etat["decidees"] + 1  # type: ignore[operator]


def test_arret_propre_sans_processus_orphelin(tmp_path: Path) -> None:
    with serveur_temporaire("sqlite", tmp_path, "--processus", "2") as s:
        pids = _travailleurs(s, 2)
        assert len(pids) == 2
    assert s.processus.returncode is not None
    fin = time.monotonic() + 30
    while any(_vivant(p) for p in pids) and time.monotonic() < fin:
        time.sleep(0.1)  # the workers are the parent's children: reaped by it before it exits
    assert not any(_vivant(p) for p in pids), s.journaux()
