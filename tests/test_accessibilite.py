"""Accessibility audit (RGAA 4.1) of the served HTML: every workspace page, the explanation card, the indicators report.

The pages are rendered through the real application (test client, SQLite: the HTML does not depend on the
database) and read by :mod:`tests.audit_rgaa`; what needs a browser (colours, focus, keyboard, zoom, print)
is in ``tests/test_accessibilite_navigateur.py``.  The audit itself is tested on broken pages: each check
can fail.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterator

import lxml.html
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, strategies as st
from sqlalchemy import select

from tests.audit_rgaa import auditer, contraste, luminance, nom_accessible, seuil_contraste, titre
from tests.espace_outils import FLUX_EXEMPLE, connecter, csrf, preparer
from tests.serveur import migrer

RACINE = Path(__file__).resolve().parents[1]
#: every kind of workspace page, with the status it answers
PAGES = {
    "connexion": 200, "connexion-erreur": 401, "file": 200, "file-directes": 200, "file-rdv": 200,
    "fiche-rdv": 200, "fiche-examen": 200, "fiche-erreurs": 422, "fiche-historique": 200,
    "import": 200, "import-erreur": 422, "import-rapport": 200, "exports": 200, "erreur-404": 404,
    "erreur-403": 403,
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[int, str]]]:
    """Every kind of workspace page as served: name → (status, HTML)."""
    from orientation.espace.application import creer_application
    from orientation.service import Parametres
    from orientation.stockage.espace import DossierEspace

    dossier = tmp_path_factory.mktemp("accessibilite")
    base = preparer(f"sqlite:///{dossier / 'espace.sqlite3'}")
    vues: dict[str, tuple[int, str]] = {}

    def garder(nom: str, r: object) -> str:
        vues[nom] = (r.status_code, r.text)  # type: ignore[attr-defined]
        return r.text  # type: ignore[attr-defined]

    with base.sessions() as db:
        premiers = {m: db.scalars(select(DossierEspace.id).where(DossierEspace.modalite == m)
                                  .order_by(DossierEspace.id)).first()
                    for m in ("rdv_obligatoire", "examen_individuel")}
    app = creer_application(Parametres(base=base.url, modele="demo"))
    with TestClient(app, base_url="http://testserver") as c:
        jeton = csrf(garder("connexion", c.get("/espace/connexion")))
        garder("connexion-erreur", c.post("/espace/connexion", data={"csrf": jeton, "courriel": "referente@93.fr",
                                                                      "mot_de_passe": "pas le bon"}))
        connecter(c, "referente@93.fr")
        garder("file", c.get("/espace/file"))
        garder("file-directes", c.get("/espace/file?modalite=orientation_directe"))
        garder("file-rdv", c.get("/espace/file?modalite=rdv_obligatoire&echeance=en_retard"))
        rdv, examen = premiers["rdv_obligatoire"], premiers["examen_individuel"]
        jeton = csrf(garder("fiche-rdv", c.get(f"/espace/dossiers/{rdv}")))
        garder("fiche-examen", c.get(f"/espace/dossiers/{examen}"))
        garder("fiche-erreurs", c.post(f"/espace/dossiers/{rdv}/decision",
                                       data={"csrf": jeton, "parcours": "", "structure": "", "date_decision": "hier"}))
        r = c.post(f"/espace/dossiers/{examen}/decision", follow_redirects=False,
                   data={"csrf": jeton, "parcours": "social", "structure": "departement",
                         "date_decision": __import__("datetime").date.today().isoformat(), "motif": "motif du test"})
        assert r.status_code == 303, r.text[:300]
        garder("fiche-historique", c.get(f"/espace/dossiers/{examen}"))
        garder("erreur-404", c.get("/espace/dossiers/999999999"))
    with TestClient(app, base_url="http://testserver") as c:
        connecter(c, "admin@93.fr")
        jeton = csrf(garder("import", c.get("/espace/import")))
        garder("import-erreur", c.post("/espace/import", data={"csrf": jeton},
                                       files={"flux": ("flux.txt", b"rien", "text/plain")}))
        extrait = "".join(FLUX_EXEMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:6]).encode("utf-8")
        garder("import-rapport", c.post("/espace/import", data={"csrf": jeton},
                                        files={"flux": ("flux.csv", extrait, "text/csv")}))
        garder("exports", c.get("/espace/exports"))
        garder("erreur-403", c.get("/espace/file"))
    base.moteur.dispose()
    yield vues


@pytest.mark.parametrize("nom", PAGES)
def test_page_de_l_espace_sans_constat(pages: dict[str, tuple[int, str]], nom: str) -> None:
    statut, html = pages[nom]
    assert statut == PAGES[nom], html[:500]
    assert auditer(html) == []


def test_titres_de_page_uniques_et_erreurs_dans_le_titre(pages: dict[str, tuple[int, str]]) -> None:
    """RGAA 8.6: one title per kind of page; a page answering an error says so first in its title."""
    titres = {nom: titre(html) for nom, (_, html) in pages.items()}
    sortes = {"connexion": "connexion", "file": "file", "fiche-rdv": "fiche", "fiche-examen": "fiche",
              "import": "import", "exports": "exports", "erreur-404": "404", "erreur-403": "403"}
    assert len({titres[n] for n in sortes}) == len(sortes)  # both cards: different dossiers, different titles
    for nom in ("connexion-erreur", "fiche-erreurs", "import-erreur"):
        assert titres[nom].startswith("Erreur : "), titres[nom]
    assert titres["erreur-404"].startswith("Dossier introuvable") and titres["erreur-403"].startswith("Accès refusé")
    assert not any(t.startswith("Erreur") for n, t in titres.items() if pages[n][0] == 200)


def test_erreurs_de_la_decision_liees_a_leur_champ(pages: dict[str, tuple[int, str]]) -> None:
    """RGAA 11.10 and 7.5: the summary is an alert; each field in error is invalid and described by its reason."""
    doc = lxml.html.document_fromstring(pages["fiche-erreurs"][1])
    alerte = doc.find_class("alerte")[0]
    assert alerte.get("role") == "alert"
    nommes = {a.get("href")[1:] for a in alerte.iter("a")}
    assert nommes == {"parcours", "structure", "date", "rdv_honore"}
    invalides = [el for el in doc.iter("input", "select", "textarea") if el.get("aria-invalid") == "true"]
    assert {el.get("name") for el in invalides} == {"parcours", "structure", "date_decision", "rdv_honore"}
    messages = {el.get("name"): doc.get_element_by_id(el.get("aria-describedby")).text_content() for el in invalides}
    assert messages["date_decision"] == "date de décision attendue (AAAA-MM-JJ)"
    assert "rendez-vous" in messages["rdv_honore"] and "parcours à choisir" in messages["parcours"]
    motif = doc.get_element_by_id("motif")
    assert motif.get("aria-invalid") is None  # a field without error is not marked
    # the fields keep what was typed (RGAA 11.11: the user corrects, not retypes)
    assert doc.get_element_by_id("date").get("value") == "hier"
    connexion = lxml.html.document_fromstring(pages["connexion-erreur"][1])
    assert [a.get("role") for a in connexion.find_class("alerte")] == ["alert"]
    assert connexion.get_element_by_id("courriel").get("value") == "referente@93.fr"


def test_champs_obligatoires_signales(pages: dict[str, tuple[int, str]]) -> None:
    """RGAA 11.10.1: the required fields carry ``required`` and the form says which ones are."""
    doc = lxml.html.document_fromstring(pages["fiche-rdv"][1])
    formulaire = next(f for f in doc.iter("form") if "decision" in (f.get("action") or ""))
    requis = {el.get("name") for el in formulaire.iter("input", "select", "textarea") if el.get("required") is not None}
    assert requis == {"parcours", "structure", "date_decision", "rdv_honore"}
    assert "tous les champs sont obligatoires" in formulaire.text_content()
    etiquette = next(l for l in formulaire.iter("label") if l.get("for") == "motif")
    assert "obligatoire si" in etiquette.text_content()  # the only conditional field says when


def test_nom_accessible_des_cases_de_validation(pages: dict[str, tuple[int, str]]) -> None:
    """RGAA 11.1: each checkbox of the bulk validation names its dossier; the master box is labelled."""
    doc = lxml.html.document_fromstring(pages["file-directes"][1])
    cases = [el for el in doc.iter("input") if el.get("type") == "checkbox"]
    assert len(cases) > 2
    noms = [nom_accessible(el, doc) for el in cases]
    assert noms[0] == "tout sélectionner"
    assert all(n.startswith("sélectionner le dossier SYN-") for n in noms[1:]) and len(set(noms[1:])) == len(noms) - 1


# --------------------------------------------------------------------------- the explanation card, the report


@pytest.mark.parametrize("detail", ["court", "complet"])
def test_carte_d_explication_seule_et_en_fragment(detail: str) -> None:
    from orientation import explain
    from orientation.configuration import SourceModele

    from tests.test_explication_lecture import EXEMPLES, _dossier

    for chemin in EXEMPLES:
        e = explain(_dossier(chemin), modele=SourceModele("demo"))
        page = e.html(detail)
        assert auditer(page, ensemble=False) == [], chemin.stem
        assert auditer(e.html(detail, fragment=True), fragment=True) == [], chemin.stem
        assert titre(page).startswith("Orientation du dossier")


@functools.lru_cache(maxsize=1)
def rapport_exemple() -> str:
    """The indicators report of the example events (all indicators measured, plots included)."""
    from orientation.pilotage.evenements import lire_texte
    from orientation.pilotage.periode import Periode
    from orientation.pilotage.rapport import html, preparer as preparer_rapport

    chemin = RACINE / "examples" / "evenements_exemple.csv"
    lecture = lire_texte(chemin.read_text(encoding="utf-8"), chemin.name)
    return html(preparer_rapport(lecture, "exemple", Periode.depuis_texte("2025-01:2025-12"), ("mois", "parcours")))


def test_rapport_d_indicateurs() -> None:
    from orientation.pilotage.definitions import INDICATEURS

    page = rapport_exemple()
    assert auditer(page, ensemble=False) == []
    doc = lxml.html.document_fromstring(page)
    graphiques = list(doc.iter("svg"))
    assert len(graphiques) == len(INDICATEURS)
    for svg, ind in zip(graphiques, INDICATEURS):  # RGAA 1.1.5: an image, named after what it shows
        assert svg.get("role") == "img"
        assert svg.get("aria-label").startswith(f"Graphiques de l'indicateur « {ind.libelle} »")
        assert svg.get("aria-label").endswith("Les chiffres sont dans le tableau qui suit.")
        boite = svg.getnext()  # RGAA 1.6: the detailed description (the figures) right after the image
        assert boite.get("class") == "defilement" and boite.get("role") == "region"
        assert ind.libelle in boite.find("table/caption").text_content()
    assert len(list(doc.iter("main"))) == 1


# --------------------------------------------------------------------------- the audit can fail

CORRECTE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Page correcte</title></head>
<body><a href="#contenu">Aller au contenu</a><header><p>en-tête</p></header>
<main id="contenu"><h1>Titre</h1><h2>Section</h2>
<form><p>Tous les champs sont obligatoires.</p>
<label for="a">Nom</label><input id="a" name="a" required>
<label for="b">Courriel</label><input id="b" name="b" type="email" autocomplete="email" required>
<fieldset><legend>Choix</legend><label><input type="radio" name="c" value="1" required> un</label></fieldset>
<button type="submit">Envoyer</button></form>
<table><caption>Un tableau</caption><tr><th scope="col">en-tête</th></tr><tr><td>1</td></tr></table>
<svg role="img" aria-label="un graphique"><path d="M0 0"/></svg><img src="/x.png" alt="">
</main><footer><p>pied</p></footer></body></html>"""

CASSEES = {
    "8.1": ("<!DOCTYPE html>\n", ""),
    "8.3": ('<html lang="fr">', '<html lang="en">'),
    "8.5": ("<title>Page correcte</title>", "<title> </title>"),
    "8.2": ('<h2>Section</h2>', '<h2 id="a">Section</h2>'),
    "9.1": ("<h2>Section</h2>", "<h3>Section</h3>"),
    "11.1": ('<label for="a">Nom</label>', ""),
    "11.5": ("<fieldset><legend>Choix</legend>", "<fieldset>"),
    "11.10": ("<p>Tous les champs sont obligatoires.</p>", ""),
    "11.13": (' autocomplete="email"', ""),
    "11.9": ('<button type="submit">Envoyer</button>', '<button type="submit"> </button>'),
    "5.4": ("<caption>Un tableau</caption>", ""),
    "5.7": ('<th scope="col">', "<th>"),
    "6.2": ("<h1>Titre</h1>", '<h1>Titre</h1><a href="/ailleurs"><img src="/i.png" alt=""></a>'),
    "6.1": ("<h1>Titre</h1>", '<h1>Titre</h1><a href="/ailleurs">cliquez ici</a>'),
    "1.1": ('<svg role="img" aria-label="un graphique">', "<svg>"),
    "12.6": ("<footer><p>pied</p></footer>", ""),
    "12.7": ('<a href="#contenu">Aller au contenu</a>', ""),
    "12.8": ('<input id="a" name="a" required>', '<input id="a" name="a" required tabindex="2">'),
    "7.5": ("<h1>Titre</h1>", '<h1>Titre</h1><div class="alerte"><p>échec</p></div>'),
    "CDN": ('<meta charset="utf-8">', '<meta charset="utf-8"><script src="https://cdn.example/x.js"></script>'),
}


def test_l_audit_accepte_une_page_correcte() -> None:
    assert auditer(CORRECTE) == []


@pytest.mark.parametrize("critere", CASSEES)
def test_l_audit_trouve_chaque_defaut(critere: str) -> None:
    avant, apres = CASSEES[critere]
    assert CORRECTE.count(avant) == 1
    constats = auditer(CORRECTE.replace(avant, apres))
    attendu = "issue 12" if critere == "CDN" else f"RGAA {critere} :"
    assert any(attendu in c for c in constats), constats


def test_l_audit_trouve_un_champ_en_erreur_sans_message() -> None:
    page = CORRECTE.replace('<input id="a" name="a" required>', '<input id="a" name="a" required aria-invalid="true">')
    assert any(c.startswith("RGAA 11.10 : champ en erreur") for c in auditer(page))
    lie = page.replace('aria-invalid="true"', 'aria-invalid="true" aria-describedby="m"').replace(
        "<button", '<span id="m">nom à saisir</span><button')
    assert auditer(lie) == []


# --------------------------------------------------------------------------- contrast (RGAA 3.2)

composante = st.integers(0, 255)
couleurs = st.tuples(composante, composante, composante)


@given(couleurs, couleurs)
def test_contraste_symetrique_et_borne(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    r = contraste(a, b)
    assert r == pytest.approx(contraste(b, a)) and 1 <= r <= 21
    assert (r == pytest.approx(1)) == (luminance(a) == pytest.approx(luminance(b)))


@given(couleurs, st.integers(0, 2), st.integers(1, 255))
def test_luminance_croit_avec_chaque_composante(c: tuple[int, int, int], i: int, pas: int) -> None:
    plus = list(c)
    plus[i] = min(255, c[i] + pas)
    assert luminance(plus) >= luminance(c)


def test_contraste_valeurs_connues() -> None:
    blanc, noir = (255, 255, 255), (0, 0, 0)
    assert contraste(noir, blanc) == pytest.approx(21)
    # #767676 is the lightest grey with 4.5:1 on white; #777777 is just under (WebAIM's contrast checker)
    assert contraste((0x76,) * 3, blanc) >= 4.5 > contraste((0x77,) * 3, blanc)
    assert seuil_contraste(16, 400) == 4.5 and seuil_contraste(24, 400) == 3 and seuil_contraste(19, 700) == 3
    assert seuil_contraste(19, 400) == 4.5


def test_fiche_sans_style_en_ligne_et_regles_de_la_carte_servies(pages: dict[str, tuple[int, str]],
                                                                  tmp_path: Path) -> None:
    """RGAA 8.2: no <style> inside <body> (invalid, and refused by the pages' CSP style-src 'self');
    the card's rules come from /espace/carte.css, linked by every page and served as CSS."""
    from orientation.espace.application import creer_application
    from orientation.explication.rendu_html import style_carte
    from orientation.service import Parametres

    for nom in ("fiche-rdv", "fiche-examen", "fiche-historique"):
        html = pages[nom][1]
        assert "orientation-carte" in html and "<style" not in html, nom
        doc = lxml.html.document_fromstring(html)
        assert "/espace/carte.css" in [lien.get("href") for lien in doc.head.iter("link")], nom
    url = f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    migrer(url)
    with TestClient(creer_application(Parametres(base=url, modele="demo")), base_url="http://testserver") as c:
        r = c.get("/espace/carte.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert r.text == style_carte() and ".orientation-carte .synthese" in r.text



def test_couleurs_des_graphiques_du_rapport() -> None:
    """RGAA 3.3: every plot colour ≥ 3:1 on the white background; RGAA 3.1: the stacked « pas encore
    survenu » series is told apart by a hatch and white edges, not by its colour alone."""
    from datetime import date

    from orientation.pilotage import graphiques
    from orientation.pilotage.calcul import Observation
    from orientation.pilotage.definitions import INDICATEURS
    from orientation.pilotage.periode import Periode

    def rgb(h: str) -> tuple[int, int, int]:
        return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)

    for couleur in (graphiques._BLEU, graphiques._ORANGE, graphiques._ROUGE, graphiques._GRIS):
        assert contraste(rgb(couleur), (255, 255, 255)) >= 3, couleur
    periode = Periode.depuis_texte("2025-01:2025-03")
    obs = [Observation(date(2025, 1, 10), date(2025, 2, 1), date(2025, 2, 10), "s", "social"),
           Observation(date(2025, 2, 10), None, date(2025, 3, 10), "s", "social")]
    svg = graphiques.svg_indicateur(INDICATEURS[0], obs, [], periode)
    assert "<pattern" in svg and 'fill: url(#' in svg  # hatched bars (the « not yet » series)
