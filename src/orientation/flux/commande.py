"""The ``orientation lot`` command: a bulk run, its French messages and exit codes, never a traceback.

Exit codes (:class:`orientation.erreurs.CodeSortie`, one table for every command, in the README):

* 0: complete run, outputs and manifest published;
* 2: invalid usage or input (options, flux file unreadable as a whole, output paths refused,
  existing outputs without ``--ecraser``);
* 3: an output could not be written (permissions, disk full, read-only folder; nothing published);
* 4: unexpected internal error (a defect of the program; nothing published);
* 130 / 143: interrupted by SIGINT / SIGTERM (nothing published; the manifest says ``interrompu``).

No message carries personal data: files, counts and causes only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Optional

from orientation.erreurs import CodeSortie, OrientationError
from orientation.flux.interruption import Interrompu, differer, signal_differe, signaux_interrompent
from orientation.flux.sorties import ErreurEcriture, cause_systeme, chemin_manifeste

OK, ENTREE_INVALIDE, ECRITURE_IMPOSSIBLE, ERREUR_INTERNE = (CodeSortie.succes, CodeSortie.entree_invalide,
                                                          CodeSortie.ecriture_impossible, CodeSortie.erreur_interne)


def _erreur(message: str) -> None:
    print(f"Erreur : {message}", file=sys.stderr, flush=True)


def executer_lot(flux: Path, departement: str, sortie: Path, explications: Optional[Path] = None,
                 rejets: Optional[Path] = None, regles: Optional[Path] = None,
                 modele: Path | None | bool = None, progression: bool = True, ecraser: bool = False,
                 encodage: str = "utf-8", apres_resume: Optional[Callable[[Any], Optional[str]]] = None,
                 **options: Any) -> int:
    """Run :func:`~orientation.flux.lot.traiter_fichier`, print the summary or a French error; the exit code.

    ``apres_resume(model)``: a warning printed after the summary (the CLI's drift check), or ``None``.
    """
    with signaux_interrompent():
        try:
            from orientation.flux.lot import traiter_fichier

            rapport = traiter_fichier(flux, departement, sortie, explications=explications, rejets=rejets,
                                      regles=regles, modele=modele, progression=progression, ecraser=ecraser,
                                      encodage=encodage, **options)
            differer()  # complete: a signal from now on must not turn it into an "interrupted" run
            print(rapport.resume(), flush=True)
            if apres_resume is not None and rapport.modele is not None:
                avertissement = apres_resume(rapport.modele)
                if avertissement:
                    print(avertissement, flush=True)
            recu = signal_differe()
            if recu is not None:
                print(f"(Signal {recu} reçu pendant la publication des sorties : le traitement était terminé, "
                      "les sorties sont complètes.)", file=sys.stderr, flush=True)
            return OK
        except Interrompu as exc:
            manifeste = chemin_manifeste(Path(sortie))
            print(f"Traitement interrompu ({exc.nom}) : aucune sortie n'a été publiée, les fichiers partiels "
                  "ont été supprimés" + (f" ; voir le manifeste {manifeste} (état « interrompu »)"
                                         if manifeste.exists() else "") + ".", file=sys.stderr, flush=True)
            return exc.code
        except ErreurEcriture as exc:
            _erreur(str(exc))
            return ECRITURE_IMPOSSIBLE
        except OrientationError as exc:
            _erreur(str(exc))
            return ENTREE_INVALIDE
        except OSError as exc:
            nom = exc.filename if getattr(exc, "filename", None) else None
            if nom is not None and Path(nom) == Path(flux):
                _erreur(f"lecture impossible du flux {flux} : {cause_systeme(exc)}. Aucune sortie n'a été publiée.")
                return ENTREE_INVALIDE
            _erreur(f"accès impossible à {nom or 'un fichier'} : {cause_systeme(exc)}. Aucune sortie n'a été publiée.")
            return ECRITURE_IMPOSSIBLE
        except MemoryError:
            _erreur("mémoire insuffisante pour ce traitement. Aucune sortie n'a été publiée.")
            return ERREUR_INTERNE
        except Exception as exc:  # a defect: a French message (its type, never its text: it may hold data)
            _erreur(f"erreur interne inattendue ({type(exc).__name__}) pendant le traitement de {flux}. "
                    "Aucune sortie n'a été publiée ; merci de signaler ce problème.")
            return ERREUR_INTERNE


__all__ = ["ECRITURE_IMPOSSIBLE", "ENTREE_INVALIDE", "ERREUR_INTERNE", "OK", "executer_lot"]
