"""``mfaenv rotate-key``: a new access key, proven, then the old one deleted."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.env import SESSION, ShellState
    from mfaenv.profilefollow import acted_on_profile
    from mfaenv.request import Request
    from mfaenv.rotate import rotate_key

    state = ShellState.from_process()
    profile, explicit = acted_on_profile(args.profile, state)
    rotate_key(Request(profile=profile, explicit_profile=explicit), state.without(SESSION), clock)
    return 0
