"""Tables of the referent workspace (:mod:`orientation.espace`): accounts, imported dossiers, decisions, journals.

* :class:`Utilisateur`: an account (e-mail, role, département, argon2 hash of the password);
* :class:`SessionEspace`: a server-side browser session (only the SHA-256 of its cookie is stored) and
  its CSRF token;
* :class:`TentativeConnexion`: login attempts, per account (digest of the e-mail) and per IP, read by the
  rate limit (in the database, so that every worker process sees them);
* :class:`DossierEspace`: one imported dossier: the flux row as read (CNAF cells), the recommendation
  (a row of ``decisions.csv``), the bulk explanation line, and the columns the queue filters and sorts on;
  unique on (département, identifiant, date de demande);
* :class:`DecisionReferent`: a decision recorded by a person: an append-only event (a correction is a new
  event pointing at the one it corrects); the database refuses to update or delete one (triggers), except
  the retention purge through :class:`AutorisationPurge`;
* :class:`EntreeJournal`: the access journal (who consulted or decided what, when);
* :class:`CompteurPurge`: anonymous counts kept when dossiers are purged.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orientation.stockage.base import Base, HorodatageUTC

ROLES = ("referent", "analyste", "administrateur")


class Utilisateur(Base):
    """An account of the workspace (table ``utilisateurs``)."""

    __tablename__ = "utilisateurs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    courriel: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    departement: Mapped[str] = mapped_column(String(3))
    empreinte_mot_de_passe: Mapped[str] = mapped_column(String(255))
    habilite_validation: Mapped[bool] = mapped_column(Boolean, default=False)
    actif: Mapped[bool] = mapped_column(Boolean, default=True)
    cree_le: Mapped[datetime] = mapped_column(HorodatageUTC())
    desactive_le: Mapped[Optional[datetime]] = mapped_column(HorodatageUTC(), default=None)


class SessionEspace(Base):
    """A browser session (table ``sessions_espace``): cookie digest, account (none before login), CSRF token."""

    __tablename__ = "sessions_espace"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    empreinte: Mapped[str] = mapped_column(String(64), unique=True)
    utilisateur_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("utilisateurs.id", ondelete="CASCADE"), default=None, index=True)
    jeton_csrf: Mapped[str] = mapped_column(String(64))
    creee_le: Mapped[datetime] = mapped_column(HorodatageUTC())
    vue_le: Mapped[datetime] = mapped_column(HorodatageUTC())


class TentativeConnexion(Base):
    """One login attempt (table ``tentatives_connexion``): digest of the e-mail given, IP, success."""

    __tablename__ = "tentatives_connexion"
    __table_args__ = (Index("ix_tentatives_compte_le", "compte", "le"), Index("ix_tentatives_ip_le", "ip", "le"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compte: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    le: Mapped[datetime] = mapped_column(HorodatageUTC())
    reussie: Mapped[bool] = mapped_column(Boolean)


class DossierEspace(Base):
    """An imported dossier awaiting (or having had) a human decision (table ``dossiers_espace``)."""

    __tablename__ = "dossiers_espace"
    __table_args__ = (
        UniqueConstraint("departement", "identifiant", "date_demande", name="uq_dossiers_espace_cle"),
        # queue indexes (revision 0004): the filter columns, then the sort (echeance, id), then the columns the
        # grouped counts read (modalite, the other filter), so that counting never reads the table's rows
        Index("ix_dossiers_espace_file", "departement", "statut", "modalite", "echeance", "id"),
        Index("ix_dossiers_espace_file_echeance", "departement", "statut", "echeance", "id", "modalite"),
        Index("ix_dossiers_espace_file_parcours", "departement", "statut", "parcours_propose", "echeance", "id",
              "modalite", "structure_proposee"),
        Index("ix_dossiers_espace_file_structure", "departement", "statut", "structure_proposee", "echeance", "id",
              "modalite", "parcours_propose"),
        Index("ix_dossiers_espace_date_demande", "date_demande"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    departement: Mapped[str] = mapped_column(String(3))
    identifiant: Mapped[str] = mapped_column(String(64))
    date_demande: Mapped[date] = mapped_column(Date)
    statut: Mapped[str] = mapped_column(String(16))  # a_orienter | oriente
    modalite: Mapped[str] = mapped_column(String(24))
    parcours_propose: Mapped[Optional[str]] = mapped_column(String(24), default=None)
    structure_proposee: Mapped[Optional[str]] = mapped_column(String(32), default=None)
    echeance: Mapped[Optional[date]] = mapped_column(Date, default=None)
    regle_decisive: Mapped[Optional[str]] = mapped_column(String(128), default=None)
    ligne_grille: Mapped[Optional[str]] = mapped_column(String(128), default=None)
    version_regles: Mapped[str] = mapped_column(String(80))
    version_modele: Mapped[Optional[str]] = mapped_column(String(160), default=None)
    enregistrement: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommandation: Mapped[dict[str, Any]] = mapped_column(JSON)
    explication: Mapped[dict[str, Any]] = mapped_column(JSON)
    importe_le: Mapped[datetime] = mapped_column(HorodatageUTC())


class DecisionReferent(Base):
    """A decision recorded by a person: immutable; a correction is a new row (table ``decisions_referents``)."""

    __tablename__ = "decisions_referents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers_espace.id", ondelete="CASCADE"), index=True)
    parcours: Mapped[str] = mapped_column(String(24))
    structure: Mapped[str] = mapped_column(String(32))
    date_decision: Mapped[date] = mapped_column(Date)
    motif: Mapped[Optional[str]] = mapped_column(Text, default=None)
    rdv_honore: Mapped[Optional[bool]] = mapped_column(Boolean, default=None)
    differe_recommandation: Mapped[bool] = mapped_column(Boolean)
    validation_lot: Mapped[bool] = mapped_column(Boolean, default=False)
    corrige_id: Mapped[Optional[int]] = mapped_column(ForeignKey("decisions_referents.id"), default=None)
    auteur_id: Mapped[Optional[int]] = mapped_column(ForeignKey("utilisateurs.id", ondelete="SET NULL"),
                                                     default=None)
    auteur: Mapped[str] = mapped_column(String(254))  # e-mail at the time: the record says who decided
    auteur_role: Mapped[str] = mapped_column(String(20))
    enregistree_le: Mapped[datetime] = mapped_column(HorodatageUTC())


class AutorisationPurge(Base):
    """Dossiers whose decisions the running purge may delete (table ``autorisations_purge``).

    ``decisions_referents`` refuses every UPDATE and every DELETE (database triggers, revision 0004), except
    the DELETE of the decisions of a dossier listed here: :func:`orientation.espace.purge.purger` lists the
    dossiers past retention, deletes them (their decisions go by cascade) and empties this table, in one
    transaction.  Nothing else writes here.
    """

    __tablename__ = "autorisations_purge"

    dossier_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class EntreeJournal(Base):
    """One line of the access journal (table ``journal_acces``): who, when, what, which dossier (its number)."""

    __tablename__ = "journal_acces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    le: Mapped[datetime] = mapped_column(HorodatageUTC(), index=True)
    utilisateur_id: Mapped[Optional[int]] = mapped_column(Integer, default=None)
    utilisateur: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))
    departement: Mapped[str] = mapped_column(String(3))
    dossier_id: Mapped[Optional[int]] = mapped_column(Integer, default=None, index=True)
    detail: Mapped[Optional[str]] = mapped_column(String(300), default=None)


class CompteurPurge(Base):
    """Anonymous counts of purged dossiers (table ``compteurs_purges``): no identifier, month of request only."""

    __tablename__ = "compteurs_purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purge_le: Mapped[datetime] = mapped_column(HorodatageUTC())
    departement: Mapped[str] = mapped_column(String(3))
    mois_demande: Mapped[str] = mapped_column(String(7))
    modalite: Mapped[str] = mapped_column(String(24))
    parcours_final: Mapped[Optional[str]] = mapped_column(String(24), default=None)
    differe_recommandation: Mapped[Optional[bool]] = mapped_column(Boolean, default=None)
    nombre: Mapped[int] = mapped_column(Integer)


__all__ = ["ROLES", "AutorisationPurge", "CompteurPurge", "DecisionReferent", "DossierEspace", "EntreeJournal", "SessionEspace",
           "TentativeConnexion", "Utilisateur"]
