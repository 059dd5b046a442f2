"""Follow-up of the accompaniment (table ``suivis_accompagnement``): what happened after the orientation.

The structures that accompany a person (France Travail, the département's services, CCAS...) know the dates
the convention's indicators need and the workspace did not record: complete application, first accompaniment
appointment (attended or missed), follow-up action after a missed one, signature of the contract (CER, or
PPAE for France Travail).  Each is one event of a closed list of types (:data:`TYPES_SUIVI`), dated, with
an optional comment, its author and role, and when it was recorded.

Events are immutable, like decisions (revision 0005 adds the same database triggers as revision 0004 does
for ``decisions_referents``): a wrong event is corrected by a new event pointing at it (``corrige_id``,
unique: a correction chain never forks), possibly an annulment (``annule``: the corrected event is
withdrawn, the annulment itself dates nothing).  An event is **in force** when no other event corrects it
and it is not an annulment.  Only the retention purge deletes events, with their dossier.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orientation.stockage.base import Base, HorodatageUTC

#: The closed list of follow-up events (type → French label shown to users).
TYPES_SUIVI: dict[str, str] = {
    "dossier_complet": "Dossier de demande complet",
    "absence_premier_rdv": "Absence au premier rendez-vous d'accompagnement",
    "relance_apres_absence": "Relance après l'absence au premier rendez-vous",
    "premier_rdv_honore": "Premier rendez-vous d'accompagnement honoré",
    "signature_cer": "Contrat d'engagement réciproque (CER) signé",
    "signature_ppae": "Projet personnalisé d'accès à l'emploi (PPAE) signé",
}
#: Types that may precede the orientation decision (every other one follows it).
AVANT_ORIENTATION = frozenset({"dossier_complet"})
#: Where an event comes from: the card of the workspace, or ``orientation suivis importer``.
ORIGINES = ("espace", "import")


class SuiviAccompagnement(Base):
    """One follow-up event of a dossier: immutable; a correction (or an annulment) is a new row."""

    __tablename__ = "suivis_accompagnement"
    __table_args__ = (
        CheckConstraint("type IN (" + ", ".join(f"'{t}'" for t in TYPES_SUIVI) + ")", name="type_connu"),
        CheckConstraint("origine IN (" + ", ".join(f"'{o}'" for o in ORIGINES) + ")", name="origine_connue"),
        Index("ix_suivis_accompagnement_dossier_type", "dossier_id", "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers_espace.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    date_evenement: Mapped[date] = mapped_column(Date)
    commentaire: Mapped[Optional[str]] = mapped_column(Text, default=None)
    annule: Mapped[bool] = mapped_column(Boolean, default=False)
    corrige_id: Mapped[Optional[int]] = mapped_column(ForeignKey("suivis_accompagnement.id"), default=None,
                                                      unique=True)
    origine: Mapped[str] = mapped_column(String(16))
    auteur_id: Mapped[Optional[int]] = mapped_column(ForeignKey("utilisateurs.id", ondelete="SET NULL"),
                                                     default=None)
    auteur: Mapped[str] = mapped_column(String(254))  # e-mail at the time, or the command that imported it
    auteur_role: Mapped[str] = mapped_column(String(20))
    enregistre_le: Mapped[datetime] = mapped_column(HorodatageUTC())


__all__ = ["AVANT_ORIENTATION", "ORIGINES", "TYPES_SUIVI", "SuiviAccompagnement"]
