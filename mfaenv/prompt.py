"""The prompt segment's text, as the shell integrations compute it without Python.

``mfaenv prompt`` prints it for places that run a command anyway (tmux status lines,
``$(...)`` prompts); the tests hold the shells' fork-free versions to this one.
"""

from __future__ import annotations

from mfaenv.env import Held
from mfaenv.printable import printable
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_FORMAT = "aws:%p%r %t"


def segment(environ: Mapping[str, str], now: float) -> str:
    """``aws:dev 11h42m`` (``aws:prod:Admin@123456789012 52m`` for a role) while the
    environment holds an MFA session, else ``""``."""
    held = Held(environ)
    if held.expires is None:
        return ""
    left = format_remaining(remaining(held.expires, now))
    role = printable(held.role_label)
    text = environ.get("MFAENV_PROMPT_FORMAT", DEFAULT_FORMAT).replace("%t", left)
    text = text.replace("%r", f":{role}" if role else "")
    return text.replace("%p", printable(held.profile))
