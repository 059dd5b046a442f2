"""SYNTHETIC RSA dossiers with referent orientations — no real person, no real DSP answer.

No real DSP data is public.  This module draws realistic but entirely SYNTHETIC dossiers of
new RSA beneficiaries, and the route (``professionnel`` / ``socio_professionnel`` /
``social``) that the referents of a département would choose for them.  Every dossier
identifier starts with ``SYN-`` so that synthetic data can never be mistaken for real data.

Margins reproduced (``shared/reference/dsp_cnaf.md``, public statistics)
-----------------------------------------------------------------------
* households: 55.6 % single people, 32.1 % single parents (92 % women), 12.3 % couples;
* 54 % women; ages mostly 25-49, 52 % aged 30-49;
* 29 % in bad health: health is named as a difficulty or an obstacle in the DSP (``difsoc``
  0402, ``difdisp`` 0508, ``difsocpro`` 2101 or ``freinform`` 2305) for about 29 % of dossiers;
* 97 % subject to rights and duties; about 40 % first-time applicants;
* orientations: about 40 % professional route, 60 % social or socio-professional.

Joint distribution
------------------
People are drawn in a fixed causal order, vectorised with numpy: household → sex → age →
children → nationality → latent health → education → latent attachment to employment (age,
education, health, young children) → work history, reason for the application, recent
activity, job-seeker registration → readiness, mobility, housing → difficulties and
obstacles (``difsoc``, ``difdisp``, ``diflog``, ``difsocpro``, ``freinform``) → social support.
Correlations are deliberate: age ↔ work history, education ↔ diploma ↔ route, single parent
with a young child ↔ childcare obstacle, emergency housing ↔ social route, health ↔ social
route, non-EU nationality ↔ French-language difficulty (nationality is never a model input,
but this correlation is what a group audit must look at).

Missing answers: each DSP question is left « non renseigné » (``None``) at a field-specific
rate (2-12 %), about 6 % of dossiers have an almost empty DSP, and questions that do not apply
(end of last activity for someone who never worked, year of a diploma never obtained...) are
left unanswered.

Referent policy (the labels)
----------------------------
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

Everything is seeded and deterministic: the same ``(n, graine, departement,
date_reference)`` always gives the same dossiers and labels.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import numpy as np

from orientation.dossier import codes
from orientation.vocabulaire import Parcours

#: Prefix of every synthetic identifier.
PREFIXE_SYNTHETIQUE = "SYN-"
#: Label column added to the CNAF columns.
COLONNE_PARCOURS = "parcours_referent"
#: Optional column: route given by the referent policy before disagreement noise.
COLONNE_POLITIQUE = "parcours_politique"
#: Rows are drawn by blocks of this size, each with its own seeded generator.
TAILLE_BLOC = 65_536

PARCOURS: tuple[Parcours, ...] = (Parcours.professionnel, Parcours.socio_professionnel, Parcours.social)

_C = {c.nom: c for c in codes.CHAMPS}


def _idx(champ: str, cnaf: str) -> int:
    return [c.cnaf for c in _C[champ].codes].index(cnaf)


# --------------------------------------------------------------------------- referent policy


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

# --------------------------------------------------------------------------- generation helpers


def _cat(rng: np.random.Generator, p: Any, n: Optional[int] = None) -> np.ndarray:
    """Draw categories: ``p`` is a probability vector (needs ``n``) or an (n, k) matrix."""
    p = np.asarray(p, dtype=float)
    if p.ndim == 1:
        cum = np.cumsum(p / p.sum())
        assert n is not None
        u = rng.random(n)
    else:
        cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        u = rng.random(p.shape[0])[:, None]
        return np.minimum((u > cum).sum(axis=1), p.shape[1] - 1)
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def _b(rng: np.random.Generator, p: Any, n: int) -> np.ndarray:
    """Bernoulli draws with (possibly per-row) probability ``p``."""
    return rng.random(n) < np.clip(np.broadcast_to(np.asarray(p, dtype=float), (n,)), 0.0, 1.0)


def _decaler_annees(d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Same day ``k`` years earlier (29 February -> 28 February in a non-leap year)."""
    mois = d.astype("datetime64[M]")
    jour = (d - mois.astype("datetime64[D]")).astype(int)
    nouveau = mois - (12 * np.asarray(k)).astype("timedelta64[M]")
    longueur = ((nouveau + 1).astype("datetime64[D]") - nouveau.astype("datetime64[D]")).astype(int)
    return nouveau.astype("datetime64[D]") + np.minimum(jour, longueur - 1).astype("timedelta64[D]")


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


#: Per-field probability that a question is left unanswered (besides not-applicable cases).
TAUX_NON_RENSEIGNE: dict[str, float] = {
    "motif_demande": 0.03, "isole_avec_enfant": 0.04, "droits_rmi_rsa_anterieurs": 0.04,
    "droits_rsa_deux_ans": 0.08, "couverture_sociale": 0.05, "accompagnement_social_familial": 0.08,
    "accompagnement_social_individuel": 0.08, "besoin_soutien_demarches": 0.07, "niveau_etude": 0.05,
    "diplome_max": 0.07, "annee_diplome_max": 0.12, "qualification_professionnelle": 0.06,
    "competences_extra_professionnelles": 0.10, "pret_demarches_emploi": 0.05,
    "historique_professionnel": 0.04, "cessation_derniere_activite": 0.06,
    "derniere_activite_dominante": 0.10, "duree_activite_dominante": 0.10,
    "inscription_demandeur_emploi": 0.05, "isole_recherche_emploi": 0.09, "accompagnement_emploi": 0.06,
    "projet_professionnel": 0.06, "projet_creation_entreprise": 0.08, "connait_offre_formation": 0.09,
    "moyen_transport_local": 0.05, "permis_b": 0.04, "autre_permis": 0.08, "logement": 0.03,
    "demarches_logement": 0.06, "difficultes_sociales": 0.04, "domaines_accompagnement_familial": 0.05,
    "domaines_accompagnement_individuel": 0.05, "freins_disponibilite": 0.04, "mobilite": 0.06,
    "difficultes_logement": 0.05, "moyens_transport": 0.06, "difficultes_vues_professionnel": 0.10,
    "freins_formation": 0.09,
}
#: Share of dossiers whose DSP is almost empty, and the unanswered rate in those dossiers.
TAUX_DSP_QUASI_VIDE = 0.06
TAUX_NR_DSP_QUASI_VIDE = 0.85


@dataclass
class _Tirage:
    """Raw draws of one block: codes as indices (-1 = non renseigné), booleans 0/1/-1."""

    n: int
    dossier: dict[str, np.ndarray] = field(default_factory=dict)
    code: dict[str, np.ndarray] = field(default_factory=dict)
    booleen: dict[str, np.ndarray] = field(default_factory=dict)
    multi: dict[str, np.ndarray] = field(default_factory=dict)  # (n, k) bool
    multi_nr: dict[str, np.ndarray] = field(default_factory=dict)  # (n,) bool
    entier: dict[str, np.ndarray] = field(default_factory=dict)  # 0 = non renseigné
    parcours: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    parcours_politique: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))


def _multi(t: _Tirage, champ: str, colonnes: dict[str, np.ndarray], aucun: Optional[str] = None) -> None:
    """Store a multi-valued answer from per-code indicators; with ``aucun``, empty -> that code."""
    k = len(_C[champ].codes)
    m = np.zeros((t.n, k), dtype=bool)
    for cnaf, v in colonnes.items():
        m[:, _idx(champ, cnaf)] |= v
    if aucun is not None:
        j = _idx(champ, aucun)
        autres = np.delete(m, j, axis=1).any(axis=1)
        m[:, j] = ~autres
    t.multi[champ] = m
    t.multi_nr[champ] = np.zeros(t.n, dtype=bool)


def _tirer_bloc(n: int, rng: np.random.Generator, departement: str, date_reference: date,
                politique: PolitiqueReferents) -> _Tirage:
    t = _Tirage(n)
    un = np.ones(n)

    # ---------------------------------------------------------------- household, sex, age
    compo = _cat(rng, [0.556, 0.321, 0.123], n)  # 0 single, 1 single parent, 2 couple
    seul, parent, couple = compo == 0, compo == 1, compo == 2
    p_femme = np.select([seul, parent, couple], [0.34, 0.92, 0.45])
    femme = _b(rng, p_femme, n)
    bornes = np.array([18, 25, 30, 40, 50, 60, 67])
    p_age = np.select(
        [seul[:, None], parent[:, None], couple[:, None]],
        [np.array([0.01, 0.20, 0.24, 0.20, 0.25, 0.10]), np.array([0.09, 0.16, 0.37, 0.28, 0.09, 0.01]),
         np.array([0.02, 0.14, 0.28, 0.28, 0.20, 0.08])])
    tranche = _cat(rng, p_age)
    age = bornes[tranche] + np.floor(rng.random(n) * (bornes[tranche + 1] - bornes[tranche])).astype(int)

    # ---------------------------------------------------------------- dates
    ref = np.datetime64(date_reference, "D")
    demande = ref - rng.integers(20, 151, n).astype("timedelta64[D]")
    ouverture = demande.astype("datetime64[M]").astype("datetime64[D]")
    notification = demande + rng.integers(8, 46, n).astype("timedelta64[D]")
    notif_nr = _b(rng, 0.08, n)
    # birth date: exact age ``age`` at the application date
    haut = _decaler_annees(demande, age)
    bas = _decaler_annees(demande, age + 1) + np.timedelta64(1, "D")
    etendue = (haut - bas).astype(int) + 1
    naissance = bas + np.floor(rng.random(n) * etendue).astype(int).astype("timedelta64[D]")
    t.dossier["naissance"] = naissance
    t.dossier["demande"] = demande
    t.dossier["ouverture"] = ouverture
    t.dossier["notification"] = np.where(notif_nr, np.datetime64("NaT"), notification)

    # ---------------------------------------------------------------- children
    nb = np.zeros(n, dtype=int)
    nb[parent] = 1 + _cat(rng, [0.45, 0.33, 0.15, 0.07], int(parent.sum()))
    avec = couple & _b(rng, 0.55, n)
    nb[avec] = 1 + _cat(rng, [0.35, 0.35, 0.20, 0.10], int(avec.sum()))
    bandes = np.array([0, 3, 6, 12, 18])
    b_jeune = _cat(rng, [0.33, 0.25, 0.30, 0.12], n)
    plus_jeune = bandes[b_jeune] + np.floor(rng.random(n) * (bandes[b_jeune + 1] - bandes[b_jeune])).astype(int)
    plus_jeune = np.minimum(plus_jeune, np.maximum(age - 17, 0))
    max_enfants = 4
    ages_enf = np.full((n, max_enfants), -1, dtype=int)
    plafond = np.minimum(np.maximum(age - 16, 0), 25)
    courant = plus_jeune.copy()
    for j in range(max_enfants):
        a_cet = nb > j
        ages_enf[a_cet, j] = np.minimum(courant[a_cet], plafond[a_cet])
        courant = courant + rng.integers(1, 6, n)
    t.dossier["ages_enfants"] = ages_enf
    a_enfant = nb > 0
    moins3 = a_enfant & (plus_jeune < 3)
    moins6 = a_enfant & (plus_jeune < 6)
    enf_6_12 = ((ages_enf >= 6) & (ages_enf <= 12)).any(axis=1)

    # ---------------------------------------------------------------- nationality (audit only)
    nati = _cat(rng, [0.78, 0.05, 0.17], n)  # F, C (EU), A (other)
    hors_ue, ue = nati == 2, nati == 1

    # ---------------------------------------------------------------- latent health, education
    p_sante = np.clip(0.165 + 0.0085 * (age - 25), 0.05, 0.6) + 0.06 * seul - 0.04 * parent
    mauvaise_sante = _b(rng, p_sante, n)
    p_etu = np.select(
        [hors_ue[:, None], ue[:, None]],
        [np.array([0.10, 0.06, 0.14, 0.14, 0.10, 0.20, 0.26]), np.array([0.08, 0.08, 0.20, 0.25, 0.12, 0.17, 0.10])],
        np.array([0.07, 0.09, 0.23, 0.31, 0.12, 0.13, 0.05]))
    etu = _cat(rng, p_etu)  # 0 = I/II ... 6 = VII
    vieux = (age >= 50) & _b(rng, 0.25, n)
    etu = np.where(vieux, np.minimum(etu + 1, 6), etu)
    etu_haut = etu <= 2
    etu_bas = etu >= 5

    # ---------------------------------------------------------------- employment attachment
    z = (rng.standard_normal(n) + 0.45 * etu_haut - 0.45 * etu_bas - 0.6 * (age < 25) - 0.55 * mauvaise_sante
         - 0.5 * (parent & moins3) + 0.2 * (age >= 30) * (age < 50) - 0.25 * hors_ue)
    hispro = np.select([z > 1.0, z > 0.0, z > -1.05], [0, 1, 2], 3)  # 1901..1904
    jamais = hispro == 3

    # reason for the application
    p_motif = np.zeros((n, 9))
    p_motif[:, 0] = np.where(hispro <= 1, 0.34, np.where(hispro == 2, 0.12, 0.0))  # end of unemployment rights
    p_motif[:, 1] = 0.01 + 0.04 * mauvaise_sante  # end of AAH
    p_motif[:, 2] = np.where(femme & moins3 & ~jamais, 0.15, 0.0)  # end of maternity allowances
    p_motif[:, 3] = np.where(~jamais, 0.02 + 0.12 * mauvaise_sante, 0.0)  # end of sickness allowances
    p_motif[:, 4] = np.where(age >= 55, 0.05 + 0.15 * mauvaise_sante, 0.005)  # awaiting pension
    p_motif[:, 5] = 0.06 + 0.22 * parent + 0.05 * couple  # change in family situation
    p_motif[:, 6] = 0.40 * un  # low resources
    p_motif[:, 7] = np.where(~jamais, 0.10, 0.0)  # stopped working
    p_motif[:, 8] = np.where((age < 28) & (etu <= 3), 0.25, 0.0)  # end of studies
    motif = _cat(rng, p_motif)

    # recent activity
    p_recent = np.select([hispro == 0, hispro == 1, hispro == 2], [0.75, 0.6, 0.2], 0.0)
    p_recent = np.clip(p_recent + 0.25 * (motif == 0) + 0.2 * (motif == 7), 0, 0.97)
    recent = _b(rng, p_recent, n) & ~jamais
    cess = np.where(jamais, -1, np.where(recent, 0, 1))
    dominante = _b(rng, 0.7, n)
    p_duree = np.column_stack([
        0.45 - 0.004 * (age - 25), 0.30 * un, 0.15 + 0.002 * (age - 25), 0.10 + 0.006 * (age - 25)])
    p_duree[hispro == 0] += np.array([-0.2, 0.0, 0.1, 0.3])
    duree = _cat(rng, np.clip(p_duree, 0.02, None))

    # job-seeker registration (automatic registration at France Travail since 2025)
    p_inscrit = np.clip(0.25 + 0.55 * (motif == 0) + 0.25 * recent - 0.15 * jamais + 0.1 * (hispro == 1), 0.05, 0.97)
    deja_inscrit = _b(rng, p_inscrit, n)
    p_anc = np.column_stack([0.55 + 0.3 * (motif == 0) - 0.006 * (age - 25), 0.35 * un,
                             0.08 + 0.006 * (age - 25) + 0.1 * jamais])
    anciennete = 1 + _cat(rng, np.clip(p_anc, 0.02, None))
    inscdem = np.where(deja_inscrit, anciennete, 0)  # 0 = 4301 not yet
    etat_ft = np.where(deja_inscrit, 0, np.where(_b(rng, 0.9, n), 1, 2))  # inscrit / en_cours / non_inscrit
    etat_ft = np.where(_b(rng, 0.04, n), -1, etat_ft)
    t.dossier["inscft"] = etat_ft

    # readiness, project, mobility
    moins3_parent = parent & moins3
    p_pret = _sig(1.25 + 0.7 * z - 1.6 * mauvaise_sante - 0.9 * moins3_parent - 0.4 * (age >= 58))
    pret = _b(rng, p_pret, n)
    permis = _b(rng, _sig(-0.2 + 0.6 * etu_haut - 0.7 * etu_bas - 0.9 * hors_ue - 1.2 * (age < 23) + 0.3 * couple), n)
    vehicule = permis & _b(rng, 0.55, n)
    transport_commun = _b(rng, 0.72, n)
    moyloco = vehicule | (transport_commun & _b(rng, 0.75, n))

    # ---------------------------------------------------------------- housing
    groupes_log = _cat(rng, np.column_stack([
        0.62 - 0.06 * seul + 0.12 * parent - 0.12 * hors_ue + 0.05 * (age >= 40),  # autonomous
        0.20 + 0.06 * seul - 0.06 * parent + 0.06 * (age < 30),  # with relatives / third party
        0.04 * un,  # temporary
        0.07 + 0.04 * seul + 0.08 * hors_ue,  # emergency
        0.07 + 0.03 * seul + 0.03 * mauvaise_sante,  # precarious
    ]))
    code_log = np.empty(n, dtype=int)
    for g, (codes_g, p_g) in enumerate([
        (["0901", "0902"], [0.72, 0.28]),
        (["0909"], [1.0]),
        (["0907", "0908"], [0.5, 0.5]),
        (["0903", "0904", "0905", "0906"], [0.45, 0.15, 0.30, 0.10]),
        (["0910", "0911", "0912", "0913"], [0.12, 0.28, 0.35, 0.25]),
    ]):
        sel = groupes_log == g
        code_log[sel] = np.array([_idx("logement", c) for c in codes_g])[_cat(rng, p_g, int(sel.sum()))]
    urgence = groupes_log >= 3
    heberge = (groupes_log == 1) | (groupes_log == 2)
    sans_abri = code_log == _idx("logement", "0912")
    demarlog = np.where(urgence, _cat(rng, [0.85, 0.05, 0.10], n),
                        np.where(heberge, _cat(rng, [0.65, 0.05, 0.30], n), _cat(rng, [0.05, 0.20, 0.75], n)))

    # ---------------------------------------------------------------- difficulties
    sante_dite = mauvaise_sante & _b(rng, 0.93, n)
    fausse_sante = ~mauvaise_sante & _b(rng, 0.015, n)
    rqth = mauvaise_sante & _b(rng, 0.17, n)
    francais = _b(rng, np.select([hors_ue, ue], [0.42, 0.18], 0.02) + 0.45 * (etu == 6), n)
    admin = _b(rng, 0.12 + 0.25 * francais + 0.1 * urgence, n)
    dette = _b(rng, 0.10 + 0.12 * (groupes_log == 0) * parent + 0.08 * (motif == 5), n)
    impayes = dette & (groupes_log == 0) & _b(rng, 0.6, n)
    _multi(t, "difficultes_sociales", {
        "0402": sante_dite & _b(rng, 0.85, n) | fausse_sante, "0403": rqth, "0404": francais, "0405": admin,
        "0406": dette, "0407": _b(rng, 0.05, n)}, aucun="0401")
    sante_difdisp = sante_dite & _b(rng, 0.6, n)
    garde6 = moins6 & _b(rng, np.where(parent, 0.75, 0.30), n)
    garde_generale = a_enfant & ~garde6 & _b(rng, 0.08, n)
    illettrisme = (etu == 6) & _b(rng, 0.5, n) | francais & _b(rng, 0.25, n)
    sans_qualif = (etu >= 4) & _b(rng, 0.45, n)
    _multi(t, "freins_disponibilite", {
        "0502": garde6, "0503": enf_6_12 & _b(rng, 0.15, n), "0504": _b(rng, 0.025, n),
        "0505": _b(rng, 0.02 + 0.03 * (age >= 45), n), "0506": _b(rng, 0.01, n),
        "0507": ~moyloco & _b(rng, 0.45, n) | ~permis & _b(rng, 0.1, n), "0508": sante_difdisp,
        "0509": urgence & _b(rng, 0.6, n) | heberge & _b(rng, 0.2, n), "0510": illettrisme,
        "0511": sans_qualif, "0512": (etu <= 1) & _b(rng, 0.15, n), "0513": _b(rng, 0.02 + 0.05 * hors_ue, n),
        "0514": garde_generale}, aucun="0501")
    portee = _cat(rng, np.column_stack([0.33 * un, 0.40 + 0.1 * vehicule, 0.12 + 0.1 * vehicule,
                                        0.08 + 0.25 * ~moyloco + 0.1 * mauvaise_sante]))
    _multi(t, "mobilite", {"2501": portee == 0, "2502": portee == 1, "2503": portee == 2, "2504": portee == 3})
    autonome = groupes_log == 0
    _multi(t, "difficultes_logement", {
        "1002": impayes, "1003": _b(rng, 0.15 + 0.1 * urgence, n), "1004": autonome & _b(rng, 0.05, n),
        "1005": autonome & _b(rng, 0.04, n), "1006": (autonome | heberge) & _b(rng, 0.05, n),
        "1007": (nb >= 3) & _b(rng, 0.35, n) | heberge & _b(rng, 0.2, n), "1008": _b(rng, 0.04, n),
        "1009": urgence & _b(rng, 0.5, n)}, aucun="1001")
    _multi(t, "moyens_transport", {
        "2001": transport_commun, "2002": vehicule & _b(rng, 0.3, n), "2003": vehicule & _b(rng, 0.8, n),
        "2004": permis & _b(rng, 0.03, n), "2005": _b(rng, 0.03, n), "2006": _b(rng, 0.09, n),
        "2007": _b(rng, 0.04, n), "2008": _b(rng, 0.03, n)})
    _multi(t, "difficultes_vues_professionnel", {
        "2101": sante_dite & _b(rng, 0.7, n), "2102": urgence & _b(rng, 0.8, n) | heberge & _b(rng, 0.3, n),
        "2103": parent & _b(rng, 0.25, n) | _b(rng, 0.04, n), "2104": dette & _b(rng, 0.7, n),
        "2105": admin & _b(rng, 0.7, n), "2106": francais & _b(rng, 0.8, n), "2107": ~pret & _b(rng, 0.5, n),
        "2108": sans_qualif & _b(rng, 0.6, n), "2109": jamais & _b(rng, 0.4, n) | _b(rng, 0.1, n),
        "2110": _b(rng, 0.04, n)})
    _multi(t, "freins_formation", {
        "2301": _b(rng, 0.18, n), "2302": a_enfant & _b(rng, 0.3, n), "2303": (etu >= 5) & _b(rng, 0.3, n),
        "2304": ~moyloco & _b(rng, 0.3, n), "2305": sante_dite & _b(rng, 0.4, n), "2306": illettrisme & _b(rng, 0.6, n),
        "2307": _b(rng, 0.05, n), "2308": (age >= 50) & _b(rng, 0.3, n)})

    # ---------------------------------------------------------------- declared fragility (outside the DSP)
    violences = femme & _b(rng, np.where(parent, 0.08, 0.02), n)
    addiction = _b(rng, np.where(seul & ~femme, 0.035, 0.01), n)
    detention = seul & ~femme & _b(rng, 0.02, n)
    frag_cols = {"violences_conjugales": violences, "sante": mauvaise_sante & _b(rng, 0.06, n),
                 "logement": sans_abri & _b(rng, 0.3, n), "handicap": rqth & _b(rng, 0.3, n),
                 "addiction": addiction, "sortie_detention": detention, "autre": _b(rng, 0.008, n)}
    frag = np.column_stack(list(frag_cols.values()))
    frag_nr = ~frag.any(axis=1) & _b(rng, 0.85, n)
    t.dossier["fragilites"] = frag
    t.dossier["fragilites_nr"] = frag_nr
    fragilite_forte = violences | addiction | detention

    # ---------------------------------------------------------------- social support
    acc_indi = _cat(rng, np.column_stack([0.72 - 0.2 * urgence - 0.15 * mauvaise_sante,
                                          0.22 + 0.2 * urgence + 0.15 * mauvaise_sante, 0.02 * un]))
    acc_fam = _cat(rng, np.column_stack([0.85 - 0.2 * parent - 0.1 * fragilite_forte,
                                         0.12 + 0.2 * parent + 0.1 * fragilite_forte, 0.02 * un]))
    soutien = _cat(rng, np.column_stack([0.75 - 0.4 * (admin | francais), 0.22 + 0.4 * (admin | francais), 0.02 * un]))
    _multi(t, "domaines_accompagnement_individuel", {
        "0416": (acc_indi == 1) & mauvaise_sante, "0417": (acc_indi == 1) & _b(rng, 0.25, n),
        "0418": (acc_indi == 1) & _b(rng, 0.3, n), "0419": (acc_indi == 1) & _b(rng, 0.15, n),
        "0420": (acc_indi == 1) & _b(rng, 0.2, n)})
    _multi(t, "domaines_accompagnement_familial", {
        "0410": (acc_fam == 1) & (urgence | heberge), "0411": (acc_fam == 1) & dette,
        "0412": (acc_fam == 1) & _b(rng, 0.6, n), "0413": (acc_fam == 1) & _b(rng, 0.15, n)})

    # ---------------------------------------------------------------- single-valued DSP answers
    primo = _b(rng, 0.40, n)
    dip_map = np.array([[0.85, 0.15, 0, 0, 0, 0], [0.05, 0.80, 0.15, 0, 0, 0], [0, 0.03, 0.70, 0.05, 0.12, 0.10],
                        [0, 0, 0.04, 0.70, 0.16, 0.10], [0, 0, 0, 0.10, 0.55, 0.35], [0, 0, 0, 0.04, 0.46, 0.50],
                        [0, 0, 0, 0, 0.05, 0.95]])
    diplome = _cat(rng, dip_map[etu])
    age_dip = np.array([24, 21, 18, 18, 15, 0])[diplome] + rng.integers(0, 4, n)
    annee_naissance = naissance.astype("datetime64[Y]").astype(int) + 1970
    annee_demande = demande.astype("datetime64[Y]").astype(int) + 1970
    annee_dip = np.where((diplome <= 3) | ((diplome == 4) & _b(rng, 0.5, n)),
                         np.minimum(annee_naissance + np.maximum(age_dip, 14), annee_demande), 0)
    qualif = _b(rng, np.select([diplome <= 1, diplome <= 3], [0.75, 0.6], 0.15) + 0.1 * (hispro <= 1), n)

    c = t.code
    c["motif_demande"] = motif
    c["droits_rsa_deux_ans"] = np.where(primo, np.where(_b(rng, 0.75, n), 2, 0), np.where(_b(rng, 0.6, n), 1, 0))
    c["accompagnement_social_familial"] = np.array([0, 1, 2])[acc_fam]
    c["accompagnement_social_individuel"] = np.array([0, 1, 2])[acc_indi]
    c["besoin_soutien_demarches"] = np.array([0, 1, 2])[soutien]
    c["niveau_etude"] = etu
    c["diplome_max"] = diplome
    c["historique_professionnel"] = hispro
    c["cessation_derniere_activite"] = cess
    c["duree_activite_dominante"] = np.where(jamais, -1, duree)
    c["inscription_demandeur_emploi"] = inscdem
    c["accompagnement_emploi"] = np.where(deja_inscrit & _b(rng, 0.8, n), 1,
                                          np.where((age < 26) | rqth, np.where(_b(rng, 0.5, n), 2, 0),
                                                   np.where(_b(rng, 0.1, n), 2, 0)))
    c["connait_offre_formation"] = _cat(rng, np.column_stack([0.55 * un, 0.30 + 0.1 * etu_haut, 0.10 * un]))
    c["logement"] = code_log
    c["demarches_logement"] = demarlog

    bo = t.booleen
    bo["isole_avec_enfant"] = parent & _b(rng, 0.93, n) | seul & femme & (age < 35) & _b(rng, 0.02, n)
    bo["droits_rmi_rsa_anterieurs"] = ~primo
    bo["couverture_sociale"] = _b(rng, 0.95 - 0.15 * urgence - 0.1 * hors_ue, n)
    bo["qualification_professionnelle"] = qualif
    bo["competences_extra_professionnelles"] = _b(rng, 0.30, n)
    bo["pret_demarches_emploi"] = pret
    bo["derniere_activite_dominante"] = np.where(jamais, -1, dominante)
    bo["isole_recherche_emploi"] = _b(rng, 0.35 + 0.2 * jamais - 0.15 * deja_inscrit, n)
    bo["projet_professionnel"] = _b(rng, _sig(-0.6 + 0.6 * pret + 0.4 * etu_haut + 0.3 * (age < 35)), n)
    bo["projet_creation_entreprise"] = _b(rng, 0.04 + 0.04 * etu_haut, n)
    bo["moyen_transport_local"] = moyloco
    bo["permis_b"] = permis
    bo["autre_permis"] = _b(rng, 0.04 + 0.04 * ~femme, n)
    t.entier["annee_diplome_max"] = annee_dip

    # ---------------------------------------------------------------- dossier data
    t.dossier["composition"] = compo
    t.dossier["femme"] = femme
    t.dossier["nati"] = nati
    t.dossier["soumis"] = _b(rng, 0.97, n)
    t.dossier["primo"] = primo
    t.dossier["rdv"] = np.where(_b(rng, 0.6, n), -1, np.where(_b(rng, 0.2, n), 1, 0))

    # ---------------------------------------------------------------- missing answers
    quasi_vide = _b(rng, TAUX_DSP_QUASI_VIDE, n)
    for nom, taux in TAUX_NON_RENSEIGNE.items():
        nr = _b(rng, np.where(quasi_vide, TAUX_NR_DSP_QUASI_VIDE, taux), n)
        kind = _C[nom].kind
        if kind == "code":
            c[nom] = np.where(nr, -1, c[nom])
        elif kind == "booleen":
            bo[nom] = np.where(nr, -1, bo[nom].astype(np.int8))
        elif kind == "codes":
            t.multi_nr[nom] = nr
        else:
            t.entier[nom] = np.where(nr, 0, t.entier[nom])
    # structurally unanswered support domains when there is no support
    for dom, acc in (("domaines_accompagnement_individuel", "accompagnement_social_individuel"),
                     ("domaines_accompagnement_familial", "accompagnement_social_familial")):
        t.multi_nr[dom] |= (c[acc] != 1) & _b(rng, 0.5, n)

    # ---------------------------------------------------------------- referent labels
    _etiqueter(t, rng, departement, politique, age, parent & moins3)
    return t


def _etiqueter(t: _Tirage, rng: np.random.Generator, departement: str, pol: PolitiqueReferents,
               age: np.ndarray, parent_moins3: np.ndarray) -> None:
    """Referent routes from the OBSERVED answers (an unanswered question shows nothing)."""
    c, bo, m = t.code, t.booleen, t.multi

    def code(champ: str, *cnafs: str) -> np.ndarray:
        return np.isin(c[champ], [_idx(champ, x) for x in cnafs])

    def a(champ: str, cnaf: str) -> np.ndarray:
        return m[champ][:, _idx(champ, cnaf)] & ~t.multi_nr[champ]

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


# --------------------------------------------------------------------------- cells


def _table_code(champ: str) -> np.ndarray:
    return np.array([c.cnaf for c in _C[champ].codes] + [""], dtype=object)


def _cellules_multi(m: np.ndarray, nr: np.ndarray, valeurs: list[str]) -> np.ndarray:
    """(n, k) indicators -> ``a|b`` cells, ``-`` for answered-empty, ``""`` for non renseigné."""
    k = m.shape[1]
    cle = (m.astype(np.int64) << np.arange(k, dtype=np.int64)).sum(axis=1)
    uniques, inverse = np.unique(cle, return_inverse=True)
    textes = np.array(["|".join(v for j, v in enumerate(valeurs) if (u >> j) & 1) or "-" for u in uniques],
                      dtype=object)
    out = textes[inverse]
    out[nr] = ""
    return out


def _dates(d: np.ndarray) -> np.ndarray:
    s = d.astype("datetime64[D]").astype(str).astype(object)
    s[np.isnat(d)] = ""
    return s


def _cellules(t: _Tirage, departement: str, debut: int, graine: int, politique: bool) -> dict[str, np.ndarray]:
    n = t.n
    out: dict[str, np.ndarray] = {}
    ids = np.arange(debut, debut + n)
    out["identifiant"] = np.array([f"{PREFIXE_SYNTHETIQUE}{departement}-{graine}-{i:07d}" for i in ids], dtype=object)
    out["departement"] = np.full(n, departement, dtype=object)
    out["dtdemrsa"] = _dates(t.dossier["demande"])
    out["dtouvdroit"] = _dates(t.dossier["ouverture"])
    out["dtnotifdroit"] = _dates(t.dossier["notification"])
    out["dtnai"] = _dates(t.dossier["naissance"])
    out["sexe"] = np.where(t.dossier["femme"], "2", "1").astype(object)
    out["nati"] = np.array(["F", "C", "A"], dtype=object)[t.dossier["nati"]]
    out["typefoyer"] = np.array(["ISO", "PAR", "COU"], dtype=object)[t.dossier["composition"]]
    ages = t.dossier["ages_enfants"]
    cle = ages[:, 0] * 0
    for j in range(ages.shape[1]):
        cle = cle * 27 + (ages[:, j] + 1)
    uniques, inverse = np.unique(cle, return_inverse=True)
    textes = []
    for u in uniques:
        vals = []
        for _ in range(ages.shape[1]):
            vals.append(int(u % 27) - 1)
            u //= 27
        textes.append("|".join(str(v) for v in sorted(v for v in vals if v >= 0)))
    out["agesenfants"] = np.array(textes, dtype=object)[inverse]
    out["toppersdrodevorsa"] = np.where(t.dossier["soumis"], "1", "0").astype(object)
    out["topprimodemandeur"] = np.where(t.dossier["primo"], "1", "0").astype(object)
    out["inscft"] = np.array(["INS", "ENC", "NON", ""], dtype=object)[t.dossier["inscft"]]
    out["fragilites"] = _cellules_multi(t.dossier["fragilites"], t.dossier["fragilites_nr"],
                                        ["violences_conjugales", "sante", "logement", "handicap", "addiction",
                                         "sortie_detention", "autre"])
    out["topdemanderdv"] = np.array(["0", "1", ""], dtype=object)[t.dossier["rdv"]]
    for champ in codes.CHAMPS:
        nom = champ.nom
        if champ.kind == "code":
            out[champ.cnaf] = _table_code(nom)[t.code[nom]]
        elif champ.kind == "booleen":
            out[champ.cnaf] = np.array(["0", "1", ""], dtype=object)[t.booleen[nom].astype(np.int8)]
        elif champ.kind == "codes":
            out[champ.cnaf] = _cellules_multi(t.multi[nom], t.multi_nr[nom], [c.cnaf for c in champ.codes])
        else:
            v = t.entier[nom]
            out[champ.cnaf] = np.where(v > 0, v.astype(str), "").astype(object)
    noms = np.array([p.value for p in PARCOURS], dtype=object)
    out[COLONNE_PARCOURS] = noms[t.parcours]
    if politique:
        out[COLONNE_POLITIQUE] = noms[t.parcours_politique]
    return out


# --------------------------------------------------------------------------- public API


def _verifier(n: int, departement: str) -> None:
    from orientation.dossier.schema import DEPARTEMENTS

    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"nombre de dossiers invalide : {n!r} (entier positif ou nul attendu)")
    if departement not in DEPARTEMENTS:
        raise ValueError(f"code de département inconnu : {departement!r}")


def _blocs(n: int, graine: int, departement: str, date_reference: date, politique: PolitiqueReferents,
           avec_politique: bool) -> Iterator[dict[str, np.ndarray]]:
    _verifier(n, departement)
    for b, debut in enumerate(range(0, n, TAILLE_BLOC)):
        taille = min(TAILLE_BLOC, n - debut)
        rng = np.random.default_rng([graine, b, 20250901])
        t = _tirer_bloc(taille, rng, departement, date_reference, politique)
        yield _cellules(t, departement, debut, graine, avec_politique)


def generer_colonnes(n: int, graine: int = 0, departement: str = "93", date_reference: date = date(2025, 9, 1), *,
                     avec_politique: bool = False, politique: PolitiqueReferents = POLITIQUE) -> dict[str, np.ndarray]:
    """SYNTHETIC dossiers as flat CNAF columns (CSV cell conventions of :mod:`orientation.dossier.tabulaire`).

    Returns ``{column: numpy object array of str}``: every CNAF key, then
    ``parcours_referent`` (and ``parcours_politique`` when ``avec_politique``).
    """
    from orientation.dossier.cnaf import CLES

    cles = list(CLES) + [COLONNE_PARCOURS] + ([COLONNE_POLITIQUE] if avec_politique else [])
    blocs = list(_blocs(n, graine, departement, date_reference, politique, avec_politique))
    if not blocs:
        return {k: np.zeros(0, dtype=object) for k in cles}
    return {k: np.concatenate([b[k] for b in blocs]) for k in cles}


def generer_table(n: int, graine: int = 0, departement: str = "93", date_reference: date = date(2025, 9, 1), *,
                  avec_politique: bool = False, politique: PolitiqueReferents = POLITIQUE) -> Any:
    """SYNTHETIC dossiers as a pyarrow Table of string columns (``null`` = non renseigné), built by blocks.

    Suitable for millions of rows (the bulk benchmark of 2.1 million beneficiaries).
    """
    import pyarrow as pa

    from orientation.dossier.cnaf import CLES

    cles = list(CLES) + [COLONNE_PARCOURS] + ([COLONNE_POLITIQUE] if avec_politique else [])
    lots = []
    for bloc in _blocs(n, graine, departement, date_reference, politique, avec_politique):
        arrays = []
        for k in cles:
            v = bloc[k]
            arrays.append(pa.array(v, type=pa.string(), mask=(v == "")))
        lots.append(pa.record_batch(arrays, names=cles))
    if not lots:
        return pa.table({k: pa.array([], type=pa.string()) for k in cles})
    return pa.Table.from_batches(lots)


def generer_enregistrements(n: int, graine: int = 0, departement: str = "93",
                            date_reference: date = date(2025, 9, 1)) -> Iterator[dict[str, str]]:
    """Yield SYNTHETIC flat rows (CSV cells, every CNAF column plus ``parcours_referent``)."""
    for bloc in _blocs(n, graine, departement, date_reference, POLITIQUE, False):
        cles = list(bloc)
        colonnes = [bloc[k] for k in cles]
        for i in range(len(colonnes[0])):
            yield {k: str(col[i]) for k, col in zip(cles, colonnes)}


def generer_cnaf(n: int, graine: int = 0, departement: str = "93",
                 date_reference: date = date(2025, 9, 1)) -> list[tuple[dict[str, Any], Parcours]]:
    """SYNTHETIC canonical CNAF records (as :meth:`Dossier.vers_cnaf` writes them) with the referent route."""
    from orientation.dossier.tabulaire import ligne_vers_enregistrement

    out = []
    for ligne in generer_enregistrements(n, graine, departement, date_reference):
        parcours = Parcours(ligne.pop(COLONNE_PARCOURS))
        out.append((ligne_vers_enregistrement(ligne), parcours))
    return out


def generer(n: int, graine: int = 0, departement: str = "93", date_reference: date = date(2025, 9, 1), *,
            valider: bool = True) -> list[tuple[Any, Parcours]]:
    """``n`` SYNTHETIC dossiers (:class:`~orientation.dossier.schema.Dossier`) with the route referents chose.

    With ``valider=True`` (default) every dossier goes through full pydantic validation
    (:meth:`Dossier.depuis_cnaf`, about 3,000 dossiers/s); ``valider=False`` builds the same
    objects column by column without re-validating them (about 4 times faster; the test suite
    checks that both give equal dossiers).
    """
    from orientation.dossier.schema import Dossier

    if valider:
        return [(Dossier.depuis_cnaf(rec), p) for rec, p in generer_cnaf(n, graine, departement, date_reference)]
    out: list[tuple[Any, Parcours]] = []
    for bloc in _blocs(n, graine, departement, date_reference, POLITIQUE, False):
        parcours = [Parcours(x) for x in bloc[COLONNE_PARCOURS]]
        out.extend(zip(_construire_sans_validation(bloc), parcours))
    return out


def _valeurs_colonne(cellules: np.ndarray, conv: Any) -> np.ndarray:
    """Map each distinct cell of a column once: object array of Python values (None = absent)."""
    uniques, inverse = np.unique(cellules.astype(str), return_inverse=True)
    table = np.empty(len(uniques), dtype=object)
    table[:] = [None if u == "" else conv(u) for u in uniques]
    return table[inverse]


def _construire_sans_validation(bloc: Mapping[str, np.ndarray]) -> list[Any]:
    """Build Dossiers from canonical generated cells without pydantic validation (same objects)."""
    from orientation.dossier import schema as dm
    from orientation.dossier.cnaf import CLES_DOSSIER

    def conv_dsp(champ: codes.ChampDSP) -> Any:
        if champ.kind == "booleen":
            return lambda u: u == "1"
        if champ.kind == "entier":
            return int
        en = codes.ENUMS[champ.nom]
        table = {c.cnaf: en(c.nom) for c in champ.codes}
        if champ.kind == "codes":
            return lambda u: () if u == "-" else tuple(table[x] for x in u.split("|"))
        return table.__getitem__

    dsp_cols = [(c.nom, _valeurs_colonne(bloc[c.cnaf], conv_dsp(c))) for c in codes.CHAMPS]
    conv = {k: c for k, (_, c) in CLES_DOSSIER.items()}
    iso = date.fromisoformat
    n = len(bloc["identifiant"])
    d_dem = _valeurs_colonne(bloc["dtdemrsa"], iso)
    d_ouv = _valeurs_colonne(bloc["dtouvdroit"], iso)
    d_not = _valeurs_colonne(bloc["dtnotifdroit"], iso)
    d_nai = _valeurs_colonne(bloc["dtnai"], iso)
    sexe = _valeurs_colonne(bloc["sexe"], lambda u: dm.Sexe(conv["sexe"][u]))
    nati = _valeurs_colonne(bloc["nati"], lambda u: dm.Nationalite(conv["nati"][u]))
    compo = _valeurs_colonne(bloc["typefoyer"], lambda u: dm.Composition(conv["typefoyer"][u]))
    enfants = _valeurs_colonne(bloc["agesenfants"], lambda u: tuple(int(x) for x in u.split("|")))
    soumis = _valeurs_colonne(bloc["toppersdrodevorsa"], lambda u: u == "1")
    primo = _valeurs_colonne(bloc["topprimodemandeur"], lambda u: u == "1")
    inscft = _valeurs_colonne(bloc["inscft"], lambda u: dm.InscriptionFT(conv["inscft"][u]))
    frag = _valeurs_colonne(bloc["fragilites"],
                            lambda u: () if u == "-" else tuple(dm.Fragilite(x) for x in u.split("|")))
    rdv = _valeurs_colonne(bloc["topdemanderdv"], lambda u: u == "1")
    optionnels = [("date_notification_droits", d_not), ("sexe", sexe), ("nationalite", nati),
                  ("inscription_france_travail", inscft), ("fragilites_declarees", frag), ("demande_rdv", rdv)]
    construire_dsp = dm.DSP.model_construct
    construire_foyer = dm.Foyer.model_construct
    construire = dm.Dossier.model_construct
    noms_dsp = [c.nom for c in codes.CHAMPS]
    SANS_ENFANT = {"composition"}
    out = []
    for i in range(n):
        dsp = dict.fromkeys(noms_dsp)
        renseignes = set()
        for nom, col in dsp_cols:
            v = col[i]
            if v is not None:
                dsp[nom] = list(v) if isinstance(v, tuple) else v
                renseignes.add(nom)
        e = enfants[i]
        donnees: dict[str, Any] = {
            "identifiant": str(bloc["identifiant"][i]), "departement": str(bloc["departement"][i]),
            "date_demande": d_dem[i], "date_ouverture_droits": d_ouv[i], "date_naissance": d_nai[i],
            "foyer": (construire_foyer(composition=compo[i], ages_enfants=list(e)) if e is not None
                      else construire_foyer(_fields_set=SANS_ENFANT, composition=compo[i], ages_enfants=[])),
            "soumis_droits_devoirs": soumis[i], "primo_demandeur": primo[i],
            "dsp": construire_dsp(_fields_set=renseignes, **dsp),
        }
        for nom, col in optionnels:
            v = col[i]
            if v is not None:
                donnees[nom] = list(v) if isinstance(v, tuple) else v
        out.append(construire(**donnees))
    return out


def ecrire_csv(chemin: str | Path, n: int, graine: int = 0, departement: str = "93",
               date_reference: date = date(2025, 9, 1)) -> Path:
    """Write ``n`` SYNTHETIC dossiers to a CSV file (CNAF columns + ``parcours_referent``)."""
    from orientation.dossier.cnaf import CLES

    chemin = Path(chemin)
    chemin.parent.mkdir(parents=True, exist_ok=True)
    cles = list(CLES) + [COLONNE_PARCOURS]
    with chemin.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cles)
        for bloc in _blocs(n, graine, departement, date_reference, POLITIQUE, False):
            w.writerows(zip(*(bloc[k] for k in cles)))
    return chemin


def lire_csv(chemin: str | Path) -> dict[str, list[str]]:
    """Read a flat CSV file as columns of cells (every cell a string, ``""`` = non renseigné)."""
    with Path(chemin).open(encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        entete = next(r)
        lignes = list(r)
    return {k: [ligne[j] if j < len(ligne) else "" for ligne in lignes] for j, k in enumerate(entete)}


def texte_csv(colonnes: Mapping[str, Any]) -> str:
    """CSV text of flat columns (same layout as :func:`ecrire_csv`)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cles = list(colonnes)
    w.writerow(cles)
    w.writerows(zip(*(colonnes[k] for k in cles)))
    return buf.getvalue()
