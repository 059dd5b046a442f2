"""The CAF's XML flux (instruction and beneficiary flux) <-> flat CNAF records, streamed.

Départements receive the CAF's flux as XML (WebRSA's Fluxcnaf plugin names them: VIRS0901
instruction, VIRD0201 instruction DSP, VRSB0801 / VRSD0301 bénéficiaires).  This module reads
them record by record with lxml's pull parser (:class:`LecteurXML`, the package's only XML reader:
one dossier, ``orientation lot``, the workspace's import), maps each person to the flat CNAF record of
:mod:`orientation.dossier.cnaf` (the same columns as the CSV, JSON Lines and Parquet flux) and writes such XML back
(:func:`ecrire_xml`, for examples and tests).

Structure (sources: atolcd/webrsa)
----------------------------------
* ``Racine > InfoDemandeRSA > Personne > Parcours`` and ``Racine > InfoDemandeRSA >
  DonneesAdministratives > Adresse``: comments of ``app/Config/sql/patches/2.x/patch-2.7.0.sql``;
  WebRSA's old ``InstructionShell`` reads ``racine.infodemandersa.identificationrsa.demandersa``;
* header ``IdentificationFlux`` (``APPLIEME``, ``TYPEFLUX``, ``NATFLUX``, ``DTCREAFLUX``,
  ``HEUCREAFLUX``...) and ``TransmissionFlux``; blocks ``DemandeRSA`` (``NUMDEMRSA``,
  ``DTDEMRSA``), ``Organisme`` (``MATRICULE``), ``Identification`` (``DTNAI``, ``SEXE``...),
  ``Prestations`` (``NATPREST``, ``ROLEPERS``), ``Nationalite`` (``NATI``), the DSP blocks
  ``GeneraliteDSPP``, ``SituationSociale`` (``CommunSituationSociale``,
  ``DetailDifficulteSituationSociale``, ``DetailAccompagnementSocialFamilial``,
  ``DetailAccompagnementSocialIndividuel``, ``DetailDifficulteDisponibilite``), ``NiveauEtude``,
  ``DisponibiliteEmploi``, ``SituationProfessionnelle``, ``Mobilite`` (``CommunMobilite``,
  ``DetailMobilite``), ``DifficulteLogement`` (``CommunDifficulteLogement``,
  ``DetailDifficulteLogement``) and ``Parcours`` (``NATPARCOCAL``, ``NATPARCOMOD``,
  ``TOPREFUPARCO``, ``MOTIMODPARCO``): the staging tables of WebRSA's SQL schema (one table per
  block, one column per element), the DSP plan in its ``dsps`` views; the DSP container
  ``DonneesSocioProfessionnelles`` and upper-case element names: the public rdv-insertion flux reader.

Assumptions (WebRSA does not say): no XML namespace (a prefix, if any, is ignored); the
container element of the DSP blocks does not matter (elements are read by name inside a
``Personne``); the CAF's flux does not carry what this library needs beyond the CNAF data
(identifier, opening and notification dates, household type, primo-demand, France Travail
registration and diagnostic...): they are read from elements named after their flat-file column
(``DTOUVDROIT``, ``TYPEFOYER``...) in a block ``ComplementsOrientation`` of the ``Personne``, an
extension of this library.

Mapping
-------
* one row per ``Personne`` whose ``ROLEPERS`` is ``DEM`` (demandeur) or ``CJT`` (conjoint) (a
  record with a single ``Personne`` and no ``ROLEPERS``: that person); ``ENF`` persons give
  ``agesenfants`` (age at ``DTDEMRSA``) and, with a ``CJT``, ``typefoyer`` (``COU``, else ``PAR``
  with children, else ``ISO``) when the record does not give them;
* every element whose lower-cased name is a flat-file column fills it (inside the person, or
  for the whole record when outside any ``Personne``, e.g. ``DTDEMRSA``); a repeated element of
  a multi-valued column (``DIFSOC`` in each ``DetailDifficulteSituationSociale``) gives several
  codes; an empty one alone means "answered, no code";
* ``identifiant``: ``IDENTIFIANT`` if present, else ``NUMDEMRSA`` (``-CJT`` appended for the
  conjoint); ``departement``: ``DEPARTEMENT`` if present, else the one of the CAF number
  ``Organisme > NUMORG`` (:func:`departement_de_numorg`), else none (the run's);
* elements known from the CNAF flux but unused (names, addresses, NIR...) are skipped; any other
  element is *unknown*: skipped and listed by name (never its value).

Security: a document type declaration (``<!DOCTYPE``) is refused, so no entity can be declared
(no "billion laughs", no external entity); the parser never substitutes entities, never uses the
network, never loads a DTD and keeps libxml2's limits (text node size, depth, entity expansion); an
undeclared entity is malformed XML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, BinaryIO, Iterable, Iterator, Optional
from xml.sax.saxutils import escape

from orientation.dossier.cnaf import CLES
from orientation.dossier.tabulaire import CLES_MULTIPLES, LISTE_VIDE, SEPARATEUR, ligne_vers_enregistrement
from orientation.erreurs import DossierInvalide, ErreurChamp

RACINE = "Racine"
ENREGISTREMENT = "InfoDemandeRSA"
PERSONNE = "Personne"
COMPLEMENTS = "ComplementsOrientation"
ROLES_ORIENTES = ("DEM", "CJT")
#: Longest text kept for one element (longer texts are cut and the row is refused by validation).
TEXTE_MAX = 5_000

# Where the writer puts each DSP column (block path inside the Personne); the reader reads by name.
_DSP = "DonneesSocioProfessionnelles"
_BLOCS: dict[tuple[str, ...], tuple[str, ...]] = {
    (_DSP, "GeneraliteDSPP"): ("sitpersdemrsa", "topisogroouenf", "topdrorsarmiant", "drorsarmianta2", "topcouvsoc"),
    (_DSP, "SituationSociale", "CommunSituationSociale"): ("accosocfam", "accosocindi", "soutdemarsoc"),
    (_DSP, "NiveauEtude"): ("nivetu", "nivdipmaxobt", "annobtnivdipmax", "topqualipro", "topcompeextrapro"),
    (_DSP, "DisponibiliteEmploi"): ("topengdemarechemploi",),
    (_DSP, "SituationProfessionnelle"): ("hispro", "cessderact", "topdomideract", "duractdomi", "inscdememploi",
                                         "topisogrorechemploi", "accoemploi", "topprojpro", "topcreareprientre",
                                         "concoformqualiemploi"),
    (_DSP, "Mobilite", "CommunMobilite"): ("topmoyloco", "toppermicondub", "topautrpermicondu"),
    (_DSP, "DifficulteLogement", "CommunDifficulteLogement"): ("natlog", "demarlog"),
    ("Identification",): ("dtnai", "sexe"),
    ("Nationalite",): ("nati",),
    ("CalculDroitRSA",): ("toppersdrodevorsa",),
    ("Parcours",): ("natparcocal", "natparcomod", "motimodparco"),
}
#: Multi-valued DSP columns: (parent blocks, repeated block) of each value.
_DETAILS: dict[str, tuple[tuple[str, ...], str]] = {
    "difsoc": ((_DSP, "SituationSociale"), "DetailDifficulteSituationSociale"),
    "nataccosocfam": ((_DSP, "SituationSociale"), "DetailAccompagnementSocialFamilial"),
    "nataccosocindi": ((_DSP, "SituationSociale"), "DetailAccompagnementSocialIndividuel"),
    "difdisp": ((_DSP, "SituationSociale"), "DetailDifficulteDisponibilite"),
    "natmob": ((_DSP, "Mobilite"), "DetailMobilite"),
    "diflog": ((_DSP, "DifficulteLogement"), "DetailDifficulteLogement"),
}

#: Elements of the CNAF flux that this library knows but does not use (never listed as unknown).
ELEMENTS_CONNUS: frozenset[str] = frozenset({
    RACINE, ENREGISTREMENT, PERSONNE, COMPLEMENTS, _DSP, "IdentificationFlux", "TransmissionFlux", "APPLIEME",
    "NUMVERSIONAPPLIEME", "TYPEFLUX", "NATFLUX", "DTCREAFLUX", "HEUCREAFLUX", "DTREF", "NBTOTDEMRSATRANSM",
    "IdentificationRSA", "DemandeRSA", "NUMDEMRSA", "Organisme", "FONORG", "NUMORG", "MATRICULE", "STATUDEMRSA",
    "DonneesAdministratives", "Adresse", "Logement", "ModesContacts", "SituationFamille", "SITFAM", "DDSITFAM",
    "Identification", "QUAL", "NOM", "NOMNAI", "PRENOM", "PRENOM2", "PRENOM3", "NOMCOMNAI", "RGNAI", "TYPEDTNAI",
    "NIR", "TOPVALIEC", "Prestations", "NATPREST", "ROLEPERS", "Nationalite", "DTNATI", "PIEECPRES",
    "CalculDroitRSA", "Parcours", "TOPREFUPARCO", "OrganismeDecisionOrientation", "SuiviAppuiOrientation",
    "Orientation", "OrganismeReferentOrientation", "DossierCAF", "DossierPoleEmploi", "TitreSejour", "Rattachement",
    "SituationSociale", "Mobilite", "DifficulteLogement", "LIBAUTRDIFSOC", "LIBAUTRACCOSOCFAM",
    "LIBAUTRACCOSOCINDI", "LIBCOORACCOSOCFAM", "LIBCOORACCOSOCINDI", "LIBAUTRQUALIPRO", "LIBCOMPEEXTRAPRO",
    "LIBDERACT", "LIBSECACTDERACT", "LIBACTDOMI", "LIBSECACTDOMI", "LIBCOORACCOEMPLOI", "LIBEMPLOIRECH",
    "LIBSECACTRECH", "LIBAUTRPERMICONDU", "LIBAUTRDIFLOG",
    *[b for chemin in _BLOCS for b in chemin], *[d for _, d in _DETAILS.values()],
})
_CLES = frozenset(CLES)


class XMLRefuse(ValueError):
    """The XML document cannot be read at all (malformed, DTD, wrong encoding): French message."""


@dataclass
class PersonneXML:
    """One ``Personne`` of a record: the line of its start tag, its role, its cells (column -> texts)."""

    ligne: int
    cellules: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class EnregistrementXML:
    """One ``InfoDemandeRSA``: its rank (from 1), the line of its start tag, its persons and common cells."""

    numero: int
    ligne: int
    personnes: list[PersonneXML] = field(default_factory=list)
    communs: dict[str, list[str]] = field(default_factory=dict)
    inconnus: set[str] = field(default_factory=set)


#: French reasons of libxml2's well-formedness errors (``lxml.etree.ErrorTypes`` names); others: generic.
_MESSAGES = {
    "ERR_TAG_NAME_MISMATCH": "balise fermante qui ne correspond pas à la balise ouverte",
    "ERR_LTSLASH_REQUIRED": "balise fermante qui ne correspond pas à la balise ouverte",
    "ERR_UNDECLARED_ENTITY": "entité non définie",
    "ERR_ENTITYREF_SEMICOL_MISSING": "référence d'entité sans point-virgule",
    "ERR_DOCUMENT_EMPTY": "document incomplet ou vide",
    "ERR_DOCUMENT_END": "contenu après l'élément racine",
    "ERR_EXTRA_CONTENT": "contenu après l'élément racine",
    "ERR_TAG_NOT_FINISHED": "document incomplet (balise non fermée)",
    "ERR_GT_REQUIRED": "balise non fermée",
    "ERR_NAME_REQUIRED": "nom d'élément attendu",
    "ERR_SPACE_REQUIRED": "espace attendue",
    "ERR_ATTRIBUTE_REDEFINED": "attribut en double",
    "ERR_ATTRIBUTE_WITHOUT_VALUE": "attribut sans valeur",
    "ERR_ATTRIBUTE_NOT_STARTED": "valeur d'attribut sans guillemets",
    "ERR_ATTRIBUTE_NOT_FINISHED": "valeur d'attribut non fermée",
    "ERR_LT_IN_ATTRIBUTE": "caractère < dans une valeur d'attribut",
    "ERR_INVALID_CHAR": "caractère interdit en XML",
    "ERR_INVALID_CHARREF": "référence de caractère invalide",
    "ERR_INVALID_DEC_CHARREF": "référence de caractère invalide",
    "ERR_INVALID_HEX_CHARREF": "référence de caractère invalide",
    "ERR_CHARREF_AT_EOF": "référence de caractère invalide",
    "ERR_INVALID_ENCODING": "octets invalides dans l'encodage du document",
    "ERR_UNSUPPORTED_ENCODING": "encodage inconnu",
    "ERR_UNKNOWN_ENCODING": "encodage inconnu",
    "ERR_RESERVED_XML_NAME": "déclaration XML ailleurs qu'au début du document",
    "ERR_XMLDECL_NOT_FINISHED": "déclaration XML incorrecte",
    "ERR_COMMENT_NOT_FINISHED": "commentaire non fermé",
    "ERR_HYPHEN_IN_COMMENT": "double tiret dans un commentaire",
    "ERR_CDATA_NOT_FINISHED": "section CDATA non fermée",
    "ERR_MISPLACED_CDATA_END": "]]> hors d'une section CDATA",
    "ERR_PI_NOT_FINISHED": "instruction de traitement non fermée",
    "ERR_NOT_WELL_BALANCED": "balises mal imbriquées",
    "NS_ERR_UNDEFINED_NAMESPACE": "préfixe d'espace de noms non déclaré",
    "ERR_NAME_TOO_LONG": "nom trop long",
    "ERR_RESOURCE_LIMIT": "limite de taille dépassée (texte ou profondeur)",
    "ERR_INTERNAL_ERROR": "limite de taille dépassée (texte ou profondeur)",
}


def message_doctype(nom: str, ligne: int) -> str:
    """French message refusing a document type declaration (line ``ligne`` of the file ``nom``)."""
    return (f"{nom} : déclaration de type de document (<!DOCTYPE ...>) refusée ligne {ligne} : un flux CAF n'en "
            "a pas, et elle permettrait des entités (expansion exponentielle, lecture de fichiers). Aucune ligne "
            "n'a été traitée.")


def message_syntaxe(nom: str, ligne: int, colonne: int, raison: str) -> str:
    """French message of a well-formedness error at ``ligne``, ``colonne`` (from 1) of the file ``nom``."""
    return f"{nom} : XML mal formé ligne {max(ligne, 1)}, colonne {max(colonne, 1)} : {raison}. Aucune sortie n'a été publiée."


def _nom(tag: str) -> str:
    """Local name of an lxml tag (``{namespace}name``)."""
    return tag.rsplit("}", 1)[-1]


#: Elements kept although they are not flat-file columns (identifier, role, CAF number).
_SPECIAUX = frozenset({"NUMDEMRSA", "ROLEPERS", "NUMORG"})
# What an element is, by tag as lxml gives it: (local name, cell key or None, unknown, is a Personne).
_SORTES: dict[str, tuple[str, Optional[str], bool, bool]] = {}


def _sorte(tag: str) -> tuple[str, Optional[str], bool, bool]:
    nom = _nom(tag)
    cle = nom.lower()
    inconnu = nom not in ELEMENTS_CONNUS and cle not in _CLES
    sorte = (nom, cle if not inconnu and (cle in _CLES or nom in _SPECIAUX) else None, inconnu, nom == PERSONNE)
    if len(_SORTES) < 10_000:  # bounded whatever names a file holds
        _SORTES[tag] = sorte
        if sorte[1] is not None:
            _CLES_DE[tag] = sorte[1]
        elif not inconnu and not sorte[3]:
            _CONTENANTS.add(tag)
    return sorte


# The two kinds of tags met most, looked up first: tag -> cell key; known tags that give no cell.
_CLES_DE: dict[str, str] = {}
_CONTENANTS: set[str] = set()


_JAMAIS = object()  # "no element closes the person": the person lasts to the end of the record


def _apres(el: Any, fin: Any) -> Any:
    """The first node after the subtree of ``el`` inside ``fin`` (:data:`_JAMAIS`: none)."""
    while el is not fin:
        suivant = el.getnext()
        if suivant is not None:
            return suivant
        el = el.getparent()
    return _JAMAIS


def _remplir(el: Any, rec: EnregistrementXML) -> None:
    """Fill ``rec`` from the subtree of the record element ``el`` (one pass in document order).

    A leaf whose name is a column (or :data:`_SPECIAUX`) gives its text, cut at :data:`TEXTE_MAX`
    and stripped; the first ``Personne`` opens a person up to its end (a ``Personne`` inside it is
    part of it); unknown names are listed.
    """
    cles, contenants = _CLES_DE, _CONTENANTS
    communs = cible = rec.communs
    fin_personne: Any = _JAMAIS
    for e in el.iterdescendants():
        if e is fin_personne:
            cible, fin_personne = communs, _JAMAIS
        tag = e.tag
        cle = cles.get(tag)
        if cle is None:
            if tag in contenants or tag.__class__ is not str:  # a known container; a comment or PI
                continue
            nom, cle, inconnu, personne = _SORTES.get(tag) or _sorte(tag)
            if personne:
                if fin_personne is _JAMAIS and cible is communs:
                    p = PersonneXML(e.sourceline)
                    rec.personnes.append(p)
                    cible, fin_personne = p.cellules, _apres(e, el)
                continue
            if inconnu:
                rec.inconnus.add(nom)
            if cle is None:
                continue
        if len(e):
            if any(x.tag.__class__ is str for x in e):
                continue  # a container: its own text is not a value
            texte = (e.text or "") + "".join(x.tail or "" for x in e)  # around comments
        else:
            texte = e.text or ""
        if len(texte) > TEXTE_MAX:
            texte = texte[:TEXTE_MAX]
        if cle in cible:
            cible[cle].append(texte.strip())
        else:
            cible[cle] = [texte.strip()]


def _inconnus(el: Any, noms: set[str]) -> None:
    """Unknown element names of ``el`` and its descendants (outside records) into ``noms``."""
    for e in el.iter():
        if e.tag.__class__ is str:
            nom, _, inconnu, _ = _SORTES.get(e.tag) or _sorte(e.tag)
            if inconnu:
                noms.add(nom)


class LecteurXML:
    """Streamed reader of a CAF XML flux: iterate to get :class:`EnregistrementXML` objects in file order.

    The only XML parser of the package: lxml's pull parser (libxml2; no entity substitution, no
    network, no DTD loaded, default size limits) is fed pieces of ``morceau`` bytes and reports
    the end of each ``InfoDemandeRSA`` (any namespace; a record nested in a record is part of
    it); the record's tree, built in C, is walked once, then cleared and dropped with what came
    before it, so memory does not depend on the file size (:attr:`max_en_attente`: most
    records completed by one piece, handed out one by one).  Lines are those of the start tags (where the tag ends,
    for one spread over several lines).  A ``<!DOCTYPE`` is refused at the first record (or at
    the end of a document without one), before anything is handed out.  ``nom``: the file's
    name for messages; ``lus``: called with every piece read (hashing).  Raises
    :class:`XMLRefuse` (French, with line and column) for a document that is not well formed.
    """

    def __init__(self, flux: BinaryIO, nom: str = "(document)", morceau: int = 1 << 16, lus: Any = None):
        from lxml import etree

        self.flux, self.nom, self.morceau, self.lus = flux, nom, morceau, lus
        self.inconnus_hors: set[str] = set()  # unknown elements outside any record
        self.max_en_attente = 0
        self.racine: Optional[str] = None
        self._n = 0
        self._debut = b""  # the first bytes (the line of a DOCTYPE)
        self._arbre: Any = None  # the document's root once known (what is left of the tree)
        self._etree = etree
        etree.clear_error_log()
        self._p = etree.XMLPullParser(events=("end",), tag=("{*}" + ENREGISTREMENT), resolve_entities=False,
                                      no_network=True, load_dtd=False, remove_blank_text=False, collect_ids=False)

    def _refuser(self, exc: Any) -> XMLRefuse:
        # the thread's log since this reader started (cleared then): its first error is the cause, the
        # parser's own log is emptied when it stops
        erreurs = [e for e in exc.error_log if e.level >= 2]
        k = self._debut.find(b"<!DOCTYPE") if self._arbre is None else -1
        if k >= 0:  # refused before its first record, e.g. by libxml2's limit on entity expansion
            return XMLRefuse(message_doctype(self.nom, self._debut.count(b"\n", 0, k) + 1))
        if erreurs:
            e = erreurs[0]
            return XMLRefuse(message_syntaxe(self.nom, e.line, e.column, _MESSAGES.get(e.type_name, "syntaxe invalide")))
        return XMLRefuse(message_syntaxe(self.nom, getattr(exc, "lineno", 1) or 1, 1, "document incomplet ou vide"))

    def _verifier_doctype(self, el: Any) -> None:
        arbre = el.getroottree()
        info = arbre.docinfo
        if info.doctype or info.internalDTD is not None or info.system_url or info.public_id:
            k = self._debut.find(b"<!DOCTYPE")
            raise XMLRefuse(message_doctype(self.nom, self._debut.count(b"\n", 0, k) + 1 if k >= 0 else 1))
        self._arbre = arbre.getroot()
        self.racine = _nom(self._arbre.tag) if isinstance(self._arbre.tag, str) else None

    def _enregistrement(self, el: Any) -> Optional[EnregistrementXML]:
        if self._arbre is None:
            self._verifier_doctype(el)
        if next(el.iterancestors("{*}" + ENREGISTREMENT), None) is not None:
            return None  # nested: read with the record around it
        self._n += 1
        rec = EnregistrementXML(self._n, el.sourceline)
        if len(el):
            _remplir(el, rec)
        # drop the record's content and everything before it (header, earlier records, wrappers' past)
        el.clear(keep_tail=True)
        a = el
        while a is not None:
            parent = a.getparent()
            if parent is None:
                break
            while (avant := a.getprevious()) is not None:
                if avant.tag.__class__ is str and _nom(avant.tag) != ENREGISTREMENT:
                    _inconnus(avant, self.inconnus_hors)
                parent.remove(avant)
            a = parent
        return rec

    def __iter__(self) -> Iterator[EnregistrementXML]:
        etree, p = self._etree, self._p
        fin = False
        while not fin:
            piece = self.flux.read(self.morceau)
            fin = not piece
            if piece and self.lus is not None:
                self.lus(piece)
            if len(self._debut) < 1 << 16:
                self._debut += piece[:(1 << 16) - len(self._debut)]
            try:
                if piece:
                    p.feed(piece)
                else:
                    racine = p.close()
                evenements = p.read_events()
            except etree.XMLSyntaxError as exc:
                raise self._refuser(exc) from None
            # each record handed out as soon as it is walked, before the next one: few records (and their
            # cells) are alive at once, so the cyclic collector has little to scan
            prets = 0
            for _, el in evenements:
                if (rec := self._enregistrement(el)) is not None:
                    prets += 1
                    yield rec
            if fin:
                if self._arbre is None:
                    self._verifier_doctype(racine)
                _inconnus(self._arbre, self.inconnus_hors)  # root, wrappers, what follows the last record
            self.max_en_attente = max(self.max_en_attente, prets)


def departement_de_numorg(numorg: str) -> Optional[str]:
    """The département of a CAF number (``Organisme > NUMORG``), or None when it does not look like one.

    WebRSA (atolcd/webrsa, ``app/Model/Dossier.php``, ``_cacheOptionsNumorg``) lists NUMORG as three
    characters: ``001``...``999`` and, for Corsica, ``2A1``...``2B9``; that the first two are the
    département, and the three of an overseas CAF (``971``...``976``) its département, is this
    library's reading (the CAF of Seine-Saint-Denis is 931).
    """
    n = numorg.strip().upper()
    if len(n) != 3 or not (n.isdigit() or (n[:2] in ("2A", "2B") and n[2].isdigit())):
        return None
    return n if n.startswith("97") else n[:2]


def _une(cellules: dict[str, list[str]], cle: str) -> Optional[str]:
    v = cellules.get(cle)
    return v[0] if v else None


def _age(naissance: str, reference: str) -> Optional[int]:
    try:
        n, r = date.fromisoformat(naissance), date.fromisoformat(reference)
    except ValueError:
        return None
    return r.year - n.year - ((r.month, r.day) < (n.month, n.day))


def lignes(rec: EnregistrementXML) -> tuple[list[tuple[int, dict[str, str]]], Optional[str]]:
    """Flat rows (line of the ``Personne``, column -> cell text) of a record; or a French reason for none.

    Cells follow :mod:`orientation.dossier.tabulaire` (``|`` between codes, ``-``: answered, none).
    """
    roles = [(_une(p.cellules, "rolepers") or "").strip().upper() for p in rec.personnes]
    if len(rec.personnes) == 1 and not roles[0]:
        roles = ["DEM"]
    orientees = [(p, r) for p, r in zip(rec.personnes, roles) if r in ROLES_ORIENTES]
    if not orientees:
        return [], (f"enregistrement n° {rec.numero} : aucune personne demandeur ou conjoint (élément {PERSONNE} "
                    "avec ROLEPERS DEM ou CJT)")
    enfants = [p for p, r in zip(rec.personnes, roles) if r == "ENF"]
    out = []
    for p, role in orientees:
        cel: dict[str, list[str]] = {**rec.communs, **p.cellules}
        ligne: dict[str, str] = {}
        for cle, valeurs in cel.items():
            if cle not in _CLES:
                continue
            if len(valeurs) == 1:  # the usual case, without building a list
                v = valeurs[0]
                if cle in CLES_MULTIPLES:
                    ligne[cle] = v or LISTE_VIDE
                elif v:
                    ligne[cle] = v
                continue
            pleines = [v for v in valeurs if v != ""]
            if cle in CLES_MULTIPLES:
                ligne[cle] = SEPARATEUR.join(pleines) if pleines else LISTE_VIDE
            elif pleines:
                ligne[cle] = pleines[0] if len(pleines) == 1 else SEPARATEUR.join(pleines)  # refused: one value
        if "identifiant" not in ligne and (num := _une(cel, "numdemrsa")):
            ligne["identifiant"] = num + ("-CJT" if role == "CJT" else "")
        if "departement" not in ligne and (org := _une(cel, "numorg")):
            ligne["departement"] = departement_de_numorg(org) or org  # not a CAF number: refused by validation
        if "typefoyer" not in ligne:
            ligne["typefoyer"] = "COU" if "CJT" in roles else "PAR" if enfants else "ISO"
        if "agesenfants" not in ligne and enfants and ligne.get("dtdemrsa"):
            ages = [(_age(_une(e.cellules, "dtnai") or "", ligne["dtdemrsa"]), _une(e.cellules, "dtnai") or "")
                    for e in enfants]
            ligne["agesenfants"] = SEPARATEUR.join(str(a) if a is not None else f"date de naissance {t or 'absente'}"
                                                   for a, t in sorted(ages, key=lambda x: (x[0] is None, x[0] or 0)))
        out.append((p.ligne, ligne))
    return out, None


def lire_enregistrements(flux: BinaryIO, nom: str = "(document)") -> Iterator[EnregistrementXML]:
    """Records of an XML flux, streamed (see :class:`LecteurXML`)."""
    return iter(LecteurXML(flux, nom))


#: Largest XML document accepted for one dossier (bytes).
TAILLE_MAX_XML = 1024 * 1024


def enregistrement_unique(texte: str | bytes, departement: Optional[str] = None) -> dict[str, Any]:
    """The flat CNAF record of a document holding one record and one person to orient.

    ``departement`` fills the département when the document does not give one (``DEPARTEMENT``, or
    the CAF's ``NUMORG``); a document of another département is refused.
    Raises :class:`~orientation.erreurs.DossierInvalide` in French otherwise.
    """
    import io

    def refus(valeur: Any, raison: str) -> DossierInvalide:
        return DossierInvalide([ErreurChamp("(document)", valeur, raison)])

    octets = texte.encode("utf-8") if isinstance(texte, str) else bytes(texte)
    if len(octets) > TAILLE_MAX_XML:
        raise refus(f"({len(octets)} octets)", f"document trop gros (au plus {TAILLE_MAX_XML} octets)")
    try:
        recs = list(LecteurXML(io.BytesIO(octets), "document XML"))
    except XMLRefuse as exc:
        raise refus("", str(exc).replace(" Aucune sortie n'a été publiée.", "").replace(
            " Aucune ligne n'a été traitée.", "")) from None
    if len(recs) != 1:
        raise refus(f"({len(recs)} enregistrement(s))", f"un seul enregistrement <{ENREGISTREMENT}> attendu")
    rangees, raison = lignes(recs[0])
    if raison is not None or len(rangees) != 1:
        raise refus("", raison or "une seule personne demandeur ou conjoint attendue dans l'enregistrement")
    rec = ligne_vers_enregistrement(rangees[0][1])
    if departement is not None:
        lu = rec.setdefault("departement", departement)
        if lu != departement:
            raise DossierInvalide([ErreurChamp("departement", lu, f"dossier d'un autre département que celui "
                                                                  f"demandé ({departement})")])
    return rec


# --------------------------------------------------------------------------- writing


def _el(nom: str, valeur: Any) -> str:
    return f"<{nom}>{escape(str(valeur))}</{nom}>" if valeur not in (None, "") else f"<{nom}/>"


def _personne(rec: dict[str, Any], role: str, enfants_en_personnes: bool) -> str:
    """XML of one ``Personne`` from a canonical CNAF record (lists as lists)."""
    blocs: dict[tuple[str, ...], list[str]] = {}
    for chemin, cles in _BLOCS.items():
        for cle in cles:
            if rec.get(cle) not in (None, ""):
                blocs.setdefault(chemin, []).append(_el(cle.upper(), rec[cle]))
    for cle, (parent, detail) in _DETAILS.items():
        v = rec.get(cle)
        if v is None:
            continue
        valeurs = v if isinstance(v, list) else ([] if v == LISTE_VIDE else str(v).split(SEPARATEUR))
        elements = [f"<{detail}>{_el(cle.upper(), x)}</{detail}>" for x in valeurs] or \
            [f"<{detail}>{_el(cle.upper(), '')}</{detail}>"]
        blocs.setdefault(parent, []).extend(elements)
    complements: list[str] = []
    places = {c for cles in _BLOCS.values() for c in cles} | set(_DETAILS)
    for cle in CLES:
        if cle in places or cle in ("departement", "identifiant", "dtdemrsa") or rec.get(cle) is None:
            continue
        if cle == "agesenfants" and enfants_en_personnes:
            continue
        v = rec[cle]
        if isinstance(v, list):
            complements.extend(_el(cle.upper(), x) for x in v) if v else complements.append(_el(cle.upper(), ""))
        else:
            complements.append(_el(cle.upper(), v))
    # nested blocks: write parents before children, one element per path
    arbre: dict[str, Any] = {}
    for chemin, contenu in blocs.items():
        noeud = arbre
        for b in chemin:
            noeud = noeud.setdefault(b, {})
        noeud.setdefault("", []).extend(contenu)

    def rendre(noeud: dict[str, Any]) -> str:
        return "".join(noeud.get("", [])) + "".join(f"<{k}>{rendre(v)}</{k}>" for k, v in noeud.items() if k)

    return (f"<{PERSONNE}><Prestations><NATPREST>RSA</NATPREST><ROLEPERS>{role}</ROLEPERS></Prestations>"
            + rendre(arbre) + (f"<{COMPLEMENTS}>{''.join(complements)}</{COMPLEMENTS}>" if complements else "")
            + f"</{PERSONNE}>")


def _naissance(age: int, reference: date) -> date:
    """A birth date giving ``age`` full years at ``reference`` (the day before the anniversary)."""
    try:
        anniversaire = reference.replace(year=reference.year - age)
    except ValueError:  # 29 February
        anniversaire = reference.replace(year=reference.year - age, day=28)
    return anniversaire - timedelta(days=1)


def enregistrement_xml(rec: dict[str, Any], enfants_en_personnes: bool = False) -> str:
    """One ``InfoDemandeRSA`` (text, no line break) for a canonical CNAF record (``Dossier.vers_cnaf()``).

    ``enfants_en_personnes``: children as ``Personne`` elements with ``ROLEPERS`` ``ENF`` and a
    birth date, instead of ``AGESENFANTS`` (then ``dtdemrsa`` must be a valid date).
    """
    enfants = ""
    if enfants_en_personnes and rec.get("agesenfants"):
        ref = date.fromisoformat(str(rec["dtdemrsa"]))
        enfants = "".join(f"<{PERSONNE}><Identification><DTNAI>{_naissance(int(a), ref).isoformat()}</DTNAI>"
                          f"</Identification><Prestations><NATPREST>RSA</NATPREST><ROLEPERS>ENF</ROLEPERS>"
                          f"</Prestations></{PERSONNE}>" for a in rec["agesenfants"])
    return (f"<{ENREGISTREMENT}><IdentificationRSA><DemandeRSA>{_el('NUMDEMRSA', rec.get('identifiant'))}"
            f"{_el('DTDEMRSA', rec.get('dtdemrsa'))}</DemandeRSA></IdentificationRSA>"
            + _personne(rec, "DEM", enfants_en_personnes) + enfants + f"</{ENREGISTREMENT}>")


def ecrire_xml(enregistrements: Iterable[str], entete: str = "") -> Iterator[str]:
    """Lines of a whole flux document around ``InfoDemandeRSA`` texts (``entete``: a comment or header block)."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    if entete:
        yield entete + "\n"
    yield f"<{RACINE}>\n"
    yield ("<IdentificationFlux><APPLIEME>ORI</APPLIEME><TYPEFLUX>Q</TYPEFLUX><NATFLUX>I</NATFLUX>"
           "<DTCREAFLUX>2025-09-30</DTCREAFLUX><HEUCREAFLUX>06:00:00</HEUCREAFLUX></IdentificationFlux>\n")
    for texte in enregistrements:
        yield texte + "\n"
    yield f"</{RACINE}>\n"


__all__ = ["COMPLEMENTS", "ELEMENTS_CONNUS", "ENREGISTREMENT", "EnregistrementXML", "LecteurXML", "PERSONNE",
           "PersonneXML", "RACINE", "TAILLE_MAX_XML", "XMLRefuse", "ecrire_xml", "enregistrement_unique",
           "enregistrement_xml", "departement_de_numorg", "lignes", "lire_enregistrements", "message_doctype",
           "message_syntaxe"]
