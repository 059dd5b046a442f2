"""Dossier validation never crashes, speaks French, and reports every invalid field at once."""

from __future__ import annotations

import json
import re
import typing

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic_core.core_schema import ErrorType

from orientation.dossier.schema import EXEMPLE_CNAF, Dossier
from orientation.dossier.traduction import RAISONS
from orientation.erreurs import DossierInvalide

from .strategies import EXEMPLES_FUZZ
from tests.francais import verifier_francais

BASE = {
    "identifiant": "A-1", "departement": "93", "date_demande": "2025-09-02", "date_ouverture_droits": "2025-09-01",
    "date_notification_droits": "2025-09-20", "date_naissance": "1987-03-14",
    "foyer": {"composition": "parent_isole", "ages_enfants": [4, 9]}, "soumis_droits_devoirs": True,
    "primo_demandeur": True, "dsp": {"logement": "sans_abri", "difficultes_sociales": ["sante"],
                                     "annee_diplome_max": 2005},
}
FUZZ = settings(max_examples=EXEMPLES_FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _francais(exc: DossierInvalide) -> None:
    assert exc.erreurs
    for e in exc.erreurs:
        verifier_francais(e.raison)
    str(exc)  # the message itself never fails


def test_chaque_type_d_erreur_pydantic_a_une_raison_francaise() -> None:
    assert set(typing.get_args(ErrorType)) <= set(RAISONS)
    for raison in RAISONS.values():
        verifier_francais(re.sub(r"\{\w+\}", "", raison))


# --------------------------------------------------------------------------- hostile inputs


def _profond(n: int) -> list:
    racine: list = []
    cur = racine
    for _ in range(n):
        cur.append([])
        cur = cur[0]
    return racine


@pytest.mark.parametrize("modif", [
    {"departement": 10 ** 5000}, {"dsp": {"annee_diplome_max": 10 ** 5000}}, {"identifiant": 10 ** 5000},
    {"foyer": _profond(3000)}, {"dsp": {"difficultes_sociales": _profond(3000)}}, {"identifiant": "x" * 10 ** 6},
    {"dsp": {"annee_diplome_max": float("inf")}}, {"foyer": {"composition": "couple", "ages_enfants": [float("nan")]}},
    {"date_demande": b"\xff\xfe"}, {"sexe": object()}, {"fragilites_declarees": [10 ** 5000, 10 ** 5000]},
])
def test_valeurs_hostiles_api(modif) -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.valider({**BASE, **modif})
    _francais(exc.value)
    assert len(str(exc.value)) < 5000


@pytest.mark.parametrize("modif", [{"natlog": 10 ** 5000}, {"departement": 10 ** 5000}, {"difsoc": _profond(3000)},
                                   {"typefoyer": 10 ** 5000}, {"topcouvsoc": {"a": _profond(2000)}}])
def test_valeurs_hostiles_cnaf(modif) -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.depuis_cnaf({**EXEMPLE_CNAF, **modif})
    _francais(exc.value)


@pytest.mark.parametrize("document, raison", [
    (b'{"identifiant": "\xe9"}', "UTF-8"),
    ("[" * 1000 + "]" * 1000, "trop imbriqué"),
    ("[" * 100_000, "trop imbriqué"),
    ('{"a": ' * 20 + "1" + "}" * 20, "trop imbriqué"),
    ('{"identifiant": ' + "9" * 5000 + "}", "nombre trop long"),
    ('{"identifiant": "A", }', "JSON mal formé"),
    ("", "JSON mal formé"),
    (b" " * (2 * 1024 * 1024), "trop gros"),
])
def test_documents_json_hostiles(document, raison) -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.depuis_json(document)
    assert raison in str(exc.value)
    _francais(exc.value)


def test_json_utf8_avec_bom_et_codes_cnaf() -> None:
    d = Dossier.depuis_json(b"\xef\xbb\xbf" + json.dumps(EXEMPLE_CNAF).encode())
    assert d.vers_cnaf() == EXEMPLE_CNAF


_SCALAIRES = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 30, max_value=10 ** 5000),
                       st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                       st.sampled_from(["0402|0406", "-", "", "93", "0912", "sans_abri", "2025-09-02", "1"]))
_JUNK = st.recursive(_SCALAIRES, lambda e: st.one_of(st.lists(e, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), e, max_size=4)),
                     max_leaves=12)


@FUZZ
@given(cles=st.dictionaries(st.sampled_from(sorted(BASE) + ["sexe", "fragilites_declarees", "demande_rdv"]), _JUNK,
                            max_size=6),
       dsp=st.dictionaries(st.sampled_from(["logement", "difficultes_sociales", "annee_diplome_max", "permis_b",
                                            "inconnu"]), _JUNK, max_size=3))
def test_fuzz_valider_reponses_francaises(cles, dsp) -> None:
    donnees = {**BASE, **cles}
    if dsp:
        donnees["dsp"] = dsp
    try:
        Dossier.valider(donnees)
    except DossierInvalide as exc:
        _francais(exc)


@FUZZ
@given(cles=st.dictionaries(st.sampled_from(sorted(EXEMPLE_CNAF) + ["annobtnivdipmax", "colonne"]), _JUNK,
                            max_size=6))
def test_fuzz_depuis_cnaf_reponses_francaises(cles) -> None:
    try:
        Dossier.depuis_cnaf({**EXEMPLE_CNAF, **cles})
    except DossierInvalide as exc:
        _francais(exc)


@FUZZ
@given(_JUNK)
def test_fuzz_document_entier(junk) -> None:
    for f in (Dossier.valider, Dossier.depuis_cnaf):
        try:
            f(junk)
        except DossierInvalide as exc:
            _francais(exc)


# --------------------------------------------------------------------------- one round of errors

#: Field -> invalid values, each invalid on its own whatever the other fields (with the
#: fields it is compared with, for consistency errors: skipped when those are corrupted too).
CORRUPTIONS: dict[str, list[tuple[object, tuple[str, ...]]]] = {
    "identifiant": [("", ()), ("a b", ()), (5, ())],
    "departement": [("00", ()), (True, ()), ([], ())],
    "date_demande": [("2025-13-01", ()), ("hier", ()), (20250101, ())],
    "date_ouverture_droits": [("1850-01-01", ()), ("2025-02-30", ())],
    "date_notification_droits": [("abc", ()), ("2000-01-01", ("date_ouverture_droits",))],
    "date_naissance": [("1987-02-30", ()), ("2024-01-01", ("date_demande",)), ("2030-01-01", ("date_demande",))],
    "foyer.composition": [("famille", ()), (3, ())],
    "soumis_droits_devoirs": [("peut-être", ()), (None, ())],
    "primo_demandeur": [(2, ())],
    "sexe": [("x", ())],
    "inscription_france_travail": [("oui", ())],
    "fragilites_declarees": [(["inconnue"], ()), (["sante", "sante"], ())],
    "demande_rdv": [("bof", ())],
    "dsp.logement": [("zz", ()), (5, ())],
    "dsp.difficultes_sociales": [(["zz"], ()), ("0402|zz", ())],
    "dsp.annee_diplome_max": [(1800, ()), ("abc", ()), (1950, ("date_naissance",))],
    "dsp.permis_b": [("peut-être", ())],
}


def _appliquer(donnees: dict, champ: str, valeur: object) -> None:
    if "." in champ:
        parent, nom = champ.split(".")
        donnees[parent] = {**donnees.get(parent, {}), nom: valeur}
    else:
        donnees[champ] = valeur


def _champs_signales(donnees: dict) -> set[str]:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.valider(donnees)
    return {".".join(e.champ.split(".")[:2]) if e.champ.startswith(("dsp.", "foyer.")) else e.champ.split(".")[0]
            for e in exc.value.erreurs}


@FUZZ
@given(st.data())
def test_toutes_les_erreurs_en_une_fois(data) -> None:
    champs = data.draw(st.lists(st.sampled_from(sorted(CORRUPTIONS)), min_size=1, max_size=8, unique=True))
    choix = {c: data.draw(st.sampled_from(CORRUPTIONS[c])) for c in champs}
    assume(not any(dep in choix for _, deps in choix.values() for dep in deps))
    donnees = json.loads(json.dumps(BASE))
    del donnees["dsp"]["annee_diplome_max"]  # compared with the birth date, which may be corrupted
    for c, (v, _) in choix.items():
        _appliquer(donnees, c, v)
    assert _champs_signales(donnees) == set(champs)


def test_toutes_les_erreurs_en_une_fois_cnaf() -> None:
    with pytest.raises(DossierInvalide) as exc:
        Dossier.depuis_cnaf({**EXEMPLE_CNAF, "typefoyer": "ZZZ", "natlog": "9999", "dtnai": "2030-01-01",
                             "agesenfants": "4|x", "dtnotifdroit": "2000-01-01"})
    assert {e.champ.split(".")[0] for e in exc.value.erreurs} == {"typefoyer", "natlog", "dtnai", "agesenfants",
                                                                  "dtnotifdroit"}


# --------------------------------------------------------------------------- flat-file cells in the dict API


def test_cellules_de_fichier_plat_dans_l_api() -> None:
    d = Dossier.depuis_cnaf({**EXEMPLE_CNAF, "departement": 93, "difsoc": "0402|0406", "diflog": "-",
                             "agesenfants": "4|9", "topcouvsoc": "", "natlog": " 0912 "})
    assert d == Dossier.depuis_cnaf(EXEMPLE_CNAF).model_copy(update={"dsp": d.dsp}) and d.dsp.difficultes_logement == []
    assert d.vers_cnaf() == {**EXEMPLE_CNAF, "diflog": []}
    lisible = Dossier.valider({**BASE, "departement": 1, "sexe": "", "fragilites_declarees": "sante|logement",
                               "foyer": {"composition": "couple", "ages_enfants": "4|9"},
                               "dsp": {"difficultes_sociales": "0402|0406", "difficultes_logement": "-",
                                       "logement": ""}})
    assert lisible.departement == "01" and lisible.sexe is None and lisible.dsp.logement is None
    assert [str(f) for f in lisible.fragilites_declarees] == ["sante", "logement"]
    assert lisible.foyer.ages_enfants == [4, 9] and lisible.dsp.difficultes_logement == []
    assert Dossier.valider({**BASE, "dsp": {"difficultes_sociales": "0402|0406"}}).dsp.difficultes_sociales == \
        Dossier.valider({**BASE, "dsp": {"difficultes_sociales": ["0402", "0406"]}}).dsp.difficultes_sociales
