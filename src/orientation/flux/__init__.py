"""Bulk orientation of a CAF flux: one decision per row, explanations, rejects, summary.

``orientation lot flux.csv --departement 93 --sortie decisions.csv --explications explications.jsonl``
reads a flat file of CNAF-coded dossiers (one row per person, columns as in
:mod:`orientation.dossier.tabulaire`), decides every valid row exactly as :func:`orientation.recommend`
would, and never stops on a bad row: each refused row goes to the rejects file.

Input (format chosen by extension)
----------------------------------
* ``.csv`` (``,`` or ``;``, UTF-8 or ``encodage``, one record per person (RFC 4180 quoting), header
  line of CNAF keys);
* ``.jsonl`` / ``.ndjson`` (one JSON object per line; multi-valued fields as ``"0402|0406"`` or
  as JSON arrays);
* ``.parquet``;
* ``.xml``: the CAF's XML flux (:mod:`orientation.dossier.cnaf_xml`, :mod:`orientation.flux.lecture_xml`),
  one row per person to orient; the parent checks the document and cuts it into byte ranges of
  whole records, which the workers parse.

Every cell is read as text (leading zeros of codes are kept).  Columns outside the CNAF
format are ignored and listed in the summary.  Without a ``departement`` column every row is
of the lot's département; a row of another département is rejected.  A file that is empty,
unreadable, not a regular file, or lacks a required column (``identifiant``, ``dtdemrsa``,
``dtouvdroit``, ``dtnai``, ``typefoyer``, ``toppersdrodevorsa``, ``topprimodemandeur``) raises
:class:`~orientation.flux.lecture.FluxInvalide` before anything is written (a Parquet file found
corrupt in the middle of its row groups raises it while writing).

Outputs
-------
Written to hidden parts in the target folder and renamed into place only when the run is
complete, with a run manifest (:mod:`orientation.flux.sorties`); an output that is the input or
another output is refused, existing outputs are replaced only with ``ecraser``.  SIGINT/SIGTERM
stop a run cleanly (:mod:`orientation.flux.interruption`); :mod:`orientation.flux.commande` maps
every failure to a French message and an exit code.

* decisions (CSV, :data:`~orientation.flux.decisions.COLONNES_DECISIONS`), in the order of the input;
* rejects (CSV, :data:`~orientation.flux.lecture.COLONNES_REJETS`, default ``<sortie>.rejets.csv``): one line per field
  error, with the line number in the input file (CSV/JSON Lines: physical line, header = 1;
  Parquet: rank of the record from 1; a CSV record spanning several lines: its first line), the identifier when readable, the field, the value and
  the French reason; an XML flux's rejects add :data:`~orientation.flux.bloc.COLONNES_POSITION_XML`
  (record rank, line of the start tag).  Rows in = rows decided + rows rejected;
* explanations on request (JSON Lines, one compact object per decided row): a documented subset
  of :func:`orientation.explain`'s JSON (same field names and types) carrying ids, values and
  results only, described in :mod:`orientation.flux.contrat` (schema ``explication_lot``); the
  texts it refers to (rules, conditions, field and code labels, model groups, versions, the
  synthetic-model warning) are written once per run in ``<explications>.catalogue.json``
  (:mod:`orientation.flux.catalogue`, schema ``catalogue_lot``).

  The full :func:`orientation.explain` (rules that almost fired, counterfactuals, CRPA
  R311-3-1-2 text) stays the per-dossier API: it is far too costly for millions of rows.

Design (streamed, column-oriented)
----------------------------------
The file is never read whole.  :func:`~orientation.flux.lecture.ouvrir_flux` reads only the
header (CSV), the schema (Parquet) or which CNAF keys occur (JSON Lines, mostly without parsing:
see :func:`~orientation.flux.lecture._ouvrir_jsonl`); then
:meth:`~orientation.flux.lecture.Source.blocs` cuts the rest into blocks of
:data:`~orientation.flux.lecture.TAILLE_BLOC` physical lines (Parquet: record batches) described
by small tasks (byte ranges), and each forked worker reads, validates and decides its block
(:func:`~orientation.flux.lecture.lire_bloc`, :func:`~orientation.flux.lot.traiter_bloc`).  The
parent writes the results in file order, with at most two blocks per worker in flight, so memory
is bounded by the block size, not by the file size; outputs do not depend on the block size
(tested down to one line per block).

Rows are processed by blocks.  :func:`orientation.regles.vectoriel.encoder` validates every column
at once (each distinct cell is examined once) with a *sound* check: a row it does not flag is
accepted by :meth:`Dossier.depuis_cnaf`.  Flagged rows take the per-row reference path
(``Dossier.depuis_cnaf(tabulaire.ligne_vers_enregistrement(row))`` then
:func:`~orientation.flux.decisions.chaine_reference`: durable-rules, ``proposer``,
:func:`orientation.decision.decider`), which gives the exact French errors, or decides an unusual
but valid spelling.  The other rows are decided by vectorised code: the référentiel's rule AST
evaluated on whole columns (:class:`~orientation.regles.vectoriel.EvaluateurVectoriel`), the model
scored by :meth:`ModeleOrientation.proposer_lot` on :func:`caracteristiques.vectoriser_colonnes`,
and :func:`~orientation.flux.decisions.decider_lot`, the vectorised twin of
:func:`orientation.decision.decider`.  The test suite checks with hypothesis that both paths give
the same decisions and explanations.

Modules
-------
* :mod:`orientation.flux.lecture`: opening a file, cutting it into blocks, CSV / JSON Lines /
  Parquet readers, :class:`~orientation.flux.lecture.Rejet` and
  :class:`~orientation.flux.lecture.FluxInvalide`;
* :mod:`orientation.flux.decisions`: :class:`~orientation.flux.decisions.Contexte`, the vectorised
  twin of :func:`orientation.decision.decider`, the per-dossier reference chain, the decisions table;
* :mod:`orientation.flux.explications`: the JSON Lines explanations (vectorised and per row);
* :mod:`orientation.flux.bloc`, :mod:`orientation.flux.enregistrements_csv` (CSV records spanning
  lines), :mod:`orientation.flux.cellules_json`, :mod:`orientation.flux.lecture_parquet`,
  :mod:`orientation.flux.lecture_xml`: what :mod:`~orientation.flux.lecture` builds on;
* :mod:`orientation.flux.preorientation`: agreement of the routes with the CAF's pre-routing (summary, manifest);
* :mod:`orientation.flux.sorties`, :mod:`orientation.flux.interruption`,
  :mod:`orientation.flux.commande`: outputs and manifest, signals, the ``lot`` command;
* :mod:`orientation.flux.contrat`: the shape of an explanation line (subset of ``explain()``);
* :mod:`orientation.flux.catalogue`: the run's catalogue of texts;
* :mod:`orientation.flux.lot`: one block, a whole file (forked workers, outputs in file order,
  progress bar, :class:`~orientation.flux.lot.Rapport`), and the in-memory
  :func:`~orientation.flux.lot.orienter_table`;
* :mod:`orientation.flux.lecteur_dedie`: the tasks of an XML flux made (parsed) by a forked reader
  process ahead of the workers.

Imports point one way: ``commande`` -> ``lot`` -> ``catalogue`` -> ``explications`` -> ``contrat`` /
``decisions``, ``lot`` -> ``sorties`` / ``interruption`` / ``lecture`` / ``lecteur_dedie``, ``catalogue`` -> ``sorties``
(the catalogue's path), and ``lecture`` -> its helpers (``bloc``, ``enregistrements_csv``,
``cellules_json``, ``lecture_parquet``, ``lecture_xml``), ``lot`` -> ``preorientation``; ``decisions`` and
``contrat`` import nothing from this package.
"""
