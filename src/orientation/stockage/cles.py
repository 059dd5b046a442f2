"""API keys of the calling systems: created once (shown once), stored as a digest, limited to départements.

A key reads ``orn_<prefix>_<secret>``: the prefix (10 characters, public) finds the key's row, the
secret (43 characters of :func:`secrets.token_urlsafe`, 256 bits) proves it.  Only the SHA-256 digest
of the whole key is stored: a key drawn at random with 256 bits of entropy cannot be found again from
its digest, so a slow password hash (argon2, for the human passwords of the workspace) is not needed
here.  Digests are compared in constant time (:func:`hmac.compare_digest`).

>>> cle = nouvelle_cle()
>>> cle.startswith("orn_") and prefixe_de(cle) == cle.split("_")[1]
True
>>> prefixe_de("Bearer n'importe quoi") is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Connection, Integer, String, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from orientation.dossier.schema import DEPARTEMENTS
from orientation.erreurs import OrientationError
from orientation.stockage.base import Base, HorodatageUTC, maintenant

_FORME = re.compile(r"^orn_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{43})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NOM_MAX = 64


class CleInvalide(OrientationError, ValueError):
    """A key cannot be created or revoked as asked (French message naming the value and the reason)."""


class CleApi(Base):
    """One API key of a calling system (table ``cles_api``)."""

    __tablename__ = "cles_api"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nom: Mapped[str] = mapped_column(String(NOM_MAX), index=True)
    prefixe: Mapped[str] = mapped_column(String(16), unique=True)
    empreinte: Mapped[str] = mapped_column(String(64))
    departements: Mapped[list[str]] = mapped_column(JSON)
    creee_le: Mapped[datetime] = mapped_column(HorodatageUTC())
    revoquee_le: Mapped[Optional[datetime]] = mapped_column(HorodatageUTC(), default=None)


@dataclass(frozen=True)
class CleVerifiee:
    """What a request authenticated by a key may do: its name (for the logs) and its départements."""

    id: int
    nom: str
    departements: frozenset[str]

    def autorise(self, departement: str) -> bool:
        return departement in self.departements


def nouvelle_cle() -> str:
    """A new random key ``orn_<prefix>_<secret>``."""
    prefixe = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    secret = secrets.token_urlsafe(32)
    while len(secret) != 43 or not re.fullmatch(r"[A-Za-z0-9_-]+", secret):  # pragma: no cover - always 43
        secret = secrets.token_urlsafe(32)
    return f"orn_{prefixe}_{secret}"


def prefixe_de(cle: str) -> Optional[str]:
    """The public prefix of a well-formed key, else ``None``."""
    trouve = _FORME.match(cle)
    return trouve.group(1) if trouve else None


def empreinte(cle: str) -> str:
    """SHA-256 (hex) of a key: what the database keeps."""
    return hashlib.sha256(cle.encode("utf-8")).hexdigest()


def _departements(departements: list[str]) -> list[str]:
    if not departements:
        raise CleInvalide("au moins un département est nécessaire (--departement 93)")
    inconnus = [d for d in departements if d not in DEPARTEMENTS]
    if inconnus:
        raise CleInvalide(f"département inconnu « {inconnus[0]} » (attendu 01 à 95, 2A, 2B, 971 à 976)")
    return sorted(set(departements))


def creer_cle(session: Session, nom: str, departements: list[str]) -> tuple[CleApi, str]:
    """Create and store a key for ``nom`` limited to ``departements``; (row, key in clear, to show once)."""
    nom = nom.strip()
    if not nom or len(nom) > NOM_MAX or not re.fullmatch(r"[A-Za-z0-9._-]+", nom):
        raise CleInvalide(f"nom de clé « {nom[:80]} » refusé : 1 à {NOM_MAX} caractères parmi lettres, chiffres, "
                          ". _ - (il apparaît dans les journaux du service)")
    cle = nouvelle_cle()
    ligne = CleApi(nom=nom, prefixe=prefixe_de(cle), empreinte=empreinte(cle),
                   departements=_departements(departements), creee_le=maintenant())
    session.add(ligne)
    session.commit()
    return ligne, cle


def lister_cles(session: Session) -> list[CleApi]:
    """Every key (revoked ones included), oldest first."""
    return list(session.scalars(select(CleApi).order_by(CleApi.id)))


def revoquer_cle(session: Session, prefixe_ou_cle: str) -> CleApi:
    """Revoke the key of this prefix (or given whole); refused when unknown or already revoked."""
    prefixe = prefixe_de(prefixe_ou_cle) or prefixe_ou_cle
    ligne = session.scalars(select(CleApi).where(CleApi.prefixe == prefixe)).first()
    if ligne is None:
        raise CleInvalide(f"aucune clé de préfixe « {prefixe[:20]} » (voir orientation cles lister)")
    if ligne.revoquee_le is not None:
        raise CleInvalide(f"la clé {prefixe} ({ligne.nom}) est déjà révoquée depuis le "
                          f"{ligne.revoquee_le:%d/%m/%Y %H:%M} UTC")
    ligne.revoquee_le = maintenant()
    session.commit()
    return ligne


#: What the verification of a key reads (columns only: no ORM object, a fraction of the cost at each request).
_LECTURE_CLE = select(CleApi.id, CleApi.nom, CleApi.empreinte, CleApi.departements, CleApi.revoquee_le).where(
    CleApi.prefixe == bindparam("prefixe"))


def verifier_cle(session: Session, cle: str) -> Optional[CleVerifiee]:
    """The key's rights if it exists, is not revoked and matches its digest (constant time), else ``None``."""
    return verifier_cle_connexion(session.connection(), cle)


def verifier_cle_connexion(connexion: Connection, cle: str) -> Optional[CleVerifiee]:
    """:func:`verifier_cle` on a plain connection (what the service does at every request)."""
    prefixe = prefixe_de(cle)
    if prefixe is None:
        return None
    ligne = connexion.execute(_LECTURE_CLE, {"prefixe": prefixe}).first()
    if ligne is None or ligne.revoquee_le is not None:
        return None
    if not hmac.compare_digest(ligne.empreinte, empreinte(cle)):
        return None
    return CleVerifiee(ligne.id, ligne.nom, frozenset(ligne.departements))
