"""A CAF XML flux cut into byte ranges of whole records, each range read with lxml (fast path).

:class:`~orientation.dossier.cnaf_xml.LecteurXML` reads a flux in one pass with a Python call per
element event (a few thousand records a second).  Here the work is split so that it runs in C
and in parallel:

* :class:`Decoupeur` (the parent process) feeds every byte once to expat *without element
  handlers* (C speed: it only checks that the whole document is well formed and refuses a
  ``<!DOCTYPE``, with exactly the messages of :class:`LecteurXML`), and finds the start and end
  of each ``InfoDemandeRSA`` with a regular expression (comments, CDATA sections and processing
  instructions skipped, nested records kept inside their record).  It hands out byte ranges of
  whole records with the rank of their first record and the line where they start; the elements
  outside any record (header, root) are checked here for unknown names.
* :func:`lire_plage` (a worker) reads one range.  Plain XML (no comment, CDATA section, processing
  instruction, reference, attribute, prefix or CR: what a CAF flux usually is; the parent already
  checked it is well formed) is cut by one regular expression into leaves and tags; anything else
  is parsed with lxml (libxml2: ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False``)
  and each record walked once.  Both fill the same :class:`~orientation.dossier.cnaf_xml.EnregistrementXML`
  as :class:`LecteurXML` (same rules: cells by element name, person of the first ``Personne``,
  unknown names listed, texts cut at ``TEXTE_MAX``), so :func:`~orientation.dossier.cnaf_xml.lignes`
  gives the same rows.  A range lxml cannot parse alone (records inside wrapper elements, a
  namespace prefix declared outside the root) is read record by record with :class:`LecteurXML`.

Memory: the parent holds one piece of :data:`MORCEAU` bytes and what is left of a token cut at its
end; a worker holds one range.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional
from xml.parsers import expat

from orientation.dossier.cnaf_xml import (_CLES, _SPECIAUX, ELEMENTS_CONNUS, ENREGISTREMENT, PERSONNE, TEXTE_MAX,
                                          EnregistrementXML, LecteurXML, PersonneXML, XMLRefuse, message_doctype,
                                          message_expat)

#: Bytes read at a time by the parent.
MORCEAU = 1 << 23
#: Largest range parsed at once (past it, the range ends with its record): the lxml tree of a
#: range takes about ten times its size.
OCTETS_PLAGE = 1 << 20

# Tokens that matter to the cutting: comments, CDATA sections and processing instructions (skipped
# whole, they may hold "<InfoDemandeRSA"), and the start and end tags of records (any prefix).
_ENR = rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?" + ENREGISTREMENT.encode() + rb"(?=[\s/>])"
_JETON_DANS = re.compile(rb"<!--|<!\[CDATA\[|<\?|" + _ENR)
# Outside records every start tag is looked at too (unknown names, the root's namespaces).
_JETON_HORS = re.compile(rb"<!--|<!\[CDATA\[|<\?|" + _ENR + rb"|<([A-Za-z_][^\s/>]*)")
_FINS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
# End of a start tag: attribute values may hold ">".
_FIN_BALISE = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""")
_ESPACES_DE_NOMS = re.compile(rb"""\sxmlns(?::[\w.\-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_GARDE = 64  # bytes kept at the end of a piece (a tag cut in two)
_DECLARATION = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][\w.\-]*)["']""")


@dataclass(frozen=True)
class Plage:
    """Whole records in ``[debut, fin)``: rank of the first (from 1), line where the range starts, records."""

    debut: int
    fin: int
    premier: int
    ligne: int
    enregistrements: int
    espaces: bytes = b""  # namespace declarations of the root (for lxml)
    encodage: Optional[str] = None  # declared by the document (None: UTF-8)


class Decoupeur:
    """Parent side: check the document and cut it into :class:`Plage` of ``par_plage`` records.

    ``lus``: called with every piece read (hashing).  :attr:`inconnus_hors`: unknown elements
    outside any record; :attr:`racine`: the root element's name; :attr:`nb`: records found.
    """

    def __init__(self, flux: Any, nom: str, par_plage: int, lus: Any = None, morceau: int = MORCEAU,
                 verifier: bool = True, octets_plage: int = OCTETS_PLAGE):
        self.flux, self.nom, self.par_plage, self.lus, self.morceau = flux, nom, max(1, par_plage), lus, morceau
        self.octets_plage = octets_plage
        self.verifier = verifier
        self.inconnus_hors: set[str] = set()
        self.racine: Optional[str] = None
        self.nb = 0
        self._espaces = b""
        self._encodage: Optional[str] = None
        p = expat.ParserCreate()
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        self._p = p

    def _doctype(self, *_: Any) -> None:
        raise XMLRefuse(message_doctype(self.nom, self._p.CurrentLineNumber))

    def _verifier(self, piece: bytes, fin: bool) -> None:
        if not self.verifier:
            return
        try:
            self._p.Parse(piece, fin)
        except expat.ExpatError as exc:
            raise XMLRefuse(message_expat(self.nom, exc)) from None

    def _lire_encodage(self, debut: bytes) -> Optional[str]:
        """The encoding of the XML declaration; one that is not ASCII-compatible (UTF-16...) is refused."""
        if debut[:2] in (b"\xff\xfe", b"\xfe\xff") or debut[:4] in (b"\x00\x00\xfe\xff", b"\x00<\x00?", b"<\x00?\x00"):
            raise XMLRefuse(f"{self.nom} : document XML en UTF-16 ou UTF-32, non pris en charge en lot : "
                            "enregistrez-le en UTF-8. Aucune ligne n'a été traitée.")
        m = _DECLARATION.match(debut)
        return m.group(1).decode("ascii") if m else None

    def _hors(self, nom: bytes, balise: bytes) -> None:
        texte = nom.decode("utf-8", "replace")
        local = texte.rsplit(":", 1)[-1]
        if self.racine is None:
            self.racine = local
            self._espaces = b"".join(_ESPACES_DE_NOMS.findall(balise))
        if local not in ELEMENTS_CONNUS and local.lower() not in _CLES:
            self.inconnus_hors.add(local)

    def __iter__(self) -> Iterator[Plage]:
        buf = b""
        base = 0  # file offset of buf[0]
        compte_a, lignes_a = 0, 1  # lines are counted up to buf[compte_a], which is on line lignes_a
        pos = 0  # next byte of buf to scan
        profondeur = 0  # open records
        debut_plage: Optional[int] = None  # file offset, line of the current range
        ligne_plage = 1
        n_plage = 0
        fin_derniere = 0  # file offset just after the last record closed
        special = -1  # next comment, CDATA section or processing instruction in buf (-1: to look for)
        fini = False
        while not fini:
            piece = self.flux.read(self.morceau)
            fini = not piece
            if piece and self.lus is not None:
                self.lus(piece)
            self._verifier(piece, fini)  # the bytes scanned below are well formed so far
            if base == 0 and not buf:
                self._encodage = self._lire_encodage(piece)
            buf += piece
            special = -1
            while True:
                if profondeur:  # inside records: only record tags and what may hide one (fast search)
                    if special < pos:
                        special = _prochain_special(buf, pos)
                    m = _chercher_dans(buf, pos, special)
                else:
                    m = _JETON_HORS.search(buf, pos)
                if m is None:
                    pos = max(pos, len(buf) - _GARDE) if not fini else len(buf)
                    break
                if m is _COUPE:
                    break  # a token cut by the piece: read on (pos unchanged)
                jeton = m.group(0)
                if jeton in _FINS:
                    k = buf.find(_FINS[jeton], m.end())
                    if k < 0:
                        pos = m.start()
                        break  # cut by the piece: read on
                    pos = k + len(_FINS[jeton])
                    continue
                if m.lastindex == 2:  # another start tag outside records
                    f = _FIN_BALISE.match(buf, m.end())
                    if f is None:
                        pos = m.start()
                        break
                    self._hors(m.group(2), buf[m.start():f.end()])
                    pos = f.end()
                    continue
                fermante = m.group(1) == b"/"
                f = _FIN_BALISE.match(buf, m.end())
                if f is None:
                    pos = m.start()
                    break
                vide = not fermante and f.group(1) == b"/"
                if not fermante:
                    if profondeur == 0:
                        self.nb += 1
                        if debut_plage is None:
                            lignes_a += buf.count(b"\n", compte_a, m.start())
                            compte_a = m.start()
                            debut_plage, ligne_plage = base + m.start(), lignes_a
                        n_plage += 1
                    if not vide:
                        profondeur += 1
                if fermante or vide:
                    if fermante:
                        profondeur -= 1
                    if profondeur == 0:
                        fin_derniere = base + f.end()
                        if debut_plage is not None and (n_plage >= self.par_plage
                                                        or fin_derniere - debut_plage >= self.octets_plage):
                            yield Plage(debut_plage, fin_derniere, self.nb - n_plage + 1, ligne_plage, n_plage,
                                        self._espaces, self._encodage)
                            debut_plage, n_plage = None, 0
                pos = f.end()
            # drop what was scanned, keep the line count of the new buf[0]
            lignes_a += buf.count(b"\n", compte_a, pos)
            buf, base, pos, compte_a = buf[pos:], base + pos, 0, 0
        if debut_plage is not None and n_plage:
            yield Plage(debut_plage, fin_derniere, self.nb - n_plage + 1, ligne_plage, n_plage, self._espaces,
                        self._encodage)


_NOM_ENR = ENREGISTREMENT.encode()
_AVANT_NOM = re.compile(rb"/?(?:[A-Za-z_][\w.\-]*:)?")  # between "<" and the record's name
_COUPE = object()  # "a token is cut by the end of the piece"


class _Jeton:
    """What :func:`_chercher_dans` found, read like a match of :data:`_JETON_DANS`."""

    __slots__ = ("_debut", "_fin", "_jeton", "_barre")
    lastindex = 1

    def __init__(self, debut: int, fin: int, jeton: bytes, barre: bytes):
        self._debut, self._fin, self._jeton, self._barre = debut, fin, jeton, barre

    def start(self) -> int:
        return self._debut

    def end(self) -> int:
        return self._fin

    def group(self, i: int) -> bytes:
        return self._jeton if i == 0 else self._barre


def _prochain_special(buf: bytes, pos: int) -> int:
    """Position of the next comment, CDATA section or processing instruction (len(buf): none)."""
    return min((k for k in (buf.find(b"<!--", pos), buf.find(b"<![CDATA[", pos), buf.find(b"<?", pos)) if k >= 0),
               default=len(buf))


def _chercher_dans(buf: bytes, pos: int, special: int) -> Any:
    """The next token of :data:`_JETON_DANS` from ``pos`` (None: none; :data:`_COUPE`: cut), with ``bytes.find``."""
    while True:
        c = buf.find(_NOM_ENR, pos)
        if 0 <= special < len(buf) and (c < 0 or special < c):
            return _JETON_DANS.match(buf, special)  # the comment, CDATA section or processing instruction
        if c < 0:
            return None
        suite = c + len(_NOM_ENR)
        if suite >= len(buf):
            return _COUPE
        lt = buf.rfind(b"<", pos, c)
        if lt >= 0 and buf[suite] in b" \t\r\n/>" and _AVANT_NOM.fullmatch(buf, lt + 1, c):
            barre = b"/" if buf[lt + 1] == 0x2F else b""
            return _Jeton(lt, suite, buf[lt:suite], barre)
        pos = suite  # the name inside a text or a longer name


# --------------------------------------------------------------------------- worker side

_PARSEURS: dict[Optional[str], Any] = {}
_NOMS: dict[str, str] = {}  # tag as lxml gives it -> local name (bounded: see _local)


def _parseur(encodage: Optional[str] = None) -> Any:
    """lxml parser of ranges (no entity resolution, no network, no DTD) for a declared encoding."""
    parseur = _PARSEURS.get(encodage)
    if parseur is None:
        from lxml import etree

        parseur = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                                  huge_tree=True, collect_ids=False, encoding=encodage)
        if len(_PARSEURS) < 16:
            _PARSEURS[encodage] = parseur
    return parseur


def _local(tag: str) -> str:
    nom = _NOMS.get(tag)
    if nom is None:
        nom = tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
        if len(_NOMS) < 10_000:
            _NOMS[tag] = nom
    return nom


# What an element is, by tag as lxml gives it: (local name, cell key or None, unknown, is a Personne)
_SORTES: dict[str, tuple[str, Optional[str], bool, bool]] = {}


def _sorte(tag: str) -> tuple[str, Optional[str], bool, bool]:
    nom = _local(tag)
    cle = nom.lower()
    inconnu = nom not in ELEMENTS_CONNUS and cle not in _CLES
    sorte = (nom, cle if not inconnu and (cle in _CLES or nom in _SPECIAUX) else None, inconnu, nom == PERSONNE)
    if len(_SORTES) < 10_000:
        _SORTES[tag] = sorte
    return sorte


class _Etat:
    __slots__ = ("rec", "pers", "cible", "decalage")

    def __init__(self, rec: EnregistrementXML, decalage: int):
        self.rec, self.pers, self.cible, self.decalage = rec, None, rec.communs, decalage


def _parcourir(el: Any, etat: _Etat) -> bool:
    """Walk the children of ``el`` as :class:`LecteurXML` would see their events; True if it has element children."""
    enfants_el = False
    for c in el:
        tag = c.tag
        if tag.__class__ is not str:  # comment or processing instruction
            continue
        enfants_el = True
        nom, cle, inconnu, personne = _SORTES.get(tag) or _sorte(tag)
        if personne and etat.pers is None:
            etat.pers = PersonneXML(c.sourceline + etat.decalage)
            etat.rec.personnes.append(etat.pers)
            etat.cible = etat.pers.cellules
        n = len(c)
        if n and _parcourir(c, etat):
            pass  # a container: its text is not a value
        elif inconnu:
            pass
        elif cle is not None:
            texte = c.text or ""
            if n:  # only comments or processing instructions inside: the text around them
                texte += "".join(x.tail or "" for x in c)
            v = texte[:TEXTE_MAX].strip() if texte else ""
            valeurs = etat.cible.get(cle)
            if valeurs is None:
                etat.cible[cle] = [v]
            else:
                valeurs.append(v)
        if inconnu:
            etat.rec.inconnus.add(nom)
        if personne and etat.pers is not None:
            etat.pers, etat.cible = None, etat.rec.communs
    return enfants_el


# Plain XML (no comment, CDATA, processing instruction, reference, attribute, prefix or CR): what a
# CAF flux usually is, read with one regular expression: a leaf with its text, an empty element,
# a start or end tag.  Anything else in a range sends it to lxml.
_NOM_SIMPLE = re.compile(r"[A-Za-z_][\w.\-]*")
_JETONS_SIMPLES = re.compile(r"<([^/>][^>]*?)>([^<]*)</\1>|<([^/>][^>]*?)/>|<(/?)([^>]*)>")
_DEBUT_ENR = re.compile("<" + ENREGISTREMENT + "/?>")
_DEBUT_PERS = re.compile("<" + PERSONNE + "/?>")


def _lire_simple(texte: str, plage: Plage) -> Optional[list[EnregistrementXML]]:
    """The records of a range of plain XML, or None when it is not plain enough (read with lxml then)."""
    if "&" in texte or "\r" in texte or "<!" in texte or "<?" in texte:
        return None
    debuts = [m.start() for m in _DEBUT_ENR.finditer(texte)]
    if len(debuts) != plage.enregistrements or (debuts and debuts[0] != 0):
        return None  # nested records, or something before the first one
    debuts.append(len(texte))
    out = []
    ligne, compte = plage.ligne, 0
    sortes = _SORTES
    for i in range(plage.enregistrements):
        a, b = debuts[i], debuts[i + 1]
        ligne += texte.count("\n", compte, a)
        compte = a
        rec = EnregistrementXML(plage.premier + i, ligne)
        pers: Optional[PersonneXML] = None
        cible = rec.communs
        profondeur = 0
        ferme = False
        cherche = a  # where to look for the next Personne start tag (its line)
        for feuille, valeur, vide, barre, nom in _JETONS_SIMPLES.findall(texte, a, b):
            if ferme:
                return None  # an element after the record, between records: lxml
            tag = feuille or vide or nom
            if barre:
                profondeur -= 1
                if tag == PERSONNE and pers is not None:
                    pers, cible = None, rec.communs
                ferme = profondeur == 0
                continue
            sorte = sortes.get(tag)
            if sorte is None:
                if not _NOM_SIMPLE.fullmatch(tag):
                    return None  # attributes, a prefix, spaces in the tag: lxml
                sorte = _sorte(tag)
            nom_local, cle, inconnu, personne = sorte
            if personne:
                if pers is not None:
                    return None  # a Personne inside a Personne: lxml
                m = _DEBUT_PERS.search(texte, cherche, b)
                if m is None:
                    return None  # a prefixed Personne: lxml
                cherche = m.end()
                pers = PersonneXML(ligne + texte.count("\n", a, m.start()))
                rec.personnes.append(pers)
                cible = pers.cellules
            if inconnu:
                rec.inconnus.add(nom_local)
            elif cle is not None and not nom:  # a leaf: its text (an empty element: "")
                v = valeur[:TEXTE_MAX].strip() if valeur else ""
                valeurs = cible.get(cle)
                if valeurs is None:
                    cible[cle] = [v]
                else:
                    valeurs.append(v)
            if nom:
                profondeur += 1
            else:
                if personne:  # <Personne/> or a Personne holding only text
                    pers, cible = None, rec.communs
                ferme = profondeur == 0  # the record itself is empty
        if not ferme:
            return None
        out.append(rec)
    return out


def lire_plage(donnees: bytes, plage: Plage, nom: str = "(document)") -> list[EnregistrementXML]:
    """The records of one range (its bytes ``donnees``), as :class:`LecteurXML` would give them."""
    from lxml import etree

    try:
        simples = _lire_simple(donnees.decode(plage.encodage or "utf-8"), plage)
    except (UnicodeDecodeError, LookupError):
        simples = None
    if simples is not None:
        return simples

    try:
        racine = etree.fromstring(b"<_" + plage.espaces + b">" + donnees + b"</_>", _parseur(plage.encodage))
    except (etree.XMLSyntaxError, LookupError):
        return _lire_plage_lente(donnees, plage, nom)
    decalage = plage.ligne - 1
    out = []
    numero = plage.premier
    for c in racine:
        tag = c.tag
        if tag.__class__ is not str or _local(tag) != ENREGISTREMENT:
            continue  # between records: the parent looked at it
        rec = EnregistrementXML(numero, c.sourceline + decalage)
        numero += 1
        if len(c):
            _parcourir(c, _Etat(rec, decalage))
        out.append(rec)
    if len(out) != plage.enregistrements:  # records not at the top of the range (wrapper elements)
        return _lire_plage_lente(donnees, plage, nom)
    return out


def _lire_plage_lente(donnees: bytes, plage: Plage, nom: str) -> list[EnregistrementXML]:
    """Record by record with :class:`LecteurXML` (no namespace processing: prefixes are dropped)."""
    decoupe = Decoupeur(io.BytesIO(b"<_>" + donnees + b"</_>"), nom, 1, verifier=False)  # checked by the parent
    declaration = b"" if plage.encodage is None else f'<?xml version="1.0" encoding="{plage.encodage}"?>'.encode()
    out = []
    for i, p in enumerate(decoupe):
        texte = declaration + donnees[p.debut - 3:p.fin - 3]
        decalage = plage.ligne + p.ligne - 2
        (rec,) = list(LecteurXML(io.BytesIO(texte), nom))
        rec.numero = plage.premier + i
        rec.ligne += decalage
        for pers in rec.personnes:
            pers.ligne += decalage
        out.append(rec)
    return out


__all__ = ["MORCEAU", "Decoupeur", "Plage", "lire_plage"]
