"""The user's terminal, for what must never reach stdout (which the shell evaluates) or a
log: asking for a code, showing a secret once, and the countdown to the next TOTP step.
"""

from __future__ import annotations

import os
import sys

from mfaenv.clock import SYSTEM, Clock


def terminal_available() -> bool:
    """Whether something can be asked: a terminal, and MFAENV_NO_PROMPT not set."""
    if os.environ.get("MFAENV_NO_PROMPT") == "1":
        return False
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def talk_to_terminal(text: str, *, answer: bool = False) -> str | None:
    """Show ``text`` on the terminal and, with ``answer``, read a line; None: no terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    with open(fd, "r+b", buffering=0) as tty:
        tty.write(text.encode())
        return tty.readline().decode("utf-8", "replace") if answer else ""


def ask_code(serial: str, what: str = "MFA code", profile: str | None = None) -> str | None:
    """Ask for a code on the terminal, naming the profile and the device it is for; None
    when there is no terminal (or MFAENV_NO_PROMPT=1)."""
    from mfaenv.totp import check_code

    if os.environ.get("MFAENV_NO_PROMPT") == "1":
        return None
    from mfaenv.printable import printable

    whose = f"profile {printable(profile)!r}, device " if profile is not None else ""
    line = talk_to_terminal(f"mfaenv: {what} for {whose}{printable(serial)}: ", answer=True)
    if line is None:
        return None
    if not line:
        from mfaenv.errors import MfaEnvError

        raise MfaEnvError("no code was typed")
    return check_code(line.strip())


def wait_for_next_step(
    period: int, why: str = "that code was used already", clock: Clock = SYSTEM
) -> None:
    """Wait out the current time step, with a one-line countdown on stderr."""
    now = clock.now()
    deadline = now + period - now % period
    if not sys.stderr.isatty():
        left = deadline - clock.now()
        sys.stderr.write(f"mfaenv: {why}; waiting {left:.0f}s for the next code\n")
        clock.sleep(max(left, 0))
        return
    while (left := deadline - clock.now()) > 0:
        sys.stderr.write(f"\rmfaenv: {why}; next code in {left:2.0f}s ")
        sys.stderr.flush()
        clock.sleep(min(left, 1.0))
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()
