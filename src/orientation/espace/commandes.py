"""Commands of the workspace: ``orientation importer``, ``utilisateurs ajouter|lister|desactiver``, ``purger``,
``exporter`` (French output; errors are :class:`~orientation.erreurs.OrientationError` with exit code 2).

A password is never given on the command line (it would stay in the shell history): ``utilisateurs
ajouter`` draws one and prints it once, or reads it from standard input with ``--mot-de-passe-stdin``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

#: Environment variable: retention period in days used by ``purger`` without ``--avant``.
VARIABLE_CONSERVATION = "ORIENTATION_CONSERVATION_JOURS"


def _base(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", metavar="URL", help="base de données du service (défaut : $ORIENTATION_BASE, sinon "
                                                 "orientation.sqlite3 du dossier courant)")


def _sessions(args: argparse.Namespace) -> Any:
    from orientation.stockage.migrations import verifier_a_jour
    from orientation.stockage.moteur import creer_moteur, fabrique_sessions

    moteur = creer_moteur(args.base)
    verifier_a_jour(moteur)
    return fabrique_sessions(moteur)


def _cmd_importer(args: argparse.Namespace) -> int:
    from orientation.donnees import chemin_modele
    from orientation.erreurs import ConfigurationInvalide
    from orientation.espace.importation import importer_flux
    from orientation.orientateur import Orientateur

    from orientation.espace.import_lot import importer_lot

    if args.explications and not args.decisions:
        raise ConfigurationInvalide("--explications s'utilise avec --decisions (sorties d'orientation lot)")
    sessions = _sessions(args)
    modele = False if args.sans_modele else (chemin_modele(args.modele) if args.modele else None)
    o = Orientateur.charger(args.regles, modele)
    ref, mod = o.referentiel(args.departement), o.modele
    if args.decisions:  # the run's recommendations, stored as they are
        def importer(avancer: Any = None) -> Any:
            return importer_lot(sessions, Path(args.flux), Path(args.decisions),
                                Path(args.explications) if args.explications else None, args.departement, ref, mod,
                                args.encodage, avancer=avancer)
    else:
        def importer(avancer: Any = None) -> Any:
            return importer_flux(sessions, Path(args.flux), args.departement, ref, mod, args.encodage or "utf-8",
                                 avancer=avancer)
    if args.silencieux:
        rapport = importer()
    else:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("[bold]Import des dossiers"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("lignes"), console=Console(stderr=True)) as barre:
            tache = barre.add_task("import", total=None)
            rapport = importer(lambda n: barre.advance(tache, n))
    with sessions() as db:
        from orientation.espace.journal import journaliser

        journaliser(db, "orientation importer", "import", args.departement,
                    detail=f"{rapport.crees} ajouté(s), {rapport.mis_a_jour} mis à jour, {rapport.rejetees} rejetée(s)")
        db.commit()
    print(rapport.resume())
    return 0


def _cmd_ajouter(args: argparse.Namespace) -> int:
    from orientation.espace.comptes import ajouter_utilisateur, generer_mot_de_passe

    genere = not args.mot_de_passe_stdin
    mot_de_passe = generer_mot_de_passe() if genere else sys.stdin.readline().rstrip("\r\n")
    with _sessions(args)() as db:
        u = ajouter_utilisateur(db, args.courriel, args.role, args.departement, mot_de_passe, args.habilite_validation)
    print(f"Compte « {u.courriel} » créé (rôle {u.role}, département {u.departement}"
          + (", habilité à valider les orientations directes en lot" if u.habilite_validation else "") + ").")
    if genere:
        print("Mot de passe (affiché une seule fois, à transmettre par un canal sûr) :")
        print(mot_de_passe)
    return 0


def _cmd_lister(args: argparse.Namespace) -> int:
    from orientation.espace.comptes import lister_utilisateurs

    with _sessions(args)() as db:
        comptes = lister_utilisateurs(db)
    if not comptes:
        print("Aucun compte (orientation utilisateurs ajouter --courriel … --role referent --departement 93).")
    for u in comptes:
        etat = "actif" if u.actif else f"désactivé le {u.desactive_le:%d/%m/%Y}"
        print(f"{u.courriel:<40} {u.role:<15} {u.departement:<4} {'validation en lot' if u.habilite_validation else '':<18} "
              f"{etat}")
    return 0


def _cmd_desactiver(args: argparse.Namespace) -> int:
    from orientation.espace.comptes import desactiver_utilisateur

    with _sessions(args)() as db:
        u = desactiver_utilisateur(db, args.courriel)
    print(f"Compte « {u.courriel} » désactivé : ses sessions sont fermées, ses décisions gardent son nom.")
    return 0


def _cmd_purger(args: argparse.Namespace) -> int:
    import os

    from orientation.erreurs import ConfigurationInvalide
    from orientation.espace.purge import purger

    if args.avant:
        try:
            avant = date.fromisoformat(args.avant)
        except ValueError:
            raise ConfigurationInvalide(f"--avant « {args.avant[:20]} » : date attendue AAAA-MM-JJ") from None
    else:
        jours = args.conservation or os.environ.get(VARIABLE_CONSERVATION)
        if not jours or not str(jours).isdigit():
            raise ConfigurationInvalide(f"indiquer --avant AAAA-MM-JJ ou --conservation JOURS (ou "
                                        f"${VARIABLE_CONSERVATION}) : durée de conservation des dossiers")
        avant = date.today() - timedelta(days=int(jours))
    fabrique = _sessions(args)
    with fabrique() as db:
        n = purger(db, avant, args.departement)
    print(f"{n} dossier(s) demandé(s) avant le {avant:%d/%m/%Y} supprimé(s) avec leurs décisions, suivis et explications ; "
          "comptes anonymes conservés (table compteurs_purges).")
    from orientation.service.lots import expirer_lots  # the HTTP service's bulk jobs: their own retention
    from orientation.service.parametres import Parametres

    p = Parametres(dossier_lots=args.dossier_lots)
    k = expirer_lots(fabrique, p.chemin_lots.resolve(), p.lots_conservation_jours)
    print(f"{k} lot(s) du service terminé(s) depuis plus de {p.lots_conservation_jours} jour(s) : fichiers supprimés "
          f"({p.chemin_lots}), effectifs conservés.")
    return 0


def _cmd_exporter(args: argparse.Namespace) -> int:
    from orientation.espace.exports import lignes_decisions, lignes_etiquetees
    from orientation.espace.journal import journaliser

    producteur = {"decisions": lignes_decisions, "etiquete": lignes_etiquetees}[args.quoi]
    sessions = _sessions(args)
    sortie = Path(args.sortie)
    with sessions() as db, sortie.open("w", encoding="utf-8", newline="") as f:
        for morceau in producteur(db, args.departement):
            f.write(morceau)
        journaliser(db, "orientation exporter", "export", args.departement, detail=args.quoi)
        db.commit()
    print(f"Export « {args.quoi} » du département {args.departement} écrit dans {sortie}.")
    return 0


def enregistrer(sub: Any) -> None:
    """Add ``importer``, ``utilisateurs``, ``purger`` and ``exporter`` to the main parser's subcommands."""
    from orientation.stockage.espace import ROLES

    i = sub.add_parser("importer", help="importer un flux dans l'espace référent (dossiers, recommandations, "
                                        "explications), ou les sorties d'orientation lot pour ce flux")
    i.add_argument("flux", help="flux CAF (CSV, JSON Lines ou Parquet, codes CNAF)")
    i.add_argument("--departement", required=True)
    i.add_argument("--encodage", help="utf-8 (défaut), windows-1252 ou latin-1 ; avec --decisions : celui du "
                                      "traitement (manifeste)")
    i.add_argument("--decisions", metavar="DECISIONS_CSV",
                   help="sortie d'orientation lot pour ce flux : ses recommandations sont importées telles quelles "
                        "(sans recalcul), après contrôle du manifeste <decisions>.manifeste.json (mêmes fichiers, "
                        "mêmes versions des règles et du modèle)")
    i.add_argument("--explications", metavar="EXPLICATIONS_JSONL",
                   help="avec --decisions : les explications écrites par le même traitement")
    i.add_argument("--regles", help="dossier des règles (défaut : $ORIENTATION_REGLES, sinon règles livrées)")
    i.add_argument("--modele", help="dossier d'un modèle entraîné, ou « demo » (SYNTHÉTIQUE) ; défaut : "
                                    "$ORIENTATION_MODELE, sinon aucun")
    i.add_argument("--sans-modele", action="store_true", help="n'utiliser que les règles")
    i.add_argument("--silencieux", action="store_true", help="sans barre de progression")
    _base(i)
    i.set_defaults(func=_cmd_importer)

    u = sub.add_parser("utilisateurs", help="comptes de l'espace référent")
    us = u.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = us.add_parser("ajouter", help="créer un compte (mot de passe tiré au hasard et affiché une fois)")
    a.add_argument("--courriel", required=True)
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--departement", required=True)
    a.add_argument("--habilite-validation", action="store_true",
                   help="référent habilité à valider en lot les orientations directes proposées")
    a.add_argument("--mot-de-passe-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    _base(a)
    a.set_defaults(func=_cmd_ajouter)
    li = us.add_parser("lister", help="lister les comptes")
    _base(li)
    li.set_defaults(func=_cmd_lister)
    d = us.add_parser("desactiver", help="désactiver un compte")
    d.add_argument("--courriel", required=True)
    _base(d)
    d.set_defaults(func=_cmd_desactiver)

    p = sub.add_parser("purger", help="supprimer les dossiers au-delà de la durée de conservation (comptes anonymes "
                                      "gardés)")
    p.add_argument("--avant", help="supprimer les dossiers dont la demande est antérieure à cette date (AAAA-MM-JJ)")
    p.add_argument("--conservation", help=f"durée de conservation en jours (défaut : ${VARIABLE_CONSERVATION})")
    p.add_argument("--departement", help="un seul département (défaut : tous)")
    p.add_argument("--dossier-lots", help="dossier des lots du service HTTP, purgés aussi (conservation : "
                                          "$ORIENTATION_LOTS_CONSERVATION_JOURS, défaut 30 jours ; défaut : "
                                          "orientation-lots dans le dossier courant)")
    _base(p)
    p.set_defaults(func=_cmd_purger)

    e = sub.add_parser("exporter", help="exporter les décisions des référents (CSV)")
    e.add_argument("quoi", choices=["decisions", "etiquete"],
                   help="decisions : pour le système d'information ; etiquete : pour orientation entrainer")
    e.add_argument("--departement", required=True)
    e.add_argument("--sortie", required=True)
    _base(e)
    e.set_defaults(func=_cmd_exporter)
