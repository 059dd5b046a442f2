"""Referent policy of the SYNTHETIC data: how referents of a département choose a route.

:class:`PolitiqueReferents` documents the utilities a referent gives each route from what
the dossier SHOWS (so a model can learn it), close to national criteria: recent activity,
readiness to look for work, education and qualification, registration at France Travail push
towards the professional route; emergency or precarious housing, health, debt, French
language, childcare without solution, declared fragility push towards the social route; the
socio-professional route is the reference (utility 0) and wins in between, and when key
answers are missing.  Département habits (:data:`HABITUDES_DEPARTEMENT`) shift these
utilities (e.g. Seine-Saint-Denis sends young people without a diploma to its
socio-professional insertion structures).  Referents then disagree with the policy in a
realistic way: the chosen route follows a random-utility (multinomial logit) model with
temperature :attr:`PolitiqueReferents.temperature`, so clear-cut dossiers are almost always
oriented as the policy says and borderline ones often are not; about 10 % of labels differ
from the policy's route.

:func:`etiqueter` labels one block drawn by :mod:`orientation.modele.tirage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from orientation.dossier import codes


def indice_code(champ: str, cnaf: str) -> int:
    """Index of the CNAF code ``cnaf`` in the code list of the DSP field ``champ`` (drawn answers are indices)."""
    return [c.cnaf for c in codes.PAR_NOM[champ].codes].index(cnaf)


@dataclass(frozen=True)
class PolitiqueReferents:
    """Utilities referents give each route (socio-professional = 0), on what the DSP shows.

    ``U_pro`` and ``U_social`` are sums of the weights below times 0/1 indicators computed
    from the dossier's answers (an unanswered question contributes nothing, except through
    ``pro_par_reponse_manquante``).  The route is ``argmax(U / temperature + Gumbel noise)``.
    """

    pro_constante: float = -1.3
    pro_activite_recente: float = 1.6
    pro_historique_regulier: float = 0.9
    pro_jamais_travaille: float = -1.2
    pro_pret_demarches: float = 1.3
    pro_pas_pret: float = -1.0
    pro_etudes_bac_ou_plus: float = 0.6
    pro_etudes_infra: float = -0.6
    pro_qualification: float = 0.4
    pro_projet: float = 0.4
    pro_inscrit_demandeur_emploi: float = 0.5
    pro_mobile: float = 0.3
    pro_logement_urgence: float = -1.6
    pro_heberge: float = -0.4
    pro_sante: float = -1.6
    pro_sante_55_ans: float = -1.0
    pro_francais: float = -0.8
    pro_dette: float = -0.4
    pro_garde_enfant: float = -0.8
    pro_fragilite: float = -1.2
    pro_par_reponse_manquante: float = -0.35

    social_constante: float = -1.9
    social_logement_urgence: float = 2.4
    social_heberge: float = 0.5
    social_sante: float = 1.7
    social_francais: float = 0.6
    social_dette: float = 1.0
    social_garde_enfant: float = 0.5
    social_parent_isole_enfant_moins_3_ans: float = 0.8
    social_fragilite: float = 1.6
    social_activite_recente: float = -0.8
    social_pret_demarches: float = -0.6
    social_pas_pret: float = 0.5
    social_jamais_travaille: float = 0.4
    social_accompagnement_social: float = 0.5

    temperature: float = 0.32


@dataclass(frozen=True)
class HabitudeDepartement:
    """How one département's referents depart from the common policy."""

    description: str
    jeunes_sans_diplome_pro: float = 0.0
    jeunes_sans_diplome_social: float = 0.0
    parent_isole_pro: float = 0.0
    heberge_social: float = 0.0


#: Département habits (unknown départements use ``"defaut"``).
HABITUDES_DEPARTEMENT: dict[str, HabitudeDepartement] = {
    "defaut": HabitudeDepartement("Pas d'habitude locale : politique commune des référents."),
    "93": HabitudeDepartement(
        "Seine-Saint-Denis (synthétique) : les moins de 30 ans sans diplôme vont vers les structures "
        "d'insertion socio-professionnelles ; les personnes hébergées par un tiers plus souvent vers le social.",
        jeunes_sans_diplome_pro=-0.8, jeunes_sans_diplome_social=-0.5, heberge_social=0.4),
    "91": HabitudeDepartement(
        "Essonne (synthétique) : les parents isolés sont plus souvent orientés vers France Travail "
        "(offre de garde renforcée).", parent_isole_pro=0.5),
}

POLITIQUE = PolitiqueReferents()


def etiqueter(t: Any, rng: np.random.Generator, departement: str, pol: PolitiqueReferents,
              age: np.ndarray, parent_moins3: np.ndarray) -> None:
    """Referent routes from the OBSERVED answers (an unanswered question shows nothing).

    ``t`` is a :class:`orientation.modele.tirage.Tirage` whose answers are drawn; sets its
    ``parcours_politique`` (route of the policy) and ``parcours`` (route the referent chose,
    one Gumbel draw per route from ``rng``).
    """
    c, bo, m = t.code, t.booleen, t.multi

    def code(champ: str, *cnafs: str) -> np.ndarray:
        return np.isin(c[champ], [indice_code(champ, x) for x in cnafs])

    def a(champ: str, cnaf: str) -> np.ndarray:
        return m[champ][:, indice_code(champ, cnaf)] & ~t.multi_nr[champ]

    recent = code("cessation_derniere_activite", "2701")
    regulier = code("historique_professionnel", "1901", "1902")
    jamais = code("historique_professionnel", "1904")
    pret = bo["pret_demarches_emploi"] == 1
    pas_pret = bo["pret_demarches_emploi"] == 0
    etu_haut = code("niveau_etude", "1201", "1202", "1203")
    etu_bas = code("niveau_etude", "1206", "1207")
    qualif = bo["qualification_professionnelle"] == 1
    projet = bo["projet_professionnel"] == 1
    inscrit = code("inscription_demandeur_emploi", "4302", "4303", "4304")
    mobile = (bo["permis_b"] == 1) | (bo["moyen_transport_local"] == 1)
    urgence = code("logement", "0903", "0904", "0905", "0906", "0910", "0911", "0912", "0913")
    heberge = code("logement", "0907", "0908", "0909")
    sante = (a("difficultes_sociales", "0402") | a("difficultes_sociales", "0403")
             | a("freins_disponibilite", "0508") | a("difficultes_vues_professionnel", "2101"))
    francais = (a("difficultes_sociales", "0404") | a("freins_disponibilite", "0510")
                | a("difficultes_vues_professionnel", "2106"))
    dette = (a("difficultes_sociales", "0406") | a("difficultes_vues_professionnel", "2104")
             | a("difficultes_logement", "1002"))
    garde = a("freins_disponibilite", "0502") | a("freins_disponibilite", "0514")
    frag = t.dossier["fragilites"]
    fragilite = (frag[:, 0] | frag[:, 4] | frag[:, 5]) & ~t.dossier["fragilites_nr"]
    acc_social = code("accompagnement_social_individuel", "O") | code("accompagnement_social_familial", "O")
    manquantes = sum((c[k] < 0).astype(int) for k in ("historique_professionnel", "cessation_derniere_activite",
                                                        "niveau_etude", "logement"))
    manquantes = manquantes + (bo["pret_demarches_emploi"] < 0) + t.multi_nr["difficultes_sociales"]
    jeune_sans_diplome = (age < 30) & code("diplome_max", "2605", "2606")
    parent = t.dossier["composition"] == 1

    u_pro = (pol.pro_constante + pol.pro_activite_recente * recent + pol.pro_historique_regulier * regulier
             + pol.pro_jamais_travaille * jamais + pol.pro_pret_demarches * pret + pol.pro_pas_pret * pas_pret
             + pol.pro_etudes_bac_ou_plus * etu_haut + pol.pro_etudes_infra * etu_bas
             + pol.pro_qualification * qualif + pol.pro_projet * projet + pol.pro_inscrit_demandeur_emploi * inscrit
             + pol.pro_mobile * mobile + pol.pro_logement_urgence * urgence + pol.pro_heberge * heberge
             + pol.pro_sante * sante + pol.pro_sante_55_ans * (sante & (age >= 55)) + pol.pro_francais * francais
             + pol.pro_dette * dette + pol.pro_garde_enfant * garde + pol.pro_fragilite * fragilite
             + pol.pro_par_reponse_manquante * manquantes)
    u_soc = (pol.social_constante + pol.social_logement_urgence * urgence + pol.social_heberge * heberge
             + pol.social_sante * sante + pol.social_francais * francais + pol.social_dette * dette
             + pol.social_garde_enfant * garde + pol.social_parent_isole_enfant_moins_3_ans * parent_moins3
             + pol.social_fragilite * fragilite + pol.social_activite_recente * recent
             + pol.social_pret_demarches * pret + pol.social_pas_pret * pas_pret
             + pol.social_jamais_travaille * jamais + pol.social_accompagnement_social * acc_social)
    hab = HABITUDES_DEPARTEMENT.get(departement, HABITUDES_DEPARTEMENT["defaut"])
    u_pro = u_pro + hab.jeunes_sans_diplome_pro * jeune_sans_diplome + hab.parent_isole_pro * parent
    u_soc = u_soc + hab.jeunes_sans_diplome_social * jeune_sans_diplome + hab.heberge_social * heberge
    u = np.column_stack([u_pro, np.zeros(t.n), u_soc])
    t.parcours_politique = np.argmax(u, axis=1).astype(np.int8)
    gumbel = -np.log(-np.log(rng.random((t.n, 3)).clip(1e-300, None)))
    t.parcours = np.argmax(u / pol.temperature + gumbel, axis=1).astype(np.int8)
