"""The ``orientation indicateurs`` command: events → HTML report (+ CSV table, + rejects file).

Registered by :func:`enregistrer` from :mod:`orientation.cli`.  Exit codes are those of every
command (:class:`~orientation.erreurs.CodeSortie`): 2 for options, an unreadable events file, an unusable
database (unreachable, not migrated, no dossier of the département) or refused output paths; 3 when an
output cannot be written (nothing is published: outputs are written to hidden partial files renamed at
the end).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orientation.erreurs import CodeSortie, OrientationError
from orientation.fichiers import publier

if TYPE_CHECKING:
    from orientation.pilotage.evenements import LectureEvenements

#: Breakdowns of ``--par`` (the same as :data:`orientation.pilotage.calcul.DIMENSIONS`, checked by the tests;
#: repeated here so that building the command line does not import the computation).
DIMENSIONS = ("mois", "structure", "parcours")


class OptionInvalide(OrientationError, ValueError):
    """An option of ``orientation indicateurs`` is invalid (French message naming it)."""


def enregistrer(sub: Any) -> None:
    """Add the ``indicateurs`` subcommand to the ``orientation`` parser's subparsers."""
    p = sub.add_parser("indicateurs", help="rapport des indicateurs de la convention (HTML, CSV) depuis les événements")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--depuis", metavar="FICHIER", help="fichier d'événements CSV, une ligne par personne "
                                                            "(contrat : README, « Indicateurs de la convention »)")
    source.add_argument("--base", metavar="URL", help="base de données de l'espace référent (adresse SQLAlchemy) ; "
                                                      "avec --departement")
    p.add_argument("--departement", metavar="CODE", help="département lu dans la base (obligatoire avec --base)")
    p.add_argument("--evenements", metavar="FICHIER.csv",
                   help="avec --base : écrit aussi les événements lus au format du fichier d'événements (--depuis), "
                        "avec en première ligne la couverture de la saisie (#saisie_complete_depuis), à compléter "
                        "des dates que la base n'enregistre pas (données personnelles)")
    p.add_argument("--periode", required=True, metavar="AAAA-MM:AAAA-MM", help="mois de début et de fin inclus")
    p.add_argument("--arret", metavar="AAAA-MM-JJ",
                   help="date d'arrêt des données (date d'extraction) ; défaut : dernier jour de la période")
    p.add_argument("--sortie", required=True, metavar="RAPPORT.html", help="rapport HTML autonome")
    p.add_argument("--csv", metavar="FICHIER.csv", help="tableau des indicateurs en CSV")
    p.add_argument("--par", default="mois", metavar="VENTILATION",
                   help="ventilation, séparée par des virgules : mois, structure, parcours (défaut : mois ; "
                        "« aucune » : la période entière seulement)")
    p.add_argument("--rejets", metavar="FICHIER.csv",
                   help="fichier CSV des lignes rejetées (ligne, champ, valeur, raison)")
    p.set_defaults(func=executer)


def ventilation(texte: str) -> tuple[str, ...]:
    """``"mois,structure"`` → ``("mois", "structure")``; ``"aucune"`` → ``()``."""
    noms = [x.strip() for x in texte.split(",") if x.strip()]
    if noms == ["aucune"]:
        return ()
    inconnus = [n for n in noms if n not in DIMENSIONS]
    if inconnus or len(set(noms)) != len(noms):
        raise OptionInvalide(f"option --par, valeur {texte!r} : ventilations possibles : " + ", ".join(DIMENSIONS)
                             + " (chacune une fois), ou « aucune »")
    return tuple(noms)


def _verifier_chemins(entree: Path | None, sorties: list[Path]) -> None:
    vus: list[Path] = []
    for s in sorties:
        if s.is_dir():
            raise OptionInvalide(f"sortie {s} : c'est un répertoire")
        r = s.resolve()
        if entree is not None and (r == entree.resolve() or (s.exists() and entree.exists() and s.samefile(entree))):
            raise OptionInvalide(f"sortie {s} : c'est le fichier d'événements lu, il serait écrasé")
        if r in vus:
            raise OptionInvalide(f"sortie {s} : demandée deux fois")
        vus.append(r)


def _texte_rejets(lecture: "LectureEvenements") -> str:
    tampon = io.StringIO()
    w = csv.writer(tampon, lineterminator="\n")
    w.writerow(["ligne", "champ", "valeur", "raison"])
    w.writerows([r.ligne, r.champ, r.valeur, r.raison] for r in lecture.rejets)
    return tampon.getvalue()


def executer(args: argparse.Namespace) -> int:
    from orientation.pilotage.periode import Periode
    from orientation.pilotage.rapport import html, preparer
    from orientation.pilotage.evenements import texte_evenements
    from orientation.pilotage.sources import SourceEvenements, SourceFichier, source_base
    from orientation.pilotage.tableau import texte_csv
    from orientation.fichiers import cause_os

    par = ventilation(args.par)
    periode = Periode.depuis_texte(args.periode, args.arret)
    if args.depuis and (args.departement or args.evenements):
        raise OptionInvalide("options --departement et --evenements : seulement avec --base (le fichier "
                             "d'événements est déjà celui d'un département)")
    source: SourceEvenements = (source_base(args.base, args.departement) if args.base
                                else SourceFichier(Path(args.depuis)))
    sorties = {"rapport": Path(args.sortie), "csv": Path(args.csv) if args.csv else None,
               "rejets": Path(args.rejets) if args.rejets else None,
               "evenements": Path(args.evenements) if args.evenements else None}
    _verifier_chemins(Path(args.depuis) if args.depuis else None, [p for p in sorties.values() if p is not None])
    lecture = source.lire()
    rapport = preparer(lecture, source.description, periode, par)
    textes = {sorties["rapport"]: html(rapport)}
    if sorties["csv"] is not None:
        textes[sorties["csv"]] = texte_csv(rapport.lignes)
    if sorties["rejets"] is not None:
        textes[sorties["rejets"]] = _texte_rejets(lecture)
    if sorties["evenements"] is not None:
        textes[sorties["evenements"]] = texte_evenements(lecture.personnes, lecture.saisie_depuis,
                                                         lecture.non_enregistres)
    try:
        publier(textes)
    except OSError as exc:
        print(f"Erreur : écriture impossible de {exc.filename or 'la sortie'} : {cause_os(exc)} ; rien n'est publié.",
              file=sys.stderr)
        return CodeSortie.ecriture_impossible
    rejetees = lecture.lignes_rejetees
    unite = "dossier(s)" if lecture.unite == "dossier" else "ligne(s)"
    accord = "" if lecture.unite == "dossier" else "e"
    print(f"Rapport des indicateurs écrit dans {sorties['rapport']}"
          + (f", tableau dans {sorties['csv']}" if sorties["csv"] else "")
          + (f", événements dans {sorties['evenements']}" if sorties["evenements"] else "")
          + f" : {lecture.lignes_lues} {unite} lu{accord}(s), {len(lecture.personnes)} personne(s) retenue(s), "
          f"{rejetees} {unite} rejeté{accord}(s)"
          + (f" (détail dans {sorties['rejets']})" if rejetees and sorties["rejets"] else
             " (voir le rapport ; --rejets pour le détail)" if rejetees else "") + ".")
    return CodeSortie.succes
