"""Analysts' commands: ``entrainer``, ``modele carte``, ``audit``, ``derive`` (registered by :mod:`orientation.cli`).

Every error is a French message (exit code 2 for invalid input, as every command); nothing
heavy is imported before a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional


def _cmd_entrainer(a: argparse.Namespace) -> int:
    from orientation.analyse.contrat import tableau_contrat
    from orientation.analyse.entrainement import entrainer_fichier, lire_seuils

    if a.contrat:
        for ligne in tableau_contrat():
            print(f"{ligne['colonne']:<24} {ligne['statut']:<12} {ligne['contenu']}")
        return 0
    if not a.donnees or not a.sortie:
        print("Erreur : indiquer le fichier étiqueté et --sortie DOSSIER (orientation entrainer --help).",
              file=sys.stderr)
        return 2
    try:
        seuils = lire_seuils(a.seuils)
    except ValueError as exc:
        print(f"Erreur : {exc}.", file=sys.stderr)
        return 2
    autorisees = [k.strip() for k in (a.autoriser_colonnes_manquantes or "").split(",") if k.strip()]
    try:
        r = entrainer_fichier(a.donnees, a.sortie, type_modele=a.type, accord_cible=a.accord_cible, graine=a.graine,
                              seuil_recurrence=a.seuil_recurrence, nom=a.nom, version=a.version,
                              description=a.description, donnees_synthetiques=a.synthetique, decoupage=a.decoupage,
                              seuils=seuils, autoriser_manquantes=autorisees, rejets=a.rejets, encodage=a.encodage,
                              departement=a.departement, remplacer=a.remplacer)
    except FileNotFoundError as exc:
        print(f"Erreur : fichier introuvable : {exc.filename}", file=sys.stderr)
        return 2
    except ValueError as exc:  # OrientationError subclasses too (contract, flux): French messages
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(r.resume())
    return 0


def _cmd_carte(a: argparse.Namespace) -> int:
    from orientation.analyse.entrainement import carte

    if a.donnees and not a.comparer_a:
        print("Erreur : --donnees sert à comparer deux modèles sur les mêmes dossiers : ajouter --comparer-a DOSSIER.",
              file=sys.stderr)
        return 2
    (h, m), comp = carte(a.dossier, a.comparer_a, a.donnees, a.encodage, a.sortie, a.remplacer)
    print(f"Carte du modèle écrite : {h} et {m}"
          + (" (avec la comparaison" + (" sur les mêmes dossiers)." if comp and comp["meme_donnees"] else
                                        " : chaque modèle sur son propre jeu de test, voir --donnees).")
             if comp else "."))
    return 0


def _verifier_sortie_json(a: argparse.Namespace, *entrees: Optional[str]) -> None:
    """Check ``--sortie`` before any work: never an input file, an existing file only with --remplacer."""
    from orientation.analyse.publication import verifier_fichiers

    if a.sortie:
        verifier_fichiers([a.sortie], remplacer=a.remplacer, quoi="--sortie", entrees=[e for e in entrees if e])


def _ecrire_json(chemin: str, donnees: Any) -> None:
    from orientation.fichiers import publier

    publier({Path(chemin): json.dumps(donnees, ensure_ascii=False, indent=1, default=str) + "\n"})


def _cmd_audit(a: argparse.Namespace) -> int:
    from orientation.analyse.audit import auditer
    from orientation.donnees import chemin_modele

    _verifier_sortie_json(a, a.flux, a.etiquettes)
    modele: Any = False if a.sans_modele else (chemin_modele(a.modele) if a.modele else None)
    r = auditer(a.flux, a.departement, modele=modele, regles=a.regles, etiquettes=a.etiquettes, encodage=a.encodage)
    print(r.texte())
    if a.sortie:
        _ecrire_json(a.sortie, r.en_dict())
        print(f"Détail : {a.sortie}")
    return 0


def _cmd_derive(a: argparse.Namespace) -> int:
    from orientation.analyse.derive import mesurer, texte
    from orientation.modele.modele import charger_modele

    _verifier_sortie_json(a, a.flux)
    d = mesurer(a.flux, charger_modele(a.modele), a.encodage, a.departement)
    print(texte(d, a.flux))
    if a.sortie:
        _ecrire_json(a.sortie, d)
    return 0


def _encodage(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encodage", default="utf-8", help="encodage d'un CSV : utf-8 (défaut), windows-1252 ou latin-1")


def enregistrer(sub: Any) -> None:
    """Add the analysts' subcommands to ``orientation``'s subparsers."""
    n = sub.add_parser(
        "entrainer", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="entraîner un modèle sur un export étiqueté (contrat validé, carte du modèle)",
        description="Entraîner un modèle d'orientation sur un export étiqueté (CSV, JSON Lines ou Parquet) : toutes "
                    "les colonnes du flux CNAF (comme pour « orientation lot »), plus parcours_referent (parcours final "
                    "choisi par le référent : professionnel, socio_professionnel ou social) et des colonnes facultatives "
                    "(date_decision, parcours_recommande, modalite_recommandee, regle_decisive, ligne_grille, "
                    "version_regles, version_modele, decide_par_role). Chaque ligne est validée comme le flux : une "
                    "ligne invalide est rejetée (ligne, champ, valeur, raison) et les autres entraînent. Une colonne "
                    "attendue absente est une erreur, sauf si elle est autorisée. Le modèle et sa carte (carte.html, "
                    "carte.md) sont écrits dans --sortie.",
        epilog="Contrat complet : orientation entrainer --contrat.")
    n.add_argument("donnees", nargs="?", help="export étiqueté (.csv, .jsonl ou .parquet)")
    n.add_argument("--sortie", help="dossier du modèle, neuf ou vide, ex. mes_modeles/mon_modele/ (jamais dans les "
                                    "données livrées : modèle demo, dossier models/ du dépôt)")
    n.add_argument("--remplacer", action="store_true",
                   help="remplacer un dossier du modèle existant et non vide (l'ancien est conservé à côté, renommé "
                        "DOSSIER.ancien-<date>) et un fichier des rejets existant")
    n.add_argument("--contrat", action="store_true", help="afficher le contrat des données d'entraînement et quitter")
    n.add_argument("--rejets", help="fichier CSV des lignes rejetées (défaut : <dossier du modèle>.rejets.csv)")
    n.add_argument("--decoupage", choices=["aleatoire", "date"], default="aleatoire",
                   help="découpage entraînement / validation / test : aléatoire stratifié (défaut) ou par date de "
                        "décision (colonne date_decision : les plus récentes en test)")
    n.add_argument("--seuils", help="seuils fixés à la main, ex. professionnel=0.9,socio_professionnel=0.95,"
                                    "social=jamais (défaut : choisis sur la validation pour --accord-cible)")
    n.add_argument("--autoriser-colonnes-manquantes", metavar="COLONNES",
                   help="colonnes attendues dont l'absence est acceptée, séparées par des virgules (elles valent "
                        "« non renseigné » pour tous les dossiers)")
    n.add_argument("--type", choices=["logistique", "foret"], default="logistique", help="type de modèle")
    n.add_argument("--accord-cible", type=float, default=0.95, help="accord visé avec les référents (défaut 0,95)")
    n.add_argument("--seuil-recurrence", type=int, default=20,
                   help="nombre minimal de dossiers comparables pour qu'un profil soit récurrent (défaut 20)")
    n.add_argument("--graine", type=int, default=0, help="graine aléatoire (défaut 0)")
    n.add_argument("--nom", help="nom du modèle (défaut : nom du dossier de sortie)")
    n.add_argument("--version", default="1.0", help="version du modèle (défaut 1.0)")
    n.add_argument("--description", help="description en français (défaut : générée)")
    n.add_argument("--departement", help="département des lignes sans colonne departement")
    n.add_argument("--synthetique", action="store_true", default=None,
                   help="déclarer les données synthétiques (détecté si tous les identifiants commencent par SYN-)")
    _encodage(n)
    n.set_defaults(func=_cmd_entrainer)

    m = sub.add_parser("modele", help="carte d'un modèle entraîné (orientation modele carte DOSSIER)")
    ms = m.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = ms.add_parser("carte", help="(ré)écrire carte.html et carte.md d'un modèle, éventuellement comparé à un autre")
    c.add_argument("dossier", help="dossier du modèle, ou « demo »")
    c.add_argument("--comparer-a", metavar="DOSSIER", help="autre modèle (dossier ou « demo ») à mettre en regard")
    c.add_argument("--donnees", help="export étiqueté sur lequel évaluer les deux modèles (les mêmes dossiers)")
    c.add_argument("--sortie", metavar="DOSSIER",
                   help="dossier où écrire carte.html et carte.md (défaut : le dossier du modèle ; obligatoire pour "
                        "« demo », dont le dossier fait partie des données livrées)")
    c.add_argument("--remplacer", action="store_true",
                   help="remplacer carte.html et carte.md déjà présents dans --sortie (dans le dossier du modèle, la "
                        "carte est toujours réécrite)")
    _encodage(c)
    c.set_defaults(func=_cmd_carte)

    a = sub.add_parser("audit", help="auditer la chaîne complète (règles + modèle) par groupe sur un flux")
    a.add_argument("flux", help="flux CSV, JSON Lines ou Parquet (un export étiqueté donne aussi l'accord)")
    a.add_argument("--departement", required=True)
    a.add_argument("--etiquettes", help="CSV identifiant,dtdemrsa,parcours_referent (parcours finaux des référents, "
                                        "joints par identifiant et date de demande ; sans dtdemrsa : par identifiant "
                                        "seul, avec un avertissement)")
    a.add_argument("--sortie", help="écrire le détail en JSON dans ce fichier (nouveau, ou --remplacer)")
    a.add_argument("--remplacer", action="store_true", help="remplacer le fichier --sortie s'il existe")
    a.add_argument("--regles", help="dossier des règles (défaut : règles livrées)")
    a.add_argument("--modele", help="dossier d'un modèle, ou « demo » (défaut : $ORIENTATION_MODELE, sinon aucun)")
    a.add_argument("--sans-modele", action="store_true", help="n'utiliser que les règles")
    _encodage(a)
    a.set_defaults(func=_cmd_audit)

    d = sub.add_parser("derive", help="dérive d'un flux par rapport aux données d'entraînement d'un modèle")
    d.add_argument("flux", help="flux CSV, JSON Lines ou Parquet")
    d.add_argument("--modele", required=True, help="dossier du modèle, ou « demo »")
    d.add_argument("--departement", help="département des lignes sans colonne departement")
    d.add_argument("--sortie", help="écrire le détail en JSON dans ce fichier (nouveau, ou --remplacer)")
    d.add_argument("--remplacer", action="store_true", help="remplacer le fichier --sortie s'il existe")
    _encodage(d)
    d.set_defaults(func=_cmd_derive)


__all__ = ["enregistrer"]
