"""Bulk jobs of the service (table lots).

Revision ID: 0002_lots
Revises: 0001_cles_api
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.stockage.base import HorodatageUTC

revision = "0002_lots"
down_revision = "0001_cles_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("cle_id", sa.Integer(), nullable=False),
        sa.Column("etat", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("explications", sa.Boolean(), nullable=False),
        sa.Column("octets", sa.BigInteger(), nullable=False),
        sa.Column("lignes_estimees", sa.Integer(), nullable=True),
        sa.Column("cree_le", HorodatageUTC(), nullable=False),
        sa.Column("debut_le", HorodatageUTC(), nullable=True),
        sa.Column("fin_le", HorodatageUTC(), nullable=True),
        sa.Column("lignes_lues", sa.Integer(), nullable=True),
        sa.Column("decidees", sa.Integer(), nullable=True),
        sa.Column("rejetees", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["cle_id"], ["cles_api.id"], name=op.f("fk_lots_cle_id_cles_api")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    op.create_index(op.f("ix_lots_departement"), "lots", ["departement"], unique=False)
    op.create_index(op.f("ix_lots_etat"), "lots", ["etat"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lots_etat"), table_name="lots")
    op.drop_index(op.f("ix_lots_departement"), table_name="lots")
    op.drop_table("lots")
