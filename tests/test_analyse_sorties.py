"""Where ``orientation entrainer`` and ``orientation modele carte`` write: never over a user's data by surprise.

An existing non-empty model folder is refused without ``--remplacer`` (before the data is read); with it
the new model replaces the old one whole and the old folder is kept beside; the bundled data is always
refused; an interrupted publication leaves the old folder as it was; card files elsewhere than in the
model's own folder are replaced only with ``--remplacer``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orientation.analyse.entrainement import entrainer_fichier
from orientation.analyse.publication import SortieRefusee, nom_ancien, publier_dossier, verifier_dossier
from orientation.cli import main
from orientation.donnees import chemin_modele, repertoire
from orientation.modele import synthetique as syn
from orientation.modele.modele import ModeleOrientation


def _contenu(dossier: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dossier)): p.read_bytes() for p in sorted(dossier.rglob("*")) if p.is_file()}


def _voisins(dossier: Path) -> list[str]:
    return sorted(p.name for p in dossier.parent.iterdir() if p.name != dossier.name)


@pytest.fixture(scope="module")
def petit_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return syn.ecrire_csv(tmp_path_factory.mktemp("export") / "export.csv", 800, graine=3)


# --------------------------------------------------------------------------- publication of a folder


def test_dossier_non_vide_refuse_sans_remplacer(tmp_path: Path) -> None:
    cible = tmp_path / "modele"
    cible.mkdir()
    (cible / "notes.txt").write_text("à garder", encoding="utf-8")
    with pytest.raises(SortieRefusee, match="--remplacer") as exc:
        with publier_dossier(cible, remplacer=False) as pub:  # pragma: no cover - refused before the block
            (pub.temporaire / "x").write_text("x")
    assert str(cible) in str(exc.value) and "n'est pas vide" in str(exc.value)
    assert _contenu(cible) == {"notes.txt": "à garder".encode()} and _voisins(cible) == []


def test_dossier_vide_ou_absent_accepte_sans_ancien(tmp_path: Path) -> None:
    vide, absent = tmp_path / "vide", tmp_path / "a" / "b"
    vide.mkdir()
    for cible in (vide, absent):
        with publier_dossier(cible, remplacer=False) as pub:
            (pub.temporaire / "m.json").write_text("{}")
        assert pub.ancien is None and _contenu(cible) == {"m.json": b"{}"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "vide"]


@settings(max_examples=25, deadline=None)
@given(anciens=st.dictionaries(st.text("abcdef", min_size=1, max_size=6), st.binary(max_size=20), min_size=1,
                               max_size=4),
       nouveaux=st.dictionaries(st.text("uvwxyz", min_size=1, max_size=6), st.binary(max_size=20), max_size=4))
def test_remplacer_garde_l_ancien_dossier_entier(tmp_path_factory: pytest.TempPathFactory,
                                                 anciens: dict[str, bytes], nouveaux: dict[str, bytes]) -> None:
    cible = tmp_path_factory.mktemp("p") / "modele"
    cible.mkdir()
    for nom, octets in anciens.items():
        (cible / nom).write_bytes(octets)
    with publier_dossier(cible, remplacer=True) as pub:
        for nom, octets in nouveaux.items():
            (pub.temporaire / nom).write_bytes(octets)
    assert _contenu(cible) == nouveaux
    assert pub.ancien is not None and pub.ancien.name.startswith("modele.ancien-")
    assert _contenu(pub.ancien) == anciens
    assert _voisins(cible) == [pub.ancien.name]  # no temporary folder left


def test_erreur_pendant_l_ecriture_laisse_l_ancien_intact(tmp_path: Path) -> None:
    cible = tmp_path / "modele"
    cible.mkdir()
    (cible / "manifeste.json").write_text("ancien")
    with pytest.raises(OSError):
        with publier_dossier(cible, remplacer=True) as pub:
            (pub.temporaire / "manifeste.json").write_text("nouveau, à moitié")
            raise OSError(28, "disque plein")
    assert _contenu(cible) == {"manifeste.json": b"ancien"} and _voisins(cible) == []


def test_nom_ancien_libre(tmp_path: Path) -> None:
    from datetime import datetime

    t = datetime(2026, 1, 2, 3, 4, 5)
    (tmp_path / "m.ancien-20260102T030405").mkdir()
    assert nom_ancien(tmp_path / "m", t).name == "m.ancien-20260102T030405-2"


def test_donnees_livrees_toujours_refusees(tmp_path: Path) -> None:
    import orientation

    for cible in (chemin_modele("demo"), repertoire("modeles") / "nouveau", Path(orientation.__file__).parent / "x"):
        for remplacer in (False, True):
            with pytest.raises(SortieRefusee, match="données livrées") as exc:
                verifier_dossier(cible, remplacer=remplacer)
            assert str(cible) in str(exc.value)
    verifier_dossier(tmp_path / "ailleurs", remplacer=False)  # accepted


# --------------------------------------------------------------------------- orientation entrainer


def test_entrainer_refuse_un_dossier_existant_avant_de_lire(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cible = tmp_path / "mes_donnees"
    cible.mkdir()
    (cible / "precieux.csv").write_text("1,2,3\n")
    # the data file does not even exist: the output is checked first
    assert main(["entrainer", str(tmp_path / "absent.csv"), "--sortie", str(cible)]) == 2
    err = capsys.readouterr().err
    assert str(cible) in err and "n'est pas vide" in err and "--remplacer" in err and "Traceback" not in err
    assert _contenu(cible) == {"precieux.csv": b"1,2,3\n"} and _voisins(cible) == []


def test_entrainer_refuse_le_modele_livre(petit_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = chemin_modele("demo")
    avant = _contenu(demo)
    for options in ([], ["--remplacer"]):
        assert main(["entrainer", str(petit_export), "--sortie", str(demo), *options]) == 2
        err = capsys.readouterr().err
        assert "données livrées" in err and str(demo) in err
        assert main(["entrainer", str(petit_export), "--sortie", str(repertoire("modeles") / "a_moi"), *options]) == 2
        capsys.readouterr()
    assert _contenu(demo) == avant and not (repertoire("modeles") / "a_moi").exists()
    assert not list(repertoire("modeles").glob(".*tmp-*")) and not list(repertoire("modeles").glob("*.rejets.csv"))


def test_entrainer_remplacer_garde_l_ancien(petit_export: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cible = tmp_path / "modeles" / "m"
    assert main(["entrainer", str(petit_export), "--sortie", str(cible), "--accord-cible", "0.9"]) == 0
    premier = _contenu(cible)
    capsys.readouterr()
    assert main(["entrainer", str(petit_export), "--sortie", str(cible), "--accord-cible", "0.9"]) == 2
    assert "--remplacer" in capsys.readouterr().err and _contenu(cible) == premier
    assert main(["entrainer", str(petit_export), "--sortie", str(cible), "--accord-cible", "0.8", "--remplacer"]) == 0
    out = capsys.readouterr().out
    (ancien,) = [p for p in cible.parent.iterdir() if p.name.startswith("m.ancien-")]
    assert f"Ancien dossier du modèle conservé : {ancien}" in out
    assert _contenu(ancien) == premier and _contenu(cible) != premier
    assert ModeleOrientation.charger(cible).nom == "m" and ModeleOrientation.charger(ancien).manifeste
    assert sorted(p.name for p in cible.parent.iterdir()) == sorted(["m", ancien.name])


def test_entrainer_interrompu_a_l_ecriture(petit_export: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cible = tmp_path / "m"
    cible.mkdir()
    (cible / "manifeste.json").write_text("ancien modèle")

    def panne(self: ModeleOrientation, dossier: Path) -> Path:
        (Path(dossier) / "parametres.json").write_text("{")
        raise OSError(28, "disque plein", str(dossier))

    monkeypatch.setattr(ModeleOrientation, "enregistrer", panne)
    with pytest.raises(OSError):
        entrainer_fichier(petit_export, cible, accord_cible=0.9, remplacer=True)
    assert _contenu(cible) == {"manifeste.json": "ancien modèle".encode()}
    assert _voisins(cible) == []


def test_entrainer_rejets_proteges(petit_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rejets = tmp_path / "m.rejets.csv"
    rejets.write_text("mon fichier\n")
    assert main(["entrainer", str(petit_export), "--sortie", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert str(rejets) in err and "--remplacer" in err and rejets.read_text() == "mon fichier\n"
    for options, attendu in ((["--rejets", str(petit_export), "--remplacer"], "fichier de données lui-même"),
                             (["--rejets", str(tmp_path / "m" / "r.csv")], "dans le dossier du modèle"),
                             (["--sortie", str(petit_export.parent), "--remplacer"], "contient le fichier de données")):
        sortie = [] if "--sortie" in options else ["--sortie", str(tmp_path / "m")]
        assert main(["entrainer", str(petit_export), *sortie, *options]) == 2
        assert attendu in capsys.readouterr().err
    assert petit_export.stat().st_size > 0 and not (tmp_path / "m").exists()


# --------------------------------------------------------------------------- orientation modele carte


def test_carte_ne_remplace_pas_les_fichiers_d_un_autre_dossier(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    sortie = tmp_path / "cartes"
    sortie.mkdir()
    (sortie / "carte.md").write_text("carte d'un autre modèle")
    (sortie / "autre.txt").write_text("x")
    assert main(["modele", "carte", "demo", "--sortie", str(sortie)]) == 2
    err = capsys.readouterr().err
    assert str(sortie / "carte.md") in err and "--remplacer" in err
    assert _contenu(sortie) == {"carte.md": "carte d'un autre modèle".encode(), "autre.txt": b"x"}
    assert main(["modele", "carte", "demo", "--sortie", str(sortie), "--remplacer"]) == 0
    assert (sortie / "carte.md").read_bytes() == (chemin_modele("demo") / "carte.md").read_bytes()
    assert sorted(p.name for p in sortie.iterdir()) == ["autre.txt", "carte.html", "carte.md"]  # no temporary file
    (tmp_path / "fichier").write_text("x")
    assert main(["modele", "carte", "demo", "--sortie", str(tmp_path / "fichier")]) == 2
    assert "n'est pas un dossier" in capsys.readouterr().err


# --------------------------------------------------------------------------- audit / derive --sortie


@pytest.mark.parametrize("commande", [["audit", "--departement", "93", "--sans-modele"], ["derive", "--modele", "demo"]])
def test_sortie_json_jamais_sur_l_entree_ni_par_surprise(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         commande: list[str]) -> None:
    """« audit flux.csv --sortie flux.csv » destroyed the flux; an existing JSON is replaced only with --remplacer."""
    flux = tmp_path / "flux.csv"
    flux.write_bytes(Path(__file__).resolve().parents[1].joinpath("examples", "flux_exemple.csv").read_bytes())
    avant = flux.read_bytes()
    nom, *options = commande
    for sortie, attendu in ((flux, "fichier d'entrée"), (tmp_path / "absent" / "a.json", "n'existe pas")):
        assert main([nom, str(flux), *options, "--sortie", str(sortie), "--remplacer"]) == 2
        captures = capsys.readouterr()
        assert attendu in captures.err and str(sortie) in captures.err and captures.out == ""  # refused before work
    assert flux.read_bytes() == avant
    json_ = tmp_path / "detail.json"
    json_.write_text("mon analyse")
    assert main([nom, str(flux), *options, "--sortie", str(json_)]) == 2
    assert "--remplacer" in capsys.readouterr().err and json_.read_text() == "mon analyse"
    assert main([nom, str(flux), *options, "--sortie", str(json_), "--remplacer"]) == 0
    assert json_.read_text(encoding="utf-8").startswith("{") and sorted(p.name for p in tmp_path.iterdir()) == [
        "detail.json", "flux.csv"]


def test_interruption_entre_les_deux_renommages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the old folder was moved aside and before the new one is in place: the old one comes back."""
    import orientation.analyse.publication as publication

    cible = tmp_path / "modele"
    cible.mkdir()
    (cible / "manifeste.json").write_text("ancien")
    vrai = publication.os.rename
    appels: list[Path] = []

    def rename(source: Any, destination: Any) -> None:
        appels.append(Path(destination))
        if len(appels) == 2:  # the new folder's rename
            raise KeyboardInterrupt
        vrai(source, destination)

    monkeypatch.setattr(publication.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        with publier_dossier(cible, remplacer=True) as pub:
            (pub.temporaire / "manifeste.json").write_text("nouveau")
    assert _contenu(cible) == {"manifeste.json": b"ancien"} and _voisins(cible) == []
