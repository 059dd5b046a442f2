"""``POST /v1/suivis`` and ``GET /v1/suivis``: follow-up events of the workspace's dossiers, for calling systems.

The case-management systems (WebRSA, rdv-insertion, Solis, IODAS) send what ``orientation suivis importer``
reads from a CSV file: one event (JSON object, schema ``suivi``) or a list of at most
``dossiers_max_par_requete`` events, each naming its dossier (département, identifiant, date of request),
its type, its date and an optional commentary.  The checks are the import's own
(:func:`orientation.stockage.suivis.lire_evenement`, :func:`~orientation.stockage.suivis.preparer_evenements`),
and so are its choices:

* **all or nothing**: a single invalid event and nothing is recorded: 422 problem, one error per invalid
  field with ``rang`` (index in the list, 0 first), ``champ``, ``valeur``, ``raison``; events of a list are
  checked in order, each against the ones before it (a follow-up action after a missed appointment of the
  same list is accepted).  Why not accept the valid ones: a list is often one dossier's path, whose events
  depend on each other, and a caller who fixes and resends the whole list loses nothing (next point);
* **idempotent**: an event already in force on its dossier, same type and same date, is « déjà enregistré »
  and nothing is written for it: resending a list (after a timeout, a 422) is safe; a type in force at
  another date is refused (corrections are made on the card, with their commentary); the same holds when two
  requests race: the database keeps one event in force per (dossier, type), the loser's checks are replayed
  and see the winner's event (409 only if the database refuses three times in a row);
* **scope**: every event names its département; one outside the key's departements: 403 for the whole
  request, before any other check; a dossier of another département is never found (422, « aucun dossier »).

Recorded events carry the key's name as author (``auteur``, with ``auteur_role`` ``cle_api``, origin
``import``: the database's closed list of origins has no third value without a migration), and each request
that records writes one line per département to the access journal.  The application log gets the access
line only (path template, status, duration, key name), never an identifier.  ``GET /v1/suivis`` reads back a
dossier's events (history, corrections included), without the commentaries or the referents' names.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.responses import Response

from orientation.erreurs import ErreurChamp
from orientation.service.authentification import cle_api, exiger_departement
from orientation.service.contrat import corps_json
from orientation.service.etat import REPONSES_ERREURS, Service, service_de
from orientation.service.problemes import ErreurElement, ErreurService
from orientation.service.routes_dossiers import lire_json
from orientation.stockage.cles import CleVerifiee
from orientation.stockage.espace import DecisionReferent, DossierEspace
from orientation.stockage.suivis import (CHAMPS, FACULTATIFS, ROLE_CLE_API, TYPES_SUIVI, ConcurrenceRepetee,
                                         EvenementRecu, SuiviAccompagnement, en_vigueur, enregistrer_evenements,
                                         lire_evenement, preparer_evenements, rejouer_si_concurrence)

routes = APIRouter(prefix="/v1", tags=["suivis"])

_CHAMPS_JSON = ("departement", *CHAMPS)
_DEPARTEMENT = r"^(\d{2,3}|2[AB])$"


class ResultatSuivi(BaseModel):
    rang: int = Field(description="place de l'événement dans la liste envoyée (0 pour le premier)")
    statut: Literal["ajoute", "deja_enregistre"]
    numero: int = Field(description="numéro de l'événement dans la base (celui déjà en vigueur s'il l'était)")


class SuivisEnregistres(BaseModel):
    nombre: int
    ajoutes: int
    deja_enregistres: int
    resultats: list[ResultatSuivi]


class EvenementLu(BaseModel):
    numero: int
    type: str = Field(description="type d'événement (" + ", ".join(TYPES_SUIVI) + ")")
    date: Optional[str] = Field(description="date de l'événement, AAAA-MM-JJ")
    en_vigueur: bool = Field(description="ni corrigé par un événement plus récent, ni annulation")
    annulation: bool = Field(description="l'événement annule celui qu'il corrige")
    corrige: Optional[int] = Field(description="numéro de l'événement corrigé, le cas échéant")
    saisi_par: Literal["fiche", "import", "api"] = Field(
        description="fiche de l'espace référent, orientation suivis importer, ou POST /v1/suivis")
    enregistre_le: str = Field(description="horodatage de l'enregistrement (UTC, ISO 8601)")


class DossierSuivi(BaseModel):
    date_demande: str
    decision_enregistree: bool
    evenements: list[EvenementLu]


class SuivisDossier(BaseModel):
    departement: str
    identifiant: str
    dossiers: list[DossierSuivi] = Field(description="les dossiers de cet identifiant (une demande chacun)")


def _cellules(obj: Any, erreurs: list[ErreurChamp]) -> Optional[dict[str, str]]:
    """The text fields of one JSON event, or ``None`` with its errors (ranked by the caller)."""
    if not isinstance(obj, dict):
        erreurs.append(ErreurChamp("(événement)", obj, "objet JSON attendu (un événement de suivi)"))
        return None
    avant = len(erreurs)
    for k in obj:
        if k not in _CHAMPS_JSON:
            erreurs.append(ErreurChamp(str(k), obj[k], "champ inconnu ; champs admis : " + ", ".join(_CHAMPS_JSON)))
    cellules: dict[str, str] = {}
    for k in _CHAMPS_JSON:
        v = obj.get(k)
        if v is None and k in FACULTATIFS:
            continue
        if v is None or (k == "departement" and isinstance(v, str) and not v.strip()):
            erreurs.append(ErreurChamp(k, v, "champ obligatoire"))
        elif not isinstance(v, str):
            erreurs.append(ErreurChamp(k, v, "texte attendu" + (" (date AAAA-MM-JJ)" if "date" in k else "")))
        else:
            cellules[k] = v
    return cellules if len(erreurs) == avant else None


def _lire(objets: list[Any]) -> tuple[dict[str, list[EvenementRecu]], list[ErreurElement]]:
    """Events by département (each list in the order received), and the errors of the events themselves."""
    par_departement: dict[str, list[EvenementRecu]] = {}
    erreurs: list[ErreurElement] = []
    for rang, obj in enumerate(objets):
        locales: list[ErreurChamp] = []
        cellules = _cellules(obj, locales)
        if cellules is not None:
            ev, locales = lire_evenement(rang, cellules)
            if ev is not None:
                par_departement.setdefault(cellules["departement"].strip().upper(), []).append(ev)
        erreurs += [ErreurElement(e.champ, e.valeur, e.raison, rang) for e in locales]
    return par_departement, erreurs


def _portee(cle: CleVerifiee, objets: list[Any]) -> None:
    """403 if an event names a département outside the key's (before any other check)."""
    annonces = {o["departement"].strip().upper() for o in objets
                if isinstance(o, dict) and isinstance(o.get("departement"), str) and o["departement"].strip()}
    hors = sorted(d for d in annonces if not cle.autorise(d))
    if hors:
        exiger_departement(cle, hors[0])


def _enregistrer(service: Service, cle: CleVerifiee, par_departement: dict[str, list[EvenementRecu]],
                 erreurs: list[ErreurElement], nombre: int) -> SuivisEnregistres:
    aujourd_hui = date.today()
    with service.sessions() as db:
        def une_fois() -> list[ResultatSuivi]:  # replayed if a concurrent writer wins a race (same outcome)
            preparations = {dep: preparer_evenements(db, dep, evs, aujourd_hui, cle.nom, ROLE_CLE_API)
                            for dep, evs in par_departement.items()}
            toutes = erreurs + [ErreurElement(e.champ, e.valeur, e.raison, rang)
                                for prep in preparations.values() for rang, e in prep.erreurs]
            if toutes:
                toutes.sort(key=lambda e: e.rang)
                en_erreur = len({e.rang for e in toutes})
                raise ErreurService(422, "suivis-refuses", f"{en_erreur} événement(s) en erreur sur {nombre} : rien "
                                    "n'est enregistré (tout ou rien) ; corriger et renvoyer la liste entière, les "
                                    "événements déjà enregistrés sont reconnus", toutes)
            resultats: list[ResultatSuivi] = []
            for dep, prep in preparations.items():
                numeros = enregistrer_evenements(db, dep, prep, cle.nom,
                                                 f"POST /v1/suivis, clé d'API « {cle.nom} » : ")
                ajoutes = {r for r, _ in prep.nouveaux}
                resultats += [ResultatSuivi(rang=r, statut="ajoute" if r in ajoutes else "deja_enregistre", numero=n)
                              for r, n in numeros.items()]
            db.commit()
            return resultats

        try:
            resultats = rejouer_si_concurrence(db, une_fois)
        except ConcurrenceRepetee as exc:
            raise ErreurService(409, "suivis-concurrents", str(exc)) from None
    resultats.sort(key=lambda r: r.rang)
    ajoutes = sum(r.statut == "ajoute" for r in resultats)
    return SuivisEnregistres(nombre=nombre, ajoutes=ajoutes, deja_enregistres=nombre - ajoutes, resultats=resultats)


@routes.post("/suivis", summary="enregistrer des événements de suivi de l'accompagnement (tout ou rien)",
             openapi_extra=corps_json("suivis"), response_model=SuivisEnregistres,
             responses={**REPONSES_ERREURS, 422: {**REPONSES_ERREURS[422], "description": "un événement au moins est "
                        "invalide : rien n'est enregistré ; chaque erreur porte le rang de l'événement"}})
async def enregistrer(request: Request, cle: CleVerifiee = Depends(cle_api)) -> Response:
    """Un événement (objet JSON, schéma ``suivi``) ou une liste : les colonnes de ``orientation suivis
    importer`` plus ``departement``. Tout ou rien : un seul événement invalide et rien n'est enregistré (422,
    chaque erreur avec ``rang``, ``champ``, ``valeur``, ``raison``). Un événement déjà en vigueur (même dossier,
    même type, même date) est « deja_enregistre » : renvoyer une liste est sans effet de bord."""
    service = service_de(request)
    obj = await lire_json(request, "un événement de suivi (objet JSON) ou une liste d'événements")
    objets = obj if isinstance(obj, list) else [obj]
    limite = service.parametres.dossiers_max_par_requete
    if len(objets) > limite:
        raise ErreurService(413, "trop-d-evenements", f"{len(objets)} événements dans la requête : au plus {limite} "
                            "par requête (découper la liste)")
    if not objets:
        raise ErreurService(422, "liste-vide", "liste vide : au moins un événement de suivi est attendu",
                            [ErreurChamp("(corps)", [], "liste vide")])
    _portee(cle, objets)
    par_departement, erreurs = _lire(objets)
    rapport = await run_in_threadpool(_enregistrer, service, cle, par_departement, erreurs, len(objets))
    return Response(rapport.model_dump_json().encode("utf-8"), media_type="application/json")


def _saisi_par(e: SuiviAccompagnement) -> Literal["fiche", "import", "api"]:
    if e.origine == "espace":
        return "fiche"
    return "api" if e.auteur_role == ROLE_CLE_API else "import"


def _lire_dossiers(service: Service, departement: str, identifiant: str,
                   date_demande: Optional[date]) -> SuivisDossier:
    with service.sessions() as db:
        q = select(DossierEspace).where(DossierEspace.departement == departement,
                                        DossierEspace.identifiant == identifiant)
        if date_demande is not None:
            q = q.where(DossierEspace.date_demande == date_demande)
        dossiers = db.scalars(q.order_by(DossierEspace.date_demande)).all()
        if not dossiers:
            raise ErreurService(404, "dossier-introuvable", f"aucun dossier de cet identifiant dans la base pour le "
                                f"département {departement}" + (f", demande du {date_demande:%d/%m/%Y}"
                                                                  if date_demande else ""))
        ids = [d.id for d in dossiers]
        evenements = db.scalars(select(SuiviAccompagnement).where(SuiviAccompagnement.dossier_id.in_(ids))
                                .order_by(SuiviAccompagnement.id)).all()
        decides = set(db.scalars(select(DecisionReferent.dossier_id).where(DecisionReferent.dossier_id.in_(ids))))
        sortie = []
        for d in dossiers:
            siens = [e for e in evenements if e.dossier_id == d.id]
            vigueur = {e.id for e in en_vigueur(siens).values()}
            sortie.append(DossierSuivi(date_demande=d.date_demande.isoformat(), decision_enregistree=d.id in decides,
                                       evenements=[EvenementLu(
                                           numero=e.id, type=e.type,
                                           date=None if e.annule else e.date_evenement.isoformat(),
                                           en_vigueur=e.id in vigueur, annulation=e.annule, corrige=e.corrige_id,
                                           saisi_par=_saisi_par(e), enregistre_le=e.enregistre_le.isoformat())
                                           for e in siens]))
    return SuivisDossier(departement=departement, identifiant=identifiant, dossiers=sortie)


@routes.get("/suivis", summary="relire les événements de suivi d'un dossier", response_model=SuivisDossier,
            responses={**REPONSES_ERREURS, 404: {**REPONSES_ERREURS[422], "description": "aucun dossier"}})
async def lire(request: Request, cle: CleVerifiee = Depends(cle_api),
               departement: str = Query(..., pattern=_DEPARTEMENT, description="département du dossier"),
               identifiant: str = Query(..., min_length=1, max_length=200, description=CHAMPS["identifiant"]),
               date_demande: Optional[date] = Query(None, description="date de la demande (AAAA-MM-JJ) ; sans elle, "
                                                                      "tous les dossiers de cet identifiant")) -> Response:
    """L'historique des événements de suivi d'un dossier (ou de chaque demande d'un même identifiant) :
    numéro, type, date, en vigueur ou non, correction, origine. Ni commentaire ni nom de référent."""
    exiger_departement(cle, departement)
    lu = await run_in_threadpool(_lire_dossiers, service_de(request), departement, identifiant, date_demande)
    return Response(lu.model_dump_json().encode("utf-8"), media_type="application/json")
