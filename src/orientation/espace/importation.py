"""Import of a flux into the workspace's database: each dossier with its recommendation and explanation.

``orientation importer flux.csv --departement 93`` (or an administrator's upload) reads the flux with
the bulk path of :mod:`orientation.flux` (same readers, same validation, same decisions as
``orientation lot``: :func:`~orientation.flux.lecture.ouvrir_flux`, :func:`~orientation.flux.lecture.lire_bloc`,
:func:`~orientation.flux.lot.traiter_bloc`), block by block (:data:`TAILLE_LOT` rows per transaction).
For each decided row the database keeps:

* ``enregistrement``: the row as read (CNAF cells, text), so that exports can give it back;
* ``recommandation``: the row of ``decisions.csv`` (:data:`~orientation.flux.decisions.COLONNES_DECISIONS`);
* ``explication``: the bulk explanation line (schema ``explication_lot``, a documented subset of
  :func:`orientation.explain`'s JSON); the full explanation is rebuilt from ``enregistrement`` when a card
  is displayed (:mod:`orientation.espace.carte`);
* the columns the queue filters and sorts on, including the deadline (``echeance``: the legal limit of
  CASF art. D262-65-2 when it applies, else the DITP one-month objective).

The import is idempotent on (département, identifiant, date de demande): a dossier already imported and
not yet decided is updated (recommendation of the new run), a decided one is left as it is.  Rejected rows
are reported (line, identifier, field, value, French reason) and do not stop the import.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Optional

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from orientation.flux.bloc import Rejet
from orientation.stockage.base import maintenant
from orientation.stockage.espace import DossierEspace

TAILLE_LOT = 5_000
A_ORIENTER, ORIENTE = "a_orienter", "oriente"


@dataclass
class RapportImport:
    """What an import did: counts per outcome, rejected rows (the first :data:`REJETS_GARDES` kept)."""

    departement: str
    lignes: int = 0
    crees: int = 0
    mis_a_jour: int = 0
    deja_decides: int = 0
    rejetees: int = 0
    rejets: list[Rejet] = field(default_factory=list)
    par_modalite: Counter = field(default_factory=Counter)

    def bilan(self) -> str:
        """The counts only, in French (no identifier: fit for the jobs table and the journal)."""
        libelles = {"rdv_obligatoire": "rendez-vous obligatoire", "examen_individuel": "examen individuel",
                    "orientation_directe": "orientation directe proposée"}
        lignes = [f"Import (département {self.departement}) : {self.lignes} ligne(s) lue(s), {self.crees} dossier(s) "
                  f"ajouté(s), {self.mis_a_jour} mis à jour, {self.deja_decides} déjà décidé(s) laissé(s) tels "
                  f"quels, {self.rejetees} ligne(s) rejetée(s)."]
        if self.par_modalite:
            lignes.append("Modalités des dossiers importés : " + ", ".join(
                f"{libelles.get(m, m)} {n}" for m, n in sorted(self.par_modalite.items())) + ".")
        return "\n".join(lignes)

    def resume(self) -> str:
        """:meth:`bilan` and the first :data:`REJETS_AFFICHES` rejected rows (line, identifier, field, value, reason)."""
        lignes = [self.bilan()]
        for r in self.rejets[:REJETS_AFFICHES]:
            lignes.append(f"  ligne {r.ligne} ({r.identifiant or 'identifiant illisible'}) : champ « {r.champ} », "
                          f"valeur « {str(r.valeur)[:40]} » : {r.raison}")
        if len(self.rejets) > REJETS_AFFICHES:
            lignes.append(f"  … et {len(self.rejets) - REJETS_AFFICHES} autre(s) erreur(s).")
        return "\n".join(lignes)


REJETS_GARDES = 1_000
REJETS_AFFICHES = 20


def echeance(recommandation: dict[str, Any]) -> Optional[date]:
    """Deadline of a dossier: the legal limit (six weeks, CASF D262-65-2) when it applies, else the DITP month."""
    for cle in ("orientation_limite_legale", "orientation_au_plus_tard"):
        v = recommandation.get(cle)
        if v:
            return v if isinstance(v, date) else date.fromisoformat(str(v))
    return None


def _regle_decisive(regles: dict[str, Any], declenchees: list[str], modalite: str,
                    grille: Optional[str]) -> Optional[str]:
    """The fired rule that set the modality (as :func:`orientation.decision.decider` picks it), if any."""
    candidates = [regles[i] for i in declenchees if i in regles and i != grille]
    avec = [r for r in candidates if r.effet.modalite is not None and r.effet.modalite.value == modalite]
    choisie = next((r for r in avec if r.effet.parcours is not None), avec[0] if avec else None)
    return None if choisie is None else choisie.id


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def importer_flux(sessions: sessionmaker[Session], chemin: Path | str, departement: str, referentiel: Any,
                  modele: Any, encodage: str = "utf-8", taille_lot: int = TAILLE_LOT,
                  avancer: Optional[Callable[[int], None]] = None,
                  rapport: Optional[RapportImport] = None) -> RapportImport:
    """Import the flux file ``chemin`` of ``departement`` (rules ``referentiel``, model ``modele`` or ``None``).

    Raises :class:`~orientation.flux.bloc.FluxInvalide` (French) when the file as a whole cannot be read;
    a bad row is a reject.  ``avancer(n)`` is called after each block is committed (progress bar); ``rapport``,
    when given, is the one filled (the caller then sees the counts of the blocks written before an error).
    """
    from orientation.flux.decisions import Contexte
    from orientation.flux.lecture import lire_bloc, ouvrir_flux
    from orientation.flux.lot import traiter_bloc

    source = ouvrir_flux(Path(chemin), encodage)
    ctx = Contexte(departement, referentiel, modele, True)
    regles = {r.id: r for r in referentiel.toutes_regles()}
    rapport = RapportImport(departement) if rapport is None else rapport
    for tache in source.blocs(taille_lot):
        lu = lire_bloc(source, tache)
        rejets = list(lu.rejets)
        lignes_rejetees = {r.ligne for r in lu.rejets}
        decidees = 0
        if lu.table.num_rows:
            res = traiter_bloc(ctx, lu.table, lu.lignes, lu.bruts, source.avec_departement)
            rejets += res.rejets
            lignes_rejetees |= {r.ligne for r in res.rejets}
            cellules = dict(zip(lu.lignes.tolist(), lu.table.to_pylist()))
            decisions = res.decisions.to_pylist()
            decidees = len(decisions)
            explications = [json.loads(e) for e in res.explications]
            with sessions() as session:
                enregistrer_bloc(session, rapport, departement, decisions, explications, cellules, regles)
        rapport.rejetees += len(lignes_rejetees)
        rapport.lignes += decidees + len(lignes_rejetees)
        place = REJETS_GARDES - len(rapport.rejets)
        if place > 0:
            rapport.rejets.extend(sorted(rejets, key=lambda r: r.ligne)[:place])
        if avancer is not None:
            avancer(decidees + len(lignes_rejetees))
    return rapport


def enregistrer_bloc(session: Session, rapport: RapportImport, departement: str, decisions: list[dict[str, Any]],
                     explications: list[dict[str, Any]], cellules: dict[int, dict[str, Any]],
                     regles: dict[str, Any], ids_grille: frozenset[str] = frozenset()) -> None:
    """Upsert one block of decided rows (one transaction); also used by :mod:`orientation.espace.import_lot`.

    An empty explanation (a lot imported without its explanations): the grid line is the fired one among
    ``ids_grille``.
    """
    lignes = []
    for dec, expl in zip(decisions, explications):
        cel = cellules[dec["ligne"]]
        brut = {k: ("" if v is None else str(v)) for k, v in cel.items()}
        if "departement" not in brut or not brut["departement"]:
            brut["departement"] = departement
        date_demande = date.fromisoformat(brut["dtdemrsa"].strip())
        recommandation = {k: _jsonable(v) for k, v in dec.items()}
        declenchees = [i for i in (dec.get("regles_declenchees") or "").split("|") if i]
        grille = ((expl.get("proposition_grille") or {}).get("id") if expl
                  else next((i for i in declenchees if i in ids_grille), None))
        lignes.append(dict(
            departement=departement, identifiant=dec["identifiant"], date_demande=date_demande, statut=A_ORIENTER,
            modalite=dec["modalite"], parcours_propose=dec["parcours"], structure_proposee=dec["structure"],
            echeance=echeance(dec), regle_decisive=_regle_decisive(regles, declenchees, dec["modalite"], grille),
            ligne_grille=grille, version_regles=dec["version_regles"], version_modele=dec["version_modele"],
            enregistrement=brut, recommandation=recommandation, explication=expl, importe_le=maintenant()))
    if not lignes:
        return
    existants: dict[tuple[str, date], tuple[int, str]] = {}
    idents = sorted({x["identifiant"] for x in lignes})
    for i in range(0, len(idents), 500):
        q = select(DossierEspace.identifiant, DossierEspace.date_demande, DossierEspace.id, DossierEspace.statut).where(
            DossierEspace.departement == departement, DossierEspace.identifiant.in_(idents[i:i + 500]))
        for ident, dd, id_, statut in session.execute(q):
            existants[(ident, dd)] = (id_, statut)
    nouveaux, vus = [], set()
    for x in lignes:
        cle = (x["identifiant"], x["date_demande"])
        if cle in vus:  # the same dossier twice in one flux: the first one counts
            rapport.rejetees += 1
            rapport.rejets.append(Rejet(x["recommandation"]["ligne"], x["identifiant"], "identifiant",
                                        x["identifiant"], "dossier en double dans le flux (même identifiant et même "
                                                          "date de demande) : seule la première ligne est importée"))
            continue
        vus.add(cle)
        rapport.par_modalite[x["modalite"]] += 1
        if cle not in existants:
            nouveaux.append(x)
            rapport.crees += 1
        elif existants[cle][1] == A_ORIENTER:
            champs = {k: v for k, v in x.items() if k not in ("departement", "identifiant", "date_demande", "statut")}
            session.execute(update(DossierEspace).where(DossierEspace.id == existants[cle][0]).values(**champs))
            rapport.mis_a_jour += 1
        else:
            rapport.deja_decides += 1
    if nouveaux:
        session.execute(insert(DossierEspace), nouveaux)
    session.commit()


__all__ = ["A_ORIENTER", "ORIENTE", "REJETS_GARDES", "TAILLE_LOT", "RapportImport", "echeance", "enregistrer_bloc",
           "importer_flux"]
