"""Analysts' tools on real data: training contract, model card, whole-chain audit, drift.

Ring 5 (beside ``flux``): these tools read flux files with the bulk readers
(:mod:`orientation.flux.lecture`), run the rules and the model like ``orientation lot``
(:func:`orientation.flux.lot.traiter_bloc`) and use the model layer's metrics and card
(:mod:`orientation.modele.carte`, :mod:`orientation.modele.profil`).

* :mod:`orientation.analyse.lecture`: a flux or labelled export read with its extra columns,
  and the rows that are valid dossiers (rejects with line, field, value, reason);
* :mod:`orientation.analyse.contrat`: the training-data contract (columns, labels, optional
  columns) and :func:`~orientation.analyse.contrat.lire_donnees_entrainement`;
* :mod:`orientation.analyse.entrainement`: training from an export (model + card);
* :mod:`orientation.analyse.publication`: where the commands write (never over a user's data by
  surprise, never into the bundled data; folders replaced whole, the old one kept);
* :mod:`orientation.analyse.audit`: the whole chain (rules + model) audited by group;
* :mod:`orientation.analyse.derive`: drift of a flux against a model's training profile;
* :mod:`orientation.analyse.commandes`: the ``entrainer``, ``modele carte``, ``audit`` and
  ``derive`` commands, registered by :mod:`orientation.cli`.
"""
