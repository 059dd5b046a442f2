"""The statistical layer: features, the calibrated orientation model, its training and the
synthetic data used to demonstrate it.

Depends only on :mod:`orientation.dossier` and the base modules (``erreurs``, ``vocabulaire``, ``francais``).
"""
