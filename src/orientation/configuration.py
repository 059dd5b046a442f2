"""Configuration: where the rules and the model come from, when the model is loaded, the caches.

Every setting is explicit (the :class:`orientation.Orientateur` object) or read from one of the
environment variables of :data:`VARIABLES_ENVIRONNEMENT`, listed in the README (« Configuration »):

* rules: the ``regles`` argument / ``--regles`` option, else ``$ORIENTATION_REGLES``, else the
  rules shipped with the library;
* model: the ``modele`` argument / ``--modele`` option (a directory, or ``"demo"`` for the bundled
  model trained on SYNTHETIC data), else ``$ORIENTATION_MODELE``, else **no model**: the profiles
  no rule catches go to ``examen_individuel``.  The demo model is never a default.

The model is loaded lazily (:class:`SourceModele`): only when a dossier reaches it (no rule set
its modality, scenario 4), then kept for the process.  :func:`vider_caches` forgets the loaded
référentiels and models (the next call re-reads the files).

>>> SourceModele(False).obtenir() is None
True
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Literal, Optional, Union

from orientation.donnees import chemin_modele, modeles_livres
from orientation.erreurs import ModeleInvalide
from orientation.modele.artefact import FICHIER_MANIFESTE, VARIABLE_ENV_MODELE
from orientation.modele.modele import ModeleOrientation, charger_modele, vider_cache_modeles
from orientation.regles.referentiel import VARIABLE_ENV_REGLES, Referentiel

#: Every environment variable the library reads, with what it sets (French, shown to users).
VARIABLES_ENVIRONNEMENT: dict[str, str] = {
    VARIABLE_ENV_REGLES: "dossier des règles (national.yaml, departements/, tests/) ; défaut : règles livrées",
    VARIABLE_ENV_MODELE: "dossier d'un modèle entraîné, ou « demo » (modèle de démonstration, données "
                         "synthétiques) ; défaut : aucun modèle",
    # read by orientation.stockage.moteur and orientation.service.parametres (the HTTP service)
    "ORIENTATION_BASE": "base de données du service HTTP (adresse SQLAlchemy) ; défaut : fichier SQLite "
                        "orientation.sqlite3 du dossier courant",
    "ORIENTATION_SERVICE_PARAMETRES": "réglages transmis par « orientation servir » à ses processus (interne : "
                                      "ne pas la définir)",
    "ORIENTATION_LOTS_CONSERVATION_JOURS": "durée de conservation, en jours, des fichiers d'un lot terminé du "
                                           "service HTTP (flux téléversé et sorties), appliquée au démarrage du "
                                           "service, puis à chaque passage périodique, et par « orientation purger » ; "
                                           "défaut : 30",
    "ORIENTATION_LOTS_PURGE_INTERVALLE": "intervalle, en secondes, entre deux passages de la conservation des "
                                         "lots dans le service HTTP en marche ; défaut : 3600",
    # read by orientation.espace (the referent workspace)
    "ORIENTATION_ESPACE_HTTPS": "1 derrière un mandataire HTTPS : le cookie de session de l'espace référent porte "
                                "toujours l'attribut Secure ; défaut : Secure seulement pour une requête HTTPS",
    "ORIENTATION_CONSERVATION_JOURS": "durée de conservation des dossiers de l'espace référent, en jours, pour "
                                      "« orientation purger » sans --avant ; défaut : aucune (date à donner)",
}

#: What a ``modele`` argument may be: a loaded model, a directory, a bundled model's name,
#: ``None`` (the configured default: ``$ORIENTATION_MODELE`` or no model) or ``False`` (no model).
SpecModele = Union[ModeleOrientation, str, Path, None, Literal[False]]

#: French reason given when no model is configured and the dossier reached the model's stage.
SANS_MODELE = (f"aucun modèle statistique n'est configuré (ni argument modele, ni option --modele, ni variable "
               f"{VARIABLE_ENV_MODELE}) : un dossier qu'aucune règle ne tranche va en examen individuel")


class SourceModele:
    """A model given by its specification, loaded on first use (:meth:`obtenir`) and then kept.

    ``None`` reads ``$ORIENTATION_MODELE`` now (unset: no model), ``False`` means no model.
    """

    def __init__(self, modele: SpecModele = None):
        if modele is None:
            env = os.environ.get(VARIABLE_ENV_MODELE)
            modele = env if env else False
        self._spec: SpecModele = modele
        self._modele: Optional[ModeleOrientation] = modele if isinstance(modele, ModeleOrientation) else None
        self._verrou = threading.Lock()

    @property
    def configure(self) -> bool:
        """Whether a model is configured (it may not be loaded yet)."""
        return self._spec is not False

    @property
    def charge(self) -> Optional[ModeleOrientation]:
        """The model if it is already loaded (never loads it)."""
        return self._modele

    def obtenir(self) -> Optional[ModeleOrientation]:
        """The model, loaded now if needed (``None``: no model configured)."""
        if self._modele is None and self._spec is not False:
            with self._verrou:
                if self._modele is None:
                    self._modele = charger(self._spec)  # type: ignore[arg-type]
        return self._modele

    def __repr__(self) -> str:
        return f"SourceModele({self._spec!r}, charge={self._modele is not None})"


def charger(modele: str | Path) -> ModeleOrientation:
    """Load (once per process) a model from a directory or a bundled model's name, with a French error."""
    chemin = chemin_modele(modele)
    if not (chemin / FICHIER_MANIFESTE).is_file():
        raise ModeleInvalide(f"Modèle introuvable : « {modele} » n'est ni un dossier de modèle ({chemin / FICHIER_MANIFESTE} "
                             f"absent) ni le nom d'un modèle livré ({', '.join(modeles_livres())}).")
    return charger_modele(chemin)


def referentiel(departement: str, regles: Referentiel | str | Path | None = None) -> Referentiel:
    """The référentiel of ``departement``: given, read from a rules directory, or the default rules."""
    if isinstance(regles, Referentiel):
        return regles
    return Referentiel.charger(departement, None if regles is None else Path(regles))


def vider_caches() -> None:
    """Forget every référentiel and model loaded in this process (rules or model files were changed)."""
    Referentiel.vider_cache()
    vider_cache_modeles()

