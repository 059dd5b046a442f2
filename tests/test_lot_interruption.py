"""`orientation lot` stopped by SIGINT, SIGTERM or SIGKILL: no output that looks complete, no leftovers.

A real subprocess runs the command on 200,000 synthetic rows (generated once for the module);
the signal is sent at observed points of the run (processing started, blocks written, during the
final renames), never after a fixed delay alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import psutil
import pyarrow.csv as pcsv
import pytest

from orientation.modele.synthetique import COLONNE_PARCOURS, generer_table

LIGNES = 200_000
FINALES = ("decisions.csv", "decisions.rejets.csv", "explications.jsonl")
LANCEUR = "import sys; from orientation.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def gros_flux(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chemin = tmp_path_factory.mktemp("flux") / "flux.csv"
    table = generer_table(LIGNES, graine=7, departement="93").drop_columns([COLONNE_PARCOURS])
    pcsv.write_csv(table, chemin, write_options=pcsv.WriteOptions(quoting_style="none"))
    return chemin


@pytest.fixture(scope="module")
def gros_flux_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 30,000 XML records (the example's, repeated): parsed by the dedicated reader process of lot."""
    exemple = (Path(__file__).resolve().parent.parent / "examples" / "flux_cnaf_exemple.xml").read_text(encoding="utf-8")
    lignes = exemple.splitlines(keepends=True)
    records = [x for x in lignes if x.startswith("<InfoDemandeRSA>")]
    debut = lignes[:lignes.index(records[0])]
    chemin = tmp_path_factory.mktemp("flux") / "flux.xml"
    with chemin.open("w", encoding="utf-8") as f:
        f.writelines(debut)
        for _ in range(150):
            f.writelines(records)
        f.write("</Racine>\n")
    return chemin


def _lancer(flux: Path, dossier: Path, code: str = LANCEUR) -> tuple[subprocess.Popen, Path, Path]:
    dossier.mkdir(parents=True, exist_ok=True)
    sortie, erreur = dossier.parent / f"{dossier.name}.stdout", dossier.parent / f"{dossier.name}.stderr"
    with sortie.open("wb") as out, erreur.open("wb") as err:
        p = subprocess.Popen([sys.executable, "-c", code, "lot", str(flux), "--departement", "93",
                              "--sortie", str(dossier / "decisions.csv"),
                              "--explications", str(dossier / "explications.jsonl"), "--silencieux"],
                             stdout=out, stderr=err, start_new_session=True)
    return p, sortie, erreur


def _attendre(condition: Callable[[], bool], p: subprocess.Popen, delai: float = 60.0) -> None:
    fin = time.monotonic() + delai
    while not condition():
        assert p.poll() is None, "the run ended before the point where the signal was to be sent"
        assert time.monotonic() < fin, "the run never reached the point where the signal was to be sent"
        time.sleep(0.02)


def _parties(dossier: Path) -> list[Path]:
    return [q for q in dossier.iterdir() if ".partiel-" in q.name]


def _descendants(p: subprocess.Popen) -> list[psutil.Process]:
    try:
        return psutil.Process(p.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _disparus(processus: list[psutil.Process], delai: float = 10.0) -> bool:
    fin = time.monotonic() + delai
    while time.monotonic() < fin:
        vivants = []
        for q in processus:
            try:
                if q.is_running() and q.status() != psutil.STATUS_ZOMBIE:
                    vivants.append(q)
            except psutil.NoSuchProcess:
                pass
        if not vivants:
            return True
        time.sleep(0.05)
    return False


def _verifier_interrompu(p: subprocess.Popen, dossier: Path, erreur: Path, code: int,
                         enfants: list[psutil.Process]) -> None:
    assert p.wait(timeout=60) == code
    texte = erreur.read_text(encoding="utf-8")
    assert "Traitement interrompu" in texte and "aucune sortie n'a été publiée" in texte, texte
    assert "Traceback" not in texte and "KeyboardInterrupt" not in texte, texte
    for nom in FINALES:
        assert not (dossier / nom).exists(), nom
    manifeste = dossier / "decisions.manifeste.json"
    if manifeste.exists():  # the only trace: a manifest that says the run was interrupted
        contenu = json.loads(manifeste.read_text(encoding="utf-8"))
        assert contenu["etat"] == "interrompu" and contenu["sorties"] == {}
        assert contenu["lignes_lues"] < LIGNES
    assert _parties(dossier) == []
    assert enfants, "the run had no worker to check"
    assert _disparus(enfants), "orphan worker processes"


def _pendant(p: subprocess.Popen, dossier: Path, minimum: int) -> Callable[[], bool]:
    """Workers started and at least ``minimum`` bytes of decisions written to parts (0: processing started)."""
    def condition() -> bool:
        parts = [q for q in _parties(dossier) if q.name.startswith(".decisions.csv.")]
        try:
            taille = sum(q.stat().st_size for q in parts)
        except FileNotFoundError:
            return False
        return bool(parts) and taille >= minimum and bool(_descendants(p))
    return condition


def _interrompre(flux: Path, dossier: Path, signal_envoye: int, au_groupe: bool, minimum: int) -> None:
    """Start a run on ``flux``, send ``signal_envoye`` (to the group or the parent only) once ``minimum`` bytes of
    parts are written, and check the interrupted run (exit code, nothing published, no process left)."""
    p, _, erreur = _lancer(flux, dossier)
    try:
        _attendre(_pendant(p, dossier, minimum), p)
        enfants = _descendants(p)
        if au_groupe:
            os.killpg(p.pid, signal_envoye)
        else:
            p.send_signal(signal_envoye)
        _verifier_interrompu(p, dossier, erreur, 128 + signal_envoye, enfants)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)


@pytest.mark.parametrize("signal_envoye, au_groupe, minimum", [
    (signal.SIGINT, True, 0),  # Ctrl-C in a terminal: the whole process group, as soon as processing starts
    (signal.SIGINT, True, 2_000_000),  # several blocks written
    (signal.SIGTERM, False, 0),  # a service manager stopping the parent only
    (signal.SIGTERM, False, 2_000_000),
])
def test_interruption(gros_flux: Path, tmp_path: Path, signal_envoye: int, au_groupe: bool, minimum: int) -> None:
    _interrompre(gros_flux, tmp_path / "sortie", signal_envoye, au_groupe, minimum)


@pytest.mark.parametrize("signal_envoye, au_groupe, minimum", [
    (signal.SIGINT, True, 0),  # Ctrl-C as soon as processing starts: the reader is parsing
    (signal.SIGTERM, False, 300_000),  # a service manager stopping the parent only, blocks written
])
def test_interruption_flux_xml(gros_flux_xml: Path, tmp_path: Path, signal_envoye: int, au_groupe: bool,
                               minimum: int) -> None:
    """The same on an XML flux: the dedicated reader process stops with the workers, no traceback."""
    _interrompre(gros_flux_xml, tmp_path / "sortie", signal_envoye, au_groupe, minimum)


def _tuer_le_parent(flux: Path, dossier: Path, minimum: int) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """Start a run, SIGKILL its parent once ``minimum`` bytes of parts are written; (process, its children then)."""
    p, _, _ = _lancer(flux, dossier)
    try:
        _attendre(_pendant(p, dossier, minimum), p)
        enfants = _descendants(p)
        p.send_signal(signal.SIGKILL)
        assert p.wait(timeout=30) == -signal.SIGKILL
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    return p, enfants


def test_sigkill_flux_xml(gros_flux_xml: Path, tmp_path: Path) -> None:
    """SIGKILL of the parent of an XML run: its reader and workers die with it, no final output appears."""
    dossier = tmp_path / "sortie"
    _p, enfants = _tuer_le_parent(gros_flux_xml, dossier, 1)
    assert _disparus(enfants), "reader or workers outlived their killed parent"
    for nom in FINALES + ("decisions.manifeste.json",):
        assert not (dossier / nom).exists(), nom


def test_sigkill_puis_nouveau_traitement(gros_flux: Path, tmp_path: Path) -> None:
    """SIGKILL: no final name ever appears; parts are obviously partial; the next run removes them."""
    dossier = tmp_path / "sortie"
    p, enfants = _tuer_le_parent(gros_flux, dossier, 1_000_000)
    assert _disparus(enfants), "workers outlived their killed parent"
    for nom in FINALES + ("decisions.manifeste.json",):
        assert not (dossier / nom).exists(), nom
    restes = _parties(dossier)
    assert restes and all(q.name.startswith(".") and f".partiel-{p.pid}" in q.name for q in restes)
    # the next run writing the same outputs removes the parts of the dead run, and completes
    petit = tmp_path / "petit.csv"
    with gros_flux.open("rb") as f:
        petit.write_bytes(b"".join(f.readline() for _ in range(1001)))
    p2, _, erreur2 = _lancer(petit, dossier)
    assert p2.wait(timeout=120) == 0, erreur2.read_text(encoding="utf-8")
    assert _parties(dossier) == []
    manifeste = json.loads((dossier / "decisions.manifeste.json").read_text(encoding="utf-8"))
    assert manifeste["etat"] == "complet" and manifeste["decidees"] + manifeste["rejetees"] == 1000


def test_signal_pendant_la_publication(gros_flux: Path, tmp_path: Path) -> None:
    """A signal during the final renames is deferred: the run completes, outputs match the manifest."""
    petit = tmp_path / "petit.csv"
    with gros_flux.open("rb") as f:
        petit.write_bytes(b"".join(f.readline() for _ in range(3001)))
    lent = ("import os, sys, time\n"
            "from orientation.flux import sorties\n"
            "vrai = os.replace\n"
            "def lent(a, b):\n"
            "    vrai(a, b)\n"
            "    sys.stderr.write('RENOMME\\n'); sys.stderr.flush(); time.sleep(0.5)\n"
            "sorties.os.replace = lent\n" + LANCEUR)
    dossier = tmp_path / "sortie"
    p, sortie, erreur = _lancer(petit, dossier, lent)
    try:
        _attendre(lambda: "RENOMME" in erreur.read_text(encoding="utf-8"), p)
        os.killpg(p.pid, signal.SIGINT)
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    texte = erreur.read_text(encoding="utf-8")
    assert "Traceback" not in texte and "les sorties sont complètes" in texte
    manifeste = json.loads((dossier / "decisions.manifeste.json").read_text(encoding="utf-8"))
    assert manifeste["etat"] == "complet" and manifeste["decidees"] + manifeste["rejetees"] == 3000
    from orientation.flux.sorties import sha256

    for cle, entree in manifeste["sorties"].items():
        assert sha256(Path(entree["chemin"])) == entree["sha256"], cle
    assert _parties(dossier) == []
    assert "3\u202f000 ligne(s) lue(s)" in sortie.read_text(encoding="utf-8")


