"""The package's architecture, checked on its import graph.

Every ``import`` of every module counts, including those inside functions and under
``TYPE_CHECKING``: a lazy import that closes a loop is still a loop for a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[1] / "src" / "orientation"

#: Rings, from the bottom (what a person's file is) to the outside (programs that use the chain).
#: A module may import from its own ring or from a lower one, never from a higher one.
ANNEAUX: dict[str, int] = {
    "vocabulaire": 0, "erreurs": 0, "francais": 0, "donnees": 0,
    "fichiers": 0,  # small files read and written whole (UTF-8 inputs, atomic outputs, French I/O reasons)
    "dossier": 1,
    "regles": 2, "modele": 2,
    "decision": 3, "configuration": 3,
    "codes_sortie": 3,  # output codes of a route (France Travail, rdv-insertion, département), used by decision
    "explication": 4, "orientateur": 4,
    "flux": 5, "service": 5, "pilotage": 5, "schemas": 5,
    # analysts' tools: read flux files (flux), run rules + model, model card and drift (modele)
    "analyse": 5,
    "stockage": 5,  # the service's database (keys, jobs, accounts): used by service and pilotage, uses neither
    "espace": 6,  # referent workspace: mounts its pages on the service's application (service, stockage, flux)
    "cli": 6, "__init__": 6,
}
#: Pairs of the same ring that must stay independent of each other.
INDEPENDANTS = {("regles", "modele"), ("modele", "regles"), ("flux", "service"), ("pilotage", "flux"),
                ("flux", "analyse"),  # analyse builds on flux, never the reverse
                ("stockage", "service"), ("stockage", "pilotage"), ("stockage", "flux"), ("stockage", "schemas")}
TAILLE_MAX = 700


def _nom_module(chemin: Path) -> str:
    parties = ["orientation", *chemin.relative_to(RACINE).with_suffix("").parts]
    return ".".join(parties[:-1] if parties[-1] == "__init__" else parties)


MODULES: dict[str, Path] = {_nom_module(p): p for p in RACINE.rglob("*.py")}


def _cible(nom: str) -> str | None:
    """The package module an import name refers to (longest known prefix)."""
    while nom:
        if nom in MODULES:
            return nom
        nom = nom.rpartition(".")[0]
    return None


def _imports(module: str) -> set[str]:
    chemin = MODULES[module]
    paquet = module if chemin.name == "__init__.py" else module.rpartition(".")[0]
    cibles: set[str] = set()
    for noeud in ast.walk(ast.parse(chemin.read_text(encoding="utf-8"))):
        noms: list[str] = []
        if isinstance(noeud, ast.Import):
            noms = [a.name for a in noeud.names]
        elif isinstance(noeud, ast.ImportFrom):
            base = noeud.module or ""
            if noeud.level:
                base = ".".join(paquet.split(".")[: len(paquet.split(".")) - noeud.level + 1] + ([base] if base else []))
            noms = [f"{base}.{a.name}" for a in noeud.names] + [base]
        for nom in noms:
            cible = _cible(nom)
            # a module's own ancestors (package __init__) run first anyway: not an edge of the design
            if cible and cible != module and not module.startswith(cible + "."):
                cibles.add(cible)
    return cibles


GRAPHE: dict[str, set[str]] = {m: _imports(m) for m in MODULES}


def _anneau(module: str) -> tuple[str, int]:
    parties = module.split(".")
    cle = parties[1] if len(parties) > 1 else "__init__"
    assert cle in ANNEAUX, f"{module} : module hors des anneaux déclarés dans ce test"
    return cle, ANNEAUX[cle]


def test_graphe_lu() -> None:
    # the walk must see the modules it speaks of, or every check below is vacuous
    assert {"orientation.dossier.schema", "orientation.regles.conditions", "orientation.flux.lot",
            "orientation.decision", "orientation.cli"} <= set(MODULES)
    assert "orientation.dossier.schema" in GRAPHE["orientation.decision"]


def test_aucun_cycle_d_import() -> None:
    etat: dict[str, int] = {}
    pile: list[str] = []

    def visiter(m: str) -> None:
        etat[m] = 1
        pile.append(m)
        for c in sorted(GRAPHE[m]):
            if etat.get(c) == 1:
                cycle = pile[pile.index(c):] + [c]
                pytest.fail("cycle d'import : " + " → ".join(cycle))
            if c not in etat:
                visiter(c)
        pile.pop()
        etat[m] = 2

    for m in sorted(GRAPHE):
        if m not in etat:
            visiter(m)


def test_dependances_vers_le_bas() -> None:
    fautes = []
    for m, cibles in GRAPHE.items():
        cle, rang = _anneau(m)
        for c in cibles:
            cle_c, rang_c = _anneau(c)
            if rang_c > rang or (cle, cle_c) in INDEPENDANTS:
                fautes.append(f"{m} → {c}")
    assert not fautes, "dépendances vers un anneau supérieur ou voisin : " + ", ".join(sorted(fautes))


def test_modules_de_taille_lisible() -> None:
    longs = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > TAILLE_MAX}
    assert not longs, f"modules de plus de {TAILLE_MAX} lignes : {longs}"
