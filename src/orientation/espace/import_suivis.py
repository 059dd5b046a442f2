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
:func:`orientation.stockage.suivis.controler` against the events already in force and the rows above it in
the file; the same functions check the events of ``POST /v1/suivis``); a single reject and nothing is written (:class:`ImportSuivisRefuse` lists each reject: line,
field, value, reason).  Idempotent: a row whose dossier already has an event in force of the same type on
the same date is counted « déjà enregistré » and skipped, so importing the same file twice changes
nothing (even at the same time: the database keeps one event in force per dossier and type, and the import
that loses the race replays its checks, :func:`~orientation.stockage.suivis.rejouer_si_concurrence`); a row of a type already in force at **another** date is refused (a correction is made on the
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

from orientation.erreurs import OrientationError
from orientation.fichiers import lire_texte_utf8
from orientation.pilotage.evenements import Rejet
from orientation.stockage.suivis import (CHAMPS, FACULTATIFS, ConcurrenceRepetee, EvenementRecu, enregistrer_evenements,
                                         lire_evenement, preparer_evenements, rejouer_si_concurrence)

COLONNES: dict[str, str] = CHAMPS  # the file's columns are the fields of an event received in bulk
AUTEUR = "orientation suivis importer"
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


def _lire(chemin: Path) -> tuple[list[EvenementRecu], list[Rejet], int]:
    texte = lire_texte_utf8(chemin, "fichier de suivis", ImportSuivisRefuse)
    lecteur = csv.reader(io.StringIO(texte, newline=""))
    lignes: list[EvenementRecu] = []
    rejets: list[Rejet] = []
    lues = 0
    try:
        entete = [c.strip() for c in next(lecteur, [])]
        manquantes = [c for c in COLONNES if c not in entete and c not in FACULTATIFS]
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
            ligne, erreurs = lire_evenement(numero, dict(zip(entete, cellules)))
            rejets.extend(Rejet(numero, e.champ, e.valeur, e.raison) for e in erreurs)
            if ligne is not None:
                lignes.append(ligne)
    except csv.Error as exc:
        raise ImportSuivisRefuse(f"fichier de suivis {chemin} : ligne {lecteur.line_num}, CSV mal formé ({exc})") \
            from None
    return lignes, rejets, lues


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
    with sessions() as db:
        def une_fois() -> RapportSuivis:  # replayed if a concurrent writer wins a race (same outcome)
            rapport = RapportSuivis(lignes=lues)
            prep = preparer_evenements(db, departement, lignes, aujourd_hui, auteur, "import")
            tous = rejets + [Rejet(rang, e.champ, e.valeur, e.raison) for rang, e in prep.erreurs]
            if tous:
                tous.sort(key=lambda r: r.ligne)
                raise ImportSuivisRefuse(message_rejets(chemin, tous), tous)
            enregistrer_evenements(db, departement, prep, auteur, "")
            rapport.ajoutes, rapport.deja = len(prep.nouveaux), len(prep.deja)
            for _, ev in prep.nouveaux:
                rapport.par_type[ev.type] = rapport.par_type.get(ev.type, 0) + 1
            db.commit()
            return rapport

        try:
            rapport = rejouer_si_concurrence(db, une_fois)
        except ConcurrenceRepetee as exc:
            raise ImportSuivisRefuse(f"fichier de suivis {chemin} : {exc}") from None
    return rapport


__all__ = ["AUTEUR", "COLONNES", "ImportSuivisRefuse", "RapportSuivis", "importer_suivis", "message_rejets"]
