"""Imports uploaded by an administrator in the browser, run as background jobs of the service.

The upload (a flux file, or the outputs of ``orientation lot`` with their flux) is stored in the job's folder
(:func:`orientation.service.lots.dossier_lot`) and recorded in the service's jobs table (:mod:`orientation.stockage.lots`:
same states, same limit on active jobs, same orphan marking at start and same retention of folders); the
job is queued on the service's executor (:func:`orientation.service.lots.executeur`: one job at a time per
process, outside the request loop) and imports with :func:`~orientation.espace.importation.importer_flux` or
:func:`~orientation.espace.import_lot.importer_lot`, writing its progress (records read over the records of
the file, counted as the bulk reader cuts them) after each committed block.

Workspace jobs are the rows of origin ``espace`` (no API key; the uploading account in ``utilisateur_id``, and
in the access journal).  Workspace pages show only those of the administrator's département; ``/v1/lots``
never shows them.  Like the service's jobs, they get a heartbeat from their process and are closed as orphans
if it dies (:mod:`orientation.stockage.lots`).

When a job ends, the uploaded files are deleted; the rejected rows are kept in ``rejets.csv`` (downloadable
by the département's administrators until the folder's retention ends).  The jobs table keeps only counts
and French messages, never an identifier.  Each block is one transaction: an error in the middle leaves the
blocks already committed, and the job's message says how many dossiers they hold and that importing again
is safe (idempotent).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.erreurs import OrientationError
from orientation.espace.import_lot import importer_lot
from orientation.espace.importation import TAILLE_LOT, RapportImport, importer_flux
from orientation.espace.journal import journaliser
from orientation.flux.sorties import EcrivainRejets, chemin_manifeste
from orientation.service.etat import Service
from orientation.service.lots import compter_enregistrements, dossier_lot, executeur
from orientation.stockage import lots as table
from orientation.stockage.espace import Utilisateur

#: The origin of the workspace's jobs in the jobs table.
ORIGINE = "espace"
#: Format of a job importing the outputs of ``orientation lot`` (a flux import's is the flux's: csv, jsonl, parquet).
FORMAT_LOT = "lot"
#: Extensions of a flux file, and the format the jobs table records for each.
FORMATS_FLUX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
#: Names of the stored files in the job's folder (none is one of the service's outputs: /v1/lots serves none).
DECISIONS, EXPLICATIONS = "lot-decisions.csv", "lot-explications.jsonl"
REJETS = "rejets.csv"
#: Rows per block (one transaction each; progress is written after each).
TAILLE_BLOC = TAILLE_LOT
#: The uploaded names of the stored files (for the job's messages), removed with the uploads.
NOMS = "televerses.json"
_journal = logging.getLogger("orientation.espace.televersements")


@dataclass(frozen=True)
class Entree:
    """The stored files of a job (explanations and decisions: imports of ``orientation lot``'s outputs)."""

    flux: Path
    decisions: Optional[Path] = None
    explications: Optional[Path] = None


def fichiers(dossier: Path) -> Entree:
    """The stored inputs of the job whose folder is ``dossier``."""
    flux = next((p for p in sorted(dossier.glob("entree.*"))), dossier / "entree.csv")
    decisions = dossier / DECISIONS
    explications = dossier / EXPLICATIONS
    return Entree(flux, decisions if decisions.is_file() else None, explications if explications.is_file() else None)


def chemin_flux(dossier: Path, extension: str) -> Path:
    return dossier / f"entree{extension}"


def chemin_decisions(dossier: Path) -> Path:
    return dossier / DECISIONS


def chemin_manifeste_lot(dossier: Path) -> Path:
    """Where the run's manifest is stored: next to the decisions, as the import expects it."""
    return chemin_manifeste(dossier / DECISIONS)


def visible(session: Session, identifiant: str, departement: str) -> Optional[table.Lot]:
    """The workspace job ``identifiant`` of ``departement`` (another département's, or an API job: ``None``)."""
    lot = table.lire_lot_suivi(session, identifiant)
    if lot is None or lot.departement != departement or lot.origine != ORIGINE:
        return None
    return lot


def recents(session: Session, departement: str, nombre: int = 10) -> list[table.Lot]:
    """The département's latest workspace jobs, newest first."""
    return list(session.scalars(select(table.Lot).where(table.Lot.departement == departement,
                                                        table.Lot.origine == ORIGINE)
                                .order_by(table.Lot.cree_le.desc()).limit(nombre)))


def nouveau(session: Session, identifiant: str, utilisateur: Utilisateur, format_: str, octets: int,
            explications: bool) -> table.Lot:
    """Record a new queued workspace job of ``utilisateur``'s département, uploaded by that account."""
    return table.creer_lot(session, table.Lot(id=identifiant, departement=utilisateur.departement, origine=ORIGINE,
                                              utilisateur_id=utilisateur.id, format=format_,
                                              explications=explications, octets=octets))


def soumettre(service: Service, identifiant: str, utilisateur_id: int) -> None:
    """Queue the stored job ``identifiant`` on the service's executor."""
    executeur(service).soumettre(identifiant, lambda i: executer(service, i, utilisateur_id))


def _sans_chemins(texte: str, dossier: Path, noms: dict[str, str]) -> str:
    """A French message without the server's paths: each stored file is named as it was uploaded."""
    for stocke, nom in sorted(noms.items(), key=lambda kv: -len(kv[0])):
        texte = texte.replace(str(dossier / stocke), f"« {nom} »")
    return texte.replace(str(dossier) + "/", "")


def executer(service: Service, identifiant: str, utilisateur_id: int) -> None:
    """Run the job (in the executor's thread): import, progress, counts, rejects file, journal; never raises."""
    taille_lot = TAILLE_BLOC
    sessions = service.sessions
    dossier = dossier_lot(service, identifiant)
    with sessions() as s:
        lot = table.lire_lot(s, identifiant)
        if lot is None:  # pragma: no cover - deleted meanwhile
            return
        departement, format_ = lot.departement, lot.format
        if not table.demarrer(s, identifiant):  # closed meanwhile (an orphan): not run
            _journal.warning("import %s : clos avant son début (orphelin), non traité", identifiant)
            return
    entree = fichiers(dossier)
    noms = _noms(dossier)
    rapport = RapportImport(departement)
    ecrit = [0, 0, 0]  # dossiers added, updated, left as decided, in the blocks committed so far

    def avancer(_: int) -> None:
        ecrit[:] = [rapport.crees, rapport.mis_a_jour, rapport.deja_decides]
        with sessions() as s2:
            table.mettre_a_jour(s2, identifiant, lignes_lues=rapport.lignes, decidees=rapport.crees + rapport.mis_a_jour,
                                rejetees=rapport.rejetees)

    etat, message = "termine", ""
    try:
        total = compter_enregistrements(entree.flux)
        if total is not None:
            with sessions() as s:
                table.mettre_a_jour(s, identifiant, lignes_estimees=total)
        o = service.orientateur
        referentiel, modele = o.referentiel(departement), o.modele
        if format_ == FORMAT_LOT:
            if entree.decisions is None:
                raise OrientationError("fichier des décisions absent du lot téléversé")
            importer_lot(sessions, entree.flux, entree.decisions, entree.explications, departement, referentiel,
                         modele, taille_lot=taille_lot, avancer=avancer, rapport=rapport)
        else:
            importer_flux(sessions, entree.flux, departement, referentiel, modele, taille_lot=taille_lot,
                          avancer=avancer, rapport=rapport)
        message = rapport.bilan()
    except Exception as exc:  # noqa: BLE001 - the job records every failure; nothing reaches the user raw
        if isinstance(exc, OrientationError):
            raison = _sans_chemins(str(exc), dossier, noms)
        elif isinstance(exc, OSError):
            raison = f"lecture ou écriture impossible ({exc.strerror or type(exc).__name__})"
        else:
            _journal.error("import %s : erreur interne inattendue (%s)", identifiant, type(exc).__name__)
            raison = f"erreur interne inattendue ({type(exc).__name__}) : à signaler aux administrateurs du service"
        etat, message = _echec(raison, ecrit)
    if etat == "termine":
        ecrit[:] = [rapport.crees, rapport.mis_a_jour, rapport.deja_decides]
    try:
        _ecrire_rejets(dossier, rapport)
    except OSError as exc:  # pragma: no cover - disk full
        message += f"\nFichier des rejets non écrit ({exc.strerror or type(exc).__name__})."
    for p in (entree.flux, entree.decisions, entree.explications, chemin_manifeste_lot(dossier), dossier / NOMS):
        if p is not None:
            p.unlink(missing_ok=True)  # personal data: only the rejects stay, until the folder's retention ends
    if len(rapport.rejets) < rapport.rejetees:
        message += (f"\nLe fichier des rejets donne les {len(rapport.rejets)} premières erreurs sur "
                    f"{rapport.rejetees} ligne(s) rejetée(s).")
    with sessions() as s:
        if not table.terminer(s, identifiant, etat, message=message, lignes_lues=rapport.lignes,
                              decidees=ecrit[0] + ecrit[1], rejetees=rapport.rejetees):
            _journal.warning("import %s : fin non enregistrée, l'import avait été clos comme orphelin", identifiant)
        u = s.get(Utilisateur, utilisateur_id)
        journaliser(s, u if u is not None else "(compte supprimé)", "import", departement,
                    detail=f"import {identifiant} ({etat}) : {ecrit[0]} ajouté(s), {ecrit[1]} mis à jour, "
                           f"{rapport.rejetees} ligne(s) rejetée(s)")
        s.commit()


def _echec(raison: str, ecrit: list[int]) -> tuple[str, str]:
    """State and French message of a job stopped by ``raison``, saying what the committed blocks hold."""
    ajoutes, mis_a_jour, laisses = ecrit
    if ajoutes + mis_a_jour + laisses == 0:
        return "refuse", f"Import refusé : {raison}. Aucun dossier n'a été enregistré."
    return "echec", (f"Import interrompu : {raison}. Avant l'erreur, {ajoutes} dossier(s) ont été ajoutés et "
                     f"{mis_a_jour} mis à jour ({laisses} déjà décidé(s) laissé(s) tels quels) : ils restent "
                     "dans la base. Corriger le fichier puis l'importer de nouveau est sans risque (un dossier "
                     "déjà importé n'est pas dupliqué, un dossier déjà décidé n'est pas modifié).")


def _ecrire_rejets(dossier: Path, rapport: RapportImport) -> None:
    if not rapport.rejets:
        return
    with open(dossier / REJETS, "w", encoding="utf-8", newline="") as f:
        EcrivainRejets(f).ecrire(sorted(rapport.rejets, key=lambda r: r.ligne))


def noter_noms(dossier: Path, noms: dict[str, str]) -> None:
    """Keep the uploaded names of the stored files (stored name -> uploaded name) for the job's messages."""
    (dossier / NOMS).write_text(json.dumps(noms, ensure_ascii=False), encoding="utf-8")


def _noms(dossier: Path) -> dict[str, str]:
    try:
        noms = json.loads((dossier / NOMS).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in noms.items()} if isinstance(noms, dict) else {}
    except (OSError, ValueError):
        return {}


def supprimer(dossier: Path) -> None:
    shutil.rmtree(dossier, ignore_errors=True)


def progression(lot: table.Lot) -> Optional[float]:
    """Share of the file's records done (0 to 1), ``None`` when unknown."""
    if lot.etat == "termine":
        return 1.0
    if lot.etat == "en_attente":
        return 0.0
    if lot.etat == "en_cours" and lot.lignes_estimees:
        return min(1.0, (lot.lignes_lues or 0) / lot.lignes_estimees)
    return None


__all__ = ["DECISIONS", "EXPLICATIONS", "FORMATS_FLUX", "FORMAT_LOT", "ORIGINE", "REJETS", "Entree", "executer",
           "fichiers", "nouveau", "progression", "recents", "soumettre", "visible"]
