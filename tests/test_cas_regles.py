"""YAML test cases of the rules (rules/tests/*.yaml): one pytest test per case, plus coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from orientation.regles import cas_tests
from orientation.regles.cas_tests import Cas, charger_cas, couverture, executer
from orientation.erreurs import ReglesInvalides

CAS = charger_cas()


@pytest.mark.parametrize("cas", CAS, ids=[c.id_test for c in CAS])
def test_cas(cas: Cas) -> None:
    resultat = executer(cas)
    assert resultat.reussi, "\n".join(resultat.messages)


def test_chaque_regle_et_ligne_est_couverte() -> None:
    resultats = [executer(c) for c in CAS]
    assert couverture(resultats) == []
    assert len({c.departement for c in CAS}) >= 4


def test_rapport_complet() -> None:
    rapport = cas_tests.tester()
    assert rapport.ok and rapport.reussi and len(rapport.cas) == len(CAS)
    assert rapport.texte().endswith(f"{len(CAS)}/{len(CAS)} cas réussis, 0 règle(s) non couverte(s)")


def test_un_cas_faux_echoue_avec_un_message_francais() -> None:
    cas = next(c for c in CAS if c.attendu.get("modalite") == "rdv_obligatoire" and c.departement == "75")
    faux = cas.model_copy(update={"attendu": {**cas.attendu, "modalite": "examen_individuel",
                                              "regles_declenchees": ["demande_rdv"],
                                              "resultats": {"primo_demandeur": "inconnu"}}})
    r = executer(faux)
    assert not r.reussi
    texte = "\n".join(r.messages)
    assert "modalité : attendu examen_individuel, obtenu rdv_obligatoire" in texte
    assert "règles attendues mais non déclenchées : demande_rdv" in texte
    assert "résultat de « primo_demandeur » : attendu non renseigné" in texte


def test_couverture_signale_une_regle_sans_cas() -> None:
    resultats = [executer(c) for c in CAS if "violences" not in c.nom.lower()]
    assert couverture(resultats) == ["national.yaml:violences_conjugales"]
    rapport = cas_tests.Rapport(cas=resultats, non_couvertes=couverture(resultats))
    assert not rapport.reussi and "NON COUVERTE  national.yaml:violences_conjugales" in rapport.texte()


def test_fichier_de_cas_invalide(tmp_path: Path) -> None:
    import shutil

    racine = Path(__file__).resolve().parents[1] / "rules"
    shutil.copytree(racine, tmp_path / "rules")
    (tmp_path / "rules" / "tests" / "zz.yaml").write_text(
        'cas:\n  - nom: "sans attendu"\n    departement: "93"\n    dossier: {}\n', encoding="utf-8")
    with pytest.raises(ReglesInvalides) as exc:
        charger_cas(tmp_path / "rules")
    assert "zz.yaml" in str(exc.value) and "sans attendu" in str(exc.value) and "attendu" in exc.value.raison


def test_dossier_invalide_signale(tmp_path: Path) -> None:
    cas = CAS[0].model_copy(update={"donnees": {**CAS[0].donnees, "date_demande": "2025-13-45"}})
    r = executer(cas)
    assert not r.reussi and r.messages[0].startswith("dossier invalide")
