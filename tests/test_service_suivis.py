"""``POST /v1/suivis`` and ``GET /v1/suivis``: follow-up events sent by calling systems (SQLite and PostgreSQL).

The route shares the CSV import's checks (:mod:`orientation.stockage.suivis`): the same rows give the same
errors (field, value, reason; ``rang`` + 2 = the CSV line), all or nothing, idempotent; the key's name is
the author; a key never reaches another département; no identifier in the application log.  schemathesis
fuzzes both operations with the rest of the API (``tests/test_service_api.py``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from orientation.espace.suivis import SaisieSuivi
from orientation.schemas import publies
from orientation.espace.application import creer_application
from orientation.service import Parametres
from orientation.stockage import cles
from orientation.stockage.espace import EntreeJournal
from orientation.stockage.suivis import TYPES_SUIVI, SuiviAccompagnement
from tests.espace_outils import connecter
from tests.serveur import Serveur
from tests.test_suivis import ENTETE, G, ID, SUIVIS, _importer, _preparer, _saisir

LIMITE = 40


def _json(texte_csv: str, departement: str = "93") -> list[dict[str, Any]]:
    """The rows of a follow-up CSV file as the JSON events of the API (empty commentary left out)."""
    evenements = []
    for ligne in csv.DictReader(io.StringIO(texte_csv)):
        ev: dict[str, Any] = {"departement": departement, **{k: v for k, v in ligne.items() if k != "commentaire"}}
        if ligne.get("commentaire"):
            ev["commentaire"] = ligne["commentaire"]
        evenements.append(ev)
    return evenements


@pytest.fixture
def api(base_migree: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    e = _preparer(base_migree, tmp_path)
    with e["sessions"]() as db:
        e["cles"] = {"93": cles.creer_cle(db, "webrsa", ["93"])[1], "58": cles.creer_cle(db, "solis58", ["58"])[1],
                     "tous": cles.creer_cle(db, "iodas", ["93", "58"])[1]}
    # the application ``orientation servir`` runs (service and workspace); the service alone is fuzzed with the
    # rest of the API in tests/test_service_api.py
    app = creer_application(Parametres(base=base_migree, dossiers_max_par_requete=LIMITE))
    with TestClient(app, raise_server_exceptions=False, base_url="http://testserver") as client:
        e["client"] = client
        yield e
    e["moteur"].dispose()


def _post(api: dict[str, Any], corps: Any, cle: str = "93") -> Any:
    return api["client"].post("/v1/suivis", json=corps, headers={"Authorization": f"Bearer {api['cles'][cle]}"})


def _nombre(api: dict[str, Any]) -> int:
    with api["sessions"]() as db:
        return int(db.scalar(select(func.count()).select_from(SuiviAccompagnement)))


def test_evenements_enregistres_idempotents_auteur_la_cle(api: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    evenements = _json(SUIVIS)
    for ev in evenements:
        jsonschema.validate(ev, publies()["suivi"])  # what the README tells callers to send is in the contract
    with caplog.at_level(logging.INFO):
        r = _post(api, evenements)
    assert r.status_code == 200, r.text
    corps = r.json()
    assert (corps["nombre"], corps["ajoutes"], corps["deja_enregistres"]) == (11, 11, 0)
    assert [x["rang"] for x in corps["resultats"]] == list(range(11))
    assert {x["statut"] for x in corps["resultats"]} == {"ajoute"}
    numeros = [x["numero"] for x in corps["resultats"]]
    assert _nombre(api) == 11
    with api["sessions"]() as db:
        evs = db.scalars(select(SuiviAccompagnement).order_by(SuiviAccompagnement.id)).all()
        assert [e.id for e in evs] == numeros
        assert {(e.origine, e.auteur, e.auteur_role) for e in evs} == {("import", "webrsa", "cle_api")}
        assert [e.commentaire for e in evs if e.commentaire] == ["courrier et appel"]
        journal = db.scalars(select(EntreeJournal).where(EntreeJournal.action == "import_suivis")).all()
        assert [(j.utilisateur, j.departement, j.detail) for j in journal] == [
            ("webrsa", "93", "POST /v1/suivis, clé d'API « webrsa » : 11 événement(s) ajouté(s), 0 déjà enregistré(s)")]
    # the same list again: nothing written, each event named by the number it already has
    r = _post(api, evenements)
    assert r.status_code == 200 and (r.json()["ajoutes"], r.json()["deja_enregistres"]) == (0, 11)
    assert [x["numero"] for x in r.json()["resultats"]] == numeros
    assert {x["statut"] for x in r.json()["resultats"]} == {"deja_enregistre"}
    assert _nombre(api) == 11
    # one object alone is a list of one
    r = _post(api, {"departement": "93", "identifiant": ID["C"], "date_demande": "2025-05-25",
                    "type": "dossier_complet", "date": "2025-05-30"})
    assert r.status_code == 200 and r.json()["resultats"] == [{"rang": 0, "statut": "deja_enregistre",
                                                                "numero": numeros[7]}]
    # the access line names the route and the key, never a dossier
    lignes = [rec.getMessage() for rec in caplog.records if rec.name == "orientation.service.acces"]
    assert lignes and all('"/v1/suivis"' in x and "webrsa" in x for x in lignes)
    assert not any(i in rec.getMessage() for rec in caplog.records for i in ID.values())


LIGNES_INVALIDES = [
    f"{ID['A']},2025-05-06,dossier_complet,2025-06-04,",  # valid, yet not recorded
    f"{ID['A']},2025-05-06,rdv_fixe,2025-07-20,",  # unknown type
    f"{G},2025-05-18,dossier_complet,2025-05-20,",  # the 58's dossier, not in the 93
    f"{ID['A']},2025-05-07,dossier_complet,2025-06-04,",  # wrong request date: no such dossier
    f"{ID['B']},2025-07-03,relance_apres_absence,2025-08-20,",  # no absence
    f"{ID['C']},2025-05-25,premier_rdv_honore,2025-06-20,",  # C has no decision
    f"{ID['B']},2025-07-03,signature_cer,2099-01-01,",  # future
    f"{ID['B']},2025-07-03,signature_cer,25/08/2025,",  # bad date
    f"{ID['E']},2025-05-17,absence_premier_rdv,2025-06-25,",  # valid
    f"{ID['E']},2025-05-17,premier_rdv_honore,2025-06-25,",  # not after the absence just above
]


def test_tout_ou_rien_memes_erreurs_que_l_import_csv(api: dict[str, Any], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    texte = ENTETE + "\n".join(LIGNES_INVALIDES) + "\n"
    r = _post(api, _json(texte))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    probleme = r.json()
    assert probleme["type"] == "urn:orientation:probleme:suivis-refuses"
    assert probleme["detail"].startswith("8 événement(s) en erreur sur 10 : rien n'est enregistré (tout ou rien)")
    api_erreurs = [(e["rang"] + 2, e["champ"], e["valeur"], e["raison"]) for e in probleme["erreurs"]]
    assert [e[0] for e in api_erreurs] == sorted(e[0] for e in api_erreurs)
    assert _nombre(api) == 0
    # the CSV import of the same rows: the same errors, line = rank + 2 (header on line 1)
    code, _, _ = _importer(api, tmp_path, texte, "--rejets", str(tmp_path / "rejets.csv"), capsys=capsys)
    assert code == 2 and _nombre(api) == 0
    csv_erreurs = [(int(x["ligne"]), x["champ"], x["valeur"], x["raison"])
                   for x in csv.DictReader(io.StringIO((tmp_path / "rejets.csv").read_text(encoding="utf-8")))]
    assert sorted(api_erreurs) == sorted(csv_erreurs) and len(api_erreurs) == 8
    assert (11, "date", "2025-06-25", "le premier rendez-vous honoré (25/06/2025) doit suivre l'absence au premier "
                                      "rendez-vous (25/06/2025)") in api_erreurs


def test_erreurs_propres_au_json_et_limites(api: dict[str, Any]) -> None:
    bon = _json(SUIVIS)[0]
    cas = [
        ([bon, "texte"], [(1, "(événement)", "objet JSON attendu (un événement de suivi)")]),
        ([{**bon, "autre": 1}], [(0, "autre", "champ inconnu ; champs admis : departement, identifiant, "
                                              "date_demande, type, date, commentaire")]),
        ([{k: v for k, v in bon.items() if k != "date"}], [(0, "date", "champ obligatoire")]),
        ([{**bon, "date": 20250604}], [(0, "date", "texte attendu (date AAAA-MM-JJ)")]),
        ([{**bon, "departement": " "}], [(0, "departement", "champ obligatoire")]),
        ([{**bon, "commentaire": "x" * 2001}], [(0, "commentaire", "commentaire trop long (au plus 2000 caractères)")]),
    ]
    for corps, attendu in cas:
        r = _post(api, corps)
        assert r.status_code == 422, (corps, r.text)
        assert [(e["rang"], e["champ"], e["raison"]) for e in r.json()["erreurs"]] == attendu
    assert _post(api, []).status_code == 422
    r = _post(api, [bon] * (LIMITE + 1))
    assert r.status_code == 413 and f"au plus {LIMITE} par requête" in r.json()["detail"]
    r = api["client"].post("/v1/suivis", content=b"{", headers={"Authorization": f"Bearer {api['cles']['93']}"})
    assert r.status_code == 422 and r.json()["type"] == "urn:orientation:probleme:json-invalide"
    assert api["client"].post("/v1/suivis", json=bon).status_code == 401
    assert _nombre(api) == 0


def test_portee_de_la_cle(api: dict[str, Any]) -> None:
    g = {"departement": "58", "identifiant": G, "date_demande": "2025-05-18", "type": "dossier_complet",
         "date": "2025-05-20"}
    a = _json(SUIVIS)[0]
    r = _post(api, [a, g])  # a 93 key cannot write a 58 event, even among 93 ones: nothing recorded
    assert r.status_code == 403 and "« webrsa » n'est autorisée que pour le(s) département(s) 93" in r.json()["detail"]
    r = _post(api, {**g, "departement": "93"})  # the 58's dossier named as a 93 one is not found
    assert r.status_code == 422 and "aucun dossier" in r.json()["erreurs"][0]["raison"]
    assert _post(api, a, cle="58").status_code == 403
    assert _nombre(api) == 0
    r = _post(api, [a, g], cle="tous")  # a key of both: one journal line per département
    assert r.status_code == 200 and r.json()["ajoutes"] == 2
    with api["sessions"]() as db:
        assert sorted(db.scalars(select(EntreeJournal.departement).where(EntreeJournal.action == "import_suivis"))) \
            == ["58", "93"]
    h = {"Authorization": f"Bearer {api['cles']['93']}"}
    assert api["client"].get("/v1/suivis", params={"departement": "58", "identifiant": G}, headers=h).status_code == 403
    assert api["client"].get("/v1/suivis", params={"departement": "93", "identifiant": G}, headers=h).status_code == 404


def test_relire_l_historique(api: dict[str, Any]) -> None:
    assert _post(api, _json(SUIVIS)).status_code == 200
    with api["sessions"]() as db:
        numero_absence_e = db.scalars(select(SuiviAccompagnement.id).where(
            SuiviAccompagnement.type == "absence_premier_rdv").order_by(SuiviAccompagnement.id.desc())).first()
    # the referent corrects E's missed appointment on the card
    _saisir(api, "E", SaisieSuivi("absence_premier_rdv", "2025-06-26", "date corrigée", str(numero_absence_e)))
    h = {"Authorization": f"Bearer {api['cles']['93']}"}
    r = api["client"].get("/v1/suivis", params={"departement": "93", "identifiant": ID["E"]}, headers=h)
    assert r.status_code == 200, r.text
    lu = r.json()
    assert lu["identifiant"] == ID["E"] and len(lu["dossiers"]) == 1
    d = lu["dossiers"][0]
    assert d["date_demande"] == "2025-05-17" and d["decision_enregistree"] is True
    resume = [(e["type"], e["date"], e["en_vigueur"], e["saisi_par"], e["corrige"]) for e in d["evenements"]]
    assert resume[:2] == [("dossier_complet", "2025-06-01", True, "api", None),
                          ("absence_premier_rdv", "2025-06-25", False, "api", None)]
    assert resume[2][:4] == ("absence_premier_rdv", "2025-06-26", True, "fiche") and resume[2][4] == numero_absence_e
    assert "date corrigée" not in r.text and "referente@93.fr" not in r.text  # no commentary, no referent's name
    r = api["client"].get("/v1/suivis", params={"departement": "93", "identifiant": ID["E"],
                                                 "date_demande": "2025-05-18"}, headers=h)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    # the card's history names the key as author
    assert connecter(api["client"], "referente@93.fr").status_code == 303
    fiche = api["client"].get(f"/espace/dossiers/{api['ids']['E']}").text
    assert "<td>webrsa (clé d'API)</td>" in fiche and "referente@93.fr" in fiche


def test_contrat_openapi(api: dict[str, Any]) -> None:
    doc = api["client"].get("/openapi.json").json()
    corps = doc["paths"]["/v1/suivis"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert corps == {"oneOf": [{"$ref": "#/components/schemas/suivi"}, {"$ref": "#/components/schemas/ListeSuivis"}]}
    assert doc["components"]["schemas"]["suivi"]["x-schema-id"] == "urn:orientation:schema:suivi:1.0"
    assert set(doc["components"]["schemas"]["suivi"]["properties"]["type"]["enum"]) == set(TYPES_SUIVI)
    assert "rang" in doc["components"]["schemas"]["ErreurChampProbleme"]["properties"]
    # every reference of the document resolves
    refs: list[str] = []

    def visiter(n: Any) -> None:
        if isinstance(n, dict):
            refs.extend(v for k, v in n.items() if k == "$ref")
            for v in n.values():
                visiter(v)
        elif isinstance(n, list):
            for v in n:
                visiter(v)

    visiter(doc)
    assert refs and all(r.split("/")[-1] in doc["components"]["schemas"] for r in refs)
    assert "get" in doc["paths"]["/v1/suivis"]


JOURS = st.dates(min_value=date(2025, 5, 1), max_value=date(2025, 9, 1))
EVENEMENT = st.fixed_dictionaries({
    "departement": st.just("93"),
    "identifiant": st.sampled_from([ID[k] for k in "ABCDE"]),
    "date_demande": st.sampled_from(["2025-05-06", "2025-07-03", "2025-05-25", "2025-07-09", "2025-05-17"]),
    "type": st.sampled_from(list(TYPES_SUIVI)),
    "date": JOURS.map(lambda d: d.isoformat()),
})


@pytest.mark.parametrize("url_base", ["sqlite"], indirect=True)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listes=st.lists(st.lists(EVENEMENT, min_size=1, max_size=6), min_size=1, max_size=4))
def test_propriete_tout_ou_rien_et_renvoi_sans_effet(api: dict[str, Any], listes: list[list[dict[str, Any]]]) -> None:
    """Whatever the lists and the state left by earlier ones: a 422 writes nothing, a 200 writes exactly
    its « ajoute » events, and sending an accepted list again adds nothing."""
    for evenements in listes:
        avant = _nombre(api)
        r = _post(api, evenements)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert _nombre(api) == avant and all(0 <= e["rang"] < len(evenements) for e in r.json()["erreurs"])
            continue
        assert _nombre(api) == avant + r.json()["ajoutes"]
        r2 = _post(api, evenements)
        assert r2.status_code == 200 and r2.json()["ajoutes"] == 0 and _nombre(api) == avant + r.json()["ajoutes"]


def test_par_un_vrai_serveur_et_la_session_curl_du_readme(serveur_base: Serveur, tmp_path: Path) -> None:
    """Through HTTP against a real ``orientation servir`` (SQLite and PostgreSQL): the events sent, read back,
    the scope; then the README's curl lines for /v1/suivis, as written: the two events are already there."""
    e = _preparer(serveur_base.base, tmp_path)
    e["moteur"].dispose()
    cle = serveur_base.cle("webrsa", "93")
    with serveur_base.client(cle) as c:
        r = c.post("/v1/suivis", json=_json(SUIVIS))
        assert r.status_code == 200 and r.json()["ajoutes"] == 11, r.text
        r = c.get("/v1/suivis", params={"departement": "93", "identifiant": ID["A"]})
        assert r.status_code == 200 and len(r.json()["dossiers"][0]["evenements"]) == 4
        assert c.post("/v1/suivis", json={**_json(SUIVIS)[0], "departement": "58"}).status_code == 403
    journaux = serveur_base.journaux()
    assert '"/v1/suivis"' in journaux and not any(i in journaux for i in ID.values())
    if shutil.which("curl") is None:
        pytest.skip("curl absent de cette machine")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    bloc = next(b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if "/v1/suivis" in b)
    script = f"SERVICE={serveur_base.url}\nAUTH='Authorization: Bearer {cle}'\n" + bloc
    r2 = subprocess.run(["timeout", "60", "bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True)
    assert r2.returncode == 0, r2.stdout[-2000:] + r2.stderr[-2000:]
    envoi, fin = json.JSONDecoder().raw_decode(r2.stdout)  # two JSON answers, one after the other
    relu = json.loads(r2.stdout[fin:])
    assert (envoi["ajoutes"], envoi["deja_enregistres"]) == (0, 2)
    assert [ev["type"] for ev in relu["dossiers"][0]["evenements"]] == ["dossier_complet"]
