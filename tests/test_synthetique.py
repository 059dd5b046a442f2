"""Synthetic generator: determinism, consistency of every output form, public figures, correlations."""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pytest

from orientation.modele import synthetique as syn
from orientation.dossier.cnaf import CLES
from orientation.dossier.schema import Dossier
from orientation.dossier.tabulaire import enregistrement_vers_ligne
from orientation.vocabulaire import Parcours

N_FIGURES = 30_000


@pytest.fixture(scope="module")
def grand() -> dict[str, np.ndarray]:
    return syn.generer_colonnes(N_FIGURES, graine=11, avec_politique=True)


def _age(col: dict[str, np.ndarray]) -> np.ndarray:
    dem = [date.fromisoformat(x) for x in col["dtdemrsa"]]
    nai = [date.fromisoformat(x) for x in col["dtnai"]]
    return np.array([d.year - n.year - ((d.month, d.day) < (n.month, n.day)) for d, n in zip(dem, nai)])


def _a(col: dict[str, np.ndarray], cle: str, code: str) -> np.ndarray:
    return np.array([code in x.split("|") for x in col[cle]])


def test_determinisme_et_graine() -> None:
    a = syn.generer_colonnes(1500, graine=4)
    b = syn.generer_colonnes(1500, graine=4)
    c = syn.generer_colonnes(1500, graine=5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["dtnai"], c["dtnai"])
    assert list(a) == list(CLES) + [syn.COLONNE_PARCOURS]


def test_dossiers_colonnes_et_enregistrements_coincident() -> None:
    n = 700
    col = syn.generer_colonnes(n, graine=2, departement="91")
    paires = syn.generer(n, graine=2, departement="91")
    assert len(paires) == n
    for i, (d, p) in enumerate(paires):
        assert isinstance(d, Dossier) and isinstance(p, Parcours)
        assert enregistrement_vers_ligne(d.vers_cnaf()) == {k: col[k][i] for k in CLES}
        assert p.value == col[syn.COLONNE_PARCOURS][i]
    lignes = list(syn.generer_enregistrements(n, graine=2, departement="91"))
    assert lignes[5] == {k: str(col[k][5]) for k in col}


def test_construction_sans_validation_identique() -> None:
    a = syn.generer(1200, graine=8)
    b = syn.generer(1200, graine=8, valider=False)
    assert a == b
    for (x, _), (y, _) in zip(a, b):
        assert x.model_dump(exclude_unset=True) == y.model_dump(exclude_unset=True)


def test_table_pyarrow_et_csv(tmp_path) -> None:
    col = syn.generer_colonnes(900, graine=3)
    table = syn.generer_table(900, graine=3)
    for k in col:
        assert [v or "" for v in table[k].to_pylist()] == list(col[k])
    chemin = syn.ecrire_csv(tmp_path / "d.csv", 900, graine=3)
    relu = syn.lire_csv(chemin)
    assert {k: list(v) for k, v in col.items()} == relu
    assert hashlib.sha256(chemin.read_bytes()).hexdigest() == hashlib.sha256(syn.texte_csv(col).encode()).hexdigest()


def test_identifiants_synthetiques_uniques(grand) -> None:
    ids = grand["identifiant"]
    assert all(i.startswith(syn.PREFIXE_SYNTHETIQUE) for i in ids)
    assert len(set(ids)) == len(ids)


def test_chiffres_publics(grand) -> None:
    col = grand
    part = lambda cle, v: float(np.mean(col[cle] == v))  # noqa: E731
    assert part("typefoyer", "ISO") == pytest.approx(0.556, abs=0.015)
    assert part("typefoyer", "PAR") == pytest.approx(0.321, abs=0.015)
    assert part("typefoyer", "COU") == pytest.approx(0.123, abs=0.01)
    assert np.mean(col["sexe"][col["typefoyer"] == "PAR"] == "2") == pytest.approx(0.92, abs=0.015)
    assert part("sexe", "2") == pytest.approx(0.54, abs=0.015)
    age = _age(col)
    assert np.mean((age >= 30) & (age < 50)) == pytest.approx(0.52, abs=0.02)
    assert np.mean((age >= 25) & (age < 50)) > 0.6
    assert age.min() >= 18
    sante = (_a(col, "difsoc", "0402") | _a(col, "difdisp", "0508") | _a(col, "difsocpro", "2101")
             | _a(col, "freinform", "2305"))
    assert sante.mean() == pytest.approx(0.29, abs=0.02)
    assert part("toppersdrodevorsa", "1") == pytest.approx(0.97, abs=0.006)
    assert 0.35 <= part("topprimodemandeur", "1") <= 0.45
    assert part(syn.COLONNE_PARCOURS, "professionnel") == pytest.approx(0.40, abs=0.025)
    assert 1 - part(syn.COLONNE_PARCOURS, "professionnel") == pytest.approx(0.60, abs=0.025)
    assert min(part(syn.COLONNE_PARCOURS, p.value) for p in Parcours) > 0.2


def test_desaccord_des_referents_realiste(grand) -> None:
    desaccord = np.mean(grand[syn.COLONNE_PARCOURS] != grand[syn.COLONNE_POLITIQUE])
    assert 0.08 <= desaccord <= 0.12


def test_reponses_non_renseignees(grand) -> None:
    from orientation.dossier import codes

    vides = np.mean([np.mean(grand[c.cnaf] == "") for c in codes.CHAMPS])
    assert 0.05 <= vides <= 0.20
    for c in codes.CHAMPS:  # every DSP question is sometimes unanswered, none always
        assert 0.0 < np.mean(grand[c.cnaf] == "") < 0.7, c.cnaf
    # never worked: end of last activity does not apply
    jamais = grand["hispro"] == "1904"
    assert np.all(grand["cessderact"][jamais] == "")


def test_correlations_plausibles(grand) -> None:
    col = grand
    route = col[syn.COLONNE_PARCOURS]
    age = _age(col)
    # age <-> work history
    jamais = col["hispro"] == "1904"
    assert jamais[age < 25].mean() > 1.5 * jamais[(age >= 30) & (age < 50)].mean()
    # single parent with a child under 6 <-> childcare obstacle
    plus_jeune = np.array([min(map(int, x.split("|"))) if x else 99 for x in col["agesenfants"]])
    par6 = (col["typefoyer"] == "PAR") & (plus_jeune < 6)
    garde = _a(col, "difdisp", "0502")
    assert garde[par6].mean() > 0.5 > 10 * garde[col["typefoyer"] == "ISO"].mean()
    # emergency housing <-> social route
    urgence = np.isin(col["natlog"], ["0903", "0904", "0905", "0906", "0910", "0911", "0912", "0913"])
    stable = np.isin(col["natlog"], ["0901", "0902"])
    assert (route[urgence] == "social").mean() > 0.6
    assert (route[urgence] == "social").mean() > 2 * (route[stable] == "social").mean()
    # health <-> social route
    sante = _a(col, "difsoc", "0402")
    assert (route[sante] == "social").mean() > 2 * (route[~sante] == "social").mean()
    # education <-> professional route
    haut = np.isin(col["nivetu"], ["1201", "1202", "1203"])
    bas = np.isin(col["nivetu"], ["1206", "1207"])
    assert (route[haut] == "professionnel").mean() > (route[bas] == "professionnel").mean() + 0.15
    # non-EU nationality <-> French-language difficulty (what a group audit must look at)
    francais = _a(col, "difsoc", "0404")
    assert francais[col["nati"] == "A"].mean() > 5 * francais[col["nati"] == "F"].mean()


def test_habitudes_departement() -> None:
    def part_socio_jeunes_sans_diplome(dep: str) -> float:
        col = syn.generer_colonnes(20_000, graine=1, departement=dep)
        age = _age(col)
        cible = (age < 30) & np.isin(col["nivdipmaxobt"], ["2605", "2606"])
        return float(np.mean(col[syn.COLONNE_PARCOURS][cible] == "socio_professionnel"))

    assert part_socio_jeunes_sans_diplome("93") > part_socio_jeunes_sans_diplome("75") + 0.05


def test_arguments_invalides() -> None:
    with pytest.raises(ValueError, match="département"):
        syn.generer_colonnes(10, departement="99")
    with pytest.raises(ValueError, match="nombre de dossiers"):
        syn.generer_colonnes(-1)
    assert len(syn.generer(0)) == 0
    assert syn.generer_table(0).num_rows == 0
