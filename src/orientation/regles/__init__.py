"""Declarative orientation rules: the condition language, référentiels, durable-rules runtime,
vectorised evaluation for bulk runs and YAML test cases.

Depends on :mod:`orientation.dossier.schema` only.
"""
