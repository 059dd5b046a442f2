"""HTTP service for the case-management systems that cannot import Python (``orientation servir``).

A FastAPI application (:func:`creer_application`, an app factory usable by any ASGI server), served
by uvicorn.  Layers:

* :mod:`orientation.service.parametres`: settings (database, rules, model, limits, processes);
* :mod:`orientation.service.problemes`: every error as ``application/problem+json`` (RFC 9457) in French;
* :mod:`orientation.service.intergiciels`: request size limit (413) and the access log (one JSON line per
  request, path template, status, duration, key name; never a body);
* :mod:`orientation.service.authentification`: ``Authorization: Bearer`` API keys
  (:mod:`orientation.stockage.cles`) and their département scope (403);
* :mod:`orientation.service.application`: the factory, ``/sante`` and ``/pret``;
* :mod:`orientation.service.commande`: the ``orientation servir`` command.

The database (keys, jobs; migrations) is :mod:`orientation.stockage`.
"""

from orientation.service.application import creer_application
from orientation.service.parametres import Parametres

__all__ = ["Parametres", "creer_application"]
