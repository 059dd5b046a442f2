"""Reading rule files: YAML that is safe, bounded and explained in French.

:func:`lire_yaml` refuses (:class:`~orientation.erreurs.ReglesInvalides`, naming the file) files
over :data:`TAILLE_MAX_FICHIER_REGLES` bytes (PyYAML reads about 400 kB/s: the limit keeps a
file's reading under about 1.5 s), bytes that are not UTF-8 (e.g. a file saved in Latin-1),
YAML syntax errors (with line, column and a French reason), duplicate keys, anchors and aliases
(``&a`` / ``*a``: a few lines of aliases can expand to billions of nodes), custom tags, and
nesting deeper than :data:`PROFONDEUR_MAX_YAML`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orientation.erreurs import ReglesInvalides
from orientation.fichiers import cause_os

TAILLE_MAX_FICHIER_REGLES = 512 * 1024
PROFONDEUR_MAX_YAML = 32


class _RefusYAML(yaml.MarkedYAMLError):
    """A YAML construct refused in rule files (French ``problem``)."""


class _ChargeurYAML(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys, anchors and aliases, and deep nesting.

    Anchors and aliases (``&a`` / ``*a``) are refused outright: rule files do not need them,
    and expanding them is how a few lines of YAML can become billions of nodes.
    """

    _profondeur = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        evenement = self.peek_event()
        if isinstance(evenement, yaml.AliasEvent) or getattr(evenement, "anchor", None) is not None:
            raise _RefusYAML(None, None, "ancres et alias YAML (& et *) non admis dans un fichier de règles : "
                             "écrire chaque valeur en entier", evenement.start_mark)
        self._profondeur += 1
        try:
            if self._profondeur > PROFONDEUR_MAX_YAML:
                raise _RefusYAML(None, None, f"YAML trop imbriqué (au plus {PROFONDEUR_MAX_YAML} niveaux)",
                                 evenement.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._profondeur -= 1


def _mapping_sans_doublon(loader: _ChargeurYAML, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    vus: set[Any] = set()
    for k, _ in node.value:
        cle_ = loader.construct_object(k, deep=deep)
        try:
            double = cle_ in vus
        except TypeError:
            raise _RefusYAML(None, None, "clé invalide (liste ou objet utilisé comme clé)", k.start_mark) from None
        if double:
            raise _RefusYAML(None, None, f"clé « {cle_} » en double", k.start_mark)
        vus.add(cle_)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_ChargeurYAML.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_sans_doublon)


def _date_ou_texte(loader: _ChargeurYAML, node: yaml.ScalarNode) -> Any:
    """An unquoted date (``2025-01-01``); an impossible one (``2024-02-30``) stays text, refused later in French."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_ChargeurYAML.add_constructor("tag:yaml.org,2002:timestamp", _date_ou_texte)

#: French for PyYAML's problems (by substring); anything else reads « syntaxe YAML invalide ».
_PROBLEMES_YAML = (
    ("cannot start any token", "caractère interdit à cet endroit (tabulation ?)"),
    ("mapping values are not allowed", "« : » inattendu (indentation, ou texte à mettre entre guillemets)"),
    ("could not find expected ':'", "« : » attendu"),
    ("did not find expected key", "clé attendue (indentation incohérente ?)"),
    ("did not find expected '-' indicator", "élément de liste « - » attendu (indentation incohérente ?)"),
    ("expected <block end>", "indentation incohérente"),
    ("found unexpected end of stream", "fin de fichier inattendue (guillemet ou crochet non fermé ?)"),
    ("expected ',' or ']'", "« , » ou « ] » attendu"),
    ("expected ',' or '}'", "« , » ou « } » attendu"),
    ("found unhashable key", "clé invalide (liste ou objet utilisé comme clé)"),
    ("could not determine a constructor", "étiquette YAML (!...) non admise"),
    ("special characters are not allowed", "caractère de contrôle interdit"),
    ("found undefined tag handle", "étiquette YAML (!...) non admise"),
    ("found unknown escape character", "séquence d'échappement inconnue dans un texte entre guillemets"),
    ("found incompatible YAML document", "version de YAML non admise"),
    ("expected a single document", "un seul document YAML attendu par fichier"),
)


def _message_yaml(exc: yaml.YAMLError) -> str:
    if isinstance(exc, _RefusYAML):
        probleme = str(exc.problem)
    else:
        texte = f"{getattr(exc, 'context', '') or ''} {getattr(exc, 'problem', '') or ''} {exc}"
        probleme = next((fr for en, fr in _PROBLEMES_YAML if en in texte), "syntaxe YAML invalide")
    marque = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if marque is not None:
        return f"YAML mal formé ligne {marque.line + 1}, colonne {marque.column + 1} : {probleme}"
    return f"YAML mal formé : {probleme}"


def lire_yaml(chemin: Path, nom: str) -> Any:
    """Read a rule YAML file; every problem becomes :class:`ReglesInvalides` in French.

    Refused: files over :data:`TAILLE_MAX_FICHIER_REGLES` bytes, bytes that are not UTF-8
    (e.g. a file saved in Latin-1), YAML syntax errors, duplicate keys, anchors and aliases,
    nesting deeper than :data:`PROFONDEUR_MAX_YAML`.
    """
    try:
        with chemin.open("rb") as f:
            brut = f.read(TAILLE_MAX_FICHIER_REGLES + 1)
    except OSError as exc:
        raise ReglesInvalides(nom, None, f"fichier illisible : {cause_os(exc)}") from None
    if len(brut) > TAILLE_MAX_FICHIER_REGLES:
        raise ReglesInvalides(nom, None, f"fichier trop gros (au plus {TAILLE_MAX_FICHIER_REGLES // 1024} Kio)")
    try:
        texte = brut.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ligne = brut.count(b"\n", 0, exc.start) + 1
        raise ReglesInvalides(nom, None, f"encodage invalide : octet 0x{brut[exc.start]:02X} ligne {ligne} ; le "
                              "fichier doit être enregistré en UTF-8") from None
    try:
        return yaml.load(texte, Loader=_ChargeurYAML)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ReglesInvalides(nom, None, _message_yaml(exc)) from None
    except RecursionError:
        raise ReglesInvalides(nom, None, f"YAML trop imbriqué (au plus {PROFONDEUR_MAX_YAML} niveaux)") from None


