"""The service's database: SQLAlchemy 2 tables, engine and sessions, Alembic migrations, API keys.

One database holds what the HTTP service (:mod:`orientation.service`) and the referent
workspace need to remember: API keys of the calling systems (:mod:`orientation.stockage.cles`),
bulk jobs, and later accounts and audit tables.  It is SQLite by default (a file,
:data:`~orientation.stockage.moteur.URL_DEFAUT`, nothing to install) or any SQLAlchemy URL
(PostgreSQL is tested): ``--base URL`` on the command line, else ``$ORIENTATION_BASE``.

* :mod:`orientation.stockage.base`: the typed declarative base every table derives from
  (constraint naming convention, UTC timestamps);
* :mod:`orientation.stockage.moteur`: engine and session factory from a URL (SQLite: WAL and
  foreign keys on);
* :mod:`orientation.stockage.migrations`: the Alembic scripts shipped inside the package and the
  functions that run them in code (``orientation base migrer``), and the check that a database is
  at the latest revision (the service refuses to start otherwise);
* :mod:`orientation.stockage.cles`: API keys (shown once, stored as a SHA-256 digest);
* :mod:`orientation.stockage.commandes`: the ``orientation base`` and ``orientation cles`` commands.

A new table: a module here defining a subclass of :class:`~orientation.stockage.base.Base`,
imported by :mod:`orientation.stockage.tables`, and a new revision in ``migrations/versions/``
whose ``down_revision`` is the current head.
"""
