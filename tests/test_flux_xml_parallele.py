"""`orientation lot` on an XML flux with its dedicated reader process (:mod:`orientation.flux.lecteur_dedie`):
exactly the outputs of reading the whole file with ``LecteurXML`` in one process, a refusal in the middle
publishes nothing, and the reader's end is handled whatever happens to it."""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation.dossier.cnaf_xml import ecrire_xml, enregistrement_xml
from orientation.erreurs import OrientationError
from orientation.flux import lot
from orientation.flux.decisions import Contexte
from orientation.flux.lecteur_dedie import LecteurDedie
from orientation.flux.lecture import FluxInvalide, ouvrir_flux
from orientation.flux.lot import traiter_fichier
from orientation.regles.referentiel import Referentiel
from tests.strategies import dossiers

SORTIES = ("d.csv", "d.rejets.csv", "e.jsonl", "e.jsonl.catalogue.json")

# What a record of a CAF flux may look like beside a plain valid one (each keeps the document well formed).
_CONJOINT = ("<Personne><Prestations><ROLEPERS>CJT</ROLEPERS></Prestations><Identification>"
             "<DTNAI>1980-01-01</DTNAI></Identification></Personne>")
_SORTES = {
    "simple": lambda t: t,
    "conjoint": lambda t: t.replace("</InfoDemandeRSA>", _CONJOINT + "</InfoDemandeRSA>"),
    "sans_demandeur": lambda t: t.replace("<ROLEPERS>DEM</ROLEPERS>", "<ROLEPERS>ENF</ROLEPERS>"),
    "valeur_invalide": lambda t: t.replace("<DTDEMRSA>", "<NATLOG>0999</NATLOG><DTDEMRSA>", 1),
    "autre_departement": lambda t: t.replace("</DemandeRSA>", "</DemandeRSA><Organisme><NUMORG>751</NUMORG>"
                                             "</Organisme>", 1),
    "inconnu": lambda t: t.replace("</Personne>", "<CodeInconnu>9</CodeInconnu></Personne>", 1),
    "sur_plusieurs_lignes": lambda t: t.replace("><", ">\n  <"),
}
# Ways to make one record malformed (the whole file is refused, wherever the record is).
_CASSES = {
    "balise": lambda t: t.replace("</Personne>", "</Personn>", 1),
    "entite": lambda t: t.replace("<DTDEMRSA>", "<DTDEMRSA>&inconnue;", 1),
    "non_fermee": lambda t: t.replace("</InfoDemandeRSA>", "", 1) + "<",
}


@lru_cache(maxsize=None)
def _referentiel() -> Referentiel:
    return Referentiel.charger("93")


def _lancer(f: Path, d: Path, processus: int, taille_bloc: int) -> tuple[object, dict[str, bytes], dict]:
    """Run lot; (report or the refusal's message, outputs present, manifest)."""
    ctx = Contexte("93", _referentiel(), None, True)
    try:
        r = traiter_fichier(f, "93", d / "d.csv", explications=d / "e.jsonl", progression=False,
                            processus=processus, taille_bloc=taille_bloc, contexte=ctx)
        resultat: object = (r.lignes, r.decides, r.rejetes, r.erreurs, r.colonnes_ignorees, dict(r.preorientation))
    except FluxInvalide as exc:
        resultat = str(exc)
    sorties = {n: (d / n).read_bytes() for n in SORTIES if (d / n).exists()}
    manifeste = d / "d.manifeste.json"
    contenu = json.loads(manifeste.read_text(encoding="utf-8")) if manifeste.exists() else {}
    assert not [p for p in os.listdir(d) if ".partiel-" in p]  # no part left, complete or refused
    return resultat, sorties, contenu


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(dossiers(departement="93"), st.sampled_from(sorted(_SORTES))), min_size=1, max_size=9),
       st.integers(1, 4), st.one_of(st.none(), st.tuples(st.integers(0, 8), st.sampled_from(sorted(_CASSES)))),
       st.booleans())
def test_lecteur_dedie_memes_sorties_que_le_fichier_lu_d_un_coup(choix: list, taille_bloc: int, casse: object,
                                                                  hors: bool) -> None:
    """Generated flux (valid, refused and odd records, unknown elements, maybe one malformed record anywhere):
    with the dedicated reader and small blocks decided by workers, the decisions, rejects (with their
    positions), explanations, counts and manifest are byte for byte those of the whole file read at once
    in one process; a malformed record gives the same refusal and nothing published."""
    textes = [_SORTES[sorte](enregistrement_xml(d.vers_cnaf())) for d, sorte in choix]
    if hors:  # elements between records, known and unknown
        textes.insert(len(textes) // 2, "<Hors><NUMORG>931</NUMORG></Hors>")
    if casse is not None and casse[0] < len(textes):
        textes[casse[0]] = _CASSES[casse[1]](textes[casse[0]])
    with tempfile.TemporaryDirectory() as racine:
        f = Path(racine) / "flux.xml"
        f.write_bytes("".join(ecrire_xml(textes)).encode("utf-8"))
        (Path(racine) / "seul").mkdir()
        (Path(racine) / "dedie").mkdir()
        try:
            ouvrir_flux(f)
            au_debut = False
        except FluxInvalide:  # refused at the start, before any task: no reader then
            au_debut = True
        attendu = _lancer(f, Path(racine) / "seul", 1, 10**6)  # the whole file: one block, one process
        lecteurs = []

        class Espion(LecteurDedie):
            def __init__(self, *a: object, **k: object) -> None:
                lecteurs.append(self)
                super().__init__(*a, **k)

        with mock.patch.object(lot, "LecteurDedie", Espion):
            obtenu = _lancer(f, Path(racine) / "dedie", 2, taille_bloc)
    assert len(lecteurs) == (0 if au_debut else 1)  # the run went through the dedicated reader
    assert obtenu[0] == attendu[0]
    assert obtenu[1] == attendu[1]
    if isinstance(attendu[0], str):  # refused in the middle: nothing published, as when read at once
        assert obtenu[1] == {} and "XML mal formé" in attendu[0]
        return
    sans_options = [{k: v for k, v in m.items() if k not in ("options", "debut", "fin", "sorties")}
                    for m in (attendu[2], obtenu[2])]
    assert sans_options[0] == sans_options[1]
    assert obtenu[2]["flux"]["sha256"] == attendu[2]["flux"]["sha256"] != ""
    assert {k: v["sha256"] for k, v in obtenu[2]["sorties"].items()} == \
        {k: v["sha256"] for k, v in attendu[2]["sorties"].items()}


def _dans_le_lecteur(action: str) -> Iterator[tuple]:
    """A task generator for LecteurDedie that fails in the reader after one task."""
    yield ("tache", 1)
    if action == "refus":
        raise FluxInvalide("flux.xml : XML mal formé ligne 3, colonne 1 : syntaxe invalide.")
    if action == "erreur":
        raise FileNotFoundError(2, "fichier introuvable", "flux.xml")
    if action == "mort":
        os._exit(3)
    yield ("tache", 2)


@pytest.mark.parametrize("action, attendu", [
    ("fin", None), ("refus", FluxInvalide), ("erreur", FileNotFoundError), ("mort", OrientationError)])
def test_fin_du_lecteur_dedie(action: str, attendu: object) -> None:
    """The reader's end reaches the parent where the tasks stop: its value, the refusal of the file, its
    error (rebuilt, with the file's name), or a French error when it died; it never outlives fermer()."""
    lecteur = LecteurDedie(_dans_le_lecteur(action), lambda: "empreinte", "flux.xml")
    recues = []
    try:
        if attendu is None:
            recues = list(lecteur)
            assert lecteur.fin == "empreinte"
        else:
            with pytest.raises(attendu) as exc:  # type: ignore[call-overload]
                for t in lecteur:
                    recues.append(t)
            assert "flux.xml" in str(exc.value)
            if action == "mort":
                assert "processus de lecture" in str(exc.value) and "(code 3)" in str(exc.value)
            assert lecteur.fin is None
    finally:
        processus = lecteur._processus
        lecteur.fermer()
    assert recues[:1] == [("tache", 1)]
    assert not processus.is_alive()


def test_lecteur_dedie_arrete_avant_la_fin() -> None:
    """A parent that stops reading early (an error, a signal) stops a reader blocked on a full pipe."""
    def beaucoup() -> Iterator[tuple]:
        for i in range(10**6):
            yield ("tache", i, b"x" * 10_000)

    lecteur = LecteurDedie(beaucoup())
    premiere = next(iter(lecteur))
    processus = lecteur._processus
    lecteur.fermer()
    assert premiere[1] == 0 and not processus.is_alive() and processus.exitcode != 0
