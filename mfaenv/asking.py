"""How a code nobody gave and no TOTP source gives is asked for: on the terminal, in the
desktop's dialog (mfaenv.dialog), or not at all.

``MFAENV_PROMPT``, else ``prompt`` in the mfaenv config (of the profile, else for all),
chooses: ``terminal``, ``dialog`` or ``none``. Unset: the terminal when there is one,
else a dialog when a desktop is there, else none. A choice that cannot be had here (a
dialog with no desktop) is none. ``MFAENV_NO_PROMPT=1`` is none whatever they say:
background renewal sets it, and so do the tests.
"""

from __future__ import annotations

import os

from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError, debug

TERMINAL = "terminal"
DIALOG = "dialog"
NONE = "none"
PROMPTS = (TERMINAL, DIALOG, NONE)
PROMPT_ENV = "MFAENV_PROMPT"


def choose(setting: str | None) -> str | None:
    """How to ask here (TERMINAL or DIALOG), or None; ``setting``: the config's prompt."""
    environ = os.environ
    if environ.get("MFAENV_NO_PROMPT") == "1":
        return None
    wanted = environ.get(PROMPT_ENV, "").strip() or setting
    if wanted is not None and wanted not in PROMPTS:
        raise MfaEnvError(f"{PROMPT_ENV} is {wanted!r}; use terminal, dialog or none", exit_code=2)
    if wanted == NONE:
        return None
    from mfaenv.terminal import terminal_available

    if wanted in (None, TERMINAL) and terminal_available():
        return TERMINAL
    if wanted in (None, DIALOG):
        from mfaenv.dialog import find_tool

        if find_tool(environ) is not None:
            return DIALOG
    debug(f"no {wanted or 'terminal or desktop dialog'} to ask for a code here")
    return None


def ask_code(how: str | None, profile: str, serial: str, clock: Clock = SYSTEM) -> str | None:
    """A code asked for the way ``choose`` chose; None when there is no way to ask."""
    if how == DIALOG:
        from mfaenv.dialog import ask_code as in_dialog

        return in_dialog(profile, serial, clock=clock)
    if how == TERMINAL:
        from mfaenv.terminal import ask_code as on_terminal

        return on_terminal(serial, profile=profile)
    return None
