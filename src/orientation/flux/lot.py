"""Orchestration of a bulk run: one block (:func:`traiter_bloc`), a whole file (:func:`traiter_fichier`).

Each block is read (:mod:`orientation.flux.lecture`), decided by the vectorised path
(:mod:`orientation.flux.decisions`) or the per-row path for flagged rows, and explained
(:mod:`orientation.flux.explications`); blocks go to forked worker processes and the parent
writes decisions, rejects and explanations in file order, then the :class:`Rapport`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from orientation.decision import Decision
from orientation.dossier.cnaf import CLES
from orientation.dossier.tabulaire import ligne_vers_enregistrement
from orientation.erreurs import DossierInvalide, OrientationError
from orientation.flux.decisions import (_SCHEMA_DECISIONS, Contexte, _delais, _Modele, _motif_cles, _table_decisions,
                                        _table_depuis_decisions, chaine_reference, decider_lot)
from orientation.flux.catalogue import avertissement_modele, ecrire_catalogue
from orientation.flux.explications import _explications_vectorielles, explication_ligne
from orientation.flux.interruption import (Interrompu, aux_points_surs, initialiser_travailleur, sans_interruption,
                                           verifier)
from orientation.flux.lecteur_dedie import LecteurDedie
from orientation.flux.lecture import TAILLE_BLOC, Rejet, Source, _identifiant_lisible, lire_bloc, ouvrir_flux
from orientation.flux import preorientation
from orientation.flux.sorties import (EcrivainRejets, ErreurEcriture, Sorties, chemin_catalogue, chemin_manifeste,
                                     partie as chemin_partie)
from orientation.regles.vectoriel import encoder
from orientation.vocabulaire import Modalite


@dataclass
class ResultatBloc:
    """Decisions (table, input order), explanation lines, rejects of one block."""

    decisions: pa.Table
    explications: list[str]
    rejets: list[Rejet]
    lignes_rejetees: int
    chemin_ligne: int  # rows decided by the per-row path
    colonnes_ignorees: list[str] = field(default_factory=list)  # JSON Lines: keys outside the CNAF format
    preorientation: Counter = field(default_factory=Counter)  # agreement with the CAF's pre-routing


def _traiter_vectoriel(ctx: Contexte, enc: Any, ok: np.ndarray, ids: pa.Array,
                       lignes: np.ndarray) -> tuple[pa.Table, list[str]]:
    """Decide the rows ``ok`` (indices into the block) of an encoding with vectorised code."""
    sous = enc.sous_ensemble(ok) if len(ok) != enc.n else enc
    n = sous.n
    vecteurs, declenchees = ctx.evaluateur.evaluer(sous)
    modele_rows: dict[str, Any] = {}

    def proposer(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        try:
            mod = _Modele(ctx, sous.table_canonique(idx))
        except DossierInvalide as exc:  # pragma: no cover - the encoder's check is sound
            raise OrientationError(f"incohérence interne entre la validation en lot et les caractéristiques "
                                   f"du modèle : {exc}") from exc
        modele_rows["mod"], modele_rows["idx"] = mod, idx
        return mod.parcours, mod.confiance, mod.decide

    d = decider_lot(ctx, declenchees, n, proposer)
    # fired rules and chosen grid lines, in evaluation order
    masques = [declenchees[r.id] for r in ctx.regles] + [d["choisies"][lg.id] for g in ctx.grilles for lg in g.lignes]
    inverse, motifs = _motif_cles(masques, n)
    textes_motifs = ["|".join(i for i, b in zip(ctx.ordre_ids, m) if b) for m in motifs]
    regles = pa.array(textes_motifs, pa.string()).take(pa.array(inverse))
    ouv, notif = sous.colonnes["dtouvdroit"], sous.colonnes["dtnotifdroit"]
    delais = _delais(ouv.code, notif.code, notif.nul)
    table = _table_decisions(ctx, ids, lignes, d, regles, delais)
    if not ctx.explications:
        return table, []
    return table, _explications_vectorielles(ctx, sous, vecteurs, d, inverse, motifs, ids, lignes, delais,
                                             modele_rows)


# --------------------------------------------------------------------------- per-row reference path


def enregistrement_de_ligne(cellules: dict[str, Any], departement: str, avec_departement: bool) -> dict[str, Any]:
    """CNAF record of one input row, as the per-row reference path reads it."""
    rec = ligne_vers_enregistrement({k: v for k, v in cellules.items() if k in CLES})
    if not avec_departement:
        rec["departement"] = departement
    return rec


def _traiter_ligne(ctx: Contexte, rec: dict[str, Any], ligne: int,
                   cellules: Optional[dict[str, Any]] = None) -> tuple[Optional[Decision], list[Rejet], str]:
    """Per-row reference path: (decision or None, rejects, explanation JSON or "").

    ``cellules``: the row as read (a reject shows the input cell, not the normalised value).
    """
    from orientation.dossier.schema import Dossier

    ident = _identifiant_lisible(rec.get("identifiant"))
    cellules = cellules or {}
    try:
        dossier = Dossier.depuis_cnaf(rec)
    except DossierInvalide as exc:
        return None, [Rejet(ligne, ident, e.champ, cellules.get(e.champ, e.valeur) if e.champ in cellules
                            else e.valeur, e.raison) for e in exc.erreurs], ""
    except RecursionError:  # a value nested too deep to validate
        return None, [Rejet(ligne, ident, "(ligne)", "", "valeur trop profondément imbriquée")], ""
    if dossier.departement != ctx.departement:
        return None, [Rejet(ligne, ident, "departement", dossier.departement,
                            f"dossier d'un autre département que celui du traitement ({ctx.departement})")], ""
    evaluation, proposition, decision = chaine_reference(dossier, ctx.referentiel, ctx.modele)
    texte = explication_ligne(ctx, ligne, evaluation, proposition, decision) if ctx.explications else ""
    return decision, [], texte


def _rejets_illisibles(cellules: dict[str, Any], ligne: int) -> list[Rejet]:
    """Rejects of a row whose values cannot even be converted (numbers too long for Python's int())."""
    ident = _identifiant_lisible(cellules.get("identifiant"))
    longs = [k for k, v in cellules.items() if isinstance(v, str) and len(v.strip()) > 4300]
    return [Rejet(ligne, ident, k, cellules[k], "valeur trop longue (plus de 4 300 caractères)") for k in longs] or \
        [Rejet(ligne, ident, "(ligne)", "", "valeurs illisibles")]


def traiter_bloc(ctx: Contexte, table: pa.Table, lignes: np.ndarray, bruts: Optional[dict[int, dict[str, Any]]] = None,
                 avec_departement: Optional[bool] = None) -> ResultatBloc:
    """Decide one block of rows (string cells): vectorised path, per-row path for flagged rows."""
    bruts = bruts or {}
    if avec_departement is None:
        avec_departement = "departement" in table.column_names
    enc = encoder(table, ctx.departement)
    suspect = enc.suspect.copy()
    if bruts:
        suspect[list(bruts)] = True
    idx_lent = np.flatnonzero(suspect)
    idx_ok = np.flatnonzero(~suspect)
    rejets: list[Rejet] = []
    lentes_lignes: list[int] = []
    lentes_dec: list[Decision] = []
    lentes_expl: list[str] = []
    lentes_pos: list[int] = []
    rejetees = 0
    if len(idx_lent):
        cellules = table.take(pa.array(idx_lent)).to_pylist()
        for i, cel in zip(idx_lent.tolist(), cellules):
            brut = bruts.get(i, cel)
            try:
                rec = enregistrement_de_ligne(brut, ctx.departement, avec_departement)
                dec, rj, texte = _traiter_ligne(ctx, rec, int(lignes[i]), brut)
            except ValueError:  # e.g. a cell of more than 4,300 digits (int() refuses it): the row, not the run
                dec, rj, texte = None, _rejets_illisibles(brut, int(lignes[i])), ""
            if dec is None:
                rejets.extend(rj)
                rejetees += 1
            else:
                lentes_lignes.append(int(lignes[i]))
                lentes_dec.append(dec)
                lentes_expl.append(texte)
                lentes_pos.append(i)
    tables = []
    expl: list[str] = []
    positions = []
    if len(idx_ok):
        ids = enc.colonnes["identifiant"].canonique.take(pa.array(idx_ok))
        t, e = _traiter_vectoriel(ctx, enc, idx_ok, ids, lignes[idx_ok])
        tables.append(t)
        expl.extend(e)
        positions.append(idx_ok)
    if lentes_dec:
        tables.append(_table_depuis_decisions(ctx, lentes_lignes, lentes_dec))
        if ctx.explications:  # otherwise the per-row texts are empty placeholders
            expl.extend(lentes_expl)
        positions.append(np.array(lentes_pos, dtype=np.int64))
    if not tables:
        return ResultatBloc(_SCHEMA_DECISIONS.empty_table(), [], rejets, rejetees, 0)
    decisions = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    if len(tables) > 1:
        ordre = np.argsort(np.concatenate(positions), kind="stable")
        decisions = decisions.take(pa.array(ordre))
        if expl:
            expl = [expl[i] for i in ordre.tolist()]
    accord = preorientation.comparer(table, np.sort(np.concatenate(positions)), decisions.column("parcours"))
    return ResultatBloc(decisions, expl, rejets, rejetees, len(lentes_dec), preorientation=accord)


# --------------------------------------------------------------------------- whole file


@dataclass
class Rapport:
    """What a bulk run did (counts, paths, throughput); :meth:`resume` is the French summary."""

    flux: Path
    departement: str
    sortie: Path
    rejets: Path
    explications: Optional[Path]
    lignes: int = 0
    decides: int = 0
    rejetes: int = 0
    erreurs: int = 0
    chemin_ligne: int = 0
    par_modalite: Counter = field(default_factory=Counter)
    par_parcours: Counter = field(default_factory=Counter)
    par_origine: Counter = field(default_factory=Counter)
    colonnes_ignorees: list[str] = field(default_factory=list)
    duree: float = 0.0
    version_regles: str = ""
    version_modele: Optional[str] = None
    avertissement_modele: Optional[str] = None  # model trained on synthetic data: said first in the summary
    preorientation: Counter = field(default_factory=Counter)  # agreement with the CAF's pre-routing
    format_flux: str = ""
    modele: Any = None  # the model used (None: rules only), e.g. for a drift check after the run

    @property
    def debit(self) -> float:
        """Rows per second (decided or rejected)."""
        return self.lignes / self.duree if self.duree > 0 else 0.0

    def resume(self) -> str:
        def nb(x: float) -> str:
            return f"{x:,.0f}".replace(",", "\u202f")

        def part(k: int) -> str:
            return f"{k / self.decides * 100:.1f}".replace(".", ",") + "\u202f%" if self.decides else "0\u202f%"

        lignes = [self.avertissement_modele] if self.avertissement_modele else []
        lignes += [
            f"Flux {self.flux} (département {self.departement}) : {nb(self.lignes)} ligne(s) lue(s), "
            f"{nb(self.decides)} dossier(s) orienté(s), {nb(self.rejetes)} ligne(s) rejetée(s)"
            + (f" ({nb(self.erreurs)} erreur(s) détaillée(s) dans {self.rejets})" if self.rejetes else "") + ".",
        ]
        libelles_m = {"rdv_obligatoire": "rendez-vous obligatoire", "examen_individuel": "examen individuel",
                      "orientation_directe": "orientation directe"}
        lignes.append("Modalités : " + ", ".join(
            f"{libelles_m[m.value]} {nb(self.par_modalite.get(m.value, 0))} ({part(self.par_modalite.get(m.value, 0))})"
            for m in (Modalite.rdv_obligatoire, Modalite.examen_individuel, Modalite.orientation_directe)) + ".")
        libelles_p = {"professionnel": "professionnel", "socio_professionnel": "socio-professionnel",
                      "social": "social", "": "sans parcours (décidé en rendez-vous ou par le référent)"}
        lignes.append("Parcours : " + ", ".join(
            f"{libelles_p[p]} {nb(self.par_parcours.get(p, 0))}"
            for p in ("professionnel", "socio_professionnel", "social", "")) + ".")
        libelles_o = {"regle": "règle", "grille": "grille de pré-orientation", "modele": "modèle",
                      "rendez_vous": "à décider au rendez-vous"}
        if any(self.par_origine.get(o) for o in libelles_o):
            lignes.append("Origine du parcours : " + ", ".join(
                f"{libelles_o[o]} {nb(self.par_origine.get(o, 0))}" for o in libelles_o) + ".")
        lignes.append(f"Décisions : {self.sortie}" + (f" ; explications : {self.explications} (textes auxquels "
                                                      f"elles renvoient : {chemin_catalogue(self.explications)})"
                                                      if self.explications else "")
                      + (f" ; rejets : {self.rejets}" if self.rejetes else "")
                      + f" ; manifeste du traitement : {chemin_manifeste(self.sortie)}.")
        duree = f"{self.duree:.1f}".replace(".", ",")
        lignes.append(f"Durée : {duree} s, soit {nb(self.debit)} dossiers/s.")
        if (ligne_caf := preorientation.resume(self.preorientation)) is not None:
            lignes.append(ligne_caf)
        if self.colonnes_ignorees:
            lignes.append(("Éléments XML inconnus ignorés : " if self.format_flux == "xml" else
                           "Colonnes ignorées (hors format CNAF) : ") + ", ".join(self.colonnes_ignorees) + ".")
        lignes.append(f"Versions : règles {self.version_regles[:12]}"
                      + (f", modèle {self.version_modele}" if self.version_modele else ", sans modèle") + ".")
        return "\n".join(lignes)


def _charger(departement: str, regles: Optional[Path], modele: Path | None | Literal[False]) -> tuple[Any, Any]:
    from orientation.regles.referentiel import Referentiel

    ref = Referentiel.charger(departement, regles)
    if modele is False:
        return ref, None
    from orientation.modele.modele import ModeleOrientation, charger_modele_defaut

    return ref, (charger_modele_defaut() if modele is None else ModeleOrientation.charger(modele))


def chemin_rejets_defaut(sortie: Path) -> Path:
    """``decisions.csv`` -> ``decisions.rejets.csv``."""
    return sortie.with_name(f"{sortie.stem}.rejets.csv")


def traiter_fichier(flux: Path, departement: str, sortie: Path, explications: Optional[Path] = None,
                    rejets: Optional[Path] = None, regles: Optional[Path] = None,
                    modele: Path | None | Literal[False] = None, progression: bool = True,
                    taille_bloc: int = TAILLE_BLOC, processus: Optional[int] = None, ecraser: bool = False,
                    encodage: str = "utf-8", contexte: Optional[Contexte] = None) -> Rapport:
    """Orient every row of a flux file; write decisions, rejects, (optionally) explanations and the manifest.

    ``modele``: a model directory, ``None`` for the default model, ``False`` for rules only.
    ``processus``: worker processes deciding blocks in parallel (default: the number of CPUs,
    at most 4; 1 = in this process; workers are forked, so only where ``fork`` exists).
    The file is streamed: each block of ``taille_bloc`` lines (rows for Parquet) is read and
    decided by a worker (an XML flux is parsed by a dedicated reader process, its blocks decided by
    the workers), so memory is bounded by the block size, not by the file size.
    Outputs are written to temporary parts and published only when the run is complete
    (:class:`~orientation.flux.sorties.Sorties`): existing outputs are refused unless ``ecraser``.
    ``encodage``: of a text input (utf-8, windows-1252 or latin-1).  ``contexte``: an already
    built :class:`Contexte` (its département, rules, model and explanations flag are used).
    Raises :class:`FluxInvalide` when the file as a whole cannot be processed,
    :class:`~orientation.flux.sorties.SortiesRefusees` for output paths that would destroy data,
    :class:`~orientation.flux.sorties.ErreurEcriture` when an output cannot be written, and
    :class:`~orientation.flux.interruption.Interrompu` on SIGINT/SIGTERM (parts removed).
    """
    debut = time.perf_counter()
    horodatage = datetime.now().astimezone().isoformat(timespec="seconds")
    flux, sortie = Path(flux), Path(sortie)
    explications = Path(explications) if explications is not None else None
    rejets = Path(rejets) if rejets is not None else chemin_rejets_defaut(sortie)
    source = ouvrir_flux(flux, encodage)
    sorties = Sorties(flux, sortie, rejets, explications, ecraser)
    sorties.preparer()
    if contexte is None:
        ref, mod = _charger(departement, regles, modele)
        ctx = Contexte(departement, ref, mod, explications is not None)
    else:
        ctx = contexte
        ctx.explications = explications is not None
    rapport = Rapport(flux, departement, sortie, rejets, explications, version_regles=ctx.referentiel.version,
                      version_modele=ctx.version_modele, avertissement_modele=avertissement_modele(ctx),
                      format_flux=source.format, modele=ctx.modele)
    empreinte = _Empreinte()  # of the input, read once while cut into blocks
    h_expl = hashlib.sha256()  # of the explanations, the largest output, hashed while written
    options = {"departement": departement, "regles": None if regles is None else os.path.abspath(regles),
               "modele": (False if modele is False else None if modele is None else os.path.abspath(modele)),
               "encodage": source.encodage, "ecraser": ecraser, "explications": explications is not None,
               "taille_bloc": taille_bloc, "processus": processus}

    def manifeste(etat_fin: str) -> dict[str, Any]:
        return {"flux": {"chemin": os.path.abspath(flux), "format": source.format, "encodage": source.encodage,
                         "octets": flux.stat().st_size, "sha256": empreinte.hexdigest()},
                "lignes_lues": rapport.decides + rapport.rejetes, "decidees": rapport.decides,
                "rejetees": rapport.rejetes, "erreurs": rapport.erreurs,
                "versions": {"bibliotheque": ctx.version_bibliotheque, "regles": ctx.referentiel.version,
                             "modele": ctx.version_modele, "modele_sha256": ctx.sha_modele},
                "debut": horodatage, "fin": etat_fin, "options": options,
                "preorientation_caf": preorientation.manifeste(rapport.preorientation),
                "colonnes_ignorees": (source.colonnes_ignorees if source.colonnes_ignorees is not None
                                      else sorted(ignorees))}

    ignorees: set[str] = set()
    fichiers: list[Any] = []
    en_cours: Optional[Path] = None  # output being written, for error messages

    def ouvrir(final: Path, mode: str, **kw: Any) -> Any:
        nonlocal en_cours
        en_cours = final
        f = open(sorties.partie(final), mode, **kw)
        fichiers.append(f)
        return f

    resultats = None
    try:
        try:
            if explications is not None:  # the texts the explanation lines refer to, once per run
                ecrire_catalogue(ctx, sorties.partie(chemin_catalogue(explications)))
            f_dec = ouvrir(sortie, "wb")
            f_expl = ouvrir(explications, "wb") if explications is not None else None
            f_rej = ouvrir(rejets, "w", encoding="utf-8", newline="")
            w_rej = EcrivainRejets(f_rej, position=source.format == "xml")
            resultats = _resultats(source, ctx, source.blocs(taille_bloc, empreinte), processus, explications,
                                   empreinte)
            with pcsv.CSVWriter(f_dec, _SCHEMA_DECISIONS) as w_dec, \
                    _Progression(progression, source.estimation_lignes()) as barre:
                for res in resultats:
                    verifier()
                    en_cours = sortie
                    w_dec.write_table(res.decisions)
                    en_cours = explications
                    if f_expl is not None and isinstance(res.explications, _Partie):
                        _ajouter_partie(f_expl, res.explications.decode(), h_expl)
                    elif f_expl is not None and res.explications:
                        texte = ("\n".join(res.explications) + "\n").encode("utf-8")
                        h_expl.update(texte)
                        f_expl.write(texte)
                    # blocks are consecutive line ranges and each block's rejects are sorted by line
                    en_cours = rejets
                    w_rej.ecrire(res.rejets)
                    _compter(rapport, res)
                    ignorees.update(res.colonnes_ignorees)
                    barre.avancer(res.decisions.num_rows + res.lignes_rejetees)
                en_cours = sortie
            for f in fichiers:
                en_cours = Path(f.name)
                f.close()
        except OSError as exc:
            if en_cours is None or isinstance(exc, ErreurEcriture) or getattr(exc, "filename", None) == str(flux):
                raise
            raise ErreurEcriture(en_cours, exc) from None
        finally:
            if resultats is not None:
                resultats.close()  # stops the workers (also on an exception or a signal)
            for f in fichiers:
                try:
                    f.close()
                except OSError:
                    pass
        rapport.colonnes_ignorees = (source.colonnes_ignorees if source.colonnes_ignorees is not None
                                     else sorted(ignorees))
        rapport.lignes = rapport.decides + rapport.rejetes
        with sans_interruption():
            sorties.publier(manifeste(datetime.now().astimezone().isoformat(timespec="seconds")),
                            {"explications": h_expl.hexdigest()} if explications is not None else {})
    except Interrompu as exc:
        sorties.abandonner()
        contenu = manifeste(datetime.now().astimezone().isoformat(timespec="seconds"))
        contenu["interruption"] = exc.nom
        try:
            sorties.manifeste_interrompu(contenu)
        except ErreurEcriture:
            pass
        raise
    except BaseException:
        sorties.abandonner()
        raise
    rapport.duree = time.perf_counter() - debut
    return rapport


def _compter(rapport: Rapport, res: ResultatBloc) -> None:
    rapport.erreurs += len(res.rejets)
    rapport.rejetes += res.lignes_rejetees
    rapport.decides += res.decisions.num_rows
    rapport.chemin_ligne += res.chemin_ligne
    rapport.preorientation.update(res.preorientation)
    for nom, compteur in (("modalite", rapport.par_modalite), ("parcours", rapport.par_parcours),
                          ("origine_parcours", rapport.par_origine)):
        vc = pc.value_counts(res.decisions.column(nom).combine_chunks()).to_pylist()
        for x in vc:
            compteur[x["values"] or ""] += x["counts"]


class _Empreinte:
    """SHA-256 of the input, updated by the process reading it; a dedicated reader gives its digest (:attr:`lue`)."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.lue: Optional[str] = None

    def update(self, octets: bytes) -> None:
        self._h.update(octets)

    def hexdigest(self) -> str:
        return self.lue if self.lue is not None else self._h.hexdigest()


_ETAT: Optional[tuple[Source, Contexte, Optional[Path], int]] = None  # what forked workers read (set before forking)


def _bloc(source: Source, ctx: Contexte, tache: tuple[Any, ...]) -> ResultatBloc:
    """Read and decide one block; its rejects (reading, then fields) sorted by line."""
    lu = lire_bloc(source, tache)
    table = lu.table
    if source.format == "xml" and table.num_rows:  # the département the flux gives, else the run's
        table = table.set_column(table.column_names.index("departement"), "departement",
                                 pc.fill_null(table.column("departement"), ctx.departement))
    if table.num_rows:
        res = traiter_bloc(ctx, table, lu.lignes, lu.bruts, source.avec_departement)
    else:
        res = ResultatBloc(_SCHEMA_DECISIONS.empty_table(), [], [], 0, 0)
    rejets = sorted(lu.rejets + res.rejets, key=lambda r: r.ligne)
    nb_rejetees = len({r.ligne for r in rejets})
    if lu.positions:  # XML: where each refused row is (record, start-tag line)
        rejets = [replace(r, enregistrement=lu.positions[r.ligne][0], ligne_balise=lu.positions[r.ligne][1])
                  if r.ligne in lu.positions else r for r in rejets]
    return ResultatBloc(res.decisions, res.explications, rejets, nb_rejetees, res.chemin_ligne,
                        lu.colonnes_ignorees, res.preorientation)


def _travail(tache: tuple[Any, ...]) -> tuple[bytes, bytes, list[Rejet], int, int, list[str], Counter]:
    """Worker: read and decide one block, return the decisions as Arrow IPC bytes, the explanations as a file."""
    assert _ETAT is not None
    source, ctx, explications, parent = _ETAT
    res = _bloc(source, ctx, tache)
    puits = pa.BufferOutputStream()
    with pa.ipc.new_stream(puits, _SCHEMA_DECISIONS) as w:
        w.write_table(res.decisions)
    partie = b""
    if res.explications and explications is not None:
        # the worker writes its own part; the parent appends it (kernel copy), no pipe transfer
        chemin = chemin_partie(explications, parent, tache[0])
        chemin.write_bytes(("\n".join(res.explications) + "\n").encode("utf-8"))
        partie = str(chemin).encode()
    return (puits.getvalue().to_pybytes(), partie, res.rejets, res.lignes_rejetees, res.chemin_ligne,
            res.colonnes_ignorees, res.preorientation)


class _Partie(bytes):
    """Path of an explanation part file written by a worker."""


def _ajouter_partie(f: Any, chemin: str, empreinte: Any) -> None:
    """Append a worker's part (kernel copy), hashing it on the way (from the page cache)."""
    with open(chemin, "rb") as src:
        taille = os.fstat(src.fileno()).st_size
        while bloc := src.read(1 << 24):
            empreinte.update(bloc)
        src.seek(0)
        f.flush()
        copie = 0
        try:
            while copie < taille:
                k = os.copy_file_range(src.fileno(), f.fileno(), taille - copie)
                if k <= 0:
                    break
                copie += k
        except (AttributeError, OSError):
            pass
        if copie < taille:
            src.seek(copie)
            while bloc := src.read(1 << 24):
                f.write(bloc)
    os.unlink(chemin)


def _resultats(source: Source, ctx: Contexte, taches: Iterable[tuple[Any, ...]], processus: Optional[int],
               explications: Optional[Path] = None, empreinte: Optional[_Empreinte] = None
               ) -> Iterable[ResultatBloc]:
    """Results of the blocks, in order: in this process, or by forked workers (2 cores: about 1.8x).

    Tasks are small (byte ranges; a record batch for Parquet) and at most two per worker are in
    flight, so the parent holds a bounded number of blocks whatever the file size.  An XML flux's
    tasks carry their rows, parsed by a dedicated reader process
    (:class:`~orientation.flux.lecteur_dedie.LecteurDedie`) ahead of the workers; it hashes the
    file (``empreinte``) as it reads.
    """
    import multiprocessing
    from collections import deque
    from itertools import chain, islice

    if processus is None:
        processus = min(4, os.cpu_count() or 1)
    fork = "fork" in multiprocessing.get_all_start_methods()
    global _ETAT
    lecteur: Optional[LecteurDedie] = None
    try:
        with aux_points_surs():  # a signal while forking the reader or waiting for it: noted, raised by verifier()
            if source.format == "xml" and processus > 1 and fork:
                lecteur = LecteurDedie(taches, (lambda: None) if empreinte is None else empreinte.hexdigest,
                                       str(source.chemin))
                taches = iter(lecteur)
            taches = iter(taches)
            premieres = list(islice(taches, 2))
        verifier()
        if processus <= 1 or len(premieres) < 2 or not fork:
            for tache in chain(premieres, taches):
                yield _bloc(source, ctx, tache)
            return
        _ETAT = (source, ctx, explications, os.getpid())
        # a signal must not unwind the pool's code at any point (its locks, queues): noted, then raised
        # between blocks, where leaving the pool stops the workers cleanly
        with aux_points_surs(), \
                multiprocessing.get_context("fork").Pool(processus, initialiser_travailleur, (os.getpid(),)) as pool:
            en_cours: deque[Any] = deque()

            def recevoir() -> ResultatBloc:
                tache = en_cours.popleft()
                while not tache.ready():
                    tache.wait(0.05)
                    verifier()
                donnees, partie, rejets, nb_rejetees, chemin_ligne, ignorees, accord = tache.get()
                decisions = pa.ipc.open_stream(donnees).read_all()
                return ResultatBloc(decisions, _Partie(partie) if partie else [],  # type: ignore[arg-type]
                                    rejets, nb_rejetees, chemin_ligne, ignorees, accord)

            for tache in chain(premieres, taches):
                en_cours.append(pool.apply_async(_travail, (tache,)))
                if len(en_cours) >= 2 * processus:
                    yield recevoir()
            while en_cours:
                yield recevoir()
    finally:
        _ETAT = None
        if lecteur is not None:
            lecteur.fermer()
            if empreinte is not None and lecteur.fin is not None:
                empreinte.lue = lecteur.fin


class _Progression:
    """rich progress bar (French label), silent when disabled; ``total`` may be an estimate (text formats)."""

    def __init__(self, actif: bool, total: Optional[int]):
        self.actif = actif and total != 0
        self.total = total

    def __enter__(self) -> "_Progression":
        if self.actif:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.p = Progress(TextColumn("[bold]Orientation des dossiers"), BarColumn(), MofNCompleteColumn(),
                              TextColumn("dossiers"), TimeRemainingColumn(), console=Console(stderr=True),
                              transient=False)
            self.p.__enter__()
            self.t = self.p.add_task("lot", total=self.total)
        return self

    def avancer(self, k: int) -> None:
        if self.actif:
            self.p.advance(self.t, k)

    def __exit__(self, *exc: Any) -> None:
        if self.actif:
            # an estimated total (text formats) becomes the exact count at the end
            self.p.update(self.t, total=self.p.tasks[0].completed)
            self.p.__exit__(*exc)


def orienter_table(table: pa.Table | dict[str, Iterable[Any]], departement: str, referentiel: Any = None,
                   modele: Any = None, explications: bool = False, lignes: Optional[np.ndarray] = None
                   ) -> ResultatBloc:
    """In-memory bulk orientation of string cells (pyarrow Table or ``{column: cells}``).

    ``referentiel`` defaults to the département's rules, ``modele`` to the default model
    (``False``: rules only).  Line numbers default to 2, 3... (as in a CSV file with a header).
    Unknown columns are ignored.
    """
    from orientation.regles.referentiel import Referentiel

    if not isinstance(table, pa.Table):
        table = pa.table({k: pa.array([None if v is None else str(v) for v in vals], pa.string())
                          for k, vals in table.items()})
    table = table.select([k for k in table.column_names if k in CLES])
    ref = referentiel or Referentiel.charger(departement)
    if modele is None:
        from orientation.modele.modele import charger_modele_defaut

        modele = charger_modele_defaut()
    ctx = Contexte(departement, ref, modele or None, explications)
    if lignes is None:
        lignes = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return traiter_bloc(ctx, table, lignes)


__all__ = ["Rapport", "ResultatBloc", "chemin_rejets_defaut", "enregistrement_de_ligne", "orienter_table",
           "traiter_bloc", "traiter_fichier"]
