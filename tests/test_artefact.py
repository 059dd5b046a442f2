"""Model artifacts cannot run code: hostile, truncated or ill-typed model folders give a French ModeleInvalide.

Every hostile folder below has its SHA-256 values rewritten to match (an attacker who can write
the folder can also rewrite the manifest): the hash check cannot be what protects us, the format
must.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from orientation.erreurs import ModeleInvalide
from orientation.modele import modele as mod
from orientation.modele.artefact import empreinte_modele
from tests.francais import verifier_francais

DEMO = Path(__file__).resolve().parents[1] / "models" / "demo"


class _Piege:
    """Unpickling this object creates ``marqueur``: proof that code ran."""

    def __init__(self, marqueur: Path):
        self.marqueur = marqueur

    def __reduce__(self):
        return (Path.touch, (self.marqueur,))


@pytest.fixture
def copie(tmp_path) -> Path:
    d = tmp_path / "modele"
    shutil.copytree(DEMO, d)
    return d


def _manifeste(d: Path) -> dict:
    return json.loads((d / "manifeste.json").read_text(encoding="utf-8"))


def _resigner(d: Path, manifeste: dict | None = None) -> None:
    """Rewrite every SHA-256 of the manifest so that it matches the (tampered) files."""
    m = manifeste if manifeste is not None else _manifeste(d)
    sha = {nom: hashlib.sha256((d / nom).read_bytes()).hexdigest() for nom in m["fichiers"].values()
           if (d / nom).is_file()}
    m["sha256"] = sha
    m["sha256_modele"] = empreinte_modele(sha)
    (d / "manifeste.json").write_text(json.dumps(m), encoding="utf-8")


def _refus(d: Path) -> str:
    with pytest.raises(ModeleInvalide) as exc:
        mod.ModeleOrientation.charger(d)
    message = str(exc.value)
    verifier_francais(message.replace(str(d), "<dossier>"))
    return message


def test_la_copie_non_alteree_se_charge(copie) -> None:
    _resigner(copie)
    assert mod.ModeleOrientation.charger(copie).nom == "demo"


def test_ancien_pickle_refuse_sans_execution(copie, tmp_path) -> None:
    marqueur = tmp_path / "code_execute"
    contenu = pickle.dumps({"format": 1, "pipeline": _Piege(marqueur)})
    for f in ("parametres.json", "tableaux.npz"):
        (copie / f).unlink()
    (copie / "modele.joblib").write_bytes(contenu)
    m = _manifeste(copie)
    for k in ("fichiers", "sha256"):
        del m[k]
    m.update(format=1, fichier_modele="modele.joblib", sha256_modele=hashlib.sha256(contenu).hexdigest())
    (copie / "manifeste.json").write_text(json.dumps(m), encoding="utf-8")
    message = _refus(copie)
    assert "modele.joblib" in message and "n'est plus accepté" in message and "orientation entrainer" in message
    assert not marqueur.exists()


def test_pickle_dans_les_tableaux_refuse_sans_execution(copie, tmp_path) -> None:
    marqueur = tmp_path / "code_execute"
    with np.load(copie / "tableaux.npz") as npz:
        tableaux = {k: npz[k] for k in npz.files}
    piege = np.empty(1, dtype=object)
    piege[0] = _Piege(marqueur)
    tableaux["coef"] = piege
    tampon = io.BytesIO()
    np.savez(tampon, **tableaux)  # numpy pickles object arrays when writing
    (copie / "tableaux.npz").write_bytes(tampon.getvalue())
    _resigner(copie)
    message = _refus(copie)
    assert "tableaux.npz" in message and "pickle refusé" in message
    assert not marqueur.exists()


@pytest.mark.parametrize("nom", ["../tableaux.npz", "/etc/passwd", "sous/tableaux.npz", "..", "tableaux.npz/..",
                                 "C:\\x.npz", "parametres.json", "", 12, None, ["tableaux.npz"]])
def test_manifeste_hostile_fichier_hors_du_dossier(copie, nom) -> None:
    m = _manifeste(copie)
    m["fichiers"]["tableaux"] = nom
    (copie / "manifeste.json").write_text(json.dumps(m), encoding="utf-8")
    message = _refus(copie)
    assert "fichiers.tableaux" in message or "absent" in message


def test_lien_symbolique_vers_l_exterieur_refuse(copie, tmp_path) -> None:
    dehors = tmp_path / "ailleurs.npz"
    shutil.copy(copie / "tableaux.npz", dehors)
    (copie / "tableaux.npz").unlink()
    (copie / "tableaux.npz").symlink_to(dehors)
    _resigner(copie)
    assert "fichier ordinaire du dossier" in _refus(copie)


def test_tableaux_tronques_ou_mal_types(copie) -> None:
    contenu = (copie / "tableaux.npz").read_bytes()
    (copie / "tableaux.npz").write_bytes(contenu[: len(contenu) // 2])
    _resigner(copie)
    assert "tableaux.npz" in _refus(copie)
    for modif in ({"coef": np.zeros((3, 2))}, {"coef": np.full((3, 254), np.nan)},
                  {"intercept": np.zeros(3, dtype=np.float32).astype(np.int32)},
                  {"profils_cles": np.array([3, 1, 2], dtype=np.int64), "profils_effectifs": np.ones(3, np.int64)},
                  {"motifs_lignes": np.full(47, 10 ** 6, dtype=np.int64)}, {"inconnu": np.zeros(1)}):
        with np.load(DEMO / "tableaux.npz") as npz:
            tableaux = {k.removesuffix(".npy"): npz[k] for k in npz.files}
        tableaux.update(modif)
        tampon = io.BytesIO()
        np.savez(tampon, **tableaux)
        (copie / "tableaux.npz").write_bytes(tampon.getvalue())
        _resigner(copie)
        assert "Tableaux du modèle invalides" in _refus(copie)


@pytest.mark.parametrize("modif", [{"beta": "__import__('os').system('true')"}, {"beta": -1.0},
                                   {"seuil_recurrence": "20"}, {"seuils": [0.5, 2.0, 0.5]},
                                   {"type_modele": "foret"}, {"hyperparametres": {"C": [1]}}, {"inconnu": 1}])
def test_parametres_mal_types(copie, modif) -> None:
    p = json.loads((copie / "parametres.json").read_text(encoding="utf-8"))
    p.update(modif)
    (copie / "parametres.json").write_text(json.dumps(p), encoding="utf-8")
    _resigner(copie)
    assert "parametres.json" in _refus(copie)


@pytest.mark.parametrize("contenu", [b"\xe9t\xe9", b"{" * 100_000, b'{"nom": ' + b"9" * 5000 + b"}", b"[1, 2",
                                     b"", b"null"])
def test_manifeste_illisible(copie, contenu) -> None:
    (copie / "manifeste.json").write_bytes(contenu)
    assert "manifeste.json" in _refus(copie)


def test_parametres_illisibles(copie) -> None:
    (copie / "parametres.json").write_bytes(b"{" * 100_000)
    _resigner(copie)
    assert "parametres.json" in _refus(copie)


def test_foret_refusee_a_l_enregistrement(tmp_path) -> None:
    from orientation.modele import synthetique as syn
    from orientation.analyse.entrainement import entrainer_fichier
    from orientation.modele.entrainement import entrainer

    foret = entrainer(syn.generer_colonnes(600, graine=2), type_modele="foret", accord_cible=0.9)
    with pytest.raises(ModeleInvalide, match="logistique"):
        foret.enregistrer(tmp_path / "foret")
    assert not (tmp_path / "foret" / "tableaux.npz").exists()
    csv = syn.ecrire_csv(tmp_path / "d.csv", 400, graine=1)
    with pytest.raises(ModeleInvalide, match="logistique"):
        entrainer_fichier(csv, tmp_path / "f2", type_modele="foret")


def test_archive_trop_grosse_une_fois_decompressee(copie, monkeypatch) -> None:
    from orientation.modele import artefact

    monkeypatch.setattr(artefact, "TAILLE_MAX_TABLEAUX", 1000)
    _resigner(copie)
    assert "trop gros" in _refus(copie)


def test_archive_npz_sans_date_variable(tmp_path) -> None:
    """Same model, same bytes: re-saving the demo model gives the same SHA-256."""
    m = mod.ModeleOrientation.charger(DEMO)
    m.enregistrer(tmp_path / "re")
    for f in ("tableaux.npz", "parametres.json"):
        assert (tmp_path / "re" / f).read_bytes() == (DEMO / f).read_bytes()
    assert zipfile.ZipFile(tmp_path / "re" / "tableaux.npz").infolist()[0].date_time == (1980, 1, 1, 0, 0, 0)
