"""The statistical layer: features, the calibrated orientation model, its training and the
synthetic data used to demonstrate it.

Depends on :mod:`orientation.dossier.schema` only.
"""
