"""The CAF's XML flux (instruction and beneficiary flux) <-> flat CNAF records, streamed.

Départements receive the CAF's flux as XML (WebRSA's Fluxcnaf plugin names them: VIRS0901
instruction, VIRD0201 instruction DSP, VRSB0801 / VRSD0301 bénéficiaires).  This module reads
them record by record with expat (the parser under :mod:`xml.etree.ElementTree`, which gives the
line of each start tag), maps each person to the flat CNAF record of :mod:`orientation.dossier.cnaf`
(the same columns as the CSV, JSON Lines and Parquet flux) and writes such XML back
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
(no "billion laughs", no external entity); an undeclared entity is malformed XML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, BinaryIO, Iterable, Iterator, Optional
from xml.parsers import expat
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


_MESSAGES = {
    "syntax error": "erreur de syntaxe",
    "mismatched tag": "balise fermante qui ne correspond pas à la balise ouverte",
    "undefined entity": "entité non définie",
    "no element found": "document incomplet ou vide",
    "not well-formed (invalid token)": "caractère ou balise invalide",
    "unclosed token": "balise non fermée",
    "junk after document element": "contenu après l'élément racine",
    "unbound prefix": "préfixe d'espace de noms non déclaré",
    "duplicate attribute": "attribut en double",
    "XML or text declaration not at start of entity": "déclaration XML ailleurs qu'au début du document",
    "encoding specified in XML declaration is incorrect": "encodage déclaré incorrect",
    "unknown encoding": "encodage inconnu",
}


def message_doctype(nom: str, ligne: int) -> str:
    """French message refusing a document type declaration (line ``ligne`` of the file ``nom``)."""
    return (f"{nom} : déclaration de type de document (<!DOCTYPE ...>) refusée ligne {ligne} : un flux CAF n'en "
            "a pas, et elle permettrait des entités (expansion exponentielle, lecture de fichiers). Aucune ligne "
            "n'a été traitée.")


def message_expat(nom: str, exc: expat.ExpatError) -> str:
    """French message of an expat error (line, column, reason) for the file ``nom``."""
    message = expat.errors.messages.get(exc.code, "") if exc.code else ""
    return (f"{nom} : XML mal formé ligne {exc.lineno}, colonne {exc.offset + 1} : "
            f"{_MESSAGES.get(message, message or 'syntaxe invalide')}. Aucune sortie n'a été publiée.")


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
        raise XMLRefuse(message_doctype(self.nom, self._p.CurrentLineNumber))

    def _entite(self, *_: Any) -> None:  # pragma: no cover - needs a DOCTYPE, refused first
        raise XMLRefuse(f"{self.nom} : déclaration d'entité refusée ligne {self._p.CurrentLineNumber}.")

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
                raise XMLRefuse(message_expat(self.nom, exc)) from None
            self.max_en_attente = max(self.max_en_attente, len(self._prets))
            prets, self._prets = self._prets, []
            yield from prets


#: Elements kept although they are not flat-file columns (identifier, role, CAF number).
_SPECIAUX = frozenset({"NUMDEMRSA", "ROLEPERS", "NUMORG"})


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
           "message_expat"]
