"""Import pages of the workspace (administrators): a flux, or the outputs of ``orientation lot``, uploaded and
imported in the background (:mod:`orientation.espace.televersements`), then a page following the job.

* ``GET|POST /espace/import``: a flux file (CSV, JSON Lines, Parquet);
* ``GET|POST /espace/import/lot``: the outputs of ``orientation lot`` (decisions, manifest, explanations) and
  the flux it read;
* ``GET /espace/import/{id}``: state, progress, final counts, French message; ``/rejets.csv``: the rejected rows.

An upload answers ``303`` to its job's page at once.  Limits: the service's (:attr:`Parametres.taille_max_lot`
bytes for all the files of one upload: ``413``; :attr:`Parametres.lots_max_en_cours` jobs queued or running,
the service's ``/v1/lots`` jobs included: ``429``), answered with the French error page.  An administrator
sees only the workspace jobs of their département (another's, or an unknown id: ``404``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from orientation.espace import televersements as tv
from orientation.espace.journal import journaliser
from orientation.espace.web import (ENTETES, Acces, Administrateur, AdministrateurFormulaire, ErreurPage, erreur_page,
                                    page, routeur)
from orientation.service.etat import Service, service_de
from orientation.service.lots import dossier_lot
from orientation.stockage import lots as table

PREFIXE = "/espace/import"
#: Room for the multipart envelope (boundaries, part headers, CSRF field) over the files' own limit.
MARGE_FORMULAIRE = 64 * 1024
EXTENSIONS = tuple(tv.FORMATS_FLUX)
ETATS = {"en_attente": "en attente", "en_cours": "en cours", "termine": "terminé", "refuse": "refusé",
         "echec": "interrompu", "expire": "expiré (fichiers supprimés)"}


def _octets(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f") + " octets"


def reponse_trop_volumineuse(limite: int) -> Any:
    """The French 413 page of an upload announced over the limit (given to the service's size limit)."""
    return erreur_page(None, ErreurPage(413, "Fichiers trop volumineux", "envoi refusé : au plus "
                                        f"{_octets(limite - MARGE_FORMULAIRE)} de fichiers par import"))


# --------------------------------------------------------------------------- forms


@routeur.get("/import")
def import_formulaire(request: Request, a: Administrateur) -> Response:
    return page(request, "import.html", a, lots=tv.recents(a.db, a.utilisateur.departement), etats=ETATS)


@routeur.get("/import/lot")
def import_lot_formulaire(request: Request, a: Administrateur) -> Response:
    return page(request, "import_lot.html", a)


#: Fields of each form: (field, label, extensions accepted, stored name from the extension, required).
Champ = tuple[str, str, tuple[str, ...], Callable[[Path, str], Path], bool]
CHAMPS_FLUX: list[Champ] = [("flux", "fichier du flux", EXTENSIONS, tv.chemin_flux, True)]
CHAMPS_LOT: list[Champ] = [
    ("flux", "flux lu par le traitement", EXTENSIONS, tv.chemin_flux, True),
    ("decisions", "décisions (decisions.csv)", (".csv",), lambda d, _: tv.chemin_decisions(d), True),
    ("manifeste", "manifeste (decisions.manifeste.json)", (".json",), lambda d, _: tv.chemin_manifeste_lot(d), True),
    ("explications", "explications (explications.jsonl)", (".jsonl", ".ndjson"),
     lambda d, _: d / tv.EXPLICATIONS, False),
]


@routeur.post("/import")
async def importer(request: Request, a: AdministrateurFormulaire) -> Response:
    return await _televerser(request, a, CHAMPS_FLUX, "import.html")


@routeur.post("/import/lot")
async def importer_lot(request: Request, a: AdministrateurFormulaire) -> Response:
    return await _televerser(request, a, CHAMPS_LOT, "import_lot.html")


def _refus(request: Request, a: Acces, gabarit: str, statut: int, message: str, **entetes: str) -> Response:
    reponse = page(request, gabarit, a, statut, message=message,
                   **({"lots": tv.recents(a.db, a.utilisateur.departement), "etats": ETATS}
                      if gabarit == "import.html" else {}))
    reponse.headers.update(entetes)
    return reponse


async def _televerser(request: Request, a: Acces, champs: list[Champ], gabarit: str) -> Response:
    """Check and store the uploaded files, record the job, queue it; 303 to its page (French errors otherwise)."""
    assert a.formulaire is not None
    service = service_de(request)
    p = service.parametres
    recus: list[tuple[Champ, Any, str]] = []
    for champ in champs:
        fichier = a.formulaire.get(champ[0])
        nom = str(getattr(fichier, "filename", "") or "")
        if fichier is None or not hasattr(fichier, "read") or not nom:
            if champ[4]:
                return await run_in_threadpool(_refus, request, a, gabarit, 422, f"{champ[1]} : fichier absent")
            continue
        if Path(nom).suffix.lower() not in champ[2]:
            return await run_in_threadpool(_refus, request, a, gabarit, 422, f"{champ[1]} : fichier « {nom[:80]} » "
                                           f"refusé, extension attendue {', '.join(champ[2])}")
        recus.append((champ, fichier, nom))
    if not await run_in_threadpool(_place_libre, a, p.lots_max_en_cours):
        return await run_in_threadpool(_refus, request, a, gabarit, 429, f"{p.lots_max_en_cours} import(s) ou lot(s) "
                                       "déjà en attente ou en cours : réessayer dans quelques minutes",
                                       **{"Retry-After": "30"})
    identifiant = table.nouvel_identifiant()
    dossier = dossier_lot(service, identifiant)
    dossier.mkdir(parents=True, exist_ok=False)
    octets, noms = 0, {}
    try:
        for champ, fichier, nom in recus:
            cible = champ[3](dossier, Path(nom).suffix.lower())
            noms[cible.name] = nom[:120]
            taille = 0
            with open(cible, "wb") as sortie:
                while bloc := await fichier.read(1 << 20):
                    octets += len(bloc)
                    taille += len(bloc)
                    if octets > p.taille_max_lot:
                        raise ErreurPage(413, "Fichiers trop volumineux", f"envoi refusé : au plus "
                                         f"{_octets(p.taille_max_lot)} de fichiers par import")
                    await run_in_threadpool(sortie.write, bloc)
            if taille == 0:
                raise ErreurPage(422, "Fichier vide", f"{champ[1]} : fichier « {nom[:80]} » vide")
        tv.noter_noms(dossier, noms)
    except BaseException:
        tv.supprimer(dossier)
        raise
    flux = next(x for x in recus if x[0][0] == "flux")
    format_ = tv.FORMAT_LOT if len(champs) > 1 else tv.FORMATS_FLUX[Path(flux[2]).suffix.lower()]
    try:
        await run_in_threadpool(_enregistrer, a, identifiant, format_, octets,
                                any(x[0][0] == "explications" for x in recus))
    except BaseException as exc:  # not recorded: no job, so no retention would ever remove the upload
        tv.supprimer(dossier)
        if isinstance(exc, SQLAlchemyError):
            raise ErreurPage(503, "Import non enregistré", "base de données du service indisponible "
                             f"({type(exc).__name__}) : réessayer dans quelques minutes") from None
        raise
    tv.soumettre(service, identifiant, a.utilisateur.id)
    return RedirectResponse(f"/espace/import/{identifiant}", status_code=303)


def _place_libre(a: Acces, maximum: int) -> bool:
    """Whether a job may start (fewer than ``maximum`` active in the whole service)."""
    return table.place_libre(a.db, maximum)


def _enregistrer(a: Acces, identifiant: str, format_: str, octets: int, explications: bool) -> None:
    u = a.utilisateur
    tv.nouveau(a.db, identifiant, u, format_, octets, explications)
    journaliser(a.db, u, "import", u.departement, detail=f"import {identifiant} téléversé ({_octets(octets)})")
    a.db.commit()


# --------------------------------------------------------------------------- a job's page


def _lot(a: Acces, identifiant: str) -> table.Lot:
    lot = tv.visible(a.db, identifiant, a.utilisateur.departement)
    if lot is None:
        raise ErreurPage(404, "Import introuvable", "aucun import à ce numéro dans votre département")
    return lot


@routeur.get("/import/{identifiant}")
def suivi(request: Request, a: Administrateur, identifiant: str) -> Response:
    lot = _lot(a, identifiant)
    service: Service = service_de(request)
    rejets = lot.etat in table.FINIS and (dossier_lot(service, lot.id) / tv.REJETS).is_file()
    return page(request, "import_suivi.html", a, lot=lot, etat=ETATS.get(lot.etat, lot.etat),
                actif=lot.etat in table.ACTIFS, progression=tv.progression(lot), rejets=rejets,
                nature="sorties d'orientation lot" if lot.format == tv.FORMAT_LOT else "flux")


@routeur.get("/import/{identifiant}/rejets.csv")
def rejets(request: Request, a: Administrateur, identifiant: str) -> Response:
    lot = _lot(a, identifiant)
    chemin = dossier_lot(service_de(request), lot.id) / tv.REJETS
    if lot.etat == table.EXPIRE:
        raise ErreurPage(410, "Fichier supprimé", "les fichiers de cet import ont été supprimés au terme de la durée "
                                                  "de conservation")
    if lot.etat not in table.FINIS or not chemin.is_file():
        raise ErreurPage(404, "Aucun rejet", "cet import n'a pas de fichier de rejets (import en cours ou sans rejet)")
    journaliser(a.db, a.utilisateur, "export", lot.departement, detail=f"rejets de l'import {lot.id}")
    a.db.commit()
    return FileResponse(chemin, media_type="text/csv; charset=utf-8", filename=f"rejets-import-{lot.id}.csv",
                        headers=ENTETES)


__all__ = ["EXTENSIONS", "MARGE_FORMULAIRE", "PREFIXE", "reponse_trop_volumineuse"]
