"""Tasks of a bulk run made by a dedicated forked process, ahead of the deciding workers.

Making the tasks of a CAF XML flux is the costly part of reading it: the file is parsed once, in
order (:func:`orientation.flux.lecture_xml.blocs_xml`: one parser, rows numbered as they come).
Done by the process that also hands tasks to the workers and writes the outputs, it left the
workers waiting (2 cores: the CPU time of a run equalled its wall time).  :class:`LecteurDedie`
runs the same task generator, unchanged, in a process of its own: both cores work, one parsing,
the other deciding, and the results do not change (same generator, same order).

The reader sends each task, pickled, through a pipe: it blocks while the parent has not taken
the previous one, so that at most one task waits beyond those in flight (memory bounded by the
block size and the tasks in flight, as before).  Its last message is the value of ``fin()``
computed in the reader (the SHA-256 of the bytes it read), or the refusal of the file
(:class:`~orientation.flux.bloc.FluxInvalide`, e.g. malformed XML in the middle: raised in the
parent where the iteration reaches it, so nothing is published), or another exception.

The reader ignores SIGINT, dies on SIGTERM and with its parent
(:func:`~orientation.flux.interruption.initialiser_travailleur`); :meth:`LecteurDedie.fermer`
stops it whatever happened (interruption, error, early end).  While waiting, the parent calls
:func:`~orientation.flux.interruption.verifier` so that a noted signal stops the run.
"""

from __future__ import annotations

import gc
import os
import pickle
from typing import Any, Callable, Iterable, Iterator, Optional

from orientation.erreurs import OrientationError
from orientation.flux.bloc import FluxInvalide
from orientation.flux.interruption import initialiser_travailleur, verifier

_TACHE, _FIN, _REFUS, _ERREUR = 0, 1, 2, 3


def _lire(taches: Iterable[Any], fin: Callable[[], Any], sortie: Any, parent: int) -> None:
    """Reader process: send every task, then the end (or why the tasks stopped); never a traceback."""
    try:
        initialiser_travailleur(parent)
        gc.freeze()  # what the parent held at the fork (rules, model...) is never scanned by the collector here
        for tache in taches:
            sortie.send_bytes(pickle.dumps((_TACHE, tache), pickle.HIGHEST_PROTOCOL))
        message: tuple[int, Any] = (_FIN, fin())
    except FluxInvalide as exc:
        message = (_REFUS, str(exc))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        message = (_ERREUR, exc)
    try:
        try:
            donnees = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
            pickle.loads(donnees)  # an exception must also be rebuilt in the parent
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its type and text
            donnees = pickle.dumps((_ERREUR, OrientationError(f"{type(message[1]).__name__} : {message[1]}")))
        sortie.send_bytes(donnees)
        sortie.close()
    except BaseException:  # noqa: BLE001 - the parent is gone or stopped reading: nothing to say
        pass
    os._exit(0)  # no atexit handlers, no flush of what the parent's buffers held at the fork


class LecteurDedie:
    """Iterate over ``taches`` made by a forked process (``fin``: computed there at the end, see :attr:`fin`).

    Use it once, then :meth:`fermer` (also after an exception).  Only where the ``fork`` start
    method exists (the generator and what it holds are not pickled, the child runs them).
    """

    def __init__(self, taches: Iterable[Any], fin: Callable[[], Any] = lambda: None, nom: str = ""):
        import multiprocessing

        self.nom = nom
        #: value of ``fin()`` in the reader once every task was received (None before)
        self.fin: Any = None
        ctx = multiprocessing.get_context("fork")
        self._entree, sortie = ctx.Pipe(duplex=False)
        self._processus = ctx.Process(target=_lire, args=(taches, fin, sortie, os.getpid()), daemon=True,
                                      name="orientation-lecteur")
        self._processus.start()
        sortie.close()  # the parent's copy: the reader's end of file is seen when it exits

    def __iter__(self) -> Iterator[Any]:
        while True:
            while not self._entree.poll(0.05):
                verifier()
            try:
                genre, valeur = pickle.loads(self._entree.recv_bytes())
            except (EOFError, OSError):
                self._processus.join(30)  # its end of the pipe is closed: it is exiting
                raise OrientationError(f"le processus de lecture du fichier {self.nom} s'est arrêté avant la fin "
                                       f"(code {self._processus.exitcode}) ; aucune sortie n'a été publiée.") from None
            if genre == _TACHE:
                yield valeur
            elif genre == _FIN:
                self.fin = valeur
                return
            elif genre == _REFUS:
                raise FluxInvalide(valeur)
            else:
                raise valeur

    def fermer(self) -> None:
        """Stop the reader (if still running) and wait for it."""
        p: Optional[Any] = self._processus
        if p is None:
            return
        self._processus = None  # type: ignore[assignment]
        if p.is_alive():
            p.terminate()
        p.join()
        self._entree.close()


__all__ = ["LecteurDedie"]
