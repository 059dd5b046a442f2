"""The command line never shows a traceback: French messages naming the file, documented exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orientation import Dossier, recommend
from orientation.cli import main
from tests.francais import verifier_francais

RACINE = Path(__file__).resolve().parents[1]
EXEMPLE = RACINE / "examples" / "dossiers" / "primo_demandeuse_sans_abri.json"
AUTRE = RACINE / "examples" / "dossiers" / "recurrent_profil_emploi.json"


def _lancer(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    sortie = capsys.readouterr()
    assert "Traceback" not in sortie.err + sortie.out
    return code, sortie.out, sortie.err


def _erreur_francaise(err: str, *chemins: Path | str) -> None:
    assert err.startswith("Erreur")
    for c in chemins:
        assert str(c) in err
        err = err.replace(str(c), "<fichier>")
    verifier_francais(err)


@pytest.mark.parametrize("contenu, raison", [
    (b'{"identifiant": ' + b"9" * 5000 + b"}", "nombre trop long"),
    (b"[" * 1000 + b"]" * 1000, "trop imbriqué"),
    ('{"identifiant": "é"}'.encode("latin-1"), "UTF-8"),
    (b'{"identifiant": "A", "departement": 10e999}', "invalide"),
    (b"", "JSON mal formé"),
])
@pytest.mark.parametrize("commande", ["recommander", "expliquer"])
def test_dossiers_hostiles(tmp_path, capsys, contenu, raison, commande) -> None:
    chemin = tmp_path / "dossier.json"
    chemin.write_bytes(contenu)
    code, out, err = _lancer(capsys, commande, str(chemin))
    assert code == 2 and out == "" and raison in err
    _erreur_francaise(err, chemin)


@pytest.mark.parametrize("quoi", ["absent", "repertoire"])
def test_fichiers_illisibles(tmp_path, capsys, quoi) -> None:
    chemin = tmp_path / "x.json"
    if quoi == "repertoire":
        chemin.mkdir()
    code, _, err = _lancer(capsys, "recommander", str(chemin))
    assert code == 2 and ("introuvable" if quoi == "absent" else "répertoire") in err
    _erreur_francaise(err, chemin)


def test_regles_et_modele_hostiles(tmp_path, capsys) -> None:
    regles = tmp_path / "regles"
    shutil.copytree(RACINE / "rules", regles)
    (regles / "departements" / "93.yaml").write_bytes("titre: « préorientation »\n".encode("latin-1"))
    code, _, err = _lancer(capsys, "recommander", str(EXEMPLE), "--regles", str(regles))
    assert code == 2 and "UTF-8" in err
    _erreur_francaise(err, regles / "departements" / "93.yaml")
    modele = tmp_path / "modele"
    shutil.copytree(RACINE / "models" / "demo", modele)
    (modele / "tableaux.npz").write_bytes(b"PK\x03\x04tronque")
    # the model is loaded lazily: the dossier must reach it (no rule sets its modality)
    recurrent = RACINE / "examples" / "dossiers" / "recurrent_profil_emploi.json"
    code, _, err = _lancer(capsys, "recommander", str(recurrent), "--modele", str(modele))
    assert code == 2 and "SHA-256" in err
    _erreur_francaise(err, modele / "tableaux.npz")


def test_erreur_inattendue_sans_trace(capsys, monkeypatch) -> None:
    import orientation.decision

    def panne(*a, **k):
        raise RuntimeError("boom interne")

    monkeypatch.setattr(orientation.decision, "recommend", panne)
    code, _, err = _lancer(capsys, "recommander", str(EXEMPLE))
    assert code == 4 and "boom" not in err and "Erreur interne inattendue" in err
    verifier_francais(err.replace("RuntimeError", ""))


def test_generer_sous_un_fichier(tmp_path, capsys) -> None:
    (tmp_path / "fichier").write_text("x")
    sortie = tmp_path / "fichier" / "x.csv"
    code, _, err = _lancer(capsys, "generer", "--nombre", "5", "--sortie", str(sortie))
    assert code == 2 and "existe déjà" in err
    _erreur_francaise(err, tmp_path / "fichier")


def test_json_lines_une_reponse_par_dossier(tmp_path, capsys) -> None:
    lignes = [json.dumps(json.loads(EXEMPLE.read_text())), '{"identifiant": "X-9", "departement": 99}',
              "", '{"identifiant": "\xe9"', json.dumps(json.loads(AUTRE.read_text()))]
    chemin = tmp_path / "dossiers.jsonl"
    chemin.write_bytes(("\n".join(lignes) + "\n").encode("utf-8"))
    code, out, err = _lancer(capsys, "recommander", str(chemin))
    reponses = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and len(reponses) == 4
    attendu = recommend(Dossier.depuis_json(EXEMPLE.read_bytes()))
    assert reponses[0] == json.loads(attendu.model_dump_json())
    assert reponses[1]["ligne"] == 2 and reponses[1]["identifiant"] == "X-9"
    assert any(e["champ"] == "departement" for e in reponses[1]["erreurs"])
    assert reponses[2]["ligne"] == 4 and "JSON mal formé" in reponses[2]["erreur"]
    for r in reponses[1:3]:
        verifier_francais(r["erreur"])
    assert reponses[3]["identifiant"] == json.loads(AUTRE.read_text())["identifiant"]
    assert "4 dossier(s) lu(s), 2 traité(s), 2 en erreur" in err


def test_json_lines_expliquer_entree_standard_tout_va_bien(capsys, monkeypatch) -> None:
    import io

    texte = (json.dumps(json.loads(EXEMPLE.read_text())) + "\n").encode() * 3
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(texte)))
    code, out, _ = _lancer(capsys, "expliquer", "-", "--lignes", "--format", "json")
    lignes = out.splitlines()
    assert code == 0 and len(lignes) == 3 and len(set(lignes)) == 1
    assert json.loads(lignes[0])["decision"]["modalite"] == "rdv_obligatoire"


def test_processus_reel_sans_trace() -> None:
    """Through a real process and standard input: invalid UTF-8 gives a French error, exit code 2."""
    r = subprocess.run([sys.executable, "-m", "orientation.cli", "recommander", "-"], input=b"\xff\xfe{",
                       capture_output=True, timeout=120)
    err = r.stderr.decode("utf-8")
    assert r.returncode == 2 and "Traceback" not in err and "UTF-8" in err and "entrée standard" in err
