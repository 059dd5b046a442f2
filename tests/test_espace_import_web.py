"""Imports uploaded in the browser (orientation.espace.web_import, orientation.espace.televersements), on SQLite and
PostgreSQL: stored, imported by a background job of the service, followed on a page with the final counts and the
rejects; a failure in the middle says what stays; limits (413, 429, 422); a 58 administrator sees no 93 job."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from orientation.espace import importation, televersements
from orientation.espace.application import creer_application
from orientation.espace.comptes import ajouter_utilisateur
from orientation.service import Parametres
from orientation.stockage import lots as table
from orientation.stockage.cles import CleApi
from orientation.stockage.espace import DossierEspace, EntreeJournal, Utilisateur
from tests.espace_outils import FLUX_EXEMPLE, MOT_DE_PASSE, Base, connecter, csrf

PETIT = "\n".join(FLUX_EXEMPLE.read_text(encoding="utf-8").splitlines()[:30]) + "\n"  # 29 rows, line 19 rejected


def _attendre(client: TestClient, adresse: str, essais: int = 600) -> str:
    """The job's page once it has left the active states (bounded polling)."""
    for _ in range(essais):
        r = client.get(adresse)
        assert r.status_code == 200, r.text
        if "data-actualiser" not in r.text:
            return r.text
        time.sleep(0.05)
    raise AssertionError(f"import toujours actif : {r.text[-800:]}")


def _televerser(client: TestClient, adresse: str = "/espace/import", **fichiers: Any) -> Any:
    jeton = csrf(client.get("/espace/import").text)
    return client.post(adresse, data={"csrf": jeton}, files=fichiers, follow_redirects=False)


def _lot_de(base: Base, identifiant: str) -> table.Lot:
    with base.sessions() as s:
        lot = table.lire_lot(s, identifiant)
        assert lot is not None
        return lot


def _identifiant(reponse: Any) -> str:
    assert reponse.status_code == 303, reponse.text[-600:]
    trouve = re.fullmatch(r"/espace/import/([0-9a-f]{32})", reponse.headers["location"])
    assert trouve, reponse.headers["location"]
    return trouve.group(1)


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    assert connecter(client, "admin@93.fr").status_code == 303
    return client


def test_flux_importe_en_arriere_plan_avec_rejets(admin: TestClient, base: Base, tmp_path: Path) -> None:
    with base.sessions() as s:
        avant = s.scalar(select(func.count()).select_from(DossierEspace))
    identifiant = _identifiant(_televerser(admin, flux=("flux.csv", PETIT, "text/csv")))
    page = _attendre(admin, f"/espace/import/{identifiant}")
    assert "terminé" in page and "29 ligne(s) lue(s)" in page and "28 mis à jour" in page
    lot = _lot_de(base, identifiant)
    assert (lot.etat, lot.lignes_lues, lot.decidees, lot.rejetees, lot.lignes_estimees) == ("termine", 29, 28, 1, 29)
    assert "SYN-93" not in (lot.message or "")  # the jobs table holds no identifier
    rejets = admin.get(f"/espace/import/{identifiant}/rejets.csv")
    assert rejets.status_code == 200 and rejets.headers["cache-control"] == "no-store"
    lignes = list(csv.DictReader(io.StringIO(rejets.text)))
    assert [(x["ligne"], x["champ"], x["valeur"]) for x in lignes] == [("19", "natlog", "0999")]
    # the upload is gone once imported; only the rejects stay (until the folder's retention)
    assert sorted(p.name for p in (tmp_path / "lots" / identifiant).iterdir()) == ["rejets.csv"]
    with base.sessions() as s:
        assert s.scalar(select(func.count()).select_from(DossierEspace)) == avant  # all already present
        journal = s.scalars(select(EntreeJournal).where(EntreeJournal.action.in_(("import", "export")))
                            .order_by(EntreeJournal.id)).all()
        # a workspace job: no API key (none is created for it: orientation cles lister shows no fake key), its uploader
        admin_id = s.scalars(select(Utilisateur.id).where(Utilisateur.courriel == "admin@93.fr")).one()
        assert (lot.origine, lot.cle_id, lot.utilisateur_id) == ("espace", None, admin_id)
        assert s.scalar(select(func.count()).select_from(CleApi)) == 0
    assert [(e.action, e.utilisateur) for e in journal] == [("import", "admin@93.fr")] * 2 + [("export", "admin@93.fr")]
    assert "téléversé" in journal[0].detail and "(termine) : 0 ajouté(s), 28 mis à jour" in journal[1].detail
    liste = admin.get("/espace/import").text
    assert f'href="/espace/import/{identifiant}"' in liste and "terminé" in liste


def test_sorties_d_orientation_lot_importees(admin: TestClient, base: Base, tmp_path: Path) -> None:
    from orientation.donnees import chemin_modele
    from orientation.flux.lot import traiter_fichier

    flux = tmp_path / "flux.csv"
    flux.write_text(PETIT, encoding="utf-8")
    traiter_fichier(flux, "93", tmp_path / "decisions.csv", tmp_path / "explications.jsonl",
                    modele=chemin_modele("demo"), progression=False, processus=1)

    def fichiers(**remplace: bytes) -> dict[str, Any]:
        contenus = {"flux": flux.read_bytes(), "decisions": (tmp_path / "decisions.csv").read_bytes(),
                    "manifeste": (tmp_path / "decisions.manifeste.json").read_bytes(),
                    "explications": (tmp_path / "explications.jsonl").read_bytes(), **remplace}
        noms = {"flux": "flux.csv", "decisions": "decisions.csv", "manifeste": "decisions.manifeste.json",
                "explications": "explications.jsonl"}
        return {k: (noms[k], v) for k, v in contenus.items()}

    formulaire = admin.get("/espace/import/lot").text
    assert all(x in formulaire for x in ("decisions.csv", "decisions.manifeste.json", "explications.jsonl",
                                         "facultatif"))
    identifiant = _identifiant(_televerser(admin, "/espace/import/lot", **fichiers()))
    page = _attendre(admin, f"/espace/import/{identifiant}")
    lot = _lot_de(base, identifiant)
    assert lot.etat == "termine" and lot.format == "lot" and lot.explications, lot.message
    assert (lot.lignes_lues, lot.decidees, lot.rejetees) == (29, 28, 1) and "orientation lot du" in page
    # decisions that are not the run's: refused before anything is written, the uploaded name in the message
    autre = (tmp_path / "decisions.csv").read_bytes().replace(b"\n", b"\r\n", 1)
    identifiant = _identifiant(_televerser(admin, "/espace/import/lot", **fichiers(decisions=autre)))
    page = _attendre(admin, f"/espace/import/{identifiant}")
    lot = _lot_de(base, identifiant)
    assert lot.etat == "refuse" and "« decisions.csv »" in lot.message and "SHA-256" in lot.message
    assert "Aucun dossier n'a été enregistré" in lot.message and str(tmp_path / "lots") not in lot.message
    assert "refusé" in page and "Aucun dossier" in page
    # a required file missing: 422 on the form, no job
    sans = fichiers()
    del sans["manifeste"]
    r = _televerser(admin, "/espace/import/lot", **sans)
    assert r.status_code == 422 and "manifeste (decisions.manifeste.json) : fichier absent" in r.text


def test_echec_en_cours_de_route_dit_ce_qui_reste(admin: TestClient, base: Base,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after some blocks: the job says how many dossiers were written, and exactly those were."""
    monkeypatch.setattr(televersements, "TAILLE_BLOC", 10)
    vrai, appels = importation.enregistrer_bloc, []

    def panne(*args: Any, **kw: Any) -> None:
        appels.append(1)
        if len(appels) == 3:
            raise RuntimeError("panne de la base simulée")
        vrai(*args, **kw)

    monkeypatch.setattr(importation, "enregistrer_bloc", panne)
    with base.sessions() as s:  # what the fixture's own import wrote, to tell it from the job's writes
        avant = dict(s.execute(select(DossierEspace.id, DossierEspace.importe_le)).all())
    identifiant = _identifiant(_televerser(admin, flux=("flux.csv", PETIT, "text/csv")))
    page = _attendre(admin, f"/espace/import/{identifiant}")
    lot = _lot_de(base, identifiant)
    assert lot.etat == "echec" and "erreur interne inattendue (RuntimeError)" in lot.message
    assert "panne" not in lot.message  # an unexpected error's text is never shown
    with base.sessions() as s:
        apres = dict(s.execute(select(DossierEspace.id, DossierEspace.importe_le)).all())
    touches = sum(1 for k, v in apres.items() if avant.get(k) != v)  # added, or updated by the job
    trouve = re.search(r"(\d+) dossier\(s\) ont été ajoutés et (\d+) mis à jour", lot.message)
    assert trouve and int(trouve.group(1)) + int(trouve.group(2)) == touches == lot.decidees > 0
    assert "importer de nouveau est sans risque" in lot.message and "interrompu" in page


@pytest.fixture
def petit_service(base: Base, tmp_path: Path) -> Iterator[TestClient]:
    """The workspace with small limits: 2,000 bytes per upload, one active job at most."""
    app = creer_application(Parametres(base=base.url, modele="demo", dossier_lots=str(tmp_path / "lots"),
                                       taille_max_lot=2_000, lots_max_en_cours=1))
    with TestClient(app, base_url="http://testserver") as c:
        assert connecter(c, "admin@93.fr").status_code == 303
        yield c
    app.state.service.moteur.dispose()


def test_limites_en_francais(petit_service: TestClient, base: Base, tmp_path: Path) -> None:
    c = petit_service
    gros = _televerser(c, flux=("flux.csv", PETIT[:3_000], "text/csv"))  # counted while stored
    assert gros.status_code == 413 and "au plus 2\u202f000 octets" in gros.text and "<html" in gros.text
    enorme = _televerser(c, flux=("flux.csv", b"x" * 100_000, "text/csv"))  # announced over the limit
    assert enorme.status_code == 413 and "Fichiers trop volumineux" in enorme.text and "<html" in enorme.text
    assert _televerser(c, flux=("flux.xls", b"a", "x/y")).status_code == 422
    vide = _televerser(c, flux=("flux.csv", b"", "text/csv"))
    assert vide.status_code == 422 and "vide" in vide.text
    assert not (tmp_path / "lots").exists() or not any((tmp_path / "lots").iterdir())  # nothing left behind
    with base.sessions() as s:  # one job already active (another département's): the next upload waits
        table.creer_lot(s, table.Lot(id="a" * 32, departement="58", origine="espace", format="csv", explications=False,
                                     octets=1))
    plein = _televerser(c, flux=("flux.csv", PETIT[:500], "text/csv"))
    assert plein.status_code == 429 and plein.headers["retry-after"] == "30" and "réessayer" in plein.text


def test_un_administrateur_ne_voit_que_les_imports_de_son_departement(admin: TestClient, base: Base) -> None:
    identifiant = _identifiant(_televerser(admin, flux=("flux.csv", PETIT, "text/csv")))
    _attendre(admin, f"/espace/import/{identifiant}")
    with base.sessions() as s:
        ajouter_utilisateur(s, "admin@58.fr", "administrateur", "58", MOT_DE_PASSE)
    admin.post("/espace/deconnexion", data={"csrf": csrf(admin.get("/espace/import").text)})
    assert connecter(admin, "admin@58.fr").status_code == 303
    for adresse in (f"/espace/import/{identifiant}", f"/espace/import/{identifiant}/rejets.csv"):
        r = admin.get(adresse)
        assert r.status_code == 404 and "SYN-93" not in r.text
    assert identifiant not in admin.get("/espace/import").text
    admin.post("/espace/deconnexion", data={"csrf": csrf(admin.get("/espace/import").text)})
    assert connecter(admin, "referente@93.fr").status_code == 303  # a referent: no import page at all
    assert admin.get(f"/espace/import/{identifiant}").status_code == 403
    assert admin.get("/espace/import/lot").status_code == 403


def test_un_import_de_l_espace_n_est_pas_visible_par_l_api(admin: TestClient, base: Base) -> None:
    """A workspace job is no calling system's: a 93 API key gets 404 on it (state and files), as for an unknown id."""
    from orientation.stockage.cles import creer_cle

    identifiant = _identifiant(_televerser(admin, flux=("flux.csv", PETIT, "text/csv")))
    _attendre(admin, f"/espace/import/{identifiant}")
    with base.sessions() as s:
        _, cle = creer_cle(s, "webrsa", ["93"])
    entetes = {"Authorization": f"Bearer {cle}"}
    assert admin.get("/v1/lots/00000000000000000000000000000000", headers=entetes).status_code == 404
    for adresse in (f"/v1/lots/{identifiant}", f"/v1/lots/{identifiant}/rejets"):
        r = admin.get(adresse, headers=entetes)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), r.text


def test_base_indisponible_a_l_enregistrement_ne_laisse_aucun_fichier(admin: TestClient, base: Base, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The job could not be recorded (database unreachable): the stored upload (personal data) used to stay in the
    jobs folder for ever (no job, so no retention); it is removed, and the answer is a French 503 page."""
    from sqlalchemy.exc import OperationalError

    def panne(*a: Any, **k: Any) -> None:
        raise OperationalError("INSERT INTO lots", {}, Exception("serveur injoignable"))

    monkeypatch.setattr(table, "creer_lot", panne)
    r = _televerser(admin, flux=("flux.csv", PETIT, "text/csv"))
    assert r.status_code == 503 and "Import non enregistré" in r.text and "réessayer" in r.text
    assert "Traceback" not in r.text and "serveur injoignable" not in r.text
    assert not (tmp_path / "lots").exists() or not any((tmp_path / "lots").iterdir())
    with base.sessions() as s:
        assert s.scalar(select(func.count()).select_from(table.Lot)) == 0
