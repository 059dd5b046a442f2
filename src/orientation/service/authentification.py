"""Bearer authentication of the calling systems by API key, and the département scope of a key.

``Authorization: Bearer orn_...`` is checked against the database on **every request**
(:func:`orientation.stockage.cles.verifier_cle_connexion`: one indexed read through a pooled connection,
digest compared in constant time, revoked keys refused): a key revoked by ``orientation cles revoquer``
is refused by every process of the service from the next request on.  (Until session 8 a verified key
was trusted for 2 s without reading the database; the read costs about 40 µs on SQLite: see the README's
benchmark figures.)  No key, a malformed or unknown key: 401; a key asking for a dossier of a
département it is not given: 403 (:func:`exiger_departement`).
"""

from __future__ import annotations

from typing import Optional

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from orientation.service.intergiciels import ETAT_NOM_CLE
from orientation.service.problemes import ErreurService
from orientation.stockage.cles import CleVerifiee, prefixe_de, verifier_cle_connexion

_PORTEUR = HTTPBearer(auto_error=False, scheme_name="cle_api",
                      description="clé d'API créée par « orientation cles creer » : Authorization: Bearer orn_...")
_DEFI = {"WWW-Authenticate": 'Bearer realm="orientation"'}


class Authentificateur:
    """Verifies keys against the database at each request (no cache: revocation is immediate)."""

    def __init__(self, moteur: Engine):
        self._moteur = moteur
        # a local SQLite file (WAL: readers never wait for the writer) is read in the event loop, as the
        # single-dossier decision is computed: a thread hop would cost more than the read; a server is
        # read from a thread (network round trips)
        self._en_ligne = moteur.dialect.name == "sqlite"

    def _verifier(self, cle: str) -> Optional[CleVerifiee]:
        with self._moteur.connect() as connexion:
            return verifier_cle_connexion(connexion, cle)

    async def verifier(self, cle: str) -> Optional[CleVerifiee]:
        """The key's rights, or ``None`` (unknown, revoked, malformed: a malformed key reads no database)."""
        if prefixe_de(cle) is None:
            return None
        if self._en_ligne:
            return self._verifier(cle)
        return await run_in_threadpool(self._verifier, cle)


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
