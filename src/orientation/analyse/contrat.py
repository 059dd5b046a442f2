"""The training-data contract: a flux file plus the referents' decisions, validated like the flux.

A labelled export (CSV or Parquet; the referent workspace writes one) has:

* every **required** flux column (:data:`OBLIGATOIRES`, as for ``orientation lot``);
* the **expected** columns (:data:`ATTENDUES`): every column a feature of the model is read
  from, and ``sexe`` (per-group audit of the model card, never a feature).  A missing expected
  column is an error naming it, unless allowed explicitly (``autoriser_manquantes``): it then
  reads « non renseigné » for every dossier, and the summary says so;
* the **label** :data:`ETIQUETTE` (``parcours_referent``: professionnel, socio_professionnel or
  social; rdv-insertion's pro / socio_pro accepted);
* **optional** columns (:data:`FACULTATIVES`): ``date_decision`` (ISO date, needed by the
  split by date), ``parcours_recommande``, ``modalite_recommandee``, ``regle_decisive``,
  ``ligne_grille``, ``version_regles``, ``version_modele``, ``decide_par_role``;
* the other flux columns (:data:`orientation.dossier.cnaf.CLES`) are known and accepted;
  any other column is listed as unknown in the summary (never silently).

Each row is checked as the bulk run checks it (codes, dates, coherence), then its label and
optional cells; a bad row is rejected with its line, identifier, field, cell and French reason,
and the other rows train.  :func:`tableau_contrat` is the documented table (README).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pyarrow as pa

from orientation.analyse import lecture
from orientation.dossier.cnaf import CLES
from orientation.erreurs import OrientationError
from orientation.flux.lecture import Rejet, _identifiant_lisible
from orientation.modele import caracteristiques as car
from orientation.modele.classes import CLASSES
from orientation.modele.entrainement import CODES_RDVI, DonneesPreparees, etiquette
from orientation.modele.synthetique import COLONNE_PARCOURS, PREFIXE_SYNTHETIQUE
from orientation.regles.vectoriel import OBLIGATOIRES as _OBLIGATOIRES_FLUX
from orientation.vocabulaire import Modalite

ETIQUETTE = COLONNE_PARCOURS
#: Required flux columns (``departement`` may be absent: then the département is given or unknown).
OBLIGATOIRES: tuple[str, ...] = tuple(k for k in _OBLIGATOIRES_FLUX if k != "departement")
#: Columns a feature is read from, and ``sexe`` (audit only).
ATTENDUES: tuple[str, ...] = tuple(k for k in CLES if k not in OBLIGATOIRES and (
    k in {g.cle_cnaf for g in car.GROUPES} or k == "sexe"))
#: Optional columns of the labelled export, with their meaning.
FACULTATIVES: dict[str, str] = {
    "date_decision": "date de la décision du référent (AAAA-MM-JJ) ; nécessaire pour --decoupage date",
    "parcours_recommande": "parcours que l'outil recommandait (professionnel, socio_professionnel, social)",
    "modalite_recommandee": "modalité que l'outil recommandait (rdv_obligatoire, examen_individuel, "
                            "orientation_directe)",
    "regle_decisive": "identifiant de la règle qui a fixé la modalité",
    "ligne_grille": "identifiant de la ligne de grille qui a proposé le parcours",
    "version_regles": "empreinte des règles appliquées",
    "version_modele": "modèle appliqué (nom@version)",
    "decide_par_role": "rôle de la personne qui a décidé (référent, responsable…)",
}
_PARCOURS = [p.value for p in CLASSES]
_MODALITES = [m.value for m in Modalite]


class ContratInvalide(OrientationError, ValueError):
    """The training file as a whole does not follow the contract (missing columns, options)."""


def tableau_contrat() -> list[dict[str, str]]:
    """The contract as a table: colonne, statut, contenu (French)."""
    lignes = [{"colonne": k, "statut": "obligatoire", "contenu": "colonne du flux CNAF (comme pour orientation lot)"}
              for k in OBLIGATOIRES]
    lignes.append({"colonne": "departement", "statut": "recommandée",
                   "contenu": "département du dossier (figures par département de la carte du modèle)"})
    for k in ATTENDUES:
        g = next((g for g in car.GROUPES if g.cle_cnaf == k), None)
        lignes.append({"colonne": k, "statut": "attendue", "contenu": (
            f"variable du modèle : {g.libelle}" if g else "sexe (audit par groupe seulement, jamais une variable)")})
    lignes.append({"colonne": ETIQUETTE, "statut": "étiquette", "contenu": (
        "parcours final choisi par le référent : " + ", ".join(_PARCOURS) + " (ou pro, socio_pro)")})
    lignes += [{"colonne": k, "statut": "facultative", "contenu": v} for k, v in FACULTATIVES.items()]
    lignes.append({"colonne": "autres colonnes CNAF", "statut": "acceptées",
                   "contenu": "nati, topdemanderdv, diag_* : lues par les règles, jamais par le modèle"})
    return lignes


@dataclass
class DonneesEntrainement:
    """A labelled export once validated: what trains, what was rejected, what was found."""

    chemin: Path
    lignes_lues: int
    preparees: DonneesPreparees
    rejets: list[Rejet]
    indices: np.ndarray  # rows of the file's table kept
    colonnes_facultatives: list[str]
    colonnes_inconnues: list[str]
    manquantes_autorisees: list[str]
    colonnes: dict[str, list[Optional[str]]] = field(default_factory=dict)  # optional cells of kept rows
    table: Any = None  # pyarrow Table of the kept rows as read (string cells), e.g. for a notebook

    @property
    def lignes_rejetees(self) -> int:
        return len({r.ligne for r in self.rejets})

    def resume(self, chemin_rejets: Optional[Path] = None) -> str:
        """French summary of what the file gave."""
        p = self.preparees
        n = p.n

        def nb(x: int) -> str:
            return f"{x:,}".replace(",", "\u202f")

        lignes = [f"Fichier {self.chemin.name} : {nb(self.lignes_lues)} ligne(s) lue(s), {nb(n)} retenue(s) pour "
                  f"l'entraînement, {nb(self.lignes_rejetees)} rejetée(s)"
                  + (f" (détail : {chemin_rejets})" if chemin_rejets and self.rejets else "") + "."]
        comptes = Counter(p.y.tolist())
        lignes.append("Parcours des référents : " + ", ".join(
            f"{c.value} {nb(comptes.get(k, 0))} ({_pct(comptes.get(k, 0), n)})" for k, c in enumerate(CLASSES)) + ".")
        if p.dates is not None and (~np.isnat(p.dates)).any():
            d = p.dates[~np.isnat(p.dates)]
            lignes.append(f"Décisions du {d.min()} au {d.max()} (date_decision).")
        lignes.append("Départements : " + (", ".join(p.departements) if p.departements else "non renseignés") + ".")
        lignes.append("Données " + ("SYNTHÉTIQUES (tous les identifiants commencent par SYN-)." if p.synthetique
                                    else "réelles (au moins un identifiant ne commence pas par SYN-)."))
        if self.colonnes_facultatives:
            lignes.append("Colonnes facultatives présentes : " + ", ".join(self.colonnes_facultatives) + ".")
        if self.manquantes_autorisees:
            lignes.append("Colonnes absentes autorisées (valent « non renseigné » pour tous les dossiers, le modèle "
                          "ne peut pas s'en servir) : " + ", ".join(self.manquantes_autorisees) + ".")
        if self.colonnes_inconnues:
            lignes.append("Colonnes inconnues ignorées (hors contrat) : " + ", ".join(self.colonnes_inconnues) + ".")
        return "\n".join(lignes)


def _pct(k: int, n: int) -> str:
    from orientation.francais import pourcent

    return pourcent(k / n) if n else "—"


def _date(v: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(v) if v and len(v) == 10 else None
    except ValueError:
        return None


def lire_donnees_entrainement(chemin: str | Path, *, autoriser_manquantes: Sequence[str] = (),
                              decoupage: str = "aleatoire", encodage: str = "utf-8",
                              departement: Optional[str] = None) -> DonneesEntrainement:
    """Validate a labelled export against the contract (rejects per row) and prepare what trains.

    Raises :class:`ContratInvalide` (French, naming the columns) when the file as a whole cannot
    train: required, expected (not allowed) or label column missing, ``date_decision`` missing
    for a split by date, unknown column allowed to be missing; and the flux readers' errors.
    """
    chemin = Path(chemin)
    inconnues_autorisees = sorted(set(autoriser_manquantes) - set(ATTENDUES))
    if inconnues_autorisees:
        raise ContratInvalide(f"--autoriser-colonnes-manquantes : {', '.join(inconnues_autorisees)} ne sont pas des "
                              f"colonnes attendues (colonnes attendues : {', '.join(ATTENDUES)}).")
    lu = lecture.lire(chemin, [ETIQUETTE, *FACULTATIVES], encodage)
    if ETIQUETTE not in lu.table.column_names:
        quoi = ("clé" if lu.chemin.suffix.lower() in (".jsonl", ".ndjson", ".json") else "colonne")
        raise ContratInvalide(f"Fichier {chemin} : {quoi} « {ETIQUETTE} » absente : le parcours choisi par "
                              f"le référent est nécessaire pour entraîner.")
    manquantes = [k for k in ATTENDUES if k not in lu.entete]
    refusees = [k for k in manquantes if k not in autoriser_manquantes]
    if refusees:
        raise ContratInvalide(
            f"Fichier {chemin} : colonne(s) attendue(s) absente(s) : {', '.join(refusees)}. Sans elles, le modèle "
            "apprendrait sans ces réponses et ses seuils changeraient. Ajouter ces colonnes à l'export, ou les "
            f"autoriser explicitement : --autoriser-colonnes-manquantes {','.join(refusees)}.")
    if decoupage == "date" and "date_decision" not in lu.table.column_names:
        raise ContratInvalide(f"Fichier {chemin} : --decoupage date demande la colonne « date_decision » (date de la "
                              "décision du référent, AAAA-MM-JJ).")
    inconnues = [k for k in lu.entete if k not in CLES and k != ETIQUETTE and k not in FACULTATIVES]
    valides = lecture.valider(lu, departement)
    rejets = list(valides.rejets)
    ids = lu.colonne("identifiant") or [None] * lu.table.num_rows
    etiquettes = lu.colonne(ETIQUETTE) or []
    opt = {k: lu.colonne(k) for k in FACULTATIVES if k in lu.table.column_names}
    ok = np.zeros(lu.table.num_rows, dtype=bool)
    ok[valides.indices] = True
    for i in range(lu.table.num_rows):
        ligne, ident = int(lu.lignes[i]), _identifiant_lisible(ids[i])
        erreurs = []
        e = etiquettes[i]
        if e is None:
            erreurs.append((ETIQUETTE, "", "parcours du référent manquant (étiquette obligatoire)"))
        elif etiquette(e) is None:
            erreurs.append((ETIQUETTE, e, f"parcours inconnu (attendu : {', '.join(_PARCOURS)} ; ou "
                                          f"{', '.join(CODES_RDVI)})"))
        d = (opt.get("date_decision") or [None] * (i + 1))[i]
        if d is not None and _date(d) is None:
            erreurs.append(("date_decision", d, "date impossible ou mal formée (attendu AAAA-MM-JJ)"))
        elif d is None and decoupage == "date":
            erreurs.append(("date_decision", "", "date de décision manquante (nécessaire pour --decoupage date)"))
        r = (opt.get("parcours_recommande") or [None] * (i + 1))[i]
        if r is not None and etiquette(r) is None:
            erreurs.append(("parcours_recommande", r, f"parcours inconnu (attendu : {', '.join(_PARCOURS)})"))
        m = (opt.get("modalite_recommandee") or [None] * (i + 1))[i]
        if m is not None and m not in _MODALITES:
            erreurs.append(("modalite_recommandee", m, f"modalité inconnue (attendu : {', '.join(_MODALITES)})"))
        if erreurs:
            ok[i] = False
            rejets.extend(Rejet(ligne, ident, c, v, raison) for c, v, raison in erreurs)
    garde = np.flatnonzero(ok)
    position = {int(j): k for k, j in enumerate(valides.indices)}
    X = valides.X[[position[int(j)] for j in garde]] if len(garde) else np.zeros((0, len(car.SCHEMA)))
    y = np.array([etiquette(etiquettes[j]) for j in garde], dtype=np.int64)
    dates = None
    if "date_decision" in opt:
        dates = np.array([np.datetime64(opt["date_decision"][j]) if opt["date_decision"][j] else np.datetime64("NaT")
                          for j in garde], dtype="datetime64[D]")
    sexe, deps = lu.colonne("sexe"), lu.colonne("departement")
    garder = (lambda col: None if col is None else ["" if col[j] is None else col[j] for j in garde])
    ids_gardes = [ids[j] for j in garde]
    h = hashlib.sha256()
    with chemin.open("rb") as f:
        for bloc in iter(lambda: f.read(1 << 20), b""):
            h.update(bloc)
    deps_g = garder(deps)
    if deps_g is None and departement:
        deps_g = [str(departement)] * len(garde)
    colonnes = {k: [v[j] for j in garde] for k, v in opt.items()}
    colonnes[ETIQUETTE] = [_PARCOURS[k] for k in y.tolist()]
    prep = DonneesPreparees(
        X, y, h.hexdigest(), bool(ids_gardes) and all(str(i).startswith(PREFIXE_SYNTHETIQUE) for i in ids_gardes),
        sorted({d for d in deps_g or [] if d}), garder(sexe), deps_g, dates, chemin.name)
    donnees = DonneesEntrainement(chemin, lu.nb_lignes, prep, sorted(rejets, key=lambda r: r.ligne), garde,
                                  list(opt), inconnues, manquantes, colonnes,
                                  lu.table.take(pa.array(garde, type=pa.int64())))
    prep.informations = {"lignes_lues": donnees.lignes_lues, "lignes_rejetees": donnees.lignes_rejetees,
                         "colonnes_facultatives": list(opt), "colonnes_inconnues": inconnues,
                         "colonnes_absentes_autorisees": manquantes,
                         "corrections": taux_de_correction(colonnes)}
    return donnees


def attendues_absentes(chemin: str | Path, encodage: str = "utf-8") -> list[str]:
    """Expected columns the file lacks (its header only is read)."""
    entete = lecture.lire(chemin, (), encodage, blocs=0).entete
    return [k for k in ATTENDUES if k not in entete]


#: Columns the override rate is computed by, when present.
AXES_CORRECTION = ("regle_decisive", "ligne_grille", "version_modele", "modalite_recommandee")


def taux_de_correction(colonnes: dict[str, list[Optional[str]]]) -> Optional[dict[str, Any]]:
    """Share of recommendations the referent changed, per rule / grid line / model version / modality.

    Needs ``parcours_recommande`` and the label; ``None`` without them.  Each group gives
    ``n`` (dossiers with a recommended route), ``corriges`` (final route different) and the
    rate with its 95 % Wilson interval.
    """
    from orientation.modele.metriques import intervalle_wilson

    reco, final = colonnes.get("parcours_recommande"), colonnes.get(ETIQUETTE)
    if reco is None or final is None:
        return None
    a_reco = [r is not None for r in reco]
    corrige = [r is not None and etiquette(r) != etiquette(f) for r, f in zip(reco, final)]
    out: dict[str, Any] = {}

    def taux(masque: list[bool]) -> dict[str, Any]:
        n = sum(1 for m, a in zip(masque, a_reco) if m and a)
        k = sum(1 for m, c in zip(masque, corrige) if m and c)
        bas, haut = intervalle_wilson(k, n)
        return {"n": n, "corriges": k, "taux": k / n if n else None, "ic_bas": bas if n else None,
                "ic_haut": haut if n else None}

    out["ensemble"] = taux([True] * len(reco))
    for axe in AXES_CORRECTION:
        valeurs = colonnes.get(axe)
        if valeurs is None:
            continue
        out[axe] = {str(v): taux([x == v for x in valeurs])
                    for v in sorted({x for x in valeurs if x is not None})}
    return out


__all__ = ["ATTENDUES", "ETIQUETTE", "FACULTATIVES", "OBLIGATOIRES", "ContratInvalide", "DonneesEntrainement",
           "attendues_absentes",
           "lire_donnees_entrainement", "tableau_contrat", "taux_de_correction"]
