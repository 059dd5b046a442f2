"""SYNTHETIC RSA dossiers with referent orientations — no real person, no real DSP answer.

No real DSP data is public.  This module generates realistic but entirely SYNTHETIC dossiers
of new RSA beneficiaries, and the route (``professionnel`` / ``socio_professionnel`` /
``social``) that the referents of a département would choose for them, as flat CNAF columns,
Arrow tables, CSV files or :class:`~orientation.dossier.schema.Dossier` objects.  Every dossier
identifier starts with ``SYN-`` so that synthetic data can never be mistaken for real data.

* :mod:`orientation.modele.tirage` draws the people (margins reproduced, joint distribution,
  missing answers);
* :mod:`orientation.modele.politique` gives the routes referents choose for them (referent
  policy, département habits, disagreement with the policy);
* this module writes the draws as CNAF cells, block by block, and is the public API.

Everything is seeded and deterministic: the same ``(n, graine, departement,
date_reference)`` always gives the same dossiers and labels.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from orientation.dossier import codes
from orientation.modele.politique import POLITIQUE, PolitiqueReferents
from orientation.modele.tirage import Tirage, tirer_bloc
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


# --------------------------------------------------------------------------- cells


def _table_code(champ: str) -> np.ndarray:
    return np.array([c.cnaf for c in codes.PAR_NOM[champ].codes] + [""], dtype=object)


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


def _cellules(t: Tirage, departement: str, debut: int, graine: int, politique: bool) -> dict[str, np.ndarray]:
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
    from orientation.dossier.cnaf import CLES

    vide = np.full(n, "", dtype=object)
    for cle in CLES:  # columns the generator does not draw (France Travail diagnostic): non renseigné
        out.setdefault(cle, vide)
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
        t = tirer_bloc(taille, rng, departement, date_reference, politique)
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
