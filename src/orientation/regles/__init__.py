"""Declarative orientation rules: the condition language, référentiels, durable-rules runtime,
vectorised evaluation for bulk runs and YAML test cases.

Depends only on :mod:`orientation.dossier` and the base modules (``erreurs``, ``vocabulaire``, ``francais``).
"""
