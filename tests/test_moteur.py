"""durable-rules runtime: equivalence with the Python evaluator, hazards, threads, memory."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orientation.regles import moteur_durable as moteur
from orientation.regles.champs import Champ, Lieu, champ
from orientation.regles.conditions import Atome, Condition, _analyser, atomes, valeurs, verite
from orientation.dossier.schema import Dossier
from orientation.regles.moteur_durable import GARDE, MoteurDurable, MoteurIncoherent, compiler
from orientation.regles.referentiel import Referentiel
from orientation.vocabulaire import Verite

from .strategies import dossiers

DEPARTEMENTS = ("93", "58", "69", "75")  # 75: no file, national rules only
REFS = {code: Referentiel.charger(code) for code in DEPARTEMENTS}
_SANTE = [HealthCheck.too_slow, HealthCheck.data_too_large]


def rapide(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=_SANTE)


# --------------------------------------------------------------------------- real référentiels


@rapide(250)
@given(dossiers())
def test_moteur_et_evaluateur_python_d_accord(d: Dossier) -> None:
    for ref in REFS.values():
        assert ref.declenchees_moteur(d) == ref.declenchees_python(d)
        ev = ref.evaluer(d)  # raises MoteurIncoherent on disagreement; never raises otherwise
        assert ev == ref.evaluer_python(d)
        assert ev.modalite in {r.effet.modalite for r in ev.declenchees} | {None}
        issue = ref.issue(d)  # fast path used by the counterfactuals
        assert issue.modalite == ev.modalite
        assert issue.declenchees == {r.id for r in ev.declenchees}
        assert (issue.proposition.id if issue.proposition else None) == \
            (ev.proposition_grille.id if ev.proposition_grille else None)


@rapide(40)
@given(dossiers(departement="93"))
def test_meme_entree_meme_sortie(d: Dossier) -> None:
    ref = REFS["93"]
    premier = ref.evaluer(d)
    ref.evaluer(d.model_copy(update={"primo_demandeur": not d.primo_demandeur}))
    assert ref.evaluer(d) == premier
    assert ref.evaluer(Dossier.valider(d.model_dump(mode="json"))) == premier


def test_fait_sans_champ_non_renseigne_ni_id() -> None:
    ref = REFS["93"]
    d = Dossier.valider({"identifiant": "M-1", "departement": "93", "date_demande": "2025-09-02",
                         "date_ouverture_droits": "2025-09-01", "date_naissance": "1985-05-10",
                         "foyer": {"composition": "couple", "ages_enfants": [1]}, "soumis_droits_devoirs": True,
                         "primo_demandeur": True, "dsp": {"difficultes_sociales": ["sante"]}})
    m = ref._moteur
    fait = m.fait(valeurs(d, m.champs))
    assert fait["_t"] == "dossier" and fait["v_primo_demandeur"] is True
    assert "v_dsp_logement" not in fait and "v_demande_rdv" not in fait  # non renseigné: omitted
    assert fait["v_dsp_difficultes_sociales"] == 1 and fait["v_dsp_difficultes_sociales__sante"] == 1
    assert fait["v_foyer_ages_enfants__1"] == 1 and fait["v_foyer_ages_enfants__0"] == 0
    assert fait["v_age_date_demande"] == 40
    assert not {"id", "sid"} & set(fait) and len(fait) < 250
    assert all(k == "_t" or k.startswith("v_") for k in fait)


def test_session_vide_apres_chaque_evaluation() -> None:
    ref = REFS["58"]
    d = Dossier.valider({"identifiant": "M-2", "departement": "58", "date_demande": "2025-09-02",
                         "date_ouverture_droits": "2025-09-01", "date_naissance": "2004-05-10",
                         "foyer": {"composition": "personne_seule"}, "soumis_droits_devoirs": True,
                         "primo_demandeur": False})
    for _ in range(3):  # same dossier again: no MessageObservedException
        assert "moins_de_25_ans" in ref.declenchees_moteur(d)
    m = ref._moteur
    assert m._hote.get_facts(m.nom) == []


def test_desaccord_detecte(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = REFS["75"]
    d = Dossier.valider({"identifiant": "M-3", "departement": "75", "date_demande": "2025-09-02",
                         "date_ouverture_droits": "2025-09-01", "date_naissance": "1985-05-10",
                         "foyer": {"composition": "personne_seule"}, "soumis_droits_devoirs": True,
                         "primo_demandeur": True})
    monkeypatch.setattr(ref._moteur, "declenchees", lambda vals: frozenset({"demande_rdv"}))
    with pytest.raises(MoteurIncoherent, match="désaccord"):
        ref.evaluer(d)
    assert ref.evaluer_python(d).modalite is not None  # the Python path does not use the engine


# --------------------------------------------------------------------------- random conditions

_CHAMPS: dict[str, Champ] = {c: champ(c) for c in (
    "primo_demandeur", "demande_rdv", "dsp.couverture_sociale", "dsp.logement", "inscription_france_travail",
    "dsp.difficultes_sociales", "fragilites_declarees", "foyer.ages_enfants", "age(date_demande)",
    "nombre(fragilites_declarees)", "mois_entre(date_ouverture_droits, date_notification_droits)",
    "date_demande", "dsp.annee_diplome_max", "departement",
)}


def _valeur(c: Champ) -> st.SearchStrategy[Any]:
    if c.genre == "booleen":
        return st.booleans()
    if c.genre in ("code", "codes"):
        noms = [n for n, _ in c.codes][:12]
        return st.sampled_from(noms)
    if c.genre == "date":
        return st.sampled_from(["2016-05-01", "2020-01-01", "2024-12-31"])
    if c.genre == "entiers":
        return st.integers(min_value=0, max_value=6)
    if c.chemin == "dsp.annee_diplome_max":
        return st.sampled_from([1990, 2005, 2020])
    return st.integers(min_value=-2, max_value=60)


@st.composite
def atome_brut(draw: st.DrawFn) -> dict[str, Any]:
    from orientation.regles.conditions import OPERATEURS, OPERATEURS_LISTE

    c = _CHAMPS[draw(st.sampled_from(sorted(_CHAMPS)))]
    op = draw(st.sampled_from([o for o in OPERATEURS[c.genre] if not o.startswith("ne_")]))
    if op == "renseigne":
        return {"champ": c.chemin, op: draw(st.booleans())}
    if op in OPERATEURS_LISTE:
        return {"champ": c.chemin, op: draw(st.lists(_valeur(c), min_size=1, max_size=3, unique=True))}
    return {"champ": c.chemin, op: draw(_valeur(c))}


condition_brute = st.recursive(
    atome_brut(),
    lambda enfants: st.one_of(
        st.builds(lambda xs: {"tous": xs}, st.lists(enfants, min_size=1, max_size=3)),
        st.builds(lambda xs: {"au_moins_un": xs}, st.lists(enfants, min_size=1, max_size=3)),
        st.builds(lambda x: {"non": x}, enfants),
    ),
    max_leaves=6,
)


def kleene(brut: dict[str, Any], d: Dossier) -> Verite:
    """Reference evaluator on the raw condition (``non`` evaluated, not pushed down)."""
    if "tous" in brut or "au_moins_un" in brut:
        res = [kleene(x, d) for x in brut.get("tous", brut.get("au_moins_un"))]
        fort, faible = (Verite.faux, Verite.vrai) if "tous" in brut else (Verite.vrai, Verite.faux)
        return fort if fort in res else (Verite.inconnu if Verite.inconnu in res else faible)
    if "non" in brut:
        return {Verite.vrai: Verite.faux, Verite.faux: Verite.vrai, Verite.inconnu: Verite.inconnu}[kleene(brut["non"], d)]
    c = _analyser(brut, Lieu("t", None), negatif=False)
    return verite(c, valeurs(d, [c.champ]))  # type: ignore[union-attr]


@rapide(25)
@given(st.lists(condition_brute, min_size=8, max_size=8), st.lists(dossiers(), min_size=12, max_size=12))
def test_conditions_aleatoires_moteur_python_reference(bruts: list[dict[str, Any]], ds: list[Dossier]) -> None:
    conds: list[Condition] = [_analyser(b, Lieu("t", None), negatif=False, racine=True) for b in bruts]
    m = MoteurDurable([(f"r{i}", c) for i, c in enumerate(conds)])
    try:
        for d in ds:
            vals = valeurs(d, m.champs)
            attendu = {f"r{i}" for i, c in enumerate(conds) if verite(c, vals) == Verite.vrai}
            assert m.declenchees(vals) == attendu
            for b, c in zip(bruts, conds, strict=True):
                assert kleene(b, d) == verite(c, vals)  # negation normal form is exact
    finally:
        m.fermer()


# --------------------------------------------------------------------------- hazards


def test_regle_purement_negative_ne_boucle_pas() -> None:
    """``$nex`` alone would match the session state fact forever: the guard prevents it."""
    c = Atome(champ("demande_rdv"), "renseigne", False)
    expr = compiler(c)
    assert expr == {"$nex": {"v_demande_rdv": 1}}
    m = MoteurDurable([("absent", c)])
    try:
        assert m.declenchees({"demande_rdv": None}) == {"absent"}
        assert m.declenchees({"demande_rdv": True}) == frozenset()
    finally:
        m.fermer()


def test_chaque_regle_porte_la_garde() -> None:
    import json

    definition = json.loads(REFS["93"]._moteur.definition_json)
    for nom, regle in definition.items():
        m = regle["all"][0]["m"]
        assert m == GARDE or m["$and"][0] == GARDE, nom
    assert moteur.REGLE_RECU in definition


UNE_FOIS = settings(max_examples=1, deadline=None, database=None, phases=[Phase.generate],
                   suppress_health_check=list(HealthCheck))


@UNE_FOIS
@given(st.lists(dossiers(), min_size=40, max_size=40))
def test_fils_concurrents_memes_resultats(ds: list[Dossier]) -> None:
    refs = list(REFS.values())
    attendu = [[ref.evaluer(d) for ref in refs] for d in ds]
    resultats: dict[int, list[list[Any]]] = {}
    erreurs: list[BaseException] = []

    def travail(n: int) -> None:
        try:
            resultats[n] = [[ref.evaluer(d) for ref in refs] for d in ds]
        except BaseException as exc:  # noqa: BLE001 - reported below
            erreurs.append(exc)

    fils = [threading.Thread(target=travail, args=(n,)) for n in range(4)]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=120)
    assert not erreurs
    assert len(resultats) == 4 and all(r == attendu for r in resultats.values())


def _rss_mo() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="mesure de mémoire Linux")
@UNE_FOIS
@given(st.lists(dossiers(departement="93"), min_size=40, max_size=40))
def test_memoire_stable(ds: list[Dossier]) -> None:
    m = REFS["93"]._moteur
    vals = [valeurs(d, m.champs) for d in ds]
    for v in vals:
        m.declenchees(v)
    avant = _rss_mo()
    for i in range(5000):
        m.declenchees(vals[i % len(vals)])
    assert _rss_mo() - avant < 5.0
    assert m._hote.get_facts(m.nom) == []


def test_atomes_compiles_verifient_l_existence() -> None:
    c = _analyser({"non": {"champ": "dsp.logement", "egal": "sans_abri"}}, Lieu("t", None), False)
    assert isinstance(c, Atome) and atomes(c) == [c]
    assert compiler(c) == {"$and": [{"$ex": {"v_dsp_logement": 1}}, {"$neq": {"v_dsp_logement": "sans_abri"}}]}
