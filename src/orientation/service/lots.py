"""``/v1/lots``: a flux file uploaded, oriented in the background by ``orientation lot``, results downloaded.

``POST /v1/lots?departement=93&format=csv`` streams the request body (the file, at most
:attr:`Parametres.taille_max_lot` bytes) to ``<dossier_lots>/<id>/entree.<format>`` and answers ``202``
with the job's id and address.  The job runs outside the request loop: a worker thread of the process
runs ``orientation lot`` in a **child process** (its own memory and forked block workers, its atomic
outputs, manifest and exit codes; forking from a threaded server is avoided), one job at a time per
process.  At most :attr:`Parametres.lots_max_en_cours` jobs are queued or running in the whole
service (counted in the database): beyond, ``429``.

``GET /v1/lots/{id}``: state, progression in **records** (rows decided or rejected so far, read from the
run's partial outputs, over the file's records: counted by the bulk reader's own cut when the job starts,
so that a CSV record spanning several lines counts once, and read from the footer of a Parquet file;
physical lines until then), counts from the run's manifest, French message.
``GET /v1/lots/{id}/{decisions|rejets|explications|catalogue|manifeste}``: the outputs.  A key sees only
the jobs it uploaded (``origine = 'api'``; another key's, a workspace import's: 404, as for an unknown id).

Orphans: the executor of each process writes a heartbeat on its queued and running jobs every
:data:`~orientation.stockage.lots.BATTEMENT_SECONDES` seconds (a thread of its own: a job's thread is busy in
``orientation lot`` or in an import block); the jobs of a process that died are closed as ``echec`` at the
service's start and at each periodic tick (:func:`conserver_periodiquement`) by
:func:`~orientation.stockage.lots.abandonner_orphelins`.  A job closed so is never reopened by a process that
comes back (its start and end are written only while it is still active).

Retention: the folder of a finished job (upload and outputs: personal data) is removed
:attr:`Parametres.lots_conservation_jours` days after its end (``$ORIENTATION_LOTS_CONSERVATION_JOURS``,
default 30) by :func:`expirer_lots`, run when the service starts, every
:attr:`Parametres.lots_purge_intervalle` seconds while it runs (:func:`conserver_periodiquement`,
``$ORIENTATION_LOTS_PURGE_INTERVALLE``, default 3600) and by ``orientation purger``; each job is claimed in
the database before its folder is removed, so that several processes never handle the same one.  The job
stays in the table as ``expire`` with its counts, and its downloads answer ``410``.  Queued and running
jobs are never touched.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import logging
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import FileResponse, JSONResponse, Response

from orientation.dossier.schema import DEPARTEMENTS
from orientation.erreurs import OrientationError
from orientation.flux.lecture import ouvrir_flux
from orientation.service.authentification import cle_api, exiger_departement
from orientation.service.etat import REPONSES_ERREURS, Service, service_de
from orientation.service.intergiciels import trop_volumineux
from orientation.service.problemes import ErreurService
from orientation.stockage import lots as table
from orientation.stockage.base import maintenant
from orientation.stockage.cles import CleVerifiee

routes = APIRouter(prefix="/v1/lots", tags=["lots"])

FormatFlux = Literal["csv", "jsonl", "parquet"]
#: Output files of a job: name in the address -> (file name in the job folder, media type).
SORTIES: dict[str, tuple[str, str]] = {
    "decisions": ("decisions.csv", "text/csv; charset=utf-8"),
    "rejets": ("decisions.rejets.csv", "text/csv; charset=utf-8"),
    "explications": ("explications.jsonl", "application/x-ndjson"),
    "catalogue": ("explications.catalogue.json", "application/json"),
    "manifeste": ("decisions.manifeste.json", "application/json"),
}
_ETAT_CODE = {0: "termine", 2: "refuse"}
_journal = logging.getLogger("orientation.service.lots")


class EtatLot(BaseModel):
    """A job as ``GET /v1/lots/{id}`` shows it."""

    id: str
    departement: str
    etat: str = Field(description="en_attente, en_cours, termine, refuse, echec ou expire (fichiers supprimés au "
                                  "terme de la durée de conservation ; effectifs conservés)")
    format: str
    explications: bool
    octets: int
    cree_le: datetime
    debut_le: Optional[datetime]
    fin_le: Optional[datetime]
    lignes_estimees: Optional[int] = Field(description="enregistrements du fichier téléversé, comptés au début du "
                                           "traitement comme les lit orientation lot (un enregistrement CSV "
                                           "sur plusieurs lignes compte une fois ; Parquet : lignes du fichier) ; "
                                           "avant : lignes physiques")
    progression: Optional[float] = Field(description="part des enregistrements traités (décidés ou rejetés), de 0 "
                                         "à 1 (null : inconnue)")
    lignes_lues: Optional[int]
    decidees: Optional[int]
    rejetees: Optional[int]
    message: Optional[str] = Field(description="résumé ou erreur, en français (sans donnée personnelle)")
    resultats: dict[str, str] = Field(description="adresses des sorties disponibles")


class Executeur:
    """Runs the jobs of this process one at a time, each as an ``orientation lot`` child process."""

    def __init__(self, service: Service, battement: float = table.BATTEMENT_SECONDES):
        self.service = service
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orientation-lot")
        self._processus: dict[str, subprocess.Popen[bytes]] = {}
        self._verrou = threading.Lock()
        self._miens: set[str] = set()  # jobs queued or running here: the heartbeat's
        self._battement = battement
        self._arret = threading.Event()
        self._pouls: Optional[threading.Thread] = None

    def soumettre(self, identifiant: str, tache: Optional[Callable[[str], None]] = None) -> None:
        """Queue job ``identifiant``: ``orientation lot`` by default, else ``tache(identifiant)`` (which must record
        the job's start and end itself with :func:`table.demarrer` and :func:`table.terminer`; the workspace's
        imports use it)."""
        with self._verrou:
            self._miens.add(identifiant)
            if self._pouls is None:
                self._pouls = threading.Thread(target=self._battre_sans_fin, name="orientation-lots-pouls",
                                               daemon=True)
                self._pouls.start()
        self._pool.submit(self._executer_sans_faute, identifiant, tache)

    def en_charge(self) -> set[str]:
        """The jobs queued or running in this process."""
        with self._verrou:
            return set(self._miens)

    def battre(self) -> int:
        """One heartbeat on the jobs of this process (what the heartbeat thread does every few seconds)."""
        miens = self.en_charge()
        if not miens:
            return 0
        with self.service.sessions() as s:
            return table.battre(s, miens)

    def _battre_sans_fin(self) -> None:
        while not self._arret.wait(self._battement):
            try:
                self.battre()
            except Exception as exc:  # noqa: BLE001 - database unreachable: the next heartbeat retries
                _journal.warning("lots : signe de vie non enregistré (%s), nouvel essai dans %s s",
                                 type(exc).__name__, self._battement)

    def _executer_sans_faute(self, identifiant: str, tache: Optional[Callable[[str], None]] = None) -> None:
        """The job (:meth:`_executer` or ``tache``), and a job marked ``echec`` on any unexpected error (a pool
        swallows exceptions: the job would otherwise stay ``en_cours`` for ever and count against the limit of
        active jobs)."""
        try:
            (tache or self._executer)(identifiant)
        except Exception as exc:  # noqa: BLE001 - logged by type only (no personal data), the job is closed
            _journal.error("lot %s : erreur interne inattendue (%s)", identifiant, type(exc).__name__)
            try:
                with self.service.sessions() as s:
                    table.terminer(s, identifiant, "echec",
                                   message=f"erreur interne inattendue du service ({type(exc).__name__}) : "
                                           "téléverser le flux de nouveau ; si elle se répète, la signaler")
            except Exception as exc2:  # noqa: BLE001 - database unreachable: closed later as an orphan
                _journal.error("lot %s : état non enregistré (%s)", identifiant, type(exc2).__name__)
        finally:
            with self._verrou:
                self._miens.discard(identifiant)

    def _executer(self, identifiant: str) -> None:
        p = self.service.parametres
        with self.service.sessions() as s:
            lot = table.lire_lot(s, identifiant)
            if lot is None:  # pragma: no cover
                return
            dossier = dossier_lot(self.service, identifiant)
            commande = [sys.executable, "-m", "orientation.cli", "lot", str(dossier / f"entree.{lot.format}"),
                        "--departement", lot.departement, "--sortie", str(dossier / "decisions.csv"), "--silencieux",
                        "--ecraser"]
            if lot.explications:
                commande += ["--explications", str(dossier / "explications.jsonl")]
            if p.regles:
                commande += ["--regles", p.regles]
            if p.modele:
                commande += ["--modele", p.modele]
            if not table.demarrer(s, identifiant):
                _journal.warning("lot %s : clos avant son début (orphelin), non traité", identifiant)
                return
        etat, message = "echec", None
        try:
            proc = subprocess.Popen(commande, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=dossier)
            with self._verrou:
                self._processus[identifiant] = proc
            total = compter_enregistrements(dossier / f"entree.{lot.format}")  # while the child starts
            if total is not None:
                with self.service.sessions() as s:
                    table.mettre_a_jour(s, identifiant, lignes_estimees=total)
            sortie, erreurs = proc.communicate()
            etat = _ETAT_CODE.get(proc.returncode, "echec")
            texte = (sortie if proc.returncode == 0 else erreurs).decode("utf-8", "replace").strip()
            message = texte[-4000:] or f"orientation lot terminé avec le code {proc.returncode}"
        except OSError as exc:
            message = f"lancement impossible de orientation lot ({type(exc).__name__})"
        finally:
            with self._verrou:
                self._processus.pop(identifiant, None)
        comptes = _comptes(dossier / SORTIES["manifeste"][0]) if etat == "termine" else {}
        with self.service.sessions() as s:
            if not table.terminer(s, identifiant, etat, message=message, **comptes):
                _journal.warning("lot %s : fin non enregistrée, le lot avait été clos comme orphelin", identifiant)

    def fermer(self) -> None:
        self._arret.set()
        with self._verrou:
            for proc in self._processus.values():
                proc.terminate()  # orientation lot stops cleanly on SIGTERM (nothing published)
        self._pool.shutdown(wait=False, cancel_futures=True)


def _comptes(manifeste: Path) -> dict[str, Any]:
    try:
        m = json.loads(manifeste.read_text(encoding="utf-8"))
        return {"lignes_lues": m["lignes_lues"], "decidees": m["decidees"], "rejetees": m["rejetees"]}
    except (OSError, ValueError, KeyError):
        return {}


def dossier_lot(service: Service, identifiant: str) -> Path:
    return service.parametres.chemin_lots.resolve() / identifiant


def executeur(service: Service) -> Executeur:
    """The job executor of this process (created on first use)."""
    ex = service.extensions.get("lots")
    if ex is None:
        ex = service.extensions["lots"] = Executeur(service)
    return ex


def compter_enregistrements(chemin: Path) -> Optional[int]:
    """Records of a flux file as ``orientation lot`` reads them (``None`` if the file cannot be opened as a flux).

    Parquet: the footer's row count.  CSV and JSON Lines: the physical lines of the blocks the bulk reader
    cuts (:meth:`~orientation.flux.lecture.Source.blocs`, one pass over the file), less the extra lines of
    the CSV records it joins (a line break inside a quoted cell).  Blank lines at the end do not count; the
    reader skips blank lines elsewhere too, which this count does not see (the progression then stays a little
    under 1 until the end).
    """
    try:
        source = ouvrir_flux(chemin)
        if source.format not in ("csv", "jsonl"):
            return source.estimation_lignes()
        lignes = joints = 0
        dernier: Optional[tuple[Any, ...]] = None
        for tache in source.blocs():
            if dernier is not None:
                lignes += tache[3] - dernier[3]  # physical lines before this block minus before the previous one
            joints += sum(fin - debut for debut, fin in (tache[4] if len(tache) > 4 else ()))
            dernier = tache
        if dernier is None:
            return 0
        with open(chemin, "rb") as f:  # the last block: its own lines (the last one may lack its newline)
            f.seek(dernier[1])
            fin = f.read(dernier[2])
        corps = fin.rstrip(b"\r\n")  # blank lines at the end are no records
        lignes += corps.count(b"\n") + (1 if corps else 0)
        return max(0, lignes - joints)
    except (OrientationError, OSError, ValueError):
        return None


def _enregistrements_traites(dossier: Path) -> Optional[int]:
    """Records done so far: rows of the partial decisions file, plus distinct lines of the partial rejects file."""
    parties = sorted(dossier.glob(".decisions.csv.partiel-*"))
    if not parties:
        return None
    try:
        with open(parties[0], "rb") as f:  # decision cells never hold a line break: one row per line
            decidees = max(0, sum(bloc.count(b"\n") for bloc in iter(lambda: f.read(1 << 20), b"")) - 1)
        rejetees: set[str] = set()
        for partie in sorted(dossier.glob(".decisions.rejets.csv.partiel-*"))[:1]:
            texte = partie.read_text(encoding="utf-8", errors="replace")
            lecteur = csv.reader(io.StringIO(texte[:texte.rfind("\n") + 1], newline=""))
            try:
                for i, cellules in enumerate(lecteur):  # a value may hold line breaks (quoted): parsed as CSV
                    if i and cellules:
                        rejetees.add(cellules[0])
            except csv.Error:  # a row still being written
                pass
        return decidees + len(rejetees)
    except OSError:
        return None


def _etat(service: Service, lot: table.Lot) -> EtatLot:
    dossier = dossier_lot(service, lot.id)
    progression: Optional[float] = None
    if lot.etat == "termine":
        progression = 1.0
    elif lot.etat == "en_cours" and lot.lignes_estimees:
        ecrites = _enregistrements_traites(dossier)
        progression = None if ecrites is None else min(1.0, ecrites / lot.lignes_estimees)
    elif lot.etat == "en_attente":
        progression = 0.0
    resultats = {}
    if lot.etat == "termine":
        resultats = {nom: f"/v1/lots/{lot.id}/{nom}" for nom, (fichier, _) in SORTIES.items()
                     if (dossier / fichier).is_file()}
    return EtatLot(id=lot.id, departement=lot.departement, etat=lot.etat, format=lot.format,
                   explications=lot.explications, octets=lot.octets, cree_le=lot.cree_le, debut_le=lot.debut_le,
                   fin_le=lot.fin_le, lignes_estimees=lot.lignes_estimees, progression=progression,
                   lignes_lues=lot.lignes_lues, decidees=lot.decidees, rejetees=lot.rejetees, message=lot.message,
                   resultats=resultats)


def _lot_visible(service: Service, cle: CleVerifiee, identifiant: str) -> table.Lot:
    """The job if this key uploaded it (a workspace import, another key's job: 404 as for an unknown id)."""
    with service.sessions() as s:
        lot = table.lire_lot_suivi(s, identifiant)
    if lot is None or lot.origine != "api" or lot.cle_id != cle.id or not cle.autorise(lot.departement):
        raise ErreurService(404, "lot-introuvable", "aucun lot de ce numéro pour les départements de cette clé")
    return lot


@routes.post("", status_code=202, summary="téléverser un flux CAF à orienter en arrière-plan",
             responses={**REPONSES_ERREURS, 429: {"description": "trop de lots en attente ou en cours"}},
             openapi_extra={"requestBody": {"required": True, "description": "le fichier du flux, tel quel",
                                            "content": {"application/octet-stream": {"schema": {
                                                "type": "string", "format": "binary"}}}}})
async def televerser(request: Request, departement: str = Query(..., description="département du flux"),
                     format: FormatFlux = Query(..., description="csv, jsonl ou parquet"),
                     explications: bool = Query(False, description="écrire aussi les lignes d'explication"),
                     cle: CleVerifiee = Depends(cle_api)) -> JSONResponse:
    """Le corps de la requête est le fichier (CSV, JSON Lines ou Parquet, colonnes CNAF, comme pour
    ``orientation lot``). Réponse 202 : le numéro du lot et son adresse ; suivre ``GET /v1/lots/{id}``."""
    if departement not in DEPARTEMENTS:
        raise ErreurService(422, "departement-inconnu", f"département inconnu « {departement[:10]} » (attendu 01 à 95, "
                            "2A, 2B, 971 à 976)")
    exiger_departement(cle, departement)
    service = service_de(request)
    p = service.parametres
    with service.sessions() as s:
        if not table.place_libre(s, p.lots_max_en_cours):
            raise ErreurService(429, "trop-de-lots", f"{p.lots_max_en_cours} lot(s) déjà en attente ou en cours : "
                                "réessayer à la fin de l'un d'eux", entetes={"Retry-After": "30"})
    identifiant = table.nouvel_identifiant()
    dossier = dossier_lot(service, identifiant)
    dossier.mkdir(parents=True, exist_ok=False)
    entree = dossier / f"entree.{format}"
    octets = lignes = 0
    try:
        with open(entree, "wb") as f:
            async for morceau in request.stream():
                octets += len(morceau)
                if octets > p.taille_max_lot:
                    raise trop_volumineux(p.taille_max_lot)
                lignes += morceau.count(b"\n")
                await run_in_threadpool(f.write, morceau)
    except BaseException:
        _supprimer(dossier)
        raise
    if octets == 0:
        _supprimer(dossier)
        raise ErreurService(422, "flux-vide", "corps de requête vide : le fichier du flux est attendu")
    estimees = None if format == "parquet" else max(1, lignes - (1 if format == "csv" else 0))
    try:
        with service.sessions() as s:
            table.creer_lot(s, table.Lot(id=identifiant, departement=departement, origine="api", cle_id=cle.id,
                                         format=format, explications=explications, octets=octets,
                                         lignes_estimees=estimees))
    except BaseException as exc:  # not recorded: no job, so no retention would ever remove the upload
        _supprimer(dossier)
        if isinstance(exc, SQLAlchemyError):
            raise ErreurService(503, "base-indisponible", "lot non enregistré : base de données du service "
                                f"indisponible ({type(exc).__name__}) ; réessayer plus tard",
                                entetes={"Retry-After": "30"}) from None
        raise
    executeur(service).soumettre(identifiant)
    return JSONResponse({"id": identifiant, "etat": "en_attente", "adresse": f"/v1/lots/{identifiant}"},
                        status_code=202, headers={"Location": f"/v1/lots/{identifiant}"})


def _supprimer(dossier: Path) -> None:
    for chemin in sorted(dossier.rglob("*"), reverse=True):
        chemin.unlink() if chemin.is_file() else chemin.rmdir()
    dossier.rmdir()


@routes.get("/{identifiant}", response_model=EtatLot, summary="état, progression et effectifs d'un lot",
            responses={**REPONSES_ERREURS, 404: {"description": "lot inconnu (ou d'un autre département)"}})
async def etat(identifiant: str, request: Request, cle: CleVerifiee = Depends(cle_api)) -> EtatLot:
    service = service_de(request)
    lot = await run_in_threadpool(_lot_visible, service, cle, identifiant)
    return await run_in_threadpool(_etat, service, lot)


@routes.get("/{identifiant}/{sortie}", summary="télécharger une sortie d'un lot terminé",
            responses={**REPONSES_ERREURS, 404: {"description": "lot inconnu, non terminé ou sortie absente"},
                       410: {"description": "lot expiré : fichiers supprimés au terme de la durée de conservation"},
                       200: {"description": "le fichier", "content": {"text/csv": {}, "application/x-ndjson": {},
                                                                        "application/json": {}}}})
async def telecharger(identifiant: str, sortie: Literal["decisions", "rejets", "explications", "catalogue",
                                                         "manifeste"],
                      request: Request, cle: CleVerifiee = Depends(cle_api)) -> Response:
    service = service_de(request)
    lot = await run_in_threadpool(_lot_visible, service, cle, identifiant)
    fichier, media = SORTIES[sortie]
    chemin = dossier_lot(service, lot.id) / fichier
    if lot.etat == table.EXPIRE:
        raise ErreurService(410, "lot-expire", f"lot {lot.id} expiré : ses fichiers (flux téléversé et sorties) ont "
                            "été supprimés au terme de la durée de conservation ; téléverser le flux de nouveau")
    if lot.etat != "termine" or not chemin.is_file():
        raise ErreurService(404, "sortie-absente", f"sortie « {sortie} » indisponible : lot {lot.etat}"
                            + (" sans explications" if sortie in ("explications", "catalogue") else ""))
    return FileResponse(chemin, media_type=media, filename=f"{lot.id}-{fichier}")


def expirer_lots(sessions: Any, dossier_lots: Path, jours: int, maintenant_: Optional[datetime] = None, *,
                 rattraper: bool = True) -> int:
    """Expire the jobs finished more than ``jours`` days ago and remove their folders; returns how many.

    Guarded by the database, so that the service's workers and ``orientation purger`` may run it at once:
    each job is first claimed (marked ``expire`` by one conditional UPDATE, :func:`table.marquer_expire`:
    one process only wins it, and from then on its downloads answer 410), then its folder is removed by
    the process that claimed it.  A folder that cannot be removed (logged by job id) stays until a run
    with ``rattraper`` (the default: service start, ``orientation purger``; not the periodic runs), which
    also removes the folders of expired jobs left by a process stopped between the claim and the removal
    (two processes may then both try: the second finds nothing).  Queued and running jobs are never touched.
    """
    t = maintenant_ or maintenant()
    dossier_lots = Path(dossier_lots)
    with sessions() as s:
        candidats = table.finis_avant(s, t - timedelta(days=jours))
    note = f"Fichiers du lot supprimés le {t:%d/%m/%Y} (durée de conservation : {jours} jour(s))."
    n = 0
    for identifiant in candidats:
        with sessions() as s:
            if not table.marquer_expire(s, identifiant, note):
                continue  # claimed by another process meanwhile
        n += 1
        _supprimer_dossier_lot(dossier_lots / identifiant, identifiant)
    if rattraper and dossier_lots.is_dir():
        noms = [p.name for p in dossier_lots.iterdir() if len(p.name) == 32]
        with sessions() as s:
            restes = table.expires_parmi(s, noms)
        for identifiant in restes:
            _supprimer_dossier_lot(dossier_lots / identifiant, identifiant)
    return n


def _supprimer_dossier_lot(dossier: Path, identifiant: str) -> None:
    try:
        shutil.rmtree(dossier)
    except FileNotFoundError:
        pass  # never written, or removed meanwhile
    except OSError as exc:
        _journal.warning("lot %s expiré : dossier non supprimé (%s), nouvel essai au prochain démarrage du service "
                         "ou par orientation purger", identifiant, type(exc).__name__)


def fermer_orphelins(sessions: Any, maintenant_: Optional[datetime] = None) -> int:
    """Close the orphaned jobs of the whole service (:func:`table.abandonner_orphelins`); how many (logged)."""
    with sessions() as s:
        n = table.abandonner_orphelins(s, maintenant_)
    if n:
        _journal.warning("lots : %s lot(s) orphelin(s) clos en échec (processus arrêté ou sans signe de vie)", n)
    return n


async def conserver_periodiquement(sessions: Any, dossier_lots: Path, jours: int, intervalle: float, *,
                                   attendre: Optional[Callable[[float], Awaitable[None]]] = None,
                                   horloge: Optional[Callable[[], datetime]] = None) -> None:
    """Every ``intervalle`` seconds until cancelled (a task of the service's lifespan): close the orphaned jobs
    (:func:`fermer_orphelins`), then run :func:`expirer_lots`.

    Waits first (the service does both at start already).  A failed run (database unreachable…) is
    logged and the next one retries.  ``attendre`` and ``horloge`` are injected by the tests.
    """
    attendre = attendre or asyncio.sleep
    while True:
        await attendre(intervalle)
        try:
            t = horloge() if horloge else None
            await run_in_threadpool(fermer_orphelins, sessions, t)
            await run_in_threadpool(functools.partial(expirer_lots, sessions, dossier_lots, jours, t, rattraper=False))
        except Exception as exc:  # noqa: BLE001 - the loop must survive; nothing personal in the log
            _journal.warning("conservation des lots : passage impossible (%s), nouvel essai dans %s s",
                             type(exc).__name__, intervalle)


__all__ = ["Executeur", "SORTIES", "compter_enregistrements", "conserver_periodiquement", "executeur", "expirer_lots",
           "fermer_orphelins", "routes"]

