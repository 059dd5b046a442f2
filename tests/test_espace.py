"""Referent workspace, service layer and pages in-process (SQLite and PostgreSQL): import, queue, decisions,
bulk validation, exports, purge, commands."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError

from orientation.espace.decisions import DecisionRefusee, Saisie, enregistrer_decision, historique, valider_lot
from orientation.espace.exports import COLONNES_ETIQUETEES, lignes_decisions, lignes_etiquetees
from orientation.espace.file import Filtres, page_file
from orientation.espace.importation import importer_flux
from orientation.espace.purge import purger
from orientation.stockage.espace import (AutorisationPurge, CompteurPurge, DecisionReferent, DossierEspace,
                                         EntreeJournal, Utilisateur)
from tests.espace_outils import FLUX_EXEMPLE, Base, connecter, csrf
from tests.serveur import commande


def _u(db: Any, courriel: str) -> Utilisateur:
    return db.scalars(select(Utilisateur).where(Utilisateur.courriel == courriel)).one()


def _premier(db: Any, modalite: str) -> DossierEspace:
    return db.scalars(select(DossierEspace).where(DossierEspace.modalite == modalite)
                      .order_by(DossierEspace.id)).first()


def test_import_idempotent_et_rejets(base: Base) -> None:
    with base.sessions() as db:
        n = db.scalar(select(func.count()).select_from(DossierEspace))
        modalites = dict(db.execute(select(DossierEspace.modalite, func.count()).group_by(DossierEspace.modalite)).all())
        d = _premier(db, "rdv_obligatoire")
        assert d.enregistrement["identifiant"] == d.identifiant and d.recommandation["modalite"] == "rdv_obligatoire"
        assert d.explication["decision"]["identifiant"] == d.identifiant
        assert d.echeance == date.fromisoformat(d.recommandation["orientation_limite_legale"])
    assert n == 1994 and modalites == {"rdv_obligatoire": 1488, "examen_individuel": 392, "orientation_directe": 114}
    # decided dossiers are left as they are, the others updated, nothing duplicated
    with base.sessions() as db:
        enregistrer_decision(db, _u(db, "referente@93.fr"), d, Saisie("social", "departement", date.today().isoformat(),
                                                                      "motif", "oui"), date.today())
    r = importer_flux(base.sessions, FLUX_EXEMPLE, "93", base.orientateur.referentiel("93"), base.orientateur.modele)
    assert (r.crees, r.mis_a_jour, r.deja_decides, r.rejetees, r.lignes) == (0, 1993, 1, 6, 2000)
    assert any(x.champ == "natlog" and x.valeur == "0999" and "code inconnu" in x.raison for x in r.rejets)
    assert "ligne 19 (SYN-93-93-0000017) : champ « natlog », valeur « 0999 »" in r.resume()
    with base.sessions() as db:
        assert db.scalar(select(func.count()).select_from(DossierEspace)) == 1994


def test_file_filtres_ordre_comptes(base: Base) -> None:
    with base.sessions() as db:
        jour = date(2025, 8, 1)
        tout = page_file(db, "93", Filtres(), jour, taille=3000)
        assert tout.total == 1994 == len(tout.lignes) and sum(tout.par_modalite.values()) == 1994
        echeances = [x.echeance for x in tout.lignes]
        assert echeances == sorted(echeances)  # late ones (earliest deadline) first
        assert tout.en_retard == sum(x.en_retard for x in tout.lignes) > 0
        assert all(x.en_retard == (x.echeance < jour) for x in tout.lignes)
        directes = page_file(db, "93", Filtres(modalite="orientation_directe"), jour)
        assert directes.total == 114 and {x.modalite for x in directes.lignes} == {"orientation_directe"}
        pro = page_file(db, "93", Filtres(parcours="professionnel", structure="france_travail", echeance="en_retard"),
                        jour, taille=5000)
        assert pro.lignes and all(x.parcours_propose == "professionnel" and x.en_retard for x in pro.lignes)
        p2 = page_file(db, "93", Filtres(page=2), jour, taille=50)
        assert p2.page == 2 and [x.id for x in p2.lignes] == [x.id for x in tout.lignes[50:100]]
        assert page_file(db, "58", Filtres(), jour).total == 0  # another département sees nothing
        assert page_file(db, "93", Filtres(modalite="n'importe quoi", page=10**9), jour).page == 40  # last page, all modalities


def test_decisions_evenements_immuables_motif_et_correction(base: Base) -> None:
    aujourd_hui = date.today()
    with base.sessions() as db:
        ref = _u(db, "referente@93.fr")
        d = _premier(db, "examen_individuel")
        autre = "social" if d.parcours_propose != "social" else "professionnel"
        with pytest.raises(DecisionRefusee) as exc:
            enregistrer_decision(db, ref, d, Saisie(autre, "departement", aujourd_hui.isoformat()), aujourd_hui)
        assert [e.champ for e in exc.value.erreurs] == ["motif"] and "diffère" in exc.value.erreurs[0].raison
        with pytest.raises(DecisionRefusee) as exc:
            enregistrer_decision(db, ref, d, Saisie("x", "y", (aujourd_hui + timedelta(days=1)).isoformat()), aujourd_hui)
        assert {e.champ for e in exc.value.erreurs} == {"parcours", "structure", "date"}
        db.rollback()
        e1 = enregistrer_decision(db, ref, d, Saisie(autre, "ccas", aujourd_hui.isoformat(), "situation connue"),
                                  aujourd_hui)
        assert e1.differe_recommandation and d.statut == "oriente" and e1.auteur == "referente@93.fr"
        with pytest.raises(DecisionRefusee, match="corriger"):
            enregistrer_decision(db, ref, d, Saisie(d.parcours_propose or "social", d.structure_proposee or "ccas",
                                                    aujourd_hui.isoformat()), aujourd_hui)
        db.rollback()
        e2 = enregistrer_decision(db, ref, d, Saisie("social", "departement", aujourd_hui.isoformat(), "erreur"),
                                  aujourd_hui)
        h = historique(db, d.id)
        assert [x.id for x in h] == [e1.id, e2.id] and e2.corrige_id == e1.id and h[0].parcours == autre
        rdv = _premier(db, "rdv_obligatoire")
        with pytest.raises(DecisionRefusee, match="rendez-vous"):
            enregistrer_decision(db, ref, rdv, Saisie("social", "departement", aujourd_hui.isoformat(), "m"), aujourd_hui)
        actions = db.scalars(select(EntreeJournal.action).where(EntreeJournal.dossier_id == d.id)).all()
        assert actions == ["decision", "decision"]


def test_validation_en_lot_reservee_aux_habilites(base: Base) -> None:
    from orientation.espace.decisions import AccesRefuse

    with base.sessions() as db:
        ids = db.scalars(select(DossierEspace.id).where(DossierEspace.modalite == "orientation_directe")).all()
        autres = db.scalars(select(DossierEspace.id).where(DossierEspace.modalite != "orientation_directe")
                            .limit(3)).all()
        with pytest.raises(AccesRefuse):
            valider_lot(db, _u(db, "simple@93.fr"), ids, date.today())
        assert valider_lot(db, _u(db, "referente@93.fr"),
                           [*ids[:10], *autres], date.today()) == 10
        evs = db.scalars(select(DecisionReferent)).all()
        assert len(evs) == 10 and all(e.validation_lot and e.auteur == "referente@93.fr" for e in evs)
        assert valider_lot(db, _u(db, "referente@93.fr"), ids[:10], date.today()) == 0  # already decided


def test_exports_et_entrainement_du_fichier_etiquete(base: Base, tmp_path: Path) -> None:
    with base.sessions() as db:
        ref = _u(db, "referente@93.fr")
        d = _premier(db, "orientation_directe")
        valider_lot(db, ref, [d.id], date.today())
        texte = "".join(lignes_etiquetees(db, "93"))
        decisions = "".join(lignes_decisions(db, "93"))
    lignes = list(csv.DictReader(io.StringIO(texte)))
    assert tuple(lignes[0]) == COLONNES_ETIQUETEES and len(lignes) == 1
    assert lignes[0]["identifiant"] == d.identifiant and lignes[0]["parcours_referent"] == d.parcours_propose
    assert lignes[0]["dtdemrsa"] == d.enregistrement["dtdemrsa"] and lignes[0]["decide_par_role"] == "referent"
    dec = list(csv.DictReader(io.StringIO(decisions)))
    assert dec[0]["decide_par"] == "referente@93.fr" and dec[0]["validation_lot"] == "1"


def test_purge_garde_des_comptes_anonymes(base: Base) -> None:
    with base.sessions() as db:
        avant = date(2025, 6, 1)
        attendus = db.scalar(select(func.count()).select_from(DossierEspace).where(DossierEspace.date_demande < avant))
        d = db.scalars(select(DossierEspace).where(DossierEspace.date_demande < avant)
                       .order_by(DossierEspace.id)).first()
        rdv = "oui" if d.modalite == "rdv_obligatoire" else ""
        e1 = enregistrer_decision(db, _u(db, "referente@93.fr"), d, Saisie("social", "departement",
                                                                           date.today().isoformat(), "m", rdv),
                                  date.today())
        enregistrer_decision(db, _u(db, "referente@93.fr"), d, Saisie("social", "ccas", date.today().isoformat(),
                                                                      "correction", rdv), date.today())
        gardee = db.scalars(select(DossierEspace).where(DossierEspace.date_demande >= avant)).first()
        e3 = enregistrer_decision(db, _u(db, "referente@93.fr"), gardee, Saisie(
            "social", "departement", date.today().isoformat(), "m", "oui" if gardee.modalite == "rdv_obligatoire"
            else ""), date.today())
        n = purger(db, avant)
        assert n == attendus > 0
        assert db.scalar(select(func.count()).select_from(DossierEspace).where(DossierEspace.date_demande < avant)) == 0
        assert db.scalar(select(func.sum(CompteurPurge.nombre))) == n
        assert db.scalar(select(func.count()).select_from(DossierEspace)) == 1994 - n
        # the purged dossier's decisions (and its correction) are gone, the kept dossier's decision stays
        assert db.scalars(select(DecisionReferent.id)).all() == [e3.id] and e1.id != e3.id
        assert db.scalar(select(func.count()).select_from(AutorisationPurge)) == 0  # emptied in the same transaction


def test_decisions_immuables_dans_la_base(base: Base) -> None:
    """The database itself refuses to update or delete a decision (triggers), whatever the client."""
    with base.sessions() as db:
        d = _premier(db, "examen_individuel")
        ev = enregistrer_decision(db, _u(db, "referente@93.fr"), d, Saisie("social", "departement",
                                                                           date.today().isoformat(), "m"), date.today())
        dossier_id, ev_id = d.id, ev.id
    tentatives = [
        ("UPDATE decisions_referents SET parcours = 'professionnel' WHERE id = :i", {"i": ev_id}),
        ("UPDATE decisions_referents SET motif = NULL", {}),
        ("DELETE FROM decisions_referents WHERE id = :i", {"i": ev_id}),
        ("DELETE FROM dossiers_espace WHERE id = :i", {"i": dossier_id}),  # its decisions would go by cascade
    ]
    if base.moteur.dialect.name == "postgresql":
        tentatives.append(("TRUNCATE decisions_referents CASCADE", {}))
    for sql, valeurs in tentatives:
        with base.moteur.connect() as c:
            with pytest.raises(DBAPIError, match="décision de référent immuable"):
                c.execute(text(sql), valeurs)
            c.rollback()
    with base.sessions() as db:  # nothing changed
        ev2 = db.get(DecisionReferent, ev_id)
        assert (ev2.parcours, ev2.motif) == ("social", "m") and db.get(DossierEspace, dossier_id) is not None
        # another dossier's authorisation does not open this one
        db.add(AutorisationPurge(dossier_id=dossier_id + 1))
        db.flush()
        with pytest.raises(DBAPIError, match="immuable"):
            db.execute(delete(DecisionReferent).where(DecisionReferent.id == ev_id))
        db.rollback()


def test_pages_du_parcours_referent(client: TestClient, base: Base) -> None:
    assert connecter(client, "referente@93.fr").status_code == 303
    r = client.get("/espace/file")
    assert r.status_code == 200 and "À orienter" in r.text and "en retard" in r.text
    assert r.headers["cache-control"] == "no-store" and "default-src 'self'" in r.headers["content-security-policy"]
    assert "http://" not in r.text and "https://" not in r.text  # no external asset
    num = re.search(r'href="/espace/dossiers/(\d+)"', r.text).group(1)
    fiche = client.get(f"/espace/dossiers/{num}")
    assert fiche.status_code == 200 and "Explication de la recommandation" in fiche.text
    refus = client.post(f"/espace/dossiers/{num}/decision", data={
        "csrf": csrf(fiche.text), "parcours": "social", "structure": "caf", "date_decision": date.today().isoformat(),
        "rdv_honore": "oui"})
    assert refus.status_code == 422 and "motif obligatoire" in refus.text
    ok = client.post(f"/espace/dossiers/{num}/decision", follow_redirects=False, data={
        "csrf": csrf(fiche.text), "parcours": "social", "structure": "caf", "date_decision": date.today().isoformat(),
        "rdv_honore": "oui", "motif": "vu en rendez-vous"})
    assert ok.status_code == 303
    assert "vu en rendez-vous" in client.get(f"/espace/dossiers/{num}").text
    assert client.get("/espace/exports").status_code == 403  # referents do not export
    assert client.get("/openapi.json").json()["paths"].keys().isdisjoint({"/espace/file"})


def test_exports_reserves_et_journalises(client: TestClient, base: Base) -> None:
    assert connecter(client, "analyste@93.fr").status_code == 303
    assert client.get("/espace/file").status_code == 403
    r = client.get("/espace/exports/etiquete.csv")
    assert r.status_code == 200 and r.text.splitlines()[0].startswith("identifiant,departement,")
    with base.sessions() as db:
        assert db.scalars(select(EntreeJournal.detail).where(EntreeJournal.action == "export")).all() == ["etiquete"]


def test_commandes(url_sqlite: str, tmp_path: Path) -> None:
    assert commande("base", "migrer", "--base", url_sqlite).returncode == 0
    r = commande("importer", str(FLUX_EXEMPLE), "--departement", "93", "--base", url_sqlite, "--modele", "demo",
                 "--silencieux")
    assert r.returncode == 0 and "1994 dossier(s) ajouté(s)" in r.stdout, r.stderr
    r = commande("utilisateurs", "ajouter", "--courriel", "Jeanne@93.fr", "--role", "referent", "--departement", "93",
                 "--base", url_sqlite)
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()[-1]) >= 12
    r = commande("utilisateurs", "ajouter", "--courriel", "x@93.fr", "--role", "chef", "--departement", "93",
                 "--base", url_sqlite)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = commande("utilisateurs", "ajouter", "--courriel", "y@93.fr", "--role", "referent", "--departement", "93",
                 "--mot-de-passe-stdin", "--base", url_sqlite)
    assert r.returncode == 2 and "trop court" in r.stderr
    assert "jeanne@93.fr" in commande("utilisateurs", "lister", "--base", url_sqlite).stdout
    assert commande("utilisateurs", "desactiver", "--courriel", "jeanne@93.fr", "--base", url_sqlite).returncode == 0
    assert "désactivé le" in commande("utilisateurs", "lister", "--base", url_sqlite).stdout
    r = commande("purger", "--base", url_sqlite)
    assert r.returncode == 2 and "--avant" in r.stderr
    r = commande("purger", "--avant", "2025-06-01", "--base", url_sqlite)
    assert r.returncode == 0 and "supprimé(s)" in r.stdout
    sortie = tmp_path / "e.csv"
    r = commande("exporter", "etiquete", "--departement", "93", "--sortie", str(sortie), "--base", url_sqlite)
    assert r.returncode == 0 and sortie.read_text(encoding="utf-8").startswith("identifiant,")
