"""Hypothesis strategies for valid random dossiers.

``dossiers()`` draws every field of :class:`orientation.Dossier`, including « non renseigné »
(``None``), answered-but-empty multi-valued lists, several codes per list and every code of every
DSP field; dates are consistent (age 16 to 120 at the request, notification after opening,
diploma year after birth) so each drawn dossier passes validation.

>>> from hypothesis import given
>>> @given(dossiers(departement="93"))
... def t(d):
...     assert d.departement == "93"
>>> t()
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any, Optional

from hypothesis import strategies as st

#: Examples per fuzz target: 500 in the test suite (profiles 'ci' and default), 10,000 when
#: exploring locally (HYPOTHESIS_PROFILE=exploration).
EXEMPLES_FUZZ = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "exploration" else 500

from orientation.dossier import codes
from orientation.dossier.schema import (DEPARTEMENTS, Composition, Diagnostic, Dossier, Fragilite, InscriptionFT,
                                        MotifModificationParcours, Nationalite, NatureParcoursCAF, Sexe)

#: Départements with a rule file first, then every other code.
DEPARTEMENTS_AVEC_REGLES = ("93", "58", "69")
_AUTRES = tuple(sorted(DEPARTEMENTS - set(DEPARTEMENTS_AVEC_REGLES)))


def _ou_none(s: st.SearchStrategy[Any], p_none: float = 0.25) -> st.SearchStrategy[Any]:
    """``None`` about ``p_none`` of the time (hypothesis still shrinks towards ``None``)."""
    return st.one_of(st.none(), s) if p_none > 0 else s


def _liste_codes(valeurs: list[str], max_size: int = 4) -> st.SearchStrategy[Optional[list[str]]]:
    return st.one_of(
        st.none(),
        st.just([]),
        st.lists(st.sampled_from(valeurs), min_size=1, max_size=max_size, unique=True),
    )


def _valeur_dsp(champ: codes.ChampDSP) -> st.SearchStrategy[Any]:
    if champ.kind == "booleen":
        return st.one_of(st.none(), st.booleans())
    if champ.kind == "entier":  # a year, drawn as an offset from the birth year
        return st.one_of(st.none(), st.integers(min_value=0, max_value=70))
    noms = [c.nom for c in champ.codes]
    if champ.kind == "codes":
        return _liste_codes(noms)
    return st.one_of(st.none(), st.sampled_from(noms))


# Built once: creating strategies inside a draw makes hypothesis re-validate them every time.
_STRATEGIES_DSP: tuple[tuple[codes.ChampDSP, st.SearchStrategy[Any]], ...] = tuple(
    (c, _valeur_dsp(c)) for c in codes.CHAMPS)


@st.composite
def dsp(draw: st.DrawFn, naissance: date = date(1980, 1, 1)) -> dict[str, Any]:
    """A DSP as readable data (names), each field possibly non renseigné."""
    if draw(_UN_SUR_DIX):  # an entirely empty DSP now and then
        return {}
    out: dict[str, Any] = {}
    for champ, strategie in _STRATEGIES_DSP:
        v = draw(strategie)
        if v is not None:
            out[champ.nom] = min(2100, naissance.year + v) if champ.kind == "entier" else v
    return out


_UN_SUR_DIX = st.integers(min_value=0, max_value=9).map(lambda x: x == 0)

# France Travail diagnostic: each answer possibly non renseigné; barriers often « sans impact » so that
# the national criteria's lines that need every barrier answered are reached.
_STRATEGIES_DIAGNOSTIC: tuple[tuple[str, st.SearchStrategy[Any]], ...] = tuple(
    (nom, _ou_none(st.sampled_from(["fort", "moyen"] + ["sans_impact"] * 6), 0.1)
     if nom.startswith("frein_") else _ou_none(st.booleans(), 0.1))
    for nom in Diagnostic.model_fields)


@st.composite
def diagnostic(draw: st.DrawFn) -> dict[str, Any]:
    """A France Travail diagnostic as readable data; empty (no diagnostic) about a third of the time."""
    if draw(st.integers(min_value=0, max_value=2)) == 0:
        return {}
    out = {}
    for nom, strategie in _STRATEGIES_DIAGNOSTIC:
        v = draw(strategie)
        if v is not None:
            out[nom] = v
    return out


_FACULTATIFS: tuple[tuple[str, st.SearchStrategy[Any]], ...] = (
    ("sexe", _ou_none(st.sampled_from([s.value for s in Sexe]))),
    ("nationalite", _ou_none(st.sampled_from([n.value for n in Nationalite]))),
    ("inscription_france_travail", _ou_none(st.sampled_from([i.value for i in InscriptionFT]))),
    ("fragilites_declarees", _liste_codes([f.value for f in Fragilite], max_size=3)),
    ("demande_rdv", _ou_none(st.booleans())),
    # the CAF's pre-routing (instruction flux): often absent, as in flat files without these columns
    ("preorientation_caf", _ou_none(st.sampled_from([p.value for p in NatureParcoursCAF]), 0.4)),
    ("parcours_modifie_caf", _ou_none(st.sampled_from([p.value for p in NatureParcoursCAF]), 0.7)),
    ("motif_modification_parcours_caf", _ou_none(st.sampled_from([m.value for m in MotifModificationParcours]), 0.7)),
)
_JOURS_DEMANDE = st.integers(min_value=0, max_value=15 * 365)
_AGE = st.one_of(st.integers(min_value=16, max_value=70), st.sampled_from([17, 24, 25, 26, 56, 57, 58]),
                 st.integers(min_value=16, max_value=119))  # the age is this or one more (at most 120)
_JOUR_ANNEE = st.integers(min_value=1, max_value=365)
_ECART_OUVERTURE = st.integers(min_value=-90, max_value=90)
_DELAI_NOTIFICATION = _ou_none(st.integers(min_value=0, max_value=120))
_DEPARTEMENT = st.one_of(st.sampled_from(DEPARTEMENTS_AVEC_REGLES), st.sampled_from(_AUTRES))
_COMPOSITION = st.sampled_from([c.value for c in Composition])
_ENFANTS = st.lists(st.integers(min_value=0, max_value=25), max_size=5)
_NUMERO = st.integers(min_value=0, max_value=10**9)


@st.composite
def donnees_dossier(draw: st.DrawFn, departement: Optional[str] = None) -> dict[str, Any]:
    """Readable data accepted by :meth:`Dossier.valider`."""
    demande = date(2015, 1, 1) + timedelta(days=draw(_JOURS_DEMANDE))
    age = min(draw(_AGE), demande.year - 1901)  # birth date from 1900 on
    naissance = date(demande.year - age - 1, 1, 1) + timedelta(days=draw(_JOUR_ANNEE))
    ouverture = demande + timedelta(days=draw(_ECART_OUVERTURE))
    notification = draw(_DELAI_NOTIFICATION)
    donnees: dict[str, Any] = {
        "identifiant": f"H-{draw(_NUMERO)}",
        "departement": departement if departement is not None else draw(_DEPARTEMENT),
        "date_demande": demande.isoformat(),
        "date_ouverture_droits": ouverture.isoformat(),
        "date_naissance": naissance.isoformat(),
        "foyer": {"composition": draw(_COMPOSITION), "ages_enfants": draw(_ENFANTS)},
        "soumis_droits_devoirs": draw(st.booleans()),
        "primo_demandeur": draw(st.booleans()),
        "dsp": draw(dsp(naissance)),
    }
    diag = draw(diagnostic())
    if diag:
        donnees["diagnostic"] = diag
    if notification is not None:
        donnees["date_notification_droits"] = (ouverture + timedelta(days=notification)).isoformat()
    for cle, strategie in _FACULTATIFS:
        v = draw(strategie)
        if v is not None:
            donnees[cle] = v
    return donnees


def dossiers(departement: Optional[str] = None) -> st.SearchStrategy[Dossier]:
    """Valid random :class:`Dossier` objects (optionally all in one département)."""
    return donnees_dossier(departement).map(Dossier.valider)
