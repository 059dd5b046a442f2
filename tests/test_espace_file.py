"""Queue « À orienter » (orientation.espace.file): counts, late count, order and pages against a recount in Python,
for any filters (both query shapes of the counts), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from orientation.espace.decisions import valider_lot
from orientation.espace.file import ECHEANCES, VUES, Filtres, page_file
from orientation.stockage.espace import DossierEspace, Utilisateur
from orientation.vocabulaire import Parcours, Structure
from tests.espace_outils import Base


def _attendu(lignes: list[DossierEspace], f: Filtres, jour: date) -> list[DossierEspace]:
    """The dossiers of the view, filtered in Python (modality excluded: the counts ignore it)."""
    def garde(d: DossierEspace) -> bool:
        if d.departement != "93" or d.statut != "a_orienter":
            return False
        if f.structure and d.structure_proposee != f.structure:
            return False
        if f.parcours == "aucun" and d.parcours_propose is not None:
            return False
        if f.parcours not in ("", "aucun") and d.parcours_propose != f.parcours:
            return False
        if f.echeance == "en_retard":
            return d.echeance < jour
        if f.echeance:
            return d.echeance <= jour + timedelta(days=int(f.echeance))
        return True
    return [d for d in lignes if garde(d)]


def test_file_conforme_a_un_recomptage(base: Base) -> None:
    jour = date(2025, 8, 1)
    with base.sessions() as db:
        habilitee = db.scalars(select(Utilisateur).where(Utilisateur.courriel == "referente@93.fr")).one()
        directes = db.scalars(select(DossierEspace.id).where(DossierEspace.modalite == "orientation_directe")
                              .order_by(DossierEspace.id)).all()
        assert valider_lot(db, habilitee, directes[:40], date.today()) == 40  # decided: out of the queue
        toutes = list(db.scalars(select(DossierEspace)))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(modalite=st.sampled_from(["", *VUES]), structure=st.sampled_from(["", *(s.value for s in Structure)]),
           parcours=st.sampled_from(["", "aucun", *(p.value for p in Parcours)]),
           echeance=st.sampled_from(list(ECHEANCES)), page=st.integers(1, 40), taille=st.sampled_from([7, 50]))
    def verifier(modalite: str, structure: str, parcours: str, echeance: str, page: int, taille: int) -> None:
        f = Filtres(modalite, structure, parcours, echeance, page)
        vue = _attendu(toutes, f, jour)
        with base.sessions() as db:
            p = page_file(db, "93", f, jour, taille=taille)
        assert p.par_modalite == {m: sum(d.modalite == m for d in vue) for m in VUES}
        choisis = sorted((d for d in vue if not modalite or d.modalite == modalite), key=lambda d: (d.echeance, d.id))
        assert p.total == len(choisis) and p.en_retard == sum(d.echeance < jour for d in choisis)
        assert p.pages == max(1, -(-len(choisis) // taille)) and p.page == min(page, p.pages)
        debut = (p.page - 1) * taille
        assert [x.id for x in p.lignes] == [d.id for d in choisis[debut:debut + taille]]
        assert all(x.en_retard == (x.echeance < jour) for x in p.lignes)

    verifier()
