"""At most one follow-up event in force per (dossier, type), guaranteed by the database.

Why not a partial unique index on ``suivis_accompagnement``: an event is in force when it is not an annulment
**and no other row corrects it**; an index predicate can only read the row itself, and the rows are immutable
(revision 0005's triggers), so no column of an event can say later that it was corrected.  The sound equivalent
is a table of the events in force, ``suivis_en_vigueur``, primary key (dossier, type), written only by a
database trigger ``AFTER INSERT`` on ``suivis_accompagnement`` in the inserting transaction: the row of the
corrected event (``corrige_id``) is removed, and the new event's row is added unless it is an annulment.  Two
writers recording the same type on the same dossier at the same time both try to add (dossier, type): the second
gets an integrity error (PostgreSQL waits for the first to commit, then refuses; SQLite serialises writers), and
the writers (:mod:`orientation.stockage.suivis`) replay their checks, which then see the first one's event.  The
rows follow their event and dossier on deletion (the retention purge): foreign keys ``ON DELETE CASCADE``.

Upgrade: refused, in French, if the data already has several events in force of a type on a dossier (the
dossiers' internal numbers and the types are named, nothing personal): annul the extra ones on the card, then
migrate again.  Otherwise the table is filled with the events in force.  Downgrade: the trigger and the table go.

Revision ID: 0007_suivis_en_vigueur
Revises: 0006_lots_origine
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.stockage.moteur import BaseInvalide

revision = "0007_suivis_en_vigueur"  # alembic_version holds at most 32 characters
down_revision = "0006_lots_origine"
branch_labels = None
depends_on = None

#: The events in force (not an annulment, corrected by no other event) of ``suivis_accompagnement``.
EN_VIGUEUR = ("SELECT s.dossier_id, s.type, s.id FROM suivis_accompagnement s WHERE NOT s.annule AND NOT EXISTS "
              "(SELECT 1 FROM suivis_accompagnement c WHERE c.corrige_id = s.id)")
_AFFICHES = 20

_SQLITE = ["""CREATE TRIGGER suivis_en_vigueur_a_jour AFTER INSERT ON suivis_accompagnement
    BEGIN
        DELETE FROM suivis_en_vigueur WHERE suivi_id = NEW.corrige_id;
        INSERT INTO suivis_en_vigueur (dossier_id, type, suivi_id)
            SELECT NEW.dossier_id, NEW.type, NEW.id WHERE NOT NEW.annule;
    END"""]
_POSTGRESQL = [
    """CREATE FUNCTION suivis_en_vigueur_a_jour() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.corrige_id IS NOT NULL THEN
            DELETE FROM suivis_en_vigueur WHERE suivi_id = NEW.corrige_id;
        END IF;
        IF NOT NEW.annule THEN
            INSERT INTO suivis_en_vigueur (dossier_id, type, suivi_id) VALUES (NEW.dossier_id, NEW.type, NEW.id);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER suivis_en_vigueur_a_jour AFTER INSERT ON suivis_accompagnement
    FOR EACH ROW EXECUTE FUNCTION suivis_en_vigueur_a_jour()""",
]


def doublons(connexion: sa.Connection) -> list[tuple[int, str, list[int]]]:
    """(dossier number, type, numbers of its events in force) wherever more than one is in force."""
    par_cle: dict[tuple[int, str], list[int]] = {}
    for dossier, type_, numero in connexion.execute(sa.text(EN_VIGUEUR + " ORDER BY s.id")):
        par_cle.setdefault((dossier, type_), []).append(numero)
    return [(d, t, n) for (d, t), n in sorted(par_cle.items()) if len(n) > 1]


def upgrade() -> None:
    connexion = op.get_bind()
    trop = doublons(connexion)
    if trop:
        detail = [f"dossier n° {d}, type {t} : événements n° {', '.join(map(str, n))}" for d, t, n in trop[:_AFFICHES]]
        if len(trop) > _AFFICHES:
            detail.append(f"… et {len(trop) - _AFFICHES} autre(s)")
        raise BaseInvalide(
            f"migration 0007 refusée, base inchangée : {len(trop)} dossier(s) ont plusieurs événements de suivi en "
            "vigueur d'un même type (un seul est admis) : " + " ; ".join(detail) + ". Annuler les événements en "
            "trop sur la fiche du dossier (« Suivi de l'accompagnement », corriger puis annuler), puis relancer "
            "« orientation base migrer ».")
    op.create_table(
        "suivis_en_vigueur",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("suivi_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers_espace.id"],
                                name=op.f("fk_suivis_en_vigueur_dossier_id_dossiers_espace"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["suivi_id"], ["suivis_accompagnement.id"],
                                name=op.f("fk_suivis_en_vigueur_suivi_id_suivis_accompagnement"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dossier_id", "type", name=op.f("pk_suivis_en_vigueur")),
        sa.UniqueConstraint("suivi_id", name=op.f("uq_suivis_en_vigueur_suivi_id")),
    )
    op.execute("INSERT INTO suivis_en_vigueur (dossier_id, type, suivi_id) " + EN_VIGUEUR)
    for instruction in {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(connexion.dialect.name, []):
        op.execute(instruction)


def downgrade() -> None:
    dialecte = op.get_bind().dialect.name
    if dialecte == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS suivis_en_vigueur_a_jour")
    elif dialecte == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS suivis_en_vigueur_a_jour ON suivis_accompagnement")
        op.execute("DROP FUNCTION IF EXISTS suivis_en_vigueur_a_jour()")
    op.drop_table("suivis_en_vigueur")
