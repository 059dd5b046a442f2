"""``orientation audit --etiquettes``: labels joined on (identifiant, date de demande), never to the wrong request."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.analyse.audit import auditer, lire_etiquettes
from orientation.cli import main
from orientation.erreurs import OrientationError
from orientation.modele import synthetique as syn
from tests.test_analyse import _ecrire, _lire

EXEMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def deux_demandes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(labelled export, same flux without labels, labels file with dtdemrsa, shuffled): every person asks twice.

    Rows 2k and 2k+1 share an identifiant and have two different dates de demande (and often two
    different referents' routes).
    """
    d = tmp_path_factory.mktemp("etiquettes")
    lignes = _lire(syn.ecrire_csv(d / "brut.csv", 1200, graine=7))
    entete, corps = lignes[0], lignes[1:]
    i_id, i_dem, i_lab = (entete.index(k) for k in ("identifiant", "dtdemrsa", "parcours_referent"))
    for k in range(0, len(corps) - 1, 2):
        corps[k + 1][i_id] = corps[k][i_id]
        if corps[k + 1][i_dem] == corps[k][i_dem]:
            corps[k + 1][i_dem] = corps[k + 1][i_dem][:8] + ("01" if corps[k][i_dem][8:] != "01" else "02")
    export = _ecrire(d / "export.csv", [entete, *corps])
    sans = [[c for j, c in enumerate(l) if j != i_lab] for l in [entete, *corps]]
    flux = _ecrire(d / "flux.csv", sans)
    etiquettes = [[l[i_id], l[i_dem], l[i_lab]] for l in reversed(corps)]
    labels = _ecrire(d / "etiquettes.csv", [["identifiant", "dtdemrsa", "parcours_referent"], *etiquettes])
    return export, flux, labels


def test_deux_demandes_une_etiquette_chacune(deux_demandes: tuple[Path, Path, Path]) -> None:
    """Joined on (identifiant, dtdemrsa), the labels give the same figures as the labels in the file itself."""
    export, flux, labels = deux_demandes
    reference = auditer(export, "93", modele="demo")
    joint = auditer(flux, "93", modele="demo", etiquettes=labels)
    assert reference.figures["ensemble"]["etiquetes"] == 1200
    assert reference.figures["ensemble"]["accord_directes"]["n"] > 0
    assert joint.figures == reference.figures
    assert joint.avertissements == []


def test_sans_date_jointure_sur_l_identifiant_avec_avertissement(deux_demandes: tuple[Path, Path, Path],
                                                                 tmp_path: Path) -> None:
    """Without dtdemrsa: identifiant alone, a warning, and no label for a person with two requests (ambiguous)."""
    export, flux, labels = deux_demandes
    lignes = _lire(labels)
    vus: set[str] = set()
    uniques = [["identifiant", "parcours_referent"]]
    for ident, _, lab in lignes[1:]:
        if ident not in vus:
            vus.add(ident)
            uniques.append([ident, lab])
    sans_date = _ecrire(tmp_path / "etiquettes.csv", uniques)
    r = auditer(flux, "93", modele="demo", etiquettes=sans_date)
    assert r.figures["ensemble"]["etiquetes"] == 0  # every person of this flux asked twice: none is labelled
    assert any("dtdemrsa" in a and "identifiant seul" in a for a in r.avertissements)
    assert any(a.startswith("1200 dossier(s)") for a in r.avertissements)
    assert r.texte().startswith("Attention : ") and r.en_dict()["avertissements"] == r.avertissements


def test_avertissement_sans_ambiguite(tmp_path: Path) -> None:
    flux = EXEMPLES / "flux_exemple.csv"
    ids = [l[0] for l in _lire(flux)[1:]]
    assert len(set(ids)) == len(ids)
    labels = _ecrire(tmp_path / "e.csv", [["identifiant", "parcours_referent"]] + [[i, "social"] for i in ids])
    r = auditer(flux, "93", modele=False, etiquettes=labels)
    assert r.figures["ensemble"]["etiquetes"] == r.figures["ensemble"]["n"] > 0
    assert len(r.avertissements) == 1 and "identifiant seul" in r.avertissements[0]


@pytest.mark.parametrize("lignes, attendus", [
    ([["A1", "2025-01-02", "social"], ["A2", "2025-01-02", "social"], ["A1", "2025-01-02", "professionnel"]],
     ["lignes 2, 4 : même identifiant et même date de demande"]),
    ([["A1", "2025-01-02", "social"], ["A1", "2025-02-02", "social"], ["A1", "2025-01-02", "social"],
      ["B", "2025-13-01", "social"], ["", "2025-01-02", "social"], ["C", "2025-01-02", "travail"]],
     ["ligne 5 : dtdemrsa « 2025-13-01 » invalide", "ligne 6 : identifiant vide", "ligne 7 : parcours_referent « travail » inconnu",
      "lignes 2, 4 : même identifiant"]),
])
def test_fichier_d_etiquettes_refuse_en_nommant_les_lignes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           lignes: list[list[str]], attendus: list[str]) -> None:
    labels = _ecrire(tmp_path / "e.csv", [["identifiant", "dtdemrsa", "parcours_referent"], *lignes])
    assert main(["audit", str(EXEMPLES / "flux_exemple.csv"), "--departement", "93", "--sans-modele",
                 "--etiquettes", str(labels)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"Erreur : Fichier d'étiquettes {labels} refusé") and "Traceback" not in err
    for attendu in attendus:
        assert attendu in err, (attendu, err)


def test_doublons_sans_date(tmp_path: Path) -> None:
    labels = _ecrire(tmp_path / "e.csv", [["parcours_referent", "identifiant"], ["social", "A"], ["", "B"], ["pro", "A"]])
    with pytest.raises(OrientationError, match=r"lignes 2, 4 : même identifiant \(une seule"):
        lire_etiquettes(labels)


@pytest.mark.parametrize("contenu, attendu", [
    (b"identifiant;parcours_referent\nA;social\n", "colonne(s) absente(s) : identifiant, parcours_referent"),
    (b"identifiant,identifiant,parcours_referent\n", "colonne(s) en double : identifiant"),
    (b"identifiant,parcours_referent\nA,soci\xe9\n", "illisible en utf-8"),
    (b"", "colonne(s) absente(s)"),
])
def test_fichier_d_etiquettes_illisible(tmp_path: Path, contenu: bytes, attendu: str) -> None:
    (tmp_path / "e.csv").write_bytes(contenu)
    with pytest.raises(OrientationError, match=re.escape(attendu)):
        lire_etiquettes(tmp_path / "e.csv")


def test_bom_et_encodage(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes("\ufeffidentifiant,dtdemrsa,parcours_referent\nÉ1,2025-01-02,social\n".encode())
    assert lire_etiquettes(tmp_path / "e.csv").parcours == {("É1", "2025-01-02"): "social"}
    (tmp_path / "w.csv").write_bytes("identifiant,parcours_referent\nÉ1,pro\n".encode("windows-1252"))
    e = lire_etiquettes(tmp_path / "w.csv", "windows-1252")
    assert e.parcours == {("É1", None): "pro"} and not e.avec_date
    with pytest.raises(OrientationError, match="encodage « klingon » inconnu"):
        lire_etiquettes(tmp_path / "w.csv", "klingon")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.dates(date(2024, 1, 1), date(2024, 1, 5)),
                          st.sampled_from(["professionnel", "socio_professionnel", "social", ""])),
                unique_by=lambda t: (t[0], t[1]), max_size=12),
       st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "E"]), st.dates(date(2024, 1, 1), date(2024, 1, 5))),
                max_size=12),
       st.randoms(use_true_random=False))
def test_jointure_propriete(etiquettes: list[tuple[str, date, str]], flux: list[tuple[str, date]], hasard: Any) -> None:
    """Each flux row gets exactly the label of its (identifiant, date de demande), whatever the order of the file."""
    import tempfile

    melange = list(etiquettes)
    hasard.shuffle(melange)
    with tempfile.TemporaryDirectory() as d:
        labels = _ecrire(Path(d) / "e.csv", [["dtdemrsa", "parcours_referent", "identifiant"]]
                         + [[j.isoformat(), lab, i] for i, j, lab in melange])
        lues = lire_etiquettes(labels)
    attendu = {(i, j.isoformat()): lab or None for i, j, lab in etiquettes}
    obtenu, avis = lues.joindre([i for i, _ in flux], [j.isoformat() for _, j in flux])
    assert obtenu == [attendu.get((i, j.isoformat())) for i, j in flux] and avis == []
