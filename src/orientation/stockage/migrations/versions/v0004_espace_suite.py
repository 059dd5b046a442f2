"""Workspace follow-ups: covering indexes of the queue, and decisions made immutable by the database.

* Queue « À orienter » (:mod:`orientation.espace.file`): the indexes by deadline, proposed route and
  proposed structure end with the columns the grouped counts read (modality, the other filter), so that
  the counts of a view are read from one index, never from the table's rows (they were what made the
  filtered views slow on 100,000 dossiers, see ``benchmarks/bench_espace.py``).
* ``decisions_referents`` is append-only: triggers refuse every UPDATE and DELETE, except the DELETE of the
  decisions of a dossier listed in ``autorisations_purge`` (written and emptied by the retention purge in its
  own transaction, :func:`orientation.espace.purge.purger`).  PostgreSQL also refuses TRUNCATE.  Only
  SQLite and PostgreSQL get the triggers (the two databases the project tests).  A later revision that
  rebuilds ``decisions_referents`` on SQLite (Alembic's batch "move and copy") must create them again.

Revision ID: 0004_espace_suite
Revises: 0003_espace_referent
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_espace_suite"  # alembic_version holds at most 32 characters
down_revision = "0003_espace_referent"
branch_labels = None
depends_on = None

MESSAGE = ("décision de référent immuable (table decisions_referents) : une correction est une nouvelle décision ; "
           "seule la purge de conservation (orientation purger) peut en supprimer")

ANCIENS = {
    "ix_dossiers_espace_echeance": ["departement", "statut", "echeance", "id"],
    "ix_dossiers_espace_parcours": ["departement", "statut", "parcours_propose", "echeance", "id"],
    "ix_dossiers_espace_structure": ["departement", "statut", "structure_proposee", "echeance", "id"],
}
NOUVEAUX = {
    "ix_dossiers_espace_file_echeance": ["departement", "statut", "echeance", "id", "modalite"],
    "ix_dossiers_espace_file_parcours": ["departement", "statut", "parcours_propose", "echeance", "id", "modalite",
                                         "structure_proposee"],
    "ix_dossiers_espace_file_structure": ["departement", "statut", "structure_proposee", "echeance", "id", "modalite",
                                          "parcours_propose"],
}

_SQLITE = [
    f"""CREATE TRIGGER decisions_referents_sans_modification BEFORE UPDATE ON decisions_referents
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER decisions_referents_sans_suppression BEFORE DELETE ON decisions_referents
    WHEN NOT EXISTS (SELECT 1 FROM autorisations_purge WHERE dossier_id = OLD.dossier_id)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
_POSTGRESQL = [
    f"""CREATE FUNCTION decisions_referents_immuables() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM autorisations_purge WHERE dossier_id = OLD.dossier_id) THEN
                RETURN OLD;
            END IF;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = '{MESSAGE}';
    END $$""",
    """CREATE TRIGGER decisions_referents_immuables BEFORE UPDATE OR DELETE ON decisions_referents
    FOR EACH ROW EXECUTE FUNCTION decisions_referents_immuables()""",
    """CREATE TRIGGER decisions_referents_sans_vidage BEFORE TRUNCATE ON decisions_referents
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_referents_immuables()""",
]


def upgrade() -> None:
    for nom in ANCIENS:
        op.drop_index(nom, table_name="dossiers_espace")
    for nom, colonnes in NOUVEAUX.items():
        op.create_index(nom, "dossiers_espace", colonnes, unique=False)
    op.create_table("autorisations_purge",
                    sa.Column("dossier_id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_autorisations_purge")))
    dialecte = op.get_bind().dialect.name
    for instruction in {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(dialecte, []):
        op.execute(instruction)


def downgrade() -> None:
    dialecte = op.get_bind().dialect.name
    if dialecte == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS decisions_referents_sans_suppression")
        op.execute("DROP TRIGGER IF EXISTS decisions_referents_sans_modification")
    elif dialecte == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decisions_referents_sans_vidage ON decisions_referents")
        op.execute("DROP TRIGGER IF EXISTS decisions_referents_immuables ON decisions_referents")
        op.execute("DROP FUNCTION IF EXISTS decisions_referents_immuables()")
    op.drop_table("autorisations_purge")
    for nom in NOUVEAUX:
        op.drop_index(nom, table_name="dossiers_espace")
    for nom, colonnes in ANCIENS.items():
        op.create_index(nom, "dossiers_espace", colonnes, unique=False)
