"""The service's OpenAPI uses the package's JSON contract (``src/orientation/schemas/``), not copies of it.

:func:`installer` adds every published schema (``dossier``, ``dossier_cnaf``, ``decision``,
``explication``, ``rejet``, ``explication_lot``, ``catalogue_lot``, ``suivi``) to ``components.schemas`` of the
application's OpenAPI document: each schema under its own name, each of its ``$defs`` as
``<schema>.<def>`` with the ``$ref`` rewritten; ``$id`` / ``schema_version`` become
``x-schema-id`` / ``x-schema-version`` (an ``$id`` inside a component would change how its ``$ref``
resolve).  :func:`corps_json` and :func:`reponse_json` give the request bodies and responses of the
routes that read and write those documents.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fastapi import FastAPI

SCHEMAS = ("dossier", "dossier_cnaf", "decision", "explication", "rejet", "explication_lot", "catalogue_lot", "suivi")


def _ref(nom: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{nom}"}


def _reecrire(noeud: Any, nom: str) -> Any:
    if isinstance(noeud, dict):
        out = {}
        for k, v in noeud.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                out[k] = f"#/components/schemas/{nom}.{v[len('#/$defs/'):]}"
            elif k == "$ref" and v == "#":
                out[k] = f"#/components/schemas/{nom}"
            else:
                out[k] = _reecrire(v, nom)
        return out
    if isinstance(noeud, list):
        return [_reecrire(x, nom) for x in noeud]
    return noeud


def composants() -> dict[str, Any]:
    """Every package schema and its definitions, as OpenAPI components."""
    out: dict[str, Any] = {}
    for nom in SCHEMAS:
        doc = json.loads((resources.files("orientation.schemas") / f"{nom}.json").read_text(encoding="utf-8"))
        defs = doc.pop("$defs", {})
        doc.pop("$schema", None)
        doc["x-schema-id"] = doc.pop("$id", None)
        doc["x-schema-version"] = doc.pop("schema_version", None)
        out[nom] = _reecrire(doc, nom)
        for d, schema in defs.items():
            out[f"{nom}.{d}"] = _reecrire(schema, nom)
    un_dossier = {"oneOf": [_ref("dossier_cnaf"), _ref("dossier")],
                  "description": "un dossier : codes CNAF (s'il a dtdemrsa) ou noms lisibles"}
    out["UnDossier"] = un_dossier
    out["ListeDossiers"] = {"type": "array", "items": _ref("UnDossier"), "maxItems": 10_000,
                            "description": "une liste de dossiers (au plus dossiers_max_par_requete, 10 000 par défaut)"}
    out["DecisionExpliquee"] = {"type": "object", "required": ["decision", "explication"],
                                "properties": {"decision": _ref("decision"), "explication": _ref("explication_lot")}}
    out["Resultat"] = {"type": "object", "required": ["rang"], "properties": {
        "rang": {"type": "integer", "minimum": 0, "description": "position du dossier dans la liste envoyée"},
        "decision": _ref("decision"), "explication": _ref("explication_lot"), "rejet": _ref("rejet")}}
    out["Resultats"] = {"type": "object", "required": ["nombre", "decides", "rejetes", "resultats"], "properties": {
        "nombre": {"type": "integer"}, "decides": {"type": "integer"}, "rejetes": {"type": "integer"},
        "resultats": {"type": "array", "items": _ref("Resultat")}}}
    out["ListeSuivis"] = {"type": "array", "items": _ref("suivi"), "minItems": 1, "maxItems": 10_000,
                          "description": "une liste d'événements de suivi (au plus dossiers_max_par_requete, 10 000 "
                                         "par défaut) : tous enregistrés, ou aucun"}
    return out


def corps_json(route: str) -> dict[str, Any]:
    """``openapi_extra`` of a route whose JSON body is read by the route itself."""
    schema = {"recommandations": {"oneOf": [_ref("UnDossier"), _ref("ListeDossiers")]},
              "suivis": {"oneOf": [_ref("suivi"), _ref("ListeSuivis")]}}.get(route, _ref("UnDossier"))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def reponse_json(route: str) -> dict[int | str, dict[str, Any]]:
    """The 200 response of a route, described by the package's schemas."""
    if route == "recommandations":
        schema = {"oneOf": [_ref("decision"), _ref("DecisionExpliquee"), _ref("Resultats")]}
        return {200: {"description": "décision, décision et explication, ou résultats d'une liste",
                      "content": {"application/json": {"schema": schema}}}}
    texte = {"schema": {"type": "string"}}
    return {200: {"description": "explication", "content": {
        "application/json": {"schema": _ref("explication")}, "text/plain": texte, "text/markdown": texte,
        "text/html": texte}}}


def installer(app: FastAPI) -> None:
    """Make ``app.openapi()`` carry the package's schemas as components (computed once)."""
    generer = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = generer()
            doc.setdefault("components", {}).setdefault("schemas", {}).update(composants())
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
