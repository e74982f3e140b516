"""``sh-renew``: started by the prompt hook in the background, near the session's end."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.renew import renew

    return renew(args.marker, args.report, args.margin, clock)
