"""Referent workspace (« espace référent »): the human side of the orientation, served by the HTTP service.

Dossiers of a flux are imported with their recommendation and explanation; referents see the queue
of dossiers awaiting a human (« À orienter »), open a card (explanation + decision form), record
decisions (immutable events; a correction is a new event), validate direct orientations in bulk
when they are empowered to; administrators import flux and manage accounts; analysts export the
labelled file that ``orientation entrainer`` takes.  Server-rendered French HTML (Jinja2), no
external asset.

Modules (tables are in :mod:`orientation.stockage.espace`, so that migrations know them):

* :mod:`~orientation.espace.comptes`: accounts, argon2 passwords, login rate limit;
* :mod:`~orientation.espace.sessions`: server-side sessions (cookie digest in the database) and CSRF tokens;
* :mod:`~orientation.espace.journal`: the access journal (consultations, decisions, exports, imports);
* :mod:`~orientation.espace.importation`: a flux into the database through the bulk path (idempotent);
* :mod:`~orientation.espace.import_lot`: the output of ``orientation lot`` into the database, as recorded;
* :mod:`~orientation.espace.file`: the queue query (filters, counts, pagination);
* :mod:`~orientation.espace.decisions`: decision events, bulk validation, history;
* :mod:`~orientation.espace.suivis`: follow-up events after the orientation (checks, corrections, history);
* :mod:`~orientation.espace.import_suivis`: the follow-up file the structures send back (all or nothing);
* :mod:`~orientation.espace.carte`: the explanation card as HTML (one adapter);
* :mod:`~orientation.espace.exports`: decisions for the calling system, labelled file for training;
* :mod:`~orientation.espace.purge`: retention (anonymous counts kept);
* :mod:`~orientation.espace.web`, :mod:`~orientation.espace.web_admin`, :mod:`~orientation.espace.web_import`,
  :mod:`~orientation.espace.web_suivi`: the pages
  (the first holds the routes' dependencies: session, account, CSRF, role, département);
* :mod:`~orientation.espace.televersements`: imports uploaded in the browser, run as the service's background jobs;
* :mod:`~orientation.espace.application`: the service's application with the workspace mounted;
* :mod:`~orientation.espace.commandes`: ``orientation importer|utilisateurs|purger|exporter``;
  :mod:`~orientation.espace.commandes_suivi`: ``orientation suivis importer``.
"""
