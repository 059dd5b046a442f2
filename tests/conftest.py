"""Hypothesis profiles: random exploration locally; reproducible examples in CI (CI=true)."""

from __future__ import annotations

import os

from hypothesis import settings

# no per-example deadline in CI: a loaded machine must not turn a slow example into a failure (no timed tests)
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("exploration", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

# fixtures of the HTTP service's tests (databases, real uvicorn process): tests/serveur.py
from tests.serveur import base_migree, serveur, serveur_base, url_base, url_postgresql, url_sqlite  # noqa: E402,F401
# fixtures of the workspace's tests (example flux imported, accounts, in-process client): tests/espace_outils.py
from tests.espace_outils import base, client  # noqa: E402,F401
