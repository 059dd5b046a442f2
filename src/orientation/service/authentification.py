"""Bearer authentication of the calling systems by API key, and the département scope of a key.

``Authorization: Bearer orn_...`` is checked against the keys of the database
(:func:`orientation.stockage.cles.verifier_cle`: digest compared in constant time, revoked keys
refused).  A verified key is kept in memory for :attr:`Parametres.duree_cache_cles` seconds (a
request then reads no database); a revoked key is refused at most that long after
``orientation cles revoquer``.  No key, a malformed or unknown key: 401; a key asking for a dossier
of a département it is not given: 403 (:func:`exiger_departement`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Optional

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from orientation.service.intergiciels import ETAT_NOM_CLE
from orientation.service.problemes import ErreurService
from orientation.stockage.cles import CleVerifiee, verifier_cle

_PORTEUR = HTTPBearer(auto_error=False, scheme_name="cle_api",
                      description="clé d'API créée par « orientation cles creer » : Authorization: Bearer orn_...")
_DEFI = {"WWW-Authenticate": 'Bearer realm="orientation"'}


class Authentificateur:
    """Verifies keys against the database, with a short in-memory cache of verified keys."""

    def __init__(self, sessions: sessionmaker[Session], duree_cache: float):
        self._sessions = sessions
        self._duree = duree_cache
        self._cache: dict[str, tuple[float, CleVerifiee]] = {}
        self._verrou = threading.Lock()

    def _verifier(self, cle: str) -> Optional[CleVerifiee]:
        with self._sessions() as session:
            return verifier_cle(session, cle)

    async def verifier(self, cle: str) -> Optional[CleVerifiee]:
        """The key's rights, or ``None`` (unknown, revoked, malformed)."""
        index = hashlib.sha256(cle.encode("utf-8", "replace")).hexdigest()
        trouve = self._cache.get(index)
        maintenant = time.monotonic()
        if trouve is not None and maintenant - trouve[0] < self._duree:
            return trouve[1]
        verifiee = await run_in_threadpool(self._verifier, cle)
        with self._verrou:
            if verifiee is None:
                self._cache.pop(index, None)
            elif self._duree > 0:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[index] = (maintenant, verifiee)
        return verifiee


async def cle_api(request: Request,
                  porteur: Optional[HTTPAuthorizationCredentials] = Depends(_PORTEUR)) -> CleVerifiee:
    """FastAPI dependency: the verified API key of the request (401 otherwise)."""
    if porteur is None or porteur.scheme.lower() != "bearer" or not porteur.credentials:
        raise ErreurService(401, "authentification", "clé d'API manquante : envoyer l'en-tête « Authorization: "
                            "Bearer <clé> » (clé créée par « orientation cles creer »)", entetes=_DEFI)
    verifiee = await request.app.state.service.authentificateur.verifier(porteur.credentials)
    if verifiee is None:
        raise ErreurService(401, "authentification", "clé d'API inconnue, révoquée ou mal formée", entetes=_DEFI)
    request.scope.setdefault("state", {})[ETAT_NOM_CLE] = verifiee.nom
    return verifiee


def exiger_departement(cle: CleVerifiee, departement: str) -> None:
    """403 unless ``cle`` is given ``departement``."""
    if not cle.autorise(departement):
        raise ErreurService(403, "departement-interdit",
                            f"la clé « {cle.nom} » n'est autorisée que pour le(s) département(s) "
                            f"{', '.join(sorted(cle.departements))} : demande pour le département "
                            f"« {str(departement)[:10]} » refusée")
