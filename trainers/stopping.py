"""Stopping a run at a safe point when a signal asks (SIGTERM: a cluster's preemption, ``kill``).

:class:`SafeStop` replaces SIGTERM's handler while a trainer runs: the first SIGTERM only records
the request; the trainer looks at :attr:`SafeStop.requested` between iterations, saves a checkpoint
of the iteration it finished and raises :class:`StopRequested`, which ``clue`` reports in one line
with exit status 128 + the signal's number (143), so ``--resume`` continues exactly there. A second
SIGTERM while it gets there stops at once (the last checkpoint stays the one to resume from).
"""

from __future__ import annotations

import signal
import threading


class StopRequested(KeyboardInterrupt):
    """A run stopped at a safe point because signal ``signum`` asked it to; the message says where."""

    def __init__(self, signum: int, message: str):
        super().__init__(message)
        self.signum = signum


class SafeStop:
    """``with SafeStop() as stop:`` ... ``if stop.requested is not None:`` save and stop.

    Outside the main thread (signals go to it only) it records nothing and changes nothing."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM,)):
        self.signals = signals
        self.requested: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.requested is not None:
            raise StopRequested(signum, f"a second {signal.Signals(signum).name}: stopped at once")
        self.requested = signum

    def __enter__(self) -> SafeStop:
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._handle) for s in self.signals}
        return self

    def __exit__(self, *exc: object) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        self._previous = {}
