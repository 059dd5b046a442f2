"""The access journal of the workspace: :mod:`orientation.stockage.journal` (its writer lives beside the tables,
below the service's ``/v1/suivis`` route that writes it too); re-exported here for the workspace's modules."""

from orientation.stockage.journal import ACTIONS, journaliser

__all__ = ["ACTIONS", "journaliser"]
