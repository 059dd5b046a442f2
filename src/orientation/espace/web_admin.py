"""Export pages of the workspace (administrators, analysts): CSV streamed (:mod:`orientation.espace.exports`),
each export journaled.  Uploads and imports are in :mod:`orientation.espace.web_import`.
"""

from __future__ import annotations

from typing import Any, Iterator

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from orientation.espace.exports import lignes_decisions, lignes_etiquetees
from orientation.espace.journal import journaliser
from orientation.espace.web import ENTETES, Acces, ExportAutorise, page, routeur, sessions_db


@routeur.get("/exports")
def exports(request: Request, a: ExportAutorise) -> Response:
    return page(request, "exports.html", a)


def _export(request: Request, a: Acces, nom: str, producteur: Any) -> Response:
    departement = a.utilisateur.departement
    journaliser(a.db, a.utilisateur, "export", departement, detail=nom)
    a.db.commit()
    fabrique = sessions_db(request)

    def contenu() -> Iterator[bytes]:
        with fabrique() as db2:
            for morceau in producteur(db2, departement):
                yield morceau.encode("utf-8")

    entetes = dict(ENTETES, **{"Content-Disposition": f'attachment; filename="{nom}-{departement}.csv"'})
    return StreamingResponse(contenu(), media_type="text/csv; charset=utf-8", headers=entetes)


@routeur.get("/exports/decisions.csv")
def export_decisions(request: Request, a: ExportAutorise) -> Response:
    return _export(request, a, "decisions", lignes_decisions)


@routeur.get("/exports/etiquete.csv")
def export_etiquete(request: Request, a: ExportAutorise) -> Response:
    return _export(request, a, "etiquete", lignes_etiquetees)


__all__: list[str] = []
