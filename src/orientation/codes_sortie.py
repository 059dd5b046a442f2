"""Output codes: the route of a decision as the receiving systems name it.

Besides the library's own route (``professionnel``, ``socio_professionnel``, ``social``), a decision
carries :class:`CodesSortie`, ``null`` when no route is decided (a referent examines the dossier,
or an appointment was set without a route):

* ``rdv_insertion``: rdv-insertion's orientation category, ``pro``, ``socio_pro`` or ``social``.
  Source: gip-inclusion/rdv-insertion, ``app/models/orientation_type.rb``
  (``enum casf_category: { social: "social", pro: "pro", socio_pro: "socio_pro" }``; the default
  names of its seeds are « Professionnelle », « Socio-professionnelle », « Sociale »).  Always set
  when the route is (:attr:`orientation.vocabulaire.Parcours.code_rdv_insertion`).
* ``france_travail``: France Travail's code for the route.  **Not confirmed**: the codes ``PE``,
  ``PSO`` and ``PSP`` circulate (issue 14 reports that WebRSA's France Travail export and its own
  algorithm map them differently; not checked), but no public source found (WebRSA and rdv-insertion sources, France Travail API
  documentation, the arrêtés of 21 November 2024) gives the mapping; rdv-insertion sends France Travail
  appointment codes (motif ``ORI``/``ACC``/``AUT``, organisme ``FT``/``CD``/``DCD``…) but no route
  code.  So the library ships **no** default (:data:`CODES_FRANCE_TRAVAIL` is empty) and the field is
  ``null`` unless the département writes the codes it agreed with France Travail in its rule file
  (``codes_france_travail``).  The national names of the three routes are certain: arrêté of
  21 November 2024 (JORF n° 0288 du 6 décembre 2024), « parcours à vocation d'insertion
  professionnelle (parcours emploi) », « parcours à vocation socio-professionnelle », « parcours
  préalable à vocation d'insertion sociale ».
* ``departement``: the département's own label of the route, from its rule file
  (``libelles_parcours``); ``null`` when it gives none.

The département's labels and codes are not dated (``en_vigueur``): they name the routes, they do
not decide; a change of label is a change of file, traced by ``versions.regles``.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from orientation.regles.evaluation import CodesDepartement
from orientation.vocabulaire import Parcours

#: France Travail route codes shipped by default: none, no public source confirms them (see above).
CODES_FRANCE_TRAVAIL: dict[Parcours, str] = {}


class CodesSortie(BaseModel):
    """The decided route in the codes of the systems that receive it."""

    model_config = ConfigDict(frozen=True)

    france_travail: Optional[str] = Field(
        description="code du parcours pour France Travail, tel que le département l'a écrit dans son fichier de "
                    "règles (codes_france_travail) ; null sinon : aucune source publique ne confirme de code "
                    "par défaut (PE, PSO, PSP non vérifiés)")
    rdv_insertion: str = Field(description="catégorie d'orientation de rdv-insertion : pro, socio_pro ou social")
    departement: Optional[str] = Field(
        description="libellé du parcours propre au département (libelles_parcours de son fichier de règles) ; "
                    "null s'il n'en donne pas")


def codes_sortie(parcours: Optional[Parcours], departement: CodesDepartement) -> Optional[CodesSortie]:
    """The output codes of ``parcours`` (``None`` when no route is decided)."""
    if parcours is None:
        return None
    return CodesSortie(
        france_travail=departement.france_travail.get(parcours, CODES_FRANCE_TRAVAIL.get(parcours)),
        rdv_insertion=parcours.code_rdv_insertion,
        departement=departement.libelles_parcours.get(parcours))


def colonnes_codes(departement: CodesDepartement) -> dict[str, tuple[Optional[str], ...]]:
    """Per output column, the code of each route in :class:`Parcours` order (for the vectorised bulk path)."""
    par_parcours = [codes_sortie(p, departement) for p in Parcours]
    return {f"code_{k}": tuple(getattr(c, k) for c in par_parcours) for k in CodesSortie.model_fields}


__all__ = ["CODES_FRANCE_TRAVAIL", "CodesSortie", "codes_sortie", "colonnes_codes"]
