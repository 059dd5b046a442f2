"""Administration pages of the workspace: flux upload (administrators), exports (administrators, analysts).

An uploaded flux is written to a temporary file, imported with :func:`orientation.espace.importation.importer_flux`
(the service's rules and model) into the administrator's département, then deleted; the page shows the
import's French summary (counts and rejected lines).  Exports stream CSV (:mod:`orientation.espace.exports`)
and are journaled.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from orientation.erreurs import OrientationError
from orientation.espace.exports import lignes_decisions, lignes_etiquetees
from orientation.espace.importation import importer_flux
from orientation.espace.journal import journaliser
from orientation.espace.web import (ENTETES, Acces, Administrateur, AdministrateurFormulaire, ExportAutorise, page,
                                    routeur, sessions_db)

EXTENSIONS = (".csv", ".jsonl", ".ndjson", ".parquet")


@routeur.get("/import")
def import_formulaire(request: Request, a: Administrateur) -> Response:
    return page(request, "import.html", a)


def _importer(request: Request, chemin: Path, departement: str) -> Any:
    service = request.app.state.service
    o = service.orientateur
    return importer_flux(service.sessions, chemin, departement, o.referentiel(departement), o.modele)


@routeur.post("/import")
async def importer(request: Request, a: AdministrateurFormulaire) -> Response:
    assert a.formulaire is not None
    u = a.utilisateur
    fichier = a.formulaire.get("flux")
    nom = str(getattr(fichier, "filename", "") or "")
    extension = Path(nom).suffix.lower()
    if fichier is None or not hasattr(fichier, "read") or extension not in EXTENSIONS:
        return page(request, "import.html", a, 422, message=f"fichier « {nom[:80]} » refusé : extension "
                    f"attendue {', '.join(EXTENSIONS)}")
    dossier = tempfile.mkdtemp(prefix="orientation-import-")
    chemin = Path(dossier) / f"flux{extension}"
    try:
        with open(chemin, "wb") as sortie:
            while bloc := await fichier.read(1 << 20):
                sortie.write(bloc)
        rapport = await run_in_threadpool(_importer, request, chemin, u.departement)
    except OrientationError as exc:
        return page(request, "import.html", a, 422, message=f"fichier « {nom[:80]} » : {exc}")
    finally:
        chemin.unlink(missing_ok=True)
        os.rmdir(dossier)

    def journal() -> None:
        journaliser(a.db, u, "import", u.departement, detail=f"{rapport.crees} ajouté(s), {rapport.mis_a_jour} mis à "
                                                             f"jour, {rapport.rejetees} ligne(s) rejetée(s)")
        a.db.commit()

    await run_in_threadpool(journal)
    return page(request, "import.html", a, rapport=rapport.resume())


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


__all__ = ["EXTENSIONS"]
