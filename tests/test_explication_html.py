"""The HTML card: self-contained, accessible, same content as the text, one or two A4 pages in a real browser.

The browser test prints two example cards with Debian's Chromium (``/usr/bin/chromium``, installed by
``.ci/run``; never a downloaded browser) through Playwright: PDF (A4) and PNG screenshot, kept under
pytest's temporary directory and copied to ``tests/artefacts/`` (ignored by git) for humans.
Without Chromium the test is skipped, except when ``CI`` is set, where it fails.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import pytest

from orientation import explain
from orientation.configuration import SourceModele
from orientation.explication.construction import rendre_html
from orientation.explication.rendu_html import style_carte

from .test_explication_lecture import EXEMPLES, _dossier

CHROMIUM = Path("/usr/bin/chromium")
DRAPEAUX = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"


def _texte_visible(page_html: str) -> str:
    sans_style = re.sub(r"<style>.*?</style>", "", page_html, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", sans_style)))


def _normaliser(t: str) -> str:
    return re.sub(r"\s+", " ", t).strip()


@pytest.mark.parametrize("chemin", EXEMPLES, ids=lambda p: p.stem)
def test_carte_autonome_et_meme_contenu_que_le_texte(chemin: Path) -> None:
    e = explain(_dossier(chemin), modele=SourceModele("demo"))
    for detail in ("court", "complet"):
        page = e.html(detail)
        assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
        assert "<script" not in page and "http://" not in page and "https://" not in page and " src=" not in page
        assert page.count("<h1") == 1 and "<h2" in page and "@page { size: A4" in page
        visible = _normaliser(_texte_visible(page))
        for ligne in e.texte(detail).splitlines():  # every line of the text, in the same order
            ligne = _normaliser(ligne.lstrip("- "))
            if ligne and not set(ligne) <= {"=", "-"}:
                assert ligne in visible, ligne
        fragment = e.html(detail, fragment=True)
        assert "<html" not in fragment and "<article" in fragment and "<style>" in fragment
        sans_style = e.html(detail, fragment=True, style=False)
        assert "<style" not in sans_style and sans_style == fragment[fragment.index("<article"):]
        assert style_carte() in page  # the same rules, inline in the page
        assert _normaliser(_texte_visible(fragment)) in visible
    assert rendre_html(e) == e.html()


def _pages_pdf(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_carte_dans_un_vrai_navigateur(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium absent : .ci/run doit installer le Chromium de Debian")
        pytest.skip("/usr/bin/chromium absent (Chromium de Debian, installé par .ci/run)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTEFACTS.mkdir(exist_ok=True)
    cas = {"violences_conjugales": False, "profil_hesitant_abstention": True}
    with sync_api.sync_playwright() as p:
        # a fresh user-data-dir: Playwright takes it as the persistent context's directory
        navigateur = p.chromium.launch_persistent_context(
            str(tmp_path / "profil"), executable_path=str(CHROMIUM), headless=True, args=DRAPEAUX,
            viewport={"width": 794, "height": 1123})
        try:
            for nom, modele in cas.items():
                e = explain(_dossier(next(x for x in EXEMPLES if x.stem == nom)), modele="demo" if modele else False)
                for detail in ("court", "complet"):
                    fichier = tmp_path / f"{nom}_{detail}.html"
                    fichier.write_text(e.html(detail), encoding="utf-8")
                    page = navigateur.new_page()
                    page.goto(fichier.as_uri())
                    premier_bloc = page.inner_text("section.synthese")
                    assert e.synthese.recommandation in premier_bloc and e.synthese.echeance in premier_bloc
                    assert page.evaluate("document.documentElement.lang") == "fr"
                    png, pdf = tmp_path / f"{nom}_{detail}.png", tmp_path / f"{nom}_{detail}.pdf"
                    page.screenshot(path=str(png), full_page=True)
                    page.pdf(path=str(pdf), format="A4", print_background=True)
                    page.close()
                    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                    pages = _pages_pdf(pdf.read_bytes())
                    assert 1 <= pages <= 2, (nom, detail, pages)
                    if detail == "court":
                        assert pages == 1, nom
                    for f in (png, pdf):
                        shutil.copy(f, ARTEFACTS / f.name)
        finally:
            navigateur.close()
