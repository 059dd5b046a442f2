"""Output codes (orientation.codes_sortie): each route, undecided dossiers, département labels, every output."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orientation import explain, recommend
from orientation.codes_sortie import CODES_FRANCE_TRAVAIL, CodesSortie, codes_sortie
from orientation.dossier.schema import EXEMPLE_CNAF, Dossier
from orientation.dossier.tabulaire import enregistrement_vers_ligne, ligne_vers_enregistrement
from orientation.erreurs import ReglesInvalides
from orientation.flux import lot
from orientation.modele.synthetique import generer_table
from orientation.regles.evaluation import CodesDepartement
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Modalite, Parcours

from .test_schemas import valider_document

REGLES = Path(__file__).resolve().parents[1] / "rules"

LIBELLES = {"professionnel": "Accompagnement emploi", "socio_professionnel": "Accompagnement global",
            "social": "Accompagnement social"}
CODES_FT = {"professionnel": "EMP", "socio_professionnel": "GLO", "social": "SOC"}  # test values, not real codes


def regles_avec_codes(racine: Path) -> Path:
    """A copy of the shipped rules whose 93 file gives labels and France Travail codes to the routes."""
    shutil.copytree(REGLES, racine)
    f = racine / "departements" / "93.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "\nlibelles_parcours:\n"
                 + "".join(f"  {k}: \"{v}\"\n" for k, v in LIBELLES.items())
                 + "codes_france_travail:\n" + "".join(f"  {k}: {v}\n" for k, v in CODES_FT.items()),
                 encoding="utf-8")
    return racine


@pytest.fixture(scope="module")
def regles_93(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return regles_avec_codes(tmp_path_factory.mktemp("codes") / "rules")


def test_codes_de_chaque_parcours() -> None:
    sans = CodesDepartement()
    attendus = {Parcours.professionnel: "pro", Parcours.socio_professionnel: "socio_pro", Parcours.social: "social"}
    for p, code in attendus.items():
        assert codes_sortie(p, sans) == CodesSortie(france_travail=None, rdv_insertion=code, departement=None)
    assert codes_sortie(None, sans) is None
    # no France Travail code is shipped: none could be confirmed from a public source
    assert CODES_FRANCE_TRAVAIL == {}
    avec = CodesDepartement(libelles_parcours={Parcours(k): v for k, v in LIBELLES.items()},
                            france_travail={Parcours(k): v for k, v in CODES_FT.items()})
    assert codes_sortie(Parcours.social, avec) == CodesSortie(france_travail="SOC", rdv_insertion="social",
                                                              departement="Accompagnement social")


def test_decision_livree_sans_libelles() -> None:
    d = recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF))
    assert d.parcours == Parcours.social
    assert d.codes == CodesSortie(france_travail=None, rdv_insertion="social", departement=None)
    assert d.en_dict()["codes"] == {"france_travail": None, "rdv_insertion": "social", "departement": None}
    valider_document("decision", d.en_dict())


def test_parcours_non_decide_codes_nuls() -> None:
    # a département without a rule file has no grid: an appointment without route, or (no rule, no model)
    # a referent's examination; neither decides a route, so there are no codes
    rdv = Dossier.depuis_cnaf(dict(EXEMPLE_CNAF, departement="75"))
    calme = Dossier.valider({"identifiant": "C-1", "departement": "75", "date_demande": "2025-09-02",
                             "date_ouverture_droits": "2025-09-01", "date_naissance": "1985-05-10",
                             "foyer": {"composition": "personne_seule"}, "soumis_droits_devoirs": True,
                             "primo_demandeur": False, "dsp": {"logement": "autonome_individuel",
                                                               "historique_professionnel": "toujours_travaille"}})
    modalites = set()
    for dossier in (rdv, calme):
        d = recommend(dossier, modele=False)
        modalites.add(d.modalite)
        assert d.parcours is None and d.codes is None and d.en_dict()["codes"] is None
        valider_document("decision", d.en_dict())
        assert "Codes de sortie" not in explain(dossier, modele=False).texte()
    assert modalites == {Modalite.rdv_obligatoire, Modalite.examen_individuel}


def test_libelles_et_codes_du_fichier_departemental(regles_93: Path) -> None:
    dossier = Dossier.depuis_cnaf(EXEMPLE_CNAF)
    ref = Referentiel.charger("93", regles_93)
    d = recommend(dossier, ref)
    assert d.codes == CodesSortie(france_travail="SOC", rdv_insertion="social", departement="Accompagnement social")
    # the labels are part of the rules' version (the file's content)
    assert d.versions.regles != recommend(dossier).versions.regles
    e = explain(dossier, ref)
    valider_document("explication", e.en_dict())
    assert e.en_dict()["decision"]["codes"] == d.en_dict()["codes"]
    ligne = "Codes de sortie : rdv-insertion « social » ; France Travail « SOC » ; libellé du département " \
            "« Accompagnement social »."
    assert ligne in e.texte().splitlines() and ligne in e.markdown().splitlines()
    sans = explain(dossier).texte()
    assert ("Codes de sortie : rdv-insertion « social » ; France Travail non renseigné" in sans
            and "libellé du département non renseigné." in sans)


def _erreur(tmp_path: Path, ajout: str) -> ReglesInvalides:
    racine = tmp_path / "rules"
    shutil.copytree(REGLES, racine)
    f = racine / "departements" / "93.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "\n" + ajout, encoding="utf-8")
    with pytest.raises(ReglesInvalides) as exc:
        Referentiel.charger("93", racine)
    assert exc.value.fichier == str(f)
    assert str(f) in str(exc.value)
    return exc.value


@pytest.mark.parametrize("ajout, morceaux", [
    ("libelle_parcours: {professionnel: A, socio_professionnel: B, social: C}\n",
     ["clé(s) inconnue(s) : libelle_parcours", "libelles_parcours", "codes_france_travail"]),
    ("libelles_parcours: {pro: A, socio_professionnel: B, social: C}\n",
     ["« libelles_parcours » : parcours inconnu(s) 'pro'", "professionnel, socio_professionnel, social"]),
    ("libelles_parcours: {professionnel: A, social: C}\n",
     ["« libelles_parcours » : parcours manquant(s) socio_professionnel"]),
    ("libelles_parcours: [A, B, C]\n", ["« libelles_parcours » doit associer à chaque parcours"]),
    ("libelles_parcours: {professionnel: A, socio_professionnel: 3, social: C}\n",
     ["« libelles_parcours.socio_professionnel » doit être un texte non vide, reçu 3"]),
    ("libelles_parcours: {professionnel: \"" + "x" * 121 + "\", socio_professionnel: B, social: C}\n",
     ["« libelles_parcours.professionnel » : libellé de plus de 120 caractères"]),
    ("codes_france_travail: {professionnel: \"pe\", socio_professionnel: PSO, social: PSP}\n",
     ["« codes_france_travail.professionnel » : code 'pe' invalide"]),
])
def test_cles_de_codes_refusees(tmp_path: Path, ajout: str, morceaux: list[str]) -> None:
    message = str(_erreur(tmp_path, ajout))
    for m in morceaux:
        assert m in message, message


def _lire_csv(chemin: Path) -> list[dict[str, str]]:
    with chemin.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _attendus(lignes: list[dict[str, str]], departement: str, regles: Path) -> list[dict[str, str]]:
    ref = Referentiel.charger(departement, regles)
    out = []
    for cellules in lignes:
        d = recommend(Dossier.depuis_cnaf(ligne_vers_enregistrement(cellules)), ref, False)
        c: dict[str, Any] = {} if d.codes is None else d.codes.model_dump()
        out.append({f"code_{k}": c.get(k) or "" for k in ("france_travail", "rdv_insertion", "departement")})
    return out


@pytest.mark.parametrize("departement", ["93", "75"])
def test_colonnes_de_codes_quel_que_soit_le_format_du_flux(regles_93: Path, tmp_path: Path,
                                                            departement: str) -> None:
    """decisions.csv carries the three code columns, equal to recommend()'s, from CSV, JSON Lines and Parquet."""
    table = generer_table(40, graine=5, departement=departement).drop_columns(["parcours_referent"])
    lignes = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in table.to_pylist()]
    lignes = [enregistrement_vers_ligne(ligne_vers_enregistrement(x)) for x in lignes]
    attendus = _attendus(lignes, departement, regles_93)
    if departement == "93":
        assert {a["code_departement"] for a in attendus} <= set(LIBELLES.values()) and all(
            a["code_france_travail"] for a in attendus)
    else:
        assert {a["code_departement"] for a in attendus} == {""}
    colonnes = list(lignes[0])
    with (tmp_path / "f.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, colonnes)
        w.writeheader()
        w.writerows(lignes)
    (tmp_path / "f.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lignes), encoding="utf-8")
    pq.write_table(pa.table({k: [x[k] for x in lignes] for k in colonnes}), tmp_path / "f.parquet")
    for fmt in ("csv", "jsonl", "parquet"):
        sortie = tmp_path / f"d_{fmt}.csv"
        r = lot.traiter_fichier(tmp_path / f"f.{fmt}", departement, sortie, regles=regles_93, modele=False,
                                progression=False, processus=1)
        assert r.decides == len(lignes)
        obtenues = _lire_csv(sortie)
        assert [{k: o[k] for k in a} for o, a in zip(obtenues, attendus)] == attendus, fmt
