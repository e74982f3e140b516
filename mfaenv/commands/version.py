"""``mfa version``."""

from __future__ import annotations

from mfaenv import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    print(f"mfaenv {__version__}")
    return 0
