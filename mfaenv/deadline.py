"""One deadline for every call to AWS, botocore's and the console federation endpoint's:
however slowly a server answers (a byte every few seconds resets a read timeout each
time), a call ends within ``call_deadline()`` seconds."""

from __future__ import annotations

import os
from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

CALL_DEADLINE = 15.0
DEADLINE_ENV = "MFAENV_AWS_DEADLINE"  # shorter, for tests; never longer


def call_deadline() -> float:
    """The deadline of one AWS call: CALL_DEADLINE, or less where MFAENV_AWS_DEADLINE says."""
    try:
        seconds = float(os.environ.get(DEADLINE_ENV, ""))
    except ValueError:
        return CALL_DEADLINE
    return seconds if 0 < seconds < CALL_DEADLINE else CALL_DEADLINE


class PastDeadline(BaseException):
    """Raised by the timer inside a call that ran too long. A BaseException, so no
    ``except Exception`` in botocore, urllib3 or urllib can swallow it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with ``PastDeadline``: a real-time timer
    (SIGALRM) in the main thread; the previous handler and timer are put back after."""
    import signal
    import threading
    import time

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield  # signals reach the main thread only; elsewhere the read timeouts still hold
        return

    def expire(signum: int, frame: object) -> None:
        raise PastDeadline

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3))
