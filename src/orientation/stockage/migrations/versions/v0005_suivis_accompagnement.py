"""Follow-up of the accompaniment: the table ``suivis_accompagnement``, immutable like decisions.

* One row per follow-up event of a dossier (:mod:`orientation.stockage.suivis`): type of a closed list
  (a CHECK constraint), date, optional comment, annulment flag, corrected event (unique: a correction chain
  never forks), origin (card or import), author and role, recording time.
* Append-only, as ``decisions_referents`` since revision 0004 (same pattern): triggers refuse every UPDATE
  and DELETE, except the DELETE of the events of a dossier listed in ``autorisations_purge`` (written and
  emptied by the retention purge in its own transaction); PostgreSQL also refuses TRUNCATE.  Only SQLite and
  PostgreSQL get the triggers (the two databases the project tests).

Revision ID: 0005_suivis_accompagnement
Revises: 0004_espace_suite
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.stockage.base import HorodatageUTC

revision = "0005_suivis_accompagnement"  # alembic_version holds at most 32 characters
down_revision = "0004_espace_suite"
branch_labels = None
depends_on = None

#: The closed list as of this revision (a later revision that changes it rewrites the constraint).
TYPES = ("dossier_complet", "absence_premier_rdv", "relance_apres_absence", "premier_rdv_honore", "signature_cer",
         "signature_ppae")
MESSAGE = ("événement de suivi immuable (table suivis_accompagnement) : une correction est un nouvel événement ; "
           "seule la purge de conservation (orientation purger) peut en supprimer")

_SQLITE = [
    f"""CREATE TRIGGER suivis_accompagnement_sans_modification BEFORE UPDATE ON suivis_accompagnement
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER suivis_accompagnement_sans_suppression BEFORE DELETE ON suivis_accompagnement
    WHEN NOT EXISTS (SELECT 1 FROM autorisations_purge WHERE dossier_id = OLD.dossier_id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
_POSTGRESQL = [
    f"""CREATE FUNCTION suivis_accompagnement_immuables() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM autorisations_purge WHERE dossier_id = OLD.dossier_id) THEN
                RETURN OLD;
            END IF;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = '{MESSAGE}';
    END $$""",
    """CREATE TRIGGER suivis_accompagnement_immuables BEFORE UPDATE OR DELETE ON suivis_accompagnement
    FOR EACH ROW EXECUTE FUNCTION suivis_accompagnement_immuables()""",
    """CREATE TRIGGER suivis_accompagnement_sans_vidage BEFORE TRUNCATE ON suivis_accompagnement
    FOR EACH STATEMENT EXECUTE FUNCTION suivis_accompagnement_immuables()""",
]


def upgrade() -> None:
    op.create_table(
        "suivis_accompagnement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("date_evenement", sa.Date(), nullable=False),
        sa.Column("commentaire", sa.Text(), nullable=True),
        sa.Column("annule", sa.Boolean(), nullable=False),
        sa.Column("corrige_id", sa.Integer(), nullable=True),
        sa.Column("origine", sa.String(length=16), nullable=False),
        sa.Column("auteur_id", sa.Integer(), nullable=True),
        sa.Column("auteur", sa.String(length=254), nullable=False),
        sa.Column("auteur_role", sa.String(length=20), nullable=False),
        sa.Column("enregistre_le", HorodatageUTC(), nullable=False),
        sa.CheckConstraint("type IN (" + ", ".join(f"'{t}'" for t in TYPES) + ")",
                           name=op.f("ck_suivis_accompagnement_type_connu")),
        sa.CheckConstraint("origine IN ('espace', 'import')", name=op.f("ck_suivis_accompagnement_origine_connue")),
        sa.ForeignKeyConstraint(["auteur_id"], ["utilisateurs.id"],
                                name=op.f("fk_suivis_accompagnement_auteur_id_utilisateurs"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["corrige_id"], ["suivis_accompagnement.id"],
                                name=op.f("fk_suivis_accompagnement_corrige_id_suivis_accompagnement")),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers_espace.id"],
                                name=op.f("fk_suivis_accompagnement_dossier_id_dossiers_espace"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suivis_accompagnement")),
        sa.UniqueConstraint("corrige_id", name=op.f("uq_suivis_accompagnement_corrige_id")),
    )
    op.create_index("ix_suivis_accompagnement_dossier_type", "suivis_accompagnement", ["dossier_id", "type"],
                    unique=False)
    dialecte = op.get_bind().dialect.name
    for instruction in {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(dialecte, []):
        op.execute(instruction)


def downgrade() -> None:
    dialecte = op.get_bind().dialect.name
    if dialecte == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS suivis_accompagnement_sans_suppression")
        op.execute("DROP TRIGGER IF EXISTS suivis_accompagnement_sans_modification")
    elif dialecte == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS suivis_accompagnement_sans_vidage ON suivis_accompagnement")
        op.execute("DROP TRIGGER IF EXISTS suivis_accompagnement_immuables ON suivis_accompagnement")
        op.execute("DROP FUNCTION IF EXISTS suivis_accompagnement_immuables()")
    op.drop_index("ix_suivis_accompagnement_dossier_type", table_name="suivis_accompagnement")
    op.drop_table("suivis_accompagnement")
