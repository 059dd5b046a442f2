"""Accessibility in the real browser (Playwright driving Debian's Chromium) against a real ``orientation servir``:
computed text contrast (RGAA 3.2), visible focus (10.7) and its contrast (3.3), Tab order over every interactive
element (12.8) with the skip link first (12.7), no horizontal scroll at 200 % zoom of a 1280 px window (10.4; the
320 px of RGAA 10.11 is not checked), print stylesheet, and axe-core's WCAG 2.1 A/AA rules (a maintained engine,
shipped in the axe-playwright-python package) on every page; then a keyboard-only walk: login → queue → card →
decision.

Screenshots of the walk are kept in the test's temporary folder and copied to ``tests/artefacts/`` (ignored
by git).  The browser is never downloaded: without ``/usr/bin/chromium`` the test is skipped, or fails under CI.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.audit_rgaa import contraste, couleur, seuil_contraste, superposer
from tests.espace_outils import MOT_DE_PASSE, preparer
from tests.serveur import demarrer
from tests.test_espace_navigateur import ARGUMENTS, ARTEFACTS, CHROMIUM, _navigateur_disponible

LARGEUR_ZOOM = 640  # a 1280 px wide window at 200 % zoom shows 640 CSS px
REGLES_AXE = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

#: text elements with their colour, size and the background colours up to the root (RGAA 3.2)
_TEXTES_JS = """() => {
  const res = [], vus = new Set();
  const marche = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (marche.nextNode()) {
    const el = marche.currentNode.parentElement;
    if (!marche.currentNode.textContent.trim() || !el || vus.has(el)) continue;
    if (el.closest('svg, script, style, option')) continue;
    vus.add(el);
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width <= 1 || r.height <= 1 || r.right <= 0 || r.bottom <= 0 || cs.visibility === 'hidden') continue;
    const fonds = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      fonds.push(s.backgroundImage !== 'none' ? 'image' : s.backgroundColor);
    }
    res.push({texte: marche.currentNode.textContent.trim().slice(0, 50), couleur: cs.color,
              taille: parseFloat(cs.fontSize), graisse: parseInt(cs.fontWeight), fonds});
  }
  return res;
}"""
#: a short description of an element: tag, then id, name, href or text
_DECRIRE_JS = """(e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : e.name ? '[name=' + e.name + ']'
  : e.getAttribute('href') ? '[href=' + e.getAttribute('href') + ']'
  : ' « ' + e.textContent.trim().slice(0, 30) + ' »')"""
#: the focusable elements in document order, as Tab should reach them (one stop per radio group)
_FOCUSABLES_JS = """() => {
  const decrire = %s, groupes = new Set(), res = [];
  const selecteur = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]';
  for (const e of document.querySelectorAll(selecteur)) {
    if (e.disabled || e.tabIndex < 0 || !e.getClientRects().length) continue;
    if (getComputedStyle(e).visibility === 'hidden') continue;
    if (e.type === 'radio') { if (groupes.has(e.name)) continue; groupes.add(e.name); }
    res.push(decrire(e));
  }
  return res;
}""" % _DECRIRE_JS
#: the focused element: description, outline, box, backgrounds behind it (RGAA 10.7, 3.3)
_FOCUS_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const cs = getComputedStyle(e), r = e.getBoundingClientRect(), fonds = [];
  for (let p = e.parentElement; p; p = p.parentElement) fonds.push(getComputedStyle(p).backgroundColor);
  return {nom: (%s)(e), style: cs.outlineStyle, largeur: parseFloat(cs.outlineWidth), couleur: cs.outlineColor,
          ombre: cs.boxShadow, x: r.x, y: r.y, l: r.width, h: r.height, fenetre: [innerWidth, innerHeight], fonds};
}""" % _DECRIRE_JS


def _fond(fonds: list[str]) -> tuple[float, float, float]:
    """The opaque colour behind an element: its backgrounds composited from the root (white canvas) up."""
    assert "image" not in fonds, "image de fond : contraste non calculable"
    rgb: tuple[float, float, float] = (255.0, 255.0, 255.0)
    for c in reversed(fonds):
        rgba = couleur(c)
        assert rgba is not None, c
        rgb = superposer(rgba, rgb)
    return rgb


def constats_contraste(page: Any) -> list[str]:
    """RGAA 3.2: every visible text's contrast with its background."""
    f = []
    for t in page.evaluate(_TEXTES_JS):
        fond = _fond(t["fonds"])
        texte = couleur(t["couleur"])
        assert texte is not None, t
        ratio = contraste(superposer(texte, fond), fond)
        if ratio < seuil_contraste(t["taille"], t["graisse"]):
            f.append(f"RGAA 3.2 : « {t['texte']} » contraste {ratio:.2f}:1 ({t['couleur']} sur {fond})")
    return f


def constat_focus(etat: dict[str, Any]) -> list[str]:
    """RGAA 10.7: an outline (or a shadow) shows the focus, inside the window, 3:1 against the background (3.3)."""
    f = []
    nom = etat["nom"]
    if etat["style"] == "none" or etat["largeur"] < 2:
        if etat["ombre"] == "none":
            f.append(f"RGAA 10.7 : focus invisible sur {nom} (ni contour ni ombre)")
    else:
        trait = couleur(etat["couleur"])
        assert trait is not None
        ratio = contraste(superposer(trait, _fond(etat["fonds"])), _fond(etat["fonds"]))
        if ratio < 3:
            f.append(f"RGAA 3.3 : contour du focus de {nom} à {ratio:.2f}:1 sur son fond")
    largeur, hauteur = etat["fenetre"]
    x, y, l, h = etat["x"], etat["y"], etat["l"], etat["h"]
    if l < 1 or h < 1 or x + l <= 0 or x >= largeur or y + h <= 0:
        f.append(f"RGAA 10.7 : {nom} reçoit le focus hors de la fenêtre")
    return f


def parcours_tabulation(page: Any) -> tuple[list[str], list[str]]:
    """Press Tab from the top of the page until focus leaves the page: (elements reached in order, findings)."""
    attendus = page.evaluate(_FOCUSABLES_JS)
    # start from the top of the document, whatever the URL's fragment or the last click made the starting point
    page.evaluate("""() => { const d = document.createElement('span'); d.tabIndex = -1;
                             document.body.prepend(d); d.focus(); window.scrollTo(0, 0); }""")
    atteints: list[str] = []
    constats: list[str] = []
    for _ in range(len(attendus) * 4 + 10):  # a date field has three stops (day, month, year)
        page.keyboard.press("Tab")
        etat = page.evaluate(_FOCUS_JS)
        if etat is None or (atteints and etat["nom"] == atteints[0] and len(atteints) >= len(attendus)):
            break
        constats += constat_focus(etat)
        if not atteints or atteints[-1] != etat["nom"]:
            atteints.append(etat["nom"])
    if atteints != attendus:
        constats.append(f"RGAA 12.8 : ordre de tabulation {atteints} au lieu de l'ordre du document {attendus}")
    return atteints, constats


def constats_page(page: Any, ensemble: bool = True) -> list[str]:
    """Every browser check on the page currently loaded."""
    from axe_playwright_python.sync_playwright import Axe

    f = constats_contraste(page)
    atteints, focus = parcours_tabulation(page)
    f += focus
    if ensemble:  # RGAA 12.7: the skip link is the first stop and takes focus to the main content
        if not atteints or not atteints[0].startswith("a[href=#contenu]"):
            f.append(f"RGAA 12.7 : premier arrêt de tabulation {atteints[:1]}, pas le lien d'évitement")
        else:
            page.evaluate("() => document.body.firstElementChild.focus()")  # the starting point above
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
            if page.evaluate("() => document.activeElement.id") != "contenu":
                f.append("RGAA 12.7 : le lien d'évitement ne mène pas le focus au contenu principal")
    # contrast is computed above (axe's own contrast rule is by far its slowest on the report's tables)
    resultat = Axe().run(page, options={"runOnly": {"type": "tag", "values": REGLES_AXE},
                                        "rules": {"color-contrast": {"enabled": False}}})
    for v in resultat.response["violations"]:
        cibles = [n["target"] for n in v["nodes"]][:3]
        wcag = ", ".join(t for t in v["tags"] if t.startswith("wcag"))
        f.append(f"axe-core {v['id']} ({wcag}) : {v['help']} {cibles}")
    taille = page.viewport_size
    page.set_viewport_size({"width": LARGEUR_ZOOM, "height": 900})
    debord = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if debord > 0:
        f.append(f"RGAA 10.4 : défilement horizontal de {debord} px à {LARGEUR_ZOOM} px de large (zoom 200 %)")
    page.set_viewport_size(taille)
    return f


def constats_impression(page: Any, caches: list[str]) -> list[str]:
    """Issue 12 (printable): in print, the navigation and forms are hidden, the content is shown."""
    page.emulate_media(media="print")
    try:
        affiche = "(s) => [...document.querySelectorAll(s)].some(e => getComputedStyle(e).display !== 'none')"
        f = [f"impression : « {s} » reste affiché" for s in caches if page.evaluate(affiche, s)]
        if not page.evaluate("() => getComputedStyle(document.querySelector('main')).display !== 'none'"):
            f.append("impression : le contenu principal est masqué")
    finally:
        page.emulate_media(media="screen")
    return f


@pytest.fixture(scope="module")
def serveur_espace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A served workspace (SQLite, example flux): the pages' HTML does not depend on the database."""
    _navigateur_disponible()
    dossier = tmp_path_factory.mktemp("a11y-navigateur")
    base = preparer(f"sqlite:///{dossier / 'espace.sqlite3'}")
    base.moteur.dispose()
    serveur = demarrer(base.url, dossier, "--modele", "demo")
    try:
        yield serveur
    finally:
        serveur.arreter()


@pytest.fixture
def navigateur(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        contexte = p.chromium.launch_persistent_context(
            str(tmp_path / "profil"), executable_path=str(CHROMIUM), args=ARGUMENTS, headless=True, locale="fr-FR",
            viewport={"width": 1280, "height": 900})
        try:
            yield contexte
        finally:
            contexte.close()


def _connecter(page: Any, url: str, courriel: str) -> None:
    page.goto(f"{url}/espace/connexion")
    page.get_by_label("Courriel").fill(courriel)
    page.get_by_label("Mot de passe").fill(MOT_DE_PASSE)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_pages_dans_le_navigateur(serveur_espace: Any, navigateur: Any) -> None:
    url = serveur_espace.url
    page = navigateur.new_page()
    constats: dict[str, list[str]] = {}
    entete = [".entete nav", ".deconnexion", ".evitement"]
    page.goto(f"{url}/espace/connexion")
    constats["connexion"] = constats_page(page) + constats_impression(page, [".evitement"])
    page.get_by_label("Courriel").fill("referente@93.fr")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    constats["connexion-erreur"] = constats_page(page)
    _connecter(page, url, "referente@93.fr")
    page.goto(f"{url}/espace/file?modalite=orientation_directe")
    constats["file"] = constats_page(page) + constats_impression(page, entete + [".filtres", ".pagination",
                                                                          "form button"])
    page.locator("table.file tbody a").first.click()
    page.wait_for_load_state()
    constats["fiche"] = constats_page(page) + constats_impression(page, entete + ["form button"])
    page.get_by_label("Date de la décision").fill("2000-01-01")
    page.get_by_label("Motif").fill("un motif")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur : ")
    constats["fiche-erreurs"] = constats_page(page)
    page.get_by_label("Date de la décision").fill(date.today().isoformat())
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url("**#t-historique")
    constats["fiche-historique"] = constats_page(page)
    page.get_by_role("button", name="Se déconnecter").click()
    _connecter(page, url, "admin@93.fr")
    page.goto(f"{url}/espace/import")
    constats["import"] = constats_page(page)
    page.goto(f"{url}/espace/exports")
    constats["exports"] = constats_page(page)
    page.goto(f"{url}/espace/dossiers/999999999")
    constats["erreur-404"] = constats_page(page)
    assert {k: v for k, v in constats.items() if v} == {}


def test_carte_et_rapport_dans_le_navigateur(navigateur: Any) -> None:
    _navigateur_disponible()
    from orientation import explain
    from orientation.configuration import SourceModele

    from tests.test_accessibilite import rapport_exemple
    from tests.test_explication_lecture import EXEMPLES, _dossier

    page = navigateur.new_page()
    constats = {}
    page.set_content(explain(_dossier(EXEMPLES[0]), modele=SourceModele("demo")).html("complet"))
    constats["carte"] = constats_page(page, ensemble=False)
    page.set_content(rapport_exemple())
    constats["rapport"] = constats_page(page, ensemble=False)
    assert {k: v for k, v in constats.items() if v} == {}


def test_parcours_au_clavier(serveur_espace: Any, navigateur: Any, tmp_path: Path) -> None:
    """Login → queue → card → decision with the keyboard only; the focus is visible at every step."""
    url = serveur_espace.url
    page = navigateur.new_page()
    captures = tmp_path / "captures"
    captures.mkdir()
    etapes: list[str] = []

    def tab(attendu: str | None = None, capture: str | None = None) -> dict[str, Any]:
        page.keyboard.press("Tab")
        etat = page.evaluate(_FOCUS_JS)
        assert etat is not None, f"focus perdu après {etapes[-3:]}"
        assert constat_focus(etat) == [], etat
        etapes.append(etat["nom"])
        if attendu is not None:
            assert etat["nom"].startswith(attendu), (etat["nom"], attendu)
        if capture:
            page.screenshot(path=str(captures / f"clavier-{capture}.png"))
        return etat

    def jusqu_a(prefixe: str, limite: int = 200, capture: str | None = None) -> None:
        for _ in range(limite):
            if tab()["nom"].startswith(prefixe):
                if capture:
                    page.screenshot(path=str(captures / f"clavier-{capture}.png"))
                return
        raise AssertionError(f"{prefixe} jamais atteint au clavier : {etapes[-10:]}")

    try:
        page.goto(f"{url}/espace/connexion")
        tab("a[href=#contenu]", "1-evitement")
        tab("input#courriel")
        page.keyboard.type("referente@93.fr")
        tab("input#mot_de_passe")
        page.keyboard.type(MOT_DE_PASSE)
        tab("button « Se connecter »", "2-connexion")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/espace/file")
        jusqu_a("a[href=/espace/dossiers/", capture="3-file")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/espace/dossiers/*")
        jusqu_a("select#parcours", capture="4-fiche")
        while True:  # fill the decision form, field after field
            nom = etapes[-1]
            if nom.startswith("select#"):
                page.keyboard.press("ArrowDown")  # another route or body than proposed: a reason is required
            elif nom.startswith("input[name=rdv_honore]"):
                page.keyboard.press("Space")
            elif nom.startswith("textarea#motif"):
                page.keyboard.type("décision prise au clavier")
            elif nom.startswith("button"):
                break
            tab()
        assert etapes[-1] == "button « Enregistrer la décision »", etapes[-6:]
        page.screenshot(path=str(captures / "clavier-5-decision.png"))
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/espace/dossiers/*#t-historique")
        assert "décision prise au clavier" in page.locator("table.historique").inner_text()
        page.screenshot(path=str(captures / "clavier-6-historique.png"), full_page=True)
    finally:
        ARTEFACTS.mkdir(exist_ok=True)
        for f in captures.glob("*.png"):
            shutil.copy(f, ARTEFACTS / f.name)
