"""``sh-follow``: the prompt hook saw the session's marker change; the newer session."""

from __future__ import annotations

from mfaenv.commands import emit
from mfaenv.env import ShellState
from mfaenv.errors import warn
from mfaenv.shells import get_shell
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    """The newer session, or nothing to eval."""
    from mfaenv.follow import follow_change

    shell = get_shell(str(args.shell))
    change = follow_change(ShellState.from_process(), args.marker, args.held, clock)
    if change is None:
        return 0
    emit(shell.render(change))
    left = format_remaining(remaining(int(change.env["MFAENV_EXPIRES"] or 0), clock.now()))
    profile = change.env["MFAENV_PROFILE"]
    warn(f"this shell now holds the newer MFA session of profile {profile!r}, {left} left")
    return 0
