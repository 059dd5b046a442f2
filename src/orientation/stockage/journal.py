"""The access journal of the workspace: every consultation of a card, decision, follow-up
event, export, import and login.

One row per event in the table ``journal_acces`` (who, when, action, département, number of the dossier);
nothing of the dossier's content (no identifier of the person, no answer).  The application log
(standard error) gets none of it.  Written by the workspace (:mod:`orientation.espace`, which re-exports
:func:`journaliser` as ``orientation.espace.journal``) and by the service's ``/v1/suivis`` route (an API key
is then the author, by its name).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from orientation.stockage.base import maintenant
from orientation.stockage.espace import EntreeJournal, Utilisateur

ACTIONS = ("connexion", "consultation", "decision", "validation_lot", "export", "import", "purge", "suivi",
           "import_suivis")


def journaliser(session: Session, utilisateur: Utilisateur | str, action: str, departement: str,
                dossier_id: Optional[int] = None, detail: Optional[str] = None) -> None:
    """Add one journal row to ``session`` (committed with the caller's transaction)."""
    assert action in ACTIONS, action
    if isinstance(utilisateur, Utilisateur):
        uid, nom = utilisateur.id, utilisateur.courriel
    else:
        uid, nom = None, utilisateur
    session.add(EntreeJournal(le=maintenant(), utilisateur_id=uid, utilisateur=nom, action=action,
                              departement=departement, dossier_id=dossier_id, detail=(detail or None) and detail[:300]))


__all__ = ["ACTIONS", "journaliser"]
