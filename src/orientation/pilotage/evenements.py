"""The events file: one row per person, one dated event per column (contract and reader).

The contract (documented in the README, « Indicateurs de la convention »): a UTF-8 CSV file,
comma-separated, with a header naming exactly the columns of :data:`COLONNES` (in any order); an
empty cell means the event has not happened yet (or is not known); dates are written
``AAAA-MM-JJ``.  Every row ends either used (a :class:`Personne`) or rejected (one
:class:`Rejet` per field in error, with its line, field, cell and French reason): rows read =
persons + rejected rows.  Blank lines are skipped and not counted.  A file that cannot be read as a
whole (missing, not UTF-8, no header, missing, unknown or duplicated columns) raises
:class:`EvenementsIllisibles`, whose message names the file and the cause.

Coverage row (optional, written by ``orientation indicateurs --base … --evenements``): the first data row may
be the row whose ``identifiant`` is :data:`LIGNE_COUVERTURE`; it is no person and is not counted.  Each of its
date cells says how complete that column is: a date, entry taken as complete from that date on (the workspace's
follow-up entry started then: :attr:`LectureEvenements.saisie_depuis`, the same cut as ``--base``); the word
:data:`NON_MESURE`, the column is not recorded at all by the source (« non mesuré »,
:attr:`LectureEvenements.non_enregistres`); empty, complete (the contract's rule).  Without that row (a file
written by hand, an export of an earlier version) every column is complete, and the report says so.

>>> import io
>>> texte = ",".join(COLONNES) + "\\n" + "SYN-1,2025-01-31" + "," * (len(COLONNES) - 2) + "\\n"
>>> lecture = lire_texte(texte, "exemple.csv")
>>> lecture.lignes_lues, len(lecture.personnes), lecture.personnes[0].date_demande.isoformat()
(1, 1, '2025-01-31')
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping, Optional

from orientation.erreurs import OrientationError, apercu
from orientation.fichiers import lire_texte_utf8
from orientation.vocabulaire import Parcours, Structure

#: Columns of the events file and what each holds (French: shown in the README and the report).
COLONNES: dict[str, str] = {
    "identifiant": "identifiant de la personne (obligatoire, unique dans le fichier)",
    "date_demande": "date de la demande de RSA (obligatoire)",
    "date_dossier_complet": "date à laquelle le dossier de demande est complet",
    "date_ouverture_droits": "date d'ouverture des droits (remplace la notification des droits, comme dans les "
                             "délais des décisions, tant que celle-ci n'est pas connue)",
    "date_notification_droits": "date de notification des droits au RSA",
    "date_orientation": "date de notification de la décision d'orientation",
    "date_absence_premier_rdv": "date du premier rendez-vous d'accompagnement quand la personne n'y est pas venue",
    "date_relance": "date de l'action de relance qui suit cette absence",
    "date_premier_rdv": "date du premier rendez-vous d'accompagnement honoré (la personne est venue)",
    "date_signature_cer": "date de signature du contrat d'engagement (CER, ou PPAE pour France Travail)",
    "structure": "type de structure référente : " + ", ".join(s.value for s in Structure),
    "parcours": "parcours d'orientation : " + ", ".join(p.value for p in Parcours),
}
COLONNES_DATES = tuple(c for c in COLONNES if c.startswith("date_"))
#: ``identifiant`` of the coverage row, and the cell of a column the source does not record (module doc).
LIGNE_COUVERTURE, NON_MESURE = "#saisie_complete_depuis", "non_mesure"
#: French names of the columns dated by the workspace's follow-up events (notes of the report).
LIBELLES_SUIVI = {"date_dossier_complet": "dossier complet", "date_absence_premier_rdv": "absence au premier "
                  "rendez-vous", "date_relance": "relance après absence", "date_premier_rdv": "premier rendez-vous "
                  "honoré", "date_signature_cer": "contrat d'engagement signé"}

_FORMAT_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: Order checks: (later column, earlier column, French reason when the later one comes first).
_ORDRE = (
    ("date_dossier_complet", "date_demande", "le dossier ne peut être complet avant la demande"),
    ("date_notification_droits", "date_demande", "les droits ne peuvent être notifiés avant la demande"),
    ("date_orientation", "date_demande", "l'orientation ne peut précéder la demande"),
    ("date_absence_premier_rdv", "date_orientation", "le premier rendez-vous d'accompagnement ne peut précéder "
                                                     "l'orientation"),
    ("date_premier_rdv", "date_orientation", "le premier rendez-vous d'accompagnement ne peut précéder l'orientation"),
    ("date_relance", "date_absence_premier_rdv", "la relance ne peut précéder l'absence"),
    ("date_signature_cer", "date_orientation", "le contrat ne peut être signé avant l'orientation"),
)
#: Columns that need another one: (column, required column, French reason).
_PREALABLES = (
    ("date_absence_premier_rdv", "date_orientation", "rendez-vous d'accompagnement sans date d'orientation"),
    ("date_premier_rdv", "date_orientation", "rendez-vous d'accompagnement sans date d'orientation"),
    ("date_relance", "date_absence_premier_rdv", "relance sans absence au premier rendez-vous"),
    ("date_signature_cer", "date_orientation", "contrat signé sans date d'orientation"),
    ("structure", "date_orientation", "structure référente sans date d'orientation"),
    ("parcours", "date_orientation", "parcours sans date d'orientation"),
)


class EvenementsIllisibles(OrientationError, ValueError):
    """The events file cannot be read as a whole; the message names the file and the cause."""


@dataclass(frozen=True)
class Personne:
    """One person's events (``None``: not happened yet, or not known)."""

    identifiant: str
    ligne: int
    date_demande: date
    date_dossier_complet: Optional[date] = None
    date_ouverture_droits: Optional[date] = None
    date_notification_droits: Optional[date] = None
    date_orientation: Optional[date] = None
    date_absence_premier_rdv: Optional[date] = None
    date_relance: Optional[date] = None
    date_premier_rdv: Optional[date] = None
    date_signature_cer: Optional[date] = None
    structure: Optional[Structure] = None
    parcours: Optional[Parcours] = None


@dataclass(frozen=True)
class Rejet:
    """One field in error in one row: line of the file (header = 1), field, cell as read, French reason."""

    ligne: int
    champ: str
    valeur: object
    raison: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "valeur", apercu(self.valeur))


@dataclass
class LectureEvenements:
    """What a source read: the persons used, the rejects, and the count of data rows read.

    A source that does not record some columns at all (the workspace's database has no contract date)
    names them in ``non_enregistres`` (column → French reason): the indicators that need them are
    « non mesurés » in the report, never shown as 0 %.  ``remarques`` are French notes on the data read
    (shown in the report, no personal data); ``unite`` is what a row is: ``"ligne"`` of a file, or
    ``"dossier"`` of the workspace (a reject's ``ligne`` is then the dossier's number).

    A source whose columns are entered only from some date on (the workspace's follow-up events: entry may
    start long after the first dossiers) gives in ``saisie_depuis`` the date from which each such column is
    taken as complete (column → date); an indicator whose end event is dated by those columns only counts
    the persons whose clock starts on or after it (:meth:`~orientation.pilotage.definitions.Indicateur.
    debut_saisie`).  A file's columns are complete by its contract (empty cell: not happened yet), unless its
    coverage row says otherwise (module doc: an export of the database carries the database's dates).
    """

    personnes: list[Personne] = field(default_factory=list)
    rejets: list[Rejet] = field(default_factory=list)
    lignes_lues: int = 0
    non_enregistres: dict[str, str] = field(default_factory=dict)
    remarques: list[str] = field(default_factory=list)
    unite: str = "ligne"
    saisie_depuis: dict[str, date] = field(default_factory=dict)

    @property
    def lignes_rejetees(self) -> int:
        return len({r.ligne for r in self.rejets})


def lire_fichier(chemin: Path) -> LectureEvenements:
    """Read an events file (UTF-8, with or without BOM); :class:`EvenementsIllisibles` if it cannot be read."""
    texte = lire_texte_utf8(chemin, "fichier d'événements", EvenementsIllisibles)
    return lire_texte(texte, str(chemin))


def lire_texte(texte: str, nom: str) -> LectureEvenements:
    """Read the text of an events file; ``nom`` names it in error messages."""
    lecteur = csv.reader(io.StringIO(texte, newline=""))
    try:
        entete = next(lecteur, None)
        while entete is not None and not any(c.strip() for c in entete):
            entete = next(lecteur, None)
        if entete is None:
            raise EvenementsIllisibles(f"fichier d'événements {nom} : vide (aucune ligne d'en-tête)")
        colonnes = [c.strip() for c in entete]
        _verifier_entete(colonnes, nom)
        lecture = LectureEvenements()
        vus: dict[str, int] = {}
        fin_precedente = lecteur.line_num
        couverture: Optional[bool] = None  # the coverage row: not looked for yet, found, absent
        for cellules in lecteur:
            debut, fin_precedente = fin_precedente + 1, lecteur.line_num
            if not any(c.strip() for c in cellules):
                continue
            est_couverture = len(cellules) == len(colonnes) and \
                cellules[colonnes.index("identifiant")].strip() == LIGNE_COUVERTURE
            if est_couverture:
                if couverture is not None:
                    raise EvenementsIllisibles(f"fichier d'événements {nom} : ligne {debut}, identifiant "
                                               f"{LIGNE_COUVERTURE} : la ligne de couverture de la saisie n'est admise "
                                               "qu'une fois, en première ligne de données")
                _lire_couverture(dict(zip(colonnes, cellules)), debut, nom, lecture)
                couverture = True
                continue
            if couverture is None:
                couverture = False
            lecture.lignes_lues += 1
            personne, rejets = _lire_ligne(cellules, colonnes, debut, vus)
            if rejets:
                lecture.rejets.extend(rejets)
            else:
                assert personne is not None
                vus[personne.identifiant] = debut
                lecture.personnes.append(personne)
        lecture.remarques.append(_note_couverture(lecture) if couverture else
                                 f"Fichier sans ligne de couverture de la saisie (identifiant {LIGNE_COUVERTURE}) : "
                                 "chaque colonne est tenue pour complète (cellule vide : pas encore survenu), sans "
                                 "coupure. Un export de la base (--evenements) d'une version antérieure n'a pas cette "
                                 "ligne : ses chiffres peuvent différer de ceux de --base quand la saisie du suivi a "
                                 "commencé après les premiers dossiers.")
    except csv.Error as exc:
        raise EvenementsIllisibles(f"fichier d'événements {nom} : ligne {lecteur.line_num}, CSV mal formé ({exc})") \
            from None
    return lecture


def _lire_couverture(cellules: dict[str, str], ligne: int, nom: str, lecture: LectureEvenements) -> None:
    """The coverage row (module doc) into ``lecture.saisie_depuis`` and ``lecture.non_enregistres``."""
    for col in COLONNES:
        texte = cellules[col].strip()
        if col == "identifiant" or not texte:
            continue
        if col in COLONNES_DATES and col != "date_demande":
            if texte == NON_MESURE:
                lecture.non_enregistres[col] = (f"non enregistré par la source du fichier (cellule {NON_MESURE} de "
                                                f"la ligne {LIGNE_COUVERTURE})")
                continue
            if _FORMAT_DATE.fullmatch(texte):
                try:
                    lecture.saisie_depuis[col] = date.fromisoformat(texte)
                    continue
                except ValueError:
                    pass
        raise EvenementsIllisibles(f"fichier d'événements {nom} : ligne {ligne} (couverture de la saisie, identifiant "
                                   f"{LIGNE_COUVERTURE}), colonne {col}, valeur « {apercu(texte)} » : attendu vide, "
                                   f"une date AAAA-MM-JJ ou « {NON_MESURE} »"
                                   + (" (sauf date_demande, structure et parcours : vides)"
                                      if col not in COLONNES_DATES or col == "date_demande" else ""))


def _note_couverture(lecture: LectureEvenements) -> str:
    def libelle(c: str) -> str:
        return LIBELLES_SUIVI.get(c, c)

    depuis = [f"{libelle(c)} depuis le {d:%d/%m/%Y}" for c, d in lecture.saisie_depuis.items()]
    return (f"Couverture de la saisie lue dans le fichier (ligne {LIGNE_COUVERTURE}, écrite par --evenements) : "
            + (", ".join(depuis) if depuis else "toutes les colonnes datées complètes")
            + (" ; non mesurés : " + ", ".join(libelle(c) for c in lecture.non_enregistres)
               if lecture.non_enregistres else "")
            + ". Les indicateurs dont l'arrivée est l'une de ces colonnes ne comptent que les personnes dont le "
              "départ est au plus tôt à sa date, comme depuis la base.")


def _verifier_entete(colonnes: list[str], nom: str) -> None:
    doubles = sorted({c for c in colonnes if colonnes.count(c) > 1})
    manquantes = [c for c in COLONNES if c not in colonnes]
    inconnues = [c for c in colonnes if c not in COLONNES]
    causes = []
    if doubles:
        causes.append("colonne(s) en double : " + ", ".join(doubles))
    if manquantes:
        causes.append("colonne(s) manquante(s) : " + ", ".join(manquantes))
    if inconnues:
        causes.append("colonne(s) inconnue(s) : " + ", ".join(str(apercu(c)) for c in inconnues[:10]))
    if causes:
        raise EvenementsIllisibles(f"fichier d'événements {nom} : " + " ; ".join(causes)
                                   + " (colonnes attendues : " + ", ".join(COLONNES) + ")")


def _lire_ligne(cellules: list[str], colonnes: list[str], ligne: int,
                vus: dict[str, int]) -> tuple[Optional[Personne], list[Rejet]]:
    if len(cellules) != len(colonnes):
        return None, [Rejet(ligne, "(ligne)", f"{len(cellules)} cellule(s)",
                            f"{len(colonnes)} cellules attendues, comme l'en-tête")]
    return personne_depuis_cellules({c: v for c, v in zip(colonnes, cellules)}, ligne, vus)


def personne_depuis_cellules(cellules: dict[str, str], ligne: int,
                             vus: dict[str, int]) -> tuple[Optional[Personne], list[Rejet]]:
    """One row of the contract (every column of :data:`COLONNES`, as text) → a person, or its rejects.

    The checks of the events file, for every source: ``vus`` maps the identifiers already used to their row.
    """
    brut = {c: cellules[c].strip() for c in COLONNES}
    rejets: list[Rejet] = []
    valeurs: dict[str, object] = {}
    ident = brut["identifiant"]
    if not ident:
        rejets.append(Rejet(ligne, "identifiant", "", "identifiant obligatoire"))
    elif ident in vus:
        rejets.append(Rejet(ligne, "identifiant", ident, f"identifiant déjà présent ligne {vus[ident]}"))
    for col in COLONNES_DATES:
        texte = brut[col]
        if not texte:
            if col == "date_demande":
                rejets.append(Rejet(ligne, col, "", "date de la demande obligatoire"))
            continue
        try:
            if not _FORMAT_DATE.fullmatch(texte):
                raise ValueError
            valeurs[col] = date.fromisoformat(texte)
        except ValueError:
            rejets.append(Rejet(ligne, col, texte, "date invalide : attendu AAAA-MM-JJ, jour existant"))
    for col, enum_ in (("structure", Structure), ("parcours", Parcours)):
        if brut[col]:
            try:
                valeurs[col] = enum_(brut[col])
            except ValueError:
                rejets.append(Rejet(ligne, col, brut[col], "valeur inconnue ; valeurs admises : "
                                    + ", ".join(e.value for e in enum_)))
    for col, requis, raison in _PREALABLES:
        if brut[col] and not brut[requis]:
            rejets.append(Rejet(ligne, col, brut[col], f"{raison} ({requis} vide)"))
    for apres, avant, raison in _ORDRE:
        a, b = valeurs.get(apres), valeurs.get(avant)
        if isinstance(a, date) and isinstance(b, date) and a < b:
            rejets.append(Rejet(ligne, apres, brut[apres], f"{raison} ({avant} : {brut[avant]})"))
    absence, honore = valeurs.get("date_absence_premier_rdv"), valeurs.get("date_premier_rdv")
    if isinstance(absence, date) and isinstance(honore, date) and honore <= absence:
        rejets.append(Rejet(ligne, "date_premier_rdv", brut["date_premier_rdv"],
                            "le rendez-vous honoré doit suivre l'absence au premier rendez-vous "
                            f"(date_absence_premier_rdv : {brut['date_absence_premier_rdv']})"))
    if rejets:
        return None, rejets
    return Personne(identifiant=ident, ligne=ligne, **valeurs), []  # type: ignore[arg-type]


def texte_evenements(personnes: Iterable[Personne], saisie_depuis: Optional[Mapping[str, date]] = None,
                     non_enregistres: Iterable[str] = ()) -> str:
    """An events file (the contract's columns, in order) holding ``personnes``: what :func:`lire_texte` reads back.

    With ``saisie_depuis`` (possibly empty), the coverage row comes first: those dates, and :data:`NON_MESURE`
    in the columns of ``non_enregistres``."""
    tampon = io.StringIO()
    w = csv.writer(tampon, lineterminator="\n")
    w.writerow(COLONNES)
    if saisie_depuis is not None:
        absentes = set(non_enregistres)
        w.writerow([LIGNE_COUVERTURE if c == "identifiant" else NON_MESURE if c in absentes
                    else _cellule(saisie_depuis.get(c)) for c in COLONNES])
    for p in personnes:
        w.writerow([_cellule(getattr(p, c)) for c in COLONNES])
    return tampon.getvalue()


def _cellule(v: object) -> str:
    if v is None:
        return ""
    return v.isoformat() if isinstance(v, date) else str(getattr(v, "value", v))
