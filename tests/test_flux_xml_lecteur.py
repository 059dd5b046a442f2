"""The CAF XML flux through its one reader (lxml): same records as the expat reader before it, malformed
input never a traceback, département, rejects."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation.dossier.cnaf import CLES
from orientation.dossier.cnaf_xml import (LecteurXML, XMLRefuse, departement_de_numorg, ecrire_xml, enregistrement_xml,
                                          lignes)
from orientation.dossier.schema import Dossier
from orientation.erreurs import DossierInvalide
from orientation.flux.lecture import FluxInvalide
from orientation.flux.lecture_xml import blocs_xml, lire_bloc_xml
from orientation.flux.lot import traiter_fichier
from tests import lecteur_xml_expat
from tests.strategies import dossiers

EXEMPLE = Path(__file__).resolve().parent.parent / "examples" / "flux_cnaf_exemple.xml"
_RECORDS = [ligne for ligne in EXEMPLE.read_text(encoding="utf-8").splitlines() if ligne.startswith("<InfoDemandeRSA>")]


def _rec(identifiant: str = "SYN-1", **cles: object) -> dict:
    rec = {"identifiant": identifiant, "dtdemrsa": "2025-09-02", "dtouvdroit": "2025-09-01", "dtnai": "1987-03-14",
           "typefoyer": "ISO", "toppersdrodevorsa": "1", "topprimodemandeur": "0", "natlog": "0901"}
    rec.update(cles)
    return rec


def _vu(rec) -> tuple:
    return (rec.numero, rec.ligne, [(p.ligne, p.cellules) for p in rec.personnes], rec.communs, rec.inconnus,
            lignes(rec))


def _lecture(doc: bytes, morceau: int = 1 << 16) -> tuple[list, set]:
    lecteur = LecteurXML(io.BytesIO(doc), "doc.xml", morceau)
    return [_vu(r) for r in lecteur], lecteur.inconnus_hors


def _avant(doc: bytes) -> tuple[list, set]:
    """What the expat reader of the previous sessions gave (the test oracle)."""
    lecteur = lecteur_xml_expat.LecteurXML(io.BytesIO(doc), "doc.xml")
    return [_vu(r) for r in lecteur], lecteur.inconnus_hors


# Ways a CAF flux may be written that the reader must survive (each keeps the document well formed).
_VARIANTES = {
    "lignes": lambda t: t.replace("><", ">\r\n  <"),
    "commentaire": lambda t: t.replace("<Personne>", "<!-- <InfoDemandeRSA> </InfoDemandeRSA> --><Personne>", 1),
    "cdata": lambda t: re.sub(r"<NATLOG>(\d+)</NATLOG>", r"<NATLOG><![CDATA[\1]]></NATLOG>", t),
    "entite": lambda t: t.replace("<SEXE>", "<SEXE>&#x20;").replace("<NATI>F", "<NATI>&#70;"),
    "prefixe": lambda t: t.replace("<InfoDemandeRSA>", '<c:InfoDemandeRSA xmlns:c="urn:cnaf">').replace(
        "</InfoDemandeRSA>", "</c:InfoDemandeRSA>"),
    "inconnu": lambda t: t.replace("</Personne>", "<CodeInconnu><SEXE>9</SEXE></CodeInconnu></Personne>", 1),
    "texte": lambda t: t.replace("<SEXE>", "<SEXE> InfoDemandeRSA> ", 1),
    "imbrique": lambda t: t.replace("</IdentificationRSA>", "</IdentificationRSA><InfoDemandeRSA><DTDEMRSA>"
                                    "2020-01-01</DTDEMRSA></InfoDemandeRSA>", 1),
    "vide": lambda t: t + "<InfoDemandeRSA/>",
    "commentaire_dans_valeur": lambda t: t.replace("<NATLOG>", "<NATLOG><!-- x -->", 1),
    "attributs": lambda t: t.replace("<Personne>", '<Personne rang="1" >', 1),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_RECORDS) - 1), st.sets(st.sampled_from(sorted(_VARIANTES)))),
                min_size=1, max_size=12),
       st.integers(1, 5000), st.booleans(), st.booleans())
def test_memes_enregistrements_que_le_lecteur_expat(choix: list, morceau: int, lot: bool, hors: bool) -> None:
    """Whatever the pieces read, the records are those of the expat reader (rank, lines, cells, unknown, rows)."""
    textes = []
    for i, variantes in choix:
        t = _RECORDS[i]
        for v in sorted(variantes):
            t = _VARIANTES[v](t)
        textes.append(t)
    if lot:  # records inside wrapper elements
        textes = ["<Lot>" + "\n".join(textes[:2]) + "</Lot>"] + textes[2:]
    if hors:  # elements outside records, known and unknown
        textes.insert(len(textes) // 2, "<Hors><NUMORG>931</NUMORG></Hors>")
    doc = "".join(ecrire_xml(textes, "<!-- <InfoDemandeRSA> en commentaire -->")).encode("utf-8")
    attendu = _avant(doc)
    assert _lecture(doc, morceau) == attendu
    assert len(attendu[0]) >= len(choix)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(dossiers(), st.booleans(), st.integers(0, 2)), min_size=1, max_size=6))
def test_memes_lignes_et_rejets_sur_des_enregistrements_generes(choix: list) -> None:
    """Generated records (some with children as persons, a conjoint, or no person to orient): the rows,
    the records refused and their positions are those of the expat reader, and the bulk blocks agree."""
    conjoint = ("<Personne><Prestations><ROLEPERS>CJT</ROLEPERS></Prestations><Identification>"
                "<DTNAI>1980-01-01</DTNAI></Identification></Personne>")
    textes = []
    for d, enfants, sorte in choix:
        t = enregistrement_xml(d.vers_cnaf(), enfants)
        if sorte == 1:
            t = t.replace("</InfoDemandeRSA>", conjoint + "</InfoDemandeRSA>")
        elif sorte == 2:
            t = t.replace("<ROLEPERS>DEM</ROLEPERS>", "<ROLEPERS>ENF</ROLEPERS>")
        textes.append(t)
    doc = "".join(ecrire_xml(textes)).encode("utf-8")
    attendu = _avant(doc)
    assert _lecture(doc, 997) == attendu
    # the bulk blocks (2 records each): same rows at consecutive ranks, refused records at theirs, positions
    rangs, rangees, rejets = [], [], []
    numero = 0
    for r in attendu[0]:
        (lues, raison) = r[5]
        if raison is not None:
            numero += 1
            rejets.append((numero, r[0], r[1], raison.split(" : ", 1)[-1]))
        for ligne, cellules in lues:
            numero += 1
            rangs.append((numero, r[0], ligne))
            rangees.append({k: cellules.get(k) for k in CLES})
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "f.xml"
        f.write_bytes(doc)
        blocs = [lire_bloc_xml(t) for t in blocs_xml(f, 2)]
    assert [x for b in blocs for x in b.table.to_pylist()] == rangees
    assert [(int(n), *b.positions[int(n)]) for b in blocs for n in b.lignes] == rangs
    assert [(x.ligne, x.enregistrement, x.ligne_balise, x.raison) for b in blocs for x in b.rejets] == rejets


@pytest.mark.parametrize("numorg, attendu", [("931", "93"), ("2A1", "2A"), ("2b3", "2B"), ("974", "974"),
                                             ("060", "06"), ("93", None), ("9X1", None), ("", None)])
def test_departement_de_numorg(numorg: str, attendu: object) -> None:
    assert departement_de_numorg(numorg) == attendu


def _avec_numorg(texte: str, numorg: str) -> str:
    return texte.replace("</DemandeRSA>", f"</DemandeRSA><Organisme><NUMORG>{numorg}</NUMORG></Organisme>", 1)


def test_departement_lu_dans_le_flux_et_autres_departements_rejetes(tmp_path: Path) -> None:
    f = tmp_path / "f.xml"
    f.write_bytes("".join(ecrire_xml([
        _avec_numorg(enregistrement_xml(_rec("SYN-1")), "931"),
        _avec_numorg(enregistrement_xml(_rec("SYN-2")), "131"),  # CAF des Bouches-du-Rhône
        enregistrement_xml(_rec("SYN-3")),  # no NUMORG: the run's département
        enregistrement_xml(_rec("SYN-4", departement="75")).replace("<TYPEFOYER>", "<DEPARTEMENT>75</DEPARTEMENT>"
                                                                      "<TYPEFOYER>"),
    ])).encode("utf-8"))
    r = traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=1, modele=False)
    assert (r.decides, r.rejetes) == (2, 2)
    decides = [x["identifiant"] for x in csv.DictReader((tmp_path / "d.csv").open(encoding="utf-8"))]
    assert decides == ["SYN-1", "SYN-3"]
    rejets = list(csv.DictReader((tmp_path / "d.rejets.csv").open(encoding="utf-8")))
    assert [(x["ligne"], x["identifiant"], x["champ"], x["valeur"], x["enregistrement"], x["ligne_balise"])
            for x in rejets] == [("2", "SYN-2", "departement", "13", "2", "5"),
                                 ("4", "SYN-4", "departement", "75", "4", "7")]
    assert all(x["raison"] == "dossier d'un autre département que celui du traitement (93)" for x in rejets)


def test_un_dossier_xml_d_un_autre_departement() -> None:
    texte = "".join(ecrire_xml([_avec_numorg(enregistrement_xml(_rec("SYN-1")), "131")]))
    assert Dossier.depuis_xml(texte).departement == "13"
    with pytest.raises(DossierInvalide, match="autre département que celui demandé \\(93\\)"):
        Dossier.depuis_xml(texte, "93")
    assert Dossier.depuis_xml("".join(ecrire_xml([enregistrement_xml(_rec("SYN-1"))])), "93").departement == "93"


def test_rejets_csv_sans_colonnes_de_position(tmp_path: Path) -> None:
    """Only an XML flux's rejects file has the position columns."""
    f = tmp_path / "f.csv"
    f.write_text("identifiant,dtdemrsa,dtouvdroit,dtnai,typefoyer,toppersdrodevorsa,topprimodemandeur\n"
                 "SYN-1,2025-09-02,2025-09-01,1987-03-14,XXX,1,0\n", encoding="utf-8")
    traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=1, modele=False)
    entete = (tmp_path / "d.rejets.csv").read_text(encoding="utf-8").splitlines()[0]
    assert entete == "ligne,identifiant,champ,valeur,raison"


def test_rangs_continus_entre_travailleurs(tmp_path: Path) -> None:
    """Blocks read by two workers at once: the ranks follow the file (a record with a conjoint takes two)."""
    conjoint = ("<Personne><Prestations><ROLEPERS>CJT</ROLEPERS></Prestations><Identification>"
                "<DTNAI>1980-01-01</DTNAI></Identification></Personne>")
    textes = [enregistrement_xml(_rec(f"SYN-{i}")) for i in range(60)]
    textes = [t.replace("</InfoDemandeRSA>", conjoint + "</InfoDemandeRSA>") if i % 7 == 0 else t
              for i, t in enumerate(textes)]
    f = tmp_path / "f.xml"
    f.write_bytes("".join(ecrire_xml(textes)).encode("utf-8"))
    r = traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=2, taille_bloc=5, modele=False)
    lignes = [(int(x["ligne"]), x["identifiant"]) for x in csv.DictReader((tmp_path / "d.csv").open(encoding="utf-8"))]
    rejets = {(int(x["ligne"]), x["identifiant"]) for x in csv.DictReader((tmp_path / "d.rejets.csv").open())}
    assert (r.decides, r.rejetes) == (60, 9)  # the conjoints lack the opening date: refused
    assert sorted(set(lignes) | rejets) == [(i + 1, ident) for i, ident in enumerate(
        x for k in range(60) for x in ([f"SYN-{k}", f"SYN-{k}-CJT"] if k % 7 == 0 else [f"SYN-{k}"]))]


def test_encodages_declares_utf16_et_latin1(tmp_path: Path) -> None:
    """A flux in Latin-1 (declared) or UTF-16 is read like its UTF-8 version (the byte-range reader refused UTF-16)."""
    texte = "".join(ecrire_xml([enregistrement_xml(_rec("SYN-1"))]))
    utf8 = _lecture(texte.encode("utf-8"))
    assert utf8[0] and _lecture(texte.replace("UTF-8", "ISO-8859-1").encode("latin-1")) == utf8
    assert _lecture(texte.replace("UTF-8", "UTF-16").encode("utf-16"), 333) == utf8
    accent = "".join(ecrire_xml([_RECORDS[0].replace("<SEXE>", "<SEXE>é")])).replace("UTF-8", "ISO-8859-1")
    assert _lecture(accent.encode("latin-1"))[0][0][2][0][1]["sexe"] == ["é2"]
    f = tmp_path / "f.xml"
    f.write_bytes(texte.replace("UTF-8", "UTF-16").encode("utf-16"))
    r = traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=1, modele=False)
    assert (r.decides, r.rejetes) == (1, 0)


@pytest.mark.parametrize("modifier, ligne, colonne, raison", [
    (lambda t: t.replace("</Personne>", "</Personn>", 1), 4, None, "balise fermante qui ne correspond pas"),
    (lambda t: t + "<x/>", 8, 1, "contenu après l'élément racine"),
    (lambda t: t.replace("<NATI>", "<NATI>&xxe;", 1), 4, None, "entité non définie"),
    (lambda t: t[:-20], 6, None, "balise non fermée"),
    (lambda t: t.replace("<SEXE>", "<SEXE>\x01", 1), 4, None, "caractère interdit en XML"),
    (lambda t: "", 1, 1, "document incomplet ou vide"),
    (lambda t: t.replace("<Personne>", '<Personne a="1" a="2">', 1), 4, None, "attribut en double"),
])
def test_xml_mal_forme_ligne_colonne_raison(modifier, ligne: int, colonne: object, raison: str) -> None:
    """Every malformed document: the file, the line and column, a French reason; the same whatever the pieces."""
    doc = modifier("".join(ecrire_xml(_RECORDS[:3]))).encode("utf-8")
    messages = set()
    for morceau in (7, 700, 1 << 16):
        with pytest.raises(XMLRefuse) as refus:
            list(LecteurXML(io.BytesIO(doc), "doc.xml", morceau))
        messages.add(str(refus.value))
    (message,) = messages
    m = re.fullmatch(r"doc\.xml : XML mal formé ligne (\d+), colonne (\d+) : (.+)\. Aucune sortie n'a été publiée\.",
                     message)
    assert m is not None and int(m.group(1)) == ligne and m.group(3).startswith(raison), message
    assert colonne is None or int(m.group(2)) == colonne
    with pytest.raises(lecteur_xml_expat.Refus):  # the expat reader refused it too
        list(lecteur_xml_expat.LecteurXML(io.BytesIO(doc)))


def test_milliard_de_rires_refuse_vite() -> None:
    """Ten levels of ten entities (10^10 characters if expanded): refused at once for its DOCTYPE."""
    entites = '<!ENTITY e0 "rire">' + "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 11))
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE Racine [{entites}]>\n<Racine><InfoDemandeRSA><NUMDEMRSA>&e10;'
           "</NUMDEMRSA></InfoDemandeRSA></Racine>").encode()
    with pytest.raises(XMLRefuse, match=r"DOCTYPE.*refusée ligne 2"):
        list(LecteurXML(io.BytesIO(doc)))
    with pytest.raises(DossierInvalide, match="DOCTYPE"):
        Dossier.depuis_xml(doc, "93")


_MESSAGE_XML = re.compile(r"(XML mal formé ligne \d+, colonne \d+ : [^.]+|déclaration de type de document .* "
                          r"refusée ligne \d+ : .*|aucun enregistrement <InfoDemandeRSA>.*)")
_BON = "".join(ecrire_xml([enregistrement_xml(_rec(f"SYN-{i}", natlog="0999" if i == 2 else "0901"))
                           for i in range(4)])).encode("utf-8")


def _muter(doc: bytes, mutations: list) -> bytes:
    b = bytearray(doc)
    for position, sorte, octet in mutations:
        i = position % (len(b) + 1)
        if sorte == 0 and i < len(b):
            b[i] = octet
        elif sorte == 1:
            b.insert(i, octet)
        elif i < len(b):
            del b[i]
    return bytes(b)


_MUTATIONS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 2),
                                st.sampled_from(list(b"<>/&;!?-[]\"'= \n\x00\xff\xc3A0")) | st.integers(0, 255)),
                      min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(_MUTATIONS, st.integers(1, 3000))
def test_octets_mutes_lecteur_jamais_de_trace(mutations: list, morceau: int) -> None:
    """Any byte mutation of a flux: records (whose rows can be computed) or a French refusal, never another error."""
    doc = _muter(_BON, mutations)
    try:
        recs, _ = _lecture(doc, morceau)
    except XMLRefuse as exc:
        assert str(exc).startswith("doc.xml : ") and _MESSAGE_XML.search(str(exc)), str(exc)
        return
    assert all(r[0] == i + 1 for i, r in enumerate(recs))
    try:
        Dossier.depuis_xml(doc, "93")
    except DossierInvalide as exc:
        assert str(exc)


@settings(max_examples=25, deadline=None)
@given(_MUTATIONS)
def test_octets_mutes_lot_decisions_ou_refus_clair(mutations: list) -> None:
    """Any byte mutation through orientation lot: decisions and rejects covering every row, or FluxInvalide."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "f.xml"
        f.write_bytes(_muter(_BON, mutations))
        sortie = Path(d) / "d.csv"
        try:
            r = traiter_fichier(f, "93", sortie, progression=False, processus=1, modele=False)
        except FluxInvalide as exc:
            assert "f.xml" in str(exc) and _MESSAGE_XML.search(str(exc)), str(exc)
            assert not sortie.exists()
            return
        decisions = list(csv.DictReader(sortie.open(encoding="utf-8")))
        rejets = {x["ligne"] for x in csv.DictReader((Path(d) / "d.rejets.csv").open(encoding="utf-8"))}
    assert len(decisions) == r.decides and len(rejets) == r.rejetes
    assert sorted([int(x["ligne"]) for x in decisions] + [int(x) for x in rejets]) == list(range(1, r.lignes + 1))
