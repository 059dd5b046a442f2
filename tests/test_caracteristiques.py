"""Features: schema, traceability to DSP answers, no protected attribute, identical Dossier/column paths."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation.modele import caracteristiques as car
from orientation.dossier import codes
from orientation.modele import synthetique as syn
from orientation.dossier.schema import Dossier, Nationalite, Sexe
from orientation.erreurs import DossierInvalide
from orientation.dossier.tabulaire import enregistrement_vers_ligne

try:  # shared strategy written by another engineer, when present
    from tests.strategies import dossiers as _dossiers_partages
except ImportError:  # pragma: no cover - fallback
    _dossiers_partages = None


@st.composite
def _dossiers_depuis_generateur(draw: st.DrawFn) -> Dossier:
    """A synthetic dossier whose DSP answers hypothesis then blanks or replaces at will."""
    d, _ = syn.generer(1, graine=draw(st.integers(0, 10_000)))[0]
    dsp = d.dsp.model_dump(mode="json")
    for c in codes.CHAMPS:
        choix = draw(st.integers(0, 5))
        if choix == 0:
            dsp[c.nom] = None
        elif choix == 1 and c.kind == "codes":
            dsp[c.nom] = draw(st.lists(st.sampled_from([x.nom for x in c.codes]), unique=True, max_size=4))
        elif choix == 1 and c.kind == "code":
            dsp[c.nom] = draw(st.sampled_from([x.nom for x in c.codes]))
        elif choix == 1 and c.kind == "booleen":
            dsp[c.nom] = draw(st.booleans())
    donnees = d.model_dump(mode="json")
    donnees["dsp"] = {k: v for k, v in dsp.items() if v is not None}
    donnees["date_notification_droits"] = draw(st.one_of(st.none(), st.integers(0, 150).map(
        lambda j: (d.date_ouverture_droits + timedelta(days=j)).isoformat())))
    return Dossier.valider({k: v for k, v in donnees.items() if v is not None})


def dossiers() -> st.SearchStrategy[Dossier]:
    if _dossiers_partages is not None:
        return st.one_of(_dossiers_partages(), _dossiers_depuis_generateur())
    return _dossiers_depuis_generateur()


def colonnes_de(ds: list[Dossier]) -> dict[str, list[str]]:
    lignes = [enregistrement_vers_ligne(d.vers_cnaf()) for d in ds]
    return {k: [ligne[k] for ligne in lignes] for k in lignes[0]}


# --------------------------------------------------------------------------- schema


def test_schema_sans_attribut_protege_ni_identifiant() -> None:
    interdits = {"sexe", "nationalite", "nati", "identifiant", "departement", "demande_rdv", "topdemanderdv"}
    for c in car.SCHEMA:
        assert c.groupe not in interdits and c.cle_cnaf not in interdits, c.nom
        assert not any(mot in c.nom for mot in ("sexe", "nationalit", "femme", "homme"))


def test_chaque_caracteristique_remonte_a_un_champ() -> None:
    assert len(car.SCHEMA) == len(set(car.NOMS))
    groupes_dsp = {g.nom for g in car.GROUPES if g.source == "dsp"}
    assert groupes_dsp == {c.nom for c in codes.CHAMPS}  # every DSP field is used
    for c in car.SCHEMA:
        assert c.nom == f"{c.groupe}={c.valeur}"
        assert c.libelle == f"{c.libelle_groupe} = {c.libelle_valeur}"
        if c.source == "dsp":
            champ = codes.PAR_NOM[c.groupe]
            assert c.cle_cnaf == champ.cnaf
            if champ.kind in ("code", "codes"):
                assert c.valeur in {x.nom for x in champ.codes} | {car.NON_RENSEIGNE, car.AUCUN_CODE}
                if champ.par_nom(c.valeur):
                    assert c.libelle_valeur == champ.par_nom(c.valeur).libelle
    # every group has an explicit « non renseigné » category, except always-present dossier data
    for g in car.GROUPES:
        if g.source == "dsp":
            assert car.NON_RENSEIGNE in [v for v, _ in g.valeurs], g.nom
    assert car.SCHEMA[car.INDEX["logement=heberge_tiers"]].libelle == (
        "Nature du logement = Hébergé temporairement par la famille ou un tiers")


def test_empreinte_schema_stable() -> None:
    assert car.empreinte_schema() == car.empreinte_schema()
    assert len(car.empreinte_schema()) == 64
    # Pinned: a change of features must be deliberate (bump VERSION_CARACTERISTIQUES, retrain models/demo).
    assert car.empreinte_schema() == "a0b6c4af5d8d9b46dc1d9cb9e119da54d16e288343945366fe37d7cb6fda038a"


# --------------------------------------------------------------------------- vectorisation


def test_groupes_exclusifs_et_multiples() -> None:
    ds = [d for d, _ in syn.generer(400, graine=6)]
    X = car.vectoriser(ds)
    assert X.shape == (400, len(car.SCHEMA))
    assert set(np.unique(X)) <= {0.0, 1.0}
    for g in car.GROUPES:
        somme = X[:, car.COLONNES_GROUPE[g.nom]].sum(axis=1)
        if g.multiple:
            assert (somme >= 1).all(), g.nom
        else:
            assert (somme == 1).all(), g.nom


def test_valeurs_lisibles_d_un_dossier() -> None:
    d = Dossier.valider({
        "identifiant": "T-1", "departement": "93", "date_demande": "2025-06-15", "date_ouverture_droits": "2025-06-01",
        "date_naissance": "1995-06-16", "foyer": {"composition": "parent_isole", "ages_enfants": [2, 7]},
        "soumis_droits_devoirs": True, "primo_demandeur": True,
        "dsp": {"logement": "heberge_tiers", "difficultes_sociales": ["sante", "endettement"],
                "difficultes_logement": [], "annee_diplome_max": 2013},
    })
    x = car.vectoriser([d])[0]
    assert car.libelle_valeur_groupe(x, "logement") == "Hébergé temporairement par la famille ou un tiers"
    assert car.libelle_valeur_groupe(x, "difficultes_sociales") == "Santé, Endettement"
    assert car.libelle_valeur_groupe(x, "difficultes_logement") == "aucun code (réponse vide)"
    assert car.libelle_valeur_groupe(x, "niveau_etude") == "non renseigné"
    assert car.libelle_valeur_groupe(x, "tranche_age") == "25 à 29 ans"  # 29 years old the day before 30
    assert car.libelle_valeur_groupe(x, "plus_jeune_enfant") == "moins de 3 ans"
    assert car.libelle_valeur_groupe(x, "annee_diplome_max") == "5 à 14 ans"
    assert car.libelle_valeur_groupe(x, "delai_notification") == "non renseigné"
    assert car.libelle_valeur_groupe(x, "inscription_france_travail") == "non renseigné"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(dossiers(), min_size=1, max_size=6))
def test_chemin_colonnes_identique_au_chemin_dossier(ds: list[Dossier]) -> None:
    attendu = car.vectoriser(ds)
    colonnes = colonnes_de(ds)
    assert np.array_equal(car.vectoriser_colonnes(colonnes), attendu)
    assert np.array_equal(car.vectoriser_colonnes(pa.table(colonnes)), attendu)
    # CNAF records with Python lists (as vers_cnaf writes them) are accepted too
    recs = [d.vers_cnaf() for d in ds]
    brutes = {k: [r.get(k) for r in recs] for k in set().union(*recs)}
    assert np.array_equal(car.vectoriser_colonnes(brutes), attendu)
    assert np.array_equal(car.profils(car.vectoriser_colonnes(colonnes)), car.profils(attendu))


@settings(max_examples=40, deadline=None)
@given(dossiers(), st.sampled_from(list(Sexe) + [None]), st.sampled_from(list(Nationalite) + [None]))
def test_sexe_et_nationalite_ne_changent_pas_les_caracteristiques(d: Dossier, sexe: Any, nati: Any) -> None:
    autre = d.model_copy(update={"sexe": sexe, "nationalite": nati})
    assert np.array_equal(car.vectoriser([d]), car.vectoriser([autre]))
    c1, c2 = colonnes_de([d]), colonnes_de([autre])
    assert np.array_equal(car.vectoriser_colonnes(c1), car.vectoriser_colonnes(c2))


def test_grand_lot_identique_et_table_arrow() -> None:
    col = syn.generer_colonnes(5000, graine=9)
    ds = [d for d, _ in syn.generer(5000, graine=9, valider=False)]
    X = car.vectoriser(ds)
    assert np.array_equal(car.vectoriser_colonnes(col), X)
    assert np.array_equal(car.vectoriser_colonnes(syn.generer_table(5000, graine=9)), X)


# --------------------------------------------------------------------------- errors of the column path


def _une_ligne(**modifs: str) -> dict[str, list[str]]:
    col = colonnes_de([syn.generer(1, graine=1)[0][0]])
    for k, v in modifs.items():
        col[k] = [v]
    return col


def test_code_inconnu_refuse_avec_colonne_et_ligne() -> None:
    with pytest.raises(DossierInvalide) as exc:
        car.vectoriser_colonnes(_une_ligne(natlog="0999"))
    assert "natlog" in str(exc.value) and "ligne 1" in str(exc.value) and "0999" in str(exc.value)


@pytest.mark.parametrize("cellule, raison", [("0402|0402", "double"), ("0402|-", "mêlé"), ("0402|9999", "inconnu")])
def test_listes_invalides_refusees(cellule: str, raison: str) -> None:
    with pytest.raises(DossierInvalide, match=raison):
        car.vectoriser_colonnes(_une_ligne(difsoc=cellule))
    with pytest.raises(DossierInvalide):  # the Dossier path refuses them too
        Dossier.depuis_cnaf({k: v[0] for k, v in _une_ligne(difsoc=cellule).items() if v[0]}
                            | {"difsoc": cellule.split("|")})


def test_colonne_obligatoire_et_dates() -> None:
    col = _une_ligne()
    del col["dtnai"]
    with pytest.raises(DossierInvalide, match="dtnai"):
        car.vectoriser_colonnes(col)
    for mauvaise in ("2025-02-30", "2025-2-3", "1850-01-01", "0"):
        with pytest.raises(DossierInvalide, match="AAAA-MM-JJ"):
            car.vectoriser_colonnes(_une_ligne(dtdemrsa=mauvaise))
    with pytest.raises(DossierInvalide, match="âge impossible"):
        car.vectoriser_colonnes(_une_ligne(dtnai="2020-01-01"))
    with pytest.raises(DossierInvalide, match="naissance"):
        car.vectoriser_colonnes(_une_ligne(annobtnivdipmax="1900"))
    with pytest.raises(DossierInvalide, match="obligatoire"):
        car.vectoriser_colonnes(_une_ligne(typefoyer=""))


# --------------------------------------------------------------------------- profiles


def test_profils() -> None:
    X = car.vectoriser([d for d, _ in syn.generer(2000, graine=4, valider=False)])
    cles = car.profils(X)
    comp = car.composantes_profil(X)
    assert comp.shape == (2000, 8)
    assert (comp >= 0).all() and (comp < car._RADIX).all()
    assert len(np.unique(cles)) < 2000  # coarse: profiles recur
    texte = car.libelle_profil(int(cles[0]))
    assert len(texte.split(" · ")) == 8
    # changing an answer outside the profile does not change the profile
    x = X[:1].copy()
    x[0, car.COLONNES_GROUPE["permis_b"]] = 0
    x[0, car.INDEX["permis_b=oui"]] = 1
    assert car.profils(x)[0] == cles[0]
    # changing the housing to emergency does
    x[0, car.COLONNES_GROUPE["logement"]] = 0
    x[0, car.INDEX["logement=sans_abri"]] = 1
    assert "urgence ou logement précaire" in car.libelle_profil(int(car.profils(x)[0]))


def test_date_reference_naissance_bissextile() -> None:
    d = Dossier.valider({"identifiant": "B", "departement": "93", "date_demande": "2025-02-28",
                         "date_ouverture_droits": "2025-02-01", "date_naissance": "2000-02-29",
                         "foyer": {"composition": "personne_seule"}, "soumis_droits_devoirs": True,
                         "primo_demandeur": False})
    assert d.age(d.date_demande) == 24
    X = car.vectoriser([d])
    assert X[0, car.INDEX["tranche_age=moins_25"]] == 1
    assert np.array_equal(car.vectoriser_colonnes(colonnes_de([d])), X)
    assert date(2025, 2, 28) == d.date_demande
