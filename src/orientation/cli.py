"""Command line (French): ``orientation recommander|expliquer|regles|generer|lot|schemas``, the analysts'
commands ``entrainer|modele carte|audit|derive`` (:mod:`orientation.analyse.commandes`) and the convention
indicators ``indicateurs`` (:mod:`orientation.pilotage.commande`).

No Python traceback ever reaches the user: every error is a French message naming the file
and the cause, with these exit codes (also printed by ``orientation --help``):

* 0: success;
* 1: some dossiers of a JSON Lines input could not be answered (each has its error line), or
  rule test cases failed (``regles tester``);
* 2: invalid input: dossier, rules, model, unreadable file, wrong command-line arguments;
* 3: unexpected internal error (reported without traceback; a bug to report);
* 130: interrupted (Ctrl-C).

``recommander`` and ``expliquer`` read one JSON dossier, or JSON Lines (one dossier per line:
``--lignes``, or a ``.jsonl`` / ``.ndjson`` file) and then write one JSON line per dossier, in
input order; a dossier that cannot be answered gets an error line
``{"ligne": n, "identifiant": ..., "erreur": "...", "erreurs": [...]}`` and the others are answered.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from orientation.erreurs import CODES_SORTIE_TEXTE, CodeSortie, OrientationError


#: French for the messages argparse prints (it looks them up through its module-level ``_``).
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choix possibles : %(choices)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "expected one argument": "un argument attendu",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
}
argparse._ = lambda texte: _ARGPARSE_FR.get(texte, texte)  # type: ignore[attr-defined]


class _ErreurFichier(OrientationError):
    """A dossier file is invalid: its name, then the reason."""


def _lire_dossier(chemin: str) -> Any:
    """One dossier from a JSON file (``-``: standard input), readable names or CNAF codes."""
    from orientation.dossier.schema import Dossier
    from orientation.erreurs import DossierInvalide

    octets = sys.stdin.buffer.read() if chemin == "-" else Path(chemin).read_bytes()
    try:
        if Path(chemin).suffix.lower() == ".xml":  # one record of a CAF XML flux
            return Dossier.depuis_xml(octets)
        return Dossier.depuis_json(octets)
    except DossierInvalide as exc:
        raise _ErreurFichier(f"{'entrée standard' if chemin == '-' else chemin} : {exc}") from None


def _sources(args: argparse.Namespace, departement: str) -> tuple[Any, Any]:
    """(rules directory or None, model spec): the model is loaded only if a dossier needs it."""
    return (Path(args.regles) if args.regles else None), (False if args.sans_modele else args.modele)


def _en_lignes(args: argparse.Namespace) -> bool:
    return bool(args.lignes) or Path(args.dossier).suffix.lower() in (".jsonl", ".ndjson")


def _traiter_lignes(args: argparse.Namespace, repondre: Any) -> int:
    """JSON Lines: one answer line per input line (blank lines skipped); 1 if some dossier failed."""
    from orientation.dossier.schema import Dossier

    total = echecs = 0
    flux = sys.stdin.buffer if args.dossier == "-" else open(args.dossier, "rb")  # noqa: SIM115
    try:
        for numero, ligne in enumerate(flux, start=1):
            if not ligne.strip():
                continue
            total += 1
            dossier = None
            try:
                dossier = Dossier.depuis_json(ligne)
                ref, mod = _sources(args, dossier.departement)
                sortie = repondre(dossier, ref, mod)
            except Exception as exc:  # noqa: BLE001 - one bad dossier must not stop the others
                echecs += 1
                sortie = _ligne_erreur(numero, dossier, exc)
            print(sortie, flush=False)
    finally:
        if flux is not sys.stdin.buffer:
            flux.close()
    source = "entrée standard" if args.dossier == "-" else args.dossier
    print(f"{source} : {total} dossier(s) lu(s), {total - echecs} traité(s), {echecs} en erreur.", file=sys.stderr)
    return 1 if echecs else 0


def _ligne_erreur(numero: int, dossier: Any, exc: Exception) -> str:
    """The JSON error line of one dossier of a JSON Lines input (French message)."""
    from orientation.erreurs import DossierInvalide

    ident = getattr(dossier, "identifiant", None)
    erreurs: list[dict[str, Any]] = []
    if isinstance(exc, DossierInvalide):
        ident = exc.identifiant
        erreurs = [{"champ": e.champ, "valeur": e.valeur, "raison": e.raison} for e in exc.erreurs]
    if isinstance(exc, OrientationError):
        message = str(exc)
    elif isinstance(exc, MemoryError):
        message = "mémoire insuffisante"
    else:
        message = f"erreur interne inattendue ({type(exc).__name__}) : à signaler"
    return json.dumps({"ligne": numero, "identifiant": ident, "erreur": message, "erreurs": erreurs},
                      ensure_ascii=False, default=str)


def _cmd_recommander(args: argparse.Namespace) -> int:
    from orientation.decision import recommend

    if _en_lignes(args):
        return _traiter_lignes(args, lambda d, ref, mod: recommend(d, ref, mod).model_dump_json())
    dossier = _lire_dossier(args.dossier)
    ref, mod = _sources(args, dossier.departement)
    print(recommend(dossier, ref, mod).model_dump_json(indent=2))
    return 0


def _cmd_expliquer(args: argparse.Namespace) -> int:
    from orientation.explication.construction import explain

    if _en_lignes(args):
        def repondre(d: Any, ref: Any, mod: Any) -> str:
            e = explain(d, ref, mod)
            if args.format == "json":
                return e.json(indent=None)
            return json.dumps({"identifiant": d.identifiant, "format": args.format,
                               "texte": e.rendre(args.format, args.detail)}, ensure_ascii=False)

        return _traiter_lignes(args, repondre)
    dossier = _lire_dossier(args.dossier)
    ref, mod = _sources(args, dossier.departement)
    print(explain(dossier, ref, mod).rendre(args.format, args.detail), end="" if args.format != "json" else "\n")
    return 0


def _cmd_regles_verifier(args: argparse.Namespace) -> int:
    from orientation.regles.referentiel import verifier

    lignes = verifier(Path(args.dossier_regles))
    erreurs = [x for x in lignes if x.startswith("ERREUR")]
    for ligne in lignes:
        print(ligne, file=sys.stderr if ligne.startswith("ERREUR") else sys.stdout)
    if erreurs:
        print(f"{len(erreurs)} fichier(s) de règles invalide(s).", file=sys.stderr)
        return 2
    print(f"{len(lignes)} fichier(s) de règles valides.")
    return 0


def _cmd_regles_tester(args: argparse.Namespace) -> int:
    from orientation.regles.cas_tests import tester

    rapport = tester(Path(args.dossier_regles) if args.dossier_regles else None)
    print(rapport.texte())
    return 0 if rapport.reussi else 1


def _cmd_generer(args: argparse.Namespace) -> int:
    from orientation.modele.synthetique import ecrire_csv

    ecrire_csv(Path(args.sortie), args.nombre, graine=args.graine, departement=args.departement)
    print(f"{args.nombre} dossiers SYNTHÉTIQUES écrits dans {args.sortie} (graine {args.graine}).")
    return 0


def _cmd_lot(args: argparse.Namespace) -> int:
    from orientation.donnees import chemin_modele
    from orientation.flux.commande import executer_lot

    def derive(modele: Any) -> Optional[str]:  # drift warning after the summary (orientation.analyse.derive)
        from orientation.analyse.derive import avertissement_lot

        return avertissement_lot(args.flux, modele, args.encodage)

    return executer_lot(
        Path(args.flux), departement=args.departement, sortie=Path(args.sortie), apres_resume=derive,
        explications=Path(args.explications) if args.explications else None,
        rejets=Path(args.rejets) if args.rejets else None,
        regles=Path(args.regles) if args.regles else None,
        modele=False if args.sans_modele else (chemin_modele(args.modele) if args.modele else None),
        progression=not args.silencieux, ecraser=args.ecraser, encodage=args.encodage,
    )


def _cmd_schemas(args: argparse.Namespace) -> int:
    from orientation import schemas

    if args.ecrire:
        try:
            ecrits = schemas.ecrire(Path(args.ecrire))
        except ValueError as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return 2
        print(f"{len(ecrits)} fichier(s) écrit(s) dans {args.ecrire}.")
        return 0
    for nom, version in schemas.VERSIONS.items():
        print(f"{nom} {version} : urn:orientation:schema:{nom}:{version}")
    return 0


def _options_lignes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lignes", action="store_true",
                   help="JSON Lines : un dossier par ligne, une réponse JSON par ligne (automatique pour .jsonl)")


def _options_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("--regles", help="dossier des règles (défaut : $ORIENTATION_REGLES, sinon règles livrées)")
    p.add_argument("--modele", help="dossier d'un modèle entraîné, ou « demo » : modèle de démonstration entraîné sur "
                                    "des données SYNTHÉTIQUES (défaut : $ORIENTATION_MODELE, sinon aucun modèle)")
    p.add_argument("--sans-modele", action="store_true", help="n'utiliser que les règles")


def construire_parseur() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="orientation", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Recommandation et explication de l'orientation des nouveaux bénéficiaires du RSA.",
        epilog=CODES_SORTIE_TEXTE)
    sub = p.add_subparsers(dest="commande", required=True, metavar="COMMANDE")

    r = sub.add_parser("recommander", help="recommander une orientation pour un dossier JSON")
    r.add_argument("dossier", help="fichier JSON du dossier (noms lisibles ou codes CNAF), ou - pour l'entrée standard")
    _options_lignes(r)
    _options_sources(r)
    r.set_defaults(func=_cmd_recommander)

    e = sub.add_parser("expliquer", help="expliquer la recommandation pour un dossier JSON")
    e.add_argument("dossier", help="fichier JSON du dossier, ou - pour l'entrée standard")
    e.add_argument("--format", choices=["texte", "markdown", "html", "json"], default="texte",
                   help="html : fiche autonome imprimable (A4) ; json : structure complète")
    e.add_argument("--detail", choices=["court", "complet"], default="court",
                   help="court : l'essentiel (défaut) ; complet : tout, dont les informations dues (CRPA R311-3-1-2)")
    _options_lignes(e)
    _options_sources(e)
    e.set_defaults(func=_cmd_expliquer)

    g = sub.add_parser("regles", help="vérifier ou tester les fichiers de règles")
    gs = g.add_subparsers(dest="action", required=True, metavar="ACTION")
    v = gs.add_parser("verifier", help="valider les fichiers de règles")
    v.add_argument("dossier_regles", nargs="?", default="rules")
    v.set_defaults(func=_cmd_regles_verifier)
    t = gs.add_parser("tester", help="jouer les cas de test YAML des règles")
    t.add_argument("dossier_regles", nargs="?", default=None)
    t.set_defaults(func=_cmd_regles_tester)

    s = sub.add_parser("generer", help="générer des dossiers SYNTHÉTIQUES étiquetés (CSV)")
    s.add_argument("--nombre", type=int, default=10_000)
    s.add_argument("--graine", type=int, default=0)
    s.add_argument("--departement", default="93")
    s.add_argument("--sortie", required=True)
    s.set_defaults(func=_cmd_generer)

    j = sub.add_parser("schemas", help="schémas JSON du contrat (dossier, décision, explication, rejet)")
    j.add_argument("--ecrire", metavar="DOSSIER", help="écrire les schémas JSON générés dans ce dossier")
    j.set_defaults(func=_cmd_schemas)

    b = sub.add_parser("lot", help="orienter en nombre un flux CAF (CSV, JSON Lines, Parquet ou XML)")
    b.add_argument("flux")
    b.add_argument("--departement", required=True)
    b.add_argument("--sortie", required=True, help="fichier CSV des décisions")
    b.add_argument("--explications", help="fichier JSON Lines des explications (une par ligne)")
    b.add_argument("--rejets", help="fichier CSV des lignes rejetées (défaut : <sortie>.rejets.csv)")
    b.add_argument("--silencieux", action="store_true", help="sans barre de progression")
    b.add_argument("--ecraser", "--remplacer", dest="ecraser", action="store_true",
                   help="remplacer les sorties d'un traitement précédent (et retirer celles qu'il ne réécrit pas) ; "
                        "--remplacer est le même choix, sous le nom qu'emploient entrainer, modele carte, audit "
                        "et derive")
    b.add_argument("--encodage", default="utf-8",
                   help="encodage d'un flux CSV ou JSON Lines : utf-8 (défaut), windows-1252 ou latin-1")
    _options_sources(b)
    b.set_defaults(func=_cmd_lot)

    from orientation.analyse.commandes import enregistrer  # entrainer, modele carte, audit, derive

    enregistrer(sub)
    from orientation.pilotage.commande import enregistrer as enregistrer_indicateurs

    enregistrer_indicateurs(sub)
    from orientation.espace.commandes import enregistrer as enregistrer_espace
    from orientation.service.commande import enregistrer as enregistrer_service
    from orientation.stockage.commandes import enregistrer as enregistrer_stockage

    # orientation servir runs the service with the referent workspace mounted (orientation.espace.application)
    enregistrer_service(sub, fabrique="orientation.espace.application:depuis_environnement")
    enregistrer_stockage(sub)
    enregistrer_espace(sub)
    from orientation.espace.commandes_suivi import enregistrer as enregistrer_suivis

    enregistrer_suivis(sub)  # orientation suivis importer
    return p




def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = construire_parseur().parse_args(argv)
        return int(args.func(args))
    except OrientationError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output closed early (e.g. `| head`): nothing more to say
        return 0
    except OSError as exc:
        from orientation.fichiers import cause_os

        fichier = exc.filename if exc.filename is not None else "(entrée ou sortie)"
        print(f"Erreur : fichier {fichier} : {cause_os(exc)}.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except MemoryError:
        print("Erreur : mémoire insuffisante.", file=sys.stderr)
        return CodeSortie.erreur_interne
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for the user
        print(f"Erreur interne inattendue ({type(exc).__name__}) : merci de la signaler avec la commande lancée "
              f"(sans données personnelles).", file=sys.stderr)
        return CodeSortie.erreur_interne


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
