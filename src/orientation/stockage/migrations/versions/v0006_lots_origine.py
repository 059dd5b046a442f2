"""Jobs table cleaned up: each job's origin in its own column, the uploader of workspace imports, heartbeats.

* ``lots.origine`` (``api`` | ``espace``, NOT NULL, CHECK), ``lots.cle_id`` nullable, and a CHECK that a job has
  a key exactly when it comes from the API (a workspace job has none, and no API job names an account);
* ``lots.utilisateur_id``: the workspace account that uploaded an import (FK ``utilisateurs``, SET NULL);
* ``lots.vu_le``, ``lots.hote``, ``lots.pid``: the heartbeat and owner process of a job (orphans found per job,
  :func:`orientation.stockage.lots.abandonner_orphelins`).

Data: the jobs of the reserved key row ``espace-web`` (revisions 0003 to 0005 gave workspace imports to a
fake, revoked, hashless key) become ``origine = 'espace'`` without a key, their uploader taken back from the
access journal (the line « import <id> téléversé » written with the job), and the reserved row is deleted.
Active jobs get their last known sign of life (start, else creation) as heartbeat: the service closes them at
its next start if their process is gone.  Downgrade: the reserved row is created again (when workspace jobs
exist) and given back their key.

Revision ID: 0006_lots_origine
Revises: 0005_suivis_accompagnement
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.stockage.base import HorodatageUTC, maintenant

revision = "0006_lots_origine"  # alembic_version holds at most 32 characters
down_revision = "0005_suivis_accompagnement"
branch_labels = None
depends_on = None

#: The reserved key row of revisions 0003 to 0005 (its prefix cannot be a key's: 10 letters or digits).
PREFIXE_ESPACE, NOM_ESPACE = "espace-web", "espace-referent"
CLE_SELON_ORIGINE = ("(origine = 'api' AND cle_id IS NOT NULL AND utilisateur_id IS NULL) "
                     "OR (origine = 'espace' AND cle_id IS NULL)")

_cles = sa.table("cles_api", sa.column("id", sa.Integer()), sa.column("nom", sa.String()),
                 sa.column("prefixe", sa.String()), sa.column("empreinte", sa.String()),
                 sa.column("departements", sa.JSON()), sa.column("creee_le", HorodatageUTC()),
                 sa.column("revoquee_le", HorodatageUTC()))


def upgrade() -> None:
    with op.batch_alter_table("lots") as b:
        b.add_column(sa.Column("origine", sa.String(length=8), nullable=False, server_default="api"))
        b.add_column(sa.Column("utilisateur_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("vu_le", HorodatageUTC(), nullable=True))
        b.add_column(sa.Column("hote", sa.String(length=255), nullable=True))
        b.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        b.alter_column("cle_id", existing_type=sa.Integer(), nullable=True)
        b.create_foreign_key(op.f("fk_lots_utilisateur_id_utilisateurs"), "utilisateurs", ["utilisateur_id"], ["id"],
                             ondelete="SET NULL")
    op.execute(f"UPDATE lots SET origine = 'espace' WHERE cle_id IN "
               f"(SELECT id FROM cles_api WHERE prefixe = '{PREFIXE_ESPACE}')")
    op.execute("UPDATE lots SET cle_id = NULL WHERE origine = 'espace'")
    # the uploader: the journal line « import <id> téléversé (...) » written with the job, by an account still there
    op.execute("""UPDATE lots SET utilisateur_id = (
        SELECT j.utilisateur_id FROM journal_acces j
        WHERE j.action = 'import' AND j.le >= lots.cree_le AND j.detail LIKE 'import ' || lots.id || ' téléversé%'
          AND j.utilisateur_id IN (SELECT u.id FROM utilisateurs u)
        ORDER BY j.id LIMIT 1)
    WHERE origine = 'espace'""")
    op.execute("UPDATE lots SET vu_le = COALESCE(debut_le, cree_le) WHERE etat IN ('en_attente', 'en_cours')")
    op.execute(f"DELETE FROM cles_api WHERE prefixe = '{PREFIXE_ESPACE}'")
    with op.batch_alter_table("lots") as b:
        b.alter_column("origine", existing_type=sa.String(length=8), existing_nullable=False, server_default=None)
        b.create_check_constraint(op.f("ck_lots_origine_connue"), "origine IN ('api', 'espace')")
        b.create_check_constraint(op.f("ck_lots_cle_selon_origine"), CLE_SELON_ORIGINE)


def downgrade() -> None:
    connexion = op.get_bind()
    with op.batch_alter_table("lots") as b:  # first: it forbids a key on a workspace job
        b.drop_constraint(op.f("ck_lots_cle_selon_origine"), type_="check")
    if connexion.scalar(sa.text("SELECT COUNT(*) FROM lots WHERE origine = 'espace'")):
        cle = connexion.scalar(sa.select(_cles.c.id).where(_cles.c.prefixe == PREFIXE_ESPACE))
        if cle is None:
            t = maintenant()
            connexion.execute(sa.insert(_cles).values(nom=NOM_ESPACE, prefixe=PREFIXE_ESPACE, empreinte="",
                                                      departements=[], creee_le=t, revoquee_le=t))
            cle = connexion.scalar(sa.select(_cles.c.id).where(_cles.c.prefixe == PREFIXE_ESPACE))
        connexion.execute(sa.text("UPDATE lots SET cle_id = :cle WHERE origine = 'espace'"), {"cle": cle})
    with op.batch_alter_table("lots") as b:
        b.drop_constraint(op.f("ck_lots_origine_connue"), type_="check")
        b.drop_constraint(op.f("fk_lots_utilisateur_id_utilisateurs"), type_="foreignkey")
        b.alter_column("cle_id", existing_type=sa.Integer(), nullable=False)
        b.drop_column("pid")
        b.drop_column("hote")
        b.drop_column("vu_le")
        b.drop_column("utilisateur_id")
        b.drop_column("origine")
