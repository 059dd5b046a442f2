"""Bulk jobs of the HTTP service (table ``lots``): one uploaded flux file, its state and its counts.

States: ``en_attente`` (uploaded, queued), ``en_cours``, ``termine`` (outputs and manifest published),
``refuse`` (the flux was refused as a whole: exit code 2 of ``orientation lot``), ``echec`` (write
error, internal error, interruption), ``expire`` (a finished job whose folder, upload and outputs, was
removed at the end of the retention period: its counts and message stay).  :data:`ACTIFS` are the states that count against the service's
limit on jobs.  The table holds no personal data: département, sizes, counts, French messages of
``orientation lot`` (which never carry a dossier's data).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from orientation.stockage.base import Base, HorodatageUTC, maintenant

ACTIFS = ("en_attente", "en_cours")
#: Finished states: the job's folder may be removed once the retention period is over.
FINIS = ("termine", "refuse", "echec")
EXPIRE = "expire"
ETATS = (*ACTIFS, *FINIS, EXPIRE)


class Lot(Base):
    """One bulk job."""

    __tablename__ = "lots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    departement: Mapped[str] = mapped_column(String(3), index=True)
    cle_id: Mapped[int] = mapped_column(ForeignKey("cles_api.id"))
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


def nouvel_identifiant() -> str:
    return uuid.uuid4().hex


def actifs(session: Session) -> int:
    """Number of jobs queued or running (every process of the service)."""
    return int(session.scalar(select(func.count()).select_from(Lot).where(Lot.etat.in_(ACTIFS))) or 0)


def creer_lot(session: Session, lot: Lot) -> Lot:
    lot.etat = "en_attente"
    lot.cree_le = maintenant()
    session.add(lot)
    session.commit()
    return lot


def lire_lot(session: Session, identifiant: str) -> Optional[Lot]:
    return session.get(Lot, identifiant) if len(identifiant) == 32 else None


def abandonner_orphelins(session: Session, avant: datetime) -> int:
    """Mark as failed the jobs still queued or running that were created before ``avant`` (the service's start):
    their process is gone with the previous run of the service.  Returns how many."""
    orphelins = list(session.scalars(select(Lot).where(Lot.etat.in_(ACTIFS), Lot.cree_le < avant)))
    for lot in orphelins:
        lot.etat, lot.fin_le = "echec", maintenant()
        lot.message = "lot interrompu par l'arrêt du service avant sa fin : le téléverser de nouveau"
    session.commit()
    return len(orphelins)


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
