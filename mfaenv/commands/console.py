"""``mfa console``: the AWS web console, signed in with a role session (mfaenv.console)."""

from __future__ import annotations

from mfaenv.commands import check_values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.console import Asked
    from mfaenv.console import run as console
    from mfaenv.env import ShellState

    check_values(args, ("profile", "role", "totp"))
    asked = Asked(
        profile=args.profile,
        role=args.role,
        totp=args.totp,
        duration=args.duration,
        page=args.destination,
        service=args.service,
        print_url=args.print_url,
        open_with=args.open_with,
    )
    return console(asked, ShellState.from_process(), clock)
