"""Import of ``orientation lot``'s outputs into the workspace (orientation.espace.import_lot): stored as recorded,
same rows as a flux import, idempotent, and French errors naming the file, the line and the reason when the files
do not match (each other, the flux, the rules or model named)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from orientation.espace.decisions import Saisie, enregistrer_decision
from orientation.espace.import_lot import LotInvalide, VersionsNommees, importer_lot, verifier_lot
from orientation.espace.importation import importer_flux
from orientation.flux.sorties import chemin_manifeste, sha256
from orientation.orientateur import Orientateur
from orientation.stockage.espace import DossierEspace, Utilisateur
from orientation.stockage.migrations import migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions
from tests.espace_outils import FLUX_EXEMPLE
from tests.serveur import commande


@dataclass
class Lot:
    dossier: Path
    decisions: Path
    explications: Path
    orientateur: Any

    def copie(self, cible: Path) -> "Lot":
        """The three outputs copied into ``cible`` (same names), to be altered by a test."""
        cible.mkdir()
        for p in (self.decisions, self.explications, chemin_manifeste(self.decisions)):
            shutil.copy(p, cible / p.name)
        return Lot(cible, cible / self.decisions.name, cible / self.explications.name, self.orientateur)


@pytest.fixture(scope="module")
def lot(tmp_path_factory: pytest.TempPathFactory) -> Lot:
    from orientation.donnees import chemin_modele
    from orientation.flux.lot import traiter_fichier

    d = tmp_path_factory.mktemp("lot")
    traiter_fichier(FLUX_EXEMPLE, "93", d / "decisions.csv", d / "explications.jsonl", modele=chemin_modele("demo"),
                    progression=False, processus=1)
    return Lot(d, d / "decisions.csv", d / "explications.jsonl", Orientateur.charger(None, "demo"))


def _sessions(url: str) -> Any:
    moteur = creer_moteur(url)
    migrer(moteur)
    return fabrique_sessions(moteur)


def _importer(sessions: Any, lot: Lot, flux: Path = FLUX_EXEMPLE, explications: bool = True, **kw: Any) -> Any:
    o = lot.orientateur
    return importer_lot(sessions, flux, lot.decisions, lot.explications if explications else None, "93",
                        o.referentiel("93"), kw.pop("modele", o.modele), **kw)


def _vide(x: Any) -> Any:
    """An empty text cell: null or empty string (the CSV file does not tell them apart)."""
    if isinstance(x, dict):
        return {k: _vide(v) for k, v in x.items()}
    return None if x == "" else x


@pytest.fixture
def sessions(base_migree: str) -> Iterator[Any]:
    s = _sessions(base_migree)
    yield s
    s.kw["bind"].dispose()


def test_import_du_lot_tel_quel_et_idempotent(sessions: Any, lot: Lot, tmp_path: Path) -> None:
    r = _importer(sessions, lot)
    assert (r.lignes, r.crees, r.mis_a_jour, r.rejetees) == (2000, 1994, 0, 6)
    assert {x.ligne for x in r.rejets} == {19, 258, 513, 779, 1026, 1502}
    # the same rows as a flux import of the same file with the same rules and model (which recomputes them)
    temoin = _sessions(f"sqlite:///{tmp_path / 'temoin.sqlite3'}")
    o = lot.orientateur
    importer_flux(temoin, FLUX_EXEMPLE, "93", o.referentiel("93"), o.modele)
    colonnes = ["modalite", "parcours_propose", "structure_proposee", "echeance", "regle_decisive", "ligne_grille",
                "version_regles", "version_modele", "enregistrement", "explication"]

    def lignes(s: Any) -> dict[tuple[str, date], tuple[Any, ...]]:
        with s() as db:
            return {(d.identifiant, d.date_demande): (*(getattr(d, c) for c in colonnes), _vide(d.recommandation))
                    for d in db.scalars(select(DossierEspace))}
    importees, attendues = lignes(sessions), lignes(temoin)
    assert len(importees) == 1994 and importees == attendues
    assert sum(v[4] is not None for v in importees.values()) > 0  # a deciding rule was found for some
    # idempotent; a decided dossier is left as it is
    with sessions() as db:
        d = db.scalars(select(DossierEspace).where(DossierEspace.modalite == "examen_individuel")).first()
        u = Utilisateur(courriel="r@93.fr", role="referent", departement="93", empreinte_mot_de_passe="x",
                        habilite_validation=False, actif=True, cree_le=d.importe_le)
        db.add(u)
        db.flush()
        enregistrer_decision(db, u, d, Saisie("social", "ccas", date.today().isoformat(), "vu"), date.today())
    r = _importer(sessions, lot, explications=False)
    assert (r.crees, r.mis_a_jour, r.deja_decides, r.rejetees) == (0, 1993, 1, 6)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(DossierEspace)) == 1994
        # without the explanations, the grid line is still found from the fired rules
        grilles = dict(db.execute(select(DossierEspace.identifiant, DossierEspace.ligne_grille)).all())
    assert grilles == {k[0]: v[5] for k, v in attendues.items()}


def _reecrire(lot: Lot, fichier: Path, transformer: Any) -> None:
    """Alter an output and record its new digest in the manifest (files consistent for the digests only)."""
    lignes = fichier.read_text(encoding="utf-8").splitlines(keepends=True)
    fichier.write_text("".join(transformer(lignes)), encoding="utf-8")
    m = chemin_manifeste(lot.decisions)
    contenu = json.loads(m.read_text(encoding="utf-8"))
    cle = "decisions" if fichier == lot.decisions else "explications"
    contenu["sorties"][cle]["sha256"] = sha256(fichier)
    m.write_text(json.dumps(contenu), encoding="utf-8")


def test_fichiers_discordants_refuses_avec_fichier_ligne_et_raison(url_sqlite: str, lot: Lot, tmp_path: Path) -> None:
    sessions = _sessions(url_sqlite)
    o = lot.orientateur
    # manifest missing
    seul = tmp_path / "seul"
    seul.mkdir()
    shutil.copy(lot.decisions, seul / "decisions.csv")
    with pytest.raises(LotInvalide, match=r"decisions\.manifeste\.json : manifeste introuvable"):
        _importer(sessions, Lot(seul, seul / "decisions.csv", lot.explications, o))
    # another flux
    court = tmp_path / "court.csv"
    court.write_text("".join(FLUX_EXEMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:30]), encoding="utf-8")
    with pytest.raises(LotInvalide, match=r"court\.csv : ce fichier n'est pas le flux lu par le traitement"):
        _importer(sessions, lot, flux=court)
    # an altered decisions file (manifest untouched)
    a = lot.copie(tmp_path / "a")
    a.decisions.write_text(a.decisions.read_text(encoding="utf-8").replace("SYN-93-93-0000005", "SYN-X"),
                           encoding="utf-8")
    with pytest.raises(LotInvalide, match=r"decisions\.csv : ce fichier n'est pas les décisions écrites"):
        _importer(sessions, a)
    # the model or the rules named are not the run's
    with pytest.raises(LotInvalide, match=r"modèle « demo@1\.0 », le modèle nommé pour l'import est « aucun »"):
        _importer(sessions, lot, modele=None)
    with pytest.raises(LotInvalide, match=r"règles de version « [0-9a-f]+ », les règles nommées pour l'import sont "
                                          r"en version « autre »"):
        verifier_lot(FLUX_EXEMPLE, lot.decisions, None, "93", VersionsNommees("autre", o.modele and
                                                                               f"{o.modele.nom}@{o.modele.version}",
                                                                               o.modele and o.modele.sha256))
    with pytest.raises(LotInvalide, match=r"département « 93 », l'import est demandé pour « 58 »"):
        importer_lot(sessions, FLUX_EXEMPLE, lot.decisions, None, "58", o.referentiel("58"), o.modele)
    with pytest.raises(LotInvalide, match=r"retirer --encodage"):
        _importer(sessions, lot, encodage="latin-1")
    with sessions() as db:  # nothing was written by any of them
        assert db.scalar(select(func.count()).select_from(DossierEspace)) == 0
    # consistent digests, inconsistent contents: the row-level checks name the file and the line
    b = lot.copie(tmp_path / "b")
    _reecrire(b, b.decisions, lambda ls: [ls[0], *(x.replace("SYN-93-93-0000003", "SYN-AUTRE") for x in ls[1:])])
    with pytest.raises(LotInvalide, match=r"decisions\.csv, ligne 5 : identifiant « SYN-AUTRE », la ligne 5 du flux "
                                          r"flux_exemple\.csv porte « SYN-93-93-0000003 »"):
        _importer(sessions, b)
    c = lot.copie(tmp_path / "c")
    _reecrire(c, c.explications, lambda ls: [ls[0], ls[2], ls[1], *ls[3:]])
    with pytest.raises(LotInvalide, match=r"explications\.jsonl, ligne 2 : explication de la ligne 4 "
                                          r"\(SYN-93-93-0000002\), attendu la ligne 3"):
        _importer(sessions, c)
    d = lot.copie(tmp_path / "d")
    _reecrire(d, d.decisions, lambda ls: ls[:-1])
    with pytest.raises(LotInvalide, match=r"decisions\.csv : 1993 décision\(s\), le manifeste en annonce 1994"):
        _importer(sessions, d)
    e = lot.copie(tmp_path / "e")
    _reecrire(e, e.decisions, lambda ls: [ls[0], ls[2], ls[1], *ls[3:]])
    with pytest.raises(LotInvalide, match=r"decisions\.csv, ligne 3 : ligne du flux 2 après la ligne 3"):
        _importer(sessions, e)
    f = lot.copie(tmp_path / "f")
    m = json.loads(chemin_manifeste(f.decisions).read_text(encoding="utf-8"))
    chemin_manifeste(f.decisions).write_text(json.dumps(dict(m, etat="interrompu")), encoding="utf-8")
    with pytest.raises(LotInvalide, match=r"traitement à l'état « interrompu »"):
        _importer(sessions, f)


def test_commande_importer_decisions(url_sqlite: str, lot: Lot) -> None:
    assert commande("base", "migrer", "--base", url_sqlite).returncode == 0
    r = commande("importer", str(FLUX_EXEMPLE), "--departement", "93", "--decisions", str(lot.decisions),
                 "--explications", str(lot.explications), "--modele", "demo", "--silencieux", "--base", url_sqlite)
    assert r.returncode == 0 and "1994 dossier(s) ajouté(s)" in r.stdout and "ligne 19" in r.stdout, r.stderr
    r = commande("importer", str(FLUX_EXEMPLE), "--departement", "93", "--decisions", str(lot.decisions),
                 "--sans-modele", "--silencieux", "--base", url_sqlite)
    assert r.returncode == 2 and "indiquer --modele" in r.stderr and "Traceback" not in r.stderr
    r = commande("importer", str(FLUX_EXEMPLE), "--departement", "93", "--explications", str(lot.explications),
                 "--silencieux", "--base", url_sqlite)
    assert r.returncode == 2 and "--explications s'utilise avec --decisions" in r.stderr
