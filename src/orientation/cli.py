"""Command line (French): ``orientation recommander|expliquer|regles|entrainer|generer|lot``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from orientation.erreurs import OrientationError


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
}
argparse._ = lambda texte: _ARGPARSE_FR.get(texte, texte)  # type: ignore[attr-defined]


def _lire_dossier(chemin: str) -> Any:
    from orientation.dossier.schema import Dossier
    from orientation.erreurs import DossierInvalide, ErreurChamp

    texte = sys.stdin.read() if chemin == "-" else Path(chemin).read_text(encoding="utf-8")
    try:
        donnees = json.loads(texte)
    except json.JSONDecodeError as exc:
        raise DossierInvalide([ErreurChamp("(document)", chemin, f"JSON mal formé : {exc.msg}, ligne {exc.lineno}")])
    if isinstance(donnees, dict) and "dtdemrsa" in donnees:
        return Dossier.depuis_cnaf(donnees)
    return Dossier.valider(donnees)


def _sources(args: argparse.Namespace, departement: str) -> tuple[Any, Any]:
    from orientation.regles.referentiel import Referentiel

    ref = Referentiel.charger(departement, Path(args.regles) if args.regles else None)
    if args.sans_modele:
        return ref, False
    if args.modele:
        from orientation.modele.modele import ModeleOrientation

        return ref, ModeleOrientation.charger(Path(args.modele))
    return ref, None


def _cmd_recommander(args: argparse.Namespace) -> int:
    from orientation.decision import recommend

    dossier = _lire_dossier(args.dossier)
    ref, mod = _sources(args, dossier.departement)
    print(recommend(dossier, ref, mod).model_dump_json(indent=2))
    return 0


def _cmd_expliquer(args: argparse.Namespace) -> int:
    from orientation.explication.construction import explain

    dossier = _lire_dossier(args.dossier)
    ref, mod = _sources(args, dossier.departement)
    print(explain(dossier, ref, mod).rendre(args.format), end="" if args.format != "json" else "\n")
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
    from orientation.flux.commande import executer_lot

    return executer_lot(
        Path(args.flux), departement=args.departement, sortie=Path(args.sortie),
        explications=Path(args.explications) if args.explications else None,
        rejets=Path(args.rejets) if args.rejets else None,
        regles=Path(args.regles) if args.regles else None,
        modele=False if args.sans_modele else (Path(args.modele) if args.modele else None),
        progression=not args.silencieux, ecraser=args.ecraser, encodage=args.encodage,
    )


def _options_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("--regles", help="dossier des règles (défaut : rules/ du projet)")
    p.add_argument("--modele", help="dossier d'un modèle entraîné (défaut : models/demo)")
    p.add_argument("--sans-modele", action="store_true", help="n'utiliser que les règles")


def construire_parseur() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="orientation",
        description="Recommandation et explication de l'orientation des nouveaux bénéficiaires du RSA.")
    sub = p.add_subparsers(dest="commande", required=True, metavar="COMMANDE")

    r = sub.add_parser("recommander", help="recommander une orientation pour un dossier JSON")
    r.add_argument("dossier", help="fichier JSON du dossier (noms lisibles ou codes CNAF), ou - pour l'entrée standard")
    _options_sources(r)
    r.set_defaults(func=_cmd_recommander)

    e = sub.add_parser("expliquer", help="expliquer la recommandation pour un dossier JSON")
    e.add_argument("dossier")
    e.add_argument("--format", choices=["texte", "markdown", "json"], default="texte")
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

    n = sub.add_parser("entrainer", add_help=False,
                       help="entraîner un modèle sur un fichier CSV étiqueté (orientation entrainer --help)")
    n.add_argument("options", nargs="*", help="voir « orientation entrainer --help »")

    s = sub.add_parser("generer", help="générer des dossiers SYNTHÉTIQUES étiquetés (CSV)")
    s.add_argument("--nombre", type=int, default=10_000)
    s.add_argument("--graine", type=int, default=0)
    s.add_argument("--departement", default="93")
    s.add_argument("--sortie", required=True)
    s.set_defaults(func=_cmd_generer)

    b = sub.add_parser("lot", help="orienter en nombre un flux CAF (CSV, JSON Lines ou Parquet)")
    b.add_argument("flux")
    b.add_argument("--departement", required=True)
    b.add_argument("--sortie", required=True, help="fichier CSV des décisions")
    b.add_argument("--explications", help="fichier JSON Lines des explications (une par ligne)")
    b.add_argument("--rejets", help="fichier CSV des lignes rejetées (défaut : <sortie>.rejets.csv)")
    b.add_argument("--silencieux", action="store_true", help="sans barre de progression")
    b.add_argument("--ecraser", action="store_true",
                   help="remplacer les sorties d'un traitement précédent (et retirer celles qu'il ne réécrit pas)")
    b.add_argument("--encodage", default="utf-8",
                   help="encodage d'un flux CSV ou JSON Lines : utf-8 (défaut), windows-1252 ou latin-1")
    _options_sources(b)
    b.set_defaults(func=_cmd_lot)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["entrainer"]:  # its options live in orientation.modele.entrainement (one definition)
        from orientation.modele.entrainement import commande_entrainer

        return commande_entrainer(argv[1:])
    args = construire_parseur().parse_args(argv)
    try:
        return int(args.func(args))
    except OrientationError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"Erreur : fichier introuvable : {exc.filename}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
