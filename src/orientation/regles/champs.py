"""Fields that conditions can test: plain dossier fields and derived values.

A :class:`Champ` reads one readable value from a :class:`~orientation.dossier.schema.Dossier`
(``None`` = non renseigné).  :func:`champ` resolves a rule's field path (``dsp.logement``,
``age(date_demande)``...) and refuses protected and reserved names.  The condition language
itself is documented in :mod:`orientation.regles.conditions`.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Literal, Optional

from orientation.dossier import codes
from orientation.dossier.schema import (DEPARTEMENTS, LIBELLES_ENUMS, Composition, Diagnostic, Dossier, Fragilite,
                                        InscriptionFT, MotifModificationParcours, NatureParcoursCAF, NiveauFrein)
from orientation.erreurs import ReglesInvalides

Genre = Literal["booleen", "code", "codes", "entier", "entiers", "date"]

# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class Champ:
    """A field (or derived value) that conditions can test.

    ``lire`` returns the readable value of a dossier (``None`` = non renseigné): ``bool``, code
    name (``str``), list of code names, ``int``, list of ``int`` or ``date``.
    """

    chemin: str
    libelle: str
    genre: Genre
    lire: Callable[[Dossier], Any] = field(compare=False, repr=False)
    codes: tuple[tuple[str, str], ...] = ()  # (name, French label)
    cnaf: tuple[tuple[str, str], ...] = ()  # (CNAF code, name)
    toujours_renseigne: bool = False
    bornes: Optional[tuple[int, int]] = None
    unite: str = ""
    #: base fields a derived value is computed from (itself for a plain field)
    bases: tuple[str, ...] = ()

    @property
    def multiple(self) -> bool:
        return self.genre in ("codes", "entiers")

    def __post_init__(self) -> None:
        object.__setattr__(self, "_libelles", dict(self.codes))

    def libelle_code(self, nom: object) -> str:
        return self._libelles.get(nom, str(nom))  # type: ignore[attr-defined, no-any-return]

    def libelle_valeur(self, v: Any) -> str:
        """French label of a value of this field; ``None`` reads « non renseigné »."""
        if v is None:
            return "non renseigné"
        if self.genre == "booleen":
            return "oui" if v else "non"
        if self.genre == "code":
            return self.libelle_code(v)
        if self.genre == "codes":
            return ", ".join(self.libelle_code(x) for x in v) or "aucun élément"
        if self.genre == "entiers":
            return ", ".join(str(x) for x in v) or "aucun élément"
        if self.genre == "date":
            return v.strftime("%d/%m/%Y")
        return f"{v} {self.unite}".strip()


def _attr(chemin: str) -> Callable[[Dossier], Any]:
    parties = chemin.split(".")

    def lire(d: Dossier) -> Any:
        obj: Any = d
        for p in parties:
            obj = getattr(obj, p)
        if isinstance(obj, list):
            return [x.value if isinstance(x, enum.Enum) else x for x in obj]
        return obj.value if isinstance(obj, enum.Enum) else obj

    return lire


def _enum_codes(en: Any) -> tuple[tuple[str, str], ...]:
    return tuple((m.value, LIBELLES_ENUMS.get(m.value, m.value)) for m in en)


def _champs_de_base() -> dict[str, Champ]:
    out: list[Champ] = [
        Champ("primo_demandeur", "Primo-demandeur (aucun droit RSA antérieur)", "booleen",
              _attr("primo_demandeur"), toujours_renseigne=True),
        Champ("demande_rdv", "La personne demande un rendez-vous", "booleen", _attr("demande_rdv")),
        Champ("soumis_droits_devoirs", "Soumis aux droits et devoirs", "booleen", _attr("soumis_droits_devoirs"),
              toujours_renseigne=True),
        Champ("inscription_france_travail", "Inscription à France Travail", "code",
              _attr("inscription_france_travail"), codes=_enum_codes(InscriptionFT)),
        Champ("fragilites_declarees", "Fragilités déclarées", "codes", _attr("fragilites_declarees"),
              codes=_enum_codes(Fragilite)),
        Champ("foyer.composition", "Composition du foyer", "code", _attr("foyer.composition"),
              codes=_enum_codes(Composition), toujours_renseigne=True),
        Champ("foyer.ages_enfants", "Âges des enfants", "entiers", _attr("foyer.ages_enfants"),
              toujours_renseigne=True, bornes=(0, 25)),
        Champ("departement", "Département", "code", _attr("departement"),
              codes=tuple((d, f"département {d}") for d in sorted(DEPARTEMENTS)), toujours_renseigne=True),
        Champ("date_demande", "Date de la demande de RSA", "date", _attr("date_demande"), toujours_renseigne=True),
        Champ("date_ouverture_droits", "Date d'ouverture des droits", "date", _attr("date_ouverture_droits"),
              toujours_renseigne=True),
        Champ("date_notification_droits", "Date de notification des droits au département", "date",
              _attr("date_notification_droits")),
        Champ("date_naissance", "Date de naissance", "date", _attr("date_naissance"), toujours_renseigne=True),
        Champ("preorientation_caf", "Pré-orientation calculée par la CAF", "code", _attr("preorientation_caf"),
              codes=_enum_codes(NatureParcoursCAF)),
        Champ("parcours_modifie_caf", "Parcours modifié après le calcul de la CAF", "code",
              _attr("parcours_modifie_caf"), codes=_enum_codes(NatureParcoursCAF)),
        Champ("motif_modification_parcours_caf", "Motif de la modification du parcours par la CAF", "code",
              _attr("motif_modification_parcours_caf"), codes=_enum_codes(MotifModificationParcours)),
    ]
    for nom, info in Diagnostic.model_fields.items():
        frein = nom.startswith("frein_")
        out.append(Champ(f"diagnostic.{nom}", f"Diagnostic France Travail : {info.description[0].lower()}"
                         f"{info.description[1:]}", "code" if frein else "booleen", _attr(f"diagnostic.{nom}"),
                         codes=_enum_codes(NiveauFrein) if frein else ()))
    for c in codes.CHAMPS:
        genre: Genre = {"code": "code", "codes": "codes", "booleen": "booleen", "entier": "entier"}[c.kind]  # type: ignore[assignment]
        out.append(Champ(
            f"dsp.{c.nom}", c.libelle, genre, _attr(f"dsp.{c.nom}"),
            codes=tuple((k.nom, k.libelle) for k in c.codes),
            cnaf=tuple((k.cnaf, k.nom) for k in c.codes),
            bornes=(1900, 2100) if genre == "entier" else None,
        ))
    return {c.chemin: dataclasses.replace(c, bases=(c.chemin,)) for c in out}


#: Every plain field a condition may test, by path.
CHAMPS: dict[str, Champ] = _champs_de_base()

#: Fields refused in rules (pseudonymous identifier, protected attributes).
CHAMPS_PROTEGES: frozenset[str] = frozenset({"identifiant", "sexe", "nationalite"})
#: Names reserved by durable-rules (a condition on them hangs the engine).
NOMS_RESERVES: frozenset[str] = frozenset({"id", "sid"})

_DERIVEE = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$")
FONCTIONS: tuple[str, ...] = ("age", "mois_entre", "annees_entre", "nombre")


def _mois(a: date, b: date) -> int:
    if b < a:
        return -_mois(b, a)
    return (b.year - a.year) * 12 + (b.month - a.month) - (b.day < a.day)


def _annees(a: date | int, b: date | int) -> int:
    if isinstance(a, date) and isinstance(b, date):
        return _mois(a, b) // 12 if b >= a else -(_mois(b, a) // 12)
    ya = a.year if isinstance(a, date) else a
    yb = b.year if isinstance(b, date) else b
    return yb - ya


class Lieu:
    """Where an error is: file and rule id (for :class:`ReglesInvalides`)."""

    def __init__(self, fichier: str, regle: Optional[str]):
        self.fichier = fichier
        self.regle = regle

    def erreur(self, raison: str) -> ReglesInvalides:
        return ReglesInvalides(self.fichier, self.regle, raison)


def _champ_simple(nom: str, lieu: Lieu) -> Champ:
    nom = nom.strip()
    derniere = nom.split(".")[-1]
    if nom in CHAMPS_PROTEGES or derniere in CHAMPS_PROTEGES:
        return _refus_protege(nom, lieu)
    if nom in NOMS_RESERVES or derniere in NOMS_RESERVES:
        raise lieu.erreur(f"le nom de champ « {nom} » est réservé par le moteur de règles (durable-rules) "
                          "et interdit dans les conditions")
    if nom not in CHAMPS:
        proches = difflib.get_close_matches(nom, list(CHAMPS), n=3, cutoff=0.6)
        suggestion = f" ; vouliez-vous dire : {', '.join(proches)} ?" if proches else ""
        raise lieu.erreur(f"champ inconnu « {nom} » (champs admis : primo_demandeur, demande_rdv, "
                          "soumis_droits_devoirs, fragilites_declarees, inscription_france_travail, "
                          "foyer.composition, foyer.ages_enfants, departement, date_demande, "
                          "date_ouverture_droits, date_notification_droits, date_naissance, "
                          "preorientation_caf, parcours_modifie_caf, motif_modification_parcours_caf, "
                          "diagnostic.<champ du diagnostic France Travail>, "
                          f"dsp.<champ DSP>, et les valeurs dérivées {', '.join(f + '(...)' for f in FONCTIONS)})"
                          f"{suggestion}")
    return CHAMPS[nom]


def _refus_protege(nom: str, lieu: Lieu) -> Champ:
    raise lieu.erreur(f"le champ « {nom} » est protégé (identifiant pseudonyme ou donnée sensible : "
                      "sexe, nationalité) et ne peut pas être utilisé dans une règle")


_LIB_DATE = {
    "date_demande": "la date de la demande",
    "date_ouverture_droits": "la date d'ouverture des droits",
    "date_notification_droits": "la date de notification des droits",
    "date_naissance": "la date de naissance",
}


def _lib_arg(c: Champ) -> str:
    return _LIB_DATE.get(c.chemin, f"« {c.libelle} »")


def champ(chemin: str, lieu: Optional[Lieu] = None) -> Champ:
    """Resolve a field path or derived expression (``age(date_demande)``) to a :class:`Champ`."""
    lieu = lieu or Lieu("(condition)", None)
    if not isinstance(chemin, str) or not chemin.strip():
        raise lieu.erreur(f"« champ » doit être un chemin de champ (texte), reçu {chemin!r}")
    m = _DERIVEE.match(chemin)
    if not m:
        return _champ_simple(chemin, lieu)
    fonction, brut = m.group(1), m.group(2)
    args = [_champ_simple(a, lieu) for a in brut.split(",")] if brut.strip() else []
    chemin = f"{fonction}({', '.join(a.chemin for a in args)})"
    if fonction not in FONCTIONS:
        raise lieu.erreur(f"fonction inconnue « {fonction} » (fonctions admises : {', '.join(FONCTIONS)})")
    attendus = {"age": 1, "mois_entre": 2, "annees_entre": 2, "nombre": 1}[fonction]
    if len(args) != attendus:
        raise lieu.erreur(f"« {fonction} » attend {attendus} argument(s), reçu {len(args)} dans « {chemin} »")
    bases = tuple(a.chemin for a in args)
    renseigne = all(a.toujours_renseigne for a in args)
    if fonction == "nombre":
        (a,) = args
        if not a.multiple:
            raise lieu.erreur(f"« nombre » s'applique à un champ à plusieurs valeurs, pas à « {a.chemin} »")
        def lire_nombre(d: Dossier, a: Champ = a) -> Optional[int]:
            v = a.lire(d)
            return None if v is None else len(v)

        return Champ(chemin, f"Nombre d'éléments de « {a.libelle} »", "entier", lire_nombre,
                     toujours_renseigne=renseigne, bornes=(0, 100), bases=bases)
    for a in args:
        admis = a.genre == "date" or (fonction == "annees_entre" and a.genre == "entier")
        if not admis:
            genre = "une date ou une année" if fonction == "annees_entre" else "une date"
            raise lieu.erreur(f"l'argument « {a.chemin} » de « {fonction} » doit être {genre}")
    if fonction == "age":
        (a,) = args

        def lire_age(d: Dossier, a: Champ = a) -> Optional[int]:
            v = a.lire(d)
            return None if v is None else d.age(v)

        return Champ(chemin, f"Âge à {_lib_arg(a)}", "entier", lire_age,
                     toujours_renseigne=renseigne, unite="ans", bases=bases + ("date_naissance",))
    a, b = args
    f: Callable[[Any, Any], int] = _mois if fonction == "mois_entre" else _annees

    def lire_ecart(d: Dossier, a: Champ = a, b: Champ = b) -> Optional[int]:
        va, vb = a.lire(d), b.lire(d)
        return None if va is None or vb is None else f(va, vb)

    unite, quoi = ("mois", "Mois écoulés") if fonction == "mois_entre" else ("ans", "Années écoulées")
    return Champ(chemin, f"{quoi} entre {_lib_arg(a)} et {_lib_arg(b)}", "entier", lire_ecart,
                 toujours_renseigne=renseigne, unite=unite, bases=bases)



def valeur_json(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, tuple):
        return [valeur_json(x) for x in v]
    return v

