"""Follow-up of the accompaniment (SQLite and PostgreSQL): revision 0005, immutability, checks, the card's form
(CSRF, role, département), ``orientation suivis importer`` (all or nothing, idempotent), purge, and the
convention indicators measured from the database on a hand-computed fixture.

The workspace: rows A–F of the example flux imported in the 93 (as in ``tests/test_pilotage_base.py``), row G
as a dossier of the 58.  Decisions: A on 10/07/2025 (social, département), B on 12/08/2025 (professionnel,
France Travail), E validated in bulk on 20/06/2025; C, D, F none.  Follow-up events (file :data:`SUIVIS` and
the card):

=====  ==========  =============  ============  =================  ===========  ==========  ===========================
dossier demande    notification  dossier        orientation        absence      relance     rdv honoré, contrat
                                 complet
=====  ==========  =============  ============  =================  ===========  ==========  ===========================
A      2025-05-06  2025-06-17    2025-06-04    2025-07-10         2025-07-28   2025-08-05  08-08 ; CER 08-12 corrected
                                                                                            to 08-20
B      2025-07-03  2025-07-31    2025-07-20    2025-08-12         —            —           08-20 ; PPAE 08-25
C      2025-05-25  (none)        2025-05-30    —                  —            —           —
D      2025-07-09  2025-08-08    2025-07-25    —                  —            —           —
E      2025-05-17  2025-06-17    2025-06-01    2025-06-20         2025-06-25   —           — ; CER 07-01 annulled
=====  ==========  =============  ============  =================  ===========  ==========  ===========================
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, strategies as st
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from orientation.cli import main
from orientation.espace.application import creer_application
from orientation.espace.comptes import ajouter_utilisateur
from orientation.espace.decisions import DecisionRefusee, Saisie, enregistrer_decision, valider_lot
from orientation.espace.importation import importer_flux
from orientation.espace.purge import purger
from orientation.espace.suivis import SaisieSuivi, SuiviRefuse, controler, en_vigueur, enregistrer_suivi
from orientation.orientateur import Orientateur
from orientation.pilotage.base_espace import COLONNES_SUIVI, SourceBase
from orientation.pilotage.definitions import INDICATEURS
from orientation.pilotage.evenements import COLONNES, personne_depuis_cellules
from orientation.pilotage.periode import Periode
from orientation.pilotage.rapport import html, preparer
from orientation.pilotage.tableau import texte_csv
from orientation.service import Parametres
from orientation.stockage.base import maintenant
from orientation.stockage.espace import (CompteurPurge, DecisionReferent, DossierEspace, EntreeJournal,
                                         Utilisateur)
from orientation.stockage.migrations import migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from orientation.stockage.suivis import TYPES_SUIVI, SuiviAccompagnement
from tests.espace_outils import MOT_DE_PASSE, connecter, csrf
from tests.serveur import commande
from tests.test_pilotage_base import ID, _flux

JOUR = date(2025, 9, 1)  # « today » of the service calls below
G = "SYN-93-93-0000029"  # the 58's dossier
ENTETE = "identifiant,date_demande,type,date,commentaire\n"
SUIVIS = ENTETE + "\n".join([
    f"{ID['A']},2025-05-06,dossier_complet,2025-06-04,",
    f"{ID['A']},2025-05-06,absence_premier_rdv,2025-07-28,",
    f"{ID['A']},2025-05-06,relance_apres_absence,2025-08-05,courrier et appel",
    f"{ID['A']},2025-05-06,premier_rdv_honore,2025-08-08,",
    f"{ID['B']},2025-07-03,dossier_complet,2025-07-20,",
    f"{ID['B']},2025-07-03,premier_rdv_honore,2025-08-20,",
    f"{ID['B']},2025-07-03,signature_ppae,2025-08-25,",
    f"{ID['C']},2025-05-25,dossier_complet,2025-05-30,",
    f"{ID['D']},2025-07-09,dossier_complet,2025-07-25,",
    f"{ID['E']},2025-05-17,dossier_complet,2025-06-01,",
    f"{ID['E']},2025-05-17,absence_premier_rdv,2025-06-25,",
]) + "\n"


def _preparer(url: str, dossier: Path) -> dict[str, Any]:
    moteur = creer_moteur(url)
    sessions = fabrique_sessions(moteur)
    o = Orientateur.charger(None, "demo")
    f93, f58 = _flux(dossier)
    assert importer_flux(sessions, f93, "93", o.referentiel("93"), o.modele).crees == 6
    assert importer_flux(sessions, f58, "58", o.referentiel("58"), o.modele).crees == 1
    with sessions() as db:
        u = ajouter_utilisateur(db, "referente@93.fr", "referent", "93", MOT_DE_PASSE, habilite_validation=True)
        ajouter_utilisateur(db, "analyste@93.fr", "analyste", "93", MOT_DE_PASSE)
        ajouter_utilisateur(db, "referent@58.fr", "referent", "58", MOT_DE_PASSE)
        d = {k: db.scalars(select(DossierEspace).where(DossierEspace.identifiant == i)).one() for k, i in ID.items()}
        d["G"] = db.scalars(select(DossierEspace).where(DossierEspace.identifiant == G)).one()
        enregistrer_decision(db, u, d["A"], Saisie("social", "departement", "2025-07-10", "motif", "oui"), JOUR)
        enregistrer_decision(db, u, d["B"], Saisie("professionnel", "france_travail", "2025-08-12", "motif"), JOUR)
        assert valider_lot(db, u, [d["E"].id], date(2025, 6, 20)) == 1
    return {"url": url, "moteur": moteur, "sessions": sessions, "ids": {k: x.id for k, x in d.items()}}


@pytest.fixture
def espace(base_migree: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    e = _preparer(base_migree, tmp_path)
    yield e
    e["moteur"].dispose()


def _referente(db: Any) -> Utilisateur:
    return db.scalars(select(Utilisateur).where(Utilisateur.courriel == "referente@93.fr")).one()


def _nombre(espace: dict[str, Any]) -> int:
    with espace["sessions"]() as db:
        return int(db.scalar(select(func.count()).select_from(SuiviAccompagnement)))


def _importer(espace: dict[str, Any], tmp_path: Path, texte: str, *options: str,
              capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    fichier = tmp_path / "suivis.csv"
    fichier.write_text(texte, encoding="utf-8")
    code = main(["suivis", "importer", str(fichier), "--departement", "93", "--base", espace["url"], *options])
    sortie = capsys.readouterr()
    return code, sortie.out, sortie.err


def _saisir(espace: dict[str, Any], cle: str, saisie: SaisieSuivi) -> SuiviAccompagnement:
    with espace["sessions"]() as db:
        return enregistrer_suivi(db, _referente(db), db.get(DossierEspace, espace["ids"][cle]), saisie, JOUR)


# --------------------------------------------------------------------------- revision 0005


def test_migration_0004_vers_0005_garde_les_donnees(url_base: str, tmp_path: Path) -> None:
    from alembic import command

    from orientation.stockage.migrations import configuration

    moteur = creer_moteur(url_base)
    assert migrer(moteur, "0004_espace_suite").actuelle == "0004_espace_suite"
    assert "suivis_accompagnement" not in inspect(moteur).get_table_names()
    sessions = fabrique_sessions(moteur)
    o = Orientateur.charger(None, "demo")
    f93, _ = _flux(tmp_path)
    assert importer_flux(sessions, f93, "93", o.referentiel("93"), o.modele).crees == 6
    with sessions() as db:  # a decision recorded under 0004 (rows of its tables only: the code is at 0005)
        u = ajouter_utilisateur(db, "referente@93.fr", "referent", "93", MOT_DE_PASSE)
        a = db.scalars(select(DossierEspace).where(DossierEspace.identifiant == ID["A"])).one()
        decision = DecisionReferent(dossier_id=a.id, parcours="social", structure="departement",
                                    date_decision=date(2025, 7, 10), motif="m", rdv_honore=True,
                                    differe_recommandation=True, validation_lot=False, auteur_id=u.id,
                                    auteur=u.courriel, auteur_role=u.role, enregistree_le=maintenant())
        db.add(decision)
        db.commit()
    assert migrer(moteur, "0005_suivis_accompagnement").actuelle == "0005_suivis_accompagnement"
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(DossierEspace)) == 6
        assert db.get(DecisionReferent, decision.id).date_decision == date(2025, 7, 10)
        assert db.scalar(select(func.count()).select_from(SuiviAccompagnement)) == 0
        a = db.get(DossierEspace, a.id)
        ev = enregistrer_suivi(db, _referente(db), a, SaisieSuivi("premier_rdv_honore", "2025-07-20"), JOUR)
        assert ev.origine == "espace" and ev.auteur == "referente@93.fr"
    # down to 0004: the follow-up table goes, decisions stay; and up again
    cfg = configuration()
    with moteur.begin() as c:
        cfg.attributes["connexion"] = c
        command.downgrade(cfg, "0004_espace_suite")
    assert "suivis_accompagnement" not in inspect(moteur).get_table_names()
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(DecisionReferent)) == 1
    assert migrer(moteur).a_jour
    moteur.dispose()


def test_suivis_immuables_et_purges_avec_leur_dossier(espace: dict[str, Any], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    ev = _saisir(espace, "A", SaisieSuivi("absence_premier_rdv", "2025-07-28"))
    moteur = espace["moteur"]
    tentatives = [("UPDATE suivis_accompagnement SET date_evenement = '2025-07-29' WHERE id = :i", {"i": ev.id}),
                  ("UPDATE suivis_accompagnement SET commentaire = 'x'", {}),
                  ("DELETE FROM suivis_accompagnement WHERE id = :i", {"i": ev.id}),
                  ("DELETE FROM dossiers_espace WHERE id = :i", {"i": espace["ids"]["A"]})]
    if moteur.dialect.name == "postgresql":
        tentatives.append(("TRUNCATE suivis_accompagnement CASCADE", {}))
    for sql, valeurs in tentatives:
        with moteur.connect() as c:
            with pytest.raises(DBAPIError, match="immuable"):
                c.execute(text(sql), valeurs)
            c.rollback()
    with moteur.connect() as c:  # the closed list is the database's too
        with pytest.raises(DBAPIError):
            c.execute(text("INSERT INTO suivis_accompagnement (dossier_id, type, date_evenement, annule, origine, "
                           "auteur, auteur_role, enregistre_le) VALUES (:d, 'rdv_fixe', '2025-07-01', false, "
                           "'espace', 'x', 'referent', '2025-09-01 00:00:00')"), {"d": espace["ids"]["A"]})
        c.rollback()
    assert _nombre(espace) == 1
    # F (request 04/04/2025) gets its complete-application date, then the retention purge takes it away
    code, _, err = _importer(espace, tmp_path, ENTETE + f"{ID['F']},2025-04-04,dossier_complet,2025-04-10,\n",
                             capsys=capsys)
    assert code == 0, err
    with espace["sessions"]() as db:
        assert purger(db, date(2025, 4, 5), "93") == 1
    with espace["sessions"]() as db:
        restants = db.scalars(select(SuiviAccompagnement.dossier_id)).all()
        assert restants == [espace["ids"]["A"]]  # F's event went with F, A's stays
        assert db.scalar(select(func.sum(CompteurPurge.nombre))) == 1  # anonymous counts as before


# --------------------------------------------------------------------------- checks


def test_controles_en_francais(espace: dict[str, Any]) -> None:
    def refus(cle: str, saisie: SaisieSuivi) -> list[tuple[str, str]]:
        with pytest.raises(SuiviRefuse) as exc:
            _saisir(espace, cle, saisie)
        return [(e.champ, e.raison) for e in exc.value.erreurs]

    # before any decision: only the complete application
    assert refus("C", SaisieSuivi("premier_rdv_honore", "2025-07-01")) == [
        ("type", "« Premier rendez-vous d'accompagnement honoré » : aucune décision d'orientation enregistrée "
                 "pour ce dossier ; le suivi de l'accompagnement suit l'orientation (seul le dossier complet peut la "
                 "précéder)")]
    _saisir(espace, "C", SaisieSuivi("dossier_complet", "2025-05-30"))
    (champ, raison), = refus("A", SaisieSuivi("signature_cer", "2025-07-09"))
    assert champ == "date" and "antérieur à la décision d'orientation (10/07/2025)" in raison
    assert refus("A", SaisieSuivi("dossier_complet", "2025-05-01"))[0][1] == ("date antérieure à la demande de RSA "
                                                                               "(06/05/2025)")
    assert "date dans le futur (aujourd'hui : 01/09/2025)" in refus("A", SaisieSuivi("signature_cer",
                                                                                     "2025-09-02"))[0][1]
    assert refus("A", SaisieSuivi("signature_cer", "2025-02-30"))[0][0] == "date"
    assert "type d'événement inconnu" in refus("A", SaisieSuivi("rdv_fixe", "2025-07-20"))[0][1]
    assert "relance sans absence" in refus("A", SaisieSuivi("relance_apres_absence", "2025-07-20"))[0][1]
    absence = _saisir(espace, "A", SaisieSuivi("absence_premier_rdv", "2025-07-28"))
    assert "ne peut précéder l'absence" in refus("A", SaisieSuivi("relance_apres_absence", "2025-07-27"))[0][1]
    assert "doit suivre l'absence" in refus("A", SaisieSuivi("premier_rdv_honore", "2025-07-28"))[0][1]
    deja = refus("A", SaisieSuivi("absence_premier_rdv", "2025-07-29"))
    assert "déjà enregistré (date : 28/07/2025)" in deja[0][1]
    relance = _saisir(espace, "A", SaisieSuivi("relance_apres_absence", "2025-08-05"))
    # corrections: commentary required; the absence a follow-up action depends on can be neither withdrawn nor
    # moved after it; the follow-up action itself can
    assert ("commentaire", "commentaire obligatoire pour corriger ou annuler un événement") in refus(
        "A", SaisieSuivi("absence_premier_rdv", "2025-07-29", corrige=str(absence.id)))
    assert "corriger ou annuler d'abord la relance" in refus("A", SaisieSuivi(corrige=str(absence.id), annuler="oui",
                                                                             commentaire="erreur"))[0][1]
    assert refus("A", SaisieSuivi("absence_premier_rdv", "2025-08-06", "décalée", corrige=str(absence.id)))[0][0] \
        == "date"
    assert refus("A", SaisieSuivi(corrige="999999", annuler="oui", commentaire="x"))[0] == (
        "corrige", "événement à corriger introuvable sur ce dossier, ou déjà corrigé")
    annulation = _saisir(espace, "A", SaisieSuivi(corrige=str(relance.id), annuler="oui", commentaire="saisie en trop"))
    assert (annulation.annule, annulation.type, annulation.corrige_id) == (True, "relance_apres_absence", relance.id)
    _saisir(espace, "A", SaisieSuivi("absence_premier_rdv", "2025-07-30", "date du courrier", corrige=str(absence.id)))
    assert refus("A", SaisieSuivi(corrige=str(absence.id), annuler="oui", commentaire="x"))[0][0] == "corrige"
    with espace["sessions"]() as db:  # the history keeps all five; in force: the corrected absence only
        evenements = db.scalars(select(SuiviAccompagnement).where(
            SuiviAccompagnement.dossier_id == espace["ids"]["A"]).order_by(SuiviAccompagnement.id)).all()
        assert len(evenements) == 4
        vigueur = en_vigueur(evenements)
        assert {t: e.date_evenement for t, e in vigueur.items()} == {"absence_premier_rdv": date(2025, 7, 30)}
        journal = db.scalars(select(EntreeJournal.detail).where(EntreeJournal.action == "suivi")
                             .order_by(EntreeJournal.id)).all()
        assert journal == ["dossier_complet", "absence_premier_rdv", "relance_apres_absence",
                           "relance_apres_absence (annulation)", "absence_premier_rdv (correction)"]
    # and a decision cannot be moved after the follow-up that depends on it
    with espace["sessions"]() as db, pytest.raises(DecisionRefusee) as exc:
        enregistrer_decision(db, _referente(db), db.get(DossierEspace, espace["ids"]["A"]),
                             Saisie("social", "departement", "2025-07-31", "report", "oui"), JOUR)
    assert [(e.champ, e.raison) for e in exc.value.erreurs] == [
        ("date", "date de décision postérieure au suivi de l'accompagnement déjà enregistré (premier événement le "
                 "30/07/2025) : corriger d'abord ce suivi")]


# the property: whatever is accepted, the dossier reads back as a valid person of the events file
_OPERATION = st.one_of(st.tuples(st.sampled_from(sorted(TYPES_SUIVI)), st.integers(-40, 80)),
                       st.tuples(st.just("annuler"), st.integers(0, 5)))


@given(st.lists(_OPERATION, max_size=12), st.booleans())
def test_ce_qui_est_accepte_se_relit_comme_un_fichier_d_evenements(operations: list[tuple[str, int]],
                                                                     decide: bool) -> None:
    demande, aujourd_hui = date(2025, 5, 1), date(2025, 8, 1)
    dossier = DossierEspace(id=1, date_demande=demande)
    decision = DecisionReferent(date_decision=demande + timedelta(days=20)) if decide else None
    evenements: list[SuiviAccompagnement] = []
    for n, (quoi, k) in enumerate(operations):
        vigueur = en_vigueur(evenements)
        if quoi == "annuler":
            if not vigueur:
                continue
            cible = sorted(vigueur.values(), key=lambda e: e.id)[k % len(vigueur)]
            if not controler(cible.type, cible.date_evenement, dossier, decision, vigueur, aujourd_hui, cible, True):
                evenements.append(SuiviAccompagnement(id=n + 1, type=cible.type, date_evenement=cible.date_evenement,
                                                      annule=True, corrige_id=cible.id))
        else:
            jour = demande + timedelta(days=k)
            if not controler(quoi, jour, dossier, decision, vigueur, aujourd_hui):
                evenements.append(SuiviAccompagnement(id=n + 1, type=quoi, date_evenement=jour, annule=False))
        cellules = dict.fromkeys(COLONNES, "")
        cellules.update(identifiant="X", date_demande=demande.isoformat(),
                        date_orientation=decision.date_decision.isoformat() if decision else "")
        for e in en_vigueur(evenements).values():
            colonne = COLONNES_SUIVI[e.type]
            cellules[colonne] = min(cellules[colonne] or "9999", e.date_evenement.isoformat())
        assert all(d <= aujourd_hui.isoformat() for c, d in cellules.items() if c.startswith("date_") and d)
        personne, rejets = personne_depuis_cellules(cellules, 1, {})
        assert rejets == [] and personne is not None


# --------------------------------------------------------------------------- the card


@pytest.fixture
def client(espace: dict[str, Any]) -> Iterator[TestClient]:
    app = creer_application(Parametres(base=espace["url"], modele="demo"))
    with TestClient(app, base_url="http://testserver") as c:
        yield c
    app.state.service.moteur.dispose()


def test_fiche_formulaire_de_suivi(client: TestClient, espace: dict[str, Any]) -> None:
    ids = espace["ids"]
    assert connecter(client, "referente@93.fr").status_code == 303
    sans_decision = client.get(f"/espace/dossiers/{ids['C']}").text
    assert f'action="/espace/dossiers/{ids["C"]}/suivi"' not in sans_decision  # no form before a decision
    fiche = client.get(f"/espace/dossiers/{ids['A']}")
    assert fiche.status_code == 200 and "Suivi de l'accompagnement" in fiche.text
    assert f'action="/espace/dossiers/{ids["A"]}/suivi"' in fiche.text and "Aucun événement de suivi" in fiche.text
    saisie = {"type": "absence_premier_rdv", "date_evenement": "2025-07-28", "commentaire": "non venue"}
    for jeton in ({}, {"csrf": "faux"}):
        r = client.post(f"/espace/dossiers/{ids['A']}/suivi", data={**saisie, **jeton})
        assert r.status_code == 403 and "CSRF" in r.text
    # a 93 referent cannot write on the 58's dossier (nor on an unknown one): 404, existence not disclosed
    for autre in (ids["G"], 999_999):
        r = client.post(f"/espace/dossiers/{autre}/suivi", data={**saisie, "csrf": csrf(fiche.text)})
        assert r.status_code == 404 and "Dossier introuvable" in r.text
    assert _nombre(espace) == 0
    ok = client.post(f"/espace/dossiers/{ids['A']}/suivi", data={**saisie, "csrf": csrf(fiche.text)},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].endswith("#t-suivi")
    page = client.get(f"/espace/dossiers/{ids['A']}").text
    assert "Absence au premier rendez-vous d&#39;accompagnement</td><td>28/07/2025" in page and "non venue" in page
    refus = client.post(f"/espace/dossiers/{ids['A']}/suivi", data={
        "csrf": csrf(page), "type": "relance_apres_absence", "date_evenement": "2025-07-20"})
    assert refus.status_code == 422 and 'href="#suivi-date"' in refus.text
    assert "la relance (20/07/2025) ne peut précéder l&#39;absence" in refus.text and "Traceback" not in refus.text
    assert 'value="2025-07-20"' in refus.text  # what was typed is kept
    assert _nombre(espace) == 1
    with espace["sessions"]() as db:
        assert db.scalars(select(EntreeJournal.dossier_id).where(EntreeJournal.action == "suivi")).all() == [ids["A"]]
    # other roles and départements
    client.cookies.clear()
    assert connecter(client, "analyste@93.fr").status_code == 303
    jeton = csrf(client.get("/espace/exports").text)
    assert client.post(f"/espace/dossiers/{ids['A']}/suivi", data={**saisie, "csrf": jeton}).status_code == 403
    client.cookies.clear()
    assert connecter(client, "referent@58.fr").status_code == 303
    jeton = csrf(client.get("/espace/file").text)
    r = client.post(f"/espace/dossiers/{ids['A']}/suivi", data={**saisie, "csrf": jeton})
    assert r.status_code == 404
    assert _nombre(espace) == 1


# --------------------------------------------------------------------------- bulk import


def test_import_idempotent(espace: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fichier = tmp_path / "suivis.csv"
    fichier.write_text(SUIVIS, encoding="utf-8")
    r = commande("suivis", "importer", str(fichier), "--departement", "93", "--base", espace["url"])
    assert r.returncode == 0, r.stderr
    assert "11 ligne(s) lue(s) : 11 événement(s) de suivi ajouté(s)" in r.stdout
    assert "0 déjà enregistré(s)" in r.stdout
    assert ID["A"] not in r.stdout + r.stderr  # no identifier printed
    code, out, _ = _importer(espace, tmp_path, SUIVIS, capsys=capsys)
    assert code == 0 and "0 événement(s) de suivi ajouté(s), 11 déjà enregistré(s)" in out
    assert _nombre(espace) == 11
    with espace["sessions"]() as db:
        e = db.scalars(select(SuiviAccompagnement).where(SuiviAccompagnement.type == "relance_apres_absence")).one()
        assert (e.origine, e.auteur, e.auteur_role, e.commentaire) == ("import", "orientation suivis importer",
                                                                       "import", "courrier et appel")
        assert db.scalars(select(EntreeJournal.detail).where(EntreeJournal.action == "import_suivis")).all() == [
            "11 événement(s) ajouté(s), 0 déjà enregistré(s)",
            "0 événement(s) ajouté(s), 11 déjà enregistré(s)"]


def test_import_refuse_en_entier(espace: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lignes = [
        f"{ID['A']},2025-05-06,dossier_complet,2025-06-04,",  # 2: valid, yet not imported
        f"{ID['A']},2025-05-06,rdv_fixe,2025-07-20,",  # 3: unknown type
        f"{G},2025-05-18,dossier_complet,2025-05-20,",  # 4: the 58's dossier, not in the 93
        f"{ID['A']},2025-05-07,dossier_complet,2025-06-04,",  # 5: wrong request date: no such dossier
        f"{ID['B']},2025-07-03,relance_apres_absence,2025-08-20,",  # 6: no absence
        f"{ID['C']},2025-05-25,premier_rdv_honore,2025-06-20,",  # 7: C has no decision
        f"{ID['B']},2025-07-03,signature_cer,2099-01-01,",  # 8: future
        f"{ID['B']},2025-07-03,signature_cer,25/08/2025,",  # 9: bad date
        f"{ID['D']},2025-07-09,dossier_complet",  # 10: a cell missing
    ]
    code, out, err = _importer(espace, tmp_path, ENTETE + "\n".join(lignes) + "\n", "--rejets",
                               str(tmp_path / "rejets.csv"), capsys=capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert "refusé, rien n'est importé : 8 ligne(s) en erreur" in err
    assert "ligne 3, champ « type », valeur « rdv_fixe » : type d'événement inconnu" in err
    assert f"ligne 4, champ « identifiant », valeur « {G} » : aucun dossier de cet identifiant demandé le " \
           "18/05/2025 dans la base pour le département 93" in err
    assert "ligne 6, champ « type », valeur « relance_apres_absence » : relance sans absence" in err
    assert "ligne 7, champ « type »" in err and "aucune décision d'orientation" in err
    assert "ligne 8, champ « date », valeur « 2099-01-01 » : date dans le futur" in err
    assert "ligne 9, champ « date », valeur « 25/08/2025 » : date attendue au format AAAA-MM-JJ" in err
    assert "ligne 10, champ « (ligne) »" in err
    rejets = list(csv.DictReader(io.StringIO((tmp_path / "rejets.csv").read_text(encoding="utf-8"))))
    assert [int(r["ligne"]) for r in rejets] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert _nombre(espace) == 0  # never a partial import
    code, _, err = _importer(espace, tmp_path, "identifiant,type,date,autre\n", capsys=capsys)
    assert code == 2 and "colonne(s) manquante(s) : date_demande" in err and "colonne(s) inconnue(s) : autre" in err
    # an event in force at another date is refused, not silently replaced
    assert _importer(espace, tmp_path, SUIVIS, capsys=capsys)[0] == 0
    code, _, err = _importer(espace, tmp_path, ENTETE + f"{ID['A']},2025-05-06,dossier_complet,2025-06-05,\n",
                             capsys=capsys)
    assert code == 2 and "déjà enregistré (date : 04/06/2025) ; pour changer sa date, corriger" in err


# --------------------------------------------------------------------------- indicators from the database


def _ensemble(lignes: list[dict[str, str]], indicateur: str, *colonnes: str) -> tuple[str, ...]:
    (x,) = [r for r in lignes if r["indicateur"] == indicateur and r["niveau"] == "ensemble"]
    return tuple(x[c] for c in colonnes)


def test_indicateurs_mesures_depuis_la_base(espace: dict[str, Any], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    periode = Periode.depuis_texte("2025-05:2025-08", "2025-08-31")
    avant = preparer(SourceBase(espace["url"], "93").lire(), "base", periode, ())
    assert len([s for s in avant.sections if s.non_mesure]) == 7  # no follow-up recorded yet
    assert _importer(espace, tmp_path, SUIVIS, capsys=capsys)[0] == 0
    cer = _saisir(espace, "A", SaisieSuivi("signature_cer", "2025-08-12"))
    _saisir(espace, "A", SaisieSuivi("signature_cer", "2025-08-20", "date de signature relue", corrige=str(cer.id)))
    faux = _saisir(espace, "E", SaisieSuivi("signature_cer", "2025-07-01"))
    _saisir(espace, "E", SaisieSuivi(corrige=str(faux.id), annuler="oui", commentaire="autre personne"))
    lecture = SourceBase(espace["url"], "93").lire()
    assert lecture.non_enregistres == {} and lecture.rejets == []
    # entry of each follow-up column taken as complete from its earliest event in force: dossier complet C 30/05,
    # absence E 25/06, relance A 05/08, premier rendez-vous honoré A 08/08, contract A 20/08 (the correction; E's
    # 01/07 is annulled; B's PPAE 25/08 is later)
    assert lecture.saisie_depuis == {"date_dossier_complet": date(2025, 5, 30),
                                     "date_absence_premier_rdv": date(2025, 6, 25), "date_relance": date(2025, 8, 5),
                                     "date_premier_rdv": date(2025, 8, 8), "date_signature_cer": date(2025, 8, 20)}
    _avec_la_coupure(lecture, periode)
    lecture.saisie_depuis = {}  # first the events as read, every clock counted (as from an events file)
    rapport = preparer(lecture, "base", periode, ())
    assert [s.indicateur.id for s in rapport.sections if s.non_mesure] == []  # 13 of 13 measured
    lignes = list(csv.DictReader(io.StringIO(texte_csv(rapport.lignes))))
    assert {r["indicateur"] for r in lignes} == {i.id for i in INDICATEURS}
    statuts = ("population", "dans_delai", "hors_delai", "en_cours", "taux")
    # complete application → rights notified within 14 days: A 04/06→17/06 13 d, B 20/07→31/07 11 d,
    # D 25/07→08/08 14 d (deadline included) in time; E 01/06→17/06 16 d late; C never notified, deadline 13/06
    # passed: late.  3 / 5
    assert _ensemble(lignes, "notification_2_semaines", *statuts) == ("5", "3", "2", "0", "0.6")
    # within 21 days: E (16 d) in time too; C late (deadline 20/06 passed).  4 / 5
    assert _ensemble(lignes, "notification_3_semaines", *statuts) == ("5", "4", "1", "0", "0.8")
    # orientation → first appointment (attended or missed, the earlier): A 10/07→28/07 (missed) 18 d late;
    # B 12/08→20/08 8 d, E 20/06→25/06 5 d in time.  2 / 3
    assert _ensemble(lignes, "premier_rdv_2_semaines", *statuts) == ("3", "2", "1", "0", "0.666667")
    # missed → follow-up action within 15 days: A 28/07→05/08 8 d in time; E missed 25/06, no action, deadline
    # 10/07 passed: late.  1 / 2
    assert _ensemble(lignes, "relance_absence_15_jours", *statuts) == ("2", "1", "1", "0", "0.5")
    # attended → contract within 7 days: A 08/08→20/08 (the correction, not 12/08) 12 d late; B 20/08→25/08
    # 5 d in time.  1 / 2
    assert _ensemble(lignes, "cer_1_semaine", *statuts) == ("2", "1", "1", "0", "0.5")
    # orientation → contract within one month (legal, 2025): A 10/07→20/08 after 10/08 late; B 12/08→25/08 in
    # time; E 20/06, CER annulled, deadline 20/07 passed: late.  1 / 3
    assert _ensemble(lignes, "contrat_1_mois", *statuts) == ("3", "1", "2", "0", "0.333333")
    # contracting rate: A, B of A, B, E; delays A 41 d (10/07→20/08), B 13 d: mean 27, median (rank 1) 13,
    # p90 (rank 2) 41
    assert _ensemble(lignes, "taux_contractualisation", "population", "survenus", "pas_encore", "taux",
                     "delai_moyen_observe", "delai_median_observe", "delai_p90_observe") == (
        "3", "2", "1", "0.666667", "27.0", "13", "41")
    notes = " ".join(lecture.remarques)
    assert "le dernier événement en vigueur (corrections appliquées, annulations retirées)" in notes
    assert "dossier complet 5, absence au premier rendez-vous 2, relance après absence 1, premier rendez-vous " \
           "honoré 2, contrat d'engagement signé 2" in notes
    assert "non mesuré depuis cette source" not in html(rapport)


def _avec_la_coupure(lecture: Any, periode: Periode) -> None:
    """The same base, each indicator whose end event is a follow-up counting only the clocks that start on or
    after the first event of that follow-up entered (figures by hand, from the comments of the test above)."""
    rapport = preparer(lecture, "base", periode, ())
    lignes = list(csv.DictReader(io.StringIO(texte_csv(rapport.lignes))))
    coupes = {s.indicateur.id: (s.debut_saisie, s.avant_saisie) for s in rapport.sections if s.debut_saisie}
    statuts = ("population", "dans_delai", "hors_delai", "en_cours", "taux")
    # first appointment (missed from 25/06, attended from 08/08): from 25/06; E oriented 20/06 left out; A late,
    # B in time: 1 / 2
    assert coupes["premier_rdv_2_semaines"] == (date(2025, 6, 25), 1)
    assert _ensemble(lignes, "premier_rdv_2_semaines", *statuts) == ("2", "1", "1", "0", "0.5")
    # follow-up actions from 05/08: both absences (A 28/07, E 25/06) before: nobody counted (no rate), not 1 / 2
    assert coupes["relance_absence_15_jours"] == (date(2025, 8, 5), 2)
    assert _ensemble(lignes, "relance_absence_15_jours", *statuts) == ("0", "0", "0", "0", "")
    # contracts from 20/08: A attended 08/08 left out; B 20/08 → PPAE 25/08 in time: 1 / 1
    assert coupes["cer_1_semaine"] == (date(2025, 8, 20), 1)
    assert _ensemble(lignes, "cer_1_semaine", *statuts) == ("1", "1", "0", "0", "1.0")
    # orientations A 10/07, B 12/08, E 20/06 all before 20/08: the contract indicators count nobody
    assert coupes["contrat_1_mois"] == coupes["taux_contractualisation"] == (date(2025, 8, 20), 3)
    assert _ensemble(lignes, "taux_contractualisation", "population", "survenus", "taux") == ("0", "0", "")
    # notifications and orientations are not follow-ups: no cut, figures as below
    assert set(coupes) == {"premier_rdv_2_semaines", "relance_absence_15_jours", "cer_1_semaine", "contrat_1_mois",
                           "taux_contractualisation"}
    assert _ensemble(lignes, "notification_2_semaines", *statuts) == ("5", "3", "2", "0", "0.6")
    notes = " ".join(lecture.remarques)
    assert "Saisie du suivi considérée complète à partir du premier événement enregistré de chaque type (date la " \
           "plus ancienne) : dossier complet depuis le 30/05/2025, absence au premier rendez-vous depuis le " \
           "25/06/2025, relance après absence depuis le 05/08/2025, premier rendez-vous honoré depuis le 08/08/2025, " \
           "contrat d'engagement signé depuis le 20/08/2025." in notes
    assert 'id="saisie-partielle"' in html(rapport)


def test_exemple_de_make_demo(url_sqlite: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``examples/suivis_exemple.csv`` is what its generator writes, and imports whole into the example flux."""
    import importlib.util

    from tests.espace_outils import FLUX_EXEMPLE

    spec = importlib.util.spec_from_file_location("generer_suivis_exemple",
                                                  FLUX_EXEMPLE.parent / "generer_suivis_exemple.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exemple = FLUX_EXEMPLE.parent / "suivis_exemple.csv"
    assert module.generer() == exemple.read_text(encoding="utf-8")
    flux = tmp_path / "flux.csv"  # the example flux up to the last dossier the follow-ups name (rows 1–210)
    flux.write_text("\n".join(FLUX_EXEMPLE.read_text(encoding="utf-8").splitlines()[:211]) + "\n", encoding="utf-8")
    moteur = creer_moteur(url_sqlite)
    migrer(moteur)
    o = Orientateur.charger(None, False)
    importer_flux(fabrique_sessions(moteur), flux, "93", o.referentiel("93"), o.modele)
    moteur.dispose()
    assert main(["suivis", "importer", str(exemple), "--departement", "93", "--base", url_sqlite]) == 0
    assert "200 événement(s) de suivi ajouté(s) (dossier_complet : 200)" in capsys.readouterr().out
