"""Flat CNAF-coded records (CAF flux, WebRSA exports) <-> readable dossier data.

A record is a flat mapping.  DSP fields use their CNAF names and codes (``natlog: "0912"``,
booleans ``"0"``/``"1"``, multi-valued fields as lists of codes).  Dossier data outside the
DSP use the keys below.  A key that is absent, ``None`` or ``""`` means « non renseigné »;
:func:`dossier_vers_cnaf` omits such keys, so ``depuis_cnaf(vers_cnaf(d)) == d`` and
``vers_cnaf(depuis_cnaf(r)) == r`` for every canonical record ``r``.

============================  =================================  ==========================
CNAF key                      dossier field                      values
============================  =================================  ==========================
identifiant                   identifiant                        pseudonymous id
departement                   departement                        ``93``, ``2A``, ``974``
dtdemrsa                      date_demande                       ``AAAA-MM-JJ``
dtouvdroit                    date_ouverture_droits              ``AAAA-MM-JJ``
dtnotifdroit                  date_notification_droits           ``AAAA-MM-JJ``
dtnai                         date_naissance                     ``AAAA-MM-JJ``
sexe                          sexe                               ``1`` homme, ``2`` femme
nati                          nationalite                        ``F`` française, ``C`` UE, ``A`` autre
typefoyer                     foyer.composition                  ``ISO`` seule, ``COU`` couple, ``PAR`` parent isolé
agesenfants                   foyer.ages_enfants                 list of ages
toppersdrodevorsa             soumis_droits_devoirs              ``0``/``1``
topprimodemandeur             primo_demandeur                    ``0``/``1``
inscft                        inscription_france_travail         ``INS``, ``ENC``, ``NON``
fragilites                    fragilites_declarees               list of names (no CNAF code)
topdemanderdv                 demande_rdv                        ``0``/``1``
diag_activite_recente         diagnostic.activite_recente        ``0``/``1``
diag_projection_emploi        diagnostic.projection_emploi       ``0``/``1``
diag_formation_qualifiante    diagnostic.formation_qualifiante   ``0``/``1``
diag_frein_sante              diagnostic.frein_sante             ``fort``, ``moyen``, ``sans_impact``
diag_frein_logement           diagnostic.frein_logement          same
diag_frein_mobilite           diagnostic.frein_mobilite          same
diag_frein_garde_enfant       diagnostic.frein_garde_enfant      same
diag_frein_proche_aidant      diagnostic.frein_proche_aidant     same
diag_frein_autre              diagnostic.frein_autre             same
natparcocal                   preorientation_caf                 ``PP``, ``AS``, ``PS``
natparcomod                   parcours_modifie_caf               ``PP``, ``AS``, ``PS``
motimodparco                  motif_modification_parcours_caf    ``CL``, ``EA``
============================  =================================  ==========================

The ``diag_*`` columns carry the France Travail diagnostic used by the national orientation
criteria (Comité national pour l'emploi, 7 November 2024).  They are **not** CNAF names: no
public source gives a flat-file name for them (the CAF flux does not carry the diagnostic), so
they are named after the criteria; the barrier ratings are the words of the criteria.

``natparcocal``, ``natparcomod`` and ``motimodparco`` are the CAF's pre-routing, carried by the
instruction flux (block ``Parcours`` of each ``Personne``): the route the CAF computed (``PP``
professionnel, ``AS`` professionnel avec accompagnement social, ``PS`` social), the route as
modified, and why it was modified (``CL`` critère local, ``EA`` entretien approfondi).  Names and
code lists: WebRSA (atolcd/webrsa: the ``Parcours`` model's ``$fakeInLists``, the enum types
``type_natparcocal`` / ``type_motimodparco`` and the staging table ``determinationparcours`` of its
SQL schema); the meanings are those of issue 14 (WebRSA's ``parcours.po`` was not available).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orientation.dossier import codes
from orientation.erreurs import ErreurChamp


_SEXE = {"1": "homme", "2": "femme"}
_NATI = {"F": "francaise", "C": "union_europeenne", "A": "hors_union_europeenne"}
_FOYER = {"ISO": "personne_seule", "COU": "couple", "PAR": "parent_isole"}
_INSCFT = {"INS": "inscrit", "ENC": "en_cours", "NON": "non_inscrit"}
_BOOL = {"0": False, "1": True}
_FREIN = {"fort": "fort", "moyen": "moyen", "sans_impact": "sans_impact"}
_NATPARCO = {"PP": "professionnel", "AS": "professionnel_accompagnement_social", "PS": "social"}
_MOTIMODPARCO = {"CL": "critere_local", "EA": "entretien_approfondi"}

#: key -> (dossier field, mapping code->value or a kind)
CLES_DOSSIER: dict[str, tuple[str, Any]] = {
    "identifiant": ("identifiant", "texte"),
    "departement": ("departement", "texte"),
    "dtdemrsa": ("date_demande", "date"),
    "dtouvdroit": ("date_ouverture_droits", "date"),
    "dtnotifdroit": ("date_notification_droits", "date"),
    "dtnai": ("date_naissance", "date"),
    "sexe": ("sexe", _SEXE),
    "nati": ("nationalite", _NATI),
    "typefoyer": ("foyer.composition", _FOYER),
    "agesenfants": ("foyer.ages_enfants", "entiers"),
    "toppersdrodevorsa": ("soumis_droits_devoirs", _BOOL),
    "topprimodemandeur": ("primo_demandeur", _BOOL),
    "inscft": ("inscription_france_travail", _INSCFT),
    "fragilites": ("fragilites_declarees", "noms"),
    "topdemanderdv": ("demande_rdv", _BOOL),
    "diag_activite_recente": ("diagnostic.activite_recente", _BOOL),
    "diag_projection_emploi": ("diagnostic.projection_emploi", _BOOL),
    "diag_formation_qualifiante": ("diagnostic.formation_qualifiante", _BOOL),
    "diag_frein_sante": ("diagnostic.frein_sante", _FREIN),
    "diag_frein_logement": ("diagnostic.frein_logement", _FREIN),
    "diag_frein_mobilite": ("diagnostic.frein_mobilite", _FREIN),
    "diag_frein_garde_enfant": ("diagnostic.frein_garde_enfant", _FREIN),
    "diag_frein_proche_aidant": ("diagnostic.frein_proche_aidant", _FREIN),
    "diag_frein_autre": ("diagnostic.frein_autre", _FREIN),
    "natparcocal": ("preorientation_caf", _NATPARCO),
    "natparcomod": ("parcours_modifie_caf", _NATPARCO),
    "motimodparco": ("motif_modification_parcours_caf", _MOTIMODPARCO),
}

#: Every key a record may carry, in output order.
CLES: tuple[str, ...] = tuple(CLES_DOSSIER) + tuple(c.cnaf for c in codes.CHAMPS)


def _vide(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _code_texte(v: Any) -> str | None:
    """A code cell as text (``"0912"``, ``1`` -> ``"1"``); ``None`` for anything that cannot be a code."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, int) and abs(v) < 10 ** 18:
        return str(v)
    return None


def _code_dsp(champ: codes.ChampDSP, v: Any, erreurs: list[ErreurChamp]) -> Any:
    if champ.kind == "booleen":
        s = _code_texte(v)
        if s in _BOOL:
            return _BOOL[s]
        erreurs.append(ErreurChamp(champ.cnaf, v, "booléen CNAF attendu (0 ou 1)"))
        return None
    if champ.kind == "entier":
        try:
            if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                raise ValueError
            return int(v)
        except (TypeError, ValueError):
            erreurs.append(ErreurChamp(champ.cnaf, v, "année attendue (AAAA)"))
            return None
    if champ.kind == "codes":
        if not isinstance(v, (list, tuple)):
            erreurs.append(ErreurChamp(champ.cnaf, v, "liste de codes attendue"))
            return None
        return [_un_code(champ, x, erreurs) for x in v]
    return _un_code(champ, v, erreurs)


def _un_code(champ: codes.ChampDSP, v: Any, erreurs: list[ErreurChamp]) -> Any:
    texte = _code_texte(v) if not isinstance(v, bool) else None
    code = champ.par_cnaf(texte) if texte is not None else None
    if code is None:
        admis = ", ".join(c.cnaf for c in champ.codes)
        erreurs.append(ErreurChamp(champ.cnaf, v, f"code inconnu pour « {champ.libelle} » (codes admis : {admis})"))
        return None
    return code.nom


def cnaf_vers_donnees(enregistrement: dict[str, Any]) -> tuple[dict[str, Any], list[ErreurChamp]]:
    """Translate a flat CNAF record into readable dossier data (to be validated by ``Dossier``)."""
    erreurs: list[ErreurChamp] = []
    if not isinstance(enregistrement, dict):
        return {}, [ErreurChamp("(enregistrement)", enregistrement, "objet clé/valeur attendu")]
    donnees: dict[str, Any] = {"foyer": {}, "dsp": {}, "diagnostic": {}}
    for cle, v in enregistrement.items():
        if cle in CLES_DOSSIER:
            if _vide(v):
                continue
            champ, conv = CLES_DOSSIER[cle]
            if isinstance(conv, dict):
                s = _code_texte(v)
                if s not in conv:
                    erreurs.append(ErreurChamp(cle, v, f"code inconnu (codes admis : {', '.join(conv)})"))
                    continue
                val: Any = conv[s]
            elif conv == "date":
                val = v.isoformat() if isinstance(v, date) else v
            else:
                val = v
            if champ.startswith(("foyer.", "diagnostic.")):
                haut, bas = champ.split(".", 1)
                donnees[haut][bas] = val
            else:
                donnees[champ] = val
        elif cle in codes.PAR_CNAF:
            if _vide(v):
                continue
            champ_dsp = codes.PAR_CNAF[cle]
            val = _code_dsp(champ_dsp, v, erreurs)
            if val is not None:
                donnees["dsp"][champ_dsp.nom] = val
        else:
            erreurs.append(ErreurChamp(str(cle), v, "champ inconnu du format CNAF"))
    if not donnees["diagnostic"]:  # no diagnostic answer: the field stays unset, as in the readable form
        del donnees["diagnostic"]
    if not donnees["foyer"]:
        donnees["foyer"] = None if "typefoyer" not in enregistrement else donnees["foyer"]
        if donnees["foyer"] is None:
            del donnees["foyer"]
    return donnees, erreurs


def dossier_vers_cnaf(d: Any) -> dict[str, Any]:
    """Write a dossier as a canonical flat CNAF record (non-renseigné fields omitted).

    ``d`` is a :class:`orientation.dossier.schema.Dossier`; this module sits below the schema
    (which calls it), so it reads the dossier by attribute and does not import it.
    """
    inv = {k: {v: c for c, v in conv.items()} for k, (_, conv) in CLES_DOSSIER.items() if isinstance(conv, dict)}
    out: dict[str, Any] = {}
    for cle, (champ, conv) in CLES_DOSSIER.items():
        obj: Any = d
        for part in champ.split("."):
            obj = getattr(obj, part)
        if obj is None:
            continue
        if isinstance(conv, dict):
            out[cle] = inv[cle][obj if isinstance(obj, bool) else str(obj)]
        elif conv == "date":
            out[cle] = obj.isoformat()
        elif conv == "noms":
            out[cle] = [str(x) for x in obj]
        elif conv == "entiers":
            if obj:
                out[cle] = list(obj)
        else:
            out[cle] = obj
    for champ_dsp in codes.CHAMPS:
        v = getattr(d.dsp, champ_dsp.nom)
        if v is None:
            continue
        if champ_dsp.kind == "booleen":
            out[champ_dsp.cnaf] = "1" if v else "0"
        elif champ_dsp.kind == "entier":
            out[champ_dsp.cnaf] = v
        elif champ_dsp.kind == "codes":
            out[champ_dsp.cnaf] = [champ_dsp.par_nom(str(x)).cnaf for x in v]  # type: ignore[union-attr]
        else:
            out[champ_dsp.cnaf] = champ_dsp.par_nom(str(v)).cnaf  # type: ignore[union-attr]
    return out


def chemin_vers_cle_cnaf(chemin: str) -> str:
    """Readable field path (``dsp.logement``, ``foyer.ages_enfants.1``) -> CNAF key (``natlog``, ``agesenfants.1``)."""
    for cle, (champ, _) in CLES_DOSSIER.items():
        if chemin == champ or chemin.startswith(champ + "."):
            return cle + chemin[len(champ):]
    if chemin.startswith("dsp."):
        nom, _, reste = chemin[4:].partition(".")
        if nom in codes.PAR_NOM:
            return codes.PAR_NOM[nom].cnaf + ("." + reste if reste else "")
    return chemin
