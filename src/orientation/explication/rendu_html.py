"""HTML rendering of an explanation: a self-contained, accessible card printable on A4.

Same content and order as the text (:mod:`orientation.explication.document`), rendered with
Jinja2 from the packaged template ``gabarits/carte.html.j2`` (autoescaped): inline CSS, no
script, no external asset, ``lang="fr"``, headings per section, print rules for A4.
``fragment=True`` gives the card alone (a ``<style>`` and an ``<article>``) for another page to embed;
with ``style=False`` the ``<style>`` is left out, for a host page whose Content-Security-Policy refuses
inline styles: it links the same rules instead, served from :func:`style_carte` (the packaged
``gabarits/carte.css``, also included in the page's ``<style>``).
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any

import jinja2

from orientation.explication.document import Detail, document


def _insecables(v: Any) -> Any:
    """French typography for the page: no line break inside « guillemets » (non-breaking spaces)."""
    return v.replace("« ", "«\u00a0").replace(" »", "\u00a0»") if isinstance(v, str) else v


@functools.lru_cache(maxsize=1)
def _gabarit() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("orientation.explication", "gabarits"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False,
                             finalize=_insecables)
    return env.get_template("carte.html.j2")


def rendre_html(e: Any, detail: Detail = "court", fragment: bool = False, style: bool = True) -> str:
    """The explanation as a whole HTML page, or as a fragment to embed (``fragment=True``; its
    ``<style>`` left out with ``style=False``)."""
    return _gabarit().render(doc=document(e, detail), fragment=fragment, style_en_ligne=style) + "\n"


@functools.lru_cache(maxsize=1)
def style_carte() -> str:
    """The card's CSS rules, for a host page that links them instead of an inline ``<style>``.

    >>> ".orientation-carte" in style_carte()
    True
    """
    return (files("orientation.explication") / "gabarits" / "carte.css").read_text(encoding="utf-8")
