"""``GET /v1/referentiels/{departement}`` (rules and grids in force) and ``GET /v1/modele`` (model card or manifest).

The référentiel is the catalogue of the bulk run (:func:`orientation.flux.catalogue.catalogue`, schema
``catalogue_lot``: every rule and grid line with its texts, legal reference, effect and conditions, the
labels of fields and codes, the versions) plus the periods of the dated rules: what a calling system
displays, and the texts the compact explanation lines refer to.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from orientation.donnees import chemin_modele
from orientation.dossier.schema import DEPARTEMENTS
from orientation.flux.catalogue import catalogue
from orientation.modele.artefact import VARIABLE_ENV_MODELE
from orientation.service.authentification import cle_api, exiger_departement
from orientation.service.etat import REPONSES_ERREURS, Service, service_de
from orientation.service.problemes import ErreurService
from orientation.stockage.cles import CleVerifiee

routes = APIRouter(prefix="/v1", tags=["référentiels et modèle"])


def referentiel_json(service: Service, departement: str) -> bytes:
    """The JSON of the rules in force in ``departement`` (computed once per process)."""
    caches = service.extensions.setdefault("referentiels", {})
    if departement not in caches:
        ctx = service.orienteur_lot.contexte(departement, True)
        ref = ctx.referentiel
        corps = {"departement": departement, "scenario": ref.scenario, "version_regles": ref.version,
                 "fichiers": ref.fichiers,
                 "periodes": [{"du": v.periode.du, "au": v.periode.au, "libelle": v.periode.libelle(),
                               "empreinte": v.empreinte} for v in ref.versions],
                 "catalogue": catalogue(ctx).model_dump(mode="json")}
        caches[departement] = json.dumps(corps, ensure_ascii=False, default=str).encode("utf-8")
    return caches[departement]


@routes.get("/referentiels/{departement}", summary="règles et grilles en vigueur dans un département",
            responses={**REPONSES_ERREURS, 404: {"description": "département inconnu"},
                       200: {"description": "règles, grilles, périodes de vigueur et libellés (catalogue_lot)",
                             "content": {"application/json": {"schema": {"type": "object", "properties": {
                                 "catalogue": {"$ref": "#/components/schemas/catalogue_lot"}}}}}}})
async def referentiel(departement: str, request: Request, cle: CleVerifiee = Depends(cle_api)) -> Response:
    """Le référentiel du département : scénario, version des règles, périodes de vigueur et le catalogue
    (chaque règle et ligne de grille : titre, description, référence juridique, effet, conditions ; libellés)."""
    if departement not in DEPARTEMENTS:
        raise ErreurService(404, "departement-inconnu", f"département inconnu « {departement[:10]} » (attendu 01 à 95, "
                            "2A, 2B, 971 à 976)")
    exiger_departement(cle, departement)
    service = service_de(request)
    return Response(await run_in_threadpool(referentiel_json, service, departement), media_type="application/json")


def dossier_modele(service: Service) -> Optional[Path]:
    """Directory of the configured model, if any."""
    spec = service.parametres.modele or os.environ.get(VARIABLE_ENV_MODELE)
    return chemin_modele(spec) if spec else None


@routes.get("/modele", summary="carte ou manifeste du modèle statistique en service",
            responses={**REPONSES_ERREURS, 404: {"description": "aucun modèle configuré"},
                       406: {"description": "carte du modèle absente dans le format demandé"},
                       200: {"description": "manifeste (JSON), ou carte (HTML, markdown)", "content": {
                           "application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}},
                           "text/markdown": {"schema": {"type": "string"}}}}})
async def modele(request: Request, cle: CleVerifiee = Depends(cle_api)) -> Response:
    """Le modèle en service : sa carte (``carte.html`` / ``carte.md`` du dossier du modèle, selon l'en-tête Accept)
    ou son manifeste JSON (versions, métriques, seuils, empreintes ; ``synthetique`` : entraîné sur des données
    synthétiques)."""
    service = service_de(request)
    mod = await run_in_threadpool(lambda: service.orientateur.modele)
    if mod is None:
        raise ErreurService(404, "sans-modele", "aucun modèle statistique n'est configuré dans ce service (option "
                            "--modele de orientation servir) : les dossiers qu'aucune règle ne tranche vont en "
                            "examen individuel")
    accepte = request.headers.get("accept", "")
    for media, fichier in (("text/html", "carte.html"), ("text/markdown", "carte.md")):
        if media in accepte:
            dossier = dossier_modele(service)
            chemin = dossier / fichier if dossier is not None else None
            if chemin is not None and chemin.is_file():
                return Response(chemin.read_bytes(), media_type=f"{media}; charset=utf-8")
            if "application/json" not in accepte:
                raise ErreurService(406, "format-indisponible", f"le modèle « {mod.nom} » n'a pas de carte {fichier} : "
                                    "demander application/json (manifeste)")
    corps: dict[str, Any] = {"nom": mod.nom, "version": mod.version, "sha256": mod.sha256,
                             "synthetique": mod.donnees_synthetiques, "manifeste": mod.manifeste}
    return Response(json.dumps(corps, ensure_ascii=False, default=str).encode("utf-8"), media_type="application/json")
