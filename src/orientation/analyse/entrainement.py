"""Training from a labelled export: contract, model, artifact and model card.

:func:`entrainer_fichier` validates the file against the training-data contract
(:mod:`orientation.analyse.contrat`: bad rows rejected with line, field, value and reason, the
others train), trains (:func:`orientation.modele.entrainement.entrainer`), writes the
pickle-free artifact and its card (``carte.html``, ``carte.md``) into the output directory, and
the rejects beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from orientation.analyse.contrat import DonneesEntrainement, attendues_absentes, lire_donnees_entrainement
from orientation.analyse.lecture import ecrire_rejets
from orientation.erreurs import ConfigurationInvalide, ModeleInvalide
from orientation.modele.classes import CLASSES, TypeModele
from orientation.modele.entrainement import ResultatEntrainement, entrainer


@dataclass
class ResultatExport(ResultatEntrainement):
    """A model trained from an export, with what the contract found and where the rejects went."""

    donnees: Optional[DonneesEntrainement] = None
    chemin_rejets: Optional[Path] = None
    chemins_carte: tuple[Path, ...] = ()
    ancien: Optional[Path] = None  # where the replaced model folder was kept (--remplacer)

    def resume(self) -> str:
        texte = super().resume()
        if self.donnees is None:
            return texte
        carte = f"\nCarte du modèle : {', '.join(str(c) for c in self.chemins_carte)}." if self.chemins_carte else ""
        if self.ancien is not None:
            carte += f"\nAncien dossier du modèle conservé : {self.ancien} (le supprimer quand il n'est plus utile)."
        return self.donnees.resume(self.chemin_rejets) + "\n" + texte + carte


def chemin_rejets_defaut(sortie: Path) -> Path:
    """``mes_modeles/mon_modele/`` -> ``mes_modeles/mon_modele.rejets.csv`` (beside the model: rejects hold personal data)."""
    sortie = Path(sortie)
    return sortie.parent / f"{sortie.resolve().name}.rejets.csv"


def lire_seuils(texte: Optional[str]) -> Optional[dict[str, Optional[float]]]:
    """``"professionnel=0.9,social=jamais"`` -> ``{"professionnel": 0.9, "social": None}`` (French errors)."""
    if not texte:
        return None
    out: dict[str, Optional[float]] = {}
    noms = [p.value for p in CLASSES]
    for morceau in texte.split(","):
        nom, _, valeur = morceau.partition("=")
        nom, valeur = nom.strip(), valeur.strip().replace(",", ".")
        if nom not in noms or not valeur:
            raise ValueError(f"--seuils : « {morceau.strip()} » invalide (attendu parcours=valeur, parcours parmi "
                             f"{', '.join(noms)}, valeur entre 0 et 1 ou « jamais »)")
        if valeur == "jamais":
            out[nom] = None
            continue
        try:
            v = float(valeur)
        except ValueError:
            v = -1.0
        if not 0 < v <= 1:
            raise ValueError(f"--seuils : valeur « {valeur} » invalide pour {nom} (entre 0 et 1, ou « jamais »)")
        out[nom] = v
    return out


def entrainer_fichier(donnees: str | Path, sortie: str | Path, *, type_modele: TypeModele = "logistique",
                      accord_cible: float = 0.95, graine: int = 0, seuil_recurrence: int = 20,
                      nom: Optional[str] = None, version: str = "1.0", description: Optional[str] = None,
                      donnees_synthetiques: Optional[bool] = None, decoupage: str = "aleatoire",
                      seuils: Optional[dict[str, Optional[float]]] = None,
                      autoriser_manquantes: Sequence[str] = (), rejets: Optional[str | Path] = None,
                      encodage: str = "utf-8", departement: Optional[str] = None, remplacer: bool = False,
                      ecrire_modele_livre: bool = False) -> ResultatExport:
    """Validate a labelled export, train on its valid rows, write the artifact, its card and the rejects.

    ``sortie`` must be a new or empty folder, or ``remplacer`` must be true: the model is then written
    into a temporary sibling and renamed over it, the old folder kept beside as ``<sortie>.ancien-<date>``
    (:func:`orientation.analyse.publication.publier_dossier`, named in :attr:`ResultatExport.ancien`);
    an existing rejects file is replaced only with ``remplacer`` too.  The bundled data (``demo``, the
    repository's ``models/``) is refused (:class:`~orientation.analyse.publication.SortieRefusee`), except
    with ``ecrire_modele_livre`` (the maintainers' script ``models/entrainer_demo.py`` only).  Every check
    of the outputs runs before the data is read.
    """
    from orientation.analyse.publication import publier_dossier, verifier_dossier, verifier_fichiers
    from orientation.modele.artefact import FICHIER_MANIFESTE, FICHIER_TABLEAUX
    from orientation.modele.carte_rendu import FICHIER_HTML, FICHIER_MARKDOWN, ecrire_carte

    donnees, sortie = Path(donnees), Path(sortie)
    if type_modele != "logistique":  # refused before a long training
        raise ModeleInvalide("seul le modèle logistique peut être enregistré (format sans code exécutable : nombres "
                             "JSON et tableaux NPZ) ; la forêt aléatoire s'entraîne et s'évalue en Python "
                             "(orientation.modele.entrainement.entrainer) sans être enregistrée.")
    chemin_rejets = Path(rejets) if rejets else chemin_rejets_defaut(sortie)
    if not ecrire_modele_livre:
        verifier_dossier(sortie, remplacer=remplacer)
        verifier_fichiers([chemin_rejets], remplacer=remplacer, quoi="fichier des rejets")
    _hors_de_la_sortie(donnees, sortie, chemin_rejets)
    lues = lire_donnees_entrainement(donnees, autoriser_manquantes=autoriser_manquantes, decoupage=decoupage,
                                     encodage=encodage, departement=departement)
    if lues.rejets:
        chemin_rejets.parent.mkdir(parents=True, exist_ok=True)
        ecrire_rejets(lues.rejets, chemin_rejets)
    elif chemin_rejets.is_file():  # only with remplacer: a previous run's rejects would describe another export
        chemin_rejets.unlink()
    modele = entrainer(lues.preparees, type_modele=type_modele, accord_cible=accord_cible, graine=graine,
                       seuil_recurrence=seuil_recurrence, nom=nom or sortie.resolve().name, version=version,
                       description=description, donnees_synthetiques=donnees_synthetiques, decoupage=decoupage,
                       seuils=seuils)
    with publier_dossier(sortie, remplacer=remplacer or ecrire_modele_livre,
                         livre_autorise=ecrire_modele_livre) as pub:
        modele.enregistrer(pub.temporaire)
        assert modele.manifeste is not None
        ecrire_carte(pub.temporaire, modele.manifeste)
    cartes = (sortie / FICHIER_HTML, sortie / FICHIER_MARKDOWN)
    return ResultatExport(modele, sortie, sortie / FICHIER_TABLEAUX, sortie / FICHIER_MANIFESTE, lues,
                          chemin_rejets if lues.rejets else None, cartes, pub.ancien)


def _hors_de_la_sortie(donnees: Path, sortie: Path, rejets: Path) -> None:
    """Refuse outputs that would move or overwrite the training data itself."""
    from orientation.analyse.publication import SortieRefusee

    source, dossier = donnees.resolve(), sortie.resolve()
    if dossier == source or dossier in source.parents:
        raise SortieRefusee(f"dossier du modèle {sortie} : contient le fichier de données {donnees} (il serait "
                            "déplacé avec l'ancien dossier) : choisir un autre dossier.")
    if rejets.resolve() == source:
        raise SortieRefusee(f"fichier des rejets {rejets} : c'est le fichier de données lui-même : choisir un autre "
                            "fichier (--rejets).")
    if dossier in rejets.resolve().parents:
        raise SortieRefusee(f"fichier des rejets {rejets} : dans le dossier du modèle {sortie}, qui ne doit contenir "
                            "aucune donnée personnelle (il est partagé avec le service) : l'écrire à côté.")


def carte(dossier: str | Path, comparer_a: Optional[str | Path] = None, donnees: Optional[str | Path] = None,
          encodage: str = "utf-8", sortie: Optional[str | Path] = None,
          remplacer: bool = False) -> tuple[tuple[Path, Path], Optional[dict[str, Any]]]:
    """(Re)write a model's card, optionally compared with another model (on ``donnees`` when given).

    The card goes into ``sortie`` (created if needed), by default into the model's directory; never
    inside the bundled data or the installed package (:class:`ConfigurationInvalide`, in French),
    which may be read-only or shared: the demo model's card is written elsewhere with ``sortie``.
    In the model's own directory the card (computed from its manifest) is rewritten; elsewhere an
    existing ``carte.html`` or ``carte.md`` is replaced only with ``remplacer`` (it may be another
    model's card).  Each file is written to a temporary sibling and renamed (atomic replacement).
    With ``donnees`` (a labelled export), both models are evaluated on the same dossiers: when it
    is the model's own training file (same SHA-256), on its test split again (same seed and split);
    otherwise on every valid row of the file (fresh data never seen by the model).
    """
    from orientation.analyse.publication import SortieRefusee, verifier_fichiers
    from orientation.fichiers import publier
    from orientation.donnees import chemin_modele, dans_les_donnees_livrees
    from orientation.modele.carte import groupes_audit
    from orientation.modele.carte_rendu import (FICHIER_HTML, FICHIER_MARKDOWN, comparaison, rendre_html,
                                                rendre_markdown)
    from orientation.modele.entrainement import decouper
    from orientation.modele.modele import ModeleOrientation

    cible = Path(sortie) if sortie is not None else chemin_modele(dossier)
    if dans_les_donnees_livrees(cible):
        raise ConfigurationInvalide(
            f"carte du modèle : le dossier {cible} fait partie des données livrées avec la bibliothèque (peut-être "
            "en lecture seule ou partagé) : rien n'y est écrit. Écrire la carte ailleurs avec --sortie DOSSIER.")
    fichiers = (cible / FICHIER_HTML, cible / FICHIER_MARKDOWN)
    if (cible.exists() or cible.is_symlink()) and not cible.is_dir():
        raise SortieRefusee(f"carte du modèle : {cible} existe et n'est pas un dossier : rien n'y est écrit.")
    propre = cible.is_dir() and chemin_modele(dossier).is_dir() and cible.samefile(chemin_modele(dossier))
    if not propre:
        verifier_fichiers(fichiers, remplacer=remplacer, quoi="carte du modèle :")
    m = ModeleOrientation.charger(dossier)
    assert m.manifeste is not None
    comp = None
    if comparer_a is not None:
        autre = ModeleOrientation.charger(comparer_a)
        if donnees is None:
            comp = comparaison(m, autre)
        else:
            lues = lire_donnees_entrainement(donnees, autoriser_manquantes=attendues_absentes(donnees, encodage),
                                             encodage=encodage)
            p = lues.preparees
            idx = list(range(p.n))
            source = f"{Path(donnees).name}, toutes les lignes valides"
            e = m.entrainement
            if p.empreinte == e.get("sha256_donnees") and p.n == e.get("n_dossiers"):
                idx = list(decouper(p.n, p.y, (0.6, 0.2, 0.2), int(e.get("graine", 0)), e.get("decoupage", "aleatoire"),
                                    p.dates)[2])
                source = f"{Path(donnees).name}, jeu de test du modèle « {m.nom} »"
            choisir = (lambda col: None if col is None else [col[i] for i in idx])
            comp = comparaison(m, autre, p.X[idx], p.y[idx],
                               groupes_audit(p.X[idx], choisir(p.sexe), choisir(p.departement)), source)
    cible.mkdir(parents=True, exist_ok=True)
    publier({fichiers[0]: rendre_html(m.manifeste, comp), fichiers[1]: rendre_markdown(m.manifeste, comp)})
    return fichiers, comp


__all__ = ["ResultatExport", "carte", "chemin_rejets_defaut", "entrainer_fichier", "lire_seuils"]
