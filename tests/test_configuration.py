"""Explicit configuration: no model by default, the demo model by name only, lazy loading, caches."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import orientation
from orientation import (
    ConfigurationInvalide,
    Dossier,
    Modalite,
    ModeleInvalide,
    Orientateur,
    Referentiel,
    ReglesInvalides,
    explain,
    recommend,
    vider_caches,
)
from orientation.configuration import SANS_MODELE
from orientation.dossier.schema import EXEMPLE_CNAF
from orientation.modele.modele import charger_modele

from .strategies import dossiers
from .test_decision import RECURRENT

RACINE = Path(__file__).resolve().parents[1]


@pytest.fixture
def sans_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for nom in orientation.VARIABLES_ENVIRONNEMENT:
        monkeypatch.delenv(nom, raising=False)


def test_sans_modele_configure_examen_individuel_et_explication_le_dit(sans_variables: None) -> None:
    dossier = Dossier.depuis_cnaf(RECURRENT)
    d = recommend(dossier)
    assert d.modalite == Modalite.examen_individuel and d.modele is None and d.probabilite_modele is None
    e = explain(dossier)
    assert e.modele is None and e.modele_non_consulte == SANS_MODELE
    for rendu in (e.texte(), e.markdown()):
        assert "Aucun modèle statistique n'est configuré" in "\n".join(rendu.splitlines()[:4])
    assert "Aucun modèle statistique n'est configuré" in e.crpa.degre_et_mode_de_contribution


def test_modele_demo_par_son_nom_et_signale_synthetique(sans_variables: None, monkeypatch: pytest.MonkeyPatch) -> None:
    dossier = Dossier.depuis_cnaf(RECURRENT)
    d = recommend(dossier, modele="demo")
    assert d.modalite == Modalite.orientation_directe
    assert d.modele is not None and d.modele.synthetique and d.modele.consulte
    monkeypatch.setenv("ORIENTATION_MODELE", "demo")
    assert recommend(dossier) == d
    e = explain(dossier)
    for rendu in (e.texte(), e.markdown()):
        assert "SYNTHÉTIQUES" in "\n".join(rendu.splitlines()[:4])
    assert e.en_dict()["decision"]["modele"]["synthetique"] is True


def test_un_modele_entraine_sur_donnees_reelles_n_est_pas_signale(sans_variables: None) -> None:
    vrai = charger_modele("demo")
    faux_reel = type(vrai).__new__(type(vrai))
    faux_reel.__dict__.update(vrai.__dict__, donnees_synthetiques=False)
    e = explain(Dossier.depuis_cnaf(RECURRENT), modele=faux_reel)
    assert e.decision.modele is not None and e.decision.modele.synthetique is False
    assert not e.avertissements and "SYNTHÉTIQUES" not in e.texte()


def test_modele_charge_seulement_quand_la_chaine_en_a_besoin(sans_variables: None, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    casse = tmp_path / "modele_casse"
    shutil.copytree(RACINE / "models" / "demo", casse)
    (casse / "manifeste.json").write_text("{pas du json", encoding="utf-8")
    monkeypatch.setenv("ORIENTATION_MODELE", str(casse))
    primo = recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF))  # a rule decides: the broken model is never read
    assert primo.modalite == Modalite.rdv_obligatoire and primo.modele is None
    with pytest.raises(ModeleInvalide, match="illisible"):
        recommend(Dossier.depuis_cnaf(RECURRENT))
    o = Orientateur.charger(modele="demo")
    o.recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF))
    assert not o.modele_charge
    o.recommend(Dossier.depuis_cnaf(RECURRENT))
    assert o.modele_charge


def test_orientateur_explicite(sans_variables: None, tmp_path: Path) -> None:
    regles = tmp_path / "regles"
    shutil.copytree(RACINE / "rules", regles)
    o = Orientateur.charger(regles=regles, modele="demo")
    assert o.modele_configure and not Orientateur.charger().modele_configure
    dossier = Dossier.depuis_cnaf(RECURRENT)
    assert o.recommend(dossier) == recommend(dossier, regles, "demo")
    assert o.explain(dossier) == explain(dossier, regles, "demo")
    assert o.referentiel("93").version == Referentiel.charger("93").version  # same files, same version
    assert "regles" in repr(o)
    vide = Orientateur.charger(regles=tmp_path / "absent")
    with pytest.raises(ReglesInvalides, match="ORIENTATION_REGLES"):
        vide.recommend(dossier)


def test_referentiel_d_un_autre_departement_refuse() -> None:
    d93 = Dossier.depuis_cnaf(EXEMPLE_CNAF)
    with pytest.raises(ConfigurationInvalide, match=r"département 58 .*département 93"):
        recommend(d93, referentiel=Referentiel.charger("58"))
    with pytest.raises(ConfigurationInvalide):
        explain(d93, referentiel=Referentiel.charger("58"))


def test_modele_inconnu_erreur_claire(sans_variables: None) -> None:
    with pytest.raises(ModeleInvalide, match="ni le nom d'un modèle livré \\(demo\\)"):
        recommend(Dossier.depuis_cnaf(RECURRENT), modele="inexistant")


def test_vider_caches_relit_les_fichiers() -> None:
    ref, mod = Referentiel.charger("93"), charger_modele("demo")
    assert Referentiel.charger("93") is ref and charger_modele("demo") is mod
    vider_caches()
    assert Referentiel.charger("93") is not ref and charger_modele("demo") is not mod


def test_chaque_variable_d_environnement_est_dans_le_readme() -> None:
    readme = (RACINE / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    lues = set(re.findall(r"\"(ORIENTATION_[A-Z_]+)\"", "".join(
        p.read_text(encoding="utf-8") for p in (RACINE / "src" / "orientation").rglob("*.py"))))
    assert lues == set(orientation.VARIABLES_ENVIRONNEMENT)
    for nom in lues:
        assert f"`{nom}`" in section


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers())
def test_probabilite_du_modele_seulement_s_il_a_ete_consulte(dossier: Dossier) -> None:
    d = recommend(dossier, modele="demo")
    consulte = d.modele is not None and d.modele.consulte
    assert (d.probabilite_modele is not None) == consulte
    assert consulte == (d.scenario == 4 and Referentiel.charger(dossier.departement).evaluer(dossier).modalite is None)
