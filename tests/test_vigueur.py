"""Dated rules: periods of validity, versions of the référentiel, rules in force at a date, bulk twin."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation import Dossier, explain, recommend
from orientation.dossier.cnaf import CLES
from orientation.dossier.tabulaire import enregistrement_vers_ligne
from orientation.erreurs import ReglesInvalides
from orientation.regles.referentiel import Referentiel, verifier
from orientation.regles.vectoriel import EvaluateurVectoriel, encoder
from orientation.regles.vigueur import Periode, lire_periode, representant, segments
from orientation.vocabulaire import Modalite, Parcours

from .strategies import donnees_dossier

# A national rule that changes on 1 January 2025 (two versions of one id), a rule that ends,
# a grid replaced by another on that date, and a département override limited to 2026.
NATIONAL = """\
portee: national
regles:
  - id: primo_demandeur
    titre: "Primo-demandeur (avant 2025)"
    reference: "Texte A"
    en_vigueur: {au: 2024-12-31}
    si: {champ: primo_demandeur, egal: true}
    alors: {modalite: rdv_obligatoire}
  - id: primo_demandeur
    titre: "Primo-demandeur de moins de 30 ans (depuis 2025)"
    reference: "Texte B"
    en_vigueur: {du: 2025-01-01}
    si:
      tous:
        - {champ: primo_demandeur, egal: true}
        - {champ: age(date_demande), inferieur: 30}
    alors: {modalite: examen_individuel}
  - id: rdv_demande
    titre: "Rendez-vous demandé"
    reference: "Texte C"
    si: {champ: demande_rdv, egal: true}
    alors: {modalite: rdv_obligatoire}
grilles:
  - id: grille_nationale
    titre: "Grille nationale"
    reference: "Arrêté de test"
    en_vigueur: {du: 2025-01-01}
    lignes:
      - id: n_actif
        titre: "Activité récente"
        si: {champ: diagnostic.activite_recente, egal: true}
        alors: {parcours: professionnel, structure: france_travail}
      - id: n_inactif
        titre: "Sans activité récente"
        si: {champ: diagnostic.activite_recente, egal: false}
        alors: {parcours: social}
"""

DEPARTEMENT = """\
portee: departement
departement: "58"
scenario: 4
grilles_nationales: [grille_nationale]
regles:
  - id: rdv_demande
    remplace: true
    titre: "Rendez-vous demandé (2026 : examen)"
    reference: "Délibération de test"
    en_vigueur: {du: 2026-01-01, au: 2026-12-31}
    si: {champ: demande_rdv, egal: true}
    alors: {modalite: examen_individuel}
grilles:
  - id: grille_58
    titre: "Grille départementale"
    reference: "Grille de test"
    lignes:
      - id: d_jeune
        titre: "Moins de 26 ans (jusqu'en 2024)"
        priorite: 10
        en_vigueur: {au: 2024-12-31}
        si: {champ: age(date_demande), inferieur: 26}
        alors: {parcours: professionnel, structure: mission_locale}
      - id: d_defaut
        titre: "Défaut"
        priorite: 99
        si: {toujours: true}
        alors: {parcours: socio_professionnel}
"""


def ecrire(tmp: Path, national: str = NATIONAL, departement: str | None = DEPARTEMENT, code: str = "58") -> Path:
    (tmp / "departements").mkdir(parents=True, exist_ok=True)
    (tmp / "national.yaml").write_text(textwrap.dedent(national), encoding="utf-8")
    if departement is not None:
        (tmp / "departements" / f"{code}.yaml").write_text(textwrap.dedent(departement), encoding="utf-8")
    return tmp


def dossier(jour: str, **extra: Any) -> Dossier:
    donnees = {"identifiant": "V-1", "departement": "58", "date_demande": jour, "date_ouverture_droits": jour,
               "date_naissance": "2000-06-01", "foyer": {"composition": "personne_seule"},
               "soumis_droits_devoirs": True, "primo_demandeur": True, **extra}
    return Dossier.valider(donnees)


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Referentiel:
    return Referentiel.charger("58", ecrire(tmp_path_factory.mktemp("vigueur")))


# --------------------------------------------------------------------------- periods


def test_lire_periode_et_erreurs() -> None:
    assert lire_periode({"du": "2025-01-01", "au": date(2025, 12, 31)}, "f", "r") == Periode(date(2025, 1, 1),
                                                                                         date(2025, 12, 31))
    for brut, morceau in (({"du": "2025-02-30"}, "AAAA-MM-JJ"), ({"au": "2024-01-01", "du": "2025-01-01"}, "précède"),
                          ({}, "au moins"), ({"depuis": "2025-01-01"}, "depuis"), ("2025", "au moins"),
                          ({"du": None, "au": None}, "« du », « au »")):
        with pytest.raises(ReglesInvalides) as exc:
            lire_periode(brut, "regles.yaml", "ma_regle")
        assert morceau in exc.value.raison and exc.value.fichier == "regles.yaml" and exc.value.regle == "ma_regle"


_BORNE = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def periodes(draw: st.DrawFn) -> Periode:
    du, au = draw(st.one_of(st.none(), _BORNE)), draw(st.one_of(st.none(), _BORNE))
    if du is not None and au is not None and au < du:
        du, au = au, du
    return Periode(du, au)


@settings(max_examples=200, deadline=None)
@given(st.lists(periodes(), max_size=6), st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31)))
def test_segments_partitionnent_le_temps(ps: list[Periode], jour: date) -> None:
    segs = segments(ps)
    contenant = [s for s in segs if s.contient(jour)]
    assert len(contenant) == 1  # a partition of time
    seg = contenant[0]
    assert seg.contient(representant(seg))
    # within a segment, every period either contains every date or none
    assert [p.contient(jour) for p in ps] == [p.contient(representant(seg)) for p in ps]
    assert all(a.au is not None and b.du == a.au + timedelta(days=1) for a, b in zip(segs, segs[1:]))


# --------------------------------------------------------------------------- versions of the référentiel


def test_versions_et_regles_en_vigueur_a_la_date_de_demande(ref: Referentiel) -> None:
    assert [v.periode.libelle() for v in ref.versions] == [
        "jusqu’au 31/12/2024", "du 01/01/2025 au 31/12/2025", "du 01/01/2026 au 31/12/2026", "depuis le 01/01/2027"]
    avant, apres = ref.evaluer(dossier("2024-12-31")), ref.evaluer(dossier("2025-01-01"))
    assert avant.modalite == Modalite.rdv_obligatoire and apres.modalite == Modalite.examen_individuel
    assert [r.id for r in avant.declenchees] == ["primo_demandeur", "d_jeune"]
    # the second version of the rule carries the date it comes into force; lines follow their grid
    assert [r.id for r in apres.declenchees] == ["primo_demandeur@2025-01-01", "d_defaut"]
    assert avant.vigueur is not None and apres.vigueur is not None
    assert (avant.vigueur.du, avant.vigueur.au) == (None, date(2024, 12, 31))
    assert (apres.vigueur.du, apres.vigueur.au) == (date(2025, 1, 1), date(2025, 12, 31))
    assert avant.vigueur.empreinte != apres.vigueur.empreinte
    assert avant.version_regles == apres.version_regles == ref.version  # the files' hash
    par_id = {r.id: r for r in apres.regles}
    assert par_id["primo_demandeur@2025-01-01"].titre.endswith("(depuis 2025)")
    assert par_id["primo_demandeur@2025-01-01"].en_vigueur_du == date(2025, 1, 1)
    assert "primo_demandeur" not in par_id and "d_jeune" not in par_id  # not in force: not evaluated


def test_date_donnee_plutot_que_date_de_demande(ref: Referentiel) -> None:
    d = dossier("2025-03-01")
    assert ref.evaluer(d).modalite == Modalite.examen_individuel
    ev = ref.evaluer(d, date(2024, 6, 1))
    assert ev.modalite == Modalite.rdv_obligatoire and ev.vigueur is not None
    assert ev.vigueur.date_application == date(2024, 6, 1)
    assert ref.issue(d, date(2024, 6, 1)).modalite == Modalite.rdv_obligatoire
    assert ref.declenchees_moteur(d, date(2024, 6, 1)) == ref.declenchees_python(d, date(2024, 6, 1))
    assert ref.evaluer_python(d, date(2024, 6, 1)) == ev


def test_remplacement_departemental_limite_a_sa_periode(ref: Referentiel) -> None:
    def modalite(jour: str) -> Modalite | None:
        return ref.evaluer(dossier(jour, primo_demandeur=False, demande_rdv=True)).modalite

    assert modalite("2025-12-31") == Modalite.rdv_obligatoire  # national rule
    assert modalite("2026-06-01") == Modalite.examen_individuel  # département's version, 2026 only
    assert modalite("2027-01-01") == Modalite.rdv_obligatoire  # the national rule again
    ids = {r.id for r in ref.regles}
    assert {"rdv_demande", "rdv_demande@2026-01-01", "primo_demandeur", "primo_demandeur@2025-01-01"} <= ids


def test_grille_nationale_choisie_et_datee(ref: Referentiel) -> None:
    assert [g.id for g in ref.grilles] == ["grille_nationale", "grille_58"]  # national grid evaluated first
    ev24 = ref.evaluer(dossier("2024-06-01", diagnostic={"activite_recente": True}))
    ev25 = ref.evaluer(dossier("2025-06-01", diagnostic={"activite_recente": True}))
    assert ev24.proposition_grille is not None and ev24.proposition_grille.id == "d_jeune"
    assert ev25.proposition_grille is not None and ev25.proposition_grille.id == "n_actif"
    assert ev25.proposition_grille.effet.parcours == Parcours.professionnel
    sans = ref.evaluer(dossier("2025-06-01"))  # no diagnostic: the national grid proposes nothing
    assert sans.proposition_grille is not None and sans.proposition_grille.id == "d_defaut"


def test_decision_et_explication_nomment_la_version(ref: Referentiel) -> None:
    d = dossier("2025-01-01")
    decision = recommend(d, ref)
    v = decision.versions.regles_en_vigueur
    assert v is not None and v.du == date(2025, 1, 1) and v.date_application == date(2025, 1, 1)
    assert decision.regles_declenchees[0] == "primo_demandeur@2025-01-01"
    texte = explain(d, ref).texte("complet")
    assert "en vigueur le 01/01/2025" in texte and v.empreinte[:12] in texte
    assert "En vigueur depuis le 01/01/2025." in texte  # the rule's own period


def test_sans_date_une_seule_version() -> None:
    ref = Referentiel.charger("75")
    assert len(ref.versions) == 1 and ref.versions[0].periode.toujours
    ev = ref.evaluer(dossier("2019-01-01", departement="75"))
    assert ev.vigueur is not None and ev.vigueur.libelle == "sans limite de date"


def test_departements_livres_avant_2025_inchanges() -> None:
    """93 chose the national criteria from 2025: before, and without a diagnostic, its grid is unchanged."""
    ref = Referentiel.charger("93")
    assert [v.periode for v in ref.versions] == [Periode(None, date(2024, 12, 31)), Periode(date(2025, 1, 1), None)]
    assert [g.id for g in ref.versions[0].grilles] == ["grille_93"]
    assert [g.id for g in ref.versions[1].grilles] == ["criteres_nationaux", "grille_93"]
    for code in ("58", "69"):
        assert len(Referentiel.charger(code).versions) == 1


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("national, departement, morceau, regle", [
    (NATIONAL.replace("en_vigueur: {du: 2025-01-01}\n    si:", "en_vigueur: {du: 2024-12-31}\n    si:"), None,
     "deux versions en vigueur en même temps", "primo_demandeur"),
    (NATIONAL, DEPARTEMENT.replace("[grille_nationale]", "[grille_inconnue]"), "grille nationale inconnue",
     "grille_inconnue"),
    (NATIONAL, DEPARTEMENT.replace("en_vigueur: {au: 2024-12-31}", "en_vigueur: {au: 2024-02-30}"),
     "AAAA-MM-JJ", "d_jeune"),
    (NATIONAL.replace("    lignes:\n      - id: n_actif\n        titre: \"Activité récente\"\n",
                      "    lignes:\n      - id: n_actif\n        titre: \"Activité récente\"\n"
                      "        en_vigueur: {au: 2024-06-30}\n"), None, "jamais en vigueur", "n_actif"),
    (NATIONAL, DEPARTEMENT.replace("      - id: d_defaut\n        titre: \"Défaut\"\n        priorite: 99\n",
                                   "      - id: d_defaut\n        titre: \"Défaut\"\n        priorite: 5\n"
                                   "        en_vigueur: {du: 2023-01-01}\n"),
     "inatteignable", "d_jeune"),
])
def test_erreurs_de_dates(tmp_path: Path, national: str, departement: str | None, morceau: str, regle: str) -> None:
    racine = ecrire(tmp_path, national, departement if departement is not None else DEPARTEMENT)
    with pytest.raises(ReglesInvalides) as exc:
        Referentiel.charger("58", racine)
    assert morceau in exc.value.raison and exc.value.regle == regle, exc.value
    assert any(l.startswith("ERREUR") and morceau in l for l in verifier(racine))


def test_verifier_decrit_les_periodes(tmp_path: Path) -> None:
    lignes = verifier(ecrire(tmp_path))
    assert lignes[0].startswith("OK") and "grille(s) à choisir : grille_nationale" in lignes[0]
    assert lignes[1].startswith("OK") and "4 périodes de vigueur" in lignes[1] and "depuis le 01/01/2027" in lignes[1]


# --------------------------------------------------------------------------- bulk twin


def _table(lignes: list[dict[str, str]]) -> pa.Table:
    return pa.table({k: pa.array([ligne.get(k, "") for ligne in lignes], pa.string()) for k in CLES})


@st.composite
def dossiers_dates(draw: st.DrawFn) -> Dossier:
    donnees = draw(donnees_dossier("58"))
    jour = draw(st.sampled_from(["2024-12-31", "2025-01-01", "2025-12-31", "2026-01-01", "2026-12-31",
                                 "2027-01-01", "2019-05-05"]))
    donnees["date_demande"] = jour
    donnees["date_ouverture_droits"] = jour
    donnees.pop("date_notification_droits", None)
    donnees["date_naissance"] = draw(st.sampled_from(["1970-03-03", "1997-06-01", "2000-06-02"]))
    donnees["dsp"].pop("annee_diplome_max", None)
    return Dossier.valider(donnees)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(dossiers_dates(), min_size=1, max_size=30))
def test_vectoriel_applique_a_chaque_ligne_ses_regles(ref: Referentiel, ds: list[Dossier]) -> None:
    """Rows of different dates in one block: each gets the rules in force at its date (vs per dossier)."""
    enc = encoder(_table([enregistrement_vers_ligne(d.vers_cnaf()) for d in ds]), "58")
    assert not enc.suspect.any()
    _, masques = EvaluateurVectoriel(ref).evaluer(enc)
    for i, d in enumerate(ds):
        vectoriel = {rid for rid, m in masques.items() if bool(m[i])}
        assert vectoriel == set(ref.declenchees_python(d)) == set(ref.declenchees_moteur(d))


def test_vectoriel_masques_hors_vigueur_faux(ref: Referentiel) -> None:
    ds = [dossier("2024-06-01"), dossier("2025-06-01")]
    enc = encoder(_table([enregistrement_vers_ligne(d.vers_cnaf()) for d in ds]), "58")
    _, masques = EvaluateurVectoriel(ref).evaluer(enc)
    assert masques["primo_demandeur"].tolist() == [True, False]
    assert masques["primo_demandeur@2025-01-01"].tolist() == [False, True]
    assert np.array_equal(masques["d_defaut"], np.array([True, True]))  # undated line: both rows


def test_exemple_du_readme(tmp_path: Path) -> None:
    """The README's example of two versions of one rule loads, and the rule changes on 1 January 2025."""
    import re

    import yaml

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocs = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)]
    versions = next(b for b in blocs if isinstance(b, list) and all("en_vigueur" in x for x in b))
    national = yaml.safe_dump({"portee": "national", "regles": versions}, allow_unicode=True)
    ref = Referentiel.charger("75", ecrire(tmp_path, national, None))
    dsp = {"dsp": {"droits_rsa_deux_ans": "oui"}, "departement": "75", "primo_demandeur": False}
    assert ref.evaluer(dossier("2024-12-31", **dsp)).modalite == Modalite.examen_individuel
    ev = ref.evaluer(dossier("2025-01-01", **dsp))
    assert ev.modalite == Modalite.rdv_obligatoire and ev.declenchees[0].id == "retour_rapide_rsa@2025-01-01"
