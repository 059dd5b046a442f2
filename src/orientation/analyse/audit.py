"""Whole-chain audit by group (``orientation audit``): rules + model, as ``orientation lot`` decides.

Every valid row of a flux is decided by the bulk path (:func:`orientation.flux.lot.traiter_bloc`:
the same decisions as :func:`orientation.recommend`).  The audit reports, overall and per group
(sex, age band, household type, département), the shares of the three modalities (rendez-vous
obligatoire, examen individuel, orientation directe) with 95 % Wilson intervals, and, where the
referents' final routes are known (``parcours_referent`` column of a labelled export, or an
``etiquettes`` file: ``identifiant,dtdemrsa,parcours_referent``, joined on the identifier and the date de
demande, :func:`lire_etiquettes`), the agreement of what was decided
directly and the harmful errors (social route per the referent, oriented directly to France
Travail).  Group figures are computed with fairlearn's ``MetricFrame``.  With the optional
columns of a labelled export, the referents' override rates per rule, grid line and model
version are added (:func:`orientation.analyse.contrat.taux_de_correction`).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Optional, Sequence

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
    avertissements: list[str] = field(default_factory=list)

    def en_dict(self) -> dict[str, Any]:
        return {"flux": str(self.flux), "departement": self.departement, "lignes_lues": self.lignes_lues,
                "lignes_rejetees": self.lignes_rejetees, "modele": self.modele, "modele_synthetique": self.synthetique,
                **self.figures, "corrections": self.corrections, "avertissements": self.avertissements}

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
        lignes = [f"Attention : {a}" for a in self.avertissements]
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


#: Column of the date de demande in a labels file (the flux's name for it): the join key with the identifier.
DATE_DEMANDE = "dtdemrsa"


def _date_iso(valeur: Optional[str]) -> Optional[str]:
    """``AAAA-MM-JJ`` of a cell, ``None`` if it is not a valid ISO date."""
    try:
        return date.fromisoformat(valeur.strip()).isoformat() if valeur and len(valeur.strip()) == 10 else None
    except ValueError:
        return None


@dataclass
class Etiquettes:
    """The referents' final routes of a labels file, by (identifiant, date de demande) or by identifiant alone."""

    chemin: Path
    avec_date: bool
    parcours: dict[tuple[str, Optional[str]], str]

    def joindre(self, identifiants: Sequence[Any], dates: Sequence[Optional[str]]) -> tuple[list[Optional[str]], list[str]]:
        """The route of each decided row (``None``: no label), and French warnings.

        With dates, the key is (identifiant, date de demande): a person with two requests gets the
        label of each.  Without, the identifier alone: a warning says so, and the rows of a flux
        identifier that appears more than once get no label (which request it was is unknown).
        """
        ids = ["" if i is None else str(i).strip() for i in identifiants]
        if self.avec_date:
            return [self.parcours.get((i, _date_iso(d))) for i, d in zip(ids, dates)], []
        compte = Counter(ids)
        out = [self.parcours.get((i, None)) if compte[i] == 1 else None for i in ids]
        ambigus = sum(1 for i in ids if compte[i] > 1 and (i, None) in self.parcours)
        avis = [f"fichier d'étiquettes {self.chemin} sans colonne {DATE_DEMANDE} (date de demande) : étiquettes "
                "jointes sur l'identifiant seul ; une personne qui a fait plusieurs demandes ne peut pas être "
                f"rapprochée de la bonne. Ajouter la colonne {DATE_DEMANDE} (AAAA-MM-JJ)."]
        if ambigus:
            avis.append(f"{ambigus} dossier(s) du flux partagent leur identifiant avec une autre demande du flux : "
                        "leur étiquette est ambiguë sans date de demande et n'est pas utilisée.")
        return out, avis


def lire_etiquettes(chemin: str | Path, encodage: str = "utf-8") -> Etiquettes:
    """A labels CSV ``identifiant,parcours_referent[,dtdemrsa]`` (French errors naming the file and the lines).

    Refused as a whole, with every line in cause (at most 10 shown): a missing column, a blank
    identifier, an unknown route (a blank one means « not labelled »), an invalid date de demande,
    and two lines with the same key (identifiant and date de demande, or identifiant alone).
    """
    chemin = Path(chemin)
    nom = f"Fichier d'étiquettes {chemin}"
    try:
        with chemin.open(encoding="utf-8-sig" if encodage.lower().replace("_", "-") in ("utf-8", "utf8") else encodage,
                         newline="") as f:
            lecteur = csv.reader(f)
            entete = [c.strip() for c in next(lecteur, [])]
            manquantes = [k for k in ("identifiant", ETIQUETTE) if k not in entete]
            if manquantes:
                raise OrientationError(f"{nom} : colonne(s) absente(s) : {', '.join(manquantes)} (attendu : "
                                       f"identifiant,{DATE_DEMANDE},{ETIQUETTE}).")
            doubles = sorted({k for k in entete if entete.count(k) > 1 and k})
            if doubles:
                raise OrientationError(f"{nom} : colonne(s) en double : {', '.join(doubles)}.")
            i_id, i_lab = entete.index("identifiant"), entete.index(ETIQUETTE)
            i_date = entete.index(DATE_DEMANDE) if DATE_DEMANDE in entete else None
            erreurs: list[str] = []
            vues: dict[tuple[str, Optional[str]], list[int]] = {}
            parcours: dict[tuple[str, Optional[str]], str] = {}
            fin = lecteur.line_num
            for cellules in lecteur:
                debut, fin = fin + 1, lecteur.line_num
                if not any(c.strip() for c in cellules):
                    continue
                cel = (lambda j: cellules[j].strip() if j is not None and j < len(cellules) else "")
                ident, lab = cel(i_id), cel(i_lab)
                if not ident:
                    erreurs.append(f"ligne {debut} : identifiant vide")
                    continue
                cle: tuple[str, Optional[str]] = (ident, None)
                if i_date is not None:
                    jour = _date_iso(cel(i_date))
                    if jour is None:
                        erreurs.append(f"ligne {debut} : {DATE_DEMANDE} « {cel(i_date)[:20]} » invalide (AAAA-MM-JJ "
                                       "attendu)")
                        continue
                    cle = (ident, jour)
                if lab and etiquette(lab) is None:
                    erreurs.append(f"ligne {debut} : {ETIQUETTE} « {lab[:30]} » inconnu (attendu : "
                                   f"{', '.join(p.value for p in CLASSES)}, ou vide si inconnu)")
                    continue
                vues.setdefault(cle, []).append(debut)
                if lab:
                    parcours[cle] = lab
    except UnicodeDecodeError:
        raise OrientationError(f"{nom} : texte illisible en {encodage} (autour de la ligne {lecteur.line_num + 1}) : "
                               "indiquer le bon encodage avec --encodage.") from None
    except LookupError:
        raise OrientationError(f"{nom} : encodage « {encodage} » inconnu (utf-8, windows-1252 ou latin-1).") from None
    except csv.Error as exc:
        raise OrientationError(f"{nom} : CSV illisible ligne {lecteur.line_num} ({exc}).") from None
    cle_texte = "même identifiant et même date de demande" if i_date is not None else "même identifiant"
    erreurs += [f"lignes {', '.join(map(str, l))} : {cle_texte} (une seule étiquette par demande)"
                for l in vues.values() if len(l) > 1]
    if erreurs:
        raise OrientationError(f"{nom} refusé : {len(erreurs)} erreur(s) : " + " ; ".join(erreurs[:10])
                               + (" ; …" if len(erreurs) > 10 else "") + ".")
    return Etiquettes(chemin, i_date is not None, parcours)


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
    etiq_lues = lire_etiquettes(etiquettes, encodage) if etiquettes is not None else None  # checked before deciding
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
    avertissements: list[str] = []
    if etiquettes is not None:
        assert etiq_lues is not None
        brutes, avertissements = etiq_lues.joindre(d.column("identifiant").to_pylist(), col(DATE_DEMANDE)
                                                   or [None] * len(idx))
    etiq = np.array([-1 if e is None or etiquette(e) is None else etiquette(e) for e in (brutes or [None] * len(idx))],
                    dtype=np.int64)
    deps = col("departement") or [departement] * len(idx)
    groupes = groupes_cellules(col("sexe"), col("dtnai"), col("dtdemrsa"), col("typefoyer"), deps)
    optionnelles = {k: col(k) for k in FACULTATIVES if k in lu.table.column_names}
    if brutes is not None:
        optionnelles[ETIQUETTE] = brutes
    return ResultatAudit(flux, departement, lu.nb_lignes, rejetees, ctx.version_modele,
                         bool(modele and modele.donnees_synthetiques), _figures(modalite, parcours, etiq, groupes),
                         taux_de_correction(optionnelles), avertissements)


__all__ = ["DATE_DEMANDE", "MODALITES", "Etiquettes", "ResultatAudit", "auditer", "lire_etiquettes"]
