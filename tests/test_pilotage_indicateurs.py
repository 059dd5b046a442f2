"""Convention indicators on a small hand-computed fixture (every figure computed by hand below).

Period 2024-01:2025-02, date d'arrêt A = 2025-02-28 (the period's last day).  Eleven persons cover:
the leap day (2024-02-29 as an end and as a start), month ends (31 January + 1 month = 29 February
2024 / 28 February 2025), missing dates (never notified; notification missing → opening of rights),
persons not yet oriented or contracted at A, an event dated after A, a start before the period,
and the decree's cut-off (reference 2024-12-31 vs 2025).

Elapsed days to A used for censored persons (by hand):
  2024-03-29 → A: 2024-03-29 → 2025-03-29 is 365 days, minus 29 (2025-02-28 → 2025-03-29) = 336
  2024-03-10 → A: 365 − 10 (2025-02-28 → 2025-03-10) = 355
  2024-05-15 → A: 365 − 76 (2025-02-28 → 03-28: 28, → 04-28: 31, → 05-15: 17) = 289
  2025-02-10 → A: 18 ; 2025-01-31 → A: 28 ; 2025-01-20 → A: 11 + 28 = 39 ; 2025-02-26 → A: 2 ;
  2025-02-27 → A: 1 ; 2025-02-20 → A: 8
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from orientation.decision import ajouter_mois, delais_legaux
from orientation.pilotage.calcul import PAS_ORIENTE, Ligne, calculer, quantile_rang, quantile_tous
from orientation.pilotage.definitions import INDICATEURS, INDICATEURS_PAR_ID
from orientation.pilotage.evenements import COLONNES, lire_texte
from orientation.pilotage.periode import Periode

# identifiant, demande, complet, ouverture, notification, orientation, absence, relance, honoré, cer, structure, parcours
FIXTURE = [
    # P1 leap day as end: ref 01-31 → orientation 02-29 (deadline ajouter_mois = 02-29: on time, 29 d);
    #    first appointment 14 d after (03-14, on the deadline), CER 7 d after it (03-21, on the deadline)
    "P1,2024-01-20,2024-01-22,2024-01-01,2024-01-31,2024-02-29,,,2024-03-14,2024-03-21,france_travail,professionnel",
    # P2 one day late across the month end: orientation 03-01 (30 d, deadline 02-29); absent 03-20 (19 d after
    #    orientation), follow-up 04-05 (16 d), attended 04-10, CER 04-30 (20 d)
    "P2,2024-01-25,2024-01-26,2024-01-01,2024-01-31,2024-03-01,2024-03-20,2024-04-05,2024-04-10,2024-04-30,"
    "departement,social",
    # P3 leap day as start: notified 02-29 (17 d after complete), oriented 03-29 (deadline 03-29: on time, 29 d:
    #    February 29 → March 29 is 29 days);
    #    no appointment, no CER at A
    "P3,2024-02-10,2024-02-12,2024-02-01,2024-02-29,2024-03-29,,,,,ccas,social",
    # P4 never notified (complete 03-10): no reference date, so in no orientation population
    "P4,2024-03-05,2024-03-10,,,,,,,,,",
    # P5 no notification: reference = opening 04-01, oriented 05-15 (44 d); nothing after
    "P5,2024-04-02,,2024-04-01,,2024-05-15,,,,,france_travail,professionnel",
    # P6 reference 2024-12-31 (before the decree); oriented 2025-01-31 (31 d, deadline 01-31: on time);
    #    attended 02-10; no CER at A (contract deadline 2025-01-31 + 1 month = 02-28 = A: elapsed)
    "P6,2024-12-02,2024-12-16,2024-12-01,2024-12-31,2025-01-31,,,2025-02-10,,departement,socio_professionnel",
    # P7 notified 2025-01-20, not oriented at A
    "P7,2025-01-02,2025-01-03,2025-01-01,2025-01-20,,,,,,,",
    # P8 notified 01-15, oriented 02-26 (42 d: the six weeks' last day), absent 02-27, no follow-up yet
    "P8,2025-01-06,2025-01-08,2025-01-01,2025-01-15,2025-02-26,2025-02-27,,,,france_travail,professionnel",
    # P9 notified 02-20, oriented 2025-03-10: after A, so not oriented yet at A
    "P9,2025-02-03,2025-02-05,2025-02-01,2025-02-20,2025-03-10,,,,,france_travail,professionnel",
    # P10 rights and complete application before the period; oriented 2024-01-10 (in it), attended 01-17, CER 01-24
    "P10,2023-12-01,2023-12-04,2023-12-01,2023-12-20,2024-01-10,,,2024-01-17,2024-01-24,mission_locale,professionnel",
    # P11 notified 02-14 (9 d), oriented 02-28 (14 d), absent 03-01 (2 d, across the leap day), follow-up 03-15
    #    (14 d), attended 03-20, CER 03-22 (2 d)
    "P11,2024-02-01,2024-02-05,2024-02-01,2024-02-14,2024-02-28,2024-03-01,2024-03-15,2024-03-20,2024-03-22,"
    "departement,socio_professionnel",
]
PERIODE = Periode.depuis_texte("2024-01:2025-02")


@pytest.fixture(scope="module")
def lignes() -> list[Ligne]:
    lecture = lire_texte(",".join(COLONNES) + "\n" + "\n".join(FIXTURE) + "\n", "fixture.csv")
    assert lecture.rejets == [] and len(lecture.personnes) == 11
    return calculer(lecture.personnes, PERIODE, ("mois",))


def _ensemble(lignes: list[Ligne], ident: str) -> Ligne:
    (l,) = [x for x in lignes if x.indicateur.id == ident and not x.groupe]
    return l


def _verifier(l: Ligne, population: int, dans: int | None, hors: int | None, cours: int | None, survenus: int,
              taux: float | None, moyenne: float | None, mediane: int | None, p90: int | None,
              moyenne_tous: float, mediane_tous: tuple[int, bool], p90_tous: tuple[int, bool]) -> None:
    assert (l.population, l.dans_delai, l.hors_delai, l.en_cours, l.survenus, l.pas_encore) == \
        (population, dans, hors, cours, survenus, population - survenus)
    assert l.taux == (None if taux is None else pytest.approx(taux))
    d = l.delais
    assert d.moyenne == (None if moyenne is None else pytest.approx(moyenne))
    assert (d.mediane, d.p90) == (mediane, p90)
    assert d.moyenne_tous == pytest.approx(moyenne_tous)
    assert (d.mediane_tous, d.p90_tous) == (mediane_tous, p90_tous)
    assert d.censures == population - survenus


def test_notification_2_et_3_semaines(lignes: list[Ligne]) -> None:
    # population (complete application in the period): P1 P2 P3 P4 P6 P7 P8 P9 P11 = 9 (P5 none, P10 before)
    # delays: P1 9, P2 5, P3 17, P6 15, P7 17, P8 7, P9 15, P11 9 ; P4 never notified: at least 355
    # ≤ 14 d: P1 P2 P8 P11 = 4 ; late: P3 P6 P7 P9 + P4 (deadline 2024-03-24 passed) = 5 ; 4/9
    # observed sorted 5 7 9 9 15 15 17 17: mean 94/8 = 11.75, median rank 4 = 9, p90 rank 8 = 17
    # everybody: + 355 → mean 449/9 ≥ ; median rank 5 = 15 both ways: exact ; p90 rank 9 = 355, only 8 observed: ≥ 355
    _verifier(_ensemble(lignes, "notification_2_semaines"), 9, 4, 5, 0, 8, 4 / 9, 11.75, 9, 17,
              449 / 9, (15, False), (355, True))
    # ≤ 21 d: all but P4 = 8 ; 8/9
    _verifier(_ensemble(lignes, "notification_3_semaines"), 9, 8, 1, 0, 8, 8 / 9, 11.75, 9, 17,
              449 / 9, (15, False), (355, True))


# reference (notification, else opening) in the period: P1 P2 P3 P5 P6 P7 P8 P9 P11 = 9 (P4 none, P10 before)
# delays to orientation: P1 29, P2 30, P3 29, P5 44, P6 31, P8 42, P11 14 ; P7 ≥ 39, P9 ≥ 8 (oriented after A)
# observed sorted 14 29 29 30 31 42 44: mean 219/7, median rank 4 = 30, p90 rank 7 = 44
# everybody sorted 8 14 29 29 30 31 39 42 44: mean 266/9 ≥ ; median rank 5 = 30 but observed rank 5 = 31: ≥ 30 ;
# p90 rank 9 = 44, 7 observed: ≥ 44
ORIENTATION = dict(moyenne=219 / 7, mediane=30, p90=44, moyenne_tous=266 / 9, mediane_tous=(30, True),
                   p90_tous=(44, True))


def test_orientation_dans_le_mois(lignes: list[Ligne]) -> None:
    # deadlines (same day next month, clamped): P1 02-29 on time ; P2 02-29 late (03-01) ; P3 03-29 on time ;
    # P5 05-01 late ; P6 2025-01-31 on time ; P7 2025-02-20 passed at A: late ; P8 02-15 late ; P9 03-20 > A: en cours ;
    # P11 03-14 on time → 4 on time, 4 late, 1 en cours ; 4/8
    _verifier(_ensemble(lignes, "orientation_1_mois"), 9, 4, 4, 1, 7, 0.5, **ORIENTATION)


def test_orientation_15_30_45_jours(lignes: list[Ligne]) -> None:
    # 15 d: on time P11 ; late P1 P2 P3 P5 P6 P8 + P7 (deadline 2025-02-04 ≤ A) = 7 ; P9 (03-07 > A) en cours ; 1/8
    _verifier(_ensemble(lignes, "orientation_15_jours"), 9, 1, 7, 1, 7, 1 / 8, **ORIENTATION)
    # 30 d: on time P1 (29) P2 (30) P3 (29) P11 ; late P5 P6 (31) P8 + P7 (02-19 ≤ A) ; P9 en cours ; 4/8
    _verifier(_ensemble(lignes, "orientation_30_jours"), 9, 4, 4, 1, 7, 0.5, **ORIENTATION)
    # 45 d: on time all 7 observed ; P7 (03-06 > A) and P9 en cours ; 7/7
    _verifier(_ensemble(lignes, "orientation_45_jours"), 9, 7, 0, 2, 7, 1.0, **ORIENTATION)


def test_taux_orientation(lignes: list[Ligne]) -> None:
    # 7 oriented at A out of 9: P7 and P9 counted « pas encore », not dropped
    _verifier(_ensemble(lignes, "taux_orientation"), 9, None, None, None, 7, 7 / 9, **ORIENTATION)


def test_orientation_six_semaines_depuis_le_decret(lignes: list[Ligne]) -> None:
    # only references from 2025-01-01: P7 (01-20), P8 (01-15), P9 (02-20) ; P6 (2024-12-31) excluded
    # P8 42 d = deadline 02-26: on time ; P7 (deadline 03-03) and P9 (04-03) not oriented, deadline after A: en cours
    # observed [42] ; everybody 8 39 42: mean 89/3 ≥, median rank 2 = 39 (1 observed) ≥, p90 rank 3 = 42 ≥
    _verifier(_ensemble(lignes, "orientation_6_semaines"), 3, 1, 0, 2, 1, 1.0, 42, 42, 42,
              89 / 3, (39, True), (42, True))


def test_premier_rendez_vous(lignes: list[Ligne]) -> None:
    # orientation in the period by A: P1 P2 P3 P5 P6 P8 P10 P11 = 8 (P9's is after A, P4 P7 none)
    # first appointment, attended or not: P1 14 (deadline day), P2 19 (absence), P6 10, P8 1 (absence), P10 7,
    # P11 2 (absence 03-01 after 02-28: leap day between) ; P3 ≥ 336, P5 ≥ 289, deadlines passed: late
    # on time P1 P6 P8 P10 P11 = 5 ; late P2 P3 P5 = 3 ; 5/8
    # observed sorted 1 2 7 10 14 19: mean 53/6, median rank 3 = 7, p90 rank 6 = 19
    # everybody + 289 336: mean 678/8 ≥ ; median rank 4 = 10 both ways: exact ; p90 rank 8 = 336 ≥
    _verifier(_ensemble(lignes, "premier_rdv_2_semaines"), 8, 5, 3, 0, 6, 5 / 8, 53 / 6, 7, 19,
              678 / 8, (10, False), (336, True))


def test_relance_apres_absence(lignes: list[Ligne]) -> None:
    # absences: P2 (follow-up 16 d: late), P8 (none yet, deadline 03-14 > A: en cours, ≥ 1), P11 (14 d: on time)
    # observed 14 16: mean 15, median rank 1 = 14, p90 rank 2 = 16 ; everybody 1 14 16: mean 31/3 ≥,
    # median rank 2 = 14 but observed rank 2 = 16: ≥ 14 ; p90 rank 3 = 16 ≥
    _verifier(_ensemble(lignes, "relance_absence_15_jours"), 3, 1, 1, 1, 2, 0.5, 15, 14, 16,
              31 / 3, (14, True), (16, True))


def test_contrat_dans_la_semaine(lignes: list[Ligne]) -> None:
    # attended first appointment in the period: P1 P2 P6 P10 P11 = 5 (P8 absent, not attended)
    # P1 7 on time, P2 20 late, P6 none (deadline 02-17 ≤ A: late, ≥ 18), P10 7 on time, P11 2 on time ; 3/5
    # observed sorted 2 7 7 20: mean 9, median rank 2 = 7, p90 rank 4 = 20 ; everybody + 18: mean 54/5 ≥,
    # median rank 3 = 7 both ways: exact ; p90 rank 5 = 20 (4 observed) ≥
    _verifier(_ensemble(lignes, "cer_1_semaine"), 5, 3, 2, 0, 4, 0.6, 9, 7, 20, 54 / 5, (7, False), (20, True))


def test_contrat_dans_le_mois_depuis_le_decret(lignes: list[Ligne]) -> None:
    # orientations from 2025-01-01: P6 (01-31: deadline clamped to 02-28 = A, passed with no contract: late, ≥ 28)
    # and P8 (02-26: deadline 03-26 > A: en cours, ≥ 2) ; 0/1 ; no observed delay
    # everybody 2 28: mean 15 ≥, median rank 1 = 2 ≥, p90 rank 2 = 28 ≥
    _verifier(_ensemble(lignes, "contrat_1_mois"), 2, 0, 1, 1, 0, 0.0, None, None, None, 15, (2, True), (28, True))


def test_taux_contractualisation(lignes: list[Ligne]) -> None:
    # same population as the first appointment (8) ; contracts P1 21, P2 60 (03-01 → 04-30), P10 14, P11 23 ;
    # P3 ≥ 336, P5 ≥ 289, P6 ≥ 28, P8 ≥ 2 « pas encore » ; 4/8
    # observed sorted 14 21 23 60: mean 29.5, median rank 2 = 21, p90 rank 4 = 60
    # everybody sorted 2 14 21 23 28 60 289 336: mean 773/8 ≥ ; median rank 4 = 23, observed rank 4 = 60: ≥ 23 ;
    # p90 rank 8 = 336 ≥
    _verifier(_ensemble(lignes, "taux_contractualisation"), 8, None, None, None, 4, 0.5, 29.5, 21, 60,
              773 / 8, (23, True), (336, True))


def test_chaque_indicateur_du_rapport_est_verifie_ici() -> None:
    # the tests above name every indicator of the table: a new one needs its hand-computed test
    source = open(__file__, encoding="utf-8").read()
    assert all(f'"{i.id}"' in source for i in INDICATEURS)


def test_par_mois_de_l_evenement_de_depart(lignes: list[Ligne]) -> None:
    mois = {dict(l.groupe)["mois"]: l for l in lignes if l.indicateur.id == "orientation_1_mois" and l.groupe}
    assert list(mois) == PERIODE.mois and len(mois) == 14  # every month, empty ones included
    # 2024-01: P1 on time, P2 late ; 2024-02: P3 (29th) and P11 on time ; 2024-04: P5 late ; 2024-12: P6 on time ;
    # 2025-01: P7 and P8 late ; 2025-02: P9 en cours (no rate) ; 2024-03: nobody
    attendu = {"2024-01": (2, 1, 1, 0, 0.5), "2024-02": (2, 2, 0, 0, 1.0), "2024-03": (0, 0, 0, 0, None),
               "2024-04": (1, 0, 1, 0, 0.0), "2024-12": (1, 1, 0, 0, 1.0), "2025-01": (2, 0, 2, 0, 0.0),
               "2025-02": (1, 0, 0, 1, None)}
    for m, (pop, dans, hors, cours, taux) in attendu.items():
        l = mois[m]
        assert (l.population, l.dans_delai, l.hors_delai, l.en_cours, l.taux) == (pop, dans, hors, cours, taux), m
    assert sum(l.population for l in mois.values()) == 9


def test_par_structure_les_non_orientes_restent_comptes() -> None:
    lecture = lire_texte(",".join(COLONNES) + "\n" + "\n".join(FIXTURE) + "\n", "fixture.csv")
    lignes = calculer(lecture.personnes, PERIODE, ("structure",), (INDICATEURS_PAR_ID["taux_orientation"],))
    groupes = {dict(l.groupe)["structure"]: (l.population, l.survenus) for l in lignes if l.groupe}
    # P3 ccas ; P2 P6 P11 departement ; P1 P5 P8 france_travail ; P7 and P9 (oriented after A) not yet oriented
    assert groupes == {"ccas": (1, 1), "departement": (3, 3), "france_travail": (3, 3), PAS_ORIENTE: (2, 0)}


def test_date_d_arret_posterieure_juge_les_derniers_mois() -> None:
    # same persons, period 2025-02 only, data up to 2025-03-31: P9 (ref 02-20, oriented 03-10 = 18 d) is on time
    lecture = lire_texte(",".join(COLONNES) + "\n" + "\n".join(FIXTURE) + "\n", "fixture.csv")
    periode = Periode.depuis_texte("2025-02:2025-02", arret="2025-03-31")
    (l,) = calculer(lecture.personnes, periode, (), (INDICATEURS_PAR_ID["orientation_1_mois"],))
    assert (l.population, l.dans_delai, l.hors_delai, l.en_cours, l.delais.moyenne) == (1, 1, 0, 0, 18)


def test_echeances_identiques_a_celles_des_decisions() -> None:
    for ref in (date(2024, 1, 31), date(2024, 2, 29), date(2025, 1, 1), date(2025, 1, 31), date(2025, 12, 31)):
        assert INDICATEURS_PAR_ID["orientation_1_mois"].echeance(ref) == ajouter_mois(ref, 1)
        assert INDICATEURS_PAR_ID["orientation_6_semaines"].echeance(ref) == \
            delais_legaux(ref)["orientation_limite_legale"]
        assert INDICATEURS_PAR_ID["premier_rdv_2_semaines"].echeance(ref) == ref + timedelta(days=14)
    assert INDICATEURS_PAR_ID["orientation_6_semaines"].echeance(date(2024, 12, 31)) is None
    assert INDICATEURS_PAR_ID["contrat_1_mois"].echeance(date(2025, 1, 31)) == date(2025, 2, 28)


@given(st.lists(st.integers(0, 400), max_size=12), st.lists(st.integers(0, 400), max_size=12),
       st.sampled_from([0.5, 0.9]), st.data())
def test_quantile_des_censures_encadre_toute_issue(observes: list[int], bornes: list[int], q: float,
                                                   data: st.DataObject) -> None:
    if not observes and not bornes:
        return
    valeur, minimum = quantile_tous(observes, bornes, q)
    # whatever the censored delays turn out to be (each at least its bound), the true quantile is ≥ the value,
    # and equal to it when it is said exact
    issues = [b + data.draw(st.integers(0, 500)) for b in bornes]
    vrai = quantile_rang(observes + issues, q)
    assert vrai >= valeur
    if not minimum:
        assert vrai == valeur
    # the rank method returns a member of the list, of rank ⌈q·n⌉
    tous = sorted(observes + bornes)
    assert valeur == tous[max(1, math.ceil(q * len(tous))) - 1]


def test_suivi_saisi_a_partir_d_une_date() -> None:
    """A source whose follow-up columns are entered only from some date on (the workspace's database): an
    indicator whose end event is such a column counts only the clocks starting on or after the first event
    entered.  Same eleven persons, entry of the first appointments from 2024-03-01 (attended) and 2024-03-20
    (missed), of the contracts from 2024-03-21; follow-up actions complete (no cut)."""
    from orientation.pilotage.rapport import html, preparer

    lecture = lire_texte(",".join(COLONNES) + "\n" + "\n".join(FIXTURE) + "\n", "fixture.csv")
    lecture.saisie_depuis = {"date_premier_rdv": date(2024, 3, 1), "date_absence_premier_rdv": date(2024, 3, 20),
                             "date_signature_cer": date(2024, 3, 21)}
    rapport = preparer(lecture, "fixture", PERIODE, ())
    sections = {s.indicateur.id: s for s in rapport.sections}
    # premier_rdv_2_semaines: first appointment (attended or missed) entered from min(03-01, 03-20) = 2024-03-01.
    # Orientations of the period: P10 01-10, P11 02-28, P1 02-29 (before: left out, 3 persons); P2 03-01, P3 03-29,
    # P5 05-15, P6 2025-01-31, P8 2025-02-26 kept.  P2 first appointment 03-20 (missed) 19 d > 14: late; P3, P5
    # none and deadline (04-12, 05-29) passed: late; P6 attended 02-10 (10 d), P8 missed 02-27 (1 d): in time.
    # 2 / 5.  Observed delays 19, 10, 1: mean 10; censored P3 336 d, P5 289 d to A.
    s = sections["premier_rdv_2_semaines"]
    assert (s.debut_saisie, s.avant_saisie) == (date(2024, 3, 1), 3)
    _verifier(s.ensemble, 5, 2, 3, 0, 3, 0.4, 10, 10, 19, (19 + 10 + 1 + 336 + 289) / 5, (19, False), (336, True))
    # cer_1_semaine: contracts entered from 2024-03-21.  Attended: P10 01-17, P1 03-14, P11 03-20 left out (3);
    # P2 04-10 → CER 04-30 (20 d) late; P6 2025-02-10, no CER, deadline 02-17 passed: late.  0 / 2.
    # Censored P6: 2025-02-10 → A 18 d; median of all (rank 1 of 18, 20): at least 18 (P6's delay may end at 19).
    s = sections["cer_1_semaine"]
    assert (s.debut_saisie, s.avant_saisie) == (date(2024, 3, 21), 3)
    _verifier(s.ensemble, 2, 0, 2, 0, 1, 0.0, 20, 20, 20, (20 + 18) / 2, (18, True), (20, True))
    # taux_contractualisation: orientations from 2024-03-21 on: P3 03-29, P5 05-15, P6 2025-01-31, P8 02-26 (4);
    # P10, P11, P1, P2 left out (4).  No contract among the four: rate 0; at least 336, 289, 28, 2 days.
    s = sections["taux_contractualisation"]
    assert (s.debut_saisie, s.avant_saisie) == (date(2024, 3, 21), 4)
    _verifier(s.ensemble, 4, None, None, None, 0, 0.0, None, None, None, (336 + 289 + 28 + 2) / 4, (28, True),
              (336, True))
    # contrat_1_mois: legal, orientations from 2025 only (P6, P8): both after 2024-03-21, nobody left out
    assert (sections["contrat_1_mois"].debut_saisie, sections["contrat_1_mois"].avant_saisie) == \
        (date(2024, 3, 21), 0)
    # end events not entered from a date: no cut (follow-up actions, notifications, orientations)
    assert [i for i, s in sections.items() if s.debut_saisie is not None] == [
        "premier_rdv_2_semaines", "cer_1_semaine", "contrat_1_mois", "taux_contractualisation"]
    page = html(rapport)
    assert 'id="saisie-partielle"' in page and 'id="cer_1_semaine-saisie"' in page
    assert "« signature du contrat d&#39;engagement (CER ou PPAE) » n'est enregistré qu'à partir du 21/03/2024" in page
    assert "3 personne(s) de la période, parties avant, sont hors population" in page
    assert 'id="relance_absence_15_jours-saisie"' not in page
    # a file is complete by its contract: no cut at all
    assert all(s.debut_saisie is None for s in preparer(lire_texte(",".join(COLONNES) + "\n" + "\n".join(FIXTURE)
                                                                   + "\n", "f.csv"), "f", PERIODE, ()).sections)
