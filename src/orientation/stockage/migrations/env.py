"""Alembic environment of the service's database: runs the migrations on the connection it is given.

:func:`orientation.stockage.migrations.migrer` puts an open connection in
``config.attributes["connexion"]``; nothing is read from a file.  Imported outside Alembic (e.g. by
pytest collecting doctests), this module does nothing.
"""

from __future__ import annotations

from alembic import context

from orientation.stockage.tables import METADONNEES


def executer() -> None:
    """Run the pending revisions in the transaction of the given connection."""
    connexion = context.config.attributes.get("connexion")
    if connexion is None:
        raise RuntimeError("migrations lancées sans connexion : utiliser orientation.stockage.migrations.migrer")
    context.configure(connection=connexion, target_metadata=METADONNEES, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "_proxy", None) is not None:  # run by Alembic
    executer()
