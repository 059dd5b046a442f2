"""Referent workspace (orientation.espace): accounts, sessions, login attempts, imported dossiers, decisions,
access journal, anonymous counts of purged dossiers.

Revision ID: 0003_espace_referent
Revises: 0002_lots
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.stockage.base import HorodatageUTC


revision = "0003_espace_referent"
down_revision = "0002_lots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("compteurs_purges",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("purge_le", HorodatageUTC(), nullable=False),
    sa.Column("departement", sa.String(length=3), nullable=False),
    sa.Column("mois_demande", sa.String(length=7), nullable=False),
    sa.Column("modalite", sa.String(length=24), nullable=False),
    sa.Column("parcours_final", sa.String(length=24), nullable=True),
    sa.Column("differe_recommandation", sa.Boolean(), nullable=True),
    sa.Column("nombre", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_compteurs_purges"))
    )
    op.create_table("dossiers_espace",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("departement", sa.String(length=3), nullable=False),
    sa.Column("identifiant", sa.String(length=64), nullable=False),
    sa.Column("date_demande", sa.Date(), nullable=False),
    sa.Column("statut", sa.String(length=16), nullable=False),
    sa.Column("modalite", sa.String(length=24), nullable=False),
    sa.Column("parcours_propose", sa.String(length=24), nullable=True),
    sa.Column("structure_proposee", sa.String(length=32), nullable=True),
    sa.Column("echeance", sa.Date(), nullable=True),
    sa.Column("regle_decisive", sa.String(length=128), nullable=True),
    sa.Column("ligne_grille", sa.String(length=128), nullable=True),
    sa.Column("version_regles", sa.String(length=80), nullable=False),
    sa.Column("version_modele", sa.String(length=160), nullable=True),
    sa.Column("enregistrement", sa.JSON(), nullable=False),
    sa.Column("recommandation", sa.JSON(), nullable=False),
    sa.Column("explication", sa.JSON(), nullable=False),
    sa.Column("importe_le", HorodatageUTC(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers_espace")),
    sa.UniqueConstraint("departement", "identifiant", "date_demande", name="uq_dossiers_espace_cle")
    )
    with op.batch_alter_table("dossiers_espace", schema=None) as batch_op:
        batch_op.create_index("ix_dossiers_espace_date_demande", ["date_demande"], unique=False)
        batch_op.create_index("ix_dossiers_espace_echeance", ["departement", "statut", "echeance", "id"], unique=False)
        batch_op.create_index("ix_dossiers_espace_file", ["departement", "statut", "modalite", "echeance", "id"], unique=False)
        batch_op.create_index("ix_dossiers_espace_parcours", ["departement", "statut", "parcours_propose", "echeance", "id"],
                              unique=False)
        batch_op.create_index("ix_dossiers_espace_structure",
                              ["departement", "statut", "structure_proposee", "echeance", "id"], unique=False)

    op.create_table("journal_acces",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("le", HorodatageUTC(), nullable=False),
    sa.Column("utilisateur_id", sa.Integer(), nullable=True),
    sa.Column("utilisateur", sa.String(length=254), nullable=False),
    sa.Column("action", sa.String(length=32), nullable=False),
    sa.Column("departement", sa.String(length=3), nullable=False),
    sa.Column("dossier_id", sa.Integer(), nullable=True),
    sa.Column("detail", sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_acces"))
    )
    with op.batch_alter_table("journal_acces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_acces_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_acces_le"), ["le"], unique=False)

    op.create_table("tentatives_connexion",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("compte", sa.String(length=64), nullable=False),
    sa.Column("ip", sa.String(length=64), nullable=False),
    sa.Column("le", HorodatageUTC(), nullable=False),
    sa.Column("reussie", sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_tentatives_connexion"))
    )
    with op.batch_alter_table("tentatives_connexion", schema=None) as batch_op:
        batch_op.create_index("ix_tentatives_compte_le", ["compte", "le"], unique=False)
        batch_op.create_index("ix_tentatives_ip_le", ["ip", "le"], unique=False)

    op.create_table("utilisateurs",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("courriel", sa.String(length=254), nullable=False),
    sa.Column("role", sa.String(length=20), nullable=False),
    sa.Column("departement", sa.String(length=3), nullable=False),
    sa.Column("empreinte_mot_de_passe", sa.String(length=255), nullable=False),
    sa.Column("habilite_validation", sa.Boolean(), nullable=False),
    sa.Column("actif", sa.Boolean(), nullable=False),
    sa.Column("cree_le", HorodatageUTC(), nullable=False),
    sa.Column("desactive_le", HorodatageUTC(), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_utilisateurs")),
    sa.UniqueConstraint("courriel", name=op.f("uq_utilisateurs_courriel"))
    )
    op.create_table("decisions_referents",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("dossier_id", sa.Integer(), nullable=False),
    sa.Column("parcours", sa.String(length=24), nullable=False),
    sa.Column("structure", sa.String(length=32), nullable=False),
    sa.Column("date_decision", sa.Date(), nullable=False),
    sa.Column("motif", sa.Text(), nullable=True),
    sa.Column("rdv_honore", sa.Boolean(), nullable=True),
    sa.Column("differe_recommandation", sa.Boolean(), nullable=False),
    sa.Column("validation_lot", sa.Boolean(), nullable=False),
    sa.Column("corrige_id", sa.Integer(), nullable=True),
    sa.Column("auteur_id", sa.Integer(), nullable=True),
    sa.Column("auteur", sa.String(length=254), nullable=False),
    sa.Column("auteur_role", sa.String(length=20), nullable=False),
    sa.Column("enregistree_le", HorodatageUTC(), nullable=False),
    sa.ForeignKeyConstraint(["auteur_id"], ["utilisateurs.id"], name=op.f("fk_decisions_referents_auteur_id_utilisateurs"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["corrige_id"], ["decisions_referents.id"], name=op.f("fk_decisions_referents_corrige_id_decisions_referents")),
    sa.ForeignKeyConstraint(["dossier_id"], ["dossiers_espace.id"], name=op.f("fk_decisions_referents_dossier_id_dossiers_espace"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions_referents"))
    )
    with op.batch_alter_table("decisions_referents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_referents_dossier_id"), ["dossier_id"], unique=False)

    op.create_table("sessions_espace",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("empreinte", sa.String(length=64), nullable=False),
    sa.Column("utilisateur_id", sa.Integer(), nullable=True),
    sa.Column("jeton_csrf", sa.String(length=64), nullable=False),
    sa.Column("creee_le", HorodatageUTC(), nullable=False),
    sa.Column("vue_le", HorodatageUTC(), nullable=False),
    sa.ForeignKeyConstraint(["utilisateur_id"], ["utilisateurs.id"], name=op.f("fk_sessions_espace_utilisateur_id_utilisateurs"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions_espace")),
    sa.UniqueConstraint("empreinte", name=op.f("uq_sessions_espace_empreinte"))
    )
    with op.batch_alter_table("sessions_espace", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_espace_utilisateur_id"), ["utilisateur_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("sessions_espace", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_espace_utilisateur_id"))

    op.drop_table("sessions_espace")
    with op.batch_alter_table("decisions_referents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_referents_dossier_id"))

    op.drop_table("decisions_referents")
    op.drop_table("utilisateurs")
    with op.batch_alter_table("tentatives_connexion", schema=None) as batch_op:
        batch_op.drop_index("ix_tentatives_ip_le")
        batch_op.drop_index("ix_tentatives_compte_le")

    op.drop_table("tentatives_connexion")
    with op.batch_alter_table("journal_acces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_acces_le"))
        batch_op.drop_index(batch_op.f("ix_journal_acces_dossier_id"))

    op.drop_table("journal_acces")
    with op.batch_alter_table("dossiers_espace", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_espace_structure")
        batch_op.drop_index("ix_dossiers_espace_parcours")
        batch_op.drop_index("ix_dossiers_espace_file")
        batch_op.drop_index("ix_dossiers_espace_echeance")
        batch_op.drop_index("ix_dossiers_espace_date_demande")

    op.drop_table("dossiers_espace")
    op.drop_table("compteurs_purges")
