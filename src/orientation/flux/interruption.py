"""Interruption of a bulk run by SIGINT (Ctrl-C) or SIGTERM: a clean stop, never a Python traceback.

:func:`signaux_interrompent` makes both signals raise :class:`Interrompu` in the main process
(once: a second signal during the cleanup is only noted); the run then removes its temporary parts
and the command exits with ``128 + signal`` (130, 143).  :func:`sans_interruption` defers them
while the finished outputs are renamed into place (a few milliseconds): the run then completes.
Workers ignore SIGINT (the terminal sends it to the whole process group; the parent stops them),
die on SIGTERM (sent by the parent's pool when it stops) and, on Linux, when their parent dies
(``PR_SET_PDEATHSIG``), so that a killed run leaves no orphan worker.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

NOMS = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


class Interrompu(BaseException):
    """The run was stopped by a signal (not an error of the data: a BaseException, like KeyboardInterrupt)."""

    def __init__(self, numero: int):
        self.numero = int(numero)
        super().__init__(NOMS.get(signal.Signals(self.numero), str(self.numero)))

    @property
    def code(self) -> int:
        """Exit code of the command (shell convention: 128 + signal number)."""
        return 128 + self.numero

    @property
    def nom(self) -> str:
        return NOMS.get(signal.Signals(self.numero), f"signal {self.numero}")


class _Etat:
    recu: Optional[int] = None  # first signal received
    #: "lever": raise at once; "noter": raise at the next :func:`verifier` (code holding the worker
    #: pool's locks must not be interrupted anywhere); "differe": the run completes anyway
    mode = "lever"


def _gestionnaire(numero: int, _frame: Any) -> None:
    if _Etat.recu is not None:
        return  # already stopping: the cleanup must not be interrupted
    _Etat.recu = numero
    if _Etat.mode == "lever":
        raise Interrompu(numero)


def verifier() -> None:
    """Raise :class:`Interrompu` if a signal was noted (a safe point of the run)."""
    if _Etat.recu is not None and _Etat.mode != "differe":
        raise Interrompu(_Etat.recu)


@contextmanager
def aux_points_surs() -> Iterator[None]:
    """Inside, a signal is only noted and raised by :func:`verifier` (called between blocks)."""
    avant = _Etat.mode
    _Etat.mode = "noter"
    try:
        verifier()
        yield
    finally:
        _Etat.mode = avant


@contextmanager
def signaux_interrompent() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrompu` (main thread only; elsewhere, a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    anciens = {s: signal.getsignal(s) for s in NOMS}
    _Etat.recu, _Etat.mode = None, "lever"
    for s in NOMS:
        signal.signal(s, _gestionnaire)
    try:
        yield
    finally:
        for s, h in anciens.items():
            signal.signal(s, h)
        _Etat.recu, _Etat.mode = None, "lever"


@contextmanager
def sans_interruption() -> Iterator[None]:
    """Defer SIGINT/SIGTERM: a signal received inside is noted, the block completes."""
    if _Etat.recu is not None:  # received just before: stop now rather than publish
        raise Interrompu(_Etat.recu)
    avant = _Etat.mode
    _Etat.mode = "differe"
    try:
        yield
    finally:
        _Etat.mode = avant


def differer() -> None:
    """From now on (the run is complete), signals are only noted until :func:`signaux_interrompent` ends."""
    _Etat.mode = "differe"


def signal_differe() -> Optional[int]:
    """Signal received while deferred (the run completed anyway), or None."""
    return _Etat.recu


def initialiser_travailleur(parent: int) -> None:
    """Pool initializer of forked workers: ignore SIGINT, die on SIGTERM and with the parent (Linux)."""
    import os

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


__all__ = ["Interrompu", "aux_points_surs", "differer", "verifier", "initialiser_travailleur", "sans_interruption", "signal_differe", "signaux_interrompent"]
