"""The explanation card of a dossier as an HTML fragment: the ONE adapter between the workspace and the
explanation renderings.

The full explanation (:func:`orientation.explain`: rules with the dossier's values, rules that almost
fired, model, counterfactuals, CRPA art. R311-3-1-2) is rebuilt from the flux row stored at import, with
the service's rules and model, and rendered as the explanation's own HTML card in its complete form
(:meth:`Explication.html` with ``fragment=True``: « À faire » first, then the details and the CRPA items;
autoescaped Jinja2, so the dossier's values cannot inject markup).  When the rules or model of the service no longer
give the recommendation stored at import, :func:`carte` says so: the stored recommendation is the one
that was shown and is kept in the exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from orientation.dossier.schema import Dossier
from orientation.dossier.tabulaire import ligne_vers_enregistrement
from orientation.dossier.cnaf import CLES
from orientation.erreurs import OrientationError
from orientation.stockage.espace import DossierEspace

@dataclass(frozen=True)
class Carte:
    html: str  # safe HTML fragment
    avertissement: Optional[str] = None


def rendre_html(explication: Any) -> str:
    """HTML fragment of an :class:`~orientation.explication.construction.Explication` (the adapter)."""
    # without its <style>: the pages link /espace/carte.css (their Content-Security-Policy refuses inline styles)
    return str(explication.html("complet", fragment=True, style=False))


def carte(dossier: DossierEspace, orientateur: Any) -> Carte:
    """The card of ``dossier`` explained by ``orientateur`` (the service's rules and model)."""
    brut = {k: v for k, v in dossier.enregistrement.items() if k in CLES}
    try:
        d = Dossier.depuis_cnaf(ligne_vers_enregistrement(brut))
        e = orientateur.explain(d)
    except OrientationError as exc:
        return Carte("", f"explication indisponible : {exc}")
    dec = e.decision
    avertissement = None
    if (dec.modalite.value, dec.parcours and dec.parcours.value) != (dossier.modalite, dossier.parcours_propose):
        avertissement = ("les règles ou le modèle du service ont changé depuis l'import : l'explication ci-dessous "
                         "donne la recommandation qu'ils feraient aujourd'hui ; la recommandation affichée à "
                         "l'import (en tête de fiche) reste celle qui est enregistrée et exportée")
    return Carte(rendre_html(e), avertissement)


__all__ = ["Carte", "carte", "rendre_html"]
