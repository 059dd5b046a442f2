"""The indicators, as a declarative table: what starts and ends each clock, threshold, target, source.

Calendar arithmetic is the decisions' own (:mod:`orientation.decision`): « within N days » means
the end event falls on or before start + N days; « within one month » means on or before
:func:`~orientation.decision.ajouter_mois` (start, 1), the same day of the next month, or its last
day when that day does not exist (31 January → 28 February, or 29 February in a leap year;
29 February 2024 → 29 March 2024).  The legal deadlines of décret n° 2024-1244 apply to clocks that
start on or after 1 January 2025, as :func:`~orientation.decision.delais_legaux` decides.

>>> INDICATEURS_PAR_ID["orientation_1_mois"].echeance(date(2024, 1, 31)).isoformat()
'2024-02-29'
>>> INDICATEURS_PAR_ID["orientation_6_semaines"].echeance(date(2024, 12, 31)) is None  # before the decree
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterable, Literal, Mapping, Optional

from orientation.decision import (
    DELAI_CONTRAT_ENGAGEMENT_MOIS, DELAI_ORIENTATION_LEGAL_JOURS, DELAI_ORIENTATION_MOIS, DELAI_PREMIER_RDV_JOURS,
    REFERENCE_CONTRAT_ENGAGEMENT, REFERENCE_ORIENTATION_LEGALE, ajouter_mois, delais_legaux)
from orientation.pilotage.evenements import Personne
from orientation.regles.fichiers import REFERENCE_DITP


@dataclass(frozen=True)
class Evenement:
    """A dated event of a person's path, read from a :class:`~orientation.pilotage.evenements.Personne`."""

    id: str
    libelle: str
    date: Callable[[Personne], Optional[date]]
    #: columns of the events file the date is read from (the event is unknown when none is recorded)
    colonnes: tuple[str, ...]


def _premier_rdv(p: Personne) -> Optional[date]:
    dates = [d for d in (p.date_absence_premier_rdv, p.date_premier_rdv) if d is not None]
    return min(dates) if dates else None


EVENEMENTS: dict[str, Evenement] = {e.id: e for e in (
    Evenement("dossier_complet", "dossier de demande complet", lambda p: p.date_dossier_complet,
              ("date_dossier_complet",)),
    Evenement("notification_droits", "notification des droits", lambda p: p.date_notification_droits,
              ("date_notification_droits",)),
    # the same start as the deadlines of a decision (Dossier.date_reference_delais): notification, else opening
    Evenement("reference", "notification des droits (à défaut, ouverture des droits)",
              lambda p: p.date_notification_droits or p.date_ouverture_droits,
              ("date_notification_droits", "date_ouverture_droits")),
    Evenement("orientation", "notification de l'orientation", lambda p: p.date_orientation, ("date_orientation",)),
    Evenement("premier_rdv", "premier rendez-vous d'accompagnement (honoré ou non)", _premier_rdv,
              ("date_absence_premier_rdv", "date_premier_rdv")),
    Evenement("absence", "absence au premier rendez-vous d'accompagnement", lambda p: p.date_absence_premier_rdv,
              ("date_absence_premier_rdv",)),
    Evenement("relance", "action de relance après l'absence", lambda p: p.date_relance, ("date_relance",)),
    Evenement("premier_rdv_honore", "premier rendez-vous d'accompagnement honoré", lambda p: p.date_premier_rdv,
              ("date_premier_rdv",)),
    Evenement("cer", "signature du contrat d'engagement (CER ou PPAE)", lambda p: p.date_signature_cer,
              ("date_signature_cer",)),
)}

SOURCE_DITP = (REFERENCE_DITP + ", objectifs de délai des scénarios, repris par les conventions État–département "
               "de la stratégie de lutte contre la pauvreté (exemple : rapport d'exécution 2019 de la convention du "
               "Rhône). Texte de l'objectif tel que cité par l'issue 15 du projet, non revérifié mot à mot.")
SOURCE_RHONE = ("Rapport d'exécution 2019 de la convention État–département du Rhône : taux d'orientation passé de "
                "52 % à 66 %, délai moyen d'orientation de 129 à 120 jours ; le rapport suit aussi le taux et le "
                "délai de contractualisation (chiffres cités par l'issue 15 du projet, non revérifiés).")
SOURCE_RDV_INSERTION = (
    "rdv-insertion (GIP de l'inclusion), statistiques publiques : « pourcentage d'usagers [avec un] rendez-vous "
    "d'orientation honoré au plus tard 45 jours après l'ouverture du suivi de la catégorie RSA orientation » "
    "(code public gip-inclusion/rdv-insertion, app/helpers/stats_helper.rb) ; un taux à 30 jours l'a précédé ; le "
    "seuil de 15 jours est celui demandé par l'issue 15. Ici, le départ est la date de référence des délais "
    "(notification des droits) et l'arrivée la notification de l'orientation, pas un rendez-vous d'orientation.")

Nature = Literal["seuil", "taux"]


@dataclass(frozen=True)
class Indicateur:
    """One indicator: clock from ``depart`` to ``arrivee``; a threshold (days or months) for ``seuil``."""

    id: str
    libelle: str
    famille: str
    nature: Nature
    depart: str
    arrivee: str
    definition: str
    source: str
    jours: Optional[int] = None
    mois: Optional[int] = None
    cible: Optional[float] = None
    delais_legaux: bool = False

    def applicable(self, depart: date) -> bool:
        """Whether a clock starting on ``depart`` is judged by this indicator (legal ones: from 2025)."""
        return not self.delais_legaux or delais_legaux(depart)["motif_sans_delais_legaux"] is None

    def echeance(self, depart: date) -> Optional[date]:
        """Last day on which the end event is within the threshold (``None``: no threshold or not applicable)."""
        if self.nature != "seuil" or not self.applicable(depart):
            return None
        if self.mois is not None:
            return ajouter_mois(depart, self.mois)
        assert self.jours is not None
        return depart + timedelta(days=self.jours)

    @property
    def seuil(self) -> str:
        """The threshold in French (« 14 jours », « 1 mois »), empty for a rate without threshold."""
        if self.mois is not None:
            return f"{self.mois} mois"
        return f"{self.jours} jours" if self.jours is not None else ""

    def non_mesure(self, non_enregistres: Iterable[str]) -> list[str]:
        """The events of this indicator a source cannot date at all (none of their columns recorded)."""
        absentes = set(non_enregistres)
        return [e.libelle for e in (self.evenement_depart, self.evenement_arrivee)
                if all(c in absentes for c in e.colonnes)]

    def debut_saisie(self, saisie_depuis: Mapping[str, date]) -> Optional[date]:
        """First start date this indicator counts when its end event is entered only from some date on.

        ``saisie_depuis``: column → date from which the source's entry of that column is complete
        (:attr:`LectureEvenements.saisie_depuis`).  When the end event is dated by such columns, a clock
        that starts before the earliest of their dates could have ended before it, unentered, and would
        wrongly count as « not happened yet »: only clocks starting on or after it are counted.  A clock
        starting on or after it ends (if ever) after it, so its end is entered.  ``None``: no cut.  (The
        first appointment, attended or missed, is dated by two columns: its entry starts with the first
        event of either kind.)
        """
        dates = [saisie_depuis[c] for c in self.evenement_arrivee.colonnes if c in saisie_depuis]
        return min(dates) if dates else None

    @property
    def evenement_depart(self) -> Evenement:
        return EVENEMENTS[self.depart]

    @property
    def evenement_arrivee(self) -> Evenement:
        return EVENEMENTS[self.arrivee]

    @property
    def denominateurs(self) -> str:
        """How persons are counted (French), common to every indicator of its nature."""
        dep, arr = self.evenement_depart.libelle, self.evenement_arrivee.libelle
        population = (f"Population : les personnes dont la date « {dep} » tombe dans la période (mois du tableau : "
                      f"mois de cette date) et au plus tard à la date d'arrêt")
        if self.delais_legaux:
            population += ", à partir du 1er janvier 2025 (entrée en vigueur du décret n° 2024-1244)"
        if self.nature == "taux":
            return (population + f". Taux = personnes dont « {arr} » est survenue au plus tard à la date d'arrêt / "
                    "population ; les autres sont comptées « pas encore », jamais retirées.")
        return (population + f". Dans le délai : « {arr} » au plus tard {self.seuil} après le départ (échéance "
                "incluse). Hors délai : survenue après l'échéance, ou pas encore survenue alors que l'échéance est "
                "passée à la date d'arrêt (incluse). En cours : pas encore survenue et échéance postérieure à la "
                "date d'arrêt, pas encore jugeable. Taux = dans le délai / (dans le délai + hors délai) ; les "
                "personnes en cours sont comptées à part, jamais retirées.")


_DITP, _LEGAL, _RDVI, _RAPPORT = ("Objectifs de la convention (référentiel DITP 2019)",
                                  "Délais légaux depuis 2025 (décret n° 2024-1244)",
                                  "Délais d'orientation suivis par rdv-insertion",
                                  "Indicateurs du rapport d'exécution")

INDICATEURS: tuple[Indicateur, ...] = (
    Indicateur(
        "notification_2_semaines", "Droits notifiés dans les 2 semaines du dossier complet", _DITP, "seuil",
        "dossier_complet", "notification_droits", jours=14, cible=0.90,
        definition="Part des demandeurs dont les droits sont notifiés au plus tard 14 jours après le dépôt d'un "
                   "dossier complet.",
        source="« 90 % des demandeurs notifiés dans un délai de 2 semaines suivant le dépôt d'un dossier complet » ; "
               + SOURCE_DITP),
    Indicateur(
        "notification_3_semaines", "Droits notifiés dans les 3 semaines du dossier complet", _DITP, "seuil",
        "dossier_complet", "notification_droits", jours=21, cible=1.0,
        definition="Part des demandeurs dont les droits sont notifiés au plus tard 21 jours après le dépôt d'un "
                   "dossier complet.",
        source="« 100 % des demandeurs notifiés dans un délai de 3 semaines » ; " + SOURCE_DITP),
    Indicateur(
        "orientation_1_mois", "Nouveaux entrants orientés dans le mois de la notification des droits", _DITP, "seuil",
        "reference", "orientation", mois=DELAI_ORIENTATION_MOIS, cible=1.0,
        definition="Part des nouveaux entrants dont l'orientation est notifiée au plus tard un mois (calendaire) "
                   "après la notification des droits (à défaut, l'ouverture des droits, comme pour les délais des "
                   "décisions).",
        source="« 100 % des nouveaux entrants orientés dans un délai d'1 mois suivant la notification de leurs "
               "droits » ; " + SOURCE_DITP),
    Indicateur(
        "premier_rdv_2_semaines", "Premier rendez-vous d'accompagnement dans les 2 semaines de l'orientation", _DITP,
        "seuil", "orientation", "premier_rdv", jours=DELAI_PREMIER_RDV_JOURS, cible=1.0,
        definition="Part des personnes orientées dont le premier rendez-vous d'accompagnement (honoré ou non : la "
                   "date du rendez-vous fixé) a lieu au plus tard 14 jours après la notification de l'orientation.",
        source="« 100 % des premiers rendez-vous d'accompagnement réalisés dans un délai de 2 semaines suivant "
               "l'orientation » ; " + SOURCE_DITP),
    Indicateur(
        "relance_absence_15_jours", "Absents au premier rendez-vous relancés dans les 15 jours", _DITP, "seuil",
        "absence", "relance", jours=15, cible=1.0,
        definition="Part des personnes absentes au premier rendez-vous d'accompagnement qui font l'objet d'une "
                   "action de relance au plus tard 15 jours après l'absence.",
        source="« 100 % des personnes absentes au premier rendez-vous relancées dans un délai de 15 jours » ; "
               + SOURCE_DITP),
    Indicateur(
        "cer_1_semaine", "Contrat signé dans la semaine du premier rendez-vous", _DITP, "seuil",
        "premier_rdv_honore", "cer", jours=7, cible=1.0,
        definition="Part des personnes venues à leur premier rendez-vous d'accompagnement dont le contrat "
                   "d'engagement (CER, ou PPAE) est signé au plus tard 7 jours après ce rendez-vous.",
        source="« 100 % des CER (ou PPAE) signés dans un délai d'une semaine suivant le premier rendez-vous » ; "
               + SOURCE_DITP),
    Indicateur(
        "orientation_6_semaines", "Orientés dans les six semaines (limite légale)", _LEGAL, "seuil",
        "reference", "orientation", jours=DELAI_ORIENTATION_LEGAL_JOURS, cible=1.0, delais_legaux=True,
        definition="Part des personnes orientées par le département au plus tard six semaines (42 jours) après la "
                   "date de référence des délais : notification des droits, à défaut ouverture des droits. Le décret "
                   "compte depuis la réception par le département de l'information d'ouverture du droit, date "
                   "qu'aucune de nos sources ne porte : même approximation que les décisions.",
        source=REFERENCE_ORIENTATION_LEGALE + "."),
    Indicateur(
        "contrat_1_mois", "Contrat d'engagement signé dans le mois de l'orientation (limite légale)", _LEGAL, "seuil",
        "orientation", "cer", mois=DELAI_CONTRAT_ENGAGEMENT_MOIS, cible=1.0, delais_legaux=True,
        definition="Part des personnes orientées dont le contrat d'engagement est signé au plus tard un mois "
                   "(calendaire) après la notification de l'orientation, pour les orientations notifiées à partir du "
                   "1er janvier 2025.",
        source=REFERENCE_CONTRAT_ENGAGEMENT + "."),
    *(Indicateur(
        f"orientation_{n}_jours", f"Orientés en {n} jours au plus", _RDVI, "seuil", "reference", "orientation",
        jours=n, definition=f"Part des personnes orientées au plus tard {n} jours après la notification des droits "
                            "(à défaut, l'ouverture des droits). Sans cible : indicateur de suivi.",
        source=SOURCE_RDV_INSERTION) for n in (15, 30, 45)),
    Indicateur(
        "taux_orientation", "Taux d'orientation et délai d'orientation", _RAPPORT, "taux", "reference", "orientation",
        definition="Part des personnes orientées à la date d'arrêt parmi celles dont les droits ont été notifiés "
                   "(à défaut, ouverts) dans la période ; délai en jours de la notification des droits à la "
                   "notification de l'orientation.",
        source=SOURCE_RHONE),
    Indicateur(
        "taux_contractualisation", "Taux de contractualisation et délai de contractualisation", _RAPPORT, "taux",
        "orientation", "cer",
        definition="Part des personnes orientées dans la période dont le contrat d'engagement (CER ou PPAE) est "
                   "signé à la date d'arrêt ; délai en jours de la notification de l'orientation à la signature.",
        source=SOURCE_RHONE),
)
INDICATEURS_PAR_ID: dict[str, Indicateur] = {i.id: i for i in INDICATEURS}
