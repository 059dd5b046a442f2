"""CNAF DSP code tables: every field and code with a readable name and a French label.

Source: ``shared/reference/dsp_cnaf.md`` (CNAF instruction codes, as carried by the CAF
flux and WebRSA exports).  Each DSP field has

* a CNAF name (``natlog``) and a readable name (``logement``) used in Python and in rules;
* a kind: ``code`` (single CNAF code), ``codes`` (0..n CNAF codes), ``booleen`` (CNAF
  ``0``/``1``), ``entier`` (a year);
* for coded fields, the list of codes, each with its CNAF value (``0912``), readable
  name (``sans_abri``) and French label.

Everything else in the library derives its enums and conversions from this table, so a
code exists in exactly one place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["code", "codes", "booleen", "entier"]


@dataclass(frozen=True)
class Code:
    """One admissible value of a coded field."""

    cnaf: str
    nom: str
    libelle: str


@dataclass(frozen=True)
class ChampDSP:
    """One DSP field of the CNAF questionnaire."""

    cnaf: str
    nom: str
    libelle: str
    kind: Kind
    codes: tuple[Code, ...] = field(default_factory=tuple)

    @property
    def multiple(self) -> bool:
        return self.kind == "codes"

    def par_cnaf(self, valeur: str) -> Code | None:
        return next((c for c in self.codes if c.cnaf == valeur), None)

    def par_nom(self, valeur: str) -> Code | None:
        return next((c for c in self.codes if c.nom == valeur), None)


def _c(*triples: tuple[str, str, str]) -> tuple[Code, ...]:
    return tuple(Code(*t) for t in triples)


_NON_OUI_SANS_OBJET = _c(("N", "non", "Non"), ("O", "oui", "Oui"), ("S", "sans_objet", "Sans objet"))
# The CNAF table gives N/O/V without a public label for V; we keep the code and say so.
_NON_OUI_V = _c(("N", "non", "Non"), ("O", "oui", "Oui"), ("V", "code_v", "Autre réponse (code CNAF V)"))

CHAMPS: tuple[ChampDSP, ...] = (
    ChampDSP("sitpersdemrsa", "motif_demande", "Motif de la demande de RSA", "code", _c(
        ("0101", "fin_droits_chomage", "Fin de droits à l'assurance chômage"),
        ("0102", "fin_droits_aah", "Fin de droits à l'AAH"),
        ("0103", "fin_indemnites_maternite", "Fin d'indemnités journalières de maternité"),
        ("0104", "fin_indemnites_maladie", "Fin d'indemnités maladie ou accident du travail"),
        ("0105", "attente_pension", "En attente de pension vieillesse, d'invalidité ou d'allocation handicap"),
        ("0106", "changement_situation_familiale", "Changement de situation familiale"),
        ("0107", "faibles_ressources", "Faibles ressources"),
        ("0108", "cessation_activite", "Cessation d'activité"),
        ("0109", "fin_etudes", "Fin d'études"),
    )),
    ChampDSP("topisogroouenf", "isole_avec_enfant", "Isolement avec enfant ou grossesse (RSA majoré)", "booleen"),
    ChampDSP("topdrorsarmiant", "droits_rmi_rsa_anterieurs", "A déjà eu des droits RMI/RSA", "booleen"),
    ChampDSP("drorsarmianta2", "droits_rsa_deux_ans", "Droits RMI/RSA dans les deux dernières années", "code",
             _NON_OUI_SANS_OBJET),
    ChampDSP("topcouvsoc", "couverture_sociale", "Dispose d'une couverture maladie", "booleen"),
    ChampDSP("accosocfam", "accompagnement_social_familial", "Accompagnement social familial", "code", _NON_OUI_V),
    ChampDSP("accosocindi", "accompagnement_social_individuel", "Accompagnement social individuel", "code",
             _NON_OUI_V),
    ChampDSP("soutdemarsoc", "besoin_soutien_demarches", "Besoin d'un soutien dans les démarches sociales", "code",
             _NON_OUI_V),
    ChampDSP("nivetu", "niveau_etude", "Niveau d'études (nomenclature INSEE)", "code", _c(
        ("1201", "niveau_1_2", "Niveau I/II : supérieur à bac+2"),
        ("1202", "niveau_3", "Niveau III : bac+2"),
        ("1203", "niveau_4", "Niveau IV : niveau bac"),
        ("1204", "niveau_5", "Niveau V : CAP/BEP"),
        ("1205", "niveau_5bis", "Niveau Vbis : fin de scolarité obligatoire"),
        ("1206", "niveau_6", "Niveau VI : premier cycle du secondaire"),
        ("1207", "niveau_7", "Niveau VII : jamais scolarisé"),
    )),
    ChampDSP("nivdipmaxobt", "diplome_max", "Plus haut diplôme obtenu", "code", _c(
        ("2601", "diplome_1_2", "Diplôme de niveau I-II"),
        ("2602", "diplome_3", "Diplôme de niveau III"),
        ("2603", "diplome_4", "Diplôme de niveau IV"),
        ("2604", "diplome_5", "Diplôme de niveau V"),
        ("2605", "diplome_6", "Niveau VI : aucun diplôme ou brevet"),
        ("2606", "diplome_7", "Niveau VII : aucun diplôme"),
    )),
    ChampDSP("annobtnivdipmax", "annee_diplome_max", "Année d'obtention du plus haut diplôme", "entier"),
    ChampDSP("topqualipro", "qualification_professionnelle", "A une qualification professionnelle", "booleen"),
    ChampDSP("topcompeextrapro", "competences_extra_professionnelles",
             "A des compétences acquises hors du travail", "booleen"),
    ChampDSP("topengdemarechemploi", "pret_demarches_emploi", "Prêt à engager des démarches de recherche d'emploi",
             "booleen"),
    ChampDSP("hispro", "historique_professionnel", "Parcours professionnel", "code", _c(
        ("1901", "toujours_travaille", "A toujours travaillé"),
        ("1902", "travail_intermittent", "Travaille par intermittence"),
        ("1903", "a_deja_travaille", "A déjà travaillé"),
        ("1904", "jamais_travaille", "N'a jamais travaillé"),
    )),
    ChampDSP("cessderact", "cessation_derniere_activite", "Fin de la dernière activité", "code", _c(
        ("2701", "moins_un_an", "Toujours en activité ou arrêt depuis moins d'un an"),
        ("2702", "plus_un_an", "Arrêt depuis plus d'un an"),
    )),
    ChampDSP("topdomideract", "derniere_activite_dominante", "La dernière activité était l'activité principale",
             "booleen"),
    ChampDSP("duractdomi", "duree_activite_dominante", "Durée de l'activité principale", "code", _c(
        ("2104", "moins_un_an", "Moins d'un an"),
        ("2105", "un_a_trois_ans", "De 1 à 3 ans"),
        ("2106", "quatre_a_six_ans", "De 4 à 6 ans"),
        ("2107", "plus_six_ans", "Plus de 6 ans"),
    )),
    ChampDSP("inscdememploi", "inscription_demandeur_emploi", "Inscrit comme demandeur d'emploi depuis", "code", _c(
        ("4301", "pas_encore", "Pas encore inscrit ou inscription en cours"),
        ("4302", "moins_un_an", "Depuis moins d'un an"),
        ("4303", "un_a_cinq_ans", "Depuis 1 à 5 ans"),
        ("4304", "plus_cinq_ans", "Depuis plus de 5 ans"),
    )),
    ChampDSP("topisogrorechemploi", "isole_recherche_emploi", "Isolé dans sa recherche d'emploi", "booleen"),
    ChampDSP("accoemploi", "accompagnement_emploi", "Accompagnement dans la recherche d'emploi", "code", _c(
        ("1801", "aucun", "Aucun accompagnement"),
        ("1802", "france_travail", "Pôle emploi / France Travail"),
        ("1803", "autre", "Autre organisme"),
    )),
    ChampDSP("topprojpro", "projet_professionnel", "A un projet professionnel", "booleen"),
    ChampDSP("topcreareprientre", "projet_creation_entreprise", "A un projet de création ou reprise d'entreprise",
             "booleen"),
    ChampDSP("concoformqualiemploi", "connait_offre_formation", "Connaît l'offre de formation", "code",
             _NON_OUI_SANS_OBJET),
    ChampDSP("topmoyloco", "moyen_transport_local", "Dispose d'un moyen de transport local", "booleen"),
    ChampDSP("toppermicondub", "permis_b", "Titulaire du permis B", "booleen"),
    ChampDSP("topautrpermicondu", "autre_permis", "Titulaire d'un autre permis", "booleen"),
    ChampDSP("natlog", "logement", "Nature du logement", "code", _c(
        ("0901", "autonome_individuel", "Logement autonome individuel"),
        ("0902", "autonome_collectif", "Logement autonome collectif"),
        ("0903", "hebergement_urgence", "Hébergement d'urgence"),
        ("0904", "chrs_urgence", "CHRS d'urgence"),
        ("0905", "hotel_social", "Hôtel social"),
        ("0906", "autre_urgence", "Autre hébergement d'urgence"),
        ("0907", "appartement_relais", "Appartement relais temporaire"),
        ("0908", "bail_glissant", "Bail glissant temporaire"),
        ("0909", "heberge_tiers", "Hébergé temporairement par la famille ou un tiers"),
        ("0910", "caravane_bateau", "Précaire : caravane ou bateau"),
        ("0911", "residence_sociale_precaire", "Précaire : résidence sociale"),
        ("0912", "sans_abri", "Précaire : sans abri"),
        ("0913", "autre_precaire", "Autre logement précaire"),
    )),
    ChampDSP("demarlog", "demarches_logement", "Démarches liées au logement", "code", _c(
        ("1101", "acces_logement", "Accès à un logement"),
        ("1102", "maintien_logement", "Maintien dans le logement"),
        ("1103", "aucune", "Aucune démarche"),
    )),
    ChampDSP("difsoc", "difficultes_sociales", "Difficultés sociales", "codes", _c(
        ("0401", "aucune", "Aucune difficulté"),
        ("0402", "sante", "Santé"),
        ("0403", "rqth", "Reconnaissance de la qualité de travailleur handicapé (RQTH)"),
        ("0404", "francais", "Lecture, écriture ou compréhension du français"),
        ("0405", "demarches_administratives", "Démarches administratives"),
        ("0406", "endettement", "Endettement"),
        ("0407", "autre", "Autre difficulté"),
    )),
    ChampDSP("nataccosocfam", "domaines_accompagnement_familial", "Domaines de l'accompagnement social familial",
             "codes", _c(
                 ("0410", "logement", "Logement"),
                 ("0411", "endettement", "Endettement"),
                 ("0412", "familial", "Familial"),
                 ("0413", "autre", "Autre"),
             )),
    ChampDSP("nataccosocindi", "domaines_accompagnement_individuel",
             "Domaines de l'accompagnement social individuel", "codes", _c(
                 ("0416", "sante", "Santé"),
                 ("0417", "emploi", "Emploi"),
                 ("0418", "insertion_professionnelle", "Insertion professionnelle"),
                 ("0419", "formation", "Formation"),
                 ("0420", "autre", "Autre"),
             )),
    ChampDSP("difdisp", "freins_disponibilite", "Obstacles à la disponibilité pour un emploi", "codes", _c(
        ("0501", "aucun", "Aucun obstacle"),
        ("0502", "garde_enfant_moins_6_ans", "Garde d'enfant de moins de 6 ans"),
        ("0503", "garde_enfant_plus_6_ans", "Garde d'enfant de plus de 6 ans"),
        ("0504", "enfant_ou_proche_handicape", "Prise en charge d'un enfant ou proche handicapé"),
        ("0505", "proche_dependant", "Proche dépendant"),
        ("0506", "proche_eloigne", "Proche éloigné (hospitalisation longue, détention)"),
        ("0507", "mobilite", "Mobilité"),
        ("0508", "sante", "Santé"),
        ("0509", "logement", "Logement"),
        ("0510", "illettrisme", "Illettrisme"),
        ("0511", "absence_qualification", "Absence de qualification"),
        ("0512", "qualification_trop_specifique", "Qualification trop spécifique"),
        ("0513", "discrimination", "Discrimination"),
        ("0514", "garde_enfant", "Garde d'enfant"),
    )),
    ChampDSP("natmob", "mobilite", "Périmètre de mobilité", "codes", _c(
        ("2501", "commune", "Sur la commune"),
        ("2502", "departement", "Dans le département"),
        ("2503", "autre_departement", "Dans un autre département"),
        ("2504", "aucune", "Aucune mobilité"),
    )),
    ChampDSP("diflog", "difficultes_logement", "Difficultés de logement", "codes", _c(
        ("1001", "aucune", "Aucune difficulté"),
        ("1002", "impayes_loyer", "Impayés de loyer"),
        ("1003", "problemes_financiers", "Problèmes financiers"),
        ("1004", "insalubre", "Logement insalubre ou indécent"),
        ("1005", "isole_sans_transport", "Logement isolé, sans transports en commun"),
        ("1006", "fin_bail_expulsion", "Fin de bail, expulsion"),
        ("1007", "suroccupation", "Logement suroccupé"),
        ("1008", "eloigne_emploi", "Logement éloigné des lieux de travail"),
        ("1009", "autre", "Autre difficulté"),
    )),
    ChampDSP("moytrans", "moyens_transport", "Moyens de transport", "codes", _c(
        ("2001", "transports_commun", "Transports en commun"),
        ("2002", "vehicule_personnel", "Véhicule personnel"),
        ("2003", "voiture", "Voiture"),
        ("2004", "moto", "Moto"),
        ("2005", "cyclomoteur", "Cyclomoteur"),
        ("2006", "velo", "Vélo"),
        ("2007", "covoiturage", "Covoiturage"),
        ("2008", "autre", "Autre"),
    )),
    ChampDSP("difsocpro", "difficultes_vues_professionnel", "Difficultés sociales relevées par le professionnel",
             "codes", _c(
                 ("2101", "sante", "Santé"),
                 ("2102", "logement", "Logement"),
                 ("2103", "familiale", "Familiale"),
                 ("2104", "endettement", "Endettement"),
                 ("2105", "administrative", "Administrative"),
                 ("2106", "langue_francaise", "Langue française"),
                 ("2107", "mobilisation", "Mobilisation"),
                 ("2108", "qualification", "Qualification professionnelle"),
                 ("2109", "acces_emploi", "Accès à l'emploi"),
                 ("2110", "autre", "Autre"),
             )),
    ChampDSP("freinform", "freins_formation", "Obstacles à la formation", "codes", _c(
        ("2301", "cout", "Coût"),
        ("2302", "familial", "Familial"),
        ("2303", "reticence_scolaire", "Réticence envers l'école"),
        ("2304", "mobilite", "Mobilité"),
        ("2305", "sante", "Santé"),
        ("2306", "illettrisme", "Illettrisme"),
        ("2307", "absence_offre", "Absence d'offre"),
        ("2308", "age", "Âge"),
    )),
)

PAR_NOM: dict[str, ChampDSP] = {c.nom: c for c in CHAMPS}
PAR_CNAF: dict[str, ChampDSP] = {c.cnaf: c for c in CHAMPS}


def _enum_name(nom: str) -> str:
    return "".join(part.capitalize() for part in nom.split("_"))


def _make_enum(champ: ChampDSP) -> type[enum.StrEnum]:
    members = {code.nom: code.nom for code in champ.codes}
    en = enum.StrEnum(_enum_name(champ.nom), members)  # type: ignore[misc]
    en.__doc__ = f"{champ.libelle} (CNAF « {champ.cnaf} »)."
    return en


#: One StrEnum per coded field, keyed by readable field name; members are readable code names.
ENUMS: dict[str, type[enum.StrEnum]] = {c.nom: _make_enum(c) for c in CHAMPS if c.codes}


def libelle(nom_champ: str, valeur: object) -> str:
    """French label of a DSP value (code name, bool or year) for humans."""
    champ = PAR_NOM[nom_champ]
    if valeur is None:
        return "non renseigné"
    if champ.kind == "booleen":
        return "oui" if valeur else "non"
    if champ.kind == "entier":
        return str(valeur)
    if champ.kind == "codes":
        return ", ".join(libelle_code(champ, v) for v in valeur) or "aucun code"  # type: ignore[union-attr]
    return libelle_code(champ, valeur)


def libelle_code(champ: ChampDSP, valeur: object) -> str:
    code = champ.par_nom(str(valeur))
    return code.libelle if code else str(valeur)
