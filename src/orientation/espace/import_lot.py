"""Import of the output of ``orientation lot`` into the workspace's database, without recomputing anything.

``orientation importer flux.csv --departement 93 --decisions decisions.csv [--explications explications.jsonl]``
stores the recommendations the bulk run recorded, as they are, each with its flux row (read with the same
readers as the run) and its explanation line.  Before anything is written, the run's manifest
(``<decisions stem>.manifeste.json``, :func:`~orientation.flux.sorties.chemin_manifeste`) must say that:

* the run completed (``etat`` « complet ») for the same département;
* the flux given is the one it read, and ``decisions.csv`` (and the explanations) are the ones it wrote
  (SHA-256 of each file);
* its rules and model versions are the ones named for the import (``--regles``/``--modele`` or their
  defaults): the explanation card, the deciding rule and the exports then speak of the rules that decided.

Then every row of ``decisions.csv`` (in flux line order, as the run writes them) must name a line of the flux
that was read, with the same identifier, and each explanation line the same line and identifier.  Any
mismatch stops the import with a French error naming the file, its line and the reason; the blocks already
imported were checked row by row, and importing again is idempotent (same rules as a flux import:
:func:`~orientation.espace.importation.enregistrer_bloc`).  Flux rows without a decision (rejected by the run)
are counted as rejected.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from orientation.erreurs import OrientationError
from orientation.espace.importation import REJETS_GARDES, TAILLE_LOT, RapportImport, enregistrer_bloc
from orientation.flux.bloc import Rejet


class LotInvalide(OrientationError, ValueError):
    """The files of a run do not match (each other, the flux, or the rules and model named): French message."""


@dataclass(frozen=True)
class VersionsNommees:
    """The rules and model named for the import, compared with the run's manifest."""

    regles: str
    modele: Optional[str]  # "nom@version", None: no model
    modele_sha256: Optional[str]


def _manifeste(decisions: Path) -> tuple[Path, dict[str, Any]]:
    from orientation.flux.sorties import chemin_manifeste

    chemin = chemin_manifeste(decisions)
    try:
        contenu = json.loads(chemin.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LotInvalide(f"{chemin} : manifeste introuvable ; il est écrit par orientation lot à côté de "
                          f"{decisions.name} et doit l'accompagner") from None
    except (OSError, ValueError) as exc:
        raise LotInvalide(f"{chemin} : manifeste illisible ({exc.__class__.__name__})") from None
    if not isinstance(contenu, dict) or not str(contenu.get("format", "")).startswith("orientation-lot-manifeste/"):
        raise LotInvalide(f"{chemin} : ce n'est pas un manifeste d'orientation lot (champ « format » absent)")
    return chemin, contenu


def verifier_lot(flux: Path, decisions: Path, explications: Optional[Path], departement: str,
                 versions: VersionsNommees) -> dict[str, Any]:
    """Check the run's manifest against the files and the versions named; the manifest (raises :class:`LotInvalide`)."""
    from orientation.flux.sorties import sha256

    chemin, m = _manifeste(decisions)
    if m.get("etat") != "complet":
        raise LotInvalide(f"{chemin} : traitement à l'état « {m.get('etat')} » (attendu « complet ») : ses sorties "
                          "ne sont pas importables")
    dep = (m.get("options") or {}).get("departement")
    if dep != departement:
        raise LotInvalide(f"{chemin} : le traitement a été fait pour le département « {dep} », l'import est demandé "
                          f"pour « {departement} »")
    sorties = m.get("sorties") or {}
    attendus = [(flux, (m.get("flux") or {}).get("sha256"), "le flux lu par le traitement")]
    attendus.append((decisions, (sorties.get("decisions") or {}).get("sha256"), "les décisions écrites par le "
                                                                                 "traitement"))
    if explications is not None:
        if "explications" not in sorties:
            raise LotInvalide(f"{explications} : le traitement n'a pas écrit d'explications (voir {chemin}) ; "
                              "importer sans --explications")
        attendus.append((explications, sorties["explications"].get("sha256"), "les explications écrites par le "
                                                                               "traitement"))
    for fichier, empreinte, quoi in attendus:
        try:
            reelle = sha256(fichier)
        except OSError as exc:
            raise LotInvalide(f"{fichier} : lecture impossible ({exc.strerror or exc.__class__.__name__})") from None
        if reelle != empreinte:
            raise LotInvalide(f"{fichier} : ce fichier n'est pas {quoi} (empreinte SHA-256 différente de celle "
                              f"du manifeste {chemin})")
    v = m.get("versions") or {}
    if v.get("regles") != versions.regles:
        raise LotInvalide(f"{chemin} : le traitement a utilisé les règles de version « {v.get('regles')} », les règles "
                          f"nommées pour l'import sont en version « {versions.regles} » (indiquer --regles)")
    if (v.get("modele"), v.get("modele_sha256")) != (versions.modele, versions.modele_sha256):
        quoi = (" (même nom, contenu différent : empreinte SHA-256)" if versions.modele == v.get("modele")
                else " (indiquer --modele, ou --sans-modele si le traitement n'en avait pas)")
        raise LotInvalide(f"{chemin} : le traitement a utilisé le modèle « {v.get('modele') or 'aucun'} », le modèle "
                          f"nommé pour l'import est « {versions.modele or 'aucun'} »{quoi}")
    return m


class _Decisions:
    """``decisions.csv`` read whole (Arrow, the run's column types), consumed in flux line order."""

    def __init__(self, chemin: Path, manifeste: dict[str, Any]):
        import pyarrow as pa
        import pyarrow.csv as pcsv

        from orientation.flux.decisions import _SCHEMA_DECISIONS, COLONNES_DECISIONS

        self.chemin = chemin
        try:
            with chemin.open(encoding="utf-8", newline="") as f:
                entete = next(csv.reader(f), [])
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise LotInvalide(f"{chemin} : lecture impossible ({exc.__class__.__name__})") from None
        if tuple(entete) != COLONNES_DECISIONS:
            manque = [c for c in COLONNES_DECISIONS if c not in entete]
            raise LotInvalide(f"{chemin}, ligne 1 : en-tête différent de celui d'orientation lot"
                              + (f" (colonnes absentes : {', '.join(manque)})" if manque else ""))
        try:
            self.table = pcsv.read_csv(chemin, convert_options=pcsv.ConvertOptions(
                column_types=_SCHEMA_DECISIONS, strings_can_be_null=True))
        except (pa.ArrowInvalid, OSError) as exc:
            raise LotInvalide(f"{chemin} : illisible comme sortie d'orientation lot ({str(exc).splitlines()[0][:160]})"
                              ) from None
        self.lignes = self.table.column("ligne").to_numpy(zero_copy_only=False)
        if self.table.num_rows != manifeste.get("decidees"):
            raise LotInvalide(f"{chemin} : {self.table.num_rows} décision(s), le manifeste en annonce "
                              f"{manifeste.get('decidees')}")
        desordre = np.flatnonzero(np.diff(self.lignes) <= 0)
        if desordre.size:
            i = int(desordre[0]) + 1
            raise LotInvalide(f"{chemin}, ligne {i + 2} : ligne du flux {self.lignes[i]} après la ligne "
                              f"{self.lignes[i - 1]} (attendu l'ordre du flux, sans doublon)")
        self.suivante = 0

    def jusqua(self, derniere: int) -> tuple[int, list[dict[str, Any]]]:
        """The rows naming flux lines up to ``derniere`` (index of the first one, rows)."""
        debut = self.suivante
        self.suivante = int(np.searchsorted(self.lignes, derniere, side="right"))
        return debut, self.table.slice(debut, self.suivante - debut).to_pylist()


def _explications(chemin: Optional[Path]) -> Iterator[tuple[int, Optional[dict[str, Any]]]]:
    """(line number, parsed line) of the explanations file; endless ``(0, None)`` without one."""
    if chemin is None:
        while True:
            yield 0, None
    with chemin.open(encoding="utf-8") as f:
        for n, texte in enumerate(f, 1):
            try:
                yield n, json.loads(texte)
            except ValueError:
                raise LotInvalide(f"{chemin}, ligne {n} : JSON illisible") from None
    while True:
        yield -1, None  # past the end


def importer_lot(sessions: sessionmaker[Session], flux: Path | str, decisions: Path | str,
                 explications: Optional[Path | str], departement: str, referentiel: Any, modele: Any,
                 encodage: Optional[str] = None, taille_lot: int = TAILLE_LOT,
                 avancer: Optional[Callable[[int], None]] = None,
                 rapport: Optional[RapportImport] = None) -> RapportImport:
    """Import the output of ``orientation lot`` (see the module's documentation); the report of the import.

    The flux is read with the encoding the run used (its manifest); ``encodage``, when given, must be that one.
    ``avancer`` and ``rapport``: as for :func:`~orientation.espace.importation.importer_flux`.
    """
    import codecs

    from orientation.flux.lecture import lire_bloc, ouvrir_flux

    flux, decisions = Path(flux), Path(decisions)
    explications = None if explications is None else Path(explications)
    versions = VersionsNommees(referentiel.version, None if modele is None else f"{modele.nom}@{modele.version}",
                               None if modele is None else modele.sha256)
    manifeste = verifier_lot(flux, decisions, explications, departement, versions)
    table = _Decisions(decisions, manifeste)
    lignes_expl = _explications(explications)
    du_lot = (manifeste.get("flux") or {}).get("encodage") or "utf-8"
    try:
        differe = encodage is not None and codecs.lookup(encodage).name != codecs.lookup(du_lot).name
    except LookupError:
        differe = True
    if differe:
        raise LotInvalide(f"--encodage « {encodage} » : le traitement a lu le flux {flux.name} en « {du_lot} » "
                          "(retirer --encodage)")
    source = ouvrir_flux(flux, du_lot)
    regles = {r.id: r for r in referentiel.toutes_regles()}
    ids_grille = frozenset(ligne.id for g in referentiel.grilles for ligne in g.lignes)
    rapport = RapportImport(departement) if rapport is None else rapport
    for tache in source.blocs(taille_lot):
        lu = lire_bloc(source, tache)
        cellules = dict(zip(lu.lignes.tolist(), lu.table.to_pylist()))
        lues = {r.ligne: r for r in lu.rejets}
        derniere = max([*cellules, *lues], default=0)
        debut, decs = table.jusqua(derniere)
        expls = []
        for k, dec in enumerate(decs):
            ou = f"{decisions}, ligne {debut + k + 2}"
            cel = cellules.get(dec["ligne"])
            if cel is None:
                raison = ("rejetée à la lecture" if dec["ligne"] in lues else "absente du flux")
                raise LotInvalide(f"{ou} : décision pour la ligne {dec['ligne']} du flux {flux.name}, {raison}")
            if str(cel.get("identifiant") or "").strip() != str(dec["identifiant"] or "").strip():
                raise LotInvalide(f"{ou} : identifiant « {dec['identifiant']} », la ligne {dec['ligne']} du flux "
                                  f"{flux.name} porte « {cel.get('identifiant')} »")
            n, e = next(lignes_expl)
            if explications is not None:
                if e is None:
                    raise LotInvalide(f"{explications} : se termine avant la décision de la ligne {dec['ligne']} "
                                      f"du flux ({ou})")
                ident = (e.get("decision") or {}).get("identifiant") if isinstance(e, dict) else None
                if not isinstance(e, dict) or e.get("ligne") != dec["ligne"] or ident != dec["identifiant"]:
                    raise LotInvalide(f"{explications}, ligne {n} : explication de la ligne "
                                      f"{e.get('ligne') if isinstance(e, dict) else '?'} ({ident}), attendu la "
                                      f"ligne {dec['ligne']} ({dec['identifiant']}) comme {ou}")
            expls.append(e or {})
        if decs:
            with sessions() as session:
                enregistrer_bloc(session, rapport, departement, decs, expls, cellules, regles, ids_grille)
        decidees = {d["ligne"] for d in decs}
        sans = sorted(set(cellules) - decidees)
        rejets = sorted(lu.rejets, key=lambda r: r.ligne) + [
            Rejet(x, str(cellules[x].get("identifiant") or ""), "decision", "aucune", "ligne sans décision dans "
                  f"{decisions.name} : rejetée par orientation lot (champ et raison dans son fichier de rejets)")
            for x in sans]
        rapport.rejetees += len(lues) + len(sans)
        rapport.lignes += len(decs) + len(lues) + len(sans)
        place = REJETS_GARDES - len(rapport.rejets)
        if place > 0:
            rapport.rejets.extend(sorted(rejets, key=lambda r: r.ligne)[:place])
        if avancer is not None:
            avancer(len(decs) + len(lues) + len(sans))
    if table.suivante < table.table.num_rows:
        i = table.suivante
        raise LotInvalide(f"{decisions}, ligne {i + 2} : décision pour la ligne {table.lignes[i]} du flux, absente "
                          f"de {flux.name}")
    if explications is not None and next(lignes_expl)[1] is not None:
        raise LotInvalide(f"{explications} : plus de lignes que de décisions dans {decisions.name}")
    return rapport


__all__ = ["LotInvalide", "VersionsNommees", "importer_lot", "verifier_lot"]
