"""One follow-up event in force per (dossier, type), guaranteed by the database (revision 0007).

* the migration: refused in French on data that already breaks the rule (dossier numbers and types named,
  no identifier), then accepted once the extra event is annulled, the table of events in force filled; a
  second event in force written past the checks is refused by the database; downgrade and upgrade again;
* the export of the database (``--evenements``) carries the entry coverage (its first row), so that ``--depuis``
  on it gives the figures of ``--base``, every one, on a partially entered fixture; an export without it (an
  earlier version) is still read, without the cut, and the report says so;
* races (PostgreSQL, real concurrent sessions): two writers pass their checks before either writes (a
  barrier holds both just before the write), so exactly one wins whoever it is; the loser gets the outcome
  of the checks: « déjà enregistré » for the same event, the usual French refusal for another date.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

import orientation.espace.import_suivis as module_import
from orientation.cli import main
import orientation.espace.suivis as module_fiche
import orientation.service.suivis as module_api
from orientation.espace.import_suivis import ImportSuivisRefuse, importer_suivis
from orientation.espace.suivis import SaisieSuivi, SuiviRefuse, enregistrer_suivi
from orientation.pilotage.evenements import COLONNES, LIGNE_COUVERTURE, EvenementsIllisibles, lire_texte
from orientation.service.problemes import ErreurService
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DossierEspace
from orientation.stockage.migrations import configuration, migrer
from orientation.stockage.moteur import BaseInvalide, creer_moteur
from orientation.stockage.suivis import (ESSAIS_CONCURRENCE, ROLE_CLE_API, ConcurrenceRepetee, EvenementRecu,
                                         SuiviAccompagnement, SuiviEnVigueur, rejouer_si_concurrence)
from tests.serveur import base_postgresql
from tests.test_pilotage_base import ID
from tests.test_suivis import JOUR, SUIVIS, _preparer, _referente, espace  # noqa: F401 - espace: a fixture

ENTETE = "identifiant,date_demande,type,date,commentaire\n"


def _evenement(dossier_id: int, type_: str, jour: date, corrige_id: int | None = None,
               annule: bool = False) -> SuiviAccompagnement:
    return SuiviAccompagnement(dossier_id=dossier_id, type=type_, date_evenement=jour, commentaire=None,
                               annule=annule, corrige_id=corrige_id, origine="import", auteur_id=None,
                               auteur="test", auteur_role="import", enregistre_le=maintenant())


def _en_vigueur(sessions: Any) -> set[tuple[int, str, int]]:
    with sessions() as db:
        return {(x.dossier_id, x.type, x.suivi_id) for x in db.scalars(select(SuiviEnVigueur))}


def test_migration_0007(url_base: str, tmp_path: Path) -> None:
    from alembic import command

    moteur = creer_moteur(url_base)
    assert migrer(moteur, "0006_lots_origine").actuelle == "0006_lots_origine"
    e = _preparer(url_base, tmp_path)  # dossiers and decisions written at 0006 (their tables do not change)
    a, b = e["ids"]["A"], e["ids"]["B"]
    with e["sessions"]() as db:  # before 0007 only the checks kept the rule: write past them
        premier = _evenement(a, "absence_premier_rdv", date(2025, 7, 28))
        corrige = _evenement(b, "dossier_complet", date(2025, 7, 19))
        doublon = _evenement(a, "absence_premier_rdv", date(2025, 7, 29))
        db.add_all([premier, corrige, doublon])
        db.flush()
        correction = _evenement(b, "dossier_complet", date(2025, 7, 20), corrige_id=corrige.id)
        db.add(correction)
        db.commit()
        ids = (premier.id, corrige.id, correction.id, doublon.id)
    with pytest.raises(BaseInvalide) as refus:
        migrer(moteur)
    message = str(refus.value)
    assert message.startswith("migration 0007 refusée, base inchangée : 1 dossier(s) ont plusieurs événements")
    assert f"dossier n° {a}, type absence_premier_rdv : événements n° {ids[0]}, {ids[3]}" in message
    assert not any(i in message for i in ID.values())  # internal numbers only
    assert migrer(moteur, "0006_lots_origine").actuelle == "0006_lots_origine"  # unchanged
    assert "suivis_en_vigueur" not in inspect(moteur).get_table_names()
    with e["sessions"]() as db:  # the extra event annulled: the migration goes through
        db.add(_evenement(a, "absence_premier_rdv", date(2025, 7, 29), corrige_id=ids[3], annule=True))
        db.commit()
    assert migrer(moteur).a_jour
    assert _en_vigueur(e["sessions"]) == {(a, "absence_premier_rdv", ids[0]), (b, "dossier_complet", ids[2])}
    with e["sessions"]() as db:  # the database now refuses a second event in force, even past the checks
        db.add(_evenement(a, "absence_premier_rdv", date(2025, 7, 30)))
        with pytest.raises(IntegrityError):
            db.commit()
        db.rollback()
        # a correction moves the event in force, an annulment withdraws it; a new one may then be recorded
        nouveau = _evenement(b, "dossier_complet", date(2025, 7, 21), corrige_id=ids[2])
        db.add(nouveau)
        db.flush()
        db.add(_evenement(a, "absence_premier_rdv", date(2025, 7, 28), corrige_id=ids[0], annule=True))
        db.flush()
        db.add(_evenement(a, "absence_premier_rdv", date(2025, 7, 31)))
        db.commit()
        dernier = db.scalar(select(func.max(SuiviAccompagnement.id)))
        assert _en_vigueur(e["sessions"]) == {(a, "absence_premier_rdv", dernier), (b, "dossier_complet", nouveau.id)}
    cfg = configuration()
    with moteur.begin() as c:
        cfg.attributes["connexion"] = c
        command.downgrade(cfg, "0006_lots_origine")
    assert "suivis_en_vigueur" not in inspect(moteur).get_table_names()
    with e["sessions"]() as db:
        assert db.scalar(select(func.count()).select_from(SuiviAccompagnement)) == 8  # events untouched
    assert migrer(moteur).a_jour
    assert len(_en_vigueur(e["sessions"])) == 2
    e["moteur"].dispose()
    moteur.dispose()


def test_rejouer_si_concurrence_s_arrete() -> None:
    appels: list[int] = []
    db = SimpleNamespace(rollback=lambda: appels.append(0))

    def toujours_refuse() -> None:
        appels.append(1)
        raise IntegrityError("INSERT", {}, Exception("unique"))

    with pytest.raises(ConcurrenceRepetee, match="3 fois de suite"):
        rejouer_si_concurrence(db, toujours_refuse)  # type: ignore[arg-type]
    assert appels == [1, 0] * ESSAIS_CONCURRENCE


# --------------------------------------------------------------------------- races, PostgreSQL


@pytest.fixture
def espace_pg(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with base_postgresql() as url:
        moteur = creer_moteur(url)
        migrer(moteur)
        moteur.dispose()
        e = _preparer(url, tmp_path)
        yield e
        e["moteur"].dispose()


def _retenir_avant(monkeypatch: pytest.MonkeyPatch, module: Any, nom: str) -> None:
    """``module.nom`` waits, the first time in each thread, until both threads reach it: both checked, none wrote."""
    barriere = threading.Barrier(2, timeout=60)
    local = threading.local()
    original = getattr(module, nom)

    def retenu(*args: Any, **kwargs: Any) -> Any:
        if not getattr(local, "passe", False):
            local.passe = True
            barriere.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, nom, retenu)


def _en_parallele(*taches: Callable[[], Any]) -> list[Any]:
    """Each task in its own thread; its result, or the exception it raised."""
    resultats: list[Any] = [None] * len(taches)

    def lancer(i: int) -> None:
        try:
            resultats[i] = taches[i]()
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            resultats[i] = exc

    fils = [threading.Thread(target=lancer, args=(i,)) for i in range(len(taches))]
    for f in fils:
        f.start()
    for f in fils:
        f.join(120)
    assert not any(f.is_alive() for f in fils)
    return resultats


def _absences(e: dict[str, Any], cle: str) -> list[SuiviAccompagnement]:
    with e["sessions"]() as db:
        return list(db.scalars(select(SuiviAccompagnement).where(
            SuiviAccompagnement.dossier_id == e["ids"][cle], SuiviAccompagnement.type == "absence_premier_rdv")))


def test_course_import_meme_fichier(espace_pg: dict[str, Any], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fichier = tmp_path / "suivis.csv"
    fichier.write_text(ENTETE + f"{ID['A']},2025-05-06,absence_premier_rdv,2025-07-28,\n", encoding="utf-8")
    _retenir_avant(monkeypatch, module_import, "enregistrer_evenements")
    r = _en_parallele(*[lambda: importer_suivis(espace_pg["sessions"], fichier, "93", JOUR)] * 2)
    # whoever wins: one import added the event, the other found it already recorded
    assert sorted((x.ajoutes, x.deja) for x in r) == [(0, 1), (1, 0)]
    assert len(_absences(espace_pg, "A")) == 1


def test_course_api_autre_date(espace_pg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    service = SimpleNamespace(sessions=espace_pg["sessions"])
    cle = SimpleNamespace(nom="webrsa")

    def envoyer(jour: date) -> Any:
        ev = EvenementRecu(0, ID["A"], date(2025, 5, 6), "absence_premier_rdv", jour, None)
        return module_api._enregistrer(service, cle, {"93": [ev]}, [], 1)  # type: ignore[arg-type]

    _retenir_avant(monkeypatch, module_api, "enregistrer_evenements")
    r = _en_parallele(lambda: envoyer(date(2025, 7, 28)), lambda: envoyer(date(2025, 7, 29)))
    (gagnant,) = [x for x in r if not isinstance(x, Exception)]
    (perdant,) = [x for x in r if isinstance(x, Exception)]
    assert gagnant.ajoutes == 1
    (ev,) = _absences(espace_pg, "A")
    assert ev.id == gagnant.resultats[0].numero and ev.auteur_role == ROLE_CLE_API
    # the loser gets the refusal of the checks (422 with the winner's date), not a 500
    assert isinstance(perdant, ErreurService) and perdant.statut == 422
    (erreur,) = perdant.erreurs
    assert erreur.raison.startswith(f"« Absence au premier rendez-vous d'accompagnement » déjà enregistré (date : "
                                    f"{ev.date_evenement:%d/%m/%Y})")


def test_course_fiche_meme_evenement(espace_pg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def saisir() -> SuiviAccompagnement:
        with espace_pg["sessions"]() as db:
            dossier = db.get(DossierEspace, espace_pg["ids"]["A"])
            return enregistrer_suivi(db, _referente(db), dossier, SaisieSuivi("absence_premier_rdv", "2025-07-28"),
                                     JOUR)

    _retenir_avant(monkeypatch, module_fiche, "ajouter")
    r = _en_parallele(saisir, saisir)
    (perdant,) = [x for x in r if isinstance(x, Exception)]
    assert isinstance(perdant, SuiviRefuse)  # the card's own refusal, as for a second click after the first
    assert "déjà enregistré (date : 28/07/2025) ; pour changer sa date, corriger cet événement" in str(perdant)
    assert len(_absences(espace_pg, "A")) == 1


def test_import_refuse_proprement_si_la_base_refuse_toujours(espace_pg: dict[str, Any], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fichier = tmp_path / "suivis.csv"
    fichier.write_text(ENTETE + f"{ID['A']},2025-05-06,absence_premier_rdv,2025-07-28,\n", encoding="utf-8")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("INSERT", {}, Exception("unique"))

    monkeypatch.setattr(module_import, "enregistrer_evenements", refuse)
    with pytest.raises(ImportSuivisRefuse, match="la base a refusé l'écriture 3 fois de suite"):
        importer_suivis(espace_pg["sessions"], fichier, "93", JOUR)
    assert _absences(espace_pg, "A") == []


# --------------------------------------------------------------------------- the export carries the coverage


@pytest.mark.parametrize("saisie", ["aucune", "partielle"])
def test_export_de_la_base_porte_la_couverture(espace: dict[str, Any], tmp_path: Path, saisie: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    if saisie == "partielle":  # entry of the follow-up started after the first dossiers (the fixture of test_suivis)
        fichier = tmp_path / "suivis.csv"
        fichier.write_text(SUIVIS, encoding="utf-8")
        assert importer_suivis(espace["sessions"], fichier, "93", JOUR).ajoutes == 11
    communes = ["--periode", "2025-05:2025-08", "--arret", "2025-08-31", "--par", "mois,structure"]
    export = tmp_path / "export.csv"
    assert main(["indicateurs", "--base", espace["url"], "--departement", "93", "--sortie", str(tmp_path / "b.html"),
                 "--csv", str(tmp_path / "b.csv"), "--evenements", str(export), *communes]) == 0
    assert main(["indicateurs", "--depuis", str(export), "--sortie", str(tmp_path / "f.html"),
                 "--csv", str(tmp_path / "f.csv"), *communes]) == 0
    sortie = capsys.readouterr().out
    assert "6 dossier(s) lu(s), 6 personne(s) retenue(s)" in sortie and "6 ligne(s) lue(s), 6 personne(s)" in sortie
    base, fichier_csv = (tmp_path / "b.csv").read_text(encoding="utf-8"), (tmp_path / "f.csv").read_text(encoding="utf-8")
    assert base == fichier_csv  # the same figures, every indicator, every breakdown
    lignes = export.read_text(encoding="utf-8").splitlines()
    relances = [r for r in csv.DictReader(io.StringIO(base)) if r["indicateur"] == "relance_absence_15_jours"]
    if saisie == "aucune":
        # nothing entered: the five follow-up columns « non mesuré », their indicators have no row on either path
        assert lignes[1] == "#saisie_complete_depuis,,non_mesure,,,,non_mesure,non_mesure,non_mesure,non_mesure,,"
        assert relances == []
        assert "non mesuré depuis cette source" in (tmp_path / "f.html").read_text(encoding="utf-8")
        return
    # earliest event in force of each type (by hand, SUIVIS): dossier complet C 30/05, absence E 25/06, relance
    # A 05/08, premier rendez-vous honoré A 08/08, contract B's PPAE 25/08
    assert lignes[0].split(",")[2:10] == ["date_dossier_complet", "date_ouverture_droits", "date_notification_droits",
                                          "date_orientation", "date_absence_premier_rdv", "date_relance",
                                          "date_premier_rdv", "date_signature_cer"]
    assert lignes[1] == ("#saisie_complete_depuis,,2025-05-30,,,,2025-06-25,2025-08-05,2025-08-08,2025-08-25,,")
    # follow-up actions counted from 05/08: both absences (A 28/07, E 25/06) are before: nobody, on both paths
    assert [r["population"] for r in relances if r["niveau"] == "ensemble"] == ["0"]
    notes = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert "Couverture de la saisie lue dans le fichier (ligne #saisie_complete_depuis, écrite par --evenements) : " \
           "dossier complet depuis le 30/05/2025, absence au premier rendez-vous depuis le 25/06/2025" in notes
    # an export without the row (an earlier version): still read, every clock counted, and the report says so
    ancien = tmp_path / "ancien.csv"
    ancien.write_text("\n".join([lignes[0], *lignes[2:]]) + "\n", encoding="utf-8")
    assert main(["indicateurs", "--depuis", str(ancien), "--sortie", str(tmp_path / "a.html"),
                 "--csv", str(tmp_path / "a.csv"), *communes]) == 0
    anciens = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text(encoding="utf-8"))))
    # A missed 28/07 → relance 05/08 in time; E missed 25/06, no relance, deadline passed: 2 counted
    assert [r["population"] for r in anciens if r["indicateur"] == "relance_absence_15_jours"
            and r["niveau"] == "ensemble"] == ["2"]
    assert "Fichier sans ligne de couverture de la saisie (identifiant #saisie_complete_depuis) : chaque colonne " \
           "est tenue pour complète" in (tmp_path / "a.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("cellule, colonne", [("2025-02-30", "date_relance"), ("oui", "date_premier_rdv"),
                                              ("2025-01-01", "date_demande"), ("ccas", "structure")])
def test_ligne_de_couverture_invalide(cellule: str, colonne: str) -> None:
    cellules = dict.fromkeys(COLONNES, "")
    cellules.update(identifiant=LIGNE_COUVERTURE, **{colonne: cellule})
    texte = ",".join(COLONNES) + "\n" + ",".join(cellules.values()) + "\n"
    with pytest.raises(EvenementsIllisibles) as refus:
        lire_texte(texte, "export.csv")
    assert f"fichier d'événements export.csv : ligne 2 (couverture de la saisie, identifiant #saisie_complete_depuis)" \
           f", colonne {colonne}, valeur « {cellule} » : attendu vide, une date AAAA-MM-JJ ou « non_mesure »" \
           in str(refus.value)
    # only once, as the first data row
    personne = f"SYN-1,2025-01-31{',' * (len(COLONNES) - 2)}"
    vide = ",".join(LIGNE_COUVERTURE if c == "identifiant" else "" for c in COLONNES)
    with pytest.raises(EvenementsIllisibles, match="ligne 3, identifiant #saisie_complete_depuis : la ligne de "
                                                   "couverture de la saisie n'est admise qu'une fois"):
        lire_texte(",".join(COLONNES) + "\n" + personne + "\n" + vide + "\n", "export.csv")
    lu = lire_texte(",".join(COLONNES) + "\n" + vide + "\n" + personne + "\n", "export.csv")
    assert (lu.lignes_lues, len(lu.personnes), lu.saisie_depuis, lu.non_enregistres) == (1, 1, {}, {})
