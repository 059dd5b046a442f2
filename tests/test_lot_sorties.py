"""Outputs of `orientation lot`: refused paths, --ecraser, manifest, stale parts, I/O errors, exit codes."""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orientation.cli import main
from orientation.flux import lot
from orientation.flux.sorties import sha256
from orientation.modele.synthetique import ecrire_csv

LANCEUR = "import sys; from orientation.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def flux(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chemin = tmp_path_factory.mktemp("flux") / "flux.csv"
    ecrire_csv(chemin, 300, graine=5, departement="93")
    return chemin


def _lot(flux: Path, sortie: Path, *options: str) -> int:
    return main(["lot", str(flux), "--departement", "93", "--sortie", str(sortie), "--silencieux", *options])


def _fichiers(dossier: Path) -> set[str]:
    return {p.name for p in dossier.iterdir()}


@pytest.mark.parametrize("cas", ["sortie", "rejets", "explications", "rejets_par_defaut", "lien_symbolique",
                                 "lien_physique", "rejets_egal_sortie", "explications_egal_rejets"])
def test_chemins_refuses(flux: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], cas: str) -> None:
    """An output that is the input, or another output, is refused before anything is written."""
    entree = tmp_path / "flux.csv"
    entree.write_bytes(flux.read_bytes())
    sortie, options = tmp_path / "d.csv", []
    if cas == "sortie":
        sortie = entree
    elif cas == "rejets":
        options = ["--rejets", str(entree)]
    elif cas == "explications":
        options = ["--explications", str(entree)]
    elif cas == "rejets_par_defaut":  # the input is named like the default rejects file of --sortie
        entree = entree.rename(tmp_path / "d.rejets.csv")
    elif cas == "lien_symbolique":
        (tmp_path / "lien.csv").symlink_to(entree)
        options = ["--rejets", str(tmp_path / "lien.csv")]
    elif cas == "lien_physique":
        os.link(entree, tmp_path / "dur.csv")
        options = ["--explications", str(tmp_path / "dur.csv")]
    elif cas == "rejets_egal_sortie":
        options = ["--rejets", str(tmp_path / "." / "d.csv")]
    elif cas == "explications_egal_rejets":
        options = ["--rejets", str(tmp_path / "r.csv"), "--explications", str(tmp_path / "r.csv")]
    avant = _fichiers(tmp_path)
    contenu = entree.read_bytes()
    assert _lot(entree, sortie, *options) == 2
    erreur = capsys.readouterr().err
    assert erreur.startswith("Erreur : ") and ("fichier d'entrée" in erreur or "même fichier" in erreur), erreur
    assert entree.read_bytes() == contenu
    assert _fichiers(tmp_path) == avant  # nothing written, not even a part


def test_sorties_existantes_et_ecraser(flux: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sortie, expl = tmp_path / "d.csv", tmp_path / "e.jsonl"
    assert _lot(flux, sortie, "--explications", str(expl)) == 0
    premiers = {n: (tmp_path / n).read_bytes() for n in ("d.csv", "e.jsonl", "d.rejets.csv", "d.manifeste.json")}
    capsys.readouterr()
    # a rerun without --ecraser is refused and leaves the earlier outputs untouched
    assert _lot(flux, sortie) == 2
    erreur = capsys.readouterr().err
    assert "--ecraser" in erreur and "d.csv" in erreur
    assert {n: (tmp_path / n).read_bytes() for n in premiers} == premiers
    # with --ecraser and without --explications: the old explanations do not stay beside new decisions
    assert _lot(flux, sortie, "--ecraser") == 0
    assert _fichiers(tmp_path) == {"d.csv", "d.rejets.csv", "d.manifeste.json"}
    assert (tmp_path / "d.csv").read_bytes() == premiers["d.csv"]
    manifeste = json.loads((tmp_path / "d.manifeste.json").read_text(encoding="utf-8"))
    assert set(manifeste["sorties"]) == {"decisions", "rejets"} and manifeste["options"]["ecraser"] is True
    # --remplacer: the same choice under the analyst commands' name
    assert _lot(flux, sortie, "--remplacer") == 0
    assert (tmp_path / "d.csv").read_bytes() == premiers["d.csv"]


def test_manifeste(flux: Path, tmp_path: Path) -> None:
    sortie = tmp_path / "out" / "d.csv"
    r = lot.traiter_fichier(flux, "93", sortie, explications=tmp_path / "out" / "e.jsonl", progression=False)
    m = json.loads((tmp_path / "out" / "d.manifeste.json").read_text(encoding="utf-8"))
    assert m["format"] == "orientation-lot-manifeste/1" and m["etat"] == "complet"
    assert (m["lignes_lues"], m["decidees"], m["rejetees"]) == (r.lignes, r.decides, r.rejetes) == (300, 300, 0)
    assert m["flux"]["sha256"] == sha256(flux) and m["flux"]["octets"] == flux.stat().st_size
    assert m["flux"]["format"] == "csv" and m["flux"]["encodage"] == "utf-8"
    assert set(m["sorties"]) == {"decisions", "rejets", "explications", "catalogue"}
    for entree in m["sorties"].values():
        chemin = Path(entree["chemin"])
        assert chemin.is_absolute() and sha256(chemin) == entree["sha256"]
        assert chemin.stat().st_size == entree["octets"]
    assert m["versions"]["regles"] == r.version_regles and m["versions"]["modele"] == r.version_modele
    assert m["debut"] <= m["fin"] and m["options"]["departement"] == "93"
    # Parquet input: its bytes are hashed too
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    pq.write_table(pcsv.read_csv(flux, convert_options=pcsv.ConvertOptions(
        column_types={k: "string" for k in open(flux, encoding="utf-8").readline().strip().split(",")})),
        tmp_path / "f.parquet")
    lot.traiter_fichier(tmp_path / "f.parquet", "93", tmp_path / "p.csv", progression=False)
    mp = json.loads((tmp_path / "p.manifeste.json").read_text(encoding="utf-8"))
    assert mp["flux"]["sha256"] == sha256(tmp_path / "f.parquet") and mp["decidees"] == 300


def test_parties_perimees(flux: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Parts of a dead run are removed; parts of a live process mean another run writes there: refused."""
    morte = tmp_path / ".d.csv.partiel-999999999"
    morte.write_bytes(b"identifiant\nX\n")
    morte_travail = tmp_path / ".e.jsonl.partiel-999999999-3"
    morte_travail.write_bytes(b"{}\n")
    etrangere = tmp_path / ".d.csv.bak"  # not a part of ours: kept
    etrangere.write_bytes(b"x")
    assert _lot(flux, tmp_path / "d.csv", "--explications", str(tmp_path / "e.jsonl")) == 0
    assert not morte.exists() and not morte_travail.exists() and etrangere.exists()
    vivante = tmp_path / ".x.csv.partiel-1"  # pid 1 always exists
    vivante.write_bytes(b"")
    capsys.readouterr()
    assert _lot(flux, tmp_path / "x.csv") == 2
    assert "un autre traitement (processus 1)" in capsys.readouterr().err
    assert vivante.exists() and not (tmp_path / "x.csv").exists()


def test_disque_plein_simule(flux: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """A write failing with ENOSPC: exit code 3, French cause naming the file, nothing published or left."""
    def plein(self: object, rejets: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lot.EcrivainRejets, "ecrire", plein)
    assert _lot(flux, tmp_path / "d.csv", "--explications", str(tmp_path / "e.jsonl")) == 3
    erreur = capsys.readouterr().err
    assert "plus de place sur le disque" in erreur and "d.rejets.csv" in erreur and "No space" not in erreur
    assert _fichiers(tmp_path) == set()


def test_erreur_interne_sans_trace(flux: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    def panne(*args: object, **kwargs: object) -> None:
        raise KeyError("valeur personnelle")

    monkeypatch.setattr(lot, "_compter", panne)
    assert _lot(flux, tmp_path / "d.csv") == 4
    erreur = capsys.readouterr().err
    assert "erreur interne inattendue (KeyError)" in erreur and "valeur personnelle" not in erreur
    assert _fichiers(tmp_path) == set()


def _sans_droits(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the command as root without CAP_DAC_OVERRIDE: file permissions apply (setpriv, util-linux)."""
    return subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps",
                           "-dac_override,-dac_read_search", sys.executable, "-c", LANCEUR, *args],
                          capture_output=True, text=True, cwd=tmp, timeout=120)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to drop the permission override")
def test_permissions(flux: Path, tmp_path: Path) -> None:
    """Unreadable input (exit 2), read-only output folder (exit 3): French cause, file named, no traceback."""
    base = tmp_path
    protege = base / "protege"
    try:
        illisible = base / "illisible.csv"
        illisible.write_bytes(flux.read_bytes())
        os.chmod(illisible, 0o000)
        ecrivable = base / "ecrivable"
        ecrivable.mkdir()
        r = _sans_droits(base, "lot", str(illisible), "--departement", "93", "--sortie", str(ecrivable / "d.csv"),
                       "--silencieux")
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "illisible.csv" in r.stderr and "permission refusée" in r.stderr
        lisible = base / "lisible.csv"
        lisible.write_bytes(flux.read_bytes())
        os.chmod(lisible, 0o644)
        protege.mkdir()
        os.chmod(protege, 0o555)
        r = _sans_droits(base, "lot", str(lisible), "--departement", "93", "--sortie", str(protege / "d.csv"),
                       "--silencieux")
        assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
        assert "protege" in r.stderr and "permission refusée" in r.stderr
        assert list(protege.iterdir()) == [] and list(ecrivable.iterdir()) == []
    finally:
        if protege.exists():
            os.chmod(protege, 0o755)


@pytest.fixture
def petit_disque(tmp_path: Path):
    point = tmp_path / "petit_disque"
    point.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (root with CAP_SYS_ADMIN needed)")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_disque_plein_reel(flux: Path, petit_disque: Path) -> None:
    """A real full disk (tmpfs of 256 KiB): exit code 3, French cause, the folder left empty."""
    r = subprocess.run([sys.executable, "-c", LANCEUR, "lot", str(flux), "--departement", "93", "--sortie",
                        str(petit_disque / "d.csv"), "--explications", str(petit_disque / "e.jsonl"), "--silencieux"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "plus de place sur le disque" in r.stderr and "Traceback" not in r.stderr
    assert str(petit_disque) in r.stderr
    assert list(petit_disque.iterdir()) == []


def test_rejets_csv_valide_et_cellule_brute(flux: Path, tmp_path: Path) -> None:
    """The rejects file is RFC 4180 whatever the value (bare CR, LF, quotes, delimiters), with the input cell."""
    with flux.open(encoding="utf-8", newline="") as f:
        lignes = list(csv.reader(f))
    entete = lignes[0]
    hostiles = [{"natlog": 'a"b,c\rd', "typefoyer": "P;A\r\nR"}, {"difsoc": "0402|0402"}, {"dtnai": "1990-13-01\n"}]
    chemin = tmp_path / "f.csv"
    with chemin.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(entete)
        for i, cellules in enumerate(hostiles):
            rangee = list(lignes[1 + i])
            for k, v in cellules.items():
                rangee[entete.index(k)] = v
            w.writerow(rangee)
        w.writerow(lignes[5])
    r = lot.traiter_fichier(chemin, "93", tmp_path / "d.csv", progression=False)
    assert (r.lignes, r.decides, r.rejetes) == (4, 1, 3)
    with (tmp_path / "d.rejets.csv").open(encoding="utf-8", newline="") as f:
        rejets = list(csv.DictReader(f))
    # first physical line of each record: 2, 4 (the first record spans two lines), 5 (spans two lines)
    assert [(x["ligne"], x["champ"], x["valeur"]) for x in rejets] == [
        ("2", "typefoyer", "P;A\r\nR"), ("2", "natlog", 'a"b,c\rd'), ("4", "difsoc", "0402|0402"),
        ("5", "dtnai", "1990-13-01\n")]
    assert [x["ligne"] for x in csv.DictReader((tmp_path / "d.csv").open(encoding="utf-8"))] == ["7"]
