"""The versioned JSON contract: JSON Schema files of the dossier, the decision, the explanation and a reject.

The schemas are generated from the pydantic models (``model_json_schema``) and committed in this
package, so they ship in the wheel; each carries ``$id`` and ``schema_version``.  ``empreintes.json``
records the SHA-256 of every published version: a schema whose content changes must change its
version (:func:`ecrire` refuses otherwise, and so do the tests).  Regenerate with
``orientation schemas --ecrire src/orientation/schemas``.

* ``dossier``: a dossier with readable names (:class:`orientation.Dossier`, input);
* ``dossier_cnaf``: the same dossier as a flat CNAF record (keys and codes of the CAF flux, input);
* ``decision``: :func:`orientation.recommend` (``orientation recommander``);
* ``explication``: :func:`orientation.explain` (``orientation expliquer --format json``);
* ``rejet``: a dossier refused by validation (:class:`Rejet`, built from :class:`orientation.DossierInvalide`);
* ``explication_lot``: a line of the bulk explanations (``orientation lot --explications``), a documented
  subset of ``explication`` (:mod:`orientation.flux.contrat`);
* ``catalogue_lot``: the catalogue written once per bulk run beside those lines (:mod:`orientation.flux.catalogue`);
* ``suivi``: a follow-up event sent to ``POST /v1/suivis`` (:class:`EvenementSuivi`, input; its fields are the
  columns of ``orientation suivis importer``, checked by :mod:`orientation.stockage.suivis`).

>>> sorted(VERSIONS) == sorted(generer())
True
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from orientation.decision import Decision
from orientation.dossier import codes
from orientation.dossier.cnaf import CLES_DOSSIER
from orientation.dossier.schema import Dossier, Foyer, Fragilite
from orientation.erreurs import DossierInvalide
from orientation.explication.construction import Explication
from orientation.flux.catalogue import Catalogue
from orientation.flux.contrat import VERSION_SCHEMA_LIGNE, LigneExplication
from orientation.stockage.suivis import CHAMPS, COMMENTAIRE_MAX, TYPES_SUIVI

VERSION_SCHEMA_REJET = "1.0"
VERSION_SCHEMA_SUIVI = "1.0"
Jour = date  # a field of EvenementSuivi is named ``date``


class ErreurRejet(BaseModel):
    """One invalid field of a refused dossier."""

    model_config = ConfigDict(frozen=True)

    champ: str
    valeur: Any = Field(description="valeur reçue (telle quelle)")
    raison: str = Field(description="raison du refus, en français")


class Rejet(BaseModel):
    """A dossier refused by validation: every invalid field, the value received and the reason."""

    model_config = ConfigDict(frozen=True)

    version_schema: Literal["1.0"] = VERSION_SCHEMA_REJET
    identifiant: Optional[str]
    erreurs: list[ErreurRejet]
    message: str = Field(description="le message d'erreur complet, en français")

    @classmethod
    def depuis_erreur(cls, exc: DossierInvalide) -> "Rejet":
        return cls(identifiant=exc.identifiant, message=str(exc), erreurs=[
            ErreurRejet(champ=e.champ, valeur=_jsonable(e.valeur), raison=e.raison) for e in exc.erreurs])


class EvenementSuivi(BaseModel):
    """A follow-up event of a dossier of the referent workspace, sent by a calling system."""

    model_config = ConfigDict(extra="forbid")

    departement: str = Field(pattern=r"^(\d{2,3}|2[AB])$", description="département du dossier (celui de la clé)")
    identifiant: str = Field(min_length=1, description=CHAMPS["identifiant"])
    date_demande: Jour = Field(description=CHAMPS["date_demande"])
    type: Literal[tuple(TYPES_SUIVI)] = Field(  # type: ignore[valid-type]
        description="type d'événement : " + " ; ".join(f"{t} : {x}" for t, x in TYPES_SUIVI.items()))
    date: Jour = Field(description=CHAMPS["date"])
    commentaire: Optional[str] = Field(None, max_length=COMMENTAIRE_MAX, description=CHAMPS["commentaire"])


def _jsonable(v: Any) -> Any:
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        return str(v)


def _modele_cnaf() -> type[BaseModel]:
    """A pydantic model of the canonical flat CNAF record (as :meth:`Dossier.vers_cnaf` writes it)."""
    requis_dossier = set(Dossier.model_json_schema()["required"])
    requis_foyer = set(Foyer.model_json_schema().get("required", []))
    champs: dict[str, Any] = {}
    for cle, (chemin, conv) in CLES_DOSSIER.items():
        if isinstance(conv, dict):
            typ: Any = Literal[tuple(conv)]  # type: ignore[valid-type]
        else:
            typ = {"texte": str, "date": date, "entiers": list[int], "noms": list[Fragilite]}[conv]
        haut, _, bas = chemin.partition(".")
        requis = haut in requis_dossier and (not bas or bas in requis_foyer)
        champs[cle] = (typ, Field(..., description=chemin)) if requis else (Optional[typ], Field(None, description=chemin))
    for c in codes.CHAMPS:
        if c.kind == "booleen":
            typ = Literal["0", "1"]
        elif c.kind == "entier":
            typ = int
        else:
            un = Literal[tuple(x.cnaf for x in c.codes)]  # type: ignore[valid-type]
            typ = list[un] if c.kind == "codes" else un  # type: ignore[valid-type]
        champs[c.cnaf] = (Optional[typ], Field(None, description=f"DSP : {c.libelle} (dsp.{c.nom})"))
    return create_model("DossierCNAF", __config__=ConfigDict(extra="forbid"), **champs)


#: Version of each schema of the contract (the outputs carry theirs in ``version_schema``).
VERSIONS: dict[str, str] = {
    "dossier": "1.2",
    "dossier_cnaf": "1.2",
    "decision": Decision.model_fields["version_schema"].default,
    "explication": Explication.model_fields["version_schema"].default,
    "rejet": VERSION_SCHEMA_REJET,
    "explication_lot": VERSION_SCHEMA_LIGNE,
    "catalogue_lot": Catalogue.model_fields["version_schema"].default,
    "suivi": VERSION_SCHEMA_SUIVI,
}

_TITRES = {
    "dossier": "Dossier d'un nouveau bénéficiaire du RSA (noms lisibles)",
    "dossier_cnaf": "Dossier d'un nouveau bénéficiaire du RSA (enregistrement CNAF à plat)",
    "decision": "Recommandation d'orientation (orientation.recommend, orientation recommander)",
    "explication": "Explication d'une recommandation (orientation.explain, orientation expliquer --format json)",
    "rejet": "Dossier refusé à la validation",
    "explication_lot": "Ligne d'explication d'un traitement en lot (orientation lot --explications) : sous-ensemble "
                       "de l'explication",
    "catalogue_lot": "Catalogue d'un traitement en lot (textes et versions auxquels renvoient les lignes d'explication)",
    "suivi": "Événement de suivi de l'accompagnement envoyé au service (POST /v1/suivis)",
}
FICHIER_EMPREINTES = "empreintes.json"


def generer() -> dict[str, dict[str, Any]]:
    """Every schema of the contract, generated now from the pydantic models."""
    bruts = {
        "dossier": Dossier.model_json_schema(mode="validation"),
        "dossier_cnaf": _modele_cnaf().model_json_schema(mode="validation"),
        "decision": Decision.model_json_schema(mode="serialization"),
        "explication": Explication.model_json_schema(mode="serialization"),
        "rejet": Rejet.model_json_schema(mode="serialization"),
        "explication_lot": LigneExplication.model_json_schema(mode="serialization"),
        "catalogue_lot": Catalogue.model_json_schema(mode="serialization"),
        "suivi": EvenementSuivi.model_json_schema(mode="validation"),
    }
    return {nom: {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"urn:orientation:schema:{nom}:{VERSIONS[nom]}", "schema_version": VERSIONS[nom],
                  **{k: v for k, v in schema.items() if k != "title"}, "title": _TITRES[nom]}
            for nom, schema in bruts.items()}


def empreinte(schema: dict[str, Any]) -> str:
    """SHA-256 of a schema's canonical JSON."""
    return hashlib.sha256(json.dumps(schema, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _texte(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def publies() -> dict[str, dict[str, Any]]:
    """The schemas shipped with the library (committed files)."""
    ici = resources.files(__name__)
    return {nom: json.loads((ici / f"{nom}.json").read_text(encoding="utf-8")) for nom in VERSIONS
            if (ici / f"{nom}.json").is_file()}


def empreintes_publiees() -> dict[str, dict[str, str]]:
    """``{schema: {version: sha256}}`` of every published version."""
    f = resources.files(__name__) / FICHIER_EMPREINTES
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else {}


def ecrire(dossier: str | Path) -> list[Path]:
    """Write every schema (``<nom>.json``) and ``empreintes.json`` into ``dossier``; returns the files written.

    Refuses (``ValueError``, French message) a schema whose content changed while its version did not.
    """
    dossier = Path(dossier)
    dossier.mkdir(parents=True, exist_ok=True)
    chemin_empreintes = dossier / FICHIER_EMPREINTES
    connues: dict[str, dict[str, str]] = (json.loads(chemin_empreintes.read_text(encoding="utf-8"))
                                          if chemin_empreintes.is_file() else {})
    schemas = generer()
    for nom, schema in schemas.items():
        deja = connues.get(nom, {}).get(VERSIONS[nom])
        if deja is not None and deja != empreinte(schema):
            raise ValueError(f"Schéma « {nom} » modifié sans changement de version ({VERSIONS[nom]}) : changer "
                             f"version_schema du modèle (ou VERSIONS dans orientation.schemas) avant de régénérer.")
    ecrits = []
    for nom, schema in schemas.items():
        connues.setdefault(nom, {})[VERSIONS[nom]] = empreinte(schema)
        (dossier / f"{nom}.json").write_text(_texte(schema), encoding="utf-8")
        ecrits.append(dossier / f"{nom}.json")
    chemin_empreintes.write_text(json.dumps(connues, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return ecrits + [chemin_empreintes]
