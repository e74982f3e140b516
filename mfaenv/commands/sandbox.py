"""``mfa sandbox start|stop`` (``sh-sandbox``): a local STS/IAM, in this shell."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv import sandbox
    from mfaenv.commands import emit
    from mfaenv.env import ShellState
    from mfaenv.shells import get_shell

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    change = sandbox.start(state) if args.action == "start" else sandbox.stop(state)
    emit(shell.render(change))
    return 0
