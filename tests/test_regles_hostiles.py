"""Hostile or mistaken rule files are refused in French, each within seconds (no timing asserted)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from orientation.erreurs import ReglesInvalides
from orientation.regles import lecture
from orientation.regles.referentiel import NOMBRE_MAX_CONDITIONS, NOMBRE_MAX_REGLES, Referentiel, verifier
from tests.francais import verifier_francais
from tests.test_referentiel import GRILLE, NATIONAL, ecrire


def _refus(tmp_path: Path, d93: str | bytes, departement: str = "93") -> ReglesInvalides:
    racine = ecrire(tmp_path)
    chemin = racine / "departements" / "93.yaml"
    chemin.write_bytes(d93 if isinstance(d93, bytes) else d93.encode("utf-8"))
    with pytest.raises(ReglesInvalides) as exc:
        Referentiel.charger(departement, racine)
    message = str(exc.value)
    assert "93.yaml" in message
    verifier_francais(message.replace(str(racine), "<regles>"))
    (ligne,) = [x for x in verifier(racine) if "93.yaml" in x]  # `orientation regles verifier` says the same
    assert ligne.startswith("ERREUR")
    return exc.value


def _regles(n: int, conditions: int = 1, distinctes: int = 60) -> str:
    lignes = ["portee: departement", 'departement: "93"', "scenario: 4", "regles:"]
    for i in range(n):
        conds = ", ".join(f"{{champ: age(date_demande), superieur: {18 + i % distinctes + k}}}"
                          for k in range(conditions))
        lignes.append(f"  - {{id: r{i}, titre: R, reference: X, si: {{tous: [{conds}]}}, "
                      f"alors: {{modalite: examen_individuel}}}}")
    return "\n".join(lignes) + "\n"


def test_fichier_latin1(tmp_path) -> None:
    texte = GRILLE.replace('titre: "Grille"', 'titre: "Grille de préorientation"').encode("latin-1")
    exc = _refus(tmp_path, texte)
    assert "UTF-8" in exc.raison and "0xE9" in exc.raison


def test_bombe_d_alias(tmp_path) -> None:
    bombe = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9))
    exc = _refus(tmp_path, bombe)
    assert "alias" in exc.raison and "ligne 1" in exc.raison


def test_ancre_seule_refusee(tmp_path) -> None:
    assert "ancres" in _refus(tmp_path, GRILLE.replace("scenario: 4", "scenario: &s 4")).raison


@pytest.mark.parametrize("n", [40, 1000, 100_000])
def test_yaml_trop_imbrique(tmp_path, n) -> None:
    assert "trop imbriqué" in _refus(tmp_path, "a: " + "[" * n + "]" * n + "\n").raison


def test_condition_trop_imbriquee(tmp_path) -> None:
    si = "{champ: demande_rdv, egal: true}"
    for _ in range(40):
        si = f"{{non: {si}}}"
    texte = textwrap.dedent(GRILLE) + f"regles:\n  - {{id: r, titre: T, reference: X, si: {si}, " \
                                      "alors: {modalite: examen_individuel}}\n"
    exc = _refus(tmp_path, texte)
    assert "trop imbriqué" in exc.raison


def test_fichier_trop_gros(tmp_path) -> None:
    texte = GRILLE + "description: \"" + "x" * lecture.TAILLE_MAX_FICHIER_REGLES + "\"\n"
    assert "trop gros" in _refus(tmp_path, texte).raison


def test_dix_mille_regles(tmp_path) -> None:
    exc = _refus(tmp_path, _regles(10_000))
    assert "trop gros" in exc.raison or "trop de règles" in exc.raison


def test_plus_de_regles_que_la_limite(tmp_path) -> None:
    exc = _refus(tmp_path, _regles(NOMBRE_MAX_REGLES))  # + the 2 national rules
    assert f"au plus {NOMBRE_MAX_REGLES}" in exc.raison and "durable-rules" in exc.raison


@pytest.mark.parametrize("code, morceau", [(106, "trop de règles"), (108, "256 règles"), (999, "limite interne")])
def test_erreur_propre_de_durable_rules_en_francais(tmp_path, monkeypatch, code, morceau) -> None:
    """The engine's own (English) errors, e.g. 108 for more than 256 rules sharing one comparison
    in an isolated process (the exact threshold depends on the engine's state), are translated."""
    from orientation.regles import referentiel

    class ErreurMoteur(Exception):
        pass

    def refuse(*a, **k):
        raise ErreurMoteur(f"Could not create ruleset, error code: {code}")

    monkeypatch.setattr(referentiel, "MoteurDurable", refuse)
    exc = _refus(tmp_path, GRILLE)
    assert "durable-rules" in exc.raison and morceau in exc.raison


def test_condition_trop_longue(tmp_path) -> None:
    exc = _refus(tmp_path, _regles(1, conditions=NOMBRE_MAX_CONDITIONS + 1))
    assert "condition trop longue" in exc.raison and exc.regle == "r0"


@pytest.mark.parametrize("texte, morceau", [
    ("portee: [", "ligne 1"),
    ("portee: departement\n\tscenario: 4\n", "tabulation"),
    ("portee: departement\nscenario: 4\n  x: 1\n", "ligne 3"),
    ('portee: "departement\n', "fin de fichier"),
    ("portee: !!python/object:os.system departement\n", "étiquette YAML"),
    ("? [a, b]\n: 1\n", "clé invalide"),
    ("portee: departement\x00\n", "caractère de contrôle"),
    ("--- 1\n--- 2\n", "un seul document"),
])
def test_erreurs_yaml_en_francais(tmp_path, texte, morceau) -> None:
    exc = _refus(tmp_path, texte)
    assert morceau in exc.raison and re.search(r"YAML mal formé|encodage", exc.raison)


def test_un_millier_de_regles_se_charge(tmp_path) -> None:
    """Just under the limit: loads and evaluates (figures in benchmarks/bench_limites_regles.py)."""
    racine = ecrire(tmp_path, NATIONAL, {"93": _regles(NOMBRE_MAX_REGLES - 2)})
    Referentiel.vider_cache()
    ref = Referentiel.charger("93", racine)
    assert len(ref.toutes_regles()) == NOMBRE_MAX_REGLES
    from tests.test_referentiel import dossier

    assert ref.evaluer(dossier()).modalite is not None
