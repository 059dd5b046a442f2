"""Bulk jobs of the service: retention of their folders (``expire``, 410) and progress counted in records."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.erreurs import ConfigurationInvalide
from orientation.service import Parametres, creer_application
from orientation.service.lots import _enregistrements_traites, compter_enregistrements, expirer_lots
from orientation.service.parametres import conservation_lots
from orientation.stockage import cles
from orientation.stockage import lots as table
from orientation.stockage.base import maintenant
from orientation.stockage.migrations import migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from tests.serveur import commande

EXEMPLES = Path(__file__).resolve().parents[1] / "examples"


def _lot(sessions: Any, dossier_lots: Path, cle_id: int, etat: str, age_jours: Optional[float]) -> str:
    """A job in ``etat`` that ended ``age_jours`` days ago (None: not ended), with its folder and two files."""
    identifiant = uuid.uuid4().hex
    with sessions() as s:
        table.creer_lot(s, table.Lot(id=identifiant, departement="93", origine="api", cle_id=cle_id, format="csv",
                                     explications=False, octets=10))
        fin = None if age_jours is None else maintenant() - timedelta(days=age_jours)
        table.mettre_a_jour(s, identifiant, etat=etat, fin_le=fin, lignes_lues=5, decidees=4, rejetees=1,
                            message="résumé")
    d = dossier_lots / identifiant
    d.mkdir(parents=True)
    (d / "entree.csv").write_text("identifiant\nSYN-93-1\n", encoding="utf-8")
    (d / "decisions.csv").write_text("identifiant\nSYN-93-1\n", encoding="utf-8")
    return identifiant


def _cle(sessions: Any) -> tuple[int, str]:
    with sessions() as s:
        cle, secret = cles.creer_cle(s, f"webrsa-{uuid.uuid4().hex[:6]}", ["93"])
        return cle.id, secret


@pytest.fixture
def contexte(base_migree: str, tmp_path: Path) -> Iterator[tuple[Any, int, str, Path]]:
    """(sessions, key id, key secret, jobs folder) on a migrated database (SQLite and PostgreSQL)."""
    moteur = creer_moteur(base_migree)
    sessions = fabrique_sessions(moteur)
    yield sessions, *_cle(sessions), tmp_path / "lots"
    moteur.dispose()


def test_expirer_supprime_seulement_les_lots_finis_anciens(contexte: tuple[Any, int, str, Path]) -> None:
    sessions, cle_id, _, lots = contexte
    vieux = {etat: _lot(sessions, lots, cle_id, etat, 40) for etat in ("termine", "refuse", "echec")}
    recent = _lot(sessions, lots, cle_id, "termine", 29)
    # active jobs are never touched, even with an (inconsistent) old end time
    actifs = [_lot(sessions, lots, cle_id, "en_cours", 40), _lot(sessions, lots, cle_id, "en_attente", None)]
    assert expirer_lots(sessions, lots, 30) == 3
    with sessions() as s:
        for etat, identifiant in vieux.items():
            lot = table.lire_lot(s, identifiant)
            assert lot.etat == "expire" and not (lots / identifiant).exists()
            assert (lot.lignes_lues, lot.decidees, lot.rejetees) == (5, 4, 1)
            assert lot.message.startswith("résumé\n") and "30 jour(s)" in lot.message
        assert table.lire_lot(s, recent).etat == "termine" and (lots / recent / "decisions.csv").is_file()
        assert [table.lire_lot(s, x).etat for x in actifs] == ["en_cours", "en_attente"]
        assert all((lots / x / "entree.csv").is_file() for x in actifs)
    assert expirer_lots(sessions, lots, 30) == 0  # idempotent: expired jobs are no longer candidates


def test_expirer_propriete(tmp_path: Path) -> None:
    moteur = creer_moteur(f"sqlite:///{tmp_path / 'service.sqlite3'}")
    migrer(moteur)
    sessions = fabrique_sessions(moteur)
    cle_id, _ = _cle(sessions)
    lots = tmp_path / "lots"

    @settings(max_examples=15, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(table.ACTIFS + table.FINIS), st.integers(0, 60)), max_size=6),
           st.integers(0, 60))
    def propriete(specs: list[tuple[str, int]], jours: int) -> None:
        ids = [(_lot(sessions, lots, cle_id, etat, age + 0.5), etat, age) for etat, age in specs]
        expirer_lots(sessions, lots, jours)
        with sessions() as s:
            for identifiant, etat, age in ids:
                attendu = etat in table.FINIS and age + 0.5 > jours
                assert table.lire_lot(s, identifiant).etat == ("expire" if attendu else etat)
                assert (lots / identifiant).exists() is not attendu

    propriete()
    moteur.dispose()


def test_lot_expire_au_demarrage_410_en_francais(contexte: tuple[Any, int, str, Path], base_migree: str) -> None:
    sessions, cle_id, secret, lots = contexte
    vieux, recent = _lot(sessions, lots, cle_id, "termine", 8), _lot(sessions, lots, cle_id, "termine", 6)
    app = creer_application(Parametres(base=base_migree, dossier_lots=str(lots), lots_conservation_jours=7))
    with TestClient(app) as client:
        h = {"Authorization": f"Bearer {secret}"}
        etat = client.get(f"/v1/lots/{vieux}", headers=h).json()
        assert etat["etat"] == "expire" and etat["resultats"] == {} and etat["decidees"] == 4
        r = client.get(f"/v1/lots/{vieux}/decisions", headers=h)
        assert r.status_code == 410 and r.headers["content-type"].startswith("application/problem+json")
        assert "expiré" in r.json()["detail"] and "conservation" in r.json()["detail"]
        assert client.get(f"/v1/lots/{recent}/decisions", headers=h).status_code == 200
    assert not (lots / vieux).exists()
    app.state.service.moteur.dispose()


def test_orientation_purger_expire_les_lots(contexte: tuple[Any, int, str, Path], base_migree: str) -> None:
    sessions, cle_id, _, lots = contexte
    vieux, recent = _lot(sessions, lots, cle_id, "echec", 11), _lot(sessions, lots, cle_id, "termine", 9)
    r = commande("purger", "--conservation", "3650", "--dossier-lots", str(lots), "--base", base_migree,
                 env={"ORIENTATION_LOTS_CONSERVATION_JOURS": "10"})
    assert r.returncode == 0, r.stderr
    assert "1 lot(s) du service terminé(s) depuis plus de 10 jour(s)" in r.stdout
    assert not (lots / vieux).exists() and (lots / recent).exists()
    r = commande("purger", "--conservation", "3650", "--dossier-lots", str(lots), "--base", base_migree,
                 env={"ORIENTATION_LOTS_CONSERVATION_JOURS": "dix"})
    assert r.returncode == 2 and "ORIENTATION_LOTS_CONSERVATION_JOURS « dix »" in r.stderr
    assert "Traceback" not in r.stderr and (lots / recent).exists()


def test_conservation_lots_lue_de_l_environnement() -> None:
    assert conservation_lots({}) == 30
    assert conservation_lots({"ORIENTATION_LOTS_CONSERVATION_JOURS": " 7 "}) == 7
    for faux in ("-1", "7.5", "sept", "٣"):
        with pytest.raises(ConfigurationInvalide, match="nombre entier de jours"):
            conservation_lots({"ORIENTATION_LOTS_CONSERVATION_JOURS": faux})


# --------------------------------------------------------------------------- progress in records


def _csv_multilignes(chemin: Path, tous_les: int = 3) -> None:
    """The example flux with a line break inside a quoted cell of every ``tous_les``-th record."""
    lignes = list(csv.reader(open(EXEMPLES / "flux_exemple.csv", newline="", encoding="utf-8")))
    i = lignes[0].index("hispro")
    sortie = io.StringIO()
    w = csv.writer(sortie, lineterminator="\n")
    w.writerow(lignes[0])
    for k, r in enumerate(lignes[1:301]):
        if k % tous_les == 0:
            r[i] += "\nsuite\nencore"
        w.writerow(r)
    chemin.write_text(sortie.getvalue() + "\n", encoding="utf-8")


def test_compter_enregistrements_comme_le_lecteur(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    flux = tmp_path / "multi.csv"
    _csv_multilignes(flux)
    assert flux.read_bytes().count(b"\n") == 1 + 300 + 2 * 100 + 1  # header, records, extra lines, blank end
    assert compter_enregistrements(flux) == 300
    parquet = EXEMPLES / "flux_exemple.parquet"
    assert compter_enregistrements(parquet) == pq.ParquetFile(parquet).metadata.num_rows
    assert compter_enregistrements(tmp_path / "absent.csv") is None


def test_enregistrements_traites_lus_des_sorties_partielles(tmp_path: Path) -> None:
    (tmp_path / ".decisions.csv.partiel-12").write_text("identifiant,ligne\nA,2\nB,3\nC,4\n", encoding="utf-8")
    assert _enregistrements_traites(tmp_path) == 3  # no rejects file yet
    # two rejects of line 5 (one record), a value with a line break, and a row still being written
    (tmp_path / ".decisions.rejets.csv.partiel-12").write_text(
        'ligne,identifiant,champ,valeur,raison\n5,D,dtnai,x,invalide\n5,D,sexe,"a\nb",invalide\n9,E,nati,y,in',
        encoding="utf-8")
    assert _enregistrements_traites(tmp_path) == 3 + 1
    assert _enregistrements_traites(tmp_path / "vide") is None


def test_lot_csv_multilignes_progression_en_enregistrements(tmp_path: Path) -> None:
    base = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    moteur = creer_moteur(base)
    migrer(moteur)
    _, secret = _cle(fabrique_sessions(moteur))
    moteur.dispose()
    flux = tmp_path / "multi.csv"
    _csv_multilignes(flux)
    app = creer_application(Parametres(base=base, dossier_lots=str(tmp_path / "lots")))
    with TestClient(app) as client:
        h = {"Authorization": f"Bearer {secret}"}
        adresses = [client.post(f"/v1/lots?departement=93&format={f}", content=p.read_bytes(), headers=h)
                    .json()["adresse"] for f, p in (("csv", flux), ("parquet", EXEMPLES / "flux_exemple.parquet"))]
        for adresse in adresses:
            for _ in range(600):
                etat = client.get(adresse, headers=h).json()
                assert etat["progression"] is None or 0.0 <= etat["progression"] <= 1.0
                if etat["etat"] not in table.ACTIFS:
                    break
                time.sleep(0.1)
            assert etat["etat"] == "termine", etat
            # the count the service made at the start is the reader's: records, not physical lines
            assert etat["lignes_estimees"] == etat["lignes_lues"] > 0 and etat["progression"] == 1.0
        manifeste = json.loads(client.get(f"{adresses[0]}/manifeste", headers=h).text)
        assert manifeste["lignes_lues"] == 300 < flux.read_bytes().count(b"\n")
    app.state.service.moteur.dispose()
