"""JSON values of a flux (JSON Lines objects, Parquet list or number cells) as text cells, and JSON errors in French."""

from __future__ import annotations

import json
from typing import Any, Optional

from orientation.dossier.tabulaire import CLES_MULTIPLES


def cellule_json(cle: str, v: Any) -> tuple[str, bool]:
    """(text cell, plain?) of a JSON value; not plain: the row takes the per-row path with its raw value."""
    if v is None:
        return "", True
    if isinstance(v, str):
        return v, True
    if isinstance(v, bool):
        return "", False
    if isinstance(v, int):
        return str(v), True
    if isinstance(v, list) and cle in CLES_MULTIPLES:
        if not v:
            return "-", True
        if cle == "agesenfants":
            ok = all((isinstance(x, int) and not isinstance(x, bool) and x >= 0)
                     or (isinstance(x, str) and x.isascii() and x.isdigit() and (x == "0" or not x.startswith("0")))
                     for x in v)
        else:
            ok = all(isinstance(x, str) and x and x == x.strip() and "|" not in x and x != "-" for x in v)
        if ok:
            return "|".join(str(x) for x in v), True
    return "", False


def cellule_texte(v: Any) -> Optional[str]:
    """Text cell of a JSON value outside the CNAF format (a label of a training export); None when absent.

    Strings stay as they are, numbers are written as JSON writes them, any other value (boolean,
    list, object) as its JSON text, so that a wrong value is shown as it is in the file.
    """
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def objet_json(brut: bytes, encodage: str = "utf-8") -> Optional[dict[str, Any]]:
    """The JSON object of a line, or None when the line is not one (it is then rejected)."""
    try:
        obj = json.loads(brut.decode(encodage))
    except (ValueError, RecursionError):  # bad bytes or syntax, numbers too long
        return None
    return obj if isinstance(obj, dict) else None


#: French for the messages of :mod:`json` (``JSONDecodeError.msg``).
_ERREURS_JSON = {
    "Expecting value": "valeur attendue",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendu",
    "Expecting property name enclosed in double quotes": "nom de propriété entre guillemets attendu",
    "Unterminated string starting at": "chaîne non terminée",
    "Invalid control character at": "caractère de contrôle dans une chaîne",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence \\uXXXX invalide",
    "Extra data": "données après l'objet",
}


def erreur_json(msg: str) -> str:
    return _ERREURS_JSON.get(msg, "syntaxe invalide")


__all__ = ["cellule_json", "cellule_texte", "erreur_json", "objet_json"]
