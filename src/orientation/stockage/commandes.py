"""Commands ``orientation base migrer`` and ``orientation cles creer|lister|revoquer`` (French output).

Registered on the main parser by :func:`enregistrer` (called from :mod:`orientation.cli`).  Errors are
:class:`~orientation.erreurs.OrientationError` subclasses with French messages: the command line prints
them with exit code 2.  A key is printed once, on standard output, and never again.
"""

from __future__ import annotations

import argparse
from typing import Any


def _option_base(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", metavar="URL",
                   help="base de données (adresse SQLAlchemy ; défaut : $ORIENTATION_BASE, sinon le fichier SQLite "
                        "orientation.sqlite3 du dossier courant)")


def _cmd_migrer(args: argparse.Namespace) -> int:
    from orientation.stockage.migrations import etat, migrer
    from orientation.stockage.moteur import creer_moteur, masquer, url_base

    moteur = creer_moteur(args.base)
    avant = etat(moteur).actuelle
    apres = migrer(moteur)
    url = masquer(url_base(args.base))
    if avant == apres.actuelle:
        print(f"Base {url} déjà à jour (révision {apres.actuelle}).")
    else:
        print(f"Base {url} migrée de la révision {avant or '(vide)'} à la révision {apres.actuelle}.")
    return 0


def _sessions(args: argparse.Namespace) -> Any:
    from orientation.stockage.migrations import verifier_a_jour
    from orientation.stockage.moteur import creer_moteur, fabrique_sessions

    moteur = creer_moteur(args.base)
    verifier_a_jour(moteur)
    return fabrique_sessions(moteur)


def _cmd_cles_creer(args: argparse.Namespace) -> int:
    from orientation.stockage.cles import creer_cle

    with _sessions(args)() as session:
        ligne, cle = creer_cle(session, args.nom, args.departement)
    print(f"Clé « {ligne.nom} » créée (préfixe {ligne.prefixe}, département(s) {', '.join(ligne.departements)}).")
    print("Elle n'est affichée qu'une fois : la transmettre maintenant au système appelant, qui l'envoie dans "
          "l'en-tête « Authorization: Bearer <clé> ».")
    print(cle)
    return 0


def _cmd_cles_lister(args: argparse.Namespace) -> int:
    from orientation.stockage.cles import lister_cles

    with _sessions(args)() as session:
        cles = lister_cles(session)
    if not cles:
        print("Aucune clé (orientation cles creer --nom NOM --departement 93).")
        return 0
    print("préfixe     nom                  départements    créée le (UTC)    état")
    for c in cles:
        etat = f"révoquée le {c.revoquee_le:%d/%m/%Y %H:%M}" if c.revoquee_le else "active"
        print(f"{c.prefixe:<11} {c.nom:<20} {','.join(c.departements):<15} {c.creee_le:%d/%m/%Y %H:%M}  {etat}")
    return 0


def _cmd_cles_revoquer(args: argparse.Namespace) -> int:
    from orientation.stockage.cles import revoquer_cle

    with _sessions(args)() as session:
        ligne = revoquer_cle(session, args.prefixe)
    print(f"Clé {ligne.prefixe} ({ligne.nom}) révoquée : refusée dès la requête suivante par chaque processus du "
          "service (aucun cache des clés).")
    return 0


def enregistrer(sub: Any) -> None:
    """Add ``base`` and ``cles`` to the subcommands ``sub`` of the main parser."""
    b = sub.add_parser("base", help="base de données du service HTTP (clés, lots)")
    bs = b.add_subparsers(dest="action", required=True, metavar="ACTION")
    m = bs.add_parser("migrer", help="créer ou mettre à jour les tables (dernière révision)")
    _option_base(m)
    m.set_defaults(func=_cmd_migrer)

    c = sub.add_parser("cles", help="clés d'API des systèmes appelants du service HTTP")
    cs = c.add_subparsers(dest="action", required=True, metavar="ACTION")
    cr = cs.add_parser("creer", help="créer une clé (affichée une seule fois)")
    cr.add_argument("--nom", required=True, help="nom du système appelant (ex. webrsa), écrit dans les journaux")
    cr.add_argument("--departement", action="append", required=True,
                    help="département autorisé (répéter l'option pour plusieurs)")
    _option_base(cr)
    cr.set_defaults(func=_cmd_cles_creer)
    li = cs.add_parser("lister", help="lister les clés (sans leur secret)")
    _option_base(li)
    li.set_defaults(func=_cmd_cles_lister)
    rv = cs.add_parser("revoquer", help="révoquer une clé")
    rv.add_argument("prefixe", help="préfixe de la clé (colonne « préfixe » de cles lister) ou la clé entière")
    _option_base(rv)
    rv.set_defaults(func=_cmd_cles_revoquer)
