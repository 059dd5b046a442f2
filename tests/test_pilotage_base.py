"""``orientation indicateurs --base``: the workspace's database as the events source (SQLite and PostgreSQL).

A small workspace is built through the workspace's own service functions (import of six dossiers of the
example flux, decisions, a correction, a bulk validation, a purge, a dossier of another département); the
figures below are computed by hand from these dates.  Period 2025-05:2025-08, date d'arrêt 31/08/2025.

=====  ==================  ==========  ============  =============================================  ========
dossier (example flux)     demande     ouverture     notification  current decision                 reference
=====  ==================  ==========  ============  =============================================  ========
A      0000000 rdv oblig.  2025-05-06  2025-05-01    2025-06-17    25/07 (corrects 10/07), ccas      06-17
B      0000016 examen      2025-07-03  2025-07-01    2025-07-31    12/08, france_travail            07-31
C      0000005 rdv oblig.  2025-05-25  2025-05-01    (none)        none                             05-01
D      0000001 rdv oblig.  2025-07-09  2025-07-01    2025-08-08    none                             08-08
E      0000011 directe     2025-05-17  2025-05-01    2025-06-17    20/06, validated in bulk         06-17
F      0000491 rdv oblig.  2025-04-04  2025-04-01    2025-04-21    02/05, then purged (request < 05/04/2025)
G      0000029 (dép. 58)   2025-05-18  2025-05-01    (none)        none: another département
=====  ==================  ==========  ============  =============================================  ========

Orientation delays from the reference: A 38 days (the first decision, 10/07, would give 23), B 12, E 3.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from orientation.cli import main
from orientation.espace.comptes import ajouter_utilisateur
from orientation.espace.decisions import Saisie, enregistrer_decision, valider_lot
from orientation.espace.importation import importer_flux
from orientation.espace.purge import purger
from orientation.orientateur import Orientateur
from orientation.pilotage.base_espace import NON_ENREGISTRES, SourceBase
from orientation.pilotage.definitions import INDICATEURS
from orientation.pilotage.evenements import COLONNES, lire_texte
from orientation.pilotage.periode import Periode
from orientation.pilotage.rapport import html, preparer
from orientation.pilotage.tableau import texte_csv
from orientation.stockage.espace import DossierEspace, EntreeJournal
from orientation.stockage.moteur import BaseInvalide, creer_moteur, fabrique_sessions
from tests.espace_outils import FLUX_EXEMPLE, MOT_DE_PASSE
from tests.serveur import commande

PERIODE = ("2025-05:2025-08", "2025-08-31")
NUMEROS = {"A": "0000000", "B": "0000016", "C": "0000005", "D": "0000001", "E": "0000011", "F": "0000491"}
ID = {k: f"SYN-93-93-{v}" for k, v in NUMEROS.items()}
MESURES = {"orientation_1_mois", "orientation_6_semaines", "orientation_15_jours", "orientation_30_jours",
           "orientation_45_jours", "taux_orientation"}
#: The same persons as an events file written by hand (B, E: the structure and route decided).
FICHIER_A_LA_MAIN = ",".join(COLONNES) + "\n" + "\n".join([
    f"{ID['A']},2025-05-06,,2025-05-01,2025-06-17,2025-07-25,,,,,ccas,socio_professionnel",
    f"{ID['B']},2025-07-03,,2025-07-01,2025-07-31,2025-08-12,,,,,france_travail,professionnel",
    f"{ID['C']},2025-05-25,,2025-05-01,,,,,,,,",
    f"{ID['D']},2025-07-09,,2025-07-01,2025-08-08,,,,,,,",
    f"{ID['E']},2025-05-17,,2025-05-01,2025-06-17,2025-06-20,,,,,{{se}},{{pe}}",
]) + "\n"


def _flux(dossier: Path) -> tuple[Path, Path]:
    """Two small flux files: rows A–F of the example flux (93), and row G as a dossier of the 58."""
    lignes = FLUX_EXEMPLE.read_text(encoding="utf-8").splitlines()
    entete = lignes[0]
    par_id = {ligne.split(",", 1)[0]: ligne for ligne in lignes[1:]}
    f93, f58 = dossier / "flux93.csv", dossier / "flux58.csv"
    f93.write_text("\n".join([entete, *(par_id[i] for i in ID.values())]) + "\n", encoding="utf-8")
    g = par_id["SYN-93-93-0000029"].split(",")
    g[1] = "58"
    f58.write_text(entete + "\n" + ",".join(g) + "\n", encoding="utf-8")
    return f93, f58


@pytest.fixture
def espace(base_migree: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    moteur = creer_moteur(base_migree)
    sessions = fabrique_sessions(moteur)
    o = Orientateur.charger(None, "demo")
    f93, f58 = _flux(tmp_path)
    r93 = importer_flux(sessions, f93, "93", o.referentiel("93"), o.modele)
    r58 = importer_flux(sessions, f58, "58", o.referentiel("58"), o.modele)
    assert (r93.crees, r93.rejetees, r58.crees, r58.rejetees) == (6, 0, 1, 0)
    jour = date(2025, 9, 1)
    with sessions() as db:
        u = ajouter_utilisateur(db, "referente@93.fr", "referent", "93", MOT_DE_PASSE, habilite_validation=True)
        d = {k: db.scalars(select(DossierEspace).where(DossierEspace.identifiant == i)).one() for k, i in ID.items()}
        modalites = {k: x.modalite for k, x in d.items()}
        assert modalites == {"A": "rdv_obligatoire", "B": "examen_individuel", "C": "rdv_obligatoire",
                             "D": "rdv_obligatoire", "E": "orientation_directe", "F": "rdv_obligatoire"}
        enregistrer_decision(db, u, d["A"], Saisie("social", "departement", "2025-07-10", "premier avis", "oui"), jour)
        enregistrer_decision(db, u, d["A"], Saisie("socio_professionnel", "ccas", "2025-07-25",
                                                   "correction après réexamen", "oui"), jour)
        enregistrer_decision(db, u, d["B"], Saisie("professionnel", "france_travail", "2025-08-12", "motif"), jour)
        enregistrer_decision(db, u, d["F"], Saisie("social", "departement", "2025-05-02", "motif", "non"), jour)
        assert valider_lot(db, u, [d["E"].id], date(2025, 6, 20)) == 1
        e = (d["E"].structure_proposee, d["E"].parcours_propose)
        assert purger(db, date(2025, 4, 5), "93") == 1  # F only
    yield {"url": base_migree, "sessions": sessions, "e": e}
    moteur.dispose()


def _fichier(e: tuple[str, str]) -> str:
    return FICHIER_A_LA_MAIN.replace("{se}", e[0]).replace("{pe}", e[1])


def _ensemble(lignes: list[dict[str, str]], indicateur: str) -> dict[str, str]:
    (x,) = [r for r in lignes if r["indicateur"] == indicateur and r["niveau"] == "ensemble"]
    return x


def test_evenements_lus_dans_la_base(espace: dict[str, Any]) -> None:
    lecture = SourceBase(espace["url"], "93").lire()
    assert (lecture.lignes_lues, lecture.rejets, lecture.unite) == (5, [], "dossier")  # F purged, G of the 58
    p = {x.identifiant: x for x in lecture.personnes}
    assert set(p) == {ID[k] for k in "ABCDE"}
    a = p[ID["A"]]
    assert (a.date_demande, a.date_ouverture_droits, a.date_notification_droits) == (
        date(2025, 5, 6), date(2025, 5, 1), date(2025, 6, 17))
    # the current decision is the correction (date, structure, route), not the first decision
    assert (a.date_orientation, a.structure.value, a.parcours.value) == (date(2025, 7, 25), "ccas",
                                                                          "socio_professionnel")
    assert p[ID["C"]].date_notification_droits is None and p[ID["C"]].date_orientation is None
    assert p[ID["E"]].date_orientation == date(2025, 6, 20)
    # never invented: the columns the workspace does not record stay empty for everybody
    for x in lecture.personnes:
        assert all(getattr(x, c) is None for c in NON_ENREGISTRES)
    assert set(lecture.non_enregistres) == set(NON_ENREGISTRES)
    notes = " ".join(lecture.remarques)
    assert "1 dossier(s) purgé(s) (conservation ; demandes de 2025-04)" in notes
    assert "1 tenu(s), 0 non tenu(s)" in notes  # A's current decision; F's « non » went with the purge


def test_chiffres_calcules_a_la_main(espace: dict[str, Any]) -> None:
    lecture = SourceBase(espace["url"], "93").lire()
    rapport = preparer(lecture, "base", Periode.depuis_texte(*PERIODE), ("mois", "structure"))
    lignes = list(csv.DictReader(io.StringIO(texte_csv(rapport.lignes))))
    # only the indicators the database can date have rows: no 0 % for the contract or the appointments
    assert {r["indicateur"] for r in lignes} == MESURES
    non = {s.indicateur.id for s in rapport.sections if s.non_mesure}
    assert non == {i.id for i in INDICATEURS} - MESURES and len(non) == 7
    u = lambda r, *c: tuple(r[x] for x in c)  # noqa: E731
    # 1 month from the reference: B (12 j ≤ 31/08) and E (3 j) in time; A (25/07 > 17/07) and C (not oriented,
    # deadline 01/06 passed) late; D (deadline 08/09 after the date d'arrêt) pending
    assert u(_ensemble(lignes, "orientation_1_mois"), "population", "dans_delai", "hors_delai", "en_cours",
             "taux") == ("5", "2", "2", "1", "0.5")
    # six weeks (decree, 2025 starts): A (25/07 ≤ 29/07), B, E in time; C late (12/06); D pending
    assert u(_ensemble(lignes, "orientation_6_semaines"), "dans_delai", "hors_delai", "en_cours", "taux") == (
        "3", "1", "1", "0.75")
    # 15 days: B, E; late: A (38 j), C, D (deadline 23/08 passed, not oriented)
    assert u(_ensemble(lignes, "orientation_15_jours"), "dans_delai", "hors_delai", "en_cours") == ("2", "3", "0")
    assert u(_ensemble(lignes, "orientation_30_jours"), "dans_delai", "hors_delai", "en_cours") == ("2", "2", "1")
    assert u(_ensemble(lignes, "orientation_45_jours"), "dans_delai", "hors_delai", "en_cours") == ("3", "1", "1")
    # oriented at the date d'arrêt: A, B, E of 5; observed delays 38, 12, 3: mean 17.67, median 12, p90 38
    assert u(_ensemble(lignes, "taux_orientation"), "survenus", "pas_encore", "taux", "delai_moyen_observe",
             "delai_median_observe", "delai_p90_observe") == ("3", "2", "0.6", "17.67", "12", "38")
    # by month of the reference: C in May; A and E in June; B in July; D in August
    mois: dict[str, int] = {}
    for r in lignes:
        if r["indicateur"] == "taux_orientation" and r["mois"]:  # rows by (month, structure): summed by month
            mois[r["mois"]] = mois.get(r["mois"], 0) + int(r["population"])
    assert mois == {"2025-05": 1, "2025-06": 2, "2025-07": 1, "2025-08": 1}
    # by structure: A counts under the corrected structure (ccas), never under the first decision's (departement)
    structures = {r["structure"] for r in lignes if r["indicateur"] == "taux_orientation" and r["niveau"] == "detail"}
    assert "ccas" in structures and "departement" not in structures
    page = html(rapport)
    assert page.count("non mesuré depuis cette source") == 7 and 'id="non-mesures"' in page
    assert "dossiers lus" in page and "1 dossier(s) purgé(s)" in page and "Données SYNTHÉTIQUES" in page


def test_base_et_fichier_donnent_le_meme_rapport(espace: dict[str, Any], tmp_path: Path) -> None:
    fichier = tmp_path / "evenements.csv"
    fichier.write_text(_fichier(espace["e"]), encoding="utf-8")
    communes = ["--periode", PERIODE[0], "--arret", PERIODE[1], "--par", "mois,structure,parcours"]
    assert main(["indicateurs", "--depuis", str(fichier), "--sortie", str(tmp_path / "f.html"),
                 "--csv", str(tmp_path / "f.csv"), *communes]) == 0
    # end to end through the installed command
    r = commande("indicateurs", "--base", espace["url"], "--departement", "93", "--sortie", str(tmp_path / "b.html"),
                 "--csv", str(tmp_path / "b.csv"), "--evenements", str(tmp_path / "export.csv"), *communes)
    assert r.returncode == 0, r.stderr
    assert "5 dossier(s) lu(s), 5 personne(s) retenue(s), 0 dossier(s) rejeté(s)" in r.stdout
    mdp = make_url(espace["url"]).password  # PostgreSQL: the URL carries a password, never printed nor written
    assert mdp is None or f":{mdp}@" not in r.stdout + r.stderr + (tmp_path / "b.html").read_text(encoding="utf-8")
    depuis_fichier = (tmp_path / "f.csv").read_text(encoding="utf-8").splitlines()
    depuis_base = (tmp_path / "b.csv").read_text(encoding="utf-8").splitlines()
    assert depuis_base == [x for x in depuis_fichier
                           if x.startswith("indicateur,") or x.split(",", 1)[0] in MESURES]
    assert len(depuis_base) > len(MESURES) * 3
    # the export of the database is the hand-written file (same persons, same events), readable by --depuis
    lu = lire_texte((tmp_path / "export.csv").read_text(encoding="utf-8"), "export.csv")
    attendu = lire_texte(_fichier(espace["e"]), "main.csv")
    cle = lambda x: (x.identifiant, tuple(getattr(x, c) for c in COLONNES if c != "identifiant"))  # noqa: E731
    assert sorted(map(cle, lu.personnes)) == sorted(map(cle, attendu.personnes)) and not lu.rejets
    assert "Données SYNTHÉTIQUES" in (tmp_path / "b.html").read_text(encoding="utf-8")


def test_lecture_seule_et_departement_verifie(espace: dict[str, Any]) -> None:
    with espace["sessions"]() as db:
        avant = (db.scalar(select(func.count()).select_from(DossierEspace)),
                 db.scalar(select(func.count()).select_from(EntreeJournal)))
    SourceBase(espace["url"], "93").lire()
    lecture58 = SourceBase(espace["url"], "58").lire()
    assert [p.identifiant for p in lecture58.personnes] == ["SYN-93-93-0000029"]
    assert "Aucun dossier purgé" in " ".join(lecture58.remarques)
    with espace["sessions"]() as db:
        apres = (db.scalar(select(func.count()).select_from(DossierEspace)),
                 db.scalar(select(func.count()).select_from(EntreeJournal)))
    assert apres == avant
    with pytest.raises(BaseInvalide, match=r"valeur '75' : aucun dossier de ce département .*présents : 58, 93"):
        SourceBase(espace["url"], "75").lire()


def test_base_non_migree_refusee(url_sqlite: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "service.sqlite3").touch()  # an existing but empty database
    code = main(["indicateurs", "--base", url_sqlite, "--departement", "93", "--periode", "2025-01",
                 "--sortie", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert code == 2 and "orientation base migrer" in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()
