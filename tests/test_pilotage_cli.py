"""``orientation indicateurs``: example data, self-contained HTML report, CSV table, errors and exit codes."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orientation.cli import main
from orientation.pilotage import commande
from orientation.pilotage.calcul import DIMENSIONS
from orientation.pilotage.definitions import INDICATEURS
from orientation.pilotage.evenements import COLONNES, lire_texte
from orientation.pilotage.periode import Periode
from orientation.pilotage.rapport import html, jours_fr, moyenne_tous_fr, preparer, quantile_fr, taux_fr
from orientation.pilotage.tableau import COLONNES_CSV, texte_csv
from tests.test_pilotage_indicateurs import FIXTURE

RACINE = Path(__file__).resolve().parents[1]
EXEMPLE = RACINE / "examples" / "evenements_exemple.csv"
VIDES = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Verificateur(HTMLParser):
    """Checks that every element is closed in order, and collects the attributes that could load something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pile: list[str] = []
        self.erreurs: list[str] = []
        self.liens: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.liens += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "data", "action")]
        if tag not in VIDES:
            self.pile.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.liens += [v or "" for k, v in attrs if k in ("src", "href", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        if not self.pile or self.pile[-1] != tag:
            self.erreurs.append(f"</{tag}> inattendu (ouverts : {self.pile[-3:]})")
        else:
            self.pile.pop()


def _fixture_rapport(par: tuple[str, ...] = ("mois",)):  # type: ignore[no-untyped-def]
    lecture = lire_texte(",".join(COLONNES) + "\n" + "\n".join(FIXTURE) + "\nbad,2025-02-30" + "," * 10 + "\n",
                         "fixture.csv")
    return preparer(lecture, "fichier d'événements fixture.csv", Periode.depuis_texte("2024-01:2025-02"), par)


@pytest.fixture(scope="module")
def rapport_fixture():  # type: ignore[no-untyped-def]
    r = _fixture_rapport()
    return r, html(r)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    sortie = tmp_path_factory.mktemp("demo")
    code = main(["indicateurs", "--depuis", str(EXEMPLE), "--periode", "2025-01:2025-12", "--sortie",
                 str(sortie / "rapport.html"), "--csv", str(sortie / "indicateurs.csv"), "--par",
                 "mois,parcours", "--rejets", str(sortie / "rejets.csv")])
    return sortie, code


def test_generateur_reproduit_le_fichier_d_exemple() -> None:
    spec = importlib.util.spec_from_file_location("generer_evenements_exemple",
                                                  RACINE / "examples" / "generer_evenements_exemple.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.generer() == EXEMPLE.read_text(encoding="utf-8")
    assert module.COLONNES == list(COLONNES)


def test_exemple_coherent_avec_le_flux() -> None:
    with open(RACINE / "examples" / "flux_exemple.csv", encoding="utf-8", newline="") as f:
        flux = [(r["identifiant"], r["dtdemrsa"], r["dtnotifdroit"]) for r in csv.DictReader(f)]
    with open(EXEMPLE, encoding="utf-8", newline="") as f:
        ev = list(csv.DictReader(f))
    assert [(r["identifiant"], r["date_demande"], r["date_notification_droits"]) for r in ev] == flux
    assert all(r["identifiant"].startswith("SYN-") for r in ev)
    # some events have not happened yet at the extraction, and some persons were absent and followed up
    assert sum(not r["date_orientation"] for r in ev) > 50 and sum(not r["date_signature_cer"] for r in ev) > 200
    assert sum(bool(r["date_relance"]) for r in ev) > 50


def test_rapport_d_exemple(demo: tuple[Path, int], capsys: pytest.CaptureFixture[str]) -> None:
    sortie, code = demo
    assert code == 0
    texte = (sortie / "rapport.html").read_text(encoding="utf-8")
    assert "Données SYNTHÉTIQUES" in texte
    for i in INDICATEURS:
        assert f'id="{i.id}"' in texte and f'id="synthese-{i.id}"' in texte
    assert texte.count("<svg") == len(INDICATEURS)
    # the two deliberately invalid rows of the example flux are rejected here too, counted, without their values
    rejets = list(csv.DictReader((sortie / "rejets.csv").open(encoding="utf-8")))
    assert [(r["ligne"], r["champ"]) for r in rejets] == [("258", "date_demande"), ("1502", "date_notification_droits")]
    assert "<td>2000</td><td>1998</td><td>2</td>" in texte.replace('<td class="texte">2000', "<td>2000")
    assert "2025-02-30" not in texte and "SYN-93" not in texte  # no identifier nor value of a person
    lignes = list(csv.DictReader((sortie / "indicateurs.csv").open(encoding="utf-8")))
    assert {r["parcours"] for r in lignes if r["niveau"] == "detail"} >= {"professionnel", "pas encore orienté"}


def test_html_autonome_et_bien_forme(rapport_fixture) -> None:  # type: ignore[no-untyped-def]
    _, texte = rapport_fixture
    v = _Verificateur()
    v.feed(texte)
    v.close()
    assert v.erreurs == [] and v.pile == []
    assert all(lien.startswith("#") for lien in v.liens), [l for l in v.liens if not l.startswith("#")][:5]
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\((?!#)", texte)  # url(#…): inside the page
    identifiants = re.findall(r'\sid="([^"]+)"', texte)
    assert len(identifiants) == len(set(identifiants))
    assert "@media print" in texte and '<html lang="fr">' in texte
    assert texte == html(_fixture_rapport())  # deterministic: same data, same bytes (plots included)


def _cellules(texte: str, ident: str) -> list[str]:
    ligne = re.search(rf'<tr id="synthese-{ident}">(.*?)</tr>', texte, flags=re.S)
    assert ligne
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", ligne.group(1), flags=re.S)]


def test_synthese_montre_les_chiffres_calcules_a_la_main(rapport_fixture) -> None:  # type: ignore[no-untyped-def]
    _, texte = rapport_fixture
    nb = "\u00a0"
    # orientation within a month (tests/test_pilotage_indicateurs.py): 9 persons, 4 on time, 4 late, 1 en cours,
    # 7 oriented, 2 not yet, 50 %, observed mean 219/7 = 31.3 d, median 30, p90 44, median of all ≥ 30
    assert _cellules(texte, "orientation_1_mois") == [
        "Nouveaux entrants orientés dans le mois de la notification des droits", "1 mois", "100,0\u202f%", "9", "4",
        "4", "1", "7", "2", "50,0\u202f%", f"31,3{nb}j", f"30{nb}j", f"44{nb}j", f"au moins 30{nb}j"]
    # contract within a month: no observed delay → dashes, median of all ≥ 2
    assert _cellules(texte, "contrat_1_mois")[3:] == ["2", "0", "1", "1", "0", "2", "0,0\u202f%", "—", "—", "—",
                                                      f"au moins 2{nb}j"]
    # orientation rate: no threshold → dashes for the threshold columns, 7/9 = 77.8 %
    assert _cellules(texte, "taux_orientation")[1:10] == ["—", "—", "9", "—", "—", "—", "7", "2", "77,8\u202f%"]


def test_chaque_chiffre_du_rapport_vient_du_calcul(rapport_fixture) -> None:  # type: ignore[no-untyped-def]
    rapport, texte = rapport_fixture
    for s in rapport.sections:  # every row of the summary is the computed row (hand-checked in the other file)
        l = s.ensemble
        attendu = [str(l.population), *(str(x) if x is not None else "—" for x in (l.dans_delai, l.hors_delai,
                   l.en_cours)), str(l.survenus), str(l.pas_encore), taux_fr(l.taux), jours_fr(l.delais.moyenne),
                   quantile_fr(l.delais.mediane), quantile_fr(l.delais.p90), quantile_fr(l.delais.mediane_tous)]
        assert _cellules(texte, s.indicateur.id)[3:] == attendu, s.indicateur.id
        section = texte[texte.index(f'<section class="indicateur" id="{s.indicateur.id}">'):]
        section = section[:section.index("</section>")]
        assert s.indicateur.source.replace("'", "&#39;").replace("« ", "« ")[:60] in section
        for d in [l, *s.lignes]:  # every detail row: label, moyenne de tous, p90 de tous
            assert f'<td class="texte">{d.libelle_groupe}</td><td>{d.population}</td>' in section
            assert moyenne_tous_fr(d) in section and quantile_fr(d.delais.p90_tous) in section
    # month detail of orientation within a month, February 2024: P3 and P11, both on time
    assert ('<td class="texte">février 2024</td><td>2</td><td>2</td><td>0</td><td>0</td><td>100,0\u202f%</td>'
            in texte)
    assert "<td>258</td>" not in texte and '<td class="texte">date_demande</td>' in texte  # the fixture's reject


def test_csv_des_indicateurs() -> None:
    rapport = _fixture_rapport(("mois", "structure"))
    lignes = list(csv.DictReader(io.StringIO(texte_csv(rapport.lignes))))
    assert list(lignes[0]) == list(COLONNES_CSV)
    assert len(lignes) == len(rapport.lignes) and {r["indicateur"] for r in lignes} == {i.id for i in INDICATEURS}
    (o,) = [r for r in lignes if r["indicateur"] == "orientation_1_mois" and r["niveau"] == "ensemble"]
    # hand-computed in tests/test_pilotage_indicateurs.py
    assert {k: o[k] for k in ("population", "dans_delai", "hors_delai", "en_cours", "survenus", "pas_encore", "taux",
                              "delai_moyen_observe", "delai_median_observe", "delai_p90_observe", "delai_moyen_tous",
                              "delai_moyen_tous_minimum", "delai_median_tous", "delai_median_tous_minimum",
                              "delai_p90_tous", "delai_p90_tous_minimum", "cible", "seuil", "mois")} == {
        "population": "9", "dans_delai": "4", "hors_delai": "4", "en_cours": "1", "survenus": "7", "pas_encore": "2",
        "taux": "0.5", "delai_moyen_observe": "31.29", "delai_median_observe": "30", "delai_p90_observe": "44",
        "delai_moyen_tous": "29.56", "delai_moyen_tous_minimum": "1", "delai_median_tous": "30",
        "delai_median_tous_minimum": "1", "delai_p90_tous": "44", "delai_p90_tous_minimum": "1", "cible": "1.0",
        "seuil": "1 mois", "mois": ""}
    (p3,) = [r for r in lignes if r["indicateur"] == "orientation_1_mois" and r["mois"] == "2024-02"
             and r["structure"] == "ccas"]
    assert (p3["population"], p3["dans_delai"], p3["taux"]) == ("1", "1", "1.0")  # P3, the leap day


def test_ventilations_de_la_commande_et_du_calcul_identiques() -> None:
    assert commande.DIMENSIONS == tuple(DIMENSIONS)
    assert commande.ventilation("aucune") == () and commande.ventilation("parcours, mois") == ("parcours", "mois")


@pytest.mark.parametrize("options, message", [
    (["--base", "postgresql://u:motdepasse@h/b"], "option --departement obligatoire avec --base"),
    (["--base", "postgresql+psycopg://u:motdepasse@127.0.0.1:1/b", "--departement", "93"], "inaccessible"),
    (["--base", "sqlite:///{dossier}/absente.sqlite3", "--departement", "93"], "absente.sqlite3 introuvable"),
    (["--base", "sqlite:///{dossier}/absente.sqlite3", "--departement", "9x3"], "code de département attendu"),
    (["--depuis", str(EXEMPLE), "--departement", "93"], "seulement avec --base"),
    (["--depuis", str(EXEMPLE), "--evenements", "{dossier}/ev.csv"], "seulement avec --base"),
    (["--depuis", "absent.csv"], "introuvable"),
    (["--depuis", str(EXEMPLE), "--periode", "2025-13:2025-12"], "option --periode"),
    (["--depuis", str(EXEMPLE), "--periode", "2025-06:2025-01"], "précède le mois de début"),
    (["--depuis", str(EXEMPLE), "--arret", "2024-12-31"], "la date d'arrêt précède"),
    (["--depuis", str(EXEMPLE), "--par", "commune"], "option --par"),
    (["--depuis", str(EXEMPLE), "--csv", "{sortie}"], "demandée deux fois"),
])
def test_erreurs_d_utilisation(tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
                               message: str) -> None:
    sortie = tmp_path / "r.html"
    args = ["indicateurs", "--periode", "2025-01:2025-12", "--sortie", str(sortie)]
    code = main(args + [o.format(sortie=sortie, dossier=tmp_path) for o in options])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and "motdepasse" not in err
    assert not sortie.exists() and list(tmp_path.iterdir()) == []


def test_options_exclusives_et_obligatoires(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["indicateurs", "--periode", "2025-01:2025-12", "--sortie", "r.html"])
    assert exc.value.code == 2 and "un des arguments --depuis --base est obligatoire" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["indicateurs", "--depuis", "a.csv", "--base", "u", "--periode", "2025-01", "--sortie", "r.html"])
    assert "incompatible avec l'argument" in capsys.readouterr().err


def test_sortie_sur_l_entree_refusee(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entree = tmp_path / "ev.csv"
    entree.write_bytes(EXEMPLE.read_bytes())
    code = main(["indicateurs", "--depuis", str(entree), "--periode", "2025-01:2025-12", "--sortie", str(entree)])
    assert code == 2 and "fichier d'événements lu" in capsys.readouterr().err
    assert entree.read_bytes() == EXEMPLE.read_bytes()


def test_ecriture_impossible_rien_publie(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["indicateurs", "--depuis", str(EXEMPLE), "--periode", "2025-06:2025-06", "--sortie",
                 str(tmp_path / "r.html"), "--csv", str(tmp_path / "absent" / "t.csv")])
    err = capsys.readouterr().err
    assert code == 3 and f"écriture impossible de {tmp_path / 'absent' / 't.csv'} : fichier introuvable" in err
    assert "rien n'est publié" in err
    assert list(tmp_path.iterdir()) == []  # neither the report nor a partial file


def test_readme_et_make_demo() -> None:
    readme = (RACINE / "README.md").read_text(encoding="utf-8")
    assert "## Indicateurs de la convention" in readme
    commande_readme = "orientation indicateurs --depuis examples/evenements_exemple.csv --periode 2025-01:2025-12"
    assert commande_readme in readme and commande_readme in (RACINE / "Makefile").read_text(encoding="utf-8")
    for nom in [*COLONNES, *COLONNES_CSV]:
        assert f"`{nom}`" in readme, nom
    for i in INDICATEURS:
        assert f"`{i.id}`" in readme, i.id
