"""The one error type: raised where a problem is known, printed once by ``cli.main``."""

from __future__ import annotations

import os
import sys

from mfaenv.printable import one_line


class MfaEnvError(Exception):
    """A problem the user can act on; ``str(err)`` is the one line they will see."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


PREFIX = "mfaenv: "


def warn(message: str) -> None:
    """One line for the user on stderr (stdout is for shell code only)."""
    sys.stderr.write(PREFIX + one_line(message) + "\n")


def debug(message: str) -> None:
    """Shown only with MFAENV_DEBUG=1."""
    if os.environ.get("MFAENV_DEBUG") == "1":
        warn("debug: " + message)
