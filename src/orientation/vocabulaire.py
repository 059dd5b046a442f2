"""Domain vocabulary shared by every layer: modalities, routes, referent bodies, truth values."""

from __future__ import annotations

import enum


class Modalite(enum.StrEnum):
    """How the orientation is decided (DITP 2019, scenario 4 « un rendez-vous au besoin »)."""

    rdv_obligatoire = "rdv_obligatoire"
    examen_individuel = "examen_individuel"
    orientation_directe = "orientation_directe"

    @property
    def libelle(self) -> str:
        return _LIBELLES_MODALITE[self]

    @property
    def force(self) -> int:
        """Precedence when several rules fire: the most protective modality wins."""
        return {"rdv_obligatoire": 3, "examen_individuel": 2, "orientation_directe": 1}[self.value]


_LIBELLES_MODALITE = {
    Modalite.rdv_obligatoire: "rendez-vous d'orientation en présentiel obligatoire",
    Modalite.examen_individuel: "examen individuel du dossier par un référent, sans rendez-vous",
    Modalite.orientation_directe: "orientation directe sans rendez-vous (proposition algorithmique)",
}


class Parcours(enum.StrEnum):
    """Accompaniment route (rdv-insertion codes: ``pro``, ``socio_pro``, ``social``)."""

    professionnel = "professionnel"
    socio_professionnel = "socio_professionnel"
    social = "social"

    @property
    def libelle(self) -> str:
        return {"professionnel": "parcours professionnel", "socio_professionnel": "parcours socio-professionnel",
                "social": "parcours social"}[self.value]

    @property
    def code_rdv_insertion(self) -> str:
        """rdv-insertion's ``OrientationType.casf_category`` (gip-inclusion/rdv-insertion,
        ``app/models/orientation_type.rb``: ``enum casf_category: {social, pro, socio_pro}``)."""
        return {"professionnel": "pro", "socio_professionnel": "socio_pro", "social": "social"}[self.value]


class Structure(enum.StrEnum):
    """Type of referent body."""

    france_travail = "france_travail"
    departement = "departement"
    ccas = "ccas"
    caf = "caf"
    mission_locale = "mission_locale"
    cap_emploi = "cap_emploi"
    structure_insertion = "structure_insertion"

    @property
    def libelle(self) -> str:
        return {
            "france_travail": "France Travail",
            "departement": "service social du département",
            "ccas": "CCAS",
            "caf": "CAF",
            "mission_locale": "mission locale",
            "cap_emploi": "Cap emploi",
            "structure_insertion": "structure d'insertion conventionnée",
        }[self.value]


class Verite(enum.StrEnum):
    """Three-valued truth: a condition on an unanswered field is « non renseigné », never « faux »."""

    vrai = "vrai"
    faux = "faux"
    inconnu = "inconnu"

    @property
    def libelle(self) -> str:
        return {"vrai": "vrai", "faux": "faux", "inconnu": "non renseigné"}[self.value]


#: Scenarios of the DITP 2019 référentiel.
SCENARIOS: dict[int, str] = {
    1: "scénario 1 : rendez-vous « 2-en-1 » (instruction et orientation)",
    2: "scénario 2 : aiguillage rapide en rendez-vous",
    3: "scénario 3 : diagnostic approfondi en rendez-vous",
    4: "scénario 4 : un rendez-vous au besoin",
}
