"""The referent's whole flow in a real browser (Playwright driving Debian's Chromium) against a real
``orientation servir`` process, on SQLite and PostgreSQL: log in, open the queue, open a card, record a
decision that differs from the recommendation (reason required), see it in the history, validate a batch of
direct orientations, export the labelled file and train a model on it with ``orientation entrainer``; then an
administrator uploads a small flux and its job's page follows it to its counts.

Screenshots are kept in the test's temporary folder and copied to ``tests/artefacts/`` (ignored by git).
The browser is never downloaded: without ``/usr/bin/chromium`` the test is skipped, or fails under CI.
"""

from __future__ import annotations

import csv
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from tests.espace_outils import MOT_DE_PASSE, preparer
from tests.serveur import base_temporaire, commande, demarrer

CHROMIUM = Path("/usr/bin/chromium")
ARGUMENTS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
NOMBRE = 1500  # synthetic dossiers imported: enough for orientation entrainer on the decisions
DECIDES = 1300  # decided through the service layer before the browser steps


def _navigateur_disponible() -> None:
    if not CHROMIUM.exists():
        raison = f"{CHROMIUM} absent (installé par .ci/run) : pas de test dans un navigateur"
        if os.environ.get("CI"):
            pytest.fail(raison + " ; obligatoire en CI")
        pytest.skip(raison)


@pytest.fixture(params=["sqlite", "postgresql"])
def espace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """A served workspace with NOMBRE synthetic dossiers, most of them already decided."""
    _navigateur_disponible()
    from orientation.espace.decisions import Saisie, enregistrer_decision
    from orientation.stockage.espace import DossierEspace, Utilisateur

    flux = tmp_path / "flux.csv"
    r = commande("generer", "--nombre", str(NOMBRE), "--graine", "7", "--sortie", str(flux))
    assert r.returncode == 0, r.stderr
    etiquettes = {ligne["identifiant"]: ligne["parcours_referent"]
                  for ligne in csv.DictReader(flux.open(encoding="utf-8"))}
    with base_temporaire(request.param, tmp_path) as url:
        base = preparer(url, flux)
        aujourd_hui = date.today()
        with base.sessions() as db:
            ref = db.scalars(select(Utilisateur).where(Utilisateur.courriel == "simple@93.fr")).one()
            dossiers = db.scalars(select(DossierEspace).where(DossierEspace.modalite != "orientation_directe")
                                  .order_by(DossierEspace.id.desc()).limit(DECIDES)).all()
            for d in dossiers:
                enregistrer_decision(db, ref, d, Saisie(etiquettes[d.identifiant], "departement",
                                                        aujourd_hui.isoformat(), "décision de référence du test",
                                                        "oui" if d.modalite == "rdv_obligatoire" else ""), aujourd_hui)
        base.moteur.dispose()
        serveur = demarrer(url, tmp_path, "--modele", "demo")
        try:
            yield serveur, base
        finally:
            serveur.arreter()


def test_parcours_complet_dans_le_navigateur(espace: tuple[Any, Any], tmp_path: Path,
                                             request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect, sync_playwright

    serveur, _ = espace
    flux_lignes = (tmp_path / "flux.csv").read_text(encoding="utf-8").splitlines()
    captures = tmp_path / "captures"
    captures.mkdir()
    genre = request.node.callspec.params["espace"]

    def capture(page: Any, nom: str) -> None:
        page.screenshot(path=str(captures / f"{genre}-{nom}.png"), full_page=True)

    with sync_playwright() as p:
        contexte = p.chromium.launch_persistent_context(
            str(tmp_path / "profil"), executable_path=str(CHROMIUM), args=ARGUMENTS, headless=True,
            accept_downloads=True, locale="fr-FR")
        page = contexte.new_page()
        try:
            page.goto(f"{serveur.url}/espace/")
            expect(page).to_have_url(f"{serveur.url}/espace/connexion")
            page.get_by_label("Courriel").fill("referente@93.fr")
            page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
            capture(page, "1-connexion")
            page.get_by_role("button", name="Se connecter").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("À orienter")
            expect(page.locator("tr.en-retard").first).to_be_visible()  # late ones first, highlighted
            capture(page, "2-file")

            page.get_by_role("link", name="Examens individuels").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("À orienter")
            page.locator("table.file tbody a").first.click()
            expect(page.get_by_role("heading", name="Explication de la recommandation")).to_be_visible()
            capture(page, "3-fiche")
            propose = page.get_by_label("Parcours décidé").input_value()
            autre = "social" if propose != "social" else "professionnel"
            page.get_by_label("Parcours décidé").select_option(autre)
            page.get_by_role("button", name="Enregistrer la décision").click()
            expect(page.get_by_role("alert")).to_contain_text("motif obligatoire")
            capture(page, "4-motif-obligatoire")
            page.get_by_label("Motif").fill("situation familiale connue du service social")
            page.get_by_role("button", name="Enregistrer la décision").click()
            historique = page.locator("table.historique")
            expect(historique).to_contain_text("situation familiale connue du service social")
            expect(historique).to_contain_text("referente@93.fr")
            capture(page, "5-historique")
            page.get_by_label("Événement", exact=True).select_option("premier_rdv_honore")  # follow-up on the card
            page.get_by_label("Date de l'événement").fill(date.today().isoformat())
            page.get_by_role("button", name="Enregistrer l'événement de suivi").click()
            expect(page.locator("table.suivi-historique")).to_contain_text("Premier rendez-vous d'accompagnement honoré")

            page.get_by_role("link", name="À orienter").first.click()
            page.get_by_role("link", name="Orientations directes à valider").click()
            lignes = page.locator("table.file tbody input[name='ids']")
            assert lignes.count() > 0
            page.get_by_label("tout sélectionner").check()
            assert all(lignes.nth(i).is_checked() for i in range(lignes.count()))
            capture(page, "6-validation")
            nombre = lignes.count()
            page.get_by_role("button", name="Valider les orientations sélectionnées").click()
            expect(page.get_by_role("status")).to_contain_text(f"{nombre} orientation(s) directe(s) validée(s)")
            capture(page, "7-valide")
            page.get_by_role("button", name="Se déconnecter").click()
            expect(page).to_have_url(f"{serveur.url}/espace/connexion")

            page.get_by_label("Courriel").fill("analyste@93.fr")
            page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
            page.get_by_role("button", name="Se connecter").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Exports")
            capture(page, "8-exports")
            with page.expect_download() as telechargement:
                page.get_by_role("link", name="Fichier étiqueté pour l'entraînement (CSV)").click()
            etiquete = tmp_path / "etiquete.csv"
            telechargement.value.save_as(etiquete)
            page.get_by_role("button", name="Se déconnecter").click()

            # an administrator uploads a small flux: the job's page follows it (script) until its counts
            petit = tmp_path / "petit.csv"
            petit.write_text("\n".join(flux_lignes[:30]) + "\n", encoding="utf-8")
            page.get_by_label("Courriel").fill("admin@93.fr")
            page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
            page.get_by_role("button", name="Se connecter").click()
            page.get_by_label("Fichier du flux").set_input_files(str(petit))
            page.get_by_role("button", name="Importer", exact=True).click()
            expect(page.get_by_role("status")).to_contain_text("29 ligne(s) lue(s)", timeout=60_000)
            expect(page.get_by_role("status")).to_contain_text("terminé")
            capture(page, "9-import")
        finally:
            contexte.close()
            ARTEFACTS.mkdir(exist_ok=True)
            for f in captures.glob("*.png"):
                shutil.copy(f, ARTEFACTS / f.name)

    lignes_csv = list(csv.DictReader(etiquete.open(encoding="utf-8")))
    assert len(lignes_csv) == DECIDES + 1 + nombre
    assert sum(1 for x in lignes_csv if x["parcours_referent"] != x["parcours_recommande"]) > 0
    r = commande("entrainer", str(etiquete), "--sortie", str(tmp_path / "modele"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "modele" / "manifeste.json").is_file()
