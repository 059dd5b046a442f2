"""YAML test cases of the rules (OpenFisca style): ``rules/tests/*.yaml``.

A test file::

    base:                      # optional: readable dossier merged under every case
      identifiant: T-0001
      ...
    cas:
      - nom: "Primo-demandeuse sans abri"
        departement: "93"
        dossier:               # readable form (Dossier.valider), merged over ``base``;
          primo_demandeur: true   # a null value removes the key (non renseigné)
          dsp: {logement: sans_abri}
        # or, instead of ``dossier``: ``cnaf: {...}``, a CNAF record merged over ``base``
        # written in CNAF form (``natlog: "0912"``)
        attendu:
          modalite: rdv_obligatoire           # or null: no rule imposes a modality
          regles_declenchees: [primo_demandeur, fragilite_logement]   # exact set (rules only)
          parcours: social                     # grid proposal (null: no grid line)
          structure: departement
          ligne_grille: g93_sans_logement      # optional
          resultats: {fragilite_sante: inconnu}  # optional: vrai / faux / inconnu per rule or line
        date_regles: 2024-06-30  # optional: apply the rules in force at this date (default: date_demande)

The département of the case is also the dossier's.  Cases are evaluated with
:meth:`Referentiel.evaluer` (durable-rules, checked against the Python evaluator), with the rules in
force at the dossier's request date (``date_demande``), or at ``date_regles: AAAA-MM-JJ`` when the
case gives one.  Coverage: every national rule (each version) must fire in at least one case,
every national grid line chosen by a département in at least one case, and every rule and grid
line of a département file in at least one case of that département.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict

from orientation.dossier.schema import Dossier
from orientation.erreurs import DossierInvalide, ReglesInvalides
from orientation.regles.referentiel import Referentiel, dossier_regles_defaut, lire_national, lire_yaml
from orientation.vocabulaire import Modalite, Parcours, Structure, Verite

_CLES_ATTENDU = {"modalite", "regles_declenchees", "parcours", "structure", "ligne_grille", "resultats"}


class Cas(BaseModel):
    """One test case as read from a file."""

    model_config = ConfigDict(frozen=True)

    fichier: str
    nom: str
    departement: str
    donnees: dict[str, Any]
    forme: str  # "lisible" or "cnaf"
    attendu: dict[str, Any]
    date_regles: Optional[date] = None  # rules in force at this date instead of the request date

    @property
    def id_test(self) -> str:
        return f"{Path(self.fichier).stem}::{self.nom}"

    def dossier(self) -> Dossier:
        if self.forme == "cnaf":
            return Dossier.depuis_cnaf(self.donnees)
        return Dossier.valider(self.donnees)


class ResultatCas(BaseModel):
    """Outcome of one case: ``messages`` explain each difference in French."""

    model_config = ConfigDict(frozen=True)

    fichier: str
    nom: str
    departement: str
    reussi: bool
    messages: list[str]
    declenchees: list[str]
    sources: list[str]


class Rapport(BaseModel):
    """Outcome of every case, plus the rules that no case fires."""

    model_config = ConfigDict(frozen=True)

    cas: list[ResultatCas]
    non_couvertes: list[str]

    @property
    def echecs(self) -> list[ResultatCas]:
        return [c for c in self.cas if not c.reussi]

    @property
    def ok(self) -> bool:
        """Every case passed and every rule is covered."""
        return not self.echecs and not self.non_couvertes

    @property
    def reussi(self) -> bool:
        """Same as :attr:`ok`."""
        return self.ok

    def texte(self) -> str:
        """French report."""
        lignes = []
        for c in self.cas:
            lignes.append(f"{'OK    ' if c.reussi else 'ÉCHEC '} {Path(c.fichier).name} : {c.nom}")
            lignes.extend(f"         - {m}" for m in c.messages)
        for r in self.non_couvertes:
            lignes.append(f"NON COUVERTE  {r} : aucun cas ne la déclenche")
        lignes.append(f"{len(self.cas) - len(self.echecs)}/{len(self.cas)} cas réussis, "
                      f"{len(self.non_couvertes)} règle(s) non couverte(s)")
        return "\n".join(lignes)


def _fusionner(base: dict[str, Any], ajout: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in ajout.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _fusionner(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _iso(d: Any) -> Any:
    """YAML reads unquoted dates as ``date``: give them back as text, recursively."""
    if isinstance(d, dict):
        return {k: _iso(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_iso(v) for v in d]
    return d.isoformat() if hasattr(d, "isoformat") else d


def charger_cas(dossier_regles: Path | str | None = None) -> list[Cas]:
    """Every case of ``<rules>/tests/*.yaml``, validated (raises :class:`ReglesInvalides`)."""
    racine = Path(dossier_regles) if dossier_regles is not None else dossier_regles_defaut()
    out: list[Cas] = []
    for chemin in sorted((racine / "tests").glob("*.yaml")):
        fichier = str(chemin)
        doc = lire_yaml(chemin, fichier)
        if not isinstance(doc, dict) or not isinstance(doc.get("cas"), list):
            raise ReglesInvalides(fichier, None, "un fichier de cas doit contenir une liste « cas »")
        inconnues = set(doc) - {"base", "cas", "description"}
        if inconnues:
            raise ReglesInvalides(fichier, None, f"clé(s) inconnue(s) : {', '.join(sorted(inconnues))}")
        base = _iso(doc.get("base") or {})
        noms: set[str] = set()
        for brut in doc["cas"]:
            out.append(_cas(brut, base, fichier, noms))
    return out


def _cas(brut: Any, base: dict[str, Any], fichier: str, noms: set[str]) -> Cas:
    if not isinstance(brut, dict) or not isinstance(brut.get("nom"), str):
        raise ReglesInvalides(fichier, None, f"cas mal formé (objet avec « nom » attendu) : {brut!r}")
    nom = brut["nom"]
    if nom in noms:
        raise ReglesInvalides(fichier, nom, "nom de cas en double")
    noms.add(nom)
    inconnues = set(brut) - {"nom", "departement", "dossier", "cnaf", "attendu", "description", "date_regles"}
    if inconnues:
        raise ReglesInvalides(fichier, nom, f"clé(s) inconnue(s) : {', '.join(sorted(inconnues))}")
    dep = brut.get("departement")
    if not isinstance(dep, str):
        raise ReglesInvalides(fichier, nom, "« departement » manquant (texte entre guillemets, ex. \"93\")")
    attendu = brut.get("attendu")
    if not isinstance(attendu, dict) or not attendu:
        raise ReglesInvalides(fichier, nom, "« attendu » manquant")
    if set(attendu) - _CLES_ATTENDU:
        raise ReglesInvalides(fichier, nom, f"clé(s) inconnue(s) dans « attendu » : "
                              f"{', '.join(sorted(set(attendu) - _CLES_ATTENDU))}")
    if ("dossier" in brut) == ("cnaf" in brut):
        raise ReglesInvalides(fichier, nom, "donner exactement l'un de « dossier » (forme lisible) ou « cnaf »")
    if "cnaf" in brut:
        cnaf_base = Dossier.valider({**base, "departement": dep}).vers_cnaf() if base else {}
        donnees = _fusionner(cnaf_base, _iso(brut["cnaf"] or {}))
        donnees.setdefault("departement", dep)
        forme = "cnaf"
    else:
        donnees = _fusionner({**base, "departement": dep}, _iso(brut["dossier"] or {}))
        forme = "lisible"
    date_regles = brut.get("date_regles")
    if date_regles is not None:
        try:
            date_regles = date_regles if isinstance(date_regles, date) else date.fromisoformat(str(date_regles))
        except ValueError:
            raise ReglesInvalides(fichier, nom, f"« date_regles » doit être une date AAAA-MM-JJ, reçu "
                                  f"{date_regles!r}") from None
    return Cas(fichier=fichier, nom=nom, departement=dep, donnees=donnees, forme=forme, attendu=attendu,
               date_regles=date_regles)


def executer(cas: Cas, dossier_regles: Path | str | None = None) -> ResultatCas:
    """Run one case and compare with its expected outcome."""
    messages: list[str] = []
    try:
        dossier = cas.dossier()
    except DossierInvalide as exc:
        return ResultatCas(fichier=cas.fichier, nom=cas.nom, departement=cas.departement, reussi=False,
                           messages=[f"dossier invalide : {exc}"], declenchees=[], sources=[])
    ref = Referentiel.charger(cas.departement, dossier_regles)
    ev = ref.evaluer(dossier, cas.date_regles)
    att = cas.attendu
    declenchees = [r for r in ev.regles if r.declenchee]
    if "modalite" in att:
        voulu = None if att["modalite"] is None else Modalite(att["modalite"])
        if ev.modalite != voulu:
            messages.append(f"modalité : attendu {_lib(voulu)}, obtenu {_lib(ev.modalite)}")
    if "regles_declenchees" in att:
        voulues = set(att["regles_declenchees"] or [])
        obtenues = {r.id for r in declenchees if r.groupe is None}
        if voulues != obtenues:
            if voulues - obtenues:
                messages.append(f"règles attendues mais non déclenchées : {', '.join(sorted(voulues - obtenues))}")
            if obtenues - voulues:
                messages.append(f"règles déclenchées non attendues : {', '.join(sorted(obtenues - voulues))}")
    p = ev.proposition_grille
    for cle_, val in (("parcours", p.effet.parcours if p else None), ("structure", p.effet.structure if p else None),
                      ("ligne_grille", p.id if p else None)):
        if cle_ in att:
            voulu_ = att[cle_]
            if cle_ == "parcours" and voulu_ is not None:
                voulu_ = Parcours(voulu_)
            if cle_ == "structure" and voulu_ is not None:
                voulu_ = Structure(voulu_)
            if val != voulu_:
                messages.append(f"{cle_.replace('_', ' ')} : attendu {_lib(voulu_)}, obtenu {_lib(val)}")
    par_id = {r.id: r for r in ev.regles}
    for rid, voulu_v in (att.get("resultats") or {}).items():
        if rid not in par_id:
            messages.append(f"règle inconnue dans « resultats » : {rid}")
        elif par_id[rid].resultat != Verite(voulu_v):
            messages.append(f"résultat de « {rid} » : attendu {Verite(voulu_v).libelle}, "
                            f"obtenu {par_id[rid].resultat.libelle}")
    return ResultatCas(fichier=cas.fichier, nom=cas.nom, departement=cas.departement, reussi=not messages,
                       messages=messages, declenchees=[r.id for r in declenchees],
                       sources=[r.source for r in declenchees])


def _lib(v: Any) -> str:
    if v is None:
        return "aucune"
    return getattr(v, "value", str(v))


def couverture(resultats: list[ResultatCas], dossier_regles: Path | str | None = None) -> list[str]:
    """Rules and grid lines that no case fires, as ``fichier:id``."""
    racine = Path(dossier_regles) if dossier_regles is not None else dossier_regles_defaut()
    tirees = {(s, i) for r in resultats for s, i in zip(r.sources, r.declenchees, strict=True)}
    national = lire_national(racine / "national.yaml")
    a_couvrir = [("national.yaml", r.id) for r in national.regles]
    ids_nationaux = {r.id for r in national.regles} | {x.id for g in national.grilles for x in g.lignes}
    for fichier in sorted((racine / "departements").glob("*.yaml")):
        ref = Referentiel.charger(fichier.stem, racine)
        a_couvrir += [(r.source, r.id) for r in ref.toutes_regles() if r.source != "national.yaml"]
        # national grid lines chosen by a département; later versions of national rules (``id@date``)
        a_couvrir += [(r.source, r.id) for r in ref.toutes_regles()
                      if r.source == "national.yaml" and r.groupe is not None]
        a_couvrir += [(r.source, r.id) for r in ref.toutes_regles()
                      if r.source == "national.yaml" and r.id not in ids_nationaux]
    return [f"{s}:{i}" for s, i in dict.fromkeys(a_couvrir) if (s, i) not in tirees]


def tester(dossier_regles: Path | str | None = None) -> Rapport:
    """Run every YAML case of the rules directory and check coverage."""
    resultats = [executer(c, dossier_regles) for c in charger_cas(dossier_regles)]
    return Rapport(cas=resultats, non_couvertes=couverture(resultats, dossier_regles))

