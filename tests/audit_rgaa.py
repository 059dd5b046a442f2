"""Automated accessibility audit of the HTML pages, each check citing its RGAA 4.1 criterion.

Static checks read the served HTML with lxml (:func:`auditer`); the browser checks (computed colours,
focus, keyboard, reflow, print) are in ``tests/test_accessibilite_navigateur.py`` and use
:func:`contraste` and :func:`couleur` from here.  Each finding is a French sentence starting with the
criterion, e.g. « RGAA 11.1 : champ <select name="parcours"> sans étiquette ».

Criteria (RGAA 4.1, DINUM, https://accessibilite.numerique.gouv.fr/methode/criteres-et-tests/):
1.1 alternative textuelle des images (1.1.5: ``<svg>`` porteuse d'information: ``role="img"`` et une
alternative), 1.2 images de décoration ignorées, 3.2 contraste du texte (4,5:1 ; 3:1 pour un texte de
24 px, ou 18,5 px gras), 3.3 contraste des composants d'interface (3:1), 5.4 titre des tableaux de données
(``<caption>``), 5.6/5.7 en-têtes déclarés et associés (``<th scope>``), 6.2 intitulé des liens, 7.5 messages
de statut, 8.1 type de document, 8.2 code valide (identifiants uniques, références existantes), 8.3 langue
par défaut, 8.5 titre de page, 8.6 titre pertinent (unique), 9.1 titres hiérarchisés, 10.4 texte lisible à
200 %, 10.7 prise de focus visible, 11.1 étiquette des champs, 11.2 étiquette pertinente (non vide), 11.5/11.6
regroupement des champs de même nature avec légende, 11.9 intitulé des boutons, 11.10 contrôle de saisie
(champs obligatoires signalés, erreurs liées au champ), 11.13 finalité des champs (autocomplete),
12.6 zones de regroupement (en-tête, navigation, contenu principal, pied de page), 12.7 lien d'évitement,
12.8 ordre de tabulation cohérent (pas de ``tabindex`` positif).
Contrast: WCAG 2.1 relative luminance and contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

import lxml.html
from lxml.html import HtmlElement

#: a visible mark of a required field in its label (RGAA 11.10.1), or of an optional one
OBLIGATOIRE = "obligatoire"
FACULTATIF = "facultatif"
#: link texts that say nothing out of context (RGAA 6.1)
INTITULES_VAGUES = {"ici", "cliquez ici", "lien", "en savoir plus", "plus", "suite", "lire la suite"}
#: elements named by their content (ARIA "name from content"), among those the audit names
_NOM_PAR_CONTENU = {"a", "button", "label", "legend", "summary", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6"}
_CHAMPS_EXCLUS = {"hidden", "submit", "button", "reset", "image"}


def _texte(el: HtmlElement) -> str:
    """Rendered text of ``el`` with the alternatives of its images (for names of links and buttons)."""
    morceaux = [el.text or ""]
    for enfant in el:
        if not isinstance(enfant.tag, str):
            morceaux.append(enfant.tail or "")
            continue
        if enfant.get("aria-hidden") == "true":
            pass
        elif enfant.tag == "img":
            morceaux.append(enfant.get("alt") or "")
        elif enfant.tag not in ("script", "style"):
            morceaux.append(_texte(enfant))
        morceaux.append(enfant.tail or "")
    return re.sub(r"\s+", " ", " ".join(morceaux)).strip()


def _par_id(doc: HtmlElement) -> dict[str, HtmlElement]:
    return {el.get("id"): el for el in doc.iter() if isinstance(el.tag, str) and el.get("id")}


def nom_accessible(el: HtmlElement, doc: HtmlElement) -> str:
    """Accessible name of ``el``, simplified from the ARIA computation.

    In order: aria-labelledby, aria-label, label (fields), caption (tables), content (links, buttons…), title.
    """
    ids = _par_id(doc)
    if el.get("aria-labelledby"):
        noms = [_texte(ids[i]) for i in el.get("aria-labelledby", "").split() if i in ids]
        if any(noms):
            return " ".join(noms).strip()
    if (el.get("aria-label") or "").strip():
        return el.get("aria-label", "").strip()
    if el.tag in ("input", "select", "textarea"):
        if el.get("type") in ("submit", "button", "reset"):
            return (el.get("value") or "").strip()
        etiquettes = [l for l in doc.iter("label") if el.get("id") and l.get("for") == el.get("id")]
        etiquettes += [a for a in el.iterancestors("label")]
        texte = " ".join(_texte(l) for l in etiquettes).strip()
        if texte:
            return texte
    elif el.tag == "img":
        return (el.get("alt") or "").strip()
    elif el.tag == "table":
        legende = el.find("caption")
        if legende is not None and _texte(legende):
            return _texte(legende)
    elif el.tag in _NOM_PAR_CONTENU:
        texte = _texte(el)
        if texte:
            return texte
    # an <svg> is named by aria-label / aria-labelledby only: its <title> is not read by every screen reader
    return (el.get("title") or "").strip()


def _visible(el: HtmlElement) -> bool:
    return not any(a.get("hidden") is not None or a.get("aria-hidden") == "true"
                   for a in [el, *el.iterancestors()])


def _champs(doc: HtmlElement) -> list[HtmlElement]:
    return [el for el in doc.iter("input", "select", "textarea")
            if (el.get("type") or "text").lower() not in _CHAMPS_EXCLUS]


def _decrire(el: HtmlElement) -> str:
    attributs = " ".join(f'{k}="{el.get(k)}"' for k in ("id", "name", "type", "href", "class") if el.get(k))
    return f"<{el.tag}{' ' + attributs if attributs else ''}>"


# --------------------------------------------------------------------------- checks


def verifier_document(doc: HtmlElement, source: str) -> list[str]:
    """8.1 doctype, 8.3 default language, 8.5 title."""
    f = []
    if not re.match(r"\s*<!doctype html>", source, flags=re.I):
        f.append("RGAA 8.1 : pas de <!DOCTYPE html> en tête du document")
    if doc.get("lang") != "fr":
        f.append(f"RGAA 8.3 : <html lang> vaut {doc.get('lang')!r}, attendu « fr »")
    titres = doc.findall(".//head/title")
    if len(titres) != 1 or not _texte(titres[0]):
        f.append("RGAA 8.5 : la page n'a pas un <title> unique et non vide")
    return f


def verifier_identifiants(doc: HtmlElement) -> list[str]:
    """8.2: ids unique, and every id that an attribute refers to exists."""
    f = []
    vus: dict[str, int] = {}
    for el in doc.iter():
        if isinstance(el.tag, str) and el.get("id"):
            vus[el.get("id")] = vus.get(el.get("id"), 0) + 1
    f += [f"RGAA 8.2 : id « {i} » présent {n} fois" for i, n in vus.items() if n > 1]
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("aria-labelledby", "aria-describedby", "aria-controls"):
            for ref in (el.get(attr) or "").split():
                if ref not in vus:
                    f.append(f"RGAA 8.2 : {_decrire(el)} {attr} désigne « {ref} », absent de la page")
        if el.tag == "label" and el.get("for") and el.get("for") not in vus:
            f.append(f"RGAA 11.1 : <label for=\"{el.get('for')}\"> ne désigne aucun champ")
        if el.tag == "a" and (el.get("href") or "").startswith("#") and len(el.get("href", "")) > 1:
            if el.get("href", "")[1:] not in vus:
                f.append(f"RGAA 8.2 : lien {_decrire(el)} vers une ancre absente")
    return f


def verifier_titres(doc: HtmlElement, fragment: bool = False) -> list[str]:
    """9.1: one h1 (a fragment has none), no level skipped going down."""
    f = []
    niveaux = [int(el.tag[1]) for el in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    vides = [el for el in doc.iter("h1", "h2", "h3", "h4", "h5", "h6") if not _texte(el)]
    f += [f"RGAA 9.1 : titre <{el.tag}> vide" for el in vides]
    if not fragment and niveaux.count(1) != 1:
        f.append(f"RGAA 9.1 : {niveaux.count(1)} titre(s) <h1>, attendu 1")
    if not fragment and niveaux and niveaux[0] != 1:
        f.append(f"RGAA 9.1 : le premier titre est un <h{niveaux[0]}>, attendu <h1>")
    for avant, apres in zip(niveaux, niveaux[1:]):
        if apres > avant + 1:
            f.append(f"RGAA 9.1 : saut de niveau de titre <h{avant}> → <h{apres}>")
    return f


def verifier_champs(doc: HtmlElement) -> list[str]:
    """11.1/11.2 labels, 11.5/11.6 radio groups, 11.10 required fields and errors, 11.13 autocomplete."""
    f = []
    for el in _champs(doc):
        nom = nom_accessible(el, doc)
        if not nom:
            f.append(f"RGAA 11.1 : champ {_decrire(el)} sans étiquette (label, aria-label ou aria-labelledby)")
        if el.get("type") == "radio":
            groupe = next(el.iterancestors("fieldset"), None)
            legende = groupe.find("legend") if groupe is not None else None
            if legende is None or not _texte(legende):
                f.append(f"RGAA 11.5 : bouton radio {_decrire(el)} hors d'un <fieldset> avec <legend>")
        if el.get("type") in ("email", "password") and not el.get("autocomplete"):
            f.append(f"RGAA 11.13 : champ {_decrire(el)} sans attribut autocomplete")
        if el.get("aria-invalid") == "true":
            decrit = [i for i in (el.get("aria-describedby") or "").split()]
            ids = _par_id(doc)
            if not decrit or not any(_texte(ids[i]) for i in decrit if i in ids):
                f.append(f"RGAA 11.10 : champ en erreur {_decrire(el)} sans message lié (aria-describedby)")
    for formulaire in doc.iter("form"):
        champs = [c for c in _champs(formulaire)]
        if len({c.get("name") for c in champs}) < 2:
            continue  # RGAA 11.10.1 special case: a form with a single field
        mention_generale = "tous les champs sont obligatoires" in _texte(formulaire).lower()
        for c in champs:
            obligatoire = c.get("required") is not None or c.get("aria-required") == "true"
            groupe = next(c.iterancestors("fieldset"), None)
            libelle = (nom_accessible(c, doc) + " " + (_texte(groupe.find("legend")) if groupe is not None
                                                       and groupe.find("legend") is not None else "")).lower()
            if obligatoire and OBLIGATOIRE not in libelle and not mention_generale:
                f.append(f"RGAA 11.10 : champ obligatoire {_decrire(c)} sans mention visible « {OBLIGATOIRE} » "
                         "dans son étiquette")
            if not obligatoire and mention_generale and FACULTATIF not in libelle and OBLIGATOIRE not in libelle:
                f.append(f"RGAA 11.10 : champ facultatif {_decrire(c)} non signalé « {FACULTATIF} » alors que "
                         "le formulaire dit tous les champs obligatoires")
            if OBLIGATOIRE in libelle and " si " not in libelle and not obligatoire:
                f.append(f"RGAA 11.10 : champ {_decrire(c)} dit « {OBLIGATOIRE} » sans attribut required")
    return f


def verifier_erreurs(doc: HtmlElement) -> list[str]:
    """7.5 / 11.10: an error summary is announced (role=alert) and each field it names is marked invalid."""
    f = []
    ids = _par_id(doc)
    for alerte in doc.iter():
        if not isinstance(alerte.tag, str) or "alerte" not in (alerte.get("class") or "").split():
            continue
        if alerte.get("role") != "alert":
            f.append(f"RGAA 7.5 : message d'erreur {_decrire(alerte)} non annoncé (role=\"alert\" absent)")
        for lien in alerte.iter("a"):
            cible = ids.get((lien.get("href") or "#")[1:])
            if cible is None:
                continue
            champs = [cible] if cible.tag in ("input", "select", "textarea") else _champs(cible)
            for c in champs:
                if c.get("aria-invalid") != "true":
                    f.append(f"RGAA 11.10 : champ {_decrire(c)} signalé en erreur sans aria-invalid=\"true\"")
    return f


def verifier_tableaux(doc: HtmlElement) -> list[str]:
    """5.4 caption, 5.6/5.7 header cells declared with scope."""
    f = []
    for t in doc.iter("table"):
        if t.get("role") == "presentation":
            continue
        legende = t.find("caption")
        if (legende is None or not _texte(legende)) and not nom_accessible(t, doc):
            f.append(f"RGAA 5.4 : tableau {_decrire(t)} sans titre (<caption>)")
        entetes = list(t.iter("th"))
        if not entetes:
            f.append(f"RGAA 5.6 : tableau de données {_decrire(t)} sans cellule d'en-tête <th>")
        sans = [th for th in entetes if th.get("scope") not in ("col", "row", "colgroup", "rowgroup")
                and not th.get("id")]
        if sans:
            f.append(f"RGAA 5.7 : {len(sans)} <th> sans scope dans le tableau {_decrire(t)} "
                     f"(premier : « {_texte(sans[0])} »)")
    return f


def verifier_liens_boutons(doc: HtmlElement) -> list[str]:
    """6.2 (and 6.1) link names, 11.9 button names, 12.8 no positive tabindex."""
    f = []
    for a in doc.iter("a"):
        if a.get("href") is None:
            continue
        nom = nom_accessible(a, doc)
        if not nom:
            f.append(f"RGAA 6.2 : lien {_decrire(a)} sans intitulé")
        elif nom.lower().strip(" .…") in INTITULES_VAGUES:
            f.append(f"RGAA 6.1 : lien {_decrire(a)} d'intitulé non explicite « {nom} »")
    for b in doc.iter("button"):
        if not nom_accessible(b, doc):
            f.append(f"RGAA 11.9 : bouton {_decrire(b)} sans intitulé")
    for el in doc.iter():
        rang = el.get("tabindex") if isinstance(el.tag, str) else None
        if rang is not None and rang.strip().isdigit() and int(rang) > 0:
            f.append(f"RGAA 12.8 : tabindex positif sur {_decrire(el)} (ordre de tabulation forcé)")
    return f


def verifier_images(doc: HtmlElement) -> list[str]:
    """1.1 / 1.2: <img> has alt; an <svg> is role=img with a name, or hidden from assistive technologies."""
    f = []
    for img in doc.iter("img"):
        if img.get("alt") is None:
            f.append(f"RGAA 1.1 : image {_decrire(img)} sans attribut alt")
    for svg in doc.iter("svg"):
        if any(a.tag == "svg" for a in svg.iterancestors()):
            continue
        if svg.get("aria-hidden") == "true":
            continue
        if svg.get("role") != "img":
            f.append("RGAA 1.1 : <svg> porteuse d'information sans role=\"img\" (ni aria-hidden si décorative)")
        if not nom_accessible(svg, doc):
            f.append("RGAA 1.1 : <svg> sans alternative textuelle (aria-label ou aria-labelledby)")
    return f


def verifier_zones(doc: HtmlElement) -> list[str]:
    """12.6 landmarks and 12.7 skip link to the main content (pages of a set: the workspace)."""
    f = []
    principaux = list(doc.iter("main"))
    if len(principaux) != 1:
        f.append(f"RGAA 12.6 : {len(principaux)} <main>, attendu 1")
    for zone in ("header", "footer"):
        if doc.find(f".//body/{zone}") is None:
            f.append(f"RGAA 12.6 : pas de <{zone}> de page")
    corps = doc.find(".//body")
    liens = list(corps.iter("a")) if corps is not None else []
    premier = liens[0] if liens else None
    cible = (premier.get("href") or "")[1:] if premier is not None else ""
    if premier is None or not (premier.get("href") or "").startswith("#"):
        f.append("RGAA 12.7 : le premier lien de la page n'est pas un lien d'évitement")
    elif not principaux or principaux[0].get("id") != cible:
        f.append(f"RGAA 12.7 : le lien d'évitement vise « #{cible} », pas le <main>")
    return f


def verifier_ressources_externes(doc: HtmlElement) -> list[str]:
    """Issue 12: no asset from another site (the pages must work without network)."""
    f = []
    for el in doc.iter("link", "script", "img", "iframe", "source", "use", "image"):
        for attr in ("href", "src", "xlink:href"):
            v = el.get(attr) or ""
            if re.match(r"(https?:)?//", v):
                f.append(f"ressource externe {_decrire(el)} {attr}={v!r} (issue 12 : aucun CDN)")
    for style in doc.iter("style"):
        if re.search(r"url\(\s*['\"]?(https?:)?//|@import", style.text or ""):
            f.append("ressource externe chargée par une feuille de style en ligne (issue 12)")
    return f


def auditer(html: str, *, ensemble: bool = True, fragment: bool = False) -> list[str]:
    """Every static finding on ``html``.

    ``ensemble``: a page of the workspace (header, navigation, skip link expected); ``fragment``: a piece
    embedded in another page (no document checks, no h1).
    """
    doc = lxml.html.fragment_fromstring(html, create_parent="div") if fragment else lxml.html.document_fromstring(html)
    constats = [] if fragment else verifier_document(doc, html)
    constats += verifier_identifiants(doc) + verifier_titres(doc, fragment) + verifier_champs(doc)
    constats += verifier_erreurs(doc) + verifier_tableaux(doc) + verifier_liens_boutons(doc)
    constats += verifier_images(doc) + verifier_ressources_externes(doc)
    if ensemble and not fragment:
        constats += verifier_zones(doc)
    return constats


def titre(html: str) -> str:
    return _texte(lxml.html.document_fromstring(html).find(".//head/title"))


# --------------------------------------------------------------------------- colours (RGAA 3.2, 3.3)


def couleur(css: str) -> Optional[tuple[float, float, float, float]]:
    """A computed CSS colour ``rgb(r, g, b)`` / ``rgba(r, g, b, a)`` as (r, g, b, alpha); None otherwise."""
    m = re.fullmatch(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)", css.strip())
    if not m:
        return None
    alpha = m.group(4)
    a = 1.0 if alpha is None else (float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha))
    return float(m.group(1)), float(m.group(2)), float(m.group(3)), a


def superposer(devant: tuple[float, float, float, float],
               fond: tuple[float, float, float]) -> tuple[float, float, float]:
    """``devant`` composited over an opaque ``fond`` (alpha blending)."""
    a = devant[3]
    return tuple(devant[i] * a + fond[i] * (1 - a) for i in range(3))  # type: ignore[return-value]


def luminance(rgb: Iterable[float]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour with 0–255 components."""
    lineaires = []
    for c in rgb:
        s = c / 255
        lineaires.append(s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4)
    r, g, b = lineaires
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contraste(a: Iterable[float], b: Iterable[float]) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05), from 1 to 21."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def seuil_contraste(taille_px: float, graisse: int) -> float:
    """RGAA 3.2: 4.5:1, or 3:1 for large text (24 px and more, or 18.5 px and more in bold)."""
    return 3.0 if taille_px >= 24 or (taille_px >= 18.5 and graisse >= 700) else 4.5


__all__ = ["auditer", "contraste", "couleur", "luminance", "nom_accessible", "seuil_contraste", "superposer", "titre"]
