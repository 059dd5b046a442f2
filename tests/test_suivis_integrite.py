"""One follow-up event in force per (dossier, type), guaranteed by the database (revision 0007).

* the migration: refused in French on data that already breaks the rule (dossier numbers and types named,
  no identifier), then accepted once the extra event is annulled, the table of events in force filled; a
  second event in force written past the checks is refused by the database; downgrade and upgrade again;
* races (PostgreSQL, real concurrent sessions): two writers pass their checks before either writes (a
  barrier holds both just before the write), so exactly one wins whoever it is; the loser gets the outcome
  of the checks: « déjà enregistré » for the same event, the usual French refusal for another date.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

import orientation.espace.import_suivis as module_import
import orientation.espace.suivis as module_fiche
import orientation.service.suivis as module_api
from orientation.espace.import_suivis import ImportSuivisRefuse, importer_suivis
from orientation.espace.suivis import SaisieSuivi, SuiviRefuse, enregistrer_suivi
from orientation.service.problemes import ErreurService
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DossierEspace
from orientation.stockage.migrations import configuration, migrer
from orientation.stockage.moteur import BaseInvalide, creer_moteur
from orientation.stockage.suivis import (ESSAIS_CONCURRENCE, ROLE_CLE_API, ConcurrenceRepetee, EvenementRecu,
                                         SuiviAccompagnement, SuiviEnVigueur, rejouer_si_concurrence)
from tests.serveur import base_postgresql
from tests.test_pilotage_base import ID
from tests.test_suivis import JOUR, _preparer, _referente

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
