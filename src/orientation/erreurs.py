"""Errors raised by the library, with French messages that name the field, the value and the reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErreurChamp:
    """One invalid field: where, what was given, and why it is refused."""

    champ: str
    valeur: object
    raison: str

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
    """A model artifact cannot be trusted (hash mismatch, schema mismatch, missing manifest)."""


class ConfigurationInvalide(OrientationError, ValueError):
    """The rules or the model given do not fit the dossier (e.g. another département's référentiel)."""
