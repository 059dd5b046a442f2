"""The shortcuts that make explain() fast give exactly what the plain computations give.

* :func:`orientation.modele.caracteristiques.vectoriser_variantes` (only the changed answers
  re-vectorised) equals :func:`~orientation.modele.caracteristiques.vectoriser` on every changed
  dossier, whatever the changes (one or several fields, DSP or not, or none);
* the model's logits computed without scikit-learn's input checks give the same probabilities and
  scores as scikit-learn's own ``decision_function``;
* the rule replay returns the unchanged outcome when no truth value changes (the equality with a full
  re-evaluation is the property of ``tests/test_explication_lecture.py``).

The explanations themselves are compared with recorded fingerprints in
``tests/test_explication_empreintes.py``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation import Dossier
from orientation.configuration import charger
from orientation.dossier.schema import EXEMPLE_CNAF
from orientation.modele import caracteristiques as car
from orientation.regles.conditions import valeurs, verite
from orientation.regles.contrefactuels import Rejoueur, candidats, compiler, modifier_dossier
from orientation.regles.referentiel import Referentiel

from .strategies import dossiers


def _changements(data: st.DataObject, d: Dossier) -> list[Dossier]:
    """Copies of ``d`` with 0 to 3 fields changed each, as the counterfactual search builds them."""
    essais = [(c.chemin, alt) for c, _, alt in candidats(Referentiel.charger("93"), d)]
    out = []
    for _ in range(data.draw(st.integers(1, 6))):
        v = d
        for chemin, alt in data.draw(st.lists(st.sampled_from(essais), max_size=3)) if essais else []:
            v = modifier_dossier(v, chemin, alt)
        out.append(v)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers(departement="93"), st.data())
def test_vectoriser_variantes_egal_vectoriser(d: Dossier, data: st.DataObject) -> None:
    variantes = _changements(data, d)
    assert np.array_equal(car.vectoriser_variantes(d, variantes), car.vectoriser(variantes))


def test_vectoriser_variantes_dossier_reconstruit() -> None:
    """A copy that shares nothing with the dossier (re-validated) is vectorised whole."""
    d = Dossier.depuis_cnaf(EXEMPLE_CNAF)
    autre = Dossier.depuis_cnaf({**EXEMPLE_CNAF, "dtnai": "1960-01-01", "agesenfants": []})
    X = car.vectoriser_variantes(d, [autre, d])
    assert np.array_equal(X, car.vectoriser([autre, d]))
    assert not np.array_equal(X[0], X[1])


@settings(max_examples=20, deadline=None)
@given(st.lists(dossiers(), min_size=1, max_size=8))
def test_logits_sans_controles_identiques_a_scikit_learn(ds: list[Dossier]) -> None:
    modele = charger("demo")
    X = car.vectoriser(ds)
    assert np.array_equal(modele.probabilites(X), modele.calibre.predict_proba(X))
    assert np.array_equal(modele.scores(X), modele.base.decision_function(X))


def test_rejeu_sans_changement_de_verite_rend_l_issue_initiale() -> None:
    d = Dossier.depuis_cnaf(EXEMPLE_CNAF)
    rejoueur = Rejoueur(Referentiel.charger("93"), d)
    essais = candidats(Referentiel.charger("93"), d)
    inchangees = [rejoueur.issue(c.chemin, alt) for c, _, alt in essais]
    assert any(i is rejoueur.avant for i in inchangees)  # the shortcut is taken...
    assert any(i != rejoueur.avant for i in inchangees)  # ...and not always
    ref = Referentiel.charger("93")
    for (c, _, alt), i in zip(essais, inchangees):
        assert i == ref.issue(modifier_dossier(d, c.chemin, alt))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["93", "58", "69"]).flatmap(dossiers))
def test_conditions_compilees_meme_verite(d: Dossier) -> None:
    version = Referentiel.charger(d.departement).en_vigueur(d.date_demande)
    vals = valeurs(d, version._champs)
    for r in version._toutes:
        assert compiler(r.si)(vals) == verite(r.si, vals), r.id
