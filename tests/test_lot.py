"""Bulk orientation (orientation.flux): same decisions as recommend(), rejects, malformed files."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation import explain
from orientation.flux import lot
from orientation.flux.contrat import projeter
from orientation.flux.decisions import Contexte, chaine_reference
from orientation.flux.explications import explication_ligne
from orientation.flux.lecture import FluxInvalide, lire_flux, ouvrir_flux
from orientation.cli import main
from orientation.dossier.cnaf import CLES
from orientation.decision import recommend
from orientation.dossier.schema import Dossier
from orientation.erreurs import DossierInvalide
from orientation.donnees import chemin_modele
from orientation.modele.modele import charger_modele
from orientation.regles.referentiel import Referentiel
from orientation.modele.synthetique import generer_table
from orientation.dossier.tabulaire import enregistrement_vers_ligne, ligne_vers_enregistrement

from .strategies import dossiers
from .test_codes_sortie import regles_avec_codes
from .test_schemas import valider_document

#: The demo model (SYNTHETIC data) asked for by name: no model is used by default.
DEMO = chemin_modele("demo")
MODELE = charger_modele(DEMO)
REFERENTIELS = {dep: Referentiel.charger(dep) for dep in ("93", "58", "69")}
CONTEXTES = {dep: Contexte(dep, ref, MODELE, True) for dep, ref in REFERENTIELS.items()}
REGLAGES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


def _table(lignes: list[dict[str, str]]) -> pa.Table:
    return pa.table({k: pa.array([l.get(k, "") for l in lignes], pa.string()) for k in CLES})


def _proche(a: Any, b: Any, chemin: str = "") -> None:
    """Deep equality with a 1e-9 tolerance on floats."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (chemin, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (chemin, a, b)
        for k in a:
            _proche(a[k], b[k], f"{chemin}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (chemin, a, b)
        for i, (x, y) in enumerate(zip(a, b)):
            _proche(x, y, f"{chemin}[{i}]")
    else:
        assert a == b, (chemin, a, b)


def evaluer(d: Dossier, ref: Referentiel, modele: Any) -> tuple[Any, Any, Any, Any]:
    """Per-dossier chain; its decision is checked equal to recommend()."""
    evaluation, proposition, decision = chaine_reference(d, ref, modele or None)
    assert decision == recommend(d, ref, modele)
    return evaluation, proposition, None, decision


def _val(e: Any) -> Any:
    return None if e is None else e.value


def _verifier_decision(ligne: dict[str, Any], decision: Any) -> None:
    assert ligne["identifiant"] == decision.identifiant
    assert ligne["modalite"] == decision.modalite.value
    assert ligne["parcours"] == _val(decision.parcours)
    assert ligne["structure"] == _val(decision.structure)
    assert ligne["origine_parcours"] == decision.origine_parcours
    codes = {} if decision.codes is None else decision.codes.model_dump()
    for k in ("france_travail", "rdv_insertion", "departement"):
        assert ligne[f"code_{k}"] == codes.get(k)
    assert ligne["regles_declenchees"] == "|".join(decision.regles_declenchees)
    if decision.probabilite_modele is None:
        assert ligne["probabilite_modele"] is None
    else:
        assert math.isclose(ligne["probabilite_modele"], decision.probabilite_modele, rel_tol=0, abs_tol=1e-9)
    assert ligne["modele_synthetique"] == (None if decision.modele is None else
                                           "1" if decision.modele.synthetique else "0")
    assert ligne["date_reference"] == decision.delais.date_reference
    assert ligne["date_reference_estimee"] == ("1" if decision.delais.reference_estimee else "0")
    assert ligne["orientation_au_plus_tard"] == decision.delais.orientation_au_plus_tard
    assert ligne["premier_rdv_au_plus_tard"] == decision.delais.premier_rdv_au_plus_tard
    assert ligne["orientation_limite_legale"] == decision.delais.orientation_limite_legale
    assert (ligne["contrat_engagement_si_orientation_a_limite_legale"]
            == decision.delais.contrat_engagement_si_orientation_a_limite_legale)
    assert ligne["scenario"] == decision.scenario
    assert ligne["version_regles"] == decision.versions.regles
    assert ligne["version_modele"] == decision.versions.modele
    assert ligne["modele_sha256"] == decision.versions.modele_sha256
    assert ligne["version_bibliotheque"] == decision.versions.bibliotheque


# --------------------------------------------------------------------------- same decisions as recommend()


@pytest.mark.parametrize("dep", ["93", "58", "69"])
def test_lot_identique_a_recommend(dep: str) -> None:
    """Random dossiers -> CNAF rows -> vectorised batch == recommend(), decision and explanation.

    Each line is valid against its schema and equals the per-row reference line; for the first two
    dossiers of each example, it equals the documented subset of ``explain(...).en_dict()``.
    """
    _identique_a_recommend(REFERENTIELS[dep], CONTEXTES[dep], dep, REGLAGES)


def test_lot_identique_a_recommend_avec_codes_du_departement(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Same, with a 93 rule file that gives its own labels and France Travail codes to the routes."""
    ref = Referentiel.charger("93", regles_avec_codes(tmp_path_factory.mktemp("codes") / "rules"))
    assert ref.codes.libelles_parcours and ref.codes.france_travail
    _identique_a_recommend(ref, Contexte("93", ref, MODELE, True), "93", settings(REGLAGES, max_examples=20))


def _identique_a_recommend(ref: Referentiel, ctx: Contexte, dep: str, reglages: Any) -> None:
    @reglages
    @given(st.lists(dossiers(departement=dep), min_size=1, max_size=25))
    def verifier(ds: list[Dossier]) -> None:
        lignes = [enregistrement_vers_ligne(d.vers_cnaf()) for d in ds]
        res = lot.traiter_bloc(ctx, _table(lignes), np.arange(2, len(ds) + 2))
        assert res.rejets == [] and res.chemin_ligne == 0  # canonical rows all take the vectorised path
        assert res.decisions.num_rows == len(ds)
        for i, (d, ligne, texte) in enumerate(zip(ds, res.decisions.to_pylist(), res.explications)):
            evaluation, proposition, _, decision = evaluer(d, ref, MODELE)
            assert ligne["ligne"] == i + 2
            _verifier_decision(ligne, decision)
            obtenu = json.loads(texte)
            valider_document("explication_lot", obtenu)
            attendu = json.loads(explication_ligne(ctx, i + 2, evaluation, proposition, decision))
            _proche(obtenu, attendu)
            if i < 2:
                _proche(obtenu, projeter(explain(d, ref, MODELE).en_dict(), i + 2))

    verifier()


def test_lot_sans_modele_et_reference_directe() -> None:
    """Without a model, and through the per-row path (non-canonical spelling), same decisions."""
    ref = REFERENTIELS["93"]
    table = generer_table(300, graine=11, departement="93").drop_columns(["parcours_referent"])
    res = lot.orienter_table(table, "93", ref, False, explications=True)
    assert res.decisions.num_rows == 300
    for ligne, cellules in zip(res.decisions.to_pylist(), table.to_pylist()):
        d = Dossier.depuis_cnaf(ligne_vers_enregistrement(cellules))
        _, _, _, decision = evaluer(d, ref, False)
        _verifier_decision(ligne, decision)
    # spaces around codes and a "+" year are valid but not canonical: per-row path, same result
    cellules = {k: ("" if v is None else v) for k, v in table.slice(0, 1).to_pylist()[0].items()}
    cellules["natlog"] = f"  {cellules['natlog']} " if cellules["natlog"] else ""
    cellules["typefoyer"] = f" {cellules['typefoyer']}"
    res1 = lot.orienter_table({k: [v] for k, v in cellules.items()}, "93", ref, MODELE, explications=True)
    assert res1.chemin_ligne == 0 and res1.rejets == []  # spaces are read exactly as str.strip() does
    cellules["annobtnivdipmax"] = "+" + str(int(cellules["dtnai"][:4]) + 20)
    canon = dict(cellules, annobtnivdipmax=str(int(cellules["dtnai"][:4]) + 20))
    res2 = lot.orienter_table({k: [v] for k, v in cellules.items()}, "93", ref, MODELE, explications=True)
    assert res2.chemin_ligne == 1 and res2.rejets == []
    res3 = lot.orienter_table({k: [v] for k, v in canon.items()}, "93", ref, MODELE, explications=True)
    assert res3.chemin_ligne == 0
    assert res2.decisions.to_pylist() == res3.decisions.to_pylist()
    _proche(json.loads(res2.explications[0]), json.loads(res3.explications[0]))


# --------------------------------------------------------------------------- corrupted cells

_CORRUPTIONS = st.sampled_from([
    "", " ", "-", "9999", "0912", " 0402 ", "0402|0402", "0402||0406", "0402|-", "abc", "1", "0", "2", "+2010",
    "1899", "2101", "2010", "2025-02-30", "2025-13-01", "1900-01-01", "2030-01-01", "25/12/2020", "2020-1-1",
    "ISO", "PAR", "COU", "INS", "NON", "sante|logement", "logement", "4|30", "3|2", "007", "75", "93", "2A",
    "é", "X" * 70, "SYN-1", "a b", "1.5", "0401", "0101", "N", "O", "S", "V", "F", "A",
])
_CLES_CORROMPUES = st.sampled_from(list(CLES))


@REGLAGES
@given(st.lists(st.tuples(dossiers(departement="93"),
                          st.lists(st.tuples(_CLES_CORROMPUES, _CORRUPTIONS), min_size=0, max_size=3)),
                min_size=1, max_size=12))
def test_rejet_si_et_seulement_si_depuis_cnaf_refuse(cas: list[tuple[Dossier, list[tuple[str, str]]]]) -> None:
    ctx = CONTEXTES["93"]
    lignes = []
    for d, corruptions in cas:
        ligne = enregistrement_vers_ligne(d.vers_cnaf())
        for cle, valeur in corruptions:
            ligne[cle] = valeur
        lignes.append(ligne)
    res = lot.traiter_bloc(ctx, _table(lignes), np.arange(2, len(lignes) + 2))
    decisions = {r["ligne"]: r for r in res.decisions.to_pylist()}
    rejets: dict[int, set[str]] = {}
    for r in res.rejets:
        rejets.setdefault(r.ligne, set()).add(r.champ)
    assert len(decisions) + len(rejets) == len(lignes) and not set(decisions) & set(rejets)
    for i, ligne in enumerate(lignes):
        numero = i + 2
        rec = ligne_vers_enregistrement(ligne)
        try:
            dossier = Dossier.depuis_cnaf(rec)
        except DossierInvalide as exc:
            assert numero in rejets, (ligne, exc)
            assert rejets[numero] == {e.champ for e in exc.erreurs}
            continue
        if dossier.departement != "93":
            assert rejets[numero] == {"departement"}
            continue
        assert numero in decisions, (ligne, [r for r in res.rejets if r.ligne == numero])
        _verifier_decision(decisions[numero], evaluer(dossier, REFERENTIELS["93"], MODELE)[3])


# --------------------------------------------------------------------------- files

ENTETE = list(CLES)


def _lignes_valides(n: int, graine: int = 3) -> list[dict[str, str]]:
    t = generer_table(n, graine=graine, departement="93").drop_columns(["parcours_referent"])
    return [{k: ("" if v is None else v) for k, v in r.items()} for r in t.to_pylist()]


def _ecrire_csv(chemin: Path, lignes: list[dict[str, str]], extra: dict[int, str] | None = None) -> None:
    """CSV with raw lines inserted at given positions (0-based index among data lines)."""
    extra = extra or {}
    with chemin.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(ENTETE) + "\n")
        for i, l in enumerate(lignes):
            if i in extra:
                f.write(extra[i] + "\n")
            f.write(",".join(l[k] for k in ENTETE) + "\n")


def _lire_csv(chemin: Path) -> list[dict[str, str]]:
    with chemin.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_fichier_csv_mal_forme(tmp_path: Path) -> None:
    valides = _lignes_valides(40)
    mauvaise_date = dict(valides[5], dtdemrsa="2025-02-30")
    code_inconnu = dict(valides[6], natlog="0999")
    sans_identifiant = dict(valides[7], identifiant="")
    lignes = valides[:5] + [mauvaise_date, code_inconnu, sans_identifiant] + valides[8:]
    guillemets_ok = ",".join(f'"{valides[9][k]}"' for k in ENTETE)  # quoted but valid: decided
    extra = {
        2: 'SYN-X,"93,2025-01-01',  # unclosed quote
        4: "SYN-Y,93,2025-01-01",  # too few columns
        10: guillemets_ok.replace(valides[9]["identifiant"], "SYN-GUILL"),
        12: "",  # blank line: not a row
    }
    chemin = tmp_path / "flux.csv"
    _ecrire_csv(chemin, lignes, extra)
    with chemin.open("ab") as f:
        f.write(b"SYN-BAD\xff,93" + b"," * (len(ENTETE) - 2) + b"\n")  # invalid UTF-8
        f.write(",".join(valides[0][k] for k in ENTETE).encode()[:60])  # truncated last line, no newline
    sortie = tmp_path / "out" / "decisions.csv"
    expl = tmp_path / "out" / "explications.jsonl"
    rapport = lot.traiter_fichier(chemin, "93", sortie, explications=expl, modele=DEMO, progression=False)
    decisions = _lire_csv(sortie)
    rejets = _lire_csv(tmp_path / "out" / "decisions.rejets.csv")
    lignes_rejetees = {int(r["ligne"]) for r in rejets}
    total = len(lignes) + 3 + 2  # valid + invalid rows + 3 extra bad lines + utf8 + truncated
    assert rapport.lignes == total == len(decisions) + len(lignes_rejetees)
    assert rapport.decides == len(decisions) and rapport.rejetes == len(lignes_rejetees)
    assert len(expl.read_text(encoding="utf-8").splitlines()) == len(decisions)
    # line numbers are physical lines of the file (header = 1)
    texte = chemin.read_text(encoding="utf-8", errors="replace").split("\n")
    for r in decisions:
        assert texte[int(r["ligne"]) - 1].split(",")[0].strip('"') == r["identifiant"]
    champs = {(texte[int(r["ligne"]) - 1][:40], r["champ"]) for r in rejets}
    assert any(c == "dtdemrsa" for _, c in champs) and any(c == "natlog" for _, c in champs)
    assert any(c == "identifiant" for _, c in champs)
    raisons = " ".join(r["raison"] for r in rejets)
    assert "guillemets" in raisons and "nombre de colonnes" in raisons and "UTF-8" in raisons
    assert "SYN-GUILL" in {r["identifiant"] for r in decisions}
    assert [int(r["ligne"]) for r in decisions] == sorted(int(r["ligne"]) for r in decisions)
    resume = rapport.resume()
    assert "ligne(s) rejetée(s)" in resume and "dossiers/s" in resume and "Modalités" in resume


def test_fichiers_vides_ou_incomplets(tmp_path: Path) -> None:
    vide = tmp_path / "vide.csv"
    vide.write_text("", encoding="utf-8")
    with pytest.raises(FluxInvalide, match="vide"):
        lot.traiter_fichier(vide, "93", tmp_path / "d.csv", progression=False, modele=DEMO)
    sans_colonne = tmp_path / "sans.csv"
    sans_colonne.write_text("identifiant,dtdemrsa\nA,2025-01-01\n", encoding="utf-8")
    with pytest.raises(FluxInvalide, match="dtnai"):
        lot.traiter_fichier(sans_colonne, "93", tmp_path / "d.csv", progression=False, modele=DEMO)
    assert not (tmp_path / "d.csv").exists()
    entete_seule = tmp_path / "entete.csv"
    entete_seule.write_text(",".join(ENTETE) + "\n", encoding="utf-8")
    r = lot.traiter_fichier(entete_seule, "93", tmp_path / "d.csv", progression=False, modele=DEMO)
    assert r.lignes == 0 and _lire_csv(tmp_path / "d.csv") == []
    inconnu = tmp_path / "flux.xlsx"
    inconnu.write_bytes(b"PK")
    with pytest.raises(FluxInvalide, match="format inconnu"):
        lire_flux(inconnu)
    # the command line prints a clear French error and exits with 2, no traceback
    assert main(["lot", str(sans_colonne), "--departement", "93", "--sortie", str(tmp_path / "x.csv"),
                 "--silencieux"]) == 2


def test_jsonl_et_parquet(tmp_path: Path) -> None:
    valides = _lignes_valides(30, graine=8)
    chemin = tmp_path / "flux.jsonl"
    with chemin.open("w", encoding="utf-8") as f:
        for i, l in enumerate(valides):
            obj: dict[str, Any] = {k: v for k, v in l.items() if v != ""}
            if i == 3:  # JSON arrays for lists, an integer year
                obj["difsoc"] = ["0402", "0406"]
                obj["agesenfants"] = [4, 9]
                obj["annobtnivdipmax"] = 2001
            if i == 4:
                obj["difdisp"] = ["0502 "]  # not plain: per-row path, still valid
            if i == 5:
                obj["autre_colonne"] = "ignorée"
            f.write(json.dumps(obj) + "\n")
            if i == 6:
                f.write("\n")
                f.write('{"identifiant": "SYN-TRONQUE", "dtdemrsa": "2025-0\n')  # truncated line
                f.write("[1, 2]\n")  # not an object
    sortie = tmp_path / "d.csv"
    r = lot.traiter_fichier(chemin, "93", sortie, explications=tmp_path / "e.jsonl", progression=False, modele=DEMO)
    rejets = _lire_csv(tmp_path / "d.rejets.csv")
    assert r.decides == 30 and r.rejetes == 2 and r.lignes == 32
    assert {x["raison"].split(" :")[0] for x in rejets} == {"JSON mal formé", "objet JSON attendu ({...})"}
    assert r.colonnes_ignorees == ["autre_colonne"] and "autre_colonne" in r.resume()
    decisions = _lire_csv(sortie)
    ref = REFERENTIELS["93"]
    for ligne, d in zip(decisions, valides):
        attendu = evaluer(Dossier.depuis_cnaf(ligne_vers_enregistrement(d)), ref, MODELE)[3]
        if d["identifiant"] != valides[3]["identifiant"]:
            assert ligne["modalite"] == attendu.modalite.value
    # Parquet with typed columns: an integer year, a list column
    table = _table(valides).to_pydict()
    table["annobtnivdipmax"] = [int(x) if x else None for x in table["annobtnivdipmax"]]
    table["difsoc"] = [None if x == "" else ([] if x == "-" else x.split("|")) for x in table["difsoc"]]
    pq.write_table(pa.table(table), tmp_path / "flux.parquet")
    r2 = lot.traiter_fichier(tmp_path / "flux.parquet", "93", tmp_path / "p.csv", progression=False, modele=DEMO)
    assert r2.decides == 30 and r2.rejetes == 0
    assert [x["modalite"] for x in _lire_csv(tmp_path / "p.csv")] == [x["modalite"] for x in decisions]


def test_departement_et_colonnes(tmp_path: Path) -> None:
    """No departement column: the lot's; a row of another département is rejected, not mis-decided."""
    valides = _lignes_valides(5, graine=9)
    valides[1]["departement"] = "75"
    chemin = tmp_path / "f.csv"
    _ecrire_csv(chemin, valides)
    r = lot.traiter_fichier(chemin, "93", tmp_path / "d.csv", progression=False, modele=False)
    rejets = _lire_csv(tmp_path / "d.rejets.csv")
    assert r.decides == 4 and [(x["ligne"], x["champ"]) for x in rejets] == [("3", "departement")]
    assert "autre département" in rejets[0]["raison"]
    cols = [k for k in ENTETE if k != "departement"]
    with chemin.open("w", encoding="utf-8") as f:
        f.write(";".join(cols) + "\n")
        for l in valides:
            f.write(";".join(l[k] for k in cols) + "\n")
    r = lot.traiter_fichier(chemin, "93", tmp_path / "d.csv", progression=False, modele=False, ecraser=True)
    assert r.decides == 5 and r.rejetes == 0


def test_processus_paralleles_meme_resultat(tmp_path: Path) -> None:
    """Blocks decided by forked workers give byte-identical outputs, in input order."""
    valides = _lignes_valides(60, graine=12)
    valides[7]["natlog"] = "0999"
    valides[30]["annobtnivdipmax"] = "+2001"  # valid, per-row path
    chemin = tmp_path / "f.csv"
    _ecrire_csv(chemin, valides, {20: "SYN-Z,93"})
    sorties = []
    for processus in (1, 2):
        dossier = tmp_path / f"p{processus}"
        r = lot.traiter_fichier(chemin, "93", dossier / "d.csv", explications=dossier / "e.jsonl",
                                progression=False, modele=DEMO, taille_bloc=7, processus=processus)
        assert r.lignes == 61 and r.rejetes == 2
        sorties.append([(dossier / f).read_bytes() for f in ("d.csv", "e.jsonl", "d.rejets.csv")])
    assert sorties[0] == sorties[1]


# --------------------------------------------------------------------------- streamed reading


def _sorties(dossier: Path) -> list[bytes]:
    return [(dossier / f).read_bytes() for f in ("d.csv", "e.jsonl", "d.rejets.csv")]


def _meme_resultat_par_blocs(chemin: Path, tmp_path: Path, tailles: tuple[int, ...] = (1, 2, 3, 5)) -> lot.Rapport:
    """One block, then tiny blocks (in this process and in 2 workers): byte-identical outputs, same summary."""
    reference = tmp_path / "un_bloc"
    r0 = lot.traiter_fichier(chemin, "93", reference / "d.csv", explications=reference / "e.jsonl",
                             progression=False, modele=DEMO, taille_bloc=1_000_000, processus=1)
    attendu = _sorties(reference)
    for taille in tailles:
        for processus in (1, 2):
            dossier = tmp_path / f"blocs_{taille}_{processus}"
            r = lot.traiter_fichier(chemin, "93", dossier / "d.csv", explications=dossier / "e.jsonl",
                                    progression=False, modele=DEMO, taille_bloc=taille, processus=processus)
            assert _sorties(dossier) == attendu, (taille, processus)
            assert (r.lignes, r.decides, r.rejetes, r.erreurs, r.chemin_ligne, r.par_modalite, r.par_parcours,
                    r.par_origine, r.colonnes_ignorees) == (
                r0.lignes, r0.decides, r0.rejetes, r0.erreurs, r0.chemin_ligne, r0.par_modalite, r0.par_parcours,
                r0.par_origine, r0.colonnes_ignorees)
    return r0


def test_lecture_par_blocs_csv(tmp_path: Path) -> None:
    """Bad lines at and around block boundaries never swallow the next lines; line numbers stay physical."""
    valides = _lignes_valides(14, graine=21)
    valides[3]["natlog"] = "0999"  # field error (per-row path)
    valides[8]["annobtnivdipmax"] = "+2001"  # valid, per-row path
    guillemets = ",".join(f'"{valides[5][k]}"' for k in ENTETE).replace(valides[5]["identifiant"], "SYN-GUILL")
    extra = {0: 'SYN-A,"93,2025-01-01', 2: "SYN-B,93", 3: "", 5: guillemets, 6: "SYN-C,93,,,", 9: "\r",
             10: 'SYN-D,"93"x,2025', 12: ",".join(ENTETE)}  # unclosed quote, too few columns, blank lines...
    chemin = tmp_path / "flux.csv"
    _ecrire_csv(chemin, valides, extra)
    with chemin.open("ab") as f:
        f.write(b"SYN-BAD\xff,93" + b"," * (len(ENTETE) - 2) + b"\r\n")  # invalid UTF-8, CRLF
        f.write(",".join(valides[0][k] for k in ENTETE).encode()[:60])  # truncated last line, no newline
    r = _meme_resultat_par_blocs(chemin, tmp_path)
    assert r.lignes == 14 + 6 + 2 and r.rejetes == 1 + 5 + 2 and r.chemin_ligne >= 1  # natlog, 5 extra, 2 at end
    texte = chemin.read_bytes().decode("utf-8", "replace").split("\n")
    decisions = _lire_csv(tmp_path / "un_bloc" / "d.csv")
    assert "SYN-GUILL" in {x["identifiant"] for x in decisions}
    for x in decisions:
        assert texte[int(x["ligne"]) - 1].split(",")[0].strip('"') == x["identifiant"]
    rejets = _lire_csv(tmp_path / "un_bloc" / "d.rejets.csv")
    for x in rejets:
        if x["identifiant"]:
            assert texte[int(x["ligne"]) - 1].split(",")[0].strip('"') == x["identifiant"]
    assert [int(x["ligne"]) for x in rejets] == sorted(int(x["ligne"]) for x in rejets)
    # with a BOM, CRLF line ends and blank lines before the header: same numbering rules
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(b"\xef\xbb\xbf\r\n\n" + chemin.read_bytes().replace(b"\n", b"\r\n"))
    r2 = _meme_resultat_par_blocs(crlf, tmp_path / "crlf", tailles=(1, 4))
    # (the line "\r" became "\r\r": only one "\r" ends a line, so it is now a row, rejected)
    assert (r2.lignes, r2.decides, r2.rejetes) == (r.lignes + 1, r.decides, r.rejetes + 1)
    premier = _lire_csv(tmp_path / "crlf" / "un_bloc" / "d.csv")[0]
    assert int(premier["ligne"]) == int(decisions[0]["ligne"]) + 2


def test_lecture_par_blocs_jsonl_et_parquet(tmp_path: Path) -> None:
    valides = _lignes_valides(12, graine=22)
    chemin = tmp_path / "flux.jsonl"
    with chemin.open("w", encoding="utf-8") as f:
        for i, l in enumerate(valides):
            obj: dict[str, Any] = {k: v for k, v in l.items() if v != "" and k != "agesenfants"}
            if i == 2:
                obj["difsoc"] = ["0402", "0406"]
                obj["annobtnivdipmax"] = 2001
            if i == 4:
                obj["difdisp"] = ["0502 "]  # not plain: per-row path
            if i in (5, 9):
                obj[f"autre_{i}"] = "ignorée"
            f.write(json.dumps(obj, ensure_ascii=i % 2 == 0) + "\n")
            if i == 6:
                f.write("\n")
                f.write('{"identifiant": "SYN-TRONQUE", "dtdemrsa": "2025-0\n')
                f.write("[1, 2]\n")
    r = _meme_resultat_par_blocs(chemin, tmp_path / "jsonl")
    assert r.decides == 12 and r.rejetes == 2 and r.colonnes_ignorees == ["autre_5", "autre_9"]
    # no object has "agesenfants": the column is absent in every block, as when the file is read whole
    assert "agesenfants" not in ouvrir_flux(chemin).colonnes
    # Parquet with typed columns, small row groups
    table = _table(valides).to_pydict()
    table["annobtnivdipmax"] = [int(x) if x else None for x in table["annobtnivdipmax"]]
    table["difsoc"] = [None if x == "" else ([] if x == "-" else x.split("|")) for x in table["difsoc"]]
    table["difsoc"][3] = ["0402", "0402"]  # duplicate code: rejected by the per-row path
    table["hors_format"] = ["x"] * len(valides)
    pq.write_table(pa.table(table), tmp_path / "flux.parquet", row_group_size=5)
    r2 = _meme_resultat_par_blocs(tmp_path / "flux.parquet", tmp_path / "parquet", tailles=(1, 3, 7))
    assert r2.lignes == 12 and r2.rejetes == 1 and r2.colonnes_ignorees == ["hors_format"]


def test_chemin_qui_n_est_pas_un_fichier(tmp_path: Path) -> None:
    """A directory or a device is a clear French error, not « fichier introuvable »."""
    repertoire = tmp_path / "flux.csv"
    repertoire.mkdir()
    for chemin in (repertoire, Path("/dev/null")):
        with pytest.raises(FluxInvalide, match="pas un fichier ordinaire"):
            lot.traiter_fichier(chemin, "93", tmp_path / "d.csv", progression=False, modele=DEMO)
    assert not (tmp_path / "d.csv").exists()
    with pytest.raises(FileNotFoundError):
        lire_flux(tmp_path / "absent.csv")
    assert main(["lot", "/dev/null", "--departement", "93", "--sortie", str(tmp_path / "x.csv"),
                 "--silencieux"]) == 2


def test_sans_explications_avec_chemin_ligne(tmp_path: Path) -> None:
    """Without explanations, a block mixing both paths is decided (it used to fail on the texts' order)."""
    valides = _lignes_valides(6, graine=23)
    valides[2]["annobtnivdipmax"] = "+2001"  # valid, per-row path
    chemin = tmp_path / "f.csv"
    _ecrire_csv(chemin, valides)
    r = lot.traiter_fichier(chemin, "93", tmp_path / "d.csv", progression=False, modele=DEMO)
    assert r.decides == 6 and r.chemin_ligne == 1
