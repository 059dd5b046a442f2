"""Convention indicators: the report a département sends the State (issue 15).

From one row of dated events per person (an events file, or the referent workspace's database)
to the indicators of the State–département conventions and of décret n° 2024-1244, by month of
the event that starts each clock and by the chosen breakdowns, rendered as a self-contained French
HTML report and a CSV table.

Modules, one concept each:

* :mod:`~orientation.pilotage.evenements`: the events file contract and its reader (rejects);
* :mod:`~orientation.pilotage.sources`: the :class:`~orientation.pilotage.sources.SourceEvenements`
  interface and the CSV source;
* :mod:`~orientation.pilotage.base_espace`: the workspace's database as a source (what maps to what,
  what it does not record);
* :mod:`~orientation.pilotage.periode`: the reporting period and the date the data stop;
* :mod:`~orientation.pilotage.definitions`: the declarative table of indicators with their sources;
* :mod:`~orientation.pilotage.calcul`: statuses, rates and delay statistics (censored cases kept);
* :mod:`~orientation.pilotage.graphiques`, :mod:`~orientation.pilotage.rapport`,
  :mod:`~orientation.pilotage.tableau`: SVG plots, HTML report, CSV table;
* :mod:`~orientation.pilotage.commande`: the ``orientation indicateurs`` command.

Depends on ``decision`` (legal deadline helpers), ``stockage`` (the workspace's tables, read only) and lower
rings; never on ``flux`` nor ``espace``.
"""
