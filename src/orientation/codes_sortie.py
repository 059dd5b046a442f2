"""Output codes: the route of a decision as the receiving systems name it.

Besides the library's own route (``professionnel``, ``socio_professionnel``, ``social``), a decision
carries :class:`CodesSortie`, ``null`` when no route is decided (a referent examines the dossier,
or an appointment was set without a route):

* ``rdv_insertion``: rdv-insertion's orientation category, ``pro``, ``socio_pro`` or ``social``.
  Source: gip-inclusion/rdv-insertion, ``app/models/orientation_type.rb``
  (``enum casf_category: { social: "social", pro: "pro", socio_pro: "socio_pro" }``; the default
  names of its seeds are « Professionnelle », « Socio-professionnelle », « Sociale »).  Always set
  when the route is (:attr:`orientation.vocabulaire.Parcours.code_rdv_insertion`).
* ``france_travail``: France Travail's code for the route: the département's own code when its rule
  file gives one (``codes_france_travail``), else :data:`CODES_FRANCE_TRAVAIL`: ``PED``
  (professionnel), ``PSO`` (socio_professionnel), ``PSP`` (social).  Source: WebRSA (Atol CD,
  CeCILL v2), CakePHP shell ``FranceTravailEnvoiOrientationShell`` (``@package app.Console.Command``,
  i.e. ``app/Console/Command/FranceTravailEnvoiOrientationShell.php``), method ``getOrientations()``:
  ``CASE code_type_orient WHEN 'EMPLOI' THEN 'PED' WHEN 'SOCIAL' THEN 'PSP' WHEN 'SOCIOPRO' THEN 'PSO'``,
  sent as ``parcours`` (with ``organisme: 'CD'``) to France Travail's partner API
  ``/partenaire/orientationusager/v1/orientation`` (URL set by WebRSA's SQL patch 4.32.0, which also
  creates ``orientations_francetravail.code_parcours``, the route France Travail returns from
  ``lectureOrientation``, and the algorithm criteria ``FT_PRECO_EMPLOI`` / ``FT_PRECO_SOCIAL`` /
  ``FT_PRECO_SOCIOPRO``).  Read through a public code index which does not name the
  repository (its stored copies of atolcd/webrsa and HadoDokis/WebRSA stop at 3.x and do not hold the
  file).  Issue 14 speaks of ``PE``: the export sends ``PED``, which we follow.  The issue also says
  that WebRSA's algorithm maps the codes differently: the code that reads ``code_parcours`` for the
  ``FT_PRECO_*`` criteria was not found (the stored ``AlgorithmeorientationController`` predates
  them), so that disagreement is neither confirmed nor followed.  The national names of the three
  routes: arrêté of 21 November 2024 (JORF n° 0288 du 6 décembre 2024), « parcours à vocation
  d'insertion professionnelle (parcours emploi) », « parcours à vocation socio-professionnelle »,
  « parcours préalable à vocation d'insertion sociale ».
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

#: France Travail route codes used when the département gives none: WebRSA's export (see above).
CODES_FRANCE_TRAVAIL: dict[Parcours, str] = {
    Parcours.professionnel: "PED",
    Parcours.socio_professionnel: "PSO",
    Parcours.social: "PSP",
}


class CodesSortie(BaseModel):
    """The decided route in the codes of the systems that receive it."""

    model_config = ConfigDict(frozen=True)

    france_travail: Optional[str] = Field(
        description="code du parcours pour France Travail : celui que le département a écrit dans son fichier de "
                    "règles (codes_france_travail), sinon celui que WebRSA envoie à l'API d'orientation de France "
                    "Travail (PED : professionnel, PSO : socio_professionnel, PSP : social)")
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
