"""Errors raised by the library, with French messages that name the field, the value and the reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

_TAILLE_TEXTE = 200
_TAILLE_CONTENEUR = 20


def apercu(valeur: Any) -> Any:
    """``valeur`` itself when small and plain, else a short French description of it.

    Error messages show the value received; a hostile value (an integer of thousands of digits,
    a megabyte of text, a structure nested a thousand levels deep) must neither crash the
    message (``repr`` fails or recurses) nor flood it.

    >>> apercu(10 ** 5000)
    '(nombre entier de 5001 chiffres)'
    >>> apercu(["0402", "0406"])
    ['0402', '0406']
    >>> apercu([[[]]])
    '(liste de 1 élément(s))'
    """
    if valeur is None or isinstance(valeur, (bool, float, date, enum.Enum)):
        return valeur
    if isinstance(valeur, int):
        if abs(valeur) < 10 ** 18:
            return valeur
        chiffres = len(str(abs(valeur))) if valeur.bit_length() < 14_000 else int(valeur.bit_length() * 0.30103) + 1
        return f"(nombre entier de {chiffres} chiffres)"
    if isinstance(valeur, str):
        return valeur if len(valeur) <= _TAILLE_TEXTE else f"{valeur[:60]}… (texte de {len(valeur)} caractères)"
    if isinstance(valeur, (list, tuple)):
        if len(valeur) <= _TAILLE_CONTENEUR and all(_simple(x) for x in valeur):
            return valeur
        return f"(liste de {len(valeur)} élément(s))"
    if isinstance(valeur, dict):
        if len(valeur) <= _TAILLE_CONTENEUR and all(_simple(k) and _simple(v) for k, v in valeur.items()):
            return valeur
        return f"(objet de {len(valeur)} clé(s))"
    if isinstance(valeur, (bytes, bytearray)):
        return f"(octets, {len(valeur)})"
    return f"(valeur de type {type(valeur).__name__})"


def _simple(x: Any) -> bool:
    return not isinstance(x, (list, tuple, dict, set)) and apercu(x) is x


@dataclass(frozen=True)
class ErreurChamp:
    """One invalid field: where, what was given (:func:`apercu` of it), and why it is refused."""

    champ: str
    valeur: object
    raison: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "valeur", apercu(self.valeur))
        object.__setattr__(self, "champ", str(apercu(self.champ)))

    def __str__(self) -> str:
        return f"champ « {self.champ} », valeur {self.valeur!r} : {self.raison}"


class OrientationError(Exception):
    """Base class of every error of the library."""


class DossierInvalide(OrientationError, ValueError):
    """A dossier failed validation. ``erreurs`` lists every invalid field."""

    def __init__(self, erreurs: list[ErreurChamp], identifiant: str | None = None):
        self.erreurs = list(erreurs)
        self.identifiant = identifiant
        qui = f" {identifiant}" if identifiant else ""
        lignes = "\n".join(f"  - {e}" for e in self.erreurs)
        super().__init__(f"Dossier{qui} invalide ({len(self.erreurs)} erreur(s)) :\n{lignes}")


class ReglesInvalides(OrientationError, ValueError):
    """A rule file failed validation; the message names the file and the rule id."""

    def __init__(self, fichier: str, regle: str | None, raison: str):
        self.fichier = fichier
        self.regle = regle
        self.raison = raison
        ou = f"{fichier}, règle « {regle} »" if regle else fichier
        super().__init__(f"Règles invalides ({ou}) : {raison}")


class ModeleInvalide(OrientationError, ValueError):
    """A model artifact cannot be trusted (hash mismatch, schema mismatch, missing manifest, pickle)."""


class ConfigurationInvalide(OrientationError, ValueError):
    """The rules or the model given do not fit the dossier (e.g. another département's référentiel)."""


class CodeSortie(enum.IntEnum):
    """Exit codes of every ``orientation`` command (one table, listed in ``--help`` and the README)."""

    succes = 0
    partiel = 1  # some dossiers of a JSON Lines input failed, or rule test cases fail
    entree_invalide = 2  # usage, or an input (dossier, flux, rules, model) is invalid or unreadable
    ecriture_impossible = 3  # an output cannot be written (permissions, disk full); nothing published
    erreur_interne = 4  # unexpected internal error or insufficient memory (a defect: to be reported)
    interruption = 130  # SIGINT (Ctrl-C)
    terminaison = 143  # SIGTERM


#: The table, in French, as ``--help`` shows it.
CODES_SORTIE_TEXTE = """codes de sortie :
  0    succès
  1    des dossiers d'une entrée JSON Lines sont en erreur (ligne d'erreur pour chacun),
       ou des cas de test des règles échouent (regles tester)
  2    utilisation ou entrée invalide : options, dossier, flux, règles, modèle, fichier illisible,
       chemins de sortie refusés, sorties existantes sans --ecraser
  3    écriture impossible (droits, disque plein, dossier en lecture seule) : rien n'est publié
  4    erreur interne inattendue ou mémoire insuffisante (à signaler)
  130  interrompu par SIGINT (Ctrl-C)
  143  interrompu par SIGTERM"""
