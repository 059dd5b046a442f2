"""The CAF's pre-routing (CNAF ``natparcocal``, ``natparcomod``, ``motimodparco``): its route and its French sentence.

The CAF computes a route when it instructs a request (``natparcocal``: ``PP`` professionnel,
``AS`` professionnel avec accompagnement social, ``PS`` social); the route may then be modified
(``natparcomod``) for a reason (``motimodparco``: ``CL`` critère local, ``EA`` entretien
approfondi).  Codes: WebRSA (atolcd/webrsa, enum types ``type_natparcocal``, ``type_natparcomod``,
``type_motimodparco``); meanings: issue 14.

The route that counts is the modified one when there is one, else the computed one
(:func:`parcours_caf`).  Our three routes compare with it as follows (:data:`EQUIVALENCES`):

* ``PP`` (professionnel) -> ``professionnel``;
* ``AS`` (professionnel avec accompagnement social) -> ``socio_professionnel``: a professional
  route with social support is what the national criteria call the socio-professional route
  (reading of this library, no public text maps the CNAF codes onto the three routes);
* ``PS`` (social) -> ``social``.

>>> from types import SimpleNamespace as D
>>> parcours_caf(D(preorientation_caf="professionnel", parcours_modifie_caf="social"))
'social'
>>> EQUIVALENCES["professionnel_accompagnement_social"]
'socio_professionnel'
"""

from __future__ import annotations

from typing import Any, Optional

#: Readable route of the CAF -> our route (:class:`orientation.vocabulaire.Parcours` value).
EQUIVALENCES: dict[str, str] = {
    "professionnel": "professionnel",
    "professionnel_accompagnement_social": "socio_professionnel",
    "social": "social",
}
#: CNAF code -> readable route (as in :mod:`orientation.dossier.cnaf`).
CODES_PARCOURS: dict[str, str] = {"PP": "professionnel", "AS": "professionnel_accompagnement_social",
                                  "PS": "social"}

_LIBELLES = {
    "professionnel": "parcours professionnel (PP)",
    "professionnel_accompagnement_social": "parcours professionnel avec accompagnement social (AS)",
    "social": "parcours social (PS)",
    "critere_local": "critère local (CL)",
    "entretien_approfondi": "entretien approfondi (EA)",
}


def _valeur(v: Any) -> Optional[str]:
    return None if v is None else str(getattr(v, "value", v))


def parcours_caf(dossier: Any) -> Optional[str]:
    """The CAF's route that counts (modified, else computed), readable name; ``None`` when absent."""
    return _valeur(dossier.parcours_modifie_caf) or _valeur(dossier.preorientation_caf)


def phrase(dossier: Any) -> Optional[str]:
    """French sentence of the explanation's data section, ``None`` when the flux carried no pre-routing."""
    calcule, modifie = _valeur(dossier.preorientation_caf), _valeur(dossier.parcours_modifie_caf)
    motif = _valeur(dossier.motif_modification_parcours_caf)
    if calcule is None and modifie is None and motif is None:
        return None
    texte = "Pré-orientation calculée par la CAF : " + (_LIBELLES[calcule] if calcule else "non renseigné")
    if modifie is not None or motif is not None:
        texte += (" ; parcours modifié : " + (_LIBELLES[modifie] if modifie else "non renseigné")
                  + ", motif : " + (_LIBELLES[motif] if motif else "non renseigné"))
    return texte + " — source : flux d'instruction de la CAF ; le modèle ne l'utilise pas."


__all__ = ["CODES_PARCOURS", "EQUIVALENCES", "parcours_caf", "phrase"]
