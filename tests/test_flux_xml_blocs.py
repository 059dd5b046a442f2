"""The CAF XML flux cut into byte ranges read with lxml: same records as the one-pass reader, département, rejects."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.dossier.cnaf_xml import LecteurXML, XMLRefuse, departement_de_numorg, ecrire_xml, enregistrement_xml
from orientation.dossier.cnaf_xml_blocs import Decoupeur, lire_plage
from orientation.dossier.schema import Dossier
from orientation.erreurs import DossierInvalide
from orientation.flux.lecture import FluxInvalide
from orientation.flux.lot import traiter_fichier

EXEMPLE = Path(__file__).resolve().parent.parent / "examples" / "flux_cnaf_exemple.xml"
_RECORDS = [ligne for ligne in EXEMPLE.read_text(encoding="utf-8").splitlines() if ligne.startswith("<InfoDemandeRSA>")]


def _rec(identifiant: str = "SYN-1", **cles: object) -> dict:
    rec = {"identifiant": identifiant, "dtdemrsa": "2025-09-02", "dtouvdroit": "2025-09-01", "dtnai": "1987-03-14",
           "typefoyer": "ISO", "toppersdrodevorsa": "1", "topprimodemandeur": "0", "natlog": "0901"}
    rec.update(cles)
    return rec


def _vu(rec) -> tuple:
    return (rec.numero, rec.ligne, [(p.ligne, p.cellules) for p in rec.personnes], rec.communs, rec.inconnus)


def _par_plages(doc: bytes, par_plage: int, octets: int, morceau: int) -> tuple[list, set]:
    decoupe = Decoupeur(io.BytesIO(doc), "doc.xml", par_plage, morceau=morceau, octets_plage=octets)
    recs = [_vu(r) for p in decoupe for r in lire_plage(doc[p.debut:p.fin], p, "doc.xml")]
    return recs, decoupe.inconnus_hors


def _un_passage(doc: bytes) -> tuple[list, set]:
    lecteur = LecteurXML(io.BytesIO(doc), "doc.xml")
    return [_vu(r) for r in lecteur], lecteur.inconnus_hors


# Ways a CAF flux may be written that the cutting must survive (each keeps the document well formed).
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
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_RECORDS) - 1), st.sets(st.sampled_from(sorted(_VARIANTES)))),
                min_size=1, max_size=12),
       st.integers(1, 4), st.integers(1, 6000), st.integers(64, 5000), st.booleans(), st.booleans())
def test_memes_enregistrements_que_la_lecture_en_un_passage(choix: list, par_plage: int, octets: int, morceau: int,
                                                            lot: bool, hors: bool) -> None:
    """Whatever the ranges and the pieces read, the records are those of LecteurXML (rank, lines, cells, unknown)."""
    textes = []
    for i, variantes in choix:
        t = _RECORDS[i]
        for v in sorted(variantes):
            t = _VARIANTES[v](t)
        textes.append(t)
    if lot:  # records inside wrapper elements: read record by record
        textes = ["<Lot>" + "\n".join(textes[:2]) + "</Lot>"] + textes[2:]
    if hors:  # elements outside records, known and unknown
        textes.insert(len(textes) // 2, "<Hors><NUMORG>931</NUMORG></Hors>")
    doc = "".join(ecrire_xml(textes, "<!-- <InfoDemandeRSA> en commentaire -->")).encode("utf-8")
    attendu = _un_passage(doc)
    assert _par_plages(doc, par_plage, octets, morceau) == attendu
    assert len(attendu[0]) >= len(choix)


def test_encodage_declare_et_utf16(tmp_path: Path) -> None:
    texte = "".join(ecrire_xml([_RECORDS[0].replace("<SEXE>", "<SEXE>é")])).replace("UTF-8", "ISO-8859-1")
    doc = texte.encode("latin-1")
    recs, _ = _par_plages(doc, 1, 1, 1 << 20)
    assert recs == _un_passage(doc)[0] and recs[0][2][0][1]["sexe"] == ["é2"]
    with pytest.raises(XMLRefuse, match="UTF-16"):
        list(Decoupeur(io.BytesIO(texte.replace("ISO-8859-1", "UTF-16").encode("utf-16")), "f.xml", 1))


def test_erreurs_memes_messages_que_expat() -> None:
    """The parent checks the whole document with expat: same messages, lines and columns as LecteurXML."""
    bon = "".join(ecrire_xml(_RECORDS[:3]))
    for mauvais in (bon.replace("</Personne>", "</Personn>", 1), bon + "<x/>", bon.replace("<NATI>", "<NATI>&xxe;"),
                    bon[:-20], '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]>' + bon.split("\n", 1)[1]):
        with pytest.raises(XMLRefuse) as avant:
            list(LecteurXML(io.BytesIO(mauvais.encode())))
        with pytest.raises(XMLRefuse) as apres:
            list(Decoupeur(io.BytesIO(mauvais.encode()), "(document)", 1, morceau=700))
        assert str(apres.value) == str(avant.value)


def test_memoire_du_parent_bornee() -> None:
    """The parent keeps one piece and ranges are cut by size: neither depends on the file size."""
    doc = "".join(ecrire_xml(_RECORDS * 5)).encode("utf-8")
    plages = list(Decoupeur(io.BytesIO(doc), "f.xml", 10_000, morceau=4096, octets_plage=20_000))
    assert sum(p.enregistrements for p in plages) == 5 * len(_RECORDS)
    assert max(p.fin - p.debut for p in plages) < 20_000 + max(map(len, _RECORDS)) + 2
    assert [p.premier for p in plages] == [1] + [sum(q.enregistrements for q in plages[:i]) + 1
                                                 for i in range(1, len(plages))]


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


def test_fichier_sans_enregistrement_ou_utf16(tmp_path: Path) -> None:
    f = tmp_path / "f.xml"
    f.write_bytes("".join(ecrire_xml([enregistrement_xml(_rec("SYN-1"))])).replace("UTF-8", "UTF-16")
                  .encode("utf-16"))
    with pytest.raises(FluxInvalide, match="UTF-16"):
        traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=1, modele=False)
    assert not (tmp_path / "d.csv").exists()
