"""The dossier of a new RSA beneficiary: pydantic v2 models, CNAF round trip, French errors.

A value that was not answered is ``None`` and reads « non renseigné »: it is never replaced
by a default.  Multi-valued DSP answers distinguish ``None`` (question not answered) from
``[]`` (answered, no code).

>>> from datetime import date
>>> d = Dossier.depuis_cnaf(EXEMPLE_CNAF)
>>> d.dsp.logement
<Logement.sans_abri: 'sans_abri'>
>>> d.vers_cnaf() == EXEMPLE_CNAF
True
>>> d.age(date(2026, 1, 1))
38
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from orientation.dossier import codes
from orientation.dossier.cnaf import chemin_vers_cle_cnaf, cnaf_vers_donnees, dossier_vers_cnaf
from orientation.dossier.tabulaire import ligne_vers_enregistrement
from orientation.dossier.traduction import MARQUE_ERREURS, erreurs_depuis_pydantic
from orientation.erreurs import DossierInvalide, ErreurChamp, apercu

__all__ = ["Dossier", "DSP", "Diagnostic", "Foyer", "DossierInvalide", "erreurs_depuis_pydantic", "lire_json"]

_DATE_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

# --------------------------------------------------------------------------- enums


class Composition(enum.StrEnum):
    """Household type."""

    personne_seule = "personne_seule"
    couple = "couple"
    parent_isole = "parent_isole"


class Sexe(enum.StrEnum):
    """Sex: a protected attribute, kept for group audits only, never a model input."""

    femme = "femme"
    homme = "homme"


class Nationalite(enum.StrEnum):
    """Nationality: a protected attribute, kept for group audits only, never a model input."""

    francaise = "francaise"
    union_europeenne = "union_europeenne"
    hors_union_europeenne = "hors_union_europeenne"


class InscriptionFT(enum.StrEnum):
    """France Travail registration state at the time of orientation."""

    inscrit = "inscrit"
    en_cours = "en_cours"
    non_inscrit = "non_inscrit"


class Fragilite(enum.StrEnum):
    """Fragility declared outside the DSP (by the person, the CAF or a social worker)."""

    violences_conjugales = "violences_conjugales"
    sante = "sante"
    logement = "logement"
    handicap = "handicap"
    addiction = "addiction"
    sortie_detention = "sortie_detention"
    autre = "autre"


class NiveauFrein(enum.StrEnum):
    """How much a barrier weighs on looking for or holding a job (France Travail diagnostic).

    The three ratings of the national orientation criteria (Comité national pour l'emploi,
    7 November 2024): strong, medium, no impact.
    """

    fort = "fort"
    moyen = "moyen"
    sans_impact = "sans_impact"


class NatureParcoursCAF(enum.StrEnum):
    """Route of the CAF's pre-routing (CNAF ``natparcocal`` / ``natparcomod``: ``PP``, ``AS``, ``PS``)."""

    professionnel = "professionnel"
    professionnel_accompagnement_social = "professionnel_accompagnement_social"
    social = "social"


class MotifModificationParcours(enum.StrEnum):
    """Why the CAF's computed route was modified (CNAF ``motimodparco``: ``CL``, ``EA``)."""

    critere_local = "critere_local"
    entretien_approfondi = "entretien_approfondi"


LIBELLES_ENUMS: dict[str, str] = {
    "professionnel": "parcours professionnel",
    "professionnel_accompagnement_social": "parcours professionnel avec accompagnement social",
    "social": "parcours social",
    "critere_local": "critère local",
    "entretien_approfondi": "entretien approfondi",
    "fort": "frein fort",
    "moyen": "frein moyen",
    "sans_impact": "sans impact",
    "personne_seule": "personne seule",
    "couple": "couple",
    "parent_isole": "parent isolé",
    "femme": "femme",
    "homme": "homme",
    "francaise": "française",
    "union_europeenne": "Union européenne",
    "hors_union_europeenne": "hors Union européenne",
    "inscrit": "inscrit",
    "en_cours": "inscription en cours",
    "non_inscrit": "non inscrit",
    "violences_conjugales": "violences conjugales",
    "sante": "santé",
    "logement": "logement",
    "handicap": "handicap",
    "addiction": "addiction",
    "sortie_detention": "sortie de détention",
    "autre": "autre",
}

#: Metropolitan and overseas département codes accepted.
DEPARTEMENTS: frozenset[str] = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973", "974", "976"]
)

# --------------------------------------------------------------------------- DSP model


def _dsp_field_type(champ: codes.ChampDSP) -> Any:
    if champ.kind == "booleen":
        return Optional[bool]
    if champ.kind == "entier":
        return Optional[Annotated[int, Field(ge=1900, le=2100)]]
    en = codes.ENUMS[champ.nom]
    if champ.kind == "codes":
        return Optional[list[en]]  # type: ignore[valid-type]
    return Optional[en]


class _DSPBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    @field_validator("*", mode="before")
    @classmethod
    def _accept_cnaf_codes(cls, v: Any, info: Any) -> Any:
        """Accept CNAF codes (``"0912"``) as well as readable names (``"sans_abri"``), and flat-file cells.

        Cells follow :mod:`orientation.dossier.tabulaire`: ``""`` is « non renseigné »,
        ``"0402|0406"`` several codes, ``"-"`` answered with no code.
        """
        champ = codes.PAR_NOM[info.field_name]
        if isinstance(v, str):
            v = _cellule(champ.cnaf, v) if champ.kind == "codes" else (None if v.strip() == "" else v)
        if champ.kind in ("code", "codes") and v is not None:
            def conv(x: Any) -> Any:
                code = champ.par_cnaf(x) if isinstance(x, str) else None
                return code.nom if code else x
            if champ.kind == "codes":
                if isinstance(v, (list, tuple)):
                    out = [conv(x) for x in v]
                    noms = [x for x in out if isinstance(x, str)]
                    if len(set(noms)) != len(noms):
                        raise ValueError("code en double dans une liste")
                    return sorted(out, key=lambda x: _code_rank(champ, x))
                return v
            return conv(v)
        if champ.kind == "booleen" and isinstance(v, str) and v in ("0", "1"):
            return v == "1"
        return v


def _code_rank(champ: codes.ChampDSP, x: Any) -> tuple[int, str]:
    for i, c in enumerate(champ.codes):
        if c.nom == x:
            return (i, "")
    return (len(champ.codes), x if isinstance(x, str) else "")


def _cellule(cle_cnaf: str, v: Any) -> Any:
    """Value of one flat-file cell of column ``cle_cnaf`` (:func:`tabulaire.ligne_vers_enregistrement`).

    ``None`` for an empty cell (« non renseigné »).
    """
    return ligne_vers_enregistrement({cle_cnaf: v}).get(cle_cnaf)


DSP = create_model(  # type: ignore[call-overload]
    "DSP",
    __base__=_DSPBase,
    __doc__="Données socio-professionnelles (DSP): every CNAF field; ``None`` means « non renseigné ».",
    **{c.nom: (_dsp_field_type(c), Field(default=None, description=f"{c.libelle} (CNAF {c.cnaf})"))
       for c in codes.CHAMPS},
)

# --------------------------------------------------------------------------- diagnostic


class Diagnostic(BaseModel):
    """Answers of the France Travail diagnostic used by the national orientation criteria.

    Criteria of the Comité national pour l'emploi (7 November 2024), approved by arrêté of
    21 November 2024 (JORF 6 December 2024), in force on 1 January 2025.  Every field is
    optional: ``None`` reads « non renseigné ».
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    activite_recente: Optional[bool] = Field(
        default=None, description="Activité professionnelle en cours ou au cours des deux dernières années")
    projection_emploi: Optional[bool] = Field(
        default=None, description="Capacité à se projeter dans une activité professionnelle à court terme")
    formation_qualifiante: Optional[bool] = Field(
        default=None, description="Formation supérieure ou qualifiante")
    frein_sante: Optional[NiveauFrein] = Field(default=None, description="Difficultés de santé")
    frein_logement: Optional[NiveauFrein] = Field(default=None, description="Difficultés de logement")
    frein_mobilite: Optional[NiveauFrein] = Field(default=None, description="Difficultés de mobilité")
    frein_garde_enfant: Optional[NiveauFrein] = Field(default=None, description="Difficultés de garde d'enfant")
    frein_proche_aidant: Optional[NiveauFrein] = Field(
        default=None, description="Difficultés liées à la situation de proche aidant")
    frein_autre: Optional[NiveauFrein] = Field(default=None, description="Autres difficultés")

    @field_validator("*", mode="before")
    @classmethod
    def _cellule_vide(cls, v: Any, info: Any) -> Any:
        """An empty cell is « non renseigné »; ``"0"``/``"1"`` are booleans (flat files)."""
        if isinstance(v, str):
            if v.strip() == "":
                return None
            if v.strip() in ("0", "1") and not info.field_name.startswith("frein_"):
                return v.strip() == "1"
        return v


# --------------------------------------------------------------------------- dossier


class Foyer(BaseModel):
    """Household composition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    composition: Composition
    ages_enfants: list[Annotated[int, Field(ge=0, le=25)]] = Field(default_factory=list)

    @field_validator("ages_enfants", mode="before")
    @classmethod
    def _cellule_ages(cls, v: Any) -> Any:
        """A flat-file cell (``"4|9"``, ``"-"`` or ``""``) gives the list of ages."""
        if isinstance(v, str):
            v = _cellule("agesenfants", v)
            return [] if v is None else v
        return v

    @field_validator("ages_enfants")
    @classmethod
    def _sorted(cls, v: list[int]) -> list[int]:
        return sorted(v)


class Dossier(BaseModel):
    """Everything orientation uses about one new RSA beneficiary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identifiant: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    departement: str
    date_demande: date
    date_ouverture_droits: date
    date_notification_droits: Optional[date] = Field(
        default=None, description="Date à laquelle l'ouverture des droits est notifiée au département")
    date_naissance: date
    sexe: Optional[Sexe] = None
    nationalite: Optional[Nationalite] = None
    foyer: Foyer
    soumis_droits_devoirs: bool
    primo_demandeur: bool
    inscription_france_travail: Optional[InscriptionFT] = None
    fragilites_declarees: Optional[list[Fragilite]] = None
    demande_rdv: Optional[bool] = None
    dsp: DSP = Field(default_factory=DSP)  # type: ignore[valid-type]
    diagnostic: Diagnostic = Field(default_factory=Diagnostic,
                                   description="Diagnostic France Travail (critères nationaux d'orientation)")
    preorientation_caf: Optional[NatureParcoursCAF] = Field(
        default=None, description="Pré-orientation calculée par la CAF (flux d'instruction, NATPARCOCAL)")
    parcours_modifie_caf: Optional[NatureParcoursCAF] = Field(
        default=None, description="Parcours modifié après le calcul de la CAF (NATPARCOMOD)")
    motif_modification_parcours_caf: Optional[MotifModificationParcours] = Field(
        default=None, description="Motif de la modification du parcours (MOTIMODPARCO)")

    @field_validator("departement", mode="before")
    @classmethod
    def _dep_nombre(cls, v: Any) -> Any:
        """``93`` (an integer, as a spreadsheet reads it) or ``"1"`` mean ``"93"`` and ``"01"``."""
        if isinstance(v, int) and not isinstance(v, bool) and 0 < v < 1000:
            v = str(v)
        if isinstance(v, str) and v.strip().isdigit() and len(v.strip()) == 1:
            return v.strip().zfill(2)
        return v.strip() if isinstance(v, str) else v

    @field_validator("sexe", "nationalite", "inscription_france_travail", "demande_rdv", "date_notification_droits",
                     "fragilites_declarees", "preorientation_caf", "parcours_modifie_caf",
                     "motif_modification_parcours_caf", mode="before")
    @classmethod
    def _cellule_vide(cls, v: Any, info: Any) -> Any:
        """An empty cell is « non renseigné »; fragilities may be a ``"sante|logement"`` cell."""
        if isinstance(v, str):
            if info.field_name == "fragilites_declarees":
                return _cellule("fragilites", v)
            if v.strip() == "":
                return None
        return v

    @field_validator("departement")
    @classmethod
    def _dep(cls, v: str) -> str:
        if v not in DEPARTEMENTS:
            raise ValueError("code de département inconnu (attendu 01 à 95, 2A, 2B, 971 à 976)")
        return v

    @field_validator("date_demande", "date_ouverture_droits", "date_notification_droits", "date_naissance",
                     mode="before")
    @classmethod
    def _iso(cls, v: Any) -> Any:
        """Only ``AAAA-MM-JJ`` text or a ``date``: pydantic alone would read ``"0"`` as 1970-01-01."""
        if v is None or (isinstance(v, date) and not isinstance(v, datetime)):
            return v
        if isinstance(v, str) and _DATE_ISO.fullmatch(v):
            return v
        raise ValueError("date impossible ou mal formée (attendu AAAA-MM-JJ)")

    @field_validator("date_demande", "date_ouverture_droits", "date_notification_droits", "date_naissance")
    @classmethod
    def _plausible(cls, v: Optional[date]) -> Optional[date]:
        if v is not None and not (date(1900, 1, 1) <= v <= date(2100, 12, 31)):
            raise ValueError("date hors de la période 1900-2100")
        return v

    @field_validator("fragilites_declarees")
    @classmethod
    def _frag_unique(cls, v: Optional[list[Fragilite]]) -> Optional[list[Fragilite]]:
        if v is not None:
            if len(set(v)) != len(v):
                raise ValueError("fragilité en double")
            return sorted(v, key=list(Fragilite).index)
        return v

    @model_validator(mode="after")
    def _coherence(self) -> "Dossier":
        erreurs = _incoherences(self.date_naissance, self.date_demande, self.date_ouverture_droits,
                                self.date_notification_droits, self.dsp.annee_diplome_max)
        if erreurs:
            # Raised as ValueError so pydantic wraps it; our converter re-reads the structured form.
            import json

            payload = [[c, v.isoformat() if isinstance(v, date) else v, r] for c, v, r in erreurs]
            raise ValueError(MARQUE_ERREURS + json.dumps(payload, ensure_ascii=False))
        return self

    # ----------------------------------------------------------------- derived values

    def age(self, a_la_date: date) -> int:
        """Age in full years at a date."""
        n = self.date_naissance
        return a_la_date.year - n.year - ((a_la_date.month, a_la_date.day) < (n.month, n.day))

    @property
    def date_reference_delais(self) -> date:
        """Start of the one-month orientation deadline: notification, else opening of rights."""
        return self.date_notification_droits or self.date_ouverture_droits

    # ----------------------------------------------------------------- construction

    @classmethod
    def valider(cls, donnees: Any) -> "Dossier":
        """Build a dossier from a dict (readable names); raise :class:`DossierInvalide` if invalid.

        Every invalid field is reported at once, consistency checks between dates included.
        Values may also be written as flat-file cells (:mod:`orientation.dossier.tabulaire`):
        ``""`` for « non renseigné », ``"0402|0406"`` for several codes, ``"-"`` for an answer
        with no code, ``93`` (integer) for a département.
        """
        try:
            return cls.model_validate(donnees)
        except ValidationError as exc:
            raise DossierInvalide(_erreurs_completes(exc, donnees), _identifiant(donnees)) from None
        except RecursionError:
            raise DossierInvalide([ErreurChamp("(dossier)", "(structure imbriquée)",
                                               "structure trop imbriquée")], _identifiant(donnees)) from None

    @classmethod
    def depuis_json(cls, texte: str | bytes) -> "Dossier":
        """Build a dossier from JSON text or UTF-8 bytes: readable names, or CNAF codes if it has ``dtdemrsa``.

        Invalid UTF-8, malformed JSON, documents larger than :data:`TAILLE_MAX_JSON` or nested
        deeper than :data:`PROFONDEUR_MAX_JSON`, and numbers of more than :data:`CHIFFRES_MAX`
        digits raise :class:`DossierInvalide` (:func:`lire_json`).
        """
        donnees = lire_json(texte)
        if isinstance(donnees, dict) and "dtdemrsa" in donnees:
            return cls.depuis_cnaf(donnees)
        return cls.valider(donnees)

    @classmethod
    def depuis_cnaf(cls, enregistrement: dict[str, Any]) -> "Dossier":
        """Build a dossier from a flat CNAF-coded record (as in the CAF flux / WebRSA exports).

        Cells may follow the flat-file conventions of :mod:`orientation.dossier.tabulaire`
        (``"0402|0406"``, ``"-"``, ``departement: 93``).  Every invalid column is reported at once.
        """
        ident = _identifiant(enregistrement)
        donnees, erreurs = cnaf_vers_donnees(_cellules(enregistrement))
        if not isinstance(enregistrement, dict):
            raise DossierInvalide(erreurs, ident)
        try:
            dossier = cls.model_validate(donnees)
        except ValidationError as exc:
            # Name the columns of the CNAF record, not the readable paths; a column already
            # refused by the CNAF translation is not reported again (e.g. as « manquant »).
            refusees = {e.champ.split(".", 1)[0] for e in erreurs}
            for e in _erreurs_completes(exc, donnees):
                cle_cnaf = chemin_vers_cle_cnaf(e.champ)
                if cle_cnaf.split(".", 1)[0] not in refusees:
                    erreurs.append(ErreurChamp(cle_cnaf, e.valeur, e.raison))
        except RecursionError:
            erreurs.append(ErreurChamp("(enregistrement)", "(structure imbriquée)", "structure trop imbriquée"))
        if erreurs:
            raise DossierInvalide(erreurs, ident)
        return dossier

    @classmethod
    def depuis_xml(cls, texte: str | bytes, departement: Optional[str] = None) -> "Dossier":
        """Build a dossier from a CAF XML document holding one record (:mod:`orientation.dossier.cnaf_xml`).

        The CAF flux does not carry the département: give ``departement`` (or a ``DEPARTEMENT``
        element in the person's ``ComplementsOrientation`` block).  Every invalid column is
        reported at once, as by :meth:`depuis_cnaf`.
        """
        from orientation.dossier.cnaf_xml import enregistrement_unique

        return cls.depuis_cnaf(enregistrement_unique(texte, departement))

    def vers_cnaf(self) -> dict[str, Any]:
        """Write the dossier back to the flat CNAF-coded record, without loss."""
        return dossier_vers_cnaf(self)


#: Largest JSON document accepted for one dossier (bytes), deepest nesting, longest integer.
TAILLE_MAX_JSON = 1024 * 1024
PROFONDEUR_MAX_JSON = 16
CHIFFRES_MAX = 40


def lire_json(texte: str | bytes) -> Any:
    """Parse the JSON of one dossier; anything unreadable raises :class:`DossierInvalide` in French.

    Refused: bytes that are not UTF-8 (a UTF-8 byte-order mark is accepted), documents larger
    than :data:`TAILLE_MAX_JSON` bytes, malformed JSON, nesting deeper than
    :data:`PROFONDEUR_MAX_JSON` (a dossier needs 3 levels), integers of more than
    :data:`CHIFFRES_MAX` digits.
    """
    import json

    def refus(valeur: Any, raison: str) -> DossierInvalide:
        return DossierInvalide([ErreurChamp("(document)", valeur, raison)])

    if isinstance(texte, (bytes, bytearray)):
        if len(texte) > TAILLE_MAX_JSON:
            raise refus(f"({len(texte)} octets)", f"document trop gros (au plus {TAILLE_MAX_JSON} octets)")
        try:
            texte = bytes(texte).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            ligne = texte.count(b"\n", 0, exc.start) + 1
            raise refus(f"octet 0x{texte[exc.start]:02X}", f"encodage invalide à la position {exc.start} "
                        f"(ligne {ligne}) : le document doit être encodé en UTF-8") from None
    elif len(texte) > TAILLE_MAX_JSON:
        raise refus(f"({len(texte)} caractères)", f"document trop gros (au plus {TAILLE_MAX_JSON} octets)")

    def entier(chiffres: str) -> int:
        if len(chiffres.lstrip("-")) > CHIFFRES_MAX:
            raise _NombreTropLong(chiffres)
        return int(chiffres)

    try:
        donnees = json.loads(texte, parse_int=entier)
    except _NombreTropLong as exc:
        raise refus(apercu(10 ** (len(exc.args[0]) - 1)),
                    f"nombre trop long (au plus {CHIFFRES_MAX} chiffres)") from None
    except json.JSONDecodeError as exc:
        raise refus(texte[max(0, exc.pos - 20):exc.pos + 20],
                    f"JSON mal formé ligne {exc.lineno}, colonne {exc.colno} : {_MESSAGES_JSON.get(exc.msg, 'syntaxe invalide')}") from None
    except RecursionError:
        raise refus("(structure imbriquée)", f"JSON trop imbriqué (au plus {PROFONDEUR_MAX_JSON} niveaux)") from None
    pile = [(donnees, 1)]
    while pile:
        v, niveau = pile.pop()
        if isinstance(v, (dict, list)):
            if niveau > PROFONDEUR_MAX_JSON:
                raise refus("(structure imbriquée)", f"JSON trop imbriqué (au plus {PROFONDEUR_MAX_JSON} niveaux)")
            pile.extend((x, niveau + 1) for x in (v.values() if isinstance(v, dict) else v))
    return donnees


class _NombreTropLong(ValueError):
    pass


#: French for the messages of :class:`json.JSONDecodeError`.
_MESSAGES_JSON = {
    "Expecting value": "valeur attendue",
    "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
    "Expecting ':' delimiter": "« : » attendu",
    "Expecting ',' delimiter": "« , » attendue",
    "Unterminated string starting at": "texte non terminé",
    "Invalid control character at": "caractère de contrôle dans un texte",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence \\uXXXX invalide",
    "Extra data": "données après la fin du document",
    "Illegal trailing comma before end of object": "virgule en trop avant la fin de l'objet",
    "Illegal trailing comma before end of array": "virgule en trop avant la fin de la liste",
}


def _identifiant(donnees: Any) -> Optional[str]:
    """The dossier's identifier for error messages, when it is a plausible one."""
    ident = donnees.get("identifiant") if isinstance(donnees, dict) else None
    return ident if isinstance(ident, str) and 0 < len(ident) <= 64 and ident.isprintable() else None


def _cellules(enregistrement: Any) -> Any:
    """A CNAF record whose flat-file cells are read as :func:`tabulaire.ligne_vers_enregistrement` does."""
    if not isinstance(enregistrement, dict):
        return enregistrement
    plates = {k: v for k, v in enregistrement.items() if isinstance(k, str) and (
        isinstance(v, (str, float)) or (isinstance(v, int) and not isinstance(v, bool) and apercu(v) is v))}
    lues = ligne_vers_enregistrement(plates)
    return {k: lues[k] if k in plates else v for k, v in enregistrement.items() if k not in plates or k in lues}


def _incoherences(naissance: Optional[date], demande: Optional[date], ouverture: Optional[date],
                  notification: Optional[date], annee_diplome: Optional[int]) -> list[tuple[str, Any, str]]:
    """Inconsistencies between dates (``None``: unknown or itself invalid, the check is skipped)."""
    erreurs: list[tuple[str, Any, str]] = []
    if naissance is not None and demande is not None:
        age = demande.year - naissance.year - ((demande.month, demande.day) < (naissance.month, naissance.day))
        if naissance >= demande:
            erreurs.append(("date_naissance", naissance, "postérieure à la date de demande"))
        elif not 16 <= age <= 120:
            erreurs.append(("date_naissance", naissance, f"âge impossible à la demande ({age} ans)"))
    if notification is not None and ouverture is not None and notification < ouverture:
        erreurs.append(("date_notification_droits", notification, "antérieure à la date d'ouverture des droits"))
    if annee_diplome is not None and naissance is not None and annee_diplome < naissance.year:
        erreurs.append(("dsp.annee_diplome_max", annee_diplome, "antérieure à l'année de naissance"))
    return erreurs


def _erreurs_completes(exc: ValidationError, donnees: Any) -> list[ErreurChamp]:
    """Field errors, plus the date inconsistencies among the fields that are valid (one round of errors).

    pydantic runs the consistency validator only when every field is valid; here the
    consistency checks also run on the valid fields of an otherwise invalid dossier.
    """
    erreurs = erreurs_depuis_pydantic(exc, donnees)
    if not isinstance(donnees, dict) or any(e.champ == "(dossier)" for e in erreurs):
        return erreurs
    en_erreur = {e.champ.split(".", 1)[0] if not e.champ.startswith("dsp.") else e.champ for e in erreurs}

    def valide(chemin: str, v: Any) -> Any:
        if chemin in en_erreur or v is None or v == "":
            return None
        if chemin == "dsp.annee_diplome_max":
            return v if isinstance(v, int) and not isinstance(v, bool) else (int(v) if str(v).isdigit() else None)
        if isinstance(v, date) and not isinstance(v, datetime):
            return v
        try:
            return date.fromisoformat(v) if isinstance(v, str) and _DATE_ISO.fullmatch(v) else None
        except ValueError:
            return None

    dsp = donnees.get("dsp")
    annee = dsp.get("annee_diplome_max") if isinstance(dsp, dict) else None
    for champ, valeur, raison in _incoherences(
            valide("date_naissance", donnees.get("date_naissance")), valide("date_demande", donnees.get("date_demande")),
            valide("date_ouverture_droits", donnees.get("date_ouverture_droits")),
            valide("date_notification_droits", donnees.get("date_notification_droits")),
            valide("dsp.annee_diplome_max", annee)):
        if not any(e.champ == champ for e in erreurs):
            erreurs.append(ErreurChamp(champ, valeur, raison))
    return erreurs


EXEMPLE_CNAF: dict[str, Any] = {
    "identifiant": "EX-0001",
    "departement": "93",
    "dtdemrsa": "2025-09-02",
    "dtouvdroit": "2025-09-01",
    "dtnotifdroit": "2025-09-20",
    "dtnai": "1987-03-14",
    "sexe": "2",
    "nati": "F",
    "typefoyer": "PAR",
    "agesenfants": [4, 9],
    "toppersdrodevorsa": "1",
    "topprimodemandeur": "1",
    "inscft": "NON",
    "sitpersdemrsa": "0106",
    "topisogroouenf": "1",
    "natlog": "0912",
    "difsoc": ["0402", "0406"],
    "difdisp": ["0502"],
}
