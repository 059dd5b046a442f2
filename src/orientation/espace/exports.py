"""Exports of the workspace (CSV, UTF-8, comma, header line), for the roles allowed to export.

* :func:`lignes_decisions`: the decisions for the calling system: one line per decided dossier (its
  latest event), CNAF identifier, route (and its rdv-insertion code), structure, date, who decided;
* :func:`lignes_etiquetees`: the labelled file ``orientation entrainer`` takes: every CNAF column of the
  flux as imported (:data:`orientation.dossier.cnaf.CLES`), ``parcours_referent`` (the referent's final
  route), then the optional columns :data:`COLONNES_OPTIONNELLES_ETIQUETEES` (the recommendation shown and
  its versions), so that the override rate per rule, grid line and model version can be measured.

Only the administrator and the analyst may export (:data:`ROLES_EXPORT`); each export is journaled by the
caller.
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.dossier.cnaf import CLES
from orientation.stockage.espace import DecisionReferent, DossierEspace
from orientation.vocabulaire import Parcours

ROLES_EXPORT = frozenset({"administrateur", "analyste"})
COLONNES_DECISIONS_REFERENTS = (
    "identifiant", "departement", "date_demande", "parcours", "code_rdv_insertion", "structure", "date_decision",
    "decide_par", "decide_par_role", "validation_lot", "rdv_honore", "correction", "enregistree_le")
COLONNE_ETIQUETTE = "parcours_referent"
COLONNES_OPTIONNELLES_ETIQUETEES = (
    "date_decision", "parcours_recommande", "modalite_recommandee", "regle_decisive", "ligne_grille",
    "version_regles", "version_modele", "decide_par_role")
COLONNES_ETIQUETEES = (*CLES, COLONNE_ETIQUETTE, *COLONNES_OPTIONNELLES_ETIQUETEES)
_PAQUET = 2_000


def _dernieres(departement: str):  # type: ignore[no-untyped-def]
    """(dossier, latest decision) of every decided dossier of ``departement``, by dossier number."""
    derniere = (select(DecisionReferent.dossier_id, func.max(DecisionReferent.id).label("dernier"))
                .group_by(DecisionReferent.dossier_id).subquery())
    return (select(DossierEspace, DecisionReferent)
            .join(derniere, derniere.c.dossier_id == DossierEspace.id)
            .join(DecisionReferent, DecisionReferent.id == derniere.c.dernier)
            .where(DossierEspace.departement == departement).order_by(DossierEspace.id))


def _csv(colonnes: tuple[str, ...], lignes: Iterator[list[object]]) -> Iterator[str]:
    tampon = io.StringIO()
    w = csv.writer(tampon, lineterminator="\n")
    w.writerow(colonnes)
    for i, ligne in enumerate(lignes, start=1):
        w.writerow(["" if v is None else v for v in ligne])
        if i % _PAQUET == 0:
            yield tampon.getvalue()
            tampon.seek(0)
            tampon.truncate()
    yield tampon.getvalue()


def _oui_non(v: object) -> str:
    return "" if v is None else ("1" if v else "0")


def lignes_decisions(session: Session, departement: str) -> Iterator[str]:
    """CSV text (in chunks) of the decisions of ``departement`` for the calling system."""
    def lignes() -> Iterator[list[object]]:
        for d, e in session.execute(_dernieres(departement).execution_options(yield_per=_PAQUET)):
            yield [d.identifiant, d.departement, d.date_demande.isoformat(), e.parcours,
                   Parcours(e.parcours).code_rdv_insertion, e.structure, e.date_decision.isoformat(), e.auteur,
                   e.auteur_role, _oui_non(e.validation_lot), _oui_non(e.rdv_honore), _oui_non(e.corrige_id is not None),
                   e.enregistree_le.isoformat(timespec="seconds")]
    return _csv(COLONNES_DECISIONS_REFERENTS, lignes())


def lignes_etiquetees(session: Session, departement: str) -> Iterator[str]:
    """CSV text (in chunks) of the labelled file of ``departement`` (input of ``orientation entrainer``)."""
    def lignes() -> Iterator[list[object]]:
        for d, e in session.execute(_dernieres(departement).execution_options(yield_per=_PAQUET)):
            brut = d.enregistrement
            yield [*(brut.get(k, "") for k in CLES), e.parcours, e.date_decision.isoformat(), d.parcours_propose,
                   d.modalite, d.regle_decisive, d.ligne_grille, d.version_regles, d.version_modele, e.auteur_role]
    return _csv(COLONNES_ETIQUETEES, lignes())


__all__ = ["COLONNES_DECISIONS_REFERENTS", "COLONNES_ETIQUETEES", "COLONNES_OPTIONNELLES_ETIQUETEES", "ROLES_EXPORT",
           "lignes_decisions", "lignes_etiquetees"]
