"""Retention of the jobs' folders inside a long-running service: a periodic task, guarded by the database.

No test sleeps: the loop's wait and clock are injected, the tick is called directly.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orientation.erreurs import ConfigurationInvalide
from orientation.service import Parametres, creer_application
from orientation.service import lots as service_lots
from orientation.service.lots import conserver_periodiquement, expirer_lots
from orientation.service.parametres import intervalle_purge_lots
from orientation.stockage import lots as table
from orientation.stockage.base import maintenant
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from tests.test_service_lots_conservation import _lot, contexte  # noqa: F401 - fixture


def test_boucle_periodique_expire_sans_redemarrage(contexte: tuple[Any, int, str, Path]) -> None:  # noqa: F811
    """A job that passes the retention while the service runs is expired at the next tick."""
    sessions, cle_id, _, lots = contexte
    identifiant = _lot(sessions, lots, cle_id, "termine", 6)  # retention 7 days: not yet
    t0 = maintenant()
    heures = iter([RuntimeError("base injoignable"), t0, t0 + timedelta(days=2)])
    vus: list[tuple[float, str]] = []

    def horloge() -> Any:
        h = next(heures)
        if isinstance(h, Exception):
            raise h
        return h

    async def attendre(secondes: float) -> None:
        with sessions() as s:
            vus.append((secondes, table.lire_lot(s, identifiant).etat))
        if len(vus) == 4:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(conserver_periodiquement(sessions, lots, 7, 1800.0, attendre=attendre, horloge=horloge))
    # waits first; a failed tick (database unreachable) does not stop the loop; expired at the third tick
    assert vus == [(1800.0, "termine"), (1800.0, "termine"), (1800.0, "termine"), (1800.0, "expire")]
    assert not (lots / identifiant).exists()


def test_la_tache_vit_avec_le_service(contexte: tuple[Any, int, str, Path], base_migree: str) -> None:  # noqa: F811
    sessions, cle_id, _, lots = contexte
    app = creer_application(Parametres(base=base_migree, dossier_lots=str(lots), lots_conservation_jours=7,
                                       lots_purge_intervalle=3600))
    with TestClient(app):
        tache = app.state.service.extensions["conservation"]
        assert isinstance(tache, asyncio.Task) and not tache.done()
        identifiant = _lot(sessions, lots, cle_id, "termine", 8)  # old enough, created after the start
        assert app.state.service.extensions["conservation_tick"]() == 1  # what the task runs every hour
        with sessions() as s:
            assert table.lire_lot(s, identifiant).etat == "expire"
    assert tache.cancelled() or tache.done()
    app.state.service.moteur.dispose()


def test_deux_processus_ne_traitent_jamais_le_meme_lot(contexte: tuple[Any, int, str, Path], base_migree: str,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes (two engines) expiring at once: each job claimed in the database by one of them only."""
    sessions, cle_id, _, lots = contexte
    ids = {_lot(sessions, lots, cle_id, "termine", 40) for _ in range(12)}
    supprimes: list[str] = []
    vrai_rmtree = service_lots.shutil.rmtree
    depart = threading.Barrier(2)

    def rmtree(chemin: Any, *a: Any, **k: Any) -> None:
        supprimes.append(Path(chemin).name)
        vrai_rmtree(chemin, *a, **k)

    monkeypatch.setattr(service_lots.shutil, "rmtree", rmtree)
    moteurs = [creer_moteur(base_migree) for _ in range(2)]
    comptes: list[int] = []

    def processus(moteur: Any) -> None:
        depart.wait()
        comptes.append(expirer_lots(fabrique_sessions(moteur), lots, 30, rattraper=False))  # as the periodic task

    fils = [threading.Thread(target=processus, args=(m,)) for m in moteurs]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    for m in moteurs:
        m.dispose()
    assert sum(comptes) == 12 and sorted(supprimes) == sorted(ids)  # each folder removed once, by its claimer
    with sessions() as s:
        assert {table.lire_lot(s, i).etat for i in ids} == {"expire"}
    assert not any((lots / i).exists() for i in ids)


def test_dossier_reste_apres_une_panne_rattrape(contexte: tuple[Any, int, str, Path],  # noqa: F811
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Claimed then not removed (a disk error, or a crash): downloads already answer 410; removed at the next start."""
    sessions, cle_id, _, lots = contexte
    identifiant = _lot(sessions, lots, cle_id, "termine", 40)

    def panne(chemin: Any, *a: Any, **k: Any) -> None:
        raise PermissionError(13, "refusé", str(chemin))

    with monkeypatch.context() as m:
        m.setattr(service_lots.shutil, "rmtree", panne)
        assert expirer_lots(sessions, lots, 30, rattraper=False) == 1
    with sessions() as s:
        assert table.lire_lot(s, identifiant).etat == "expire"
    assert (lots / identifiant).exists()
    assert expirer_lots(sessions, lots, 30, rattraper=False) == 0 and (lots / identifiant).exists()  # periodic
    assert expirer_lots(sessions, lots, 30) == 0  # start of the service, orientation purger
    assert not (lots / identifiant).exists()
    (lots / "pas-un-lot").mkdir()  # a folder that is no job is never touched
    (lots / ("0" * 32)).mkdir()  # nor a folder named like a job the database does not know (an upload)
    expirer_lots(sessions, lots, 30)
    assert (lots / "pas-un-lot").is_dir() and (lots / ("0" * 32)).is_dir()


def test_intervalle_lu_de_l_environnement() -> None:
    assert intervalle_purge_lots({}) == 3600
    assert intervalle_purge_lots({"ORIENTATION_LOTS_PURGE_INTERVALLE": " 60 "}) == 60
    for faux in ("0", "-5", "1h", "1.5"):
        with pytest.raises(ConfigurationInvalide, match="ORIENTATION_LOTS_PURGE_INTERVALLE"):
            intervalle_purge_lots({"ORIENTATION_LOTS_PURGE_INTERVALLE": faux})
    p = Parametres(lots_purge_intervalle=120)
    assert Parametres.depuis_environnement(p.vers_environnement()).lots_purge_intervalle == 120
