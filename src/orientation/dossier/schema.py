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
from orientation.erreurs import DossierInvalide, ErreurChamp

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


LIBELLES_ENUMS: dict[str, str] = {
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
        """Accept CNAF codes (``"0912"``) as well as readable names (``"sans_abri"``)."""
        champ = codes.PAR_NOM[info.field_name]
        if champ.kind in ("code", "codes") and v is not None:
            def conv(x: Any) -> Any:
                code = champ.par_cnaf(x) if isinstance(x, str) else None
                return code.nom if code else x
            if champ.kind == "codes":
                if isinstance(v, (list, tuple)):
                    out = [conv(x) for x in v]
                    if len(set(map(str, out))) != len(out):
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
    return (len(champ.codes), str(x))


DSP = create_model(  # type: ignore[call-overload]
    "DSP",
    __base__=_DSPBase,
    __doc__="Données socio-professionnelles (DSP): every CNAF field; ``None`` means « non renseigné ».",
    **{c.nom: (_dsp_field_type(c), Field(default=None, description=f"{c.libelle} (CNAF {c.cnaf})"))
       for c in codes.CHAMPS},
)

# --------------------------------------------------------------------------- dossier


class Foyer(BaseModel):
    """Household composition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    composition: Composition
    ages_enfants: list[Annotated[int, Field(ge=0, le=25)]] = Field(default_factory=list)

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
        erreurs = []
        age = self.age(self.date_demande)
        if self.date_naissance >= self.date_demande:
            erreurs.append(("date_naissance", self.date_naissance, "postérieure à la date de demande"))
        elif age < 16:
            erreurs.append(("date_naissance", self.date_naissance, f"âge impossible à la demande ({age} ans)"))
        elif age > 120:
            erreurs.append(("date_naissance", self.date_naissance, f"âge impossible à la demande ({age} ans)"))
        if self.date_notification_droits is not None and self.date_notification_droits < self.date_ouverture_droits:
            erreurs.append(("date_notification_droits", self.date_notification_droits,
                            "antérieure à la date d'ouverture des droits"))
        annee = self.dsp.annee_diplome_max
        if annee is not None and annee < self.date_naissance.year:
            erreurs.append(("dsp.annee_diplome_max", annee, "antérieure à l'année de naissance"))
        if erreurs:
            # Raised as ValueError so pydantic wraps it; our converter re-reads the structured form.
            import json

            payload = [[c, v.isoformat() if isinstance(v, date) else v, r] for c, v, r in erreurs]
            raise ValueError(_COHERENCE_MARK + json.dumps(payload, ensure_ascii=False))
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
        """Build a dossier from a dict (readable names); raise :class:`DossierInvalide` if invalid."""
        try:
            return cls.model_validate(donnees)
        except ValidationError as exc:
            ident = donnees.get("identifiant") if isinstance(donnees, dict) else None
            raise DossierInvalide(erreurs_depuis_pydantic(exc, donnees), ident if isinstance(ident, str) else None) from None

    @classmethod
    def depuis_json(cls, texte: str | bytes) -> "Dossier":
        """Build a dossier from JSON text (readable names)."""
        import json

        try:
            donnees = json.loads(texte)
        except json.JSONDecodeError as exc:
            raise DossierInvalide([ErreurChamp("(document)", str(exc.doc)[:40], f"JSON mal formé : {exc.msg}")]) from None
        return cls.valider(donnees)

    @classmethod
    def depuis_cnaf(cls, enregistrement: dict[str, Any]) -> "Dossier":
        """Build a dossier from a flat CNAF-coded record (as in the CAF flux / WebRSA exports)."""
        donnees, erreurs = cnaf_vers_donnees(enregistrement)
        ident = enregistrement.get("identifiant") if isinstance(enregistrement, dict) else None
        ident = ident if isinstance(ident, str) else None
        if erreurs:
            raise DossierInvalide(erreurs, ident)
        try:
            return cls.model_validate(donnees)
        except ValidationError as exc:
            # Name the columns of the CNAF record, not the readable paths.
            raise DossierInvalide(
                [ErreurChamp(chemin_vers_cle_cnaf(e.champ), e.valeur, e.raison)
                 for e in erreurs_depuis_pydantic(exc, donnees)], ident) from None

    def vers_cnaf(self) -> dict[str, Any]:
        """Write the dossier back to the flat CNAF-coded record, without loss."""
        return dossier_vers_cnaf(self)


_COHERENCE_MARK = "@@coherence@@"


def _traduire(err: dict[str, Any]) -> str:
    t = err["type"]
    ctx = err.get("ctx") or {}
    if t == "enum":
        return f"code inconnu (valeurs admises : {str(ctx.get('expected', '')).replace(' or ', ' ou ')})"
    if t == "missing":
        return "champ obligatoire manquant"
    if t == "extra_forbidden":
        nom = str(err["loc"][-1])
        if nom in codes.PAR_CNAF:
            return f"champ inconnu (nom CNAF : utiliser « {codes.PAR_CNAF[nom].nom} » ou Dossier.depuis_cnaf)"
        return "champ inconnu"
    if t.startswith("date"):
        return "date impossible ou mal formée (attendu AAAA-MM-JJ)"
    if t.startswith("bool"):
        return "booléen attendu (true/false ou 0/1)"
    if t.startswith("int"):
        return "nombre entier attendu"
    if t in ("greater_than_equal", "less_than_equal"):
        borne = "minimum" if t == "greater_than_equal" else "maximum"
        return f"hors limites ({borne} {ctx.get('ge', ctx.get('le'))})"
    if t.startswith("string"):
        if t == "string_pattern_mismatch":
            return "caractères non admis (lettres, chiffres, . _ - uniquement)"
        if t == "string_too_short":
            return "ne doit pas être vide"
        if t == "string_too_long":
            return "trop long"
        return "texte attendu"
    if t in ("list_type", "tuple_type"):
        return "liste attendue"
    if t in ("model_type", "dict_type", "model_attributes_type"):
        return "objet attendu"
    if t == "value_error":
        return str(ctx.get("error", err["msg"]))
    return err["msg"]


def _valeur(donnees: Any, loc: tuple[Any, ...]) -> Any:
    cur = donnees
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return "(absent)"
    return cur


def erreurs_depuis_pydantic(exc: ValidationError, donnees: Any) -> list[ErreurChamp]:
    """Translate pydantic errors into French :class:`ErreurChamp` items."""
    out: list[ErreurChamp] = []
    for err in exc.errors(include_url=False):
        msg = str((err.get("ctx") or {}).get("error", ""))
        if _COHERENCE_MARK in msg:
            import json

            for champ, valeur, raison in json.loads(msg.split(_COHERENCE_MARK, 1)[1]):
                out.append(ErreurChamp(champ, valeur, raison))
            continue
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        chemin = ".".join(str(p) for p in loc) or "(dossier)"
        out.append(ErreurChamp(chemin, _valeur(donnees, loc), _traduire(err)))
    return out


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
