"""Every table of the service's database, imported so that :data:`Base.metadata` knows them all.

Alembic's ``env.py`` and the test that compares the migrations with the tables import this module;
a module adding a table is imported here.
"""

from __future__ import annotations

from orientation.stockage.base import Base
from orientation.stockage.cles import CleApi
from orientation.stockage.espace import (AutorisationPurge, CompteurPurge, DecisionReferent, DossierEspace, EntreeJournal,
                                         SessionEspace, TentativeConnexion, Utilisateur)
from orientation.stockage.lots import Lot
from orientation.stockage.suivis import SuiviAccompagnement

METADONNEES = Base.metadata

__all__ = ["METADONNEES", "AutorisationPurge", "CleApi", "CompteurPurge", "DecisionReferent", "DossierEspace", "EntreeJournal", "Lot",
           "SessionEspace", "SuiviAccompagnement", "TentativeConnexion", "Utilisateur"]
