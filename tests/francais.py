"""Check that a message meant for a user is French: no common English word, no traceback."""

from __future__ import annotations

import re

#: English words that pydantic, json, yaml, numpy or Python put in their messages.
MOTS_ANGLAIS = re.compile(
    r"\b(should|Input|input|valid|invalid|expected|Expecting|Error|error|Traceback|must|field|required|"
    r"found|while|could|not|the|value|of|line|column|char|byte|codec|decode|can't|cannot|Exceeds|limit|"
    r"recursion|depth|exceeded|object|string|number|integer|allowed|unexpected)\b")


def anglais(texte: str) -> list[str]:
    """English words found in ``texte`` (empty list: the text reads as French)."""
    return MOTS_ANGLAIS.findall(texte)


def verifier_francais(texte: str) -> None:
    assert not anglais(texte), f"mots anglais {anglais(texte)} dans : {texte}"
