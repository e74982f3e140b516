"""``mfa console``: the AWS web console, signed in with a role session (mfaenv.console)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.console import run as console
    from mfaenv.env import ShellState

    return console(args, ShellState.from_process(), clock)
