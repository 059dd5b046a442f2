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
from orientation.espace.exports import ROLES_EXPORT, lignes_decisions, lignes_etiquetees
from orientation.espace.importation import importer_flux
from orientation.espace.journal import journaliser
from orientation.espace.web import ENTETES, contexte, exiger_role, page, routeur, sessions_db, verifier_csrf

EXTENSIONS = (".csv", ".jsonl", ".ndjson", ".parquet")


@routeur.get("/import")
def import_formulaire(request: Request) -> Response:
    with sessions_db(request)() as db:
        ctx = contexte(request, db)
        exiger_role(ctx, "administrateur")
        return page(request, "import.html", ctx)


def _importer(request: Request, chemin: Path, departement: str) -> Any:
    service = request.app.state.service
    o = service.orientateur
    return importer_flux(service.sessions, chemin, departement, o.referentiel(departement), o.modele)


@routeur.post("/import")
async def importer(request: Request) -> Response:
    with sessions_db(request)() as db:
        ctx = await run_in_threadpool(contexte, request, db)
        formulaire = await verifier_csrf(request, ctx)
        u = exiger_role(ctx, "administrateur")
        fichier = formulaire.get("flux")
        nom = str(getattr(fichier, "filename", "") or "")
        extension = Path(nom).suffix.lower()
        if fichier is None or not hasattr(fichier, "read") or extension not in EXTENSIONS:
            return page(request, "import.html", ctx, 422, message=f"fichier « {nom[:80]} » refusé : extension "
                        f"attendue {', '.join(EXTENSIONS)}")
        dossier = tempfile.mkdtemp(prefix="orientation-import-")
        chemin = Path(dossier) / f"flux{extension}"
        try:
            with open(chemin, "wb") as sortie:
                while bloc := await fichier.read(1 << 20):
                    sortie.write(bloc)
            rapport = await run_in_threadpool(_importer, request, chemin, u.departement)
        except OrientationError as exc:
            return page(request, "import.html", ctx, 422, message=f"fichier « {nom[:80]} » : {exc}")
        finally:
            chemin.unlink(missing_ok=True)
            os.rmdir(dossier)
        journaliser(db, u, "import", u.departement, detail=f"{rapport.crees} ajouté(s), {rapport.mis_a_jour} mis à "
                                                           f"jour, {rapport.rejetees} ligne(s) rejetée(s)")
        db.commit()
        return page(request, "import.html", ctx, rapport=rapport.resume())


@routeur.get("/exports")
def exports(request: Request) -> Response:
    with sessions_db(request)() as db:
        ctx = contexte(request, db)
        exiger_role(ctx, *sorted(ROLES_EXPORT))
        return page(request, "exports.html", ctx)


def _export(request: Request, nom: str, producteur: Any) -> Response:
    fabrique = sessions_db(request)
    with fabrique() as db:
        ctx = contexte(request, db)
        u = exiger_role(ctx, *sorted(ROLES_EXPORT))
        departement = u.departement
        journaliser(db, u, "export", departement, detail=nom)
        db.commit()

    def contenu() -> Iterator[bytes]:
        with fabrique() as db2:
            for morceau in producteur(db2, departement):
                yield morceau.encode("utf-8")

    entetes = dict(ENTETES, **{"Content-Disposition": f'attachment; filename="{nom}-{departement}.csv"'})
    return StreamingResponse(contenu(), media_type="text/csv; charset=utf-8", headers=entetes)


@routeur.get("/exports/decisions.csv")
def export_decisions(request: Request) -> Response:
    return _export(request, "decisions", lignes_decisions)


@routeur.get("/exports/etiquete.csv")
def export_etiquete(request: Request) -> Response:
    return _export(request, "etiquete", lignes_etiquetees)


__all__ = ["EXTENSIONS"]
