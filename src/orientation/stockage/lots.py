"""Bulk jobs of the HTTP service (table ``lots``): one uploaded flux file, its state and its counts.

States: ``en_attente`` (uploaded, queued), ``en_cours``, ``termine`` (outputs and manifest published),
``refuse`` (the flux was refused as a whole: exit code 2 of ``orientation lot``), ``echec`` (write
error, internal error, interruption), ``expire`` (a finished job whose folder, upload and outputs, was
removed at the end of the retention period: its counts and message stay).  :data:`ACTIFS` are the states that count against the service's
limit on jobs.  The table holds no personal data: département, sizes, counts, French messages of
``orientation lot`` (which never carry a dossier's data).

Origin (``origine``): ``api`` (a calling system's job, ``/v1/lots``: its key in ``cle_id``) or ``espace`` (a
workspace import: no key, the account that uploaded it in ``utilisateur_id``); the database checks that a job
has a key exactly when it comes from the API (revision 0006).

Orphans: a job belongs to the process that accepted it (``hote``: machine and pid namespace, ``pid``), which
queues and runs it.  That process writes a heartbeat (``vu_le``) on all its active jobs every
:data:`BATTEMENT_SECONDES` seconds (:func:`battre`).  A job still queued or running is an **orphan** when its
heartbeat is older than :data:`DELAI_ORPHELIN_SECONDES`, or at once when its owner ran on this machine and is
no longer alive; :func:`abandonner_orphelins` (at the service's start and at each periodic tick) closes it as
``echec`` with a French message.  The clocks of the machines sharing one database must agree to well under
the delay (NTP).
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Callable, Iterable, Optional

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, func, or_, select,
                        update)
from sqlalchemy.orm import Mapped, Session, mapped_column

from orientation.stockage.base import Base, HorodatageUTC, maintenant

ACTIFS = ("en_attente", "en_cours")
#: Finished states: the job's folder may be removed once the retention period is over.
FINIS = ("termine", "refuse", "echec")
EXPIRE = "expire"
ETATS = (*ACTIFS, *FINIS, EXPIRE)
#: Where a job comes from: a calling system (``/v1/lots``) or the referent workspace (an import).
ORIGINES = ("api", "espace")
#: Seconds between two heartbeats of a process on its active jobs.
BATTEMENT_SECONDES = 30
#: Seconds without a heartbeat after which an active job is an orphan (ten missed heartbeats).
DELAI_ORPHELIN_SECONDES = 300
#: Largest process id a system may give (Linux's ``pid_max`` at most 2**22): beyond, no process.
_PID_MAX = 1 << 22


class Lot(Base):
    """One bulk job."""

    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint("origine IN ('api', 'espace')", name="origine_connue"),
        CheckConstraint("(origine = 'api' AND cle_id IS NOT NULL AND utilisateur_id IS NULL) "
                        "OR (origine = 'espace' AND cle_id IS NULL)", name="cle_selon_origine"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    departement: Mapped[str] = mapped_column(String(3), index=True)
    origine: Mapped[str] = mapped_column(String(8))
    cle_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cles_api.id"), default=None)
    utilisateur_id: Mapped[Optional[int]] = mapped_column(ForeignKey("utilisateurs.id", ondelete="SET NULL"),
                                                          default=None)
    etat: Mapped[str] = mapped_column(String(16), index=True)
    format: Mapped[str] = mapped_column(String(8))
    explications: Mapped[bool] = mapped_column(Boolean)
    octets: Mapped[int] = mapped_column(BigInteger)
    lignes_estimees: Mapped[Optional[int]] = mapped_column(Integer, default=None)
    cree_le: Mapped[datetime] = mapped_column(HorodatageUTC())
    debut_le: Mapped[Optional[datetime]] = mapped_column(HorodatageUTC(), default=None)
    fin_le: Mapped[Optional[datetime]] = mapped_column(HorodatageUTC(), default=None)
    lignes_lues: Mapped[Optional[int]] = mapped_column(Integer, default=None)
    decidees: Mapped[Optional[int]] = mapped_column(Integer, default=None)
    rejetees: Mapped[Optional[int]] = mapped_column(Integer, default=None)
    message: Mapped[Optional[str]] = mapped_column(Text, default=None)
    vu_le: Mapped[Optional[datetime]] = mapped_column(HorodatageUTC(), default=None)
    hote: Mapped[Optional[str]] = mapped_column(String(255), default=None)
    pid: Mapped[Optional[int]] = mapped_column(Integer, default=None)


def nouvel_identifiant() -> str:
    return uuid.uuid4().hex


def actifs(session: Session) -> int:
    """Number of jobs queued or running (every process of the service)."""
    return int(session.scalar(select(func.count()).select_from(Lot).where(Lot.etat.in_(ACTIFS))) or 0)


def place_libre(session: Session, maximum: int) -> bool:
    """Whether a new job may be queued (fewer than ``maximum`` active in the whole service); at the limit, the
    orphans are closed first (:func:`abandonner_orphelins`): the jobs of a process gone do not keep the service
    full until the next periodic tick."""
    if actifs(session) < maximum:
        return True
    return abandonner_orphelins(session) > 0 and actifs(session) < maximum


def hote() -> str:
    """This machine as a job's owner: its name, and its pid namespace where the system tells it (two containers
    sharing a host name but not their process ids are two owners)."""
    nom = socket.gethostname()[:200] or "?"
    try:
        return f"{nom}/{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:  # not Linux, or no /proc
        return nom


def processus_vivant(pid: int) -> bool:
    """Whether process ``pid`` of this machine exists (a recycled id counts as alive: the heartbeat decides then)."""
    if not 0 < pid < _PID_MAX:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:  # pragma: no cover - not knowable: let the heartbeat decide
        return True
    return True


def creer_lot(session: Session, lot: Lot) -> Lot:
    """Record a new queued job, owned by this process (heartbeat from now)."""
    lot.etat = "en_attente"
    lot.cree_le = lot.vu_le = maintenant()
    lot.hote, lot.pid = hote(), os.getpid()
    session.add(lot)
    session.commit()
    return lot


def lire_lot(session: Session, identifiant: str) -> Optional[Lot]:
    return session.get(Lot, identifiant) if len(identifiant) == 32 else None


def lire_lot_suivi(session: Session, identifiant: str, maintenant_: Optional[datetime] = None) -> Optional[Lot]:
    """:func:`lire_lot` for a reader following the job: an active job silent beyond the delay is closed first
    (:func:`abandonner_orphelins`), so that its reader is not told « en cours » until the next periodic tick."""
    lot = lire_lot(session, identifiant)
    t = maintenant_ or maintenant()
    if lot is not None and lot.etat in ACTIFS and (
            lot.vu_le is None or lot.vu_le < t - timedelta(seconds=DELAI_ORPHELIN_SECONDES)):
        abandonner_orphelins(session, t)
        session.refresh(lot)
    return lot


def demarrer(session: Session, identifiant: str) -> bool:
    """Mark a queued job running (one conditional UPDATE); False when it is no longer queued (closed meanwhile,
    e.g. as an orphan): the caller must not run it."""
    t = maintenant()
    n = session.execute(update(Lot).where(Lot.id == identifiant, Lot.etat == "en_attente")
                        .values(etat="en_cours", debut_le=t, vu_le=t, hote=hote(), pid=os.getpid())).rowcount
    session.commit()
    return bool(n)


def terminer(session: Session, identifiant: str, etat: str, **champs: object) -> bool:
    """Record the end of an active job (state ``etat``, ``fin_le`` now, other columns); False, and nothing
    written, when the job was closed meanwhile (as an orphan): its state stays the one its user was shown."""
    n = session.execute(update(Lot).where(Lot.id == identifiant, Lot.etat.in_(ACTIFS))
                        .values(etat=etat, fin_le=maintenant(), **champs)).rowcount
    session.commit()
    return bool(n)


def battre(session: Session, identifiants: Iterable[str], t: Optional[datetime] = None) -> int:
    """Heartbeat of this process on its active jobs ``identifiants``; how many were still active."""
    ids = list(identifiants)
    n = 0
    for k in range(0, len(ids), 500):  # bounded IN lists
        n += session.execute(update(Lot).where(Lot.id.in_(ids[k:k + 500]), Lot.etat.in_(ACTIFS))
                             .values(vu_le=t or maintenant())).rowcount
    session.commit()
    return n


def abandonner_orphelins(session: Session, maintenant_: Optional[datetime] = None,
                         delai: float = DELAI_ORPHELIN_SECONDES,
                         vivant: Callable[[int], bool] = processus_vivant) -> int:
    """Close as ``echec`` the orphaned jobs (see the module's doc); returns how many.

    A job is an orphan when it is queued or running and its heartbeat is older than ``delai`` seconds (or
    missing), or when its owner process ran on this machine (:func:`hote`) and ``vivant(pid)`` says it is gone.
    Safe with several processes at once and against a heartbeat arriving meanwhile: each job is closed by one
    UPDATE conditional on the heartbeat read.  ``maintenant_`` and ``vivant`` are injected by the tests.
    """
    t = maintenant_ or maintenant()
    limite = t - timedelta(seconds=delai)
    ici = hote()
    lignes = session.execute(select(Lot.id, Lot.vu_le, Lot.hote, Lot.pid).where(
        Lot.etat.in_(ACTIFS), or_(Lot.vu_le.is_(None), Lot.vu_le < limite, Lot.hote == ici))).all()
    n = 0
    for identifiant, vu_le, proprietaire, pid in lignes:
        perime = vu_le is None or vu_le < limite
        if not perime and not (proprietaire == ici and pid is not None and pid != os.getpid() and not vivant(pid)):
            continue  # an owner of this machine, alive
        if perime:
            raison = ("aucun signe de vie du processus qui le traitait depuis le "
                      f"{vu_le:%d/%m/%Y à %H:%M} UTC" if vu_le else "processus qui le traitait inconnu")
        else:
            raison = "le processus du service qui le traitait s'est arrêté"
        condition = Lot.vu_le.is_(None) if vu_le is None else Lot.vu_le == vu_le
        n += session.execute(update(Lot).where(Lot.id == identifiant, Lot.etat.in_(ACTIFS), condition).values(
            etat="echec", fin_le=t, message=f"lot interrompu avant sa fin ({raison}) : le téléverser de nouveau"
        )).rowcount
    session.commit()
    return n


def finis_avant(session: Session, avant: datetime) -> list[str]:
    """Ids of the finished jobs (done, refused or failed) that ended before ``avant``, oldest first."""
    return list(session.scalars(select(Lot.id).where(Lot.etat.in_(FINIS), Lot.fin_le < avant).order_by(Lot.fin_le)))


def expires_parmi(session: Session, identifiants: list[str]) -> list[str]:
    """Those of ``identifiants`` that are expired jobs."""
    ids = [i for i in identifiants if len(i) == 32]
    out: list[str] = []
    for k in range(0, len(ids), 500):  # bounded IN lists
        out += session.scalars(select(Lot.id).where(Lot.id.in_(ids[k:k + 500]), Lot.etat == EXPIRE))
    return out


def marquer_expire(session: Session, identifiant: str, note: str) -> bool:
    """Mark a finished job ``expire`` (its counts stay, ``note`` is added to its message); False if not finished.

    One conditional UPDATE: when several processes try at once, exactly one gets True (it owns the job's
    folder and removes it).
    """
    lot = session.get(Lot, identifiant)
    if lot is None or lot.etat not in FINIS:
        return False
    message = f"{lot.message}\n{note}" if lot.message else note
    n = session.execute(update(Lot).where(Lot.id == identifiant, Lot.etat.in_(FINIS))
                        .values(etat=EXPIRE, message=message)).rowcount
    session.commit()
    return bool(n)


def mettre_a_jour(session: Session, identifiant: str, **champs: object) -> None:
    lot = session.get(Lot, identifiant)
    if lot is None:  # pragma: no cover - deleted meanwhile
        return
    for k, v in champs.items():
        setattr(lot, k, v)
    session.commit()
