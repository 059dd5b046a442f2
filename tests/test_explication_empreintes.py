"""explain() gives the same explanations as the recorded ones (fingerprints of seeded dossiers).

Guards the speed work on explain(): for 360 SYNTHETIC dossiers (120 per département 93, 58, 69,
fixed seed) and the 15 example dossiers, each explained without and with the demonstration
model, the SHA-256 of the complete JSON and of the complete text must equal the one recorded in
``tests/donnees/empreintes_explications.json``.  The library version is left out (it is not an
output of explain()'s logic); the rules' and the model's fingerprints are in.

After a deliberate change of the explanations (rules, wording, contract), regenerate with::

    .venv/bin/python -m tests.test_explication_empreintes --regenerer

and say so in the commit message.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from orientation import Dossier, explain
from orientation.configuration import SourceModele
from orientation.decision import version_bibliotheque
from orientation.modele import synthetique as syn

RACINE = Path(__file__).resolve().parents[1]
FICHIER = RACINE / "tests" / "donnees" / "empreintes_explications.json"
EXEMPLES = sorted((RACINE / "examples" / "dossiers").glob("*.json"))
PAR_DEPARTEMENT = 120
GRAINE = 2024


def _dossiers() -> dict[str, Dossier]:
    out = {f"exemple-{p.stem}": Dossier.depuis_json(p.read_text(encoding="utf-8")) for p in EXEMPLES}
    for dep in ("93", "58", "69"):
        for i, (d, _) in enumerate(syn.generer(PAR_DEPARTEMENT, graine=GRAINE, departement=dep)):
            out[f"{dep}-{i:03d}"] = d
    return out


def empreinte(dossier: Dossier, modele: SourceModele) -> str:
    """SHA-256 (16 hex digits) of the complete JSON and text of the explanation, library version left out."""
    e = explain(dossier, modele=modele)
    donnees = e.en_dict()
    donnees["decision"]["versions"]["bibliotheque"] = "-"
    texte = e.texte("complet").replace(f"bibliothèque {version_bibliotheque()}", "bibliothèque -")
    contenu = json.dumps(donnees, ensure_ascii=False, sort_keys=True) + "\0" + texte
    return hashlib.sha256(contenu.encode()).hexdigest()[:16]


def empreintes() -> dict[str, str]:
    sans, demo = SourceModele(False), SourceModele("demo")
    out = {}
    for nom, d in _dossiers().items():
        out[f"{nom} sans_modele"] = empreinte(d, sans)
        out[f"{nom} modele_demo"] = empreinte(d, demo)
    return out


def test_fixture_couvre_les_cas_utiles() -> None:
    """The recorded dossiers exercise what the speed work touches (else the comparison proves little)."""
    demo = SourceModele("demo")
    sources, causes, consulte = set(), set(), 0
    for d in list(_dossiers().values())[:15 + 2 * PAR_DEPARTEMENT]:
        e = explain(d, modele=demo)
        consulte += e.modele is not None
        sources |= {c.source for c in e.contrefactuels}
        causes |= {c.cause.nature for c in e.contrefactuels}
    assert sources == {"regles", "modele"}
    assert causes >= {"regle", "modele", "retrait", "grille"}
    assert consulte >= 20


def test_explications_inchangees() -> None:
    attendues = json.loads(FICHIER.read_text(encoding="utf-8"))
    obtenues = empreintes()
    assert obtenues.keys() == attendues.keys()
    differentes = sorted(k for k in obtenues if obtenues[k] != attendues[k])
    assert not differentes, f"{len(differentes)} explication(s) changée(s), dont {differentes[:10]}"


if __name__ == "__main__":  # pragma: no cover - regeneration by hand
    if sys.argv[1:] != ["--regenerer"]:
        pytest.exit("usage : python -m tests.test_explication_empreintes --regenerer")
    FICHIER.parent.mkdir(exist_ok=True)
    FICHIER.write_text(json.dumps(empreintes(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{FICHIER} écrit")
