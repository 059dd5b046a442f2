"""Référentiel: loading, validation errors of the rule files, evaluation, versions, verification."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from orientation.dossier.schema import Dossier
from orientation.erreurs import ReglesInvalides
from orientation.regles.referentiel import Referentiel, dossier_regles_defaut, verifier
from orientation.vocabulaire import Modalite, Parcours, Structure, Verite

REGLES = Path(__file__).resolve().parents[1] / "rules"

NATIONAL = """\
portee: national
regles:
  - id: primo_demandeur
    titre: "Primo-demandeur"
    reference: "Référentiel DITP 2019, scénario 4"
    si: {champ: primo_demandeur, egal: true}
    alors: {modalite: rdv_obligatoire}
  - id: logement_non_renseigne
    titre: "Logement non renseigné"
    reference: "CASF art. L262-29"
    si: {champ: dsp.logement, renseigne: false}
    alors: {modalite: examen_individuel}
"""

GRILLE = """\
portee: departement
departement: "93"
scenario: 4
grilles:
  - id: grille_test
    titre: "Grille"
    reference: "Grille de test"
    lignes:
      - id: l_social
        titre: "Sans abri"
        priorite: 10
        si: {champ: dsp.logement, egal: sans_abri}
        alors: {parcours: social, structure: departement}
      - id: l_defaut
        titre: "Défaut"
        priorite: 99
        si: {toujours: true}
        alors: {parcours: professionnel}
"""


def ecrire(tmp: Path, national: str = NATIONAL, departements: dict[str, str] | None = None) -> Path:
    (tmp / "departements").mkdir(parents=True, exist_ok=True)
    (tmp / "national.yaml").write_text(textwrap.dedent(national), encoding="utf-8")
    for code, texte in (departements or {}).items():
        (tmp / "departements" / f"{code}.yaml").write_text(textwrap.dedent(texte), encoding="utf-8")
    return tmp


def dossier(**maj: Any) -> Dossier:
    d: dict[str, Any] = {
        "identifiant": "R-1", "departement": "93", "date_demande": "2025-09-02",
        "date_ouverture_droits": "2025-09-01", "date_naissance": "1985-05-10",
        "foyer": {"composition": "personne_seule"}, "soumis_droits_devoirs": True, "primo_demandeur": False,
        "dsp": {"logement": "autonome_individuel"},
    }
    d.update(maj)
    return Dossier.valider(d)


def erreur(tmp: Path, departement: str = "93", **fichiers: str) -> ReglesInvalides:
    national = fichiers.pop("national", NATIONAL)
    racine = ecrire(tmp, national, {k.lstrip("d"): v for k, v in fichiers.items()})
    with pytest.raises(ReglesInvalides) as exc:
        Referentiel.charger(departement, racine)
    return exc.value


def regle(id_: str, corps: str) -> str:
    return NATIONAL + f"  - id: {id_}\n" + textwrap.indent(textwrap.dedent(corps), "    ")


# --------------------------------------------------------------------------- validation errors (one per kind)


@pytest.mark.parametrize("corps, morceau", [
    ('titre: "T"\nreference: "R"\nsi: {champ: dsp.inconnu, egal: 1}\nalors: {modalite: rdv_obligatoire}\n',
     "champ inconnu"),
    ('titre: "T"\nreference: "R"\nsi: {champ: dsp.logement, egal: chateau}\nalors: {modalite: rdv_obligatoire}\n',
     "codes admis"),
    ('titre: "T"\nreference: "R"\nsi: {champ: dsp.logement, contient: sans_abri}\nalors: {modalite: rdv_obligatoire}\n',
     "ne convient pas"),
    ('titre: "T"\nreference: "R"\nsi: {champ: dsp.logement, ressemble: sans_abri}\nalors: {modalite: rdv_obligatoire}\n',
     "opérateur inconnu"),
    ('titre: "T"\nreference: "R"\nsi: {champ: demande_rdv, egal: "true"}\nalors: {modalite: rdv_obligatoire}\n',
     "booléen"),
    ('titre: "T"\nreference: "R"\nsi: {champ: sexe, egal: femme}\nalors: {modalite: rdv_obligatoire}\n',
     "protégé"),
    ('titre: "T"\nreference: "R"\nsi: {champ: sid, egal: 1}\nalors: {modalite: rdv_obligatoire}\n',
     "réservé"),
    ('reference: "R"\nsi: {champ: demande_rdv, egal: true}\nalors: {modalite: rdv_obligatoire}\n',
     "« titre » manquant"),
    ('titre: "T"\nsi: {champ: demande_rdv, egal: true}\nalors: {modalite: rdv_obligatoire}\n',
     "« reference » manquant"),
    ('titre: "T"\nreference: "R"\nsi: {champ: demande_rdv, egal: true}\nalors: {modalite: convocation}\n',
     "modalité inconnu"),
    ('titre: "T"\nreference: "R"\nsi: {champ: demande_rdv, egal: true}\nalors: {motif: "x"}\n',
     "modalite"),
    ('titre: "T"\nreference: "R"\nalors: {modalite: rdv_obligatoire}\n', "« si » manquante"),
    ('titre: "T"\nreference: "R"\nsi: {champ: demande_rdv, egal: true}\nalors: {modalite: rdv_obligatoire}\n'
     'descripton: "faute de frappe"\n', "clé(s) inconnue(s) : descripton"),
    ('titre: "T"\nreference: "R"\nsi:\n  tous:\n    - {champ: dsp.logement, egal: sans_abri}\n'
     '    - {champ: dsp.logement, egal: hotel_social}\nalors: {modalite: rdv_obligatoire}\n', "contradictoire"),
    ('titre: "T"\nreference: "R"\nsi: {champ: age(date_demande), dans: []}\nalors: {modalite: rdv_obligatoire}\n',
     "liste vide"),
    ('titre: "T"\nreference: "R"\npriorite: haute\nsi: {champ: demande_rdv, egal: true}\n'
     'alors: {modalite: rdv_obligatoire}\n', "priorite"),
])
def test_erreurs_de_regle_nationale(tmp_path: Path, corps: str, morceau: str) -> None:
    exc = erreur(tmp_path, national=regle("regle_fautive", corps))
    assert exc.regle == "regle_fautive"
    assert "national.yaml" in exc.fichier
    assert "national.yaml" in str(exc) and "regle_fautive" in str(exc)
    assert morceau in str(exc)


def test_id_en_double_national(tmp_path: Path) -> None:
    exc = erreur(tmp_path, national=regle("primo_demandeur", 'titre: "T"\nreference: "R"\n'
                                          'si: {champ: demande_rdv, egal: true}\nalors: {modalite: rdv_obligatoire}\n'))
    assert exc.regle == "primo_demandeur" and "en double" in str(exc) and "national.yaml" in str(exc)


def test_id_invalide(tmp_path: Path) -> None:
    exc = erreur(tmp_path, national=regle("Regle-Majuscule", 'titre: "T"\nreference: "R"\n'
                                          'si: {champ: demande_rdv, egal: true}\nalors: {modalite: rdv_obligatoire}\n'))
    assert exc.regle == "Regle-Majuscule" and "identifiant" in str(exc)


DEP_REGLE = """\
portee: departement
departement: "93"
scenario: 4
regles:
  - id: {id}
{corps}
"""


def dep(id_: str, corps: str) -> str:
    return DEP_REGLE.replace("{id}", id_).replace("{corps}", textwrap.indent(textwrap.dedent(corps), "    "))


@pytest.mark.parametrize("id_, corps, morceau", [
    ("primo_demandeur", 'titre: "T"\nreference: "R"\nsi: {champ: demande_rdv, egal: true}\n'
     'alors: {modalite: rdv_obligatoire}\n', "remplace: true"),
    ("regle_absente", 'remplace: true\ntitre: "T"\nreference: "R"\nsi: {champ: demande_rdv, egal: true}\n'
     'alors: {modalite: rdv_obligatoire}\n', "aucune règle nationale"),
    ("primo_demandeur", "remplace: true\ndesactive: true\n", "raison"),
    ("primo_demandeur", 'desactive: true\ndescription: "parce que"\n', "remplace: true"),
    ("primo_demandeur", 'remplace: true\ndesactive: true\ndescription: "x"\nsi: {toujours: true}\n', "ni « si »"),
    ("regle_dep", 'titre: "T"\nreference: "R"\nsi: {champ: foyer.ages_enfants, egal: 3}\n'
     'alors: {modalite: rdv_obligatoire}\n', "ne convient pas"),
    ("scenario_rdv_systematique", 'titre: "T"\nreference: "R"\nsi: {toujours: true}\n'
     'alors: {modalite: rdv_obligatoire}\n', "identifiant"),
])
def test_erreurs_de_regle_departementale(tmp_path: Path, id_: str, corps: str, morceau: str) -> None:
    texte = dep(id_, corps)
    if id_ == "scenario_rdv_systematique":
        texte = texte.replace("scenario: 4", "scenario: 2")
    exc = erreur(tmp_path, d93=texte)
    assert exc.regle == id_
    assert "93.yaml" in str(exc) and id_ in str(exc)
    assert morceau in str(exc)


@pytest.mark.parametrize("remplacement, morceau", [
    (("alors: {parcours: professionnel}", "alors: {parcours: emploi}"), "parcours inconnu"),
    (("alors: {parcours: social, structure: departement}", "alors: {parcours: social, structure: mairie}"),
     "structure inconnu"),
    (("priorite: 99", "priorite: 5"), "inatteignable"),
    (("si: {toujours: true}", "si: {champ: dsp.logement, dans: [sans_abri]}"), "identique"),
    (("alors: {parcours: professionnel}", "alors: {modalite: rdv_obligatoire}"), "clé(s) inconnue(s)"),
    (("si: {toujours: true}", "si: {tous: [{champ: dsp.logement, egal: sans_abri}, {champ: demande_rdv, egal: true}]}"),
     "déjà celle d'une ligne"),
    (('titre: "Sans abri"', 'description: "pas de titre"'), "« titre » manquant"),
])
def test_erreurs_de_grille(tmp_path: Path, remplacement: tuple[str, str], morceau: str) -> None:
    exc = erreur(tmp_path, d93=GRILLE.replace(*remplacement))
    assert "93.yaml" in str(exc) and exc.regle in str(exc)
    assert exc.regle in {"l_social", "l_defaut"}
    assert morceau in str(exc)


def test_ligne_apres_la_ligne_par_defaut_nommee(tmp_path: Path) -> None:
    exc = erreur(tmp_path, d93=GRILLE.replace("priorite: 99", "priorite: 5"))
    assert exc.regle == "l_social" and "l_defaut" in str(exc)


def test_id_en_double_entre_grille_et_regles(tmp_path: Path) -> None:
    exc = erreur(tmp_path, d93=GRILLE.replace("id: l_defaut", "id: primo_demandeur"))
    assert exc.regle == "primo_demandeur" and "93.yaml" in str(exc) and "en double" in str(exc)


@pytest.mark.parametrize("texte, morceau", [
    (GRILLE.replace("scenario: 4", "scenario: 5"), "scenario"),
    (GRILLE.replace('departement: "93"', 'departement: "94"'), "departement"),
    (GRILLE.replace("portee: departement", "portee: national"), "portee"),
    (GRILLE + "grilles: []\n", "en double"),
    (GRILLE + "options: 1\n", "clé(s) inconnue(s)"),
    ("portee: [", "YAML mal formé"),
])
def test_erreurs_de_fichier(tmp_path: Path, texte: str, morceau: str) -> None:
    exc = erreur(tmp_path, d93=texte)
    assert "93.yaml" in str(exc) and morceau in str(exc)


def test_trop_de_proprietes_pour_durable_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orientation.regles import moteur_durable as moteur

    monkeypatch.setattr(moteur, "PROPRIETES_MAX", 3)
    exc = erreur(tmp_path, d93=GRILLE)
    assert "93.yaml" in str(exc) and "durable-rules" in str(exc)
    (ligne,) = [x for x in verifier(tmp_path) if "93.yaml" in x]
    assert ligne.startswith("ERREUR") and "trop de propriétés" in ligne


def test_departement_inconnu(tmp_path: Path) -> None:
    with pytest.raises(ReglesInvalides, match="département inconnu"):
        Referentiel.charger("99", ecrire(tmp_path))


# --------------------------------------------------------------------------- loading


def test_repertoire_par_defaut_et_variable_d_environnement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORIENTATION_REGLES", raising=False)
    assert dossier_regles_defaut() == REGLES
    monkeypatch.setenv("ORIENTATION_REGLES", str(ecrire(tmp_path)))
    assert dossier_regles_defaut() == tmp_path
    ref = Referentiel.charger("75")
    assert [r.id for r in ref.regles] == ["primo_demandeur", "logement_non_renseigne"]


def test_version_fondee_sur_le_contenu(tmp_path: Path) -> None:
    copie = tmp_path / "copie"
    shutil.copytree(REGLES, copie)
    v = Referentiel.charger("93").version
    assert Referentiel.charger("93", copie).version == v
    assert len(v) == 64 and int(v, 16) >= 0
    assert Referentiel.charger("58").version != v
    texte = (copie / "departements" / "93.yaml").read_text(encoding="utf-8")
    (copie / "departements" / "93.yaml").write_text(texte + "\n# commentaire\n", encoding="utf-8")
    Referentiel.vider_cache()
    assert Referentiel.charger("93", copie).version != v


def test_cache_par_departement_et_repertoire() -> None:
    assert Referentiel.charger("93") is Referentiel.charger("93", REGLES)
    assert Referentiel.charger("93") is not Referentiel.charger("58")


def test_departement_sans_fichier_scenario_4_regles_nationales() -> None:
    ref = Referentiel.charger("75")
    assert ref.scenario == 4 and ref.grilles == []
    assert {r.source for r in ref.regles} == {"national.yaml"}
    assert ref.fichiers == ["national.yaml"]


def test_scenario_2_regle_generee() -> None:
    ref = Referentiel.charger("69")
    r = ref.regles[0]
    assert r.id == "scenario_rdv_systematique" and r.effet.modalite == Modalite.rdv_obligatoire
    assert "scénario 2 « aiguillage rapide »" in r.reference and "DITP 2019" in r.reference
    ev = ref.evaluer(dossier(departement="69"))
    assert ev.modalite == Modalite.rdv_obligatoire and ev.scenario == 2


@pytest.mark.parametrize("scenario, nom", [(1, "rendez-vous 2-en-1"), (3, "diagnostic approfondi")])
def test_scenarios_1_et_3(tmp_path: Path, scenario: int, nom: str) -> None:
    racine = ecrire(tmp_path, departements={"93": GRILLE.replace("scenario: 4", f"scenario: {scenario}")})
    ref = Referentiel.charger("93", racine)
    assert ref.regles[0].id == "scenario_rdv_systematique" and f"« {nom} »" in ref.regles[0].reference
    assert ref.evaluer(dossier()).modalite == Modalite.rdv_obligatoire


def test_remplacement_et_desactivation() -> None:
    r93 = {r.id: r for r in Referentiel.charger("93").regles}
    assert r93["dsp_incomplete"].source == "departements/93.yaml"
    r58 = {r.id for r in Referentiel.charger("58").regles}
    assert "retour_rapide_rsa" not in r58 and "retour_rapide_rsa" in {r.id for r in Referentiel.charger("75").regles}


# --------------------------------------------------------------------------- evaluation


def test_evaluation_complete(tmp_path: Path) -> None:
    ref = Referentiel.charger("93", ecrire(tmp_path, departements={"93": GRILLE}))
    ev = ref.evaluer(dossier(primo_demandeur=True, dsp={"logement": "sans_abri"}))
    assert ev.modalite == Modalite.rdv_obligatoire
    assert ev.version_regles == ref.version and ev.departement == "93" and ev.scenario == 4
    ids = [r.id for r in ev.regles]
    assert sorted(ids) == sorted(["primo_demandeur", "logement_non_renseigne", "l_social", "l_defaut"])
    assert ids[:2] == ["primo_demandeur", "l_social"]  # fired first
    assert ev.proposition_grille is not None and ev.proposition_grille.id == "l_social"
    assert ev.proposition_grille.effet.parcours == Parcours.social
    assert ev.proposition_grille.effet.structure == Structure.departement
    par_id = {r.id: r for r in ev.regles}
    # l_defaut matches too, but the first line by priority wins
    assert par_id["l_defaut"].resultat == Verite.vrai and not par_id["l_defaut"].declenchee
    assert par_id["logement_non_renseigne"].resultat == Verite.faux
    assert par_id["logement_non_renseigne"].conditions_non_remplies == 1
    assert par_id["l_social"].groupe == "grille_test" and par_id["l_social"].source == "departements/93.yaml"
    assert [e.id for e in ev.declenchees] == ["primo_demandeur", "l_social"]


def test_modalite_la_plus_forte_et_non_renseigne(tmp_path: Path) -> None:
    ref = Referentiel.charger("75", ecrire(tmp_path))
    ev = ref.evaluer(dossier(departement="75", dsp={}))
    assert ev.modalite == Modalite.examen_individuel and ev.proposition_grille is None
    ev2 = ref.evaluer(dossier(departement="75", primo_demandeur=True, dsp={}))
    assert ev2.modalite == Modalite.rdv_obligatoire
    assert ref.evaluer(dossier(departement="75")).modalite is None


def test_evaluer_et_evaluer_python_identiques() -> None:
    for code in ("93", "58", "69", "75"):
        ref = Referentiel.charger(code)
        for d in (dossier(), dossier(primo_demandeur=True, dsp={}), dossier(dsp={"logement": "hotel_social"})):
            assert ref.evaluer(d) == ref.evaluer_python(d)


# --------------------------------------------------------------------------- verification (CLI)


def test_verifier_repertoire_du_depot() -> None:
    lignes = verifier(REGLES)
    assert lignes and all(ligne.startswith("OK ") for ligne in lignes)
    assert any("93.yaml" in ligne and "grille_93" in ligne for ligne in lignes)
    assert any("national.yaml" in ligne for ligne in lignes)


def test_verifier_signale_les_erreurs(tmp_path: Path) -> None:
    racine = ecrire(tmp_path, departements={"93": GRILLE.replace("priorite: 99", "priorite: 5"), "58": GRILLE
                                            .replace('"93"', '"58"')})
    lignes = verifier(racine)
    erreurs = [ligne for ligne in lignes if ligne.startswith("ERREUR")]
    assert len(erreurs) == 1 and "93.yaml" in erreurs[0] and "l_social" in erreurs[0]
    assert any(ligne.startswith("OK") and "58.yaml" in ligne for ligne in lignes)
    assert verifier(racine / "departements" / "58.yaml")[-1].startswith("OK")


def test_verifier_fichier_national_invalide(tmp_path: Path) -> None:
    racine = ecrire(tmp_path, national=NATIONAL.replace("portee: national", "portee: locale"))
    (lignes,) = verifier(racine)
    assert lignes.startswith("ERREUR") and "national.yaml" in lignes
