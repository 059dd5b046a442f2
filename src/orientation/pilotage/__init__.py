"""Convention indicators: the report a département sends the State (issue 15).

From one row of dated events per person (an events file today, the workspace's database later)
to the indicators of the State–département conventions and of décret n° 2024-1244, by month of
the event that starts each clock and by the chosen breakdowns, rendered as a self-contained French
HTML report and a CSV table.

Modules, one concept each:

* :mod:`~orientation.pilotage.evenements`: the events file contract and its reader (rejects);
* :mod:`~orientation.pilotage.sources`: the :class:`~orientation.pilotage.sources.SourceEvenements`
  interface (the CSV source now, the workspace database later);
* :mod:`~orientation.pilotage.periode`: the reporting period and the date the data stop;
* :mod:`~orientation.pilotage.definitions`: the declarative table of indicators with their sources;
* :mod:`~orientation.pilotage.calcul`: statuses, rates and delay statistics (censored cases kept);
* :mod:`~orientation.pilotage.graphiques`, :mod:`~orientation.pilotage.rapport`,
  :mod:`~orientation.pilotage.tableau`: SVG plots, HTML report, CSV table;
* :mod:`~orientation.pilotage.commande`: the ``orientation indicateurs`` command.

Depends on ``decision`` (legal deadline helpers) and lower rings; never on ``flux``.
"""
