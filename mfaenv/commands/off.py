"""``mfa off`` (``sh-off``): back to the keys this shell had before the session."""

from __future__ import annotations

from mfaenv.commands import emit
from mfaenv.env import (
    FOLLOW_GENERATION_VAR,
    FOLLOW_MARKER_VAR,
    SEEN_VAR,
    SESSION,
    Change,
    ShellState,
)
from mfaenv.errors import MfaEnvError, warn
from mfaenv.shells import get_shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.profilefollow import held_from_process, reckoned

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    if not state.active(SESSION):
        raise MfaEnvError("no MFA session in this shell; nothing to undo")
    # AWS_PROFILE as the shell's tools have it now: a folder direnv has left since does not
    # get its value back (mfaenv.profilefollow).
    state = reckoned(state, held_from_process())
    change, known = state.remove(SESSION)
    stop = Change(shell_vars={FOLLOW_MARKER_VAR: None, FOLLOW_GENERATION_VAR: None, SEEN_VAR: None})
    emit(shell.render(change.then(stop)))
    if not known:
        warn(
            "this shell inherited its MFA session, so the keys it replaced are unknown here; "
            "the session variables are unset"
        )
    else:
        warn(_said(state.environ, change))
    return 0


def _said(environ: Mapping[str, str], change: Change) -> str:
    """What ``mfa off`` did, in one line: what it put back, and how much it unset."""
    restored = [name for name, value in change.env.items() if value is not None]
    unset = [name for name, value in change.env.items() if value is None and name in environ]
    ended = f"ended the MFA session for profile {environ.get(SESSION.marker, '')!r}"
    if not restored:
        return f"{ended}: unset its {len(unset)} variables; no keys were set before it"
    return f"{ended}: restored {', '.join(restored)}; unset {len(unset)} session variables"
