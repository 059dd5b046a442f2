"""Plots of the report as inline SVG (matplotlib, Agg backend): delay distribution and monthly rates.

The SVG text keeps its words as text (searchable, printable), carries no date, no external link and
no random identifiers (fixed hash salt): the same figures always give the same SVG.
"""

from __future__ import annotations

import html
import io
import re
from typing import Sequence

from orientation.pilotage.calcul import Ligne, Observation
from orientation.pilotage.definitions import Indicateur
from orientation.pilotage.periode import Periode, libelle_mois_court

# Contrast on white (RGAA 3.3, graphical objects ≥ 3:1): blue 6.6:1, orange 4.6:1, red 6.1:1, grey 7.5:1.  Blue
# and orange are too close to each other (1.4:1) to tell stacked bars apart by colour alone: the bars are
# separated by white edges and the « not yet » series is hatched (RGAA 3.1, not by colour alone).
_BLEU, _ORANGE, _ROUGE, _GRIS = "#1f5fa6", "#b85c00", "#b3261e", "#555555"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "orientation-pilotage", "font.size": 8, "axes.titlesize": 9,
       "axes.spines.top": False, "axes.spines.right": False}


def svg_indicateur(indicateur: Indicateur, obs: Sequence[Observation], mensuel: Sequence[Ligne],
                   periode: Periode) -> str:
    """One SVG with two panels: delays (observed, and at least elapsed for the others), monthly rates vs target."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    with matplotlib.rc_context(_RC):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.6, 2.7), layout="constrained")
        try:
            observes = [(o.arrivee - o.depart).days for o in obs if o.arrivee is not None]
            bornes = [(periode.arret - o.depart).days for o in obs if o.arrivee is None]
            tous = observes + bornes
            if tous:
                bas, haut = min(0, *tous), max(tous)
                pas = max(1, (haut - bas) // 30 + 1)
                bords = list(range(bas, haut + pas + 1, pas))
                _, _, barres = ax1.hist([observes, bornes], bins=bords, stacked=True, color=[_BLEU, _ORANGE],
                                        edgecolor="#ffffff", linewidth=0.6,
                                        label=["délai observé", "pas encore survenu : au moins ce délai"])
                for barre in barres[1]:
                    barre.set_hatch("///")
                ax1.legend(loc="upper right", frameon=False, fontsize=7)
            else:
                ax1.text(0.5, 0.5, "aucune personne", ha="center", va="center", transform=ax1.transAxes)
            if indicateur.jours is not None or indicateur.mois is not None:
                jours = indicateur.jours if indicateur.jours is not None else 30 * (indicateur.mois or 0)
                ax1.axvline(jours, color=_ROUGE, linestyle="--", linewidth=1)
                ax1.annotate(f"seuil : {indicateur.seuil}", (jours, 1), xycoords=("data", "axes fraction"),
                             xytext=(3, -10), textcoords="offset points", color=_ROUGE, fontsize=7)
            ax1.set_title("Répartition des délais")
            ax1.set_xlabel("jours")
            ax1.set_ylabel("personnes")
            ax1.yaxis.set_major_locator(MaxNLocator(integer=True))

            courts = [libelle_mois_court(dict(l.groupe)["mois"]) for l in mensuel]
            taux = [l.taux * 100 if l.taux is not None else float("nan") for l in mensuel]
            x = list(range(len(mensuel)))
            ax2.plot(x, taux, marker="o", color=_BLEU, linewidth=1.2, markersize=3, label="taux du mois")
            if indicateur.cible is not None:
                ax2.axhline(indicateur.cible * 100, color=_ROUGE, linestyle="--", linewidth=1,
                            label=f"cible : {indicateur.cible * 100:.0f} %")
            ax2.set_ylim(0, 105)
            ax2.yaxis.set_major_formatter(PercentFormatter(decimals=0))
            ax2.set_xticks(x, courts, rotation=45, ha="right", fontsize=7)
            ax2.set_title("Taux par mois de départ")
            ax2.legend(loc="lower left", frameon=False, fontsize=7)
            tampon = io.StringIO()
            fig.savefig(tampon, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    return _nettoyer(tampon.getvalue(), indicateur.id, alternative(indicateur))


def alternative(indicateur: Indicateur) -> str:
    """The plots' text alternative (RGAA 1.1): what they show; the figures are in the table that follows."""
    seuil = f", seuil de {indicateur.seuil} en pointillés" if indicateur.seuil else ""
    cible = f" et cible de {indicateur.cible * 100:.0f} % en pointillés" if indicateur.cible is not None else ""
    return (f"Graphiques de l'indicateur « {indicateur.libelle} » : à gauche, répartition des délais en jours "
            f"(délais observés, et au moins le délai écoulé pour les personnes qui ne l'ont pas encore atteint)"
            f"{seuil} ; "
            f"à droite, taux par mois de départ{cible}. Les chiffres sont dans le tableau qui suit.")


def _nettoyer(svg: str, prefixe: str, alternative_texte: str) -> str:
    """Inline-ready SVG: no XML prolog, doctype, metadata block nor comments; scales with the page; an image
    with a text alternative for assistive technologies (``role="img"``, ``aria-label``).

    Its identifiers (and internal references ``url(#…)``, ``href="#…"``) get ``prefixe``: several SVGs
    in one HTML document must not share an ``id``.
    """
    svg = svg[svg.index("<svg"):]
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alternative_texte)}" ', 1)
    svg = re.sub(r'(\sid="|url\(#|href="#)', lambda m: m.group(1) + prefixe + "-", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s(width|height)="[0-9.]+pt"', "", svg, count=2)  # scale with the page (viewBox kept)
    return svg
