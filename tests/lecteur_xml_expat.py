"""The expat reader of the CAF XML flux as it was before lxml became the only parser: a test oracle.

A Python call per element event (a few thousand records a second); kept here only so that the
properties of ``test_flux_xml_blocs.py`` can check that :class:`orientation.dossier.cnaf_xml.LecteurXML`
gives the same records (ranks, lines, cells, unknown names) as before on generated flux.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator, Optional
from xml.parsers import expat

from orientation.dossier.cnaf_xml import (_CLES, _SPECIAUX, ELEMENTS_CONNUS, ENREGISTREMENT, PERSONNE, TEXTE_MAX,
                                          EnregistrementXML, PersonneXML)


class Refus(ValueError):
    """Malformed document or DOCTYPE."""


def _nom(brut: str) -> str:
    return brut.rsplit(":", 1)[-1]


class LecteurXML:
    """Streamed reader of a CAF XML flux: iterate to get :class:`EnregistrementXML` objects in file order.

    The file is fed to expat by pieces of ``morceau`` bytes; records completed by a piece are
    handed out before the next piece is read, and only the record being read is kept, so memory
    does not depend on the file size (:attr:`max_en_attente`: most records held at once).
    ``nom``: the file's name for messages; ``lus``: called with every piece read (hashing).
    """

    def __init__(self, flux: BinaryIO, nom: str = "(document)", morceau: int = 1 << 16, lus: Any = None):
        self.flux, self.nom, self.morceau, self.lus = flux, nom, morceau, lus
        self.inconnus_hors: set[str] = set()  # unknown elements outside any record
        self.max_en_attente = 0
        self.racine: Optional[str] = None
        self._prets: list[EnregistrementXML] = []
        self._pile: list[list[Any]] = []  # [name, has children, text pieces, text length]
        self._rec: Optional[EnregistrementXML] = None
        self._pers: Optional[PersonneXML] = None
        self._n = 0
        p = expat.ParserCreate()
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._entite
        p.StartElementHandler = self._debut
        p.EndElementHandler = self._fin
        p.CharacterDataHandler = self._texte
        p.buffer_text = True
        self._p = p

    def _doctype(self, *_: Any) -> None:
        raise Refus("DOCTYPE")

    def _entite(self, *_: Any) -> None:  # pragma: no cover - needs a DOCTYPE, refused first
        raise Refus("ENTITY")

    def _debut(self, brut: str, _attributs: Any) -> None:
        nom = _nom(brut)
        if self._pile:
            self._pile[-1][1] = True
        elif self.racine is None:
            self.racine = nom
        self._pile.append([nom, False, [], 0])
        ligne = self._p.CurrentLineNumber
        if nom == ENREGISTREMENT and self._rec is None:
            self._n += 1
            self._rec = EnregistrementXML(self._n, ligne)
        elif nom == PERSONNE and self._rec is not None and self._pers is None:
            self._pers = PersonneXML(ligne)
            self._rec.personnes.append(self._pers)

    def _texte(self, texte: str) -> None:
        haut = self._pile[-1] if self._pile else None
        if haut is not None and haut[3] < TEXTE_MAX:
            haut[2].append(texte[:TEXTE_MAX - haut[3]])
            haut[3] += len(texte)

    def _fin(self, _brut: str) -> None:
        nom, enfants, morceaux, _ = self._pile.pop()
        cle = nom.lower()
        connu = nom in ELEMENTS_CONNUS or cle in _CLES
        if not connu:
            (self._rec.inconnus if self._rec is not None else self.inconnus_hors).add(nom)
        elif not enfants and self._rec is not None and (cle in _CLES or nom in _SPECIAUX):
            cible = self._pers.cellules if self._pers is not None else self._rec.communs
            cible.setdefault(cle, []).append("".join(morceaux).strip())
        if nom == PERSONNE and self._pers is not None:
            self._pers = None
        elif nom == ENREGISTREMENT and self._rec is not None and not any(e[0] == ENREGISTREMENT for e in self._pile):
            self._prets.append(self._rec)
            self._rec = None

    def __iter__(self) -> Iterator[EnregistrementXML]:
        fin = False
        while not fin:
            piece = self.flux.read(self.morceau)
            fin = not piece
            if piece and self.lus is not None:
                self.lus(piece)
            try:
                self._p.Parse(piece, fin)
            except expat.ExpatError as exc:
                raise Refus(str(exc)) from None
            self.max_en_attente = max(self.max_en_attente, len(self._prets))
            prets, self._prets = self._prets, []
            yield from prets
