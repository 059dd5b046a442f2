"""Server-side browser sessions and CSRF tokens (synchroniser token pattern).

The cookie :data:`COOKIE` holds a random token (256 bits); the database keeps only its SHA-256
(table ``sessions_espace``), the account (none before login) and the session's CSRF token.  Login
opens a **new** session and deletes the previous one (no session fixation); logout deletes it.  A
session ends after :data:`INACTIVITE` without a request, or :data:`DUREE_MAX` after it was opened.
Every form carries the CSRF token in a hidden field; :func:`jeton_csrf_valide` compares it in
constant time (a missing or wrong token: 403).  The cookie is ``HttpOnly``, ``SameSite=Lax``,
``Path=/espace`` and ``Secure`` when the request came over HTTPS or :data:`VARIABLE_HTTPS` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orientation.stockage.base import maintenant
from orientation.stockage.espace import SessionEspace

COOKIE = "orientation_espace"
INACTIVITE = timedelta(hours=2)
DUREE_MAX = timedelta(hours=12)
#: Set to 1 when the workspace is served behind an HTTPS proxy: the cookie then always carries ``Secure``.
VARIABLE_HTTPS = "ORIENTATION_ESPACE_HTTPS"


def _empreinte(jeton: str) -> str:
    return hashlib.sha256(jeton.encode("utf-8", "replace")).hexdigest()


def ouvrir(session: Session, utilisateur_id: Optional[int] = None, remplace: Optional[str] = None) -> tuple[str, SessionEspace]:
    """A new session (token for the cookie, row); the session of token ``remplace`` is deleted."""
    if remplace:
        session.execute(delete(SessionEspace).where(SessionEspace.empreinte == _empreinte(remplace)))
    jeton = secrets.token_urlsafe(32)
    t = maintenant()
    ligne = SessionEspace(empreinte=_empreinte(jeton), utilisateur_id=utilisateur_id,
                          jeton_csrf=secrets.token_urlsafe(32), creee_le=t, vue_le=t)
    session.add(ligne)
    session.commit()
    return jeton, ligne


def lire(session: Session, jeton: Optional[str]) -> Optional[SessionEspace]:
    """The live session of a cookie token (its last activity updated), else ``None`` (expired ones deleted)."""
    if not jeton or len(jeton) > 100:
        return None
    ligne = session.scalars(select(SessionEspace).where(SessionEspace.empreinte == _empreinte(jeton))).first()
    if ligne is None:
        return None
    t = maintenant()
    if t - ligne.vue_le > INACTIVITE or t - ligne.creee_le > DUREE_MAX:
        session.delete(ligne)
        session.commit()
        return None
    if t - ligne.vue_le > timedelta(minutes=1):  # not a write per request
        ligne.vue_le = t
        session.commit()
    return ligne


def fermer(session: Session, jeton: Optional[str]) -> None:
    if jeton:
        session.execute(delete(SessionEspace).where(SessionEspace.empreinte == _empreinte(jeton)))
        session.commit()


def jeton_csrf_valide(ligne: Optional[SessionEspace], recu: Optional[str]) -> bool:
    """The form's token is the session's (constant-time comparison)."""
    if ligne is None or not recu:
        return False
    return hmac.compare_digest(ligne.jeton_csrf.encode(), recu.encode("utf-8", "replace"))


def cookie_securise(schema: str) -> bool:
    return schema == "https" or os.environ.get(VARIABLE_HTTPS, "") not in ("", "0")


__all__ = ["COOKIE", "VARIABLE_HTTPS", "cookie_securise", "fermer", "jeton_csrf_valide", "lire", "ouvrir"]
