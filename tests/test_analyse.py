"""Analysts on real data: training contract, model card, comparison, whole-chain audit, drift."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.analyse.audit import MODALITES, _figures, auditer
from orientation.analyse.contrat import ATTENDUES, FACULTATIVES, lire_donnees_entrainement, tableau_contrat
from orientation.analyse.derive import avertissement_lot, mesurer
from orientation.analyse.entrainement import entrainer_fichier, lire_seuils
from orientation.cli import main
from orientation.modele import caracteristiques as car
from orientation.modele import profil as prof
from orientation.modele import synthetique as syn
from orientation.modele.carte import caracteristiques_utilisees
from orientation.modele.metriques import indice_stabilite, intervalle_wilson
from orientation.modele.modele import ModeleOrientation

N = 3000
DSP_RETIREES = ["difsocpro", "freinform", "topcompeextrapro"]


def _lire(chemin: Path) -> list[list[str]]:
    with chemin.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _ecrire(chemin: Path, lignes: list[list[str]]) -> Path:
    with chemin.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(lignes)
    return chemin


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A labelled export (synthetic) with the optional columns of the referent workspace."""
    dossier = tmp_path_factory.mktemp("export")
    lignes = _lire(syn.ecrire_csv(dossier / "brut.csv", N, graine=4))
    entete = lignes[0] + ["date_decision", "parcours_recommande", "regle_decisive"]
    sortie = [entete]
    for i, l in enumerate(lignes[1:]):
        jour = f"2025-{1 + i * 12 // N:02d}-{1 + i % 28:02d}"
        reco = l[entete.index("parcours_referent")] if i % 5 else "professionnel"
        sortie.append(l + [jour, reco, "g93_defaut" if i % 2 else "primo_demandeur"])
    return _ecrire(dossier / "export.csv", sortie)


@pytest.fixture(scope="module")
def modele_entraine(export, tmp_path_factory) -> Path:
    sortie = tmp_path_factory.mktemp("modeles") / "essai"
    assert main(["entrainer", str(export), "--sortie", str(sortie), "--accord-cible", "0.9",
                 "--seuil-recurrence", "5"]) == 0
    return sortie


# --------------------------------------------------------------------------- contract


def test_colonnes_dsp_absentes_nommees(export, tmp_path, capsys) -> None:
    lignes = _lire(export)
    garder = [i for i, k in enumerate(lignes[0]) if k not in DSP_RETIREES]
    defaut = _ecrire(tmp_path / "sans_dsp.csv", [[l[i] for i in garder] for l in lignes])
    assert main(["entrainer", str(defaut), "--sortie", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert all(k in err for k in DSP_RETIREES) and "--autoriser-colonnes-manquantes" in err
    assert "Traceback" not in err and not (tmp_path / "m").exists()
    # explicitly allowed: trains, and says so
    lues = lire_donnees_entrainement(defaut, autoriser_manquantes=DSP_RETIREES)
    assert lues.preparees.n == N and sorted(lues.manquantes_autorisees) == sorted(DSP_RETIREES)
    assert "Colonnes absentes autorisées" in lues.resume()


def test_etiquette_vide_rejetee_le_reste_entraine(export, tmp_path, capsys) -> None:
    lignes = _lire(export)
    entete = lignes[0] + ["commentaire_libre"]
    lignes = [entete] + [l + ["x"] for l in lignes[1:]]
    lignes[3][entete.index("parcours_referent")] = ""  # physical line 4 of the file
    lignes[7][entete.index("natlog")] = "9999"  # line 8
    lignes[9][entete.index("date_decision")] = "2025-02-30"  # line 10
    defaut = _ecrire(tmp_path / "defauts.csv", lignes)
    sortie = tmp_path / "m"
    assert main(["entrainer", str(defaut), "--sortie", str(sortie), "--accord-cible", "0.9"]) == 0
    out = capsys.readouterr().out
    assert f"{N - 3:,}".replace(",", "\u202f") + " retenue(s)" in out and "3 rejetée(s)" in out
    assert "Colonnes inconnues ignorées (hors contrat) : commentaire_libre." in out
    rejets = _lire(tmp_path / "m.rejets.csv")
    assert rejets[0] == ["ligne", "identifiant", "champ", "valeur", "raison"]
    par_ligne = {r[0]: r for r in rejets[1:]}
    assert par_ligne["4"][2:4] == ["parcours_referent", ""] and "manquant" in par_ligne["4"][4]
    assert par_ligne["8"][2:4] == ["natlog", "9999"] and "code inconnu" in par_ligne["8"][4]
    assert par_ligne["10"][2:4] == ["date_decision", "2025-02-30"]
    assert par_ligne["4"][1] == lignes[3][0]  # the identifier of the row
    manifeste = json.loads((sortie / "manifeste.json").read_text(encoding="utf-8"))
    assert manifeste["entrainement"]["n_dossiers"] == N - 3


def test_etiquettes_en_json_lines_comme_en_csv(export, tmp_path, capsys) -> None:
    """A labelled export in JSON Lines reads, validates and trains as the same export in CSV (lines shifted by
    the CSV header); a key absent from an object is an empty cell, a non-text label is shown as JSON."""
    from orientation.analyse.contrat import ContratInvalide

    lignes = _lire(export)[:801]
    entete = lignes[0] + ["commentaire_libre"]
    rangs = [l + ["x"] for l in lignes[1:]]
    e, d = entete.index("parcours_referent"), entete.index("date_decision")
    rangs[2][e] = ""  # CSV line 4, JSON Lines line 3: label missing (key absent from the object)
    rangs[5][e] = "3"  # CSV "3", JSON number 3: unknown route
    rangs[8][d] = "2025-02-30"  # impossible date
    rangs[11][entete.index("natlog")] = "9999"  # unknown code
    objets = []
    for i, r in enumerate(rangs):
        o: dict = dict(zip(entete, r))
        if i == 2:
            del o["parcours_referent"]
        if i == 5:
            o["parcours_referent"] = 3
        objets.append(o)
    csv_ = _ecrire(tmp_path / "export.csv", [entete, *rangs])
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objets), encoding="utf-8")
    lc, lj = lire_donnees_entrainement(csv_), lire_donnees_entrainement(jsonl)
    assert lj.preparees.n == lc.preparees.n == 800 - 4
    assert np.array_equal(lj.preparees.X, lc.preparees.X) and np.array_equal(lj.preparees.y, lc.preparees.y)
    assert np.array_equal(lj.preparees.dates, lc.preparees.dates)
    assert [(r.ligne + 1, r.identifiant, r.champ, str(r.valeur), r.raison) for r in lj.rejets] == [
        (r.ligne, r.identifiant, r.champ, str(r.valeur), r.raison) for r in lc.rejets]
    assert {(r.ligne, r.champ, str(r.valeur)) for r in lj.rejets} == {
        (3, "parcours_referent", ""), (6, "parcours_referent", "3"), (9, "date_decision", "2025-02-30"),
        (12, "natlog", "9999")}
    assert lj.colonnes_facultatives == lc.colonnes_facultatives == ["date_decision", "parcours_recommande",
                                                                    "regle_decisive"]
    assert lj.colonnes_inconnues == lc.colonnes_inconnues == ["commentaire_libre"]
    assert lj.colonnes == lc.colonnes
    # through the command: trains, the model records its JSON Lines source
    sortie = tmp_path / "m"
    assert main(["entrainer", str(jsonl), "--sortie", str(sortie), "--accord-cible", "0.9",
                 "--seuil-recurrence", "5"]) == 0
    assert "4 rejetée(s)" in capsys.readouterr().out
    assert json.loads((sortie / "manifeste.json").read_text(encoding="utf-8"))["entrainement"]["n_dossiers"] == 796
    # no object carries the label: the file is refused, naming the key
    sans = tmp_path / "sans.jsonl"
    sans.write_text("".join(json.dumps({k: v for k, v in o.items() if k != "parcours_referent"}) + "\n"
                            for o in objets[:20]), encoding="utf-8")
    with pytest.raises(ContratInvalide, match="clé « parcours_referent » absente"):
        lire_donnees_entrainement(sans)


def test_contrat_documente() -> None:
    colonnes = {l["colonne"] for l in tableau_contrat()}
    assert {"parcours_referent", *FACULTATIVES, *ATTENDUES, "identifiant", "dtnai"} <= colonnes
    assert {"difsocpro", "freinform", "topcompeextrapro", "sexe"} <= set(ATTENDUES)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{k}`" in readme for k in ["parcours_referent", *FACULTATIVES])


def test_seuils_a_la_main() -> None:
    assert lire_seuils("professionnel=0.9, social=jamais") == {"professionnel": 0.9, "social": None}
    for faux in ("pro=0.9", "professionnel=1.5", "social", "professionnel=abc"):
        with pytest.raises(ValueError, match="--seuils"):
            lire_seuils(faux)


def test_decoupage_par_date_et_seuils(export, tmp_path) -> None:
    r = entrainer_fichier(export, tmp_path / "d", decoupage="date", accord_cible=0.9,
                          seuils={"professionnel": 0.8, "social": None})
    e = r.modele.entrainement
    assert e["decoupage"] == "date" and e["periodes"]["entrainement"][1] <= e["periodes"]["test"][0]
    assert r.modele.manifeste["seuils"]["professionnel"] == 0.8 and r.modele.manifeste["seuils"]["social"] is None
    assert "fixés à la main" in r.resume()
    sans_date = tmp_path / "sans_date.csv"
    lignes = _lire(export)
    j = lignes[0].index("date_decision")
    _ecrire(sans_date, [l[:j] + l[j + 1:] for l in lignes])
    assert main(["entrainer", str(sans_date), "--sortie", str(tmp_path / "x"), "--decoupage", "date"]) == 2


# --------------------------------------------------------------------------- model card and comparison


def test_carte_du_modele(modele_entraine) -> None:
    html = (modele_entraine / "carte.html").read_text(encoding="utf-8")
    md = (modele_entraine / "carte.md").read_text(encoding="utf-8")
    for attendu in ("Données et période", "SYNTHÉTIQUES", "Variables utilisées", "JAMAIS", "Calibration",
                    "Matrice de confusion", "Erreur grave", "Par parcours du référent", "Par sexe", "Par tranche d'âge",
                    "Par type de foyer", "Par département", "IC 95 %", "Corrections des référents", "Limites"):
        assert attendu in html and attendu in md, attendu
    # self-contained: inline SVG, no script, no external resource (only XML namespaces name a URL)
    assert html.count("<svg") >= 3 and "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html
    m = ModeleOrientation.charger(modele_entraine)
    c = m.carte
    conf = np.array(c["confusion"]["effectifs"])
    assert conf.sum() == c["n_test"] == m.metriques["test"]["n"]
    assert conf[:, :3].sum() == m.metriques["test"]["n_decides"]  # decided = every column but abstention
    graves = c["erreurs_graves"]["social_vers_professionnel"]
    assert graves["nombre"] == conf[2, 0] and graves["parmi"] == conf[2].sum()
    for bloc in c["par_groupe"].values():
        assert sum(g["n"] for g in bloc["groupes"]) == c["n_test"]
        for g in bloc["groupes"]:
            cv = g["couverture"]
            assert cv["ic_bas"] <= cv["valeur"] <= cv["ic_haut"]
    # override rates from the optional columns: every 5th row was recommended "professionnel"
    corr = c["informations"]["corrections"]
    assert corr["ensemble"]["n"] == N and set(corr["regle_decisive"]) == {"g93_defaut", "primo_demandeur"}
    assert m.profil_entrainement["n"] == N


def test_jamais_sexe_ni_nationalite_en_variable() -> None:
    colonnes = {v["colonne"] for v in caracteristiques_utilisees()}
    assert not colonnes & {"sexe", "nati"} and not {c.cle_cnaf for c in car.SCHEMA} & car.ATTRIBUTS_PROTEGES


def test_comparaison_sur_les_memes_donnees(modele_entraine, export, capsys) -> None:
    assert main(["modele", "carte", str(modele_entraine), "--comparer-a", "demo", "--donnees", str(export)]) == 0
    assert "sur les mêmes dossiers" in capsys.readouterr().out
    html = (modele_entraine / "carte.html").read_text(encoding="utf-8")
    assert "Comparaison" in html and "MÊMES données" in html and "jeu de test du modèle" in html
    assert main(["modele", "carte", str(modele_entraine), "--comparer-a", "demo"]) == 0
    assert "pas comparables au sens strict" in (modele_entraine / "carte.md").read_text(encoding="utf-8")
    assert main(["modele", "carte", str(modele_entraine), "--donnees", str(export)]) == 2


def test_carte_jamais_ecrite_dans_les_donnees_livrees(tmp_path, capsys) -> None:
    """« modele carte demo » refuses to write into the bundled model (read-only or shared); --sortie writes elsewhere."""
    from orientation.donnees import chemin_modele, dans_les_donnees_livrees

    demo = chemin_modele("demo")
    avant = {f.name: f.read_bytes() for f in demo.iterdir() if f.is_file()}
    for cible in (["demo"], [str(demo)], ["demo", "--sortie", str(demo / "sous_dossier")]):
        assert main(["modele", "carte", *cible]) == 2
        err = capsys.readouterr().err
        assert "données livrées" in err and "--sortie DOSSIER" in err and "Traceback" not in err, cible
    assert {f.name: f.read_bytes() for f in demo.iterdir() if f.is_file()} == avant
    assert not (demo / "sous_dossier").exists()
    assert dans_les_donnees_livrees(demo) and not dans_les_donnees_livrees(tmp_path)
    sortie = tmp_path / "cartes" / "demo"  # created
    assert main(["modele", "carte", "demo", "--comparer-a", "demo", "--sortie", str(sortie)]) == 0
    assert str(sortie / "carte.html") in capsys.readouterr().out
    assert sorted(p.name for p in sortie.iterdir()) == ["carte.html", "carte.md"]
    assert "Comparaison" in (sortie / "carte.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- whole-chain audit


def test_figures_audit_calculees_a_la_main() -> None:
    # 6 dossiers: modalities rdv, examen, directe, directe, directe, examen
    modalite = np.array([0, 1, 2, 2, 2, 1])
    parcours = np.array([-1, 1, 0, 0, 2, -1])  # routes decided directly: pro, pro, social
    etiq = np.array([2, 1, 0, 2, 2, -1])  # row 3: social per the referent, sent to pro directly (harmful)
    groupes = {"sexe": np.array(["femme", "femme", "femme", "homme", "homme", "homme"], dtype=object)}
    f = _figures(modalite, parcours, etiq, groupes)
    e = f["ensemble"]
    assert e["n"] == 6 and [e["modalites"][m]["k"] for m in MODALITES] == [1, 2, 3]
    assert e["accord_directes"]["k"] == 2 and e["accord_directes"]["n"] == 3 and e["erreurs_graves"] == 1
    femme, homme = f["par_groupe"]["sexe"]["groupes"]
    assert (femme["groupe"], femme["n"], femme["modalites"]["orientation_directe"]["k"]) == ("femme", 3, 1)
    assert femme["accord_directes"]["valeur"] == 1.0 and femme["erreurs_graves"] == 0
    assert homme["modalites"]["orientation_directe"]["valeur"] == pytest.approx(2 / 3)
    assert (homme["accord_directes"]["k"], homme["accord_directes"]["n"], homme["erreurs_graves"]) == (1, 2, 1)


def test_audit_chaine_complete_comme_lot(export, modele_entraine, tmp_path, capsys) -> None:
    r = auditer(export, "93", modele=modele_entraine)
    assert main(["lot", str(export), "--departement", "93", "--modele", str(modele_entraine), "--sortie",
                 str(tmp_path / "d.csv"), "--silencieux"]) == 0
    capsys.readouterr()
    with (tmp_path / "d.csv").open(encoding="utf-8") as f:
        lot = pd.Series([l["modalite"] for l in csv.DictReader(f)]).value_counts()
    e = r.figures["ensemble"]
    assert {m: e["modalites"][m]["k"] for m in MODALITES} == {m: int(lot.get(m, 0)) for m in MODALITES}
    assert e["etiquetes"] == N and e["accord_directes"]["n"] == e["modalites"]["orientation_directe"]["k"]
    assert r.corrections is not None and r.corrections["ensemble"]["n"] == N
    assert main(["audit", str(export), "--departement", "93", "--modele", str(modele_entraine), "--sortie",
                 str(tmp_path / "audit.json")]) == 0
    texte = capsys.readouterr().out
    assert "Par sexe" in texte and "orientation directe" in texte and "[" in texte
    assert json.loads((tmp_path / "audit.json").read_text())["ensemble"]["n"] == e["n"]


# --------------------------------------------------------------------------- drift


def test_indice_de_stabilite_a_la_main() -> None:
    attendu = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert indice_stabilite([50, 50], [25, 75]) == pytest.approx(attendu)
    assert indice_stabilite([10, 10, 0], [10, 10, 0]) == 0.0
    assert prof.niveau_psi(0.05) == "stable" and prof.niveau_psi(0.2) == "modérée" and prof.niveau_psi(0.3) == "importante"
    bas, haut = intervalle_wilson(0, 10)
    assert bas == 0.0 and haut == pytest.approx(1.96 ** 2 / (10 + 1.96 ** 2), abs=1e-3)


def test_derive_sur_un_profil_construit() -> None:
    X = car.vectoriser_colonnes(syn.generer_colonnes(400, graine=8))
    profil = prof.profil_donnees(X, 0.1)
    assert prof.derive(profil, X)["psi_max"] == pytest.approx(0.0)
    # every dossier becomes a couple: composition shifts from the training shares to (0, 0, 1)
    Y = X.copy()
    cols = car.COLONNES_GROUPE["composition"]
    Y[:, cols] = 0
    Y[:, cols[2]] = 1
    attendu = sum((o - a) * math.log(o / a) for a, o in zip(
        [max(c / 400, 1e-4) for c in X[:, cols].sum(axis=0)], [1e-4, 1e-4, 1.0]))
    d = prof.derive(profil, Y)
    assert d["psi"]["composition"] == pytest.approx(attendu) and d["niveau"] == "importante"
    assert d["groupe_max"] == "composition" and "Dérive importante" in d["verdict"] and prof.alerte(d)


def test_derive_flux_et_avertissement_du_lot(modele_entraine, export, tmp_path, capsys) -> None:
    m = ModeleOrientation.charger(modele_entraine)
    stable = mesurer(Path(__file__).resolve().parents[1] / "examples" / "flux_exemple.csv", m)
    assert stable["niveau"] == "stable" and stable["part_profils_inconnus"] is not None
    lignes = _lire(export)
    j = lignes[0].index("natlog")
    derive = _ecrire(tmp_path / "derive.csv", [lignes[0]] + [l[:j] + ["0912"] + l[j + 1:] for l in lignes[1:400]])
    d = mesurer(derive, m)
    assert d["niveau"] == "importante" and d["groupe_max"] == "logement"
    assert main(["derive", str(derive), "--modele", str(modele_entraine)]) == 0
    assert "Dérive importante" in capsys.readouterr().out
    assert main(["lot", str(derive), "--departement", "93", "--modele", str(modele_entraine), "--sortie",
                 str(tmp_path / "d.csv"), "--silencieux"]) == 0
    assert "ATTENTION (dérive" in capsys.readouterr().out
    assert avertissement_lot(export, m) is None  # its own training data: no warning


# --------------------------------------------------------------------------- tabular inputs


@settings(max_examples=5, deadline=None)
@given(graine=st.integers(0, 10_000), n=st.integers(1, 60))
def test_vectoriser_colonnes_dataframe_dict_arrow(graine: int, n: int) -> None:
    colonnes = syn.generer_colonnes(n, graine=graine)
    X = car.vectoriser_colonnes(colonnes)
    df = pd.DataFrame(colonnes).replace("", np.nan)
    table = pa.table({k: pa.array(list(v), pa.string()) for k, v in colonnes.items()})
    for forme in (df, {k: list(v) for k, v in colonnes.items()}, table, table.to_batches()[0],
                  {k: pd.Series(v) for k, v in colonnes.items()}):
        assert np.array_equal(car.vectoriser_colonnes(forme), X)
