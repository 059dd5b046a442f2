"""Plain-text and Markdown renderings of an explanation (layout: :mod:`orientation.explication.document`)."""

from __future__ import annotations

from typing import Any, Callable

from orientation.explication.document import Detail, Document, document


def _lignes(doc: Document, titre: Callable[[int, str], str], sous_puce: str, aere: bool = False) -> list[str]:
    L = [titre(1, doc.titre), ""]
    if doc.avertissements:
        L += [f"- {a}" for a in doc.avertissements] + [""]
    for s in doc.sections:
        L += [titre(2, s.titre)] + ([""] if aere else [])
        for el in s.elements:
            if el.texte:
                L.append(el.texte)
            for item, sous in el.puces:
                L.append(f"- {item}")
                L += [f"{sous_puce}- {x}" for x in sous]
            if aere:
                L.append("")
        if not aere:
            L.append("")
    return L


def rendre_texte(e: Any, detail: Detail = "court") -> str:
    """The explanation as plain text (titles underlined)."""
    def titre(niveau: int, t: str) -> str:
        return f"{t}\n{('=' if niveau == 1 else '-') * len(t)}"

    return "\n".join(_lignes(document(e, detail), titre, "    ")).rstrip("\n") + "\n"


def rendre_markdown(e: Any, detail: Detail = "court") -> str:
    """The explanation as Markdown (``#`` titles, ``-`` lists)."""
    def titre(niveau: int, t: str) -> str:
        return f"{'#' * niveau} {t}"

    return "\n".join(_lignes(document(e, detail), titre, "  ", aere=True)).rstrip("\n") + "\n"
