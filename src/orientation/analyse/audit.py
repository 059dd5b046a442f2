"""Whole-chain audit by group (``orientation audit``): rules + model, as ``orientation lot`` decides.

Every valid row of a flux is decided by the bulk path (:func:`orientation.flux.lot.traiter_bloc`:
the same decisions as :func:`orientation.recommend`).  The audit reports, overall and per group
(sex, age band, household type, département), the shares of the three modalities (rendez-vous
obligatoire, examen individuel, orientation directe) with 95 % Wilson intervals, and, where the
referents' final routes are known (``parcours_referent`` column of a labelled export, or an
``etiquettes`` file: ``identifiant,parcours_referent``), the agreement of what was decided
directly and the harmful errors (social route per the referent, oriented directly to France
Travail).  Group figures are computed with fairlearn's ``MetricFrame``.  With the optional
columns of a labelled export, the referents' override rates per rule, grid line and model
version are added (:func:`orientation.analyse.contrat.taux_de_correction`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from orientation.analyse import lecture
from orientation.analyse.contrat import ETIQUETTE, FACULTATIVES, taux_de_correction
from orientation.dossier.cnaf import CLES
from orientation.erreurs import OrientationError
from orientation.francais import pourcent
from orientation.modele.carte import VARIABLES, groupes_cellules, ordonner
from orientation.modele.classes import CLASSES
from orientation.modele.entrainement import etiquette
from orientation.modele.metriques import intervalle_wilson
from orientation.vocabulaire import Modalite

MODALITES = [Modalite.rdv_obligatoire.value, Modalite.examen_individuel.value, Modalite.orientation_directe.value]
LIBELLES_MODALITES = {"rdv_obligatoire": "rendez-vous obligatoire", "examen_individuel": "examen individuel",
                      "orientation_directe": "orientation directe"}
_PRO, _SOCIAL = 0, 2  # indices in CLASSES


def _prop(k: int, n: int) -> dict[str, Any]:
    bas, haut = intervalle_wilson(k, n)
    return {"k": int(k), "n": int(n), "valeur": k / n if n else None, "ic_bas": bas if n else None,
            "ic_haut": haut if n else None}


def _figures(modalite: np.ndarray, parcours: np.ndarray, etiq: np.ndarray, groupes: dict[str, np.ndarray]
             ) -> dict[str, Any]:
    """Overall and per-group figures (``modalite``: index in MODALITES; ``parcours``/``etiq``: CLASSES index or -1)."""
    import pandas as pd
    from fairlearn.metrics import MetricFrame

    directe = modalite == 2
    code = np.where(directe, parcours, -1)  # y_pred: route decided directly, or -1

    def compte(cond: Any) -> Any:
        return lambda yt, yp: int(np.sum(cond(np.asarray(yt), np.asarray(yp))))

    # modality shares need the modality itself: y_pred carries both (modality * 10 + route + 1)
    yp = modalite * 10 + (code + 1)
    metriques = {
        "n": compte(lambda yt, p: np.ones(len(yt), dtype=bool)),
        **{m: compte(lambda yt, p, k=k: p // 10 == k) for k, m in enumerate(MODALITES)},
        "directe_etiquetee": compte(lambda yt, p: (p // 10 == 2) & (yt >= 0)),
        "directe_accord": compte(lambda yt, p: (p // 10 == 2) & (yt >= 0) & (p % 10 - 1 == yt)),
        "graves": compte(lambda yt, p: (p // 10 == 2) & (yt == _SOCIAL) & (p % 10 - 1 == _PRO)),
        "etiquetes": compte(lambda yt, p: yt >= 0),
    }

    def ligne(r: Any, groupe: str) -> dict[str, Any]:
        n = int(r["n"])
        return {"groupe": groupe, "n": n, "modalites": {m: _prop(int(r[m]), n) for m in MODALITES},
                "etiquetes": int(r["etiquetes"]),
                "accord_directes": _prop(int(r["directe_accord"]), int(r["directe_etiquetee"])),
                "erreurs_graves": int(r["graves"])}

    out: dict[str, Any] = {"ensemble": None, "par_groupe": {}}
    if len(modalite) == 0:
        return out
    tout = MetricFrame(metrics=metriques, y_true=etiq, y_pred=yp, sensitive_features=np.zeros(len(etiq), dtype=int))
    out["ensemble"] = ligne(tout.overall, "ensemble")
    for variable, valeurs in groupes.items():
        mf = MetricFrame(metrics=metriques, y_true=etiq, y_pred=yp, sensitive_features=pd.Series(valeurs, name=variable))
        out["par_groupe"][variable] = {"libelle": VARIABLES.get(variable, variable),
                                       "groupes": ordonner(variable, [ligne(r, str(g)) for g, r in mf.by_group.iterrows()],
                                                           lambda g: g["groupe"])}
    return out


@dataclass
class ResultatAudit:
    """What the whole chain decided on a flux, overall and per group."""

    flux: Path
    departement: str
    lignes_lues: int
    lignes_rejetees: int
    modele: Optional[str]
    synthetique: bool
    figures: dict[str, Any]
    corrections: Optional[dict[str, Any]]

    def en_dict(self) -> dict[str, Any]:
        return {"flux": str(self.flux), "departement": self.departement, "lignes_lues": self.lignes_lues,
                "lignes_rejetees": self.lignes_rejetees, "modele": self.modele, "modele_synthetique": self.synthetique,
                **self.figures, "corrections": self.corrections}

    def lignes_tableau(self) -> list[dict[str, Any]]:
        """One flat row per group (for a pandas DataFrame): shares and intervals."""
        out = []
        blocs = [("ensemble", [self.figures["ensemble"]])] if self.figures.get("ensemble") else []
        blocs += [(b["libelle"], b["groupes"]) for b in self.figures.get("par_groupe", {}).values()]
        for variable, groupes in blocs:
            for g in groupes:
                r = {"variable": variable, "groupe": g["groupe"], "n": g["n"]}
                for m in MODALITES:
                    p = g["modalites"][m]
                    r[m], r[f"{m} IC bas"], r[f"{m} IC haut"] = p["valeur"], p["ic_bas"], p["ic_haut"]
                a = g["accord_directes"]
                r["accord des orientations directes"], r["accord IC bas"], r["accord IC haut"] = (
                    a["valeur"], a["ic_bas"], a["ic_haut"])
                r["orientations directes étiquetées"] = a["n"]
                r["erreurs graves"] = g["erreurs_graves"]
                out.append(r)
        return out

    def texte(self) -> str:
        """French report."""
        def prop(p: dict[str, Any]) -> str:
            if not p["n"]:
                return "—"
            return f"{pourcent(p['valeur'])} [{pourcent(p['ic_bas'])} ; {pourcent(p['ic_haut'])}]"

        e = self.figures.get("ensemble")
        lignes = []
        if self.synthetique:
            lignes.append("ATTENTION : modèle entraîné sur des données SYNTHÉTIQUES : ces chiffres montrent le "
                          "fonctionnement, pas ce que ferait un modèle entraîné sur les décisions du département.")
        lignes.append(f"Audit de la chaîne complète (règles + {'modèle ' + self.modele if self.modele else 'sans modèle'})"
                      f" sur {self.flux} (département {self.departement}) : {self.lignes_lues} ligne(s) lue(s), "
                      f"{self.lignes_rejetees} rejetée(s), {e['n'] if e else 0} décidée(s).")
        if not e:
            return "\n".join(lignes)
        for titre, groupes in [("Ensemble", [e])] + [(f"Par {b['libelle']}", b["groupes"])
                                                    for b in self.figures["par_groupe"].values()]:
            lignes.append(f"{titre} (parts avec intervalle de confiance à 95 %) :")
            for g in groupes:
                texte = f"  {g['groupe']:<28} n={g['n']:<6} " + " ; ".join(
                    f"{LIBELLES_MODALITES[m]} {prop(g['modalites'][m])}" for m in MODALITES)
                if g["etiquetes"]:
                    texte += (f" ; accord des orientations directes {prop(g['accord_directes'])}"
                              f" ({g['accord_directes']['n']}) ; erreurs graves {g['erreurs_graves']}")
                lignes.append(texte)
        if e["etiquetes"]:
            lignes.append(f"Erreurs graves : {e['erreurs_graves']} personne(s) au parcours social selon le référent "
                          "orientée(s) directement vers France Travail (parcours professionnel) sans examen.")
        else:
            lignes.append("Sans parcours des référents (colonne parcours_referent ou --etiquettes), l'accord n'est pas "
                          "mesuré.")
        if self.corrections:
            c = self.corrections["ensemble"]
            lignes.append(f"Corrections des référents : {c['corriges']} recommandation(s) changée(s) sur {c['n']} "
                          f"({pourcent(c['taux']) if c['n'] else '—'}) ; détail par règle, ligne de grille et modèle "
                          "dans la sortie JSON (--sortie).")
        return "\n".join(lignes)


def lire_etiquettes(chemin: str | Path) -> dict[str, str]:
    """``identifiant,parcours_referent`` CSV -> {identifiant: route} (French errors naming the file)."""
    chemin = Path(chemin)
    with chemin.open(encoding="utf-8", newline="") as f:
        lecteur = csv.DictReader(f)
        manquantes = [k for k in ("identifiant", ETIQUETTE) if k not in (lecteur.fieldnames or [])]
        if manquantes:
            raise OrientationError(f"Fichier d'étiquettes {chemin} : colonne(s) absente(s) : {', '.join(manquantes)}.")
        return {r["identifiant"].strip(): r[ETIQUETTE].strip() for r in lecteur if r.get("identifiant")}


def auditer(flux: str | Path, departement: str, *, modele: Any = None, regles: Optional[str | Path] = None,
            etiquettes: Optional[str | Path] = None, encodage: str = "utf-8") -> ResultatAudit:
    """Decide every valid row of ``flux`` with rules + model and report by group.

    ``modele``: a :class:`~orientation.modele.modele.ModeleOrientation`, a directory or ``"demo"``,
    ``None`` (the configured default) or ``False`` (rules only).
    """
    from orientation.flux.decisions import Contexte
    from orientation.flux.lot import traiter_bloc
    from orientation.modele.modele import ModeleOrientation, charger_modele, charger_modele_defaut
    from orientation.regles.referentiel import Referentiel

    flux = Path(flux)
    if modele is None:
        modele = charger_modele_defaut()
    elif modele is not False and not isinstance(modele, ModeleOrientation):
        modele = charger_modele(modele)
    lu = lecture.lire(flux, [ETIQUETTE, *FACULTATIVES], encodage)
    ctx = Contexte(departement, Referentiel.charger(departement, Path(regles) if regles else None), modele or None)
    cnaf = lu.table.select([k for k in lu.table.column_names if k in CLES])
    res = traiter_bloc(ctx, cnaf, lu.lignes, lu.bruts, lu.avec_departement) if cnaf.num_rows else None
    rejetees = len({r.ligne for r in lu.rejets} | ({r.ligne for r in res.rejets} if res else set()))
    if res is None or res.decisions.num_rows == 0:
        return ResultatAudit(flux, departement, lu.nb_lignes, rejetees, ctx.version_modele,
                             bool(modele and modele.donnees_synthetiques), _figures(*(np.zeros(0, int),) * 3, {}), None)
    d = res.decisions
    rang = {int(l): i for i, l in enumerate(lu.lignes.tolist())}
    idx = np.array([rang[int(l)] for l in d.column("ligne").to_pylist()], dtype=np.int64)
    col = (lambda nom: [c[i] for i in idx] if (c := lu.colonne(nom)) is not None else None)
    modalite = np.array([MODALITES.index(m) for m in d.column("modalite").to_pylist()], dtype=np.int64)
    noms = [p.value for p in CLASSES]
    parcours = np.array([noms.index(p) if p in noms else -1 for p in d.column("parcours").to_pylist()], dtype=np.int64)
    brutes = col(ETIQUETTE)
    if etiquettes is not None:
        table = lire_etiquettes(etiquettes)
        brutes = [table.get(str(i)) for i in d.column("identifiant").to_pylist()]
    etiq = np.array([-1 if e is None or etiquette(e) is None else etiquette(e) for e in (brutes or [None] * len(idx))],
                    dtype=np.int64)
    deps = col("departement") or [departement] * len(idx)
    groupes = groupes_cellules(col("sexe"), col("dtnai"), col("dtdemrsa"), col("typefoyer"), deps)
    optionnelles = {k: col(k) for k in FACULTATIVES if k in lu.table.column_names}
    if brutes is not None:
        optionnelles[ETIQUETTE] = brutes
    return ResultatAudit(flux, departement, lu.nb_lignes, rejetees, ctx.version_modele,
                         bool(modele and modele.donnees_synthetiques), _figures(modalite, parcours, etiq, groupes),
                         taux_de_correction(optionnelles))


__all__ = ["MODALITES", "ResultatAudit", "auditer", "lire_etiquettes"]
