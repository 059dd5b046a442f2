"""Bulk import of follow-up events sent back by the structures (``orientation suivis importer``).

The file (documented in the README, « Suivi de l'accompagnement »): CSV in UTF-8 (with or without BOM),
comma-separated, a header naming the columns :data:`COLONNES` in any order (``commentaire`` may be left
out), one event per row:

* ``identifiant``, ``date_demande``: the dossier of the workspace (département of the command), as imported
  from the flux (CNAF ``identifiant`` and ``dtdemrsa``);
* ``type``: one of :data:`~orientation.stockage.suivis.TYPES_SUIVI`;
* ``date``: date of the event, ``AAAA-MM-JJ``;
* ``commentaire``: optional, at most 2,000 characters (stored, never printed).

All or nothing: every row is checked first (cells, dossier found in the département, the checks of
:func:`orientation.espace.suivis.controler` against the events already in force and the rows above it in
the file); a single reject and nothing is written (:class:`ImportSuivisRefuse` lists each reject: line,
field, value, reason).  Idempotent: a row whose dossier already has an event in force of the same type on
the same date is counted « déjà enregistré » and skipped, so importing the same file twice changes
nothing; a row of a type already in force at **another** date is refused (a correction is made on the
card, with its commentary).  Imported events carry ``origine = "import"`` and the command as author; the
import is one line of the access journal.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.erreurs import ErreurChamp, OrientationError
from orientation.espace.decisions import MOTIF_MAX
from orientation.espace.journal import journaliser
from orientation.espace.suivis import controler, en_vigueur, lire_date
from orientation.fichiers import lire_texte_utf8
from orientation.pilotage.evenements import Rejet
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DecisionReferent, DossierEspace
from orientation.stockage.suivis import TYPES_SUIVI, SuiviAccompagnement

COLONNES: dict[str, str] = {
    "identifiant": "identifiant du dossier (colonne identifiant du flux importé)",
    "date_demande": "date de la demande de RSA du dossier (dtdemrsa), AAAA-MM-JJ",
    "type": "type d'événement (liste fermée, voir le README)",
    "date": "date de l'événement, AAAA-MM-JJ",
    "commentaire": "facultatif : commentaire (au plus 2 000 caractères)",
}
FACULTATIVES = frozenset({"commentaire"})
AUTEUR = "orientation suivis importer"
_PAQUET = 500
_AFFICHES = 20


class ImportSuivisRefuse(OrientationError, ValueError):
    """The file is refused as a whole (unreadable, bad header, or rejected rows); nothing was imported."""

    def __init__(self, message: str, rejets: Optional[list[Rejet]] = None):
        super().__init__(message)
        self.rejets = rejets or []


@dataclass
class RapportSuivis:
    """What an import did: rows read, events added, rows already recorded (skipped)."""

    lignes: int = 0
    ajoutes: int = 0
    deja: int = 0
    par_type: dict[str, int] = field(default_factory=dict)

    def resume(self) -> str:
        types = ", ".join(f"{t} : {n}" for t, n in sorted(self.par_type.items()))
        return (f"{self.lignes} ligne(s) lue(s) : {self.ajoutes} événement(s) de suivi ajouté(s)"
                + (f" ({types})" if types else "") + f", {self.deja} déjà enregistré(s).")


@dataclass
class _Ligne:
    numero: int
    identifiant: str
    date_demande: date
    type: str
    jour: date
    commentaire: Optional[str]


def _lire(chemin: Path) -> tuple[list[_Ligne], list[Rejet], int]:
    texte = lire_texte_utf8(chemin, "fichier de suivis", ImportSuivisRefuse)
    lecteur = csv.reader(io.StringIO(texte, newline=""))
    lignes: list[_Ligne] = []
    rejets: list[Rejet] = []
    lues = 0
    try:
        entete = [c.strip() for c in next(lecteur, [])]
        manquantes = [c for c in COLONNES if c not in entete and c not in FACULTATIVES]
        inconnues = [c for c in entete if c not in COLONNES]
        doubles = sorted({c for c in entete if entete.count(c) > 1})
        if not any(entete) or manquantes or inconnues or doubles:
            causes = ([f"colonne(s) manquante(s) : {', '.join(manquantes)}"] if manquantes and any(entete) else []) \
                + ([f"colonne(s) inconnue(s) : {', '.join(c[:40] for c in inconnues[:10])}"] if inconnues else []) \
                + ([f"colonne(s) en double : {', '.join(doubles)}"] if doubles else []) \
                or ["vide (aucune ligne d'en-tête)"]
            raise ImportSuivisRefuse(f"fichier de suivis {chemin} : " + " ; ".join(causes)
                                     + " (colonnes attendues : " + ", ".join(COLONNES) + ")")
        fin = lecteur.line_num
        for cellules in lecteur:
            numero, fin = fin + 1, lecteur.line_num
            if not any(c.strip() for c in cellules):
                continue
            lues += 1
            if len(cellules) != len(entete):
                rejets.append(Rejet(numero, "(ligne)", f"{len(cellules)} cellule(s)",
                                    f"{len(entete)} cellules attendues, comme l'en-tête"))
                continue
            ligne = _ligne(numero, dict(zip(entete, cellules)), rejets)
            if ligne is not None:
                lignes.append(ligne)
    except csv.Error as exc:
        raise ImportSuivisRefuse(f"fichier de suivis {chemin} : ligne {lecteur.line_num}, CSV mal formé ({exc})") \
            from None
    return lignes, rejets, lues


def _ligne(numero: int, cellules: dict[str, str], rejets: list[Rejet]) -> Optional[_Ligne]:
    erreurs: list[ErreurChamp] = []
    ident = cellules["identifiant"].strip()
    if not ident:
        erreurs.append(ErreurChamp("identifiant", "", "identifiant du dossier obligatoire"))
    demande = lire_date(cellules["date_demande"], "date_demande", erreurs)
    type_ = cellules["type"].strip()
    if type_ not in TYPES_SUIVI:
        erreurs.append(ErreurChamp("type", type_, "type d'événement inconnu ; types admis : " + ", ".join(TYPES_SUIVI)))
    jour = lire_date(cellules["date"], "date", erreurs)
    commentaire = (cellules.get("commentaire") or "").strip() or None
    if commentaire is not None and len(commentaire) > MOTIF_MAX:
        erreurs.append(ErreurChamp("commentaire", commentaire[:40] + "…",
                                   f"commentaire trop long (au plus {MOTIF_MAX} caractères)"))
    rejets.extend(Rejet(numero, e.champ, e.valeur, e.raison) for e in erreurs)
    if erreurs:
        return None
    assert demande is not None and jour is not None
    return _Ligne(numero, ident, demande, type_, jour, commentaire)


def _dossiers(db: Session, departement: str, lignes: list[_Ligne]) -> dict[tuple[str, date], DossierEspace]:
    cles = sorted({(x.identifiant, x.date_demande) for x in lignes})
    trouves: dict[tuple[str, date], DossierEspace] = {}
    for i in range(0, len(cles), _PAQUET):
        idents = {c[0] for c in cles[i:i + _PAQUET]}
        for d in db.scalars(select(DossierEspace).where(DossierEspace.departement == departement,
                                                        DossierEspace.identifiant.in_(idents))):
            trouves[(d.identifiant, d.date_demande)] = d
    return trouves


def _etat(db: Session, ids: list[int]) -> tuple[dict[int, list[SuiviAccompagnement]], dict[int, DecisionReferent]]:
    suivis: dict[int, list[SuiviAccompagnement]] = {}
    decisions: dict[int, DecisionReferent] = {}
    for i in range(0, len(ids), _PAQUET):
        paquet = ids[i:i + _PAQUET]
        for e in db.scalars(select(SuiviAccompagnement).where(SuiviAccompagnement.dossier_id.in_(paquet))):
            suivis.setdefault(e.dossier_id, []).append(e)
        derniere = (select(func.max(DecisionReferent.id)).where(DecisionReferent.dossier_id.in_(paquet))
                    .group_by(DecisionReferent.dossier_id))
        for d in db.scalars(select(DecisionReferent).where(DecisionReferent.id.in_(derniere))):
            decisions[d.dossier_id] = d
    return suivis, decisions


def message_rejets(chemin: Path, rejets: list[Rejet]) -> str:
    """The French message of a refused file: the first rejects, then how many more."""
    lignes = len({r.ligne for r in rejets})
    detail = [f"ligne {r.ligne}, champ « {r.champ} », valeur « {r.valeur} » : {r.raison}" for r in rejets[:_AFFICHES]]
    if len(rejets) > _AFFICHES:
        detail.append(f"… et {len(rejets) - _AFFICHES} autre(s) erreur(s) (--rejets FICHIER pour la liste complète)")
    return (f"fichier de suivis {chemin} refusé, rien n'est importé : {lignes} ligne(s) en erreur\n  "
            + "\n  ".join(detail))


def importer_suivis(sessions: Any, chemin: Path, departement: str, aujourd_hui: date,
                    auteur: str = AUTEUR) -> RapportSuivis:
    """Import the follow-up file ``chemin`` into ``departement``'s dossiers: all rows, or none."""
    lignes, rejets, lues = _lire(chemin)
    rapport = RapportSuivis(lignes=lues)
    with sessions() as db:
        dossiers = _dossiers(db, departement, lignes)
        suivis, decisions = _etat(db, sorted({d.id for d in dossiers.values()}))
        vigueur = {i: en_vigueur(evs) for i, evs in suivis.items()}
        nouveaux: list[SuiviAccompagnement] = []
        for x in lignes:
            d = dossiers.get((x.identifiant, x.date_demande))
            if d is None:
                rejets.append(Rejet(x.numero, "identifiant", x.identifiant, "aucun dossier de cet identifiant demandé "
                                    f"le {x.date_demande:%d/%m/%Y} dans la base pour le département {departement}"))
                continue
            v = vigueur.setdefault(d.id, {})
            present = v.get(x.type)
            if present is not None and present.date_evenement == x.jour:
                rapport.deja += 1
                continue
            erreurs = controler(x.type, x.jour, d, decisions.get(d.id), v, aujourd_hui)
            if erreurs:
                rejets.extend(Rejet(x.numero, e.champ, e.valeur, e.raison) for e in erreurs)
                continue
            ev = SuiviAccompagnement(dossier_id=d.id, type=x.type, date_evenement=x.jour, commentaire=x.commentaire,
                                     annule=False, corrige_id=None, origine="import", auteur_id=None, auteur=auteur,
                                     auteur_role="import", enregistre_le=maintenant())
            v[x.type] = ev  # the rows below see it (a follow-up action after a missed appointment of the file)
            nouveaux.append(ev)
        if rejets:
            rejets.sort(key=lambda r: r.ligne)
            raise ImportSuivisRefuse(message_rejets(chemin, rejets), rejets)
        db.add_all(nouveaux)
        rapport.ajoutes = len(nouveaux)
        for ev in nouveaux:
            rapport.par_type[ev.type] = rapport.par_type.get(ev.type, 0) + 1
        journaliser(db, auteur, "import_suivis", departement,
                    detail=f"{rapport.ajoutes} événement(s) ajouté(s), {rapport.deja} déjà enregistré(s)")
        db.commit()
    return rapport


__all__ = ["AUTEUR", "COLONNES", "ImportSuivisRefuse", "RapportSuivis", "importer_suivis", "message_rejets"]
