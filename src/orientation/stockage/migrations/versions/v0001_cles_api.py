"""API keys of the calling systems (table cles_api).

Revision ID: 0001_cles_api
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.stockage.base import HorodatageUTC

revision = "0001_cles_api"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cles_api",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nom", sa.String(length=64), nullable=False),
        sa.Column("prefixe", sa.String(length=16), nullable=False),
        sa.Column("empreinte", sa.String(length=64), nullable=False),
        sa.Column("departements", sa.JSON(), nullable=False),
        sa.Column("creee_le", HorodatageUTC(), nullable=False),
        sa.Column("revoquee_le", HorodatageUTC(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cles_api")),
        sa.UniqueConstraint("prefixe", name=op.f("uq_cles_api_prefixe")),
    )
    op.create_index(op.f("ix_cles_api_nom"), "cles_api", ["nom"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_cles_api_nom"), table_name="cles_api")
    op.drop_table("cles_api")
