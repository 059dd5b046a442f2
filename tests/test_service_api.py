"""The v1 API: recommendations (one dossier, lists through the bulk path), explanations, référentiels, model.

Responses are validated against the package's JSON schemas (``jsonschema``); the list answers are
checked equal to :func:`orientation.recommend` dossier by dossier (hypothesis); schemathesis fuzzes
every operation of the OpenAPI document (bounded, deterministic) and no answer is a 5xx.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st

from orientation import Orientateur
from orientation.schemas import publies
from orientation.service import Parametres, creer_application
from orientation.service.orienter import lire_dossier
from orientation.stockage import cles
from orientation.stockage.migrations import migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from tests.serveur import Serveur
from tests.strategies import dossiers

EXEMPLES = Path(__file__).resolve().parents[1] / "examples" / "dossiers"
PRIMO = json.loads((EXEMPLES / "primo_demandeuse_sans_abri.json").read_text(encoding="utf-8"))
RECURRENT = json.loads((EXEMPLES / "recurrent_profil_emploi.json").read_text(encoding="utf-8"))


def _orientateur() -> Orientateur:
    """The service's configuration: demo model loaded at start-up (so every decision names it)."""
    o = Orientateur.charger(modele="demo")
    assert o.modele is not None
    return o


def _valide(nom: str, doc: Any) -> None:
    jsonschema.validate(doc, publies()[nom])


def _egal(a: Any, b: Any, chemin: str = "") -> None:
    """Deep equality, floats to 1e-9 (the bulk path scores the model by blocks: last bits may differ)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=0, abs_tol=1e-9), (chemin, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), (chemin, list(a), b)
        for k in a:
            _egal(a[k], b[k], f"{chemin}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (chemin, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            _egal(x, y, f"{chemin}[{i}]")
    else:
        assert a == b, (chemin, a, b)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    base = f"sqlite:///{tmp_path_factory.mktemp('api') / 'service.sqlite3'}"
    moteur = creer_moteur(base)
    migrer(moteur)
    with fabrique_sessions(moteur)() as s:
        k = {"93": cles.creer_cle(s, "webrsa", ["93"])[1], "tous": cles.creer_cle(s, "tous", ["93", "58", "69"])[1]}
    moteur.dispose()
    app = creer_application(Parametres(base=base, modele="demo", dossiers_max_par_requete=50))
    app.state.service.charger()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, k


def _entete(cle: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {cle}"}


def test_un_dossier_decision_conforme_au_schema(api: tuple[TestClient, dict[str, str]]) -> None:
    client, k = api
    r = client.post("/v1/recommandations", json=PRIMO, headers=_entete(k["93"]))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    _valide("decision", r.json())
    attendu = _orientateur().recommend(lire_dossier(PRIMO)).model_dump(mode="json")
    assert r.json() == attendu
    e = client.post("/v1/recommandations?explications=true", json=RECURRENT, headers=_entete(k["93"])).json()
    _valide("decision", e["decision"])
    _valide("explication_lot", e["explication"])
    assert e["decision"]["modalite"] == "orientation_directe" and e["decision"]["modele"]["synthetique"] is True


def test_une_liste_avec_des_dossiers_invalides(api: tuple[TestClient, dict[str, str]]) -> None:
    client, k = api
    corps = [PRIMO, {**PRIMO, "dtnai": "1984-13-45"}, 7, RECURRENT]
    r = client.post("/v1/recommandations?explications=true", json=corps, headers=_entete(k["93"]))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["nombre"], doc["decides"], doc["rejetes"]) == (4, 2, 2)
    assert [x["rang"] for x in doc["resultats"]] == [0, 1, 2, 3]
    for x in doc["resultats"]:
        if "decision" in x:
            _valide("decision", x["decision"])
            _valide("explication_lot", x["explication"])
        else:
            _valide("rejet", x["rejet"])
    rejet = doc["resultats"][1]["rejet"]
    assert rejet["identifiant"] == PRIMO["identifiant"]
    assert [(e["champ"], e["valeur"]) for e in rejet["erreurs"]] == [("dtnai", "1984-13-45")]
    assert "date" in rejet["erreurs"][0]["raison"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(dossiers(), min_size=1, max_size=6), st.booleans())
def test_une_liste_donne_les_decisions_de_recommend(api: tuple[TestClient, dict[str, str]], lot: list[Any],
                                                    cnaf: bool) -> None:
    client, k = api
    corps = [d.vers_cnaf() if cnaf else d.model_dump(mode="json") for d in lot]
    r = client.post("/v1/recommandations", content=json.dumps(corps, default=str), headers=_entete(k["tous"]))
    if any(d.departement not in ("93", "58", "69") for d in lot):
        assert r.status_code == 403
        return
    assert r.status_code == 200, r.text
    orientateur = _orientateur()
    for d, x in zip(lot, r.json()["resultats"]):
        _egal(orientateur.recommend(d).model_dump(mode="json"), x["decision"])


def test_portee_et_limites(api: tuple[TestClient, dict[str, str]]) -> None:
    client, k = api
    nievre = {**PRIMO, "departement": "58"}
    for corps in (nievre, [PRIMO, nievre]):
        r = client.post("/v1/recommandations", json=corps, headers=_entete(k["93"]))
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/recommandations", json=PRIMO).status_code == 401
    trop = client.post("/v1/recommandations", json=[PRIMO] * 51, headers=_entete(k["93"]))
    assert trop.status_code == 413 and "au plus 50" in trop.json()["detail"]
    invalide = client.post("/v1/recommandations", json={**PRIMO, "dtnai": "hier"}, headers=_entete(k["93"]))
    assert invalide.status_code == 422
    assert invalide.json()["erreurs"] == [{"champ": "dtnai", "valeur": "hier",
                                           "raison": invalide.json()["erreurs"][0]["raison"]}]
    illisible = client.post("/v1/recommandations", content=b"{pas du json", headers=_entete(k["93"]))
    assert illisible.status_code == 422 and illisible.json()["type"].endswith("json-invalide")


def test_explications_par_format(api: tuple[TestClient, dict[str, str]]) -> None:
    client, k = api
    h = _entete(k["93"])
    j = client.post("/v1/explications", json=RECURRENT, headers=h)
    assert j.status_code == 200
    _valide("explication", j.json())
    t = client.post("/v1/explications", json=RECURRENT, headers={**h, "Accept": "text/plain"})
    assert t.headers["content-type"].startswith("text/plain") and "SYNTHÉTIQUES" in t.text
    m = client.post("/v1/explications?format=markdown", json=RECURRENT, headers=h)
    assert m.headers["content-type"].startswith("text/markdown") and m.text.lstrip().startswith("#")
    html = client.post("/v1/explications?format=html", json=RECURRENT, headers=h)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.text.lstrip().lower().startswith("<!doctype html") and "À faire" in html.text
    assert "<script" not in html.text and "R311-3-1-2" in html.text  # the short card points to the CRPA details
    complet = client.post("/v1/explications?format=html&detail=complet", json=RECURRENT, headers=h)
    assert complet.status_code == 200 and "1° Degré et mode de contribution" in complet.text
    assert "1° Degré" not in html.text
    court = client.post("/v1/explications?format=texte", json=RECURRENT, headers=h).text
    assert len(court.split()) < len(client.post("/v1/explications?format=texte&detail=complet", json=RECURRENT,
                                                headers=h).text.split())
    assert client.post("/v1/explications", json=[RECURRENT], headers=h).status_code == 422


def test_referentiel_et_modele(api: tuple[TestClient, dict[str, str]]) -> None:
    client, k = api
    h = _entete(k["93"])
    r = client.get("/v1/referentiels/93", headers=h)
    assert r.status_code == 200
    doc = r.json()
    _valide("catalogue_lot", doc["catalogue"])
    assert doc["version_regles"] == Orientateur.charger().referentiel("93").version
    assert "g93_defaut" in doc["catalogue"]["regles"] and len(doc["periodes"]) >= 1
    assert client.get("/v1/referentiels/58", headers=h).status_code == 403
    assert client.get("/v1/referentiels/99", headers=h).status_code == 404
    m = client.get("/v1/modele", headers=h).json()
    assert m["nom"] == "demo" and m["synthetique"] is True and m["manifeste"]["nom"] == "demo"
    carte = client.get("/v1/modele", headers={**h, "Accept": "text/html"})  # the demo model ships its card
    assert carte.status_code == 200 and carte.headers["content-type"].startswith("text/html")
    assert "demo" in carte.text and "<script" not in carte.text


# --------------------------------------------------------------------------- schemathesis


def test_fuzz_openapi_sans_erreur_5xx(api: tuple[TestClient, dict[str, str]]) -> None:
    """Every operation of /openapi.json, 30 generated requests each (deterministic): never a 5xx, errors in
    problem+json.  Driven by hypothesis directly (schemathesis' pytest plugin is not used)."""
    client, k = api
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    vues = []
    compte: dict[int, int] = {}
    for resultat in schema.get_all_operations():
        operation = resultat.ok()
        vues.append(f"{operation.method.upper()} {operation.path}")

        @settings(max_examples=30, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def essai(case: Any) -> None:
            reponse = case.call(headers=_entete(k["tous"]))
            assert reponse.status_code < 500, (case.method, case.path, reponse.status_code, reponse.text[:500])
            if reponse.status_code >= 400:
                type_contenu = reponse.headers.get("content-type") or [""]
                type_contenu = type_contenu[0] if isinstance(type_contenu, list) else type_contenu
                assert type_contenu.startswith("application/problem+json"), reponse.text[:300]
            compte[reponse.status_code // 100] = compte.get(reponse.status_code // 100, 0) + 1

        essai()
    assert {"POST /v1/recommandations", "POST /v1/explications", "GET /v1/referentiels/{departement}",
            "POST /v1/suivis", "GET /v1/suivis",
            "GET /v1/modele", "GET /sante", "GET /pret"} <= set(vues)
    assert compte.get(2, 0) > 0 and compte.get(4, 0) > 0, compte  # both accepted and refused requests were made


# --------------------------------------------------------------------------- a real uvicorn process


def test_chemins_principaux_sur_un_vrai_serveur(serveur_base: Serveur) -> None:
    k93 = serveur_base.cle("webrsa", "93")
    with serveur_base.client(k93) as c:
        d = c.post("/v1/recommandations", json=PRIMO)
        assert d.status_code == 200 and d.json()["modalite"] == "rdv_obligatoire"
        liste = c.post("/v1/recommandations", json=[PRIMO, RECURRENT, {"x": 1}]).json()
        assert (liste["decides"], liste["rejetes"]) == (2, 1)
        assert c.post("/v1/explications", json=PRIMO, headers={"Accept": "text/markdown"}).status_code == 200
        assert c.get("/v1/referentiels/93").status_code == 200
        assert c.post("/v1/recommandations", json={**PRIMO, "departement": "58"}).status_code == 403
        assert c.get("/v1/modele").status_code == 404  # served without a model
    r = httpx_post_sans_cle(serveur_base)
    assert r.status_code == 401
    assert PRIMO["identifiant"] not in serveur_base.journaux()


def httpx_post_sans_cle(serveur: Serveur) -> Any:
    with serveur.client() as c:
        return c.post("/v1/recommandations", json=PRIMO)


def test_requetes_concurrentes_sur_un_vrai_serveur(serveur: Serveur) -> None:
    """Single and batch requests at the same time (threads of the server, durable-rules' lock) give the
    decisions computed one by one."""
    from concurrent.futures import ThreadPoolExecutor

    exemples = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXEMPLES.glob("*.json"))]
    exemples = [x for x in exemples if lire_dossier(x).departement in ("93", "58", "69")]
    attendu = [Orientateur.charger(modele=False).recommend(lire_dossier(x)).model_dump(mode="json")
               for x in exemples]
    cle = serveur.cle("tous", "93", "58", "69")

    def un_par_un(decalage: int) -> list[Any]:
        with serveur.client(cle) as c:
            return [c.post("/v1/recommandations", json=exemples[(i + decalage) % len(exemples)]).json()
                    for i in range(len(exemples))]

    def en_liste(_: int) -> list[Any]:
        with serveur.client(cle) as c:
            return [x["decision"] for x in c.post("/v1/recommandations", json=exemples * 5).json()["resultats"]]

    with ThreadPoolExecutor(6) as pool:
        simples = [pool.submit(un_par_un, k) for k in range(4)]
        listes = [pool.submit(en_liste, k) for k in range(2)]
        for k, f in enumerate(simples):
            obtenu = f.result()
            for i, d in enumerate(obtenu):
                _egal(attendu[(i + k) % len(exemples)], d)
        for f in listes:
            for i, d in enumerate(f.result()):
                _egal(attendu[i % len(exemples)], d)
