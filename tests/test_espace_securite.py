"""Security of the referent workspace (SQLite and PostgreSQL): CSRF, session fixation, cross-département access,
brute force, cookie flags, access journal, no personal data in the application log."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from orientation.espace import sessions as sess
from orientation.espace.comptes import ECHECS_COMPTE
from orientation.stockage.espace import DossierEspace, EntreeJournal
from tests.espace_outils import FLUX_EXEMPLE, Base, connecter, csrf


def _un_dossier(base: Base, departement: str = "93") -> DossierEspace:
    with base.sessions() as db:
        return db.scalars(select(DossierEspace).where(DossierEspace.departement == departement)).first()


def test_csrf_exige_sur_chaque_formulaire(client: TestClient, base: Base) -> None:
    jeton = csrf(client.get("/espace/connexion").text)
    for donnees in ({}, {"csrf": "faux"}, {"csrf": jeton + "x"}):
        r = client.post("/espace/connexion", data={**donnees, "courriel": "referente@93.fr",
                                                    "mot_de_passe": "mot-de-passe-de-test-1"})
        assert r.status_code == 403 and "CSRF" in r.text and "Traceback" not in r.text
    assert connecter(client, "referente@93.fr").status_code == 303
    d = _un_dossier(base)
    saisie = {"parcours": "social", "structure": "caf", "date_decision": date.today().isoformat(), "motif": "m",
              "rdv_honore": "oui"}
    for donnees in ({}, {"csrf": "faux"}, {"csrf": jeton}):  # the pre-login token is no longer valid either
        assert client.post(f"/espace/dossiers/{d.id}/decision", data={**saisie, **donnees}).status_code == 403
        assert client.post("/espace/validation", data={"ids": [str(d.id)], **donnees}).status_code == 403
        assert client.post("/espace/deconnexion", data=donnees).status_code == 403
    with base.sessions() as db:
        assert db.scalars(select(EntreeJournal).where(EntreeJournal.action == "decision")).first() is None


def test_csrf_exige_sur_les_formulaires_d_import(client: TestClient, base: Base) -> None:
    from orientation.stockage import lots

    jeton_anonyme = csrf(client.get("/espace/connexion").text)  # the pre-login token is no longer valid after it
    assert connecter(client, "admin@93.fr").status_code == 303
    fichier = {"flux": ("flux.csv", FLUX_EXEMPLE.read_bytes()[:2000], "text/csv")}
    for adresse in ("/espace/import", "/espace/import/lot"):
        for donnees in ({}, {"csrf": "faux"}, {"csrf": jeton_anonyme}):
            r = client.post(adresse, data=donnees, files=fichier, follow_redirects=False)
            assert r.status_code == 403 and "CSRF" in r.text and "Traceback" not in r.text
    with base.sessions() as db:
        assert db.scalar(select(func.count()).select_from(lots.Lot)) == 0  # no job was created


def test_pas_de_fixation_de_session_et_cookie_protege(client: TestClient) -> None:
    r = client.get("/espace/connexion")
    avant = client.cookies.get(sess.COOKIE)
    entete = r.headers["set-cookie"].lower()
    assert avant and "httponly" in entete and "samesite=lax" in entete and "path=/espace" in entete
    r = connecter(client, "referente@93.fr")
    apres = client.cookies.get(sess.COOKIE)
    assert r.status_code == 303 and apres and apres != avant
    # the pre-login session id is dead: replaying it gives no access
    vieux = TestClient(client.app, base_url="http://testserver", cookies={sess.COOKIE: avant})
    assert vieux.get("/espace/file", follow_redirects=False).headers["location"] == "/espace/connexion"
    assert client.get("/espace/file").status_code == 200
    client.post("/espace/deconnexion", data={"csrf": csrf(client.get("/espace/file").text)})
    assert TestClient(client.app, base_url="http://testserver", cookies={sess.COOKIE: apres}).get(
        "/espace/file", follow_redirects=False).status_code == 303


def test_cookie_securise_en_https(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    https = TestClient(client.app, base_url="https://testserver")
    assert "secure" in https.get("/espace/connexion").headers["set-cookie"].lower()
    assert "secure" not in client.get("/espace/connexion").headers["set-cookie"].lower()
    monkeypatch.setenv(sess.VARIABLE_HTTPS, "1")  # behind an HTTPS proxy
    assert "secure" in client.get("/espace/connexion").headers["set-cookie"].lower()


def test_autre_departement_ni_lu_ni_ecrit(client: TestClient, base: Base) -> None:
    d93 = _un_dossier(base)
    assert connecter(client, "referent@58.fr").status_code == 303
    lecture = client.get(f"/espace/dossiers/{d93.id}")
    assert lecture.status_code == 404 and d93.identifiant not in lecture.text
    jeton = csrf(client.get("/espace/file").text)
    ecriture = client.post(f"/espace/dossiers/{d93.id}/decision", data={
        "csrf": jeton, "parcours": "social", "structure": "caf", "date_decision": date.today().isoformat(),
        "motif": "m", "rdv_honore": "oui"})
    assert ecriture.status_code == 404
    r = client.post("/espace/validation", data={"csrf": jeton, "ids": [str(d93.id)]}, follow_redirects=False)
    assert r.status_code == 403  # not empowered; and an empowered 58 referent would validate 0 (tested below)
    assert d93.identifiant not in client.get("/espace/file").text
    with base.sessions() as db:
        assert db.get(DossierEspace, d93.id).statut == "a_orienter"
        assert db.scalars(select(EntreeJournal).where(EntreeJournal.dossier_id == d93.id)).first() is None
    assert client.get("/espace/exports/decisions.csv").status_code == 403
    assert client.get("/espace/dossiers/999999999").status_code == 404


def test_force_brute_bloquee_en_francais(client: TestClient) -> None:
    for _ in range(ECHECS_COMPTE):
        r = connecter(client, "referente@93.fr", "mauvais-mot-de-passe")
        assert r.status_code == 401 and "incorrect" in r.text
    r = connecter(client, "referente@93.fr")  # even the right password is refused while locked
    assert r.status_code == 429 and "trop de tentatives" in r.text and "minute" in r.text
    assert client.cookies.get(sess.COOKIE) and client.get("/espace/file", follow_redirects=False).status_code == 303
    assert connecter(client, "simple@93.fr").status_code == 303  # another account is not locked by it


def test_journal_des_acces_et_journal_applicatif_sans_donnees_personnelles(
        client: TestClient, base: Base, caplog: pytest.LogCaptureFixture) -> None:
    d = _un_dossier(base)
    naissance = d.enregistrement["dtnai"]
    with caplog.at_level(logging.DEBUG):
        assert connecter(client, "referente@93.fr").status_code == 303
        fiche = client.get(f"/espace/dossiers/{d.id}")
        client.post(f"/espace/dossiers/{d.id}/decision", data={
            "csrf": csrf(fiche.text), "parcours": "social", "structure": "caf",
            "date_decision": date.today().isoformat(), "motif": "m", "rdv_honore": "oui"})
        client.get("/espace/file?page=2")
    texte = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the access log did write (else the check below is vacuous)
    assert d.identifiant not in texte and naissance not in texte and "referente@93.fr" not in texte
    assert re.search(r'"chemin": "/espace/dossiers/\{dossier_id\}"', texte)
    with base.sessions() as db:
        j = db.scalars(select(EntreeJournal).order_by(EntreeJournal.id)).all()
    assert [(e.action, e.dossier_id, e.utilisateur) for e in j if e.dossier_id] == [
        ("consultation", d.id, "referente@93.fr"), ("decision", d.id, "referente@93.fr"),
        ("consultation", d.id, "referente@93.fr")]
    assert all(e.le is not None for e in j) and j[0].action == "connexion"
