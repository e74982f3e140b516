"""``mfaenv unsave NAME``: remove a session saved with --save-as."""

from __future__ import annotations

from mfaenv.errors import warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.cache import Cache
    from mfaenv.saveas import unsave

    path = unsave(str(args.name), Cache(clock=clock).root, clock)
    warn(f"removed the session profile [{args.name}] from {path}")
    return 0
