"""Accounts of the workspace: creation, listing, deactivation, argon2 passwords, login rate limit.

Passwords are hashed with argon2id (:class:`argon2.PasswordHasher`, its default parameters, RFC 9106);
the hash is rehashed on login when the library's parameters change.  Login attempts are stored in the
database (table ``tentatives_connexion``: digest of the e-mail given, IP), so that the limit holds
across worker processes: :data:`ECHECS_COMPTE` failures for an account, or :data:`ECHECS_IP` from one
address, within :data:`FENETRE` lock further attempts until the window has passed.

>>> normaliser_courriel("  Jeanne.Referente@Departement93.FR ")
'jeanne.referente@departement93.fr'
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from orientation.dossier.schema import DEPARTEMENTS
from orientation.erreurs import OrientationError
from orientation.stockage.base import maintenant
from orientation.stockage.espace import ROLES, TentativeConnexion, Utilisateur

HACHEUR = PasswordHasher()
LONGUEUR_MIN_MOT_DE_PASSE = 12
#: Rate limit of logins: failures per account and per IP within the window.
ECHECS_COMPTE = 5
ECHECS_IP = 30
FENETRE = timedelta(minutes=15)
_COURRIEL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
#: Verified against when the e-mail is unknown, so that an unknown account takes as long as a known one.
_EMPREINTE_LEURRE = HACHEUR.hash(secrets.token_urlsafe(16))


class CompteInvalide(OrientationError, ValueError):
    """An account cannot be created or changed as asked (French message naming the value and the reason)."""


def normaliser_courriel(courriel: str) -> str:
    return courriel.strip().lower()


def empreinte_compte(courriel: str) -> str:
    """SHA-256 of the normalised e-mail: what the attempts table keeps (unknown e-mails are not stored in clear)."""
    return hashlib.sha256(normaliser_courriel(courriel).encode("utf-8", "replace")).hexdigest()


def generer_mot_de_passe() -> str:
    """A random password (20 characters, about 119 bits)."""
    return secrets.token_urlsafe(15)


def ajouter_utilisateur(session: Session, courriel: str, role: str, departement: str, mot_de_passe: str,
                        habilite_validation: bool = False) -> Utilisateur:
    """Create an account; French :class:`CompteInvalide` for a bad e-mail, role, département or password."""
    courriel = normaliser_courriel(courriel)
    if not _COURRIEL.fullmatch(courriel):
        raise CompteInvalide(f"courriel « {courriel[:80]} » invalide (attendu prenom.nom@domaine.fr)")
    if role not in ROLES:
        raise CompteInvalide(f"rôle « {role[:40]} » inconnu (attendu : {', '.join(ROLES)})")
    if departement not in DEPARTEMENTS:
        raise CompteInvalide(f"département inconnu « {departement[:10]} » (attendu 01 à 95, 2A, 2B, 971 à 976)")
    if len(mot_de_passe) < LONGUEUR_MIN_MOT_DE_PASSE:
        raise CompteInvalide(f"mot de passe trop court ({len(mot_de_passe)} caractères) : au moins "
                             f"{LONGUEUR_MIN_MOT_DE_PASSE} caractères")
    if habilite_validation and role != "referent":
        raise CompteInvalide("seul un compte « referent » peut être habilité à valider les orientations directes")
    if session.scalars(select(Utilisateur.id).where(Utilisateur.courriel == courriel)).first() is not None:
        raise CompteInvalide(f"un compte existe déjà pour le courriel « {courriel} »")
    u = Utilisateur(courriel=courriel, role=role, departement=departement,
                    empreinte_mot_de_passe=HACHEUR.hash(mot_de_passe), habilite_validation=habilite_validation,
                    actif=True, cree_le=maintenant())
    session.add(u)
    session.commit()
    return u


def lister_utilisateurs(session: Session) -> list[Utilisateur]:
    return list(session.scalars(select(Utilisateur).order_by(Utilisateur.id)))


def desactiver_utilisateur(session: Session, courriel: str) -> Utilisateur:
    """Deactivate an account (its sessions end; its decisions keep its name)."""
    from orientation.stockage.espace import SessionEspace

    u = session.scalars(select(Utilisateur).where(Utilisateur.courriel == normaliser_courriel(courriel))).first()
    if u is None:
        raise CompteInvalide(f"aucun compte pour le courriel « {courriel[:80]} » (voir orientation utilisateurs lister)")
    if not u.actif:
        raise CompteInvalide(f"le compte « {u.courriel} » est déjà désactivé")
    u.actif, u.desactive_le = False, maintenant()
    session.execute(delete(SessionEspace).where(SessionEspace.utilisateur_id == u.id))
    session.commit()
    return u


@dataclass(frozen=True)
class ResultatConnexion:
    """An account when the password is right, else the French reason; ``bloque``: rate-limited."""

    utilisateur: Optional[Utilisateur]
    message: Optional[str] = None
    bloque: bool = False


def _echecs_depuis(session: Session, colonne: object, valeur: str, depuis: datetime) -> tuple[int, Optional[datetime]]:
    q = select(func.count(), func.min(TentativeConnexion.le)).where(
        colonne == valeur, TentativeConnexion.le >= depuis, TentativeConnexion.reussie.is_(False))
    n, premier = session.execute(q).one()
    return int(n), premier


def connecter(session: Session, courriel: str, mot_de_passe: str, ip: str,
              quand: Optional[datetime] = None) -> ResultatConnexion:
    """Check a login (rate limit first, then the password); every attempt is recorded."""
    quand = quand or maintenant()
    compte = empreinte_compte(courriel)
    depuis = quand - FENETRE
    for colonne, valeur, maximum in ((TentativeConnexion.compte, compte, ECHECS_COMPTE),
                                     (TentativeConnexion.ip, ip, ECHECS_IP)):
        n, premier = _echecs_depuis(session, colonne, valeur, depuis)
        if n >= maximum:
            minutes = max(1, int(((premier or quand) + FENETRE - quand).total_seconds() // 60) + 1)
            return ResultatConnexion(None, f"trop de tentatives de connexion échouées : connexion bloquée pendant "
                                           f"environ {minutes} minute(s) ; en cas d'oubli du mot de passe, "
                                           "s'adresser à l'administrateur de l'espace", bloque=True)
    u = session.scalars(select(Utilisateur).where(Utilisateur.courriel == normaliser_courriel(courriel))).first()
    ok = False
    try:
        ok = HACHEUR.verify(u.empreinte_mot_de_passe if u is not None else _EMPREINTE_LEURRE, mot_de_passe)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and u is not None and u.actif
    session.add(TentativeConnexion(compte=compte, ip=ip[:64], le=quand, reussie=ok))
    if ok and u is not None and HACHEUR.check_needs_rehash(u.empreinte_mot_de_passe):
        u.empreinte_mot_de_passe = HACHEUR.hash(mot_de_passe)
    session.commit()
    if not ok:
        return ResultatConnexion(None, "courriel ou mot de passe incorrect (ou compte désactivé)")
    return ResultatConnexion(u)


__all__ = ["CompteInvalide", "ResultatConnexion", "ajouter_utilisateur", "connecter", "desactiver_utilisateur",
           "empreinte_compte", "generer_mot_de_passe", "lister_utilisateurs", "normaliser_courriel"]
