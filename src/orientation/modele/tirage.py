"""Joint distribution of the SYNTHETIC dossiers: one block of people drawn with numpy.

No real DSP data is public: :func:`tirer_bloc` draws realistic but entirely SYNTHETIC new RSA
beneficiaries, as code indices (:class:`Tirage`); :mod:`orientation.modele.synthetique` turns
them into CNAF cells and is the public API.

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
but this correlation is what a group audit must look at).  Each step is one ``_tirer_*``
function; :func:`tirer_bloc` calls them in that order, then labels the block with the
referent policy (:func:`orientation.modele.politique.etiqueter`).  The order of the random
draws is part of the data: changing it changes every dossier of a given seed.

Missing answers: each DSP question is left « non renseigné » (``None``) at a field-specific
rate (2-12 %), about 6 % of dossiers have an almost empty DSP, and questions that do not apply
(end of last activity for someone who never worked, year of a diploma never obtained...) are
left unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

import numpy as np

from orientation.dossier import codes
from orientation.modele.politique import PolitiqueReferents, etiqueter, indice_code


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
class Tirage:
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


@dataclass
class _Personnes:
    """Latent traits and intermediate draws of the people of one block, shared by the steps.

    Each ``_tirer_*`` step reads the fields set by the steps before it and sets its own; none
    is written to a cell as such (:class:`Tirage` holds the answers).
    """

    un: np.ndarray
    # household, sex, age
    compo: np.ndarray = field(init=False)
    seul: np.ndarray = field(init=False)
    parent: np.ndarray = field(init=False)
    couple: np.ndarray = field(init=False)
    femme: np.ndarray = field(init=False)
    age: np.ndarray = field(init=False)
    # dates
    demande: np.ndarray = field(init=False)
    naissance: np.ndarray = field(init=False)
    # children
    nb: np.ndarray = field(init=False)
    a_enfant: np.ndarray = field(init=False)
    moins3: np.ndarray = field(init=False)
    moins6: np.ndarray = field(init=False)
    enf_6_12: np.ndarray = field(init=False)
    # nationality
    nati: np.ndarray = field(init=False)
    hors_ue: np.ndarray = field(init=False)
    ue: np.ndarray = field(init=False)
    # health, education
    mauvaise_sante: np.ndarray = field(init=False)
    etu: np.ndarray = field(init=False)
    etu_haut: np.ndarray = field(init=False)
    etu_bas: np.ndarray = field(init=False)
    # employment
    z: np.ndarray = field(init=False)
    hispro: np.ndarray = field(init=False)
    jamais: np.ndarray = field(init=False)
    motif: np.ndarray = field(init=False)
    recent: np.ndarray = field(init=False)
    cess: np.ndarray = field(init=False)
    dominante: np.ndarray = field(init=False)
    duree: np.ndarray = field(init=False)
    deja_inscrit: np.ndarray = field(init=False)
    inscdem: np.ndarray = field(init=False)
    # readiness, mobility
    pret: np.ndarray = field(init=False)
    permis: np.ndarray = field(init=False)
    vehicule: np.ndarray = field(init=False)
    transport_commun: np.ndarray = field(init=False)
    moyloco: np.ndarray = field(init=False)
    # housing
    groupes_log: np.ndarray = field(init=False)
    code_log: np.ndarray = field(init=False)
    urgence: np.ndarray = field(init=False)
    heberge: np.ndarray = field(init=False)
    sans_abri: np.ndarray = field(init=False)
    demarlog: np.ndarray = field(init=False)
    # difficulties
    rqth: np.ndarray = field(init=False)
    francais: np.ndarray = field(init=False)
    admin: np.ndarray = field(init=False)
    dette: np.ndarray = field(init=False)
    # declared fragility
    fragilite_forte: np.ndarray = field(init=False)
    # social support
    acc_indi: np.ndarray = field(init=False)
    acc_fam: np.ndarray = field(init=False)
    soutien: np.ndarray = field(init=False)
    # single-valued answers
    primo: np.ndarray = field(init=False)


def _multi(t: Tirage, champ: str, colonnes: dict[str, np.ndarray], aucun: Optional[str] = None) -> None:
    """Store a multi-valued answer from per-code indicators; with ``aucun``, empty -> that code."""
    k = len(codes.PAR_NOM[champ].codes)
    m = np.zeros((t.n, k), dtype=bool)
    for cnaf, v in colonnes.items():
        m[:, indice_code(champ, cnaf)] |= v
    if aucun is not None:
        j = indice_code(champ, aucun)
        autres = np.delete(m, j, axis=1).any(axis=1)
        m[:, j] = ~autres
    t.multi[champ] = m
    t.multi_nr[champ] = np.zeros(t.n, dtype=bool)


# --------------------------------------------------------------------------- steps, in drawing order


def _tirer_foyer(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Household, sex, age."""
    n = t.n
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
    v.compo, v.seul, v.parent, v.couple, v.femme, v.age = compo, seul, parent, couple, femme, age


def _tirer_dates(t: Tirage, rng: np.random.Generator, v: _Personnes, date_reference: date) -> None:
    """Application, opening and notification dates; birth date consistent with the age."""
    n, age = t.n, v.age
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
    v.demande, v.naissance = demande, naissance


def _tirer_enfants(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Number and ages of the children."""
    n, parent, couple, age = t.n, v.parent, v.couple, v.age
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
    v.nb = nb
    v.a_enfant = a_enfant
    v.moins3 = a_enfant & (plus_jeune < 3)
    v.moins6 = a_enfant & (plus_jeune < 6)
    v.enf_6_12 = ((ages_enf >= 6) & (ages_enf <= 12)).any(axis=1)


def _tirer_nationalite(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Nationality (audit only, never a model input)."""
    nati = _cat(rng, [0.78, 0.05, 0.17], t.n)  # F, C (EU), A (other)
    v.nati, v.hors_ue, v.ue = nati, nati == 2, nati == 1


def _tirer_sante_etudes(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Latent health and level of education."""
    n, age, seul, parent, hors_ue, ue = t.n, v.age, v.seul, v.parent, v.hors_ue, v.ue
    p_sante = np.clip(0.165 + 0.0085 * (age - 25), 0.05, 0.6) + 0.06 * seul - 0.04 * parent
    v.mauvaise_sante = _b(rng, p_sante, n)
    p_etu = np.select(
        [hors_ue[:, None], ue[:, None]],
        [np.array([0.10, 0.06, 0.14, 0.14, 0.10, 0.20, 0.26]), np.array([0.08, 0.08, 0.20, 0.25, 0.12, 0.17, 0.10])],
        np.array([0.07, 0.09, 0.23, 0.31, 0.12, 0.13, 0.05]))
    etu = _cat(rng, p_etu)  # 0 = I/II ... 6 = VII
    vieux = (age >= 50) & _b(rng, 0.25, n)
    etu = np.where(vieux, np.minimum(etu + 1, 6), etu)
    v.etu, v.etu_haut, v.etu_bas = etu, etu <= 2, etu >= 5


def _tirer_emploi(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Latent attachment to employment, work history, reason for the application, recent
    activity and job-seeker registration."""
    n, un, age, femme, parent, couple = t.n, v.un, v.age, v.femme, v.parent, v.couple
    moins3, mauvaise_sante, etu = v.moins3, v.mauvaise_sante, v.etu
    z = (rng.standard_normal(n) + 0.45 * v.etu_haut - 0.45 * v.etu_bas - 0.6 * (age < 25) - 0.55 * mauvaise_sante
         - 0.5 * (parent & moins3) + 0.2 * (age >= 30) * (age < 50) - 0.25 * v.hors_ue)
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
    v.z, v.hispro, v.jamais, v.motif = z, hispro, jamais, motif
    v.recent, v.cess, v.dominante, v.duree = recent, cess, dominante, duree
    v.deja_inscrit, v.inscdem = deja_inscrit, inscdem


def _tirer_mobilite(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Readiness to look for work, driving licence, vehicle and local transport."""
    n, etu_haut, etu_bas = t.n, v.etu_haut, v.etu_bas
    moins3_parent = v.parent & v.moins3
    p_pret = _sig(1.25 + 0.7 * v.z - 1.6 * v.mauvaise_sante - 0.9 * moins3_parent - 0.4 * (v.age >= 58))
    v.pret = _b(rng, p_pret, n)
    permis = _b(rng, _sig(-0.2 + 0.6 * etu_haut - 0.7 * etu_bas - 0.9 * v.hors_ue - 1.2 * (v.age < 23)
                          + 0.3 * v.couple), n)
    vehicule = permis & _b(rng, 0.55, n)
    transport_commun = _b(rng, 0.72, n)
    v.moyloco = vehicule | (transport_commun & _b(rng, 0.75, n))
    v.permis, v.vehicule, v.transport_commun = permis, vehicule, transport_commun


def _tirer_logement(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Housing situation (``logement``) and housing steps (``demarches_logement``)."""
    n, un, seul, parent, hors_ue, age = t.n, v.un, v.seul, v.parent, v.hors_ue, v.age
    groupes_log = _cat(rng, np.column_stack([
        0.62 - 0.06 * seul + 0.12 * parent - 0.12 * hors_ue + 0.05 * (age >= 40),  # autonomous
        0.20 + 0.06 * seul - 0.06 * parent + 0.06 * (age < 30),  # with relatives / third party
        0.04 * un,  # temporary
        0.07 + 0.04 * seul + 0.08 * hors_ue,  # emergency
        0.07 + 0.03 * seul + 0.03 * v.mauvaise_sante,  # precarious
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
        code_log[sel] = np.array([indice_code("logement", c) for c in codes_g])[_cat(rng, p_g, int(sel.sum()))]
    urgence = groupes_log >= 3
    heberge = (groupes_log == 1) | (groupes_log == 2)
    v.sans_abri = code_log == indice_code("logement", "0912")
    v.demarlog = np.where(urgence, _cat(rng, [0.85, 0.05, 0.10], n),
                          np.where(heberge, _cat(rng, [0.65, 0.05, 0.30], n), _cat(rng, [0.05, 0.20, 0.75], n)))
    v.groupes_log, v.code_log, v.urgence, v.heberge = groupes_log, code_log, urgence, heberge


def _tirer_difficultes(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Difficulties and obstacles: ``difsoc``, ``difdisp``, mobility, ``diflog``, means of
    transport, ``difsocpro``, ``freinform``."""
    n, un, age, parent, etu = t.n, v.un, v.age, v.parent, v.etu
    mauvaise_sante, urgence, heberge, groupes_log = v.mauvaise_sante, v.urgence, v.heberge, v.groupes_log
    moyloco, permis, vehicule, hors_ue = v.moyloco, v.permis, v.vehicule, v.hors_ue
    sante_dite = mauvaise_sante & _b(rng, 0.93, n)
    fausse_sante = ~mauvaise_sante & _b(rng, 0.015, n)
    rqth = mauvaise_sante & _b(rng, 0.17, n)
    francais = _b(rng, np.select([hors_ue, v.ue], [0.42, 0.18], 0.02) + 0.45 * (etu == 6), n)
    admin = _b(rng, 0.12 + 0.25 * francais + 0.1 * urgence, n)
    dette = _b(rng, 0.10 + 0.12 * (groupes_log == 0) * parent + 0.08 * (v.motif == 5), n)
    impayes = dette & (groupes_log == 0) & _b(rng, 0.6, n)
    _multi(t, "difficultes_sociales", {
        "0402": sante_dite & _b(rng, 0.85, n) | fausse_sante, "0403": rqth, "0404": francais, "0405": admin,
        "0406": dette, "0407": _b(rng, 0.05, n)}, aucun="0401")
    sante_difdisp = sante_dite & _b(rng, 0.6, n)
    garde6 = v.moins6 & _b(rng, np.where(parent, 0.75, 0.30), n)
    garde_generale = v.a_enfant & ~garde6 & _b(rng, 0.08, n)
    illettrisme = (etu == 6) & _b(rng, 0.5, n) | francais & _b(rng, 0.25, n)
    sans_qualif = (etu >= 4) & _b(rng, 0.45, n)
    _multi(t, "freins_disponibilite", {
        "0502": garde6, "0503": v.enf_6_12 & _b(rng, 0.15, n), "0504": _b(rng, 0.025, n),
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
        "1007": (v.nb >= 3) & _b(rng, 0.35, n) | heberge & _b(rng, 0.2, n), "1008": _b(rng, 0.04, n),
        "1009": urgence & _b(rng, 0.5, n)}, aucun="1001")
    _multi(t, "moyens_transport", {
        "2001": v.transport_commun, "2002": vehicule & _b(rng, 0.3, n), "2003": vehicule & _b(rng, 0.8, n),
        "2004": permis & _b(rng, 0.03, n), "2005": _b(rng, 0.03, n), "2006": _b(rng, 0.09, n),
        "2007": _b(rng, 0.04, n), "2008": _b(rng, 0.03, n)})
    _multi(t, "difficultes_vues_professionnel", {
        "2101": sante_dite & _b(rng, 0.7, n), "2102": urgence & _b(rng, 0.8, n) | heberge & _b(rng, 0.3, n),
        "2103": parent & _b(rng, 0.25, n) | _b(rng, 0.04, n), "2104": dette & _b(rng, 0.7, n),
        "2105": admin & _b(rng, 0.7, n), "2106": francais & _b(rng, 0.8, n), "2107": ~v.pret & _b(rng, 0.5, n),
        "2108": sans_qualif & _b(rng, 0.6, n), "2109": v.jamais & _b(rng, 0.4, n) | _b(rng, 0.1, n),
        "2110": _b(rng, 0.04, n)})
    _multi(t, "freins_formation", {
        "2301": _b(rng, 0.18, n), "2302": v.a_enfant & _b(rng, 0.3, n), "2303": (etu >= 5) & _b(rng, 0.3, n),
        "2304": ~moyloco & _b(rng, 0.3, n), "2305": sante_dite & _b(rng, 0.4, n), "2306": illettrisme & _b(rng, 0.6, n),
        "2307": _b(rng, 0.05, n), "2308": (age >= 50) & _b(rng, 0.3, n)})
    v.rqth, v.francais, v.admin, v.dette = rqth, francais, admin, dette


def _tirer_fragilites(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Fragilities declared outside the DSP."""
    n, femme, parent, seul = t.n, v.femme, v.parent, v.seul
    violences = femme & _b(rng, np.where(parent, 0.08, 0.02), n)
    addiction = _b(rng, np.where(seul & ~femme, 0.035, 0.01), n)
    detention = seul & ~femme & _b(rng, 0.02, n)
    frag_cols = {"violences_conjugales": violences, "sante": v.mauvaise_sante & _b(rng, 0.06, n),
                 "logement": v.sans_abri & _b(rng, 0.3, n), "handicap": v.rqth & _b(rng, 0.3, n),
                 "addiction": addiction, "sortie_detention": detention, "autre": _b(rng, 0.008, n)}
    frag = np.column_stack(list(frag_cols.values()))
    frag_nr = ~frag.any(axis=1) & _b(rng, 0.85, n)
    t.dossier["fragilites"] = frag
    t.dossier["fragilites_nr"] = frag_nr
    v.fragilite_forte = violences | addiction | detention


def _tirer_accompagnement(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Social support (individual, family, help with formalities) and its domains."""
    n, un, urgence, mauvaise_sante, parent = t.n, v.un, v.urgence, v.mauvaise_sante, v.parent
    fragilite_forte, admin, francais = v.fragilite_forte, v.admin, v.francais
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
        "0410": (acc_fam == 1) & (urgence | v.heberge), "0411": (acc_fam == 1) & v.dette,
        "0412": (acc_fam == 1) & _b(rng, 0.6, n), "0413": (acc_fam == 1) & _b(rng, 0.15, n)})
    v.acc_indi, v.acc_fam, v.soutien = acc_indi, acc_fam, soutien


def _tirer_reponses_simples(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Single-valued DSP answers: codes, yes/no answers and the year of the highest diploma."""
    n, un, age, etu, etu_haut, jamais = t.n, v.un, v.age, v.etu, v.etu_haut, v.jamais
    primo = _b(rng, 0.40, n)
    dip_map = np.array([[0.85, 0.15, 0, 0, 0, 0], [0.05, 0.80, 0.15, 0, 0, 0], [0, 0.03, 0.70, 0.05, 0.12, 0.10],
                        [0, 0, 0.04, 0.70, 0.16, 0.10], [0, 0, 0, 0.10, 0.55, 0.35], [0, 0, 0, 0.04, 0.46, 0.50],
                        [0, 0, 0, 0, 0.05, 0.95]])
    diplome = _cat(rng, dip_map[etu])
    age_dip = np.array([24, 21, 18, 18, 15, 0])[diplome] + rng.integers(0, 4, n)
    annee_naissance = v.naissance.astype("datetime64[Y]").astype(int) + 1970
    annee_demande = v.demande.astype("datetime64[Y]").astype(int) + 1970
    annee_dip = np.where((diplome <= 3) | ((diplome == 4) & _b(rng, 0.5, n)),
                         np.minimum(annee_naissance + np.maximum(age_dip, 14), annee_demande), 0)
    qualif = _b(rng, np.select([diplome <= 1, diplome <= 3], [0.75, 0.6], 0.15) + 0.1 * (v.hispro <= 1), n)

    c = t.code
    c["motif_demande"] = v.motif
    c["droits_rsa_deux_ans"] = np.where(primo, np.where(_b(rng, 0.75, n), 2, 0), np.where(_b(rng, 0.6, n), 1, 0))
    c["accompagnement_social_familial"] = np.array([0, 1, 2])[v.acc_fam]
    c["accompagnement_social_individuel"] = np.array([0, 1, 2])[v.acc_indi]
    c["besoin_soutien_demarches"] = np.array([0, 1, 2])[v.soutien]
    c["niveau_etude"] = etu
    c["diplome_max"] = diplome
    c["historique_professionnel"] = v.hispro
    c["cessation_derniere_activite"] = v.cess
    c["duree_activite_dominante"] = np.where(jamais, -1, v.duree)
    c["inscription_demandeur_emploi"] = v.inscdem
    c["accompagnement_emploi"] = np.where(v.deja_inscrit & _b(rng, 0.8, n), 1,
                                          np.where((age < 26) | v.rqth, np.where(_b(rng, 0.5, n), 2, 0),
                                                   np.where(_b(rng, 0.1, n), 2, 0)))
    c["connait_offre_formation"] = _cat(rng, np.column_stack([0.55 * un, 0.30 + 0.1 * etu_haut, 0.10 * un]))
    c["logement"] = v.code_log
    c["demarches_logement"] = v.demarlog

    bo = t.booleen
    bo["isole_avec_enfant"] = v.parent & _b(rng, 0.93, n) | v.seul & v.femme & (age < 35) & _b(rng, 0.02, n)
    bo["droits_rmi_rsa_anterieurs"] = ~primo
    bo["couverture_sociale"] = _b(rng, 0.95 - 0.15 * v.urgence - 0.1 * v.hors_ue, n)
    bo["qualification_professionnelle"] = qualif
    bo["competences_extra_professionnelles"] = _b(rng, 0.30, n)
    bo["pret_demarches_emploi"] = v.pret
    bo["derniere_activite_dominante"] = np.where(jamais, -1, v.dominante)
    bo["isole_recherche_emploi"] = _b(rng, 0.35 + 0.2 * jamais - 0.15 * v.deja_inscrit, n)
    bo["projet_professionnel"] = _b(rng, _sig(-0.6 + 0.6 * v.pret + 0.4 * etu_haut + 0.3 * (age < 35)), n)
    bo["projet_creation_entreprise"] = _b(rng, 0.04 + 0.04 * etu_haut, n)
    bo["moyen_transport_local"] = v.moyloco
    bo["permis_b"] = v.permis
    bo["autre_permis"] = _b(rng, 0.04 + 0.04 * ~v.femme, n)
    t.entier["annee_diplome_max"] = annee_dip
    v.primo = primo


def _tirer_donnees_dossier(t: Tirage, rng: np.random.Generator, v: _Personnes) -> None:
    """Dossier data outside the DSP: household, sex, nationality, rights and duties, appointment."""
    n = t.n
    t.dossier["composition"] = v.compo
    t.dossier["femme"] = v.femme
    t.dossier["nati"] = v.nati
    t.dossier["soumis"] = _b(rng, 0.97, n)
    t.dossier["primo"] = v.primo
    t.dossier["rdv"] = np.where(_b(rng, 0.6, n), -1, np.where(_b(rng, 0.2, n), 1, 0))


def _tirer_non_renseignes(t: Tirage, rng: np.random.Generator) -> None:
    """Leave answers « non renseigné »: per-field rates, almost empty DSPs, support domains without support."""
    n, c, bo = t.n, t.code, t.booleen
    quasi_vide = _b(rng, TAUX_DSP_QUASI_VIDE, n)
    for nom, taux in TAUX_NON_RENSEIGNE.items():
        nr = _b(rng, np.where(quasi_vide, TAUX_NR_DSP_QUASI_VIDE, taux), n)
        kind = codes.PAR_NOM[nom].kind
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


def tirer_bloc(n: int, rng: np.random.Generator, departement: str, date_reference: date,
               politique: PolitiqueReferents) -> Tirage:
    """Draw ``n`` people with ``rng`` (steps in causal order), then their referent routes."""
    t = Tirage(n)
    v = _Personnes(un=np.ones(n))
    _tirer_foyer(t, rng, v)
    _tirer_dates(t, rng, v, date_reference)
    _tirer_enfants(t, rng, v)
    _tirer_nationalite(t, rng, v)
    _tirer_sante_etudes(t, rng, v)
    _tirer_emploi(t, rng, v)
    _tirer_mobilite(t, rng, v)
    _tirer_logement(t, rng, v)
    _tirer_difficultes(t, rng, v)
    _tirer_fragilites(t, rng, v)
    _tirer_accompagnement(t, rng, v)
    _tirer_reponses_simples(t, rng, v)
    _tirer_donnees_dossier(t, rng, v)
    _tirer_non_renseignes(t, rng)
    etiqueter(t, rng, departement, politique, v.age, v.parent & v.moins3)
    return t
