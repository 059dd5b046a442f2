"""The jobs table since revision 0006 (SQLite and PostgreSQL): each job's origin in its own column (no reserved
fake key for the workspace's imports), and orphaned jobs found per job (heartbeat, owner process).

No test sleeps or depends on luck: clocks are injected, ticks called directly, the liveness of a process is
injected or taken from a process the test holds alive; a "dead" process id is one no system can give.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from orientation.service import Parametres, creer_application
from orientation.service.lots import Executeur, conserver_periodiquement
from orientation.stockage import lots as table
from orientation.stockage.base import HorodatageUTC, maintenant
from orientation.stockage.cles import creer_cle, lister_cles
from orientation.stockage.migrations import configuration, migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from tests.serveur import commande

MORT = (1 << 22) + 7  #: a process id no system gives (Linux's pid_max is at most 2**22): never alive
AUTRE_HOTE = "autre-machine/4026531836"


# --------------------------------------------------------------------------- revision 0006


def _tables() -> dict[str, sa.TableClause]:
    """The rows of revision 0005 as plain tables (the code is at 0006: its classes have more columns)."""
    t = HorodatageUTC()
    return {
        "cles": sa.table("cles_api", sa.column("id", sa.Integer()), sa.column("nom", sa.String()),
                         sa.column("prefixe", sa.String()), sa.column("empreinte", sa.String()),
                         sa.column("departements", sa.JSON()), sa.column("creee_le", t),
                         sa.column("revoquee_le", t)),
        "utilisateurs": sa.table("utilisateurs", sa.column("id", sa.Integer()), sa.column("courriel", sa.String()),
                                 sa.column("role", sa.String()), sa.column("departement", sa.String()),
                                 sa.column("empreinte_mot_de_passe", sa.String()),
                                 sa.column("habilite_validation", sa.Boolean()), sa.column("actif", sa.Boolean()),
                                 sa.column("cree_le", t)),
        "journal": sa.table("journal_acces", sa.column("le", t), sa.column("utilisateur_id", sa.Integer()),
                            sa.column("utilisateur", sa.String()), sa.column("action", sa.String()),
                            sa.column("departement", sa.String()), sa.column("detail", sa.String())),
        "lots": sa.table("lots", sa.column("id", sa.String()), sa.column("departement", sa.String()),
                         sa.column("cle_id", sa.Integer()), sa.column("etat", sa.String()),
                         sa.column("format", sa.String()), sa.column("explications", sa.Boolean()),
                         sa.column("octets", sa.BigInteger()), sa.column("cree_le", t), sa.column("debut_le", t),
                         sa.column("fin_le", t), sa.column("message", sa.Text())),
    }


def _peupler_0005(moteur: sa.Engine) -> dict[str, Any]:
    """A database at 0005 as the previous code left it: an API key and its job, the reserved key row and three
    workspace jobs (one uploaded by an account still there, one by an account since deleted, one still running)."""
    t = _tables()
    t0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
    api, fini, parti, actif = (uuid.uuid4().hex for _ in range(4))
    with moteur.begin() as c:
        c.execute(sa.insert(t["cles"]).values(nom="webrsa", prefixe="abcdefghij", empreinte="e" * 64,
                                              departements=["93"], creee_le=t0))
        c.execute(sa.insert(t["cles"]).values(nom="espace-referent", prefixe="espace-web", empreinte="",
                                              departements=[], creee_le=t0, revoquee_le=t0))
        cle_api = c.scalar(sa.select(t["cles"].c.id).where(t["cles"].c.prefixe == "abcdefghij"))
        reservee = c.scalar(sa.select(t["cles"].c.id).where(t["cles"].c.prefixe == "espace-web"))
        for courriel in ("admin@93.fr", "ancien@93.fr"):
            c.execute(sa.insert(t["utilisateurs"]).values(courriel=courriel, role="administrateur", departement="93",
                                                          empreinte_mot_de_passe="x", habilite_validation=False,
                                                          actif=True, cree_le=t0))
        ids = dict(c.execute(sa.select(t["utilisateurs"].c.courriel, t["utilisateurs"].c.id)).all())
        lignes = [(api, cle_api, "termine", t0), (fini, reservee, "termine", t0 + timedelta(minutes=1)),
                  (parti, reservee, "refuse", t0 + timedelta(minutes=2)), (actif, reservee, "en_cours",
                                                                           t0 + timedelta(minutes=3))]
        for identifiant, cle, etat, cree in lignes:
            c.execute(sa.insert(t["lots"]).values(id=identifiant, departement="93", cle_id=cle, etat=etat, format="csv",
                                                  explications=False, octets=10, cree_le=cree,
                                                  debut_le=cree + timedelta(seconds=1),
                                                  fin_le=None if etat == "en_cours" else cree + timedelta(seconds=5),
                                                  message="résumé"))
        # the journal lines the previous code wrote with each upload (and one of another job, before it)
        for identifiant, courriel, cree in ((fini, "admin@93.fr", lignes[1][3]), (parti, "ancien@93.fr", lignes[2][3]),
                                           (actif, "admin@93.fr", lignes[3][3])):
            c.execute(sa.insert(t["journal"]).values(le=cree + timedelta(milliseconds=3), utilisateur_id=ids[courriel],
                                                     utilisateur=courriel, action="import", departement="93",
                                                     detail=f"import {identifiant} téléversé (10 octets)"))
            c.execute(sa.insert(t["journal"]).values(le=cree + timedelta(seconds=9), utilisateur_id=ids["ancien@93.fr"],
                                                     utilisateur="ancien@93.fr", action="import", departement="93",
                                                     detail=f"import {identifiant} (termine) : 0 ajouté(s)"))
        c.execute(sa.text("DELETE FROM utilisateurs WHERE courriel = 'ancien@93.fr'"))  # its job stays
    return {"api": api, "fini": fini, "parti": parti, "actif": actif, "cle_api": cle_api, "reservee": reservee,
            "admin": ids["admin@93.fr"]}


def _descendre(moteur: sa.Engine, revision: str) -> None:
    cfg = configuration()
    with moteur.begin() as c:
        cfg.attributes["connexion"] = c
        command.downgrade(cfg, revision)


def test_migration_0006_origine_sans_cle_reservee_aller_retour(url_base: str) -> None:
    moteur = creer_moteur(url_base)
    assert migrer(moteur, "0005_suivis_accompagnement").actuelle == "0005_suivis_accompagnement"
    d = _peupler_0005(moteur)
    assert migrer(moteur).a_jour  # 0006, then the later revisions
    sessions = fabrique_sessions(moteur)
    with sessions() as s:
        lots = {i: table.lire_lot(s, d[i]) for i in ("api", "fini", "parti", "actif")}
        assert (lots["api"].origine, lots["api"].cle_id, lots["api"].utilisateur_id) == ("api", d["cle_api"], None)
        for i in ("fini", "parti", "actif"):
            assert lots[i].origine == "espace" and lots[i].cle_id is None, i
        # the uploader, taken back from the journal line written with the job (not the later end-of-job line)
        assert lots["fini"].utilisateur_id == lots["actif"].utilisateur_id == d["admin"]
        assert lots["parti"].utilisateur_id is None  # its account was deleted: no dangling reference
        assert [c.prefixe for c in lister_cles(s)] == ["abcdefghij"]  # the reserved row is gone
        # the running job got its last sign of life: a service starting now closes it (its process is long gone)
        assert lots["actif"].vu_le == lots["actif"].debut_le and lots["fini"].vu_le is None
        assert (lots["fini"].etat, lots["fini"].message, lots["fini"].octets) == ("termine", "résumé", 10)
        assert table.abandonner_orphelins(s) == 1
        assert table.lire_lot(s, d["actif"]).etat == "echec"
    sortie = commande("cles", "lister", "--base", url_base)
    assert sortie.returncode == 0 and "webrsa" in sortie.stdout and "espace" not in sortie.stdout, sortie.stdout
    # the database refuses a job whose key does not match its origin, and an unknown origin
    for origine, cle, compte in (("espace", d["cle_api"], None), ("api", None, None), ("api", d["cle_api"], d["admin"]),
                                 ("ailleurs", None, None)):
        with sessions() as s:
            s.add(table.Lot(id=uuid.uuid4().hex, departement="93", origine=origine, cle_id=cle, utilisateur_id=compte,
                            etat="termine", format="csv", explications=False, octets=1, cree_le=maintenant()))
            with pytest.raises(IntegrityError):
                s.commit()
    # down to 0005: the reserved row again (revoked, no digest), given back to the workspace's jobs
    _descendre(moteur, "0005_suivis_accompagnement")
    t = _tables()
    with moteur.connect() as c:
        cles = {r.prefixe: r for r in c.execute(sa.select(t["cles"]))}
        assert set(cles) == {"abcdefghij", "espace-web"}
        reservee = cles["espace-web"]
        assert reservee.empreinte == "" and reservee.departements == [] and reservee.revoquee_le is not None
        par_lot = dict(c.execute(sa.select(t["lots"].c.id, t["lots"].c.cle_id)).all())
        assert par_lot == {d["api"]: d["cle_api"], d["fini"]: reservee.id, d["parti"]: reservee.id,
                           d["actif"]: reservee.id}
        assert "origine" not in {x["name"] for x in sa.inspect(c).get_columns("lots")}
    # and up again: the same result
    assert migrer(moteur).a_jour
    with sessions() as s:
        assert {table.lire_lot(s, d[i]).origine for i in ("fini", "parti", "actif")} == {"espace"}
        assert table.lire_lot(s, d["fini"]).utilisateur_id == d["admin"]
        assert [c.prefixe for c in lister_cles(s)] == ["abcdefghij"]
    moteur.dispose()


def test_descente_sans_import_de_l_espace_ne_cree_pas_de_cle(url_base: str) -> None:
    moteur = creer_moteur(url_base)
    migrer(moteur)
    _descendre(moteur, "0005_suivis_accompagnement")
    with moteur.connect() as c:
        assert c.scalar(sa.text("SELECT COUNT(*) FROM cles_api")) == 0
    moteur.dispose()


# --------------------------------------------------------------------------- orphans per job


@pytest.fixture
def sessions(base_migree: str) -> Iterator[Any]:
    moteur = creer_moteur(base_migree)
    yield fabrique_sessions(moteur)
    moteur.dispose()


def _lot(sessions: Any, etat: str = "en_cours", hote: Optional[str] = None, pid: Optional[int] = None,
         vu_le: Optional[datetime] = None, origine: str = "espace") -> str:
    """A job as a process (``hote``, ``pid``) left it, its last heartbeat at ``vu_le``."""
    identifiant = uuid.uuid4().hex
    with sessions() as s:
        cle = creer_cle(s, f"k{identifiant[:8]}", ["93"])[0].id if origine == "api" else None
        table.creer_lot(s, table.Lot(id=identifiant, departement="93", origine=origine, cle_id=cle, format="csv",
                                     explications=False, octets=1))
        table.mettre_a_jour(s, identifiant, etat=etat, hote=hote or table.hote(), pid=pid or os.getpid(),
                            vu_le=vu_le or maintenant())
    return identifiant


def _etats(sessions: Any, *ids: str) -> list[str]:
    with sessions() as s:
        return [table.lire_lot(s, i).etat for i in ids]


def test_orphelins_par_lot_battement_et_processus(sessions: Any) -> None:
    t0 = maintenant()
    vivant_ici, autre_processus = 1_000_001, 1_000_002  # two workers of this machine (liveness injected)
    ici = table.hote()
    a = _lot(sessions, "en_cours", ici, vivant_ici, t0 - timedelta(seconds=10))  # a live worker's job
    b = _lot(sessions, "en_attente", ici, autre_processus, t0 - timedelta(seconds=10))  # its worker just died
    c = _lot(sessions, "en_attente", AUTRE_HOTE, 123, t0 - timedelta(seconds=10), origine="api")  # another machine
    d = _lot(sessions, "en_cours", AUTRE_HOTE, 124, t0 - timedelta(seconds=301))  # silent for over 5 minutes
    e = _lot(sessions, "termine", AUTRE_HOTE, 124, t0 - timedelta(days=3))  # finished: never touched

    def vivant(pid: int) -> bool:
        return pid == vivant_ici

    with sessions() as s:
        assert table.abandonner_orphelins(s, t0, vivant=vivant) == 2
        assert table.abandonner_orphelins(s, t0, vivant=vivant) == 0  # idempotent
    assert _etats(sessions, a, b, c, d, e) == ["en_cours", "echec", "en_attente", "echec", "termine"]
    with sessions() as s:
        mort, muet = table.lire_lot(s, b), table.lire_lot(s, d)
        assert "le processus du service qui le traitait s'est arrêté" in mort.message and mort.fin_le == t0
        assert "aucun signe de vie" in muet.message and "le téléverser de nouveau" in muet.message
        # time passes: the live worker beats at t0+200 (its job stays), the other machine is silent
        assert table.battre(s, [a, b, e], t0 + timedelta(seconds=200)) == 1  # closed and finished jobs: no beat
        assert table.abandonner_orphelins(s, t0 + timedelta(seconds=450), vivant=vivant) == 1
    assert _etats(sessions, a, c) == ["en_cours", "echec"]
    with sessions() as s:  # and once the live worker stops beating too
        assert table.abandonner_orphelins(s, t0 + timedelta(seconds=501), vivant=vivant) == 1
    assert _etats(sessions, a) == ["echec"]


def test_un_processus_meurt_pendant_qu_un_autre_vit(sessions: Any, tmp_path: Path) -> None:
    """Two processes share the database: A keeps beating on its job, B dies; the periodic tick of A (injected
    clock, no sleep) closes B's job only once B has been silent beyond the delay, never A's."""
    t0 = maintenant()
    a = _lot(sessions, "en_cours", AUTRE_HOTE, 11, t0, origine="api")
    b = _lot(sessions, "en_cours", AUTRE_HOTE, 12, t0)
    heures = iter([t0 + timedelta(seconds=s) for s in (120, 240, 360, 480)])
    maintenant_tick: list[datetime] = []
    vus: list[tuple[str, str]] = []

    def horloge() -> datetime:
        maintenant_tick.append(next(heures))
        with sessions() as s:  # process A's heartbeat, just before the tick
            table.battre(s, [a], maintenant_tick[-1])
        return maintenant_tick[-1]

    async def attendre(_: float) -> None:
        vus.append(tuple(_etats(sessions, a, b)))  # type: ignore[arg-type]
        if len(vus) == 5:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(conserver_periodiquement(sessions, tmp_path / "lots", 30, 60.0, attendre=attendre,
                                             horloge=horloge))
    # B's last heartbeat at t0: closed at the first tick past t0 + 300 s (t0 + 360 s)
    assert vus == [("en_cours", "en_cours")] * 3 + [("en_cours", "echec")] * 2
    with sessions() as s:
        assert table.lire_lot(s, b).fin_le == t0 + timedelta(seconds=360)


@pytest.fixture
def processus_vivant() -> Iterator[int]:
    """A real process of this machine, alive for the whole test (it waits on its standard input)."""
    p = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        yield p.pid
    finally:
        assert p.stdin is not None
        p.stdin.close()
        p.wait(30)


def test_un_second_processus_qui_demarre_tard_respecte_les_lots_des_autres(
        base_migree: str, sessions: Any, processus_vivant: int, tmp_path: Path) -> None:
    """Under an ASGI server with several workers, worker A accepts a job; worker B starts later: B's start
    closes the jobs of a dead worker of this machine at once, never those of A (alive, fresh heartbeat), nor
    those of another machine whose heartbeat is fresh."""
    ici = table.hote()
    de_a = _lot(sessions, "en_attente", ici, processus_vivant, origine="api")
    d_un_mort = _lot(sessions, "en_cours", ici, MORT)
    d_ailleurs = _lot(sessions, "en_cours", AUTRE_HOTE, 5)
    app = creer_application(Parametres(base=base_migree, dossier_lots=str(tmp_path / "lots")))  # worker B
    with TestClient(app):
        assert _etats(sessions, de_a, d_un_mort, d_ailleurs) == ["en_attente", "echec", "en_cours"]
    app.state.service.moteur.dispose()
    with sessions() as s:
        assert "s'est arrêté" in table.lire_lot(s, d_un_mort).message


def test_processus_vivant_sans_hasard() -> None:
    assert table.processus_vivant(os.getpid())
    for pid in (0, -1, MORT, 1 << 40):  # 0 and -1 would address a process group: never asked to the system
        assert not table.processus_vivant(pid)
    assert table.hote() == table.hote() and table.hote().startswith(__import__("socket").gethostname()[:200])


def test_executeur_bat_pour_ses_lots_et_ne_rouvre_pas_un_lot_clos(base_migree: str, sessions: Any,
                                                                    tmp_path: Path) -> None:
    """The executor's heartbeat covers its queued and running jobs; a job closed as an orphan meanwhile (a process
    suspended past the delay) is neither started nor reopened by its end."""
    app = creer_application(Parametres(base=base_migree, dossier_lots=str(tmp_path / "lots")))
    service = app.state.service
    ex = Executeur(service, battement=3600)  # the thread waits an hour: the test beats by hand
    en_cours, fin = threading.Event(), threading.Event()
    resultats: dict[str, list[bool]] = {}
    finis = threading.Semaphore(0)

    def tache(identifiant: str) -> None:  # what a workspace import does: start, work, end
        with service.sessions() as s:
            resultats[identifiant] = [table.demarrer(s, identifiant)]
        en_cours.set()
        assert fin.wait(60)
        with service.sessions() as s:
            resultats[identifiant].append(table.terminer(s, identifiant, "termine", message="fini"))
        finis.release()

    t_vieux = maintenant() - timedelta(hours=1)
    premier, second = _lot(sessions, "en_attente", vu_le=t_vieux), _lot(sessions, "en_attente", vu_le=t_vieux)
    ex.soumettre(premier, tache)
    ex.soumettre(second, tache)  # queued behind the first (one job at a time)
    assert en_cours.wait(60)
    assert ex.en_charge() == {premier, second} and ex.battre() == 2
    with sessions() as s:
        assert all(table.lire_lot(s, i).vu_le > t_vieux for i in (premier, second))
        # the whole process is then suspended past the delay: another process closes both jobs
        assert table.abandonner_orphelins(s, maintenant() + timedelta(hours=1)) == 2
    fin.set()
    assert finis.acquire(timeout=60) and finis.acquire(timeout=60)
    ex.fermer()
    # the first's end refused (it stays as its user was told), the second never started
    assert resultats == {premier: [True, False], second: [False, False]}
    with sessions() as s:
        lots = [table.lire_lot(s, i) for i in (premier, second)]
    assert [x.etat for x in lots] == ["echec", "echec"] and "fini" not in (lots[0].message or "")
    assert ex.battre() == 0  # nothing active left to beat
    service.moteur.dispose()


def test_lot_non_enregistre_ne_laisse_aucun_fichier(base_migree: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``POST /v1/lots`` whose job cannot be recorded (database unreachable): the upload used to stay in the jobs
    folder for ever (no job, so no retention); it is removed, and the answer is a French 503 problem."""
    from sqlalchemy.exc import OperationalError

    moteur = creer_moteur(base_migree)
    with fabrique_sessions(moteur)() as s:
        cle = creer_cle(s, "webrsa", ["93"])[1]
    moteur.dispose()

    def panne(*a: Any, **k: Any) -> None:
        raise OperationalError("INSERT INTO lots", {}, Exception("serveur injoignable"))

    app = creer_application(Parametres(base=base_migree, dossier_lots=str(tmp_path / "lots")))
    with TestClient(app, raise_server_exceptions=False) as client:
        monkeypatch.setattr(table, "creer_lot", panne)
        r = client.post("/v1/lots?departement=93&format=csv", content=b"identifiant\nSYN-93-1\n",
                        headers={"Authorization": f"Bearer {cle}"})
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert "base de données du service indisponible" in r.json()["detail"] and r.headers["retry-after"] == "30"
    assert "injoignable" not in r.text
    assert not any((tmp_path / "lots").iterdir())
    app.state.service.moteur.dispose()


def test_un_lecteur_ou_la_limite_ferment_les_orphelins_sans_attendre_le_passage(base_migree: str, sessions: Any,
                                                                                 tmp_path: Path) -> None:
    """A job silent beyond the delay is closed as soon as someone follows it (GET /v1/lots/{id}) or as soon as it
    would make the service refuse an upload (429): not only at the next periodic tick (an hour by default)."""
    with sessions() as s:
        k, secret = creer_cle(s, "webrsa", ["93"])
    vieux = maintenant() - timedelta(seconds=table.DELAI_ORPHELIN_SECONDES + 60)
    app = creer_application(Parametres(base=base_migree, dossier_lots=str(tmp_path / "lots"), lots_max_en_cours=1))
    entetes = {"Authorization": f"Bearer {secret}"}
    with TestClient(app, raise_server_exceptions=False) as client:  # started before the jobs: no start-time check

        def lot_de_la_cle(vu_le: datetime) -> str:
            identifiant = uuid.uuid4().hex
            with sessions() as s:
                table.creer_lot(s, table.Lot(id=identifiant, departement="93", origine="api", cle_id=k.id,
                                             format="csv", explications=False, octets=1))
                table.mettre_a_jour(s, identifiant, etat="en_cours", hote=AUTRE_HOTE, pid=9, vu_le=vu_le)
            return identifiant

        muet = lot_de_la_cle(vieux)
        r = client.get(f"/v1/lots/{muet}", headers=entetes)
        assert r.status_code == 200 and r.json()["etat"] == "echec", r.text
        assert "aucun signe de vie" in r.json()["message"]
        vivant = lot_de_la_cle(maintenant())  # a live job fills the only place: 429
        assert client.post("/v1/lots?departement=93&format=csv", content=b"", headers=entetes).status_code == 429
        assert client.get(f"/v1/lots/{vivant}", headers=entetes).json()["etat"] == "en_cours"
        with sessions() as s:  # its process falls silent: the place is given back at the next upload
            table.mettre_a_jour(s, vivant, vu_le=vieux)
        r = client.post("/v1/lots?departement=93&format=csv", content=b"", headers=entetes)
        assert r.status_code == 422 and "vide" in r.text  # past the limit, refused for its empty body only
        assert _etats(sessions, vivant) == ["echec"]
    app.state.service.moteur.dispose()
