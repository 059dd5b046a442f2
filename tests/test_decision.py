"""recommend(): precedence of rules over the model, deadlines, determinism, never a crash."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Optional

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation import Dossier, Modalite, Parcours, recommend
from orientation.decision import (DELAI_ORIENTATION_MOIS, DELAI_PREMIER_RDV_JOURS, ajouter_mois, decider,
                                  delais_legaux, executer)
from orientation.dossier.schema import EXEMPLE_CNAF
from orientation.flux.decisions import _delais
from orientation.modele.modele import charger_modele
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Structure

from .strategies import dossiers

#: A complete, recurring, job-ready profile with no mandatory case (93).
RECURRENT = {**EXEMPLE_CNAF, "topprimodemandeur": "0", "natlog": "0901", "difsoc": ["0401"], "hispro": "1901",
             "nivetu": "1203", "sitpersdemrsa": "0101", "cessderact": "2701", "difdisp": ["0501"],
             "topcouvsoc": "1"}


def test_primo_demandeur_rdv_obligatoire_et_delais() -> None:
    d = recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF))
    assert d.modalite == Modalite.rdv_obligatoire
    assert "primo_demandeur" in d.regles_declenchees
    assert d.delais.date_reference == date(2025, 9, 20)
    assert d.delais.orientation_au_plus_tard == date(2025, 10, 20)
    assert d.delais.premier_rdv_au_plus_tard == date(2025, 11, 3)
    assert d.delais.reference_estimee is False
    assert d.probabilite_modele is None  # the model is not consulted when a rule imposes an appointment
    assert d.modele is None  # ...nor even loaded


def test_delai_estime_sans_date_de_notification() -> None:
    enr = {k: v for k, v in EXEMPLE_CNAF.items() if k != "dtnotifdroit"}
    d = recommend(Dossier.depuis_cnaf(enr))
    assert d.delais.reference_estimee is True
    assert d.delais.date_reference == date(2025, 9, 1)
    assert d.delais.orientation_au_plus_tard == date(2025, 10, 1)


@pytest.mark.parametrize(("depart", "mois", "attendu"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)), (date(2025, 3, 31), 1, date(2025, 4, 30)),
])
def test_ajouter_mois_fin_de_mois(depart: date, mois: int, attendu: date) -> None:
    assert ajouter_mois(depart, mois) == attendu


def test_delais_legaux_du_decret_2024_1244() -> None:
    d = recommend(Dossier.depuis_cnaf(EXEMPLE_CNAF))  # reference 20/09/2025
    assert d.delais.orientation_limite_legale == date(2025, 11, 1)  # six weeks
    assert d.delais.contrat_engagement_mois_apres_notification_orientation == 1
    assert d.delais.contrat_engagement_si_orientation_a_limite_legale == date(2025, 12, 1)
    assert d.delais.motif_sans_delais_legaux is None
    assert [r.split(" (")[0] for r in d.delais.references_legales] == ["CASF art. D262-65-2",
                                                                      "Code du travail art. D5411-14-1"]


@pytest.mark.parametrize(("reference", "orientation", "contrat"), [
    (date(2024, 12, 31), None, None),  # the day before décret 2024-1244 applies
    (date(2025, 1, 1), date(2025, 2, 12), date(2025, 3, 12)),  # the day it applies
    (date(2025, 1, 18), date(2025, 3, 1), date(2025, 4, 1)),
    (date(2025, 12, 20), date(2026, 1, 31), date(2026, 2, 28)),  # contract clamped to the month's end
    (date(2027, 12, 19), date(2028, 1, 30), date(2028, 2, 29)),  # leap year
    (date(2025, 11, 19), date(2025, 12, 31), date(2026, 1, 31)),  # over the year's end
])
def test_delais_legaux_bornes(reference: date, orientation: Optional[date], contrat: Optional[date]) -> None:
    enr = {**EXEMPLE_CNAF, "dtdemrsa": reference.isoformat(), "dtouvdroit": reference.isoformat(),
           "dtnotifdroit": reference.isoformat()}
    delais = recommend(Dossier.depuis_cnaf(enr)).delais
    assert delais.date_reference == reference
    assert delais.orientation_limite_legale == orientation
    assert delais.contrat_engagement_si_orientation_a_limite_legale == contrat
    if orientation is None:
        assert delais.contrat_engagement_mois_apres_notification_orientation is None
        assert delais.references_legales == [] and "2024-1244" in (delais.motif_sans_delais_legaux or "")
    else:
        assert delais.motif_sans_delais_legaux is None and len(delais.references_legales) == 2


def test_delais_vectorises_egaux_au_calcul_par_dossier() -> None:
    """Every day from mid-2024 to 2028 (month ends, leap day, the decree's start): bulk twin == per dossier."""
    jours = np.arange(np.datetime64("2024-06-01"), np.datetime64("2028-04-01"))
    notif_nul = np.arange(len(jours)) % 3 == 0
    ouv = jours - np.where(notif_nul, 0, 5).astype("timedelta64[D]")
    ref, estimee, limite, rdv, legale, contrat = _delais(ouv, jours, notif_nul)
    assert (ref == jours).all() and (estimee == notif_nul).all()
    for i, j in enumerate(jours.astype(object)):
        attendu = delais_legaux(j)
        assert limite[i].astype(object) == ajouter_mois(j, DELAI_ORIENTATION_MOIS)
        assert rdv[i].astype(object) == ajouter_mois(j, DELAI_ORIENTATION_MOIS) + timedelta(days=DELAI_PREMIER_RDV_JOURS)
        assert (None if np.isnat(legale[i]) else legale[i].astype(object)) == attendu["orientation_limite_legale"]
        assert ((None if np.isnat(contrat[i]) else contrat[i].astype(object))
                == attendu["contrat_engagement_si_orientation_a_limite_legale"])


def test_profil_recurrent_oriente_directement_par_le_modele() -> None:
    dossier = Dossier.depuis_cnaf(RECURRENT)
    chaine = executer(dossier, modele="demo")
    assert chaine.evaluation.modalite is None
    assert chaine.proposition is not None and chaine.proposition.decide
    d = chaine.decision
    assert d.modalite == Modalite.orientation_directe
    assert d.parcours == Parcours.professionnel and d.structure == Structure.france_travail
    assert d.origine_parcours == "modele"
    assert d.probabilite_modele == pytest.approx(chaine.proposition.confiance)
    assert d.versions.modele_sha256 == charger_modele("demo").sha256
    assert d.modele is not None and d.modele.synthetique and d.modele.consulte and d.modele.nom == "demo"


def test_sans_modele_examen_individuel_avec_proposition_de_grille() -> None:
    d = recommend(Dossier.depuis_cnaf(RECURRENT), modele=False)
    assert d.modalite == Modalite.examen_individuel
    assert d.origine_parcours == "grille"
    assert d.parcours == Parcours.professionnel  # g93_motif_fin_chomage
    assert "g93_motif_fin_chomage" in d.regles_declenchees
    assert d.versions.modele is None


def test_modele_qui_s_abstient_donne_examen_individuel() -> None:
    dossier = Dossier.depuis_cnaf(RECURRENT)
    chaine = executer(dossier, modele="demo")
    abstention = chaine.proposition.model_copy(update={"decide": False, "raison_abstention": "test"})
    d = decider(dossier, chaine.evaluation, abstention, chaine.modele)
    assert d.modalite == Modalite.examen_individuel
    assert d.origine_parcours == "grille"


def test_scenario_2_rendez_vous_systematique() -> None:
    d = recommend(Dossier.depuis_cnaf({**RECURRENT, "departement": "69"}))
    assert d.scenario == 2
    assert d.modalite == Modalite.rdv_obligatoire
    assert d.probabilite_modele is None


def test_departement_sans_fichier_regles_nationales_scenario_4() -> None:
    d = recommend(Dossier.depuis_cnaf({**EXEMPLE_CNAF, "departement": "2A"}))
    assert d.scenario == 4 and d.modalite == Modalite.rdv_obligatoire


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dossiers())
def test_propriete_decision_toujours_valide_et_deterministe(dossier: Dossier) -> None:
    ref = Referentiel.charger(dossier.departement)
    d1 = recommend(dossier, ref)
    d2 = recommend(Dossier.depuis_cnaf(dossier.vers_cnaf()), ref)
    assert d1 == d2
    if dossier.primo_demandeur or dossier.demande_rdv:
        assert d1.modalite == Modalite.rdv_obligatoire
    if d1.modalite == Modalite.orientation_directe:
        assert d1.scenario == 4 and d1.parcours is not None and d1.probabilite_modele is not None
        assert not any(r in d1.regles_declenchees for r in ("primo_demandeur", "demande_rdv", "fragilite_sante",
                                                             "fragilite_logement", "violences_conjugales"))
    assert d1.delais.orientation_au_plus_tard > d1.delais.date_reference


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(dossiers(), min_size=8, max_size=16))
def test_recommend_concurrent_identique_au_sequentiel(exemples: list[Dossier]) -> None:
    sequentiel = [recommend(d) for d in exemples]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallele = list(pool.map(recommend, exemples))
    assert parallele == sequentiel
