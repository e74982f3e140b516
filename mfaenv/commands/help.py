"""``mfa help``: the help of every command (``mfa help VERB``: argparse shows the verb's)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.parser import print_help

    print_help()
    return 0
