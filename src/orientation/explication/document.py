"""The reading order of an explanation, shared by every rendering (text, Markdown, HTML).

:func:`document` lays an explanation out as sections of paragraphs and bullet lists; the
renderers only format it, so the three renderings say the same things in the same order.

* ``court`` (default): « À faire » (recommendation, route, one to three reasons, deadline),
  « À compléter », the first groups of « Ce qui changerait le résultat », and where to find the rest;
* ``complet``: the same, every group, then the four items of CRPA art. R311-3-1-2, whose third
  item details the rules applied (the person's values, the reference) and the model's weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from orientation.explication.contrefactuels import phrase_groupe
from orientation.vocabulaire import Modalite

Detail = Literal["court", "complet"]

#: Groups of counterfactuals shown in the short rendering (the full one shows them all, at most five),
#: and answers listed per group there.
GROUPES_COURT = 2
REPONSES_COURT = 2
#: Missing answers listed in the short rendering.
COMPLETER_COURT = 3

TITRE_CRPA = "Informations dues au titre de l'article R311-3-1-2 du CRPA"


@dataclass
class Element:
    """A paragraph (``puces`` empty) or a bullet list (``texte``: its lead-in, may be empty)."""

    texte: str = ""
    puces: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class Section:
    titre: str
    classe: str
    elements: list[Element]


@dataclass
class Document:
    titre: str
    avertissements: list[str]
    sections: list[Section]


def phrase_codes(decision: Any) -> str:
    """The sentence naming the route's output codes (:class:`orientation.codes_sortie.CodesSortie`);
    empty when no route is decided.  When a referent examines the dossier, the route is only a
    proposal: the sentence says the codes hold if the referent keeps it."""
    codes = decision.codes
    if codes is None:
        return ""
    tete = (f"Codes du parcours si le référent retient le {decision.parcours.libelle}"
            if decision.modalite == Modalite.examen_individuel and decision.parcours is not None
            else "Codes du parcours")
    return (f"{tete} : rdv-insertion « {codes.rdv_insertion} » ; France Travail "
            + (f"« {codes.france_travail} »" if codes.france_travail else "non renseigné")
            + " ; libellé du département " + (f"« {codes.departement} »." if codes.departement else "non renseigné."))


def _liste(texte: str, items: list[str]) -> Element:
    return Element(texte, [(x, []) for x in items])


def document(e: Any, detail: Detail = "court") -> Document:
    """The explanation ``e`` (:class:`~orientation.explication.construction.Explication`) as sections."""
    d, s = e.decision, e.synthese
    sections = [Section("À faire", "synthese", [
        Element(s.recommandation), Element(s.parcours), _liste("Pourquoi :", s.raisons), Element(s.echeance),
        *[Element(x) for x in (phrase_codes(d), s.preorientation_caf) if x]])]
    court = detail == "court"
    if s.a_completer:
        manquantes = s.a_completer[:COMPLETER_COURT] if court else s.a_completer
        reste = len(s.a_completer) - len(manquantes)
        sections.append(Section("À compléter", "a-completer", [_liste(
            "", [f"{a.libelle} : {a.effet}." for a in manquantes]
            + ([f"Et {reste} autre(s) réponse(s) manquante(s) : voir l'explication complète."] if reste else []))]))
    groupes = e.groupes_contrefactuels[:GROUPES_COURT] if court else e.groupes_contrefactuels
    if groupes:
        sections.append(Section("Ce qui changerait le résultat", "contrefactuels", [_liste(
            "" if court else "Chaque changement a été vérifié en rejouant toute la chaîne de décision :",
            [phrase_groupe(g.effet, g.conditions, g.fait_etabli, REPONSES_COURT) if court else g.phrase
             for g in groupes])]))
    if court:
        sections.append(Section("Pour aller plus loin", "suite", [Element(
            "Détail et informations dues (CRPA, art. R311-3-1-2) : explication complète (--detail complet).")]))
        return Document(f"Orientation du dossier {d.identifiant} (département {d.departement})",
                        list(e.avertissements), sections)
    c = e.crpa
    parametres = Element("3° Paramètres de traitement et leur pondération, appliqués à la situation de la personne :",
                         [(x, []) for x in c.parametres_et_ponderations])
    sections.append(Section(TITRE_CRPA, "crpa", [
        Element(f"1° Degré et mode de contribution du traitement algorithmique : {c.degre_et_mode_de_contribution}"),
        _liste("2° Données traitées et leurs sources :", c.donnees_et_sources),
        parametres,
        _liste("4° Opérations effectuées par le traitement :", c.operations),
        Element(f"Cadre : {e.libelle_scenario}."),
    ]))
    return Document(f"Orientation du dossier {d.identifiant} (département {d.departement})", list(e.avertissements),
                    sections)
