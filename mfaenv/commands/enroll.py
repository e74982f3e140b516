"""``mfaenv enroll``: create and enable a virtual MFA device for the key's user."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.enroll import enroll
    from mfaenv.env import SESSION, ShellState
    from mfaenv.profilefollow import acted_on_profile
    from mfaenv.request import Request
    from mfaenv.totp import Source

    state = ShellState.from_process()
    profile, explicit = acted_on_profile(args.profile, state)
    enroll(
        Request(profile=profile, explicit_profile=explicit),
        state.without(SESSION),
        name=args.name,
        store=Source.parse(args.store) if args.store else None,
        force=args.force,
        clock=clock,
    )
    return 0
