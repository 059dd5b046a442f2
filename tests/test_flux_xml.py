"""The CAF's XML flux (issue 14, part 4) and the CAF's pre-routing (part 5) through ``orientation lot``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation.cli import main
from orientation.dossier.cnaf_xml import LecteurXML, ecrire_xml, enregistrement_xml, lignes
from orientation.dossier.schema import Dossier
from orientation.erreurs import DossierInvalide
from orientation.explication.construction import explain
from orientation.flux.lecture import FluxInvalide, ouvrir_flux
from orientation.flux.lecture_xml import blocs_xml, lire_bloc_xml
from orientation.flux.lot import traiter_fichier
from orientation.regles.champs import champ
from tests.strategies import dossiers

EXEMPLES = Path(__file__).resolve().parent.parent / "examples"
XML = EXEMPLES / "flux_cnaf_exemple.xml"


def _doc(*enregistrements: str) -> bytes:
    return "".join(ecrire_xml(enregistrements)).encode("utf-8")


def _rec(identifiant: str = "SYN-1", **cles: object) -> dict:
    rec = {"identifiant": identifiant, "dtdemrsa": "2025-09-02", "dtouvdroit": "2025-09-01", "dtnai": "1987-03-14",
           "typefoyer": "ISO", "toppersdrodevorsa": "1", "topprimodemandeur": "0", "natlog": "0901"}
    rec.update(cles)
    return rec


@pytest.fixture(scope="module")
def lot_exemple(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    d = tmp_path_factory.mktemp("xml")
    rapport = traiter_fichier(XML, "93", d / "decisions.csv", explications=d / "expl.jsonl", modele="demo",
                              progression=False, processus=1)
    return rapport, d


def test_exemple_decisions_rejets_explications(lot_exemple: tuple) -> None:
    rapport, d = lot_exemple
    assert (rapport.lignes, rapport.decides, rapport.rejetes) == (201, 197, 4)
    decisions = list(csv.DictReader((d / "decisions.csv").open(encoding="utf-8")))
    assert len(decisions) == 197 and all(r["identifiant"].startswith("SYN-") for r in decisions)
    assert len((d / "expl.jsonl").read_text(encoding="utf-8").splitlines()) == 197
    rejets = list(csv.DictReader((d / "decisions.rejets.csv").open(encoding="utf-8")))
    assert {r["champ"] for r in rejets} == {"natlog", "(enregistrement)", "natparcocal", "dtnai"}
    # each reject says where the record is, in its own columns: its rank and the line of its start tag
    texte = XML.read_text(encoding="utf-8").splitlines()
    assert list(rejets[0])[-2:] == ["enregistrement", "ligne_balise"]
    for r in rejets:
        assert "ligne " not in r["raison"] and int(r["enregistrement"]) >= 1
        ligne = int(r["ligne_balise"])
        balise = "<InfoDemandeRSA>" if r["champ"] == "(enregistrement)" else "<Personne>"
        assert balise in texte[ligne - 1] and (r["identifiant"] in texte[ligne - 1])
        assert texte[ligne - 1].startswith("<InfoDemandeRSA>")  # one record a line: rank = line - 4 (header)
        assert int(r["enregistrement"]) == ligne - 4


def test_exemple_elements_inconnus_et_preorientation(lot_exemple: tuple) -> None:
    rapport, d = lot_exemple
    assert rapport.colonnes_ignorees == ["CodeTerritoireCAF"]
    resume = rapport.resume()
    assert "Éléments XML inconnus ignorés : CodeTerritoireCAF." in resume
    assert "Pré-orientation calculée par la CAF : parcours recommandé identique pour" in resume
    manifeste = json.loads((d / "decisions.manifeste.json").read_text(encoding="utf-8"))
    assert manifeste["colonnes_ignorees"] == ["CodeTerritoireCAF"] and manifeste["flux"]["format"] == "xml"
    caf = manifeste["preorientation_caf"]
    assert caf["concordants"] + caf["discordants"] + caf["sans_parcours"] + caf["sans_preorientation"] == 197
    assert caf["sans_preorientation"] == 0 and 0 < caf["concordants"] < 197
    assert caf["taux_concordance"] == round(caf["concordants"] / (caf["concordants"] + caf["discordants"]), 4)
    assert caf["equivalences"] == {"PP": "professionnel", "AS": "socio_professionnel", "PS": "social"}


def test_memes_decisions_que_le_csv(lot_exemple: tuple, tmp_path: Path) -> None:
    """Same people as the first 200 rows of flux_exemple.csv: the same decisions (the row rank aside)."""
    _, d = lot_exemple
    csv200 = tmp_path / "csv200.csv"
    csv200.write_text("".join((EXEMPLES / "flux_exemple.csv").read_text(encoding="utf-8").splitlines(True)[:201]),
                      encoding="utf-8")
    traiter_fichier(csv200, "93", tmp_path / "d.csv", modele="demo", progression=False, processus=1)

    def lire(p: Path) -> dict:
        return {r["identifiant"]: {k: v for k, v in r.items() if k != "ligne"}
                for r in csv.DictReader(p.open(encoding="utf-8"))}

    xml, plat = lire(d / "decisions.csv"), lire(tmp_path / "d.csv")
    assert len(plat) == 199 and set(xml) == set(plat) - {"SYN-93-93-0000090", "SYN-93-93-0000150"}
    assert all(xml[i] == plat[i] for i in xml)


def test_enregistrement_invalide_rejete_avec_position(tmp_path: Path) -> None:
    f = tmp_path / "f.xml"
    sans_demandeur = ("<InfoDemandeRSA><IdentificationRSA><DemandeRSA><NUMDEMRSA>SYN-2</NUMDEMRSA></DemandeRSA>"
                      "</IdentificationRSA><Personne><Prestations><ROLEPERS>ENF</ROLEPERS></Prestations>"
                      "</Personne></InfoDemandeRSA>")
    f.write_bytes(_doc(enregistrement_xml(_rec("SYN-1")), sans_demandeur,
                       enregistrement_xml(_rec("SYN-3", natlog="0999"))))
    r = traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=1, modele=False)
    assert (r.decides, r.rejetes) == (1, 2)
    rejets = list(csv.DictReader((tmp_path / "d.rejets.csv").open(encoding="utf-8")))
    assert [(x["ligne"], x["identifiant"], x["champ"]) for x in rejets] == [
        ("2", "SYN-2", "(enregistrement)"), ("3", "SYN-3", "natlog")]
    # declaration, root, header, 1st record: the 2nd record is on line 5
    assert [(x["enregistrement"], x["ligne_balise"]) for x in rejets] == [("2", "5"), ("3", "6")]
    assert rejets[0]["raison"] == "aucune personne demandeur ou conjoint (élément Personne avec ROLEPERS DEM ou CJT)"


@pytest.mark.parametrize("attaque", [
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Racine><InfoDemandeRSA><NUMDEMRSA>&c;</NUMDEMRSA>'
    '</InfoDemandeRSA></Racine>',
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Racine>&x;</Racine>',
])
def test_dtd_et_entites_refusees(tmp_path: Path, attaque: str, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "attaque.xml"
    f.write_text(attaque, encoding="utf-8")
    with pytest.raises(FluxInvalide, match=r"DOCTYPE.*refusée ligne 1"):
        ouvrir_flux(f)
    code = main(["lot", str(f), "--departement", "93", "--sortie", str(tmp_path / "d.csv"), "--silencieux"])
    err = capsys.readouterr().err
    assert code == 2 and "attaque.xml" in err and "Traceback" not in err and not (tmp_path / "d.csv").exists()
    with pytest.raises(DossierInvalide, match="DOCTYPE"):
        Dossier.depuis_xml(attaque, "93")


def test_entite_non_declaree_et_xml_mal_forme(tmp_path: Path) -> None:
    f = tmp_path / "f.xml"
    f.write_text("<Racine><InfoDemandeRSA>&xxe;</InfoDemandeRSA></Racine>", encoding="utf-8")
    with pytest.raises(FluxInvalide, match="ligne 1, colonne 30 : entité non définie"):  # libxml2: after the ";"
        ouvrir_flux(f)
    # malformed after the first record: refused during the run, nothing published
    f.write_bytes(_doc(enregistrement_xml(_rec("SYN-1"))) + b"<InfoDemandeRSA><Personne></InfoDemandeRSA>")
    with pytest.raises(FluxInvalide, match="XML mal formé ligne"):
        traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, processus=1, modele=False)
    assert not (tmp_path / "d.csv").exists()
    f.write_text("<Racine><Autre/></Racine>", encoding="utf-8")
    with pytest.raises(FluxInvalide, match="aucun enregistrement <InfoDemandeRSA>"):
        ouvrir_flux(f)


class _Compteur(io.BytesIO):
    """A file that remembers how many bytes were read."""

    lus = 0

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        b = super().read(n)
        self.lus += len(b)
        return b


def test_lecture_en_flux_memoire_bornee() -> None:
    """The reader holds a bounded number of records whatever the size, and reads lazily."""
    doc = _doc(*[enregistrement_xml(_rec(f"SYN-{i}")) for i in range(3_000)])
    f = _Compteur(doc)
    lecteur = LecteurXML(f, morceau=512)
    premier = next(iter(lecteur))
    assert premier.numero == 1 and f.lus < 4 * 512  # the first record arrives before the file is read
    assert sum(1 for _ in lecteur) == 2_999
    assert 1 <= lecteur.max_en_attente <= 2  # a 512-byte piece completes at most one or two records
    # nothing of the records kept: the parser's tree holds the root and the last record, emptied
    assert [(e.tag, len(e)) for e in lecteur._arbre] == [("InfoDemandeRSA", 0)]


def test_blocs_de_taille_bornee(tmp_path: Path) -> None:
    f = tmp_path / "f.xml"
    f.write_bytes(_doc(*[enregistrement_xml(_rec(f"SYN-{i}")) for i in range(250)]))
    tailles = [lire_bloc_xml(t).nb_lignes for t in blocs_xml(f, 100)]
    assert tailles == [100, 100, 50]
    r = traiter_fichier(f, "93", tmp_path / "d.csv", progression=False, taille_bloc=7, processus=2, modele=False)
    assert r.decides == 250
    assert [x["ligne"] for x in csv.DictReader((tmp_path / "d.csv").open())] == [str(i) for i in range(1, 251)]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(dossiers(), st.booleans())
def test_xml_aller_retour(d: Dossier, enfants_en_personnes: bool) -> None:
    """A random dossier written as a CAF XML record and read back is the same dossier."""
    texte = "".join(ecrire_xml([enregistrement_xml(d.vers_cnaf(), enfants_en_personnes)]))
    assert Dossier.depuis_xml(texte, d.departement) == d


def test_foyer_et_enfants_deduits_des_personnes() -> None:
    rec = _rec("SYN-9", typefoyer=None)
    del rec["typefoyer"]
    enfant = ("<Personne><Identification><DTNAI>2020-09-03</DTNAI></Identification><Prestations>"
              "<ROLEPERS>ENF</ROLEPERS></Prestations></Personne>")
    conjoint = ("<Personne><Prestations><ROLEPERS>CJT</ROLEPERS></Prestations><Identification>"
                "<DTNAI>1980-01-01</DTNAI></Identification></Personne>")
    texte = enregistrement_xml(rec).replace("</InfoDemandeRSA>", enfant + conjoint + "</InfoDemandeRSA>")
    (rec_xml,) = list(LecteurXML(io.BytesIO(_doc(texte))))
    rangees, raison = lignes(rec_xml)
    assert raison is None and [r["identifiant"] for _, r in rangees] == ["SYN-9", "SYN-9-CJT"]
    assert [(r["typefoyer"], r["agesenfants"], r["dtnai"]) for _, r in rangees] == [
        ("COU", "4", "1987-03-14"), ("COU", "4", "1980-01-01")]


def test_un_dossier_xml_en_ligne_de_commande(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "dossier.xml"
    rec = _rec("SYN-7", departement="93", natparcocal="PS")
    f.write_bytes(_doc(enregistrement_xml(rec)).replace(b"<TYPEFOYER>", b"<DEPARTEMENT>93</DEPARTEMENT><TYPEFOYER>"))
    assert main(["recommander", str(f)]) == 0
    assert json.loads(capsys.readouterr().out)["identifiant"] == "SYN-7"
    assert main(["expliquer", str(f), "--format", "texte"]) == 0
    assert "Pré-orientation calculée par la CAF : parcours social (PS)" in capsys.readouterr().out
    f.write_bytes(_doc(enregistrement_xml(rec), enregistrement_xml(rec)))
    assert main(["recommander", str(f)]) == 2
    assert "un seul enregistrement <InfoDemandeRSA> attendu" in capsys.readouterr().err


def test_preorientation_dans_regles_et_explication() -> None:
    assert champ("preorientation_caf").codes[1] == ("professionnel_accompagnement_social",
                                                   "parcours professionnel avec accompagnement social")
    base = Dossier.depuis_cnaf({**_rec("SYN-5"), "departement": "93"})
    assert base.preorientation_caf is None and "Pré-orientation" not in explain(base).texte()
    d = Dossier.depuis_cnaf({**_rec("SYN-5"), "departement": "93", "natparcocal": "AS", "natparcomod": "PP",
                             "motimodparco": "EA"})
    assert d.vers_cnaf()["natparcomod"] == "PP"
    assert ("Pré-orientation calculée par la CAF : parcours professionnel avec accompagnement social (AS) ; parcours "
            "modifié : parcours professionnel (PP), motif : entretien approfondi (EA)") in explain(d).texte()
    with pytest.raises(DossierInvalide, match="motimodparco"):
        Dossier.depuis_cnaf({**_rec("SYN-5"), "departement": "93", "motimodparco": "XX"})
