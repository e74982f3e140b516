"""``mfa status``: this shell's session (``--all``, ``--profile``: the cached ones,
mfaenv.overview, which this path never imports)."""

from __future__ import annotations

from mfaenv.env import Held
from mfaenv.errors import MfaEnvError, warn
from mfaenv.timefmt import remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    import os

    if args.all or args.profile is not None:
        from mfaenv.overview import overview

        return overview(args.profile, as_json=bool(args.json), clock=clock)
    held = Held.read(os.environ)
    if held is None:
        if args.json:
            import json

            print(json.dumps({"active": False}, indent=2))
        else:
            warn("no MFA session in this shell")
        return 1
    if held.expires is None:
        raise MfaEnvError("MFAENV_EXPIRES is not a number; run `mfa off`")
    left = remaining(held.expires, clock.now())
    if args.json:
        import json

        document = {
            "active": True,
            "profile": held.profile,
            "arn": held.arn,
            "serial": held.serial,
            "role": held.role_arn,
            "access_key_id": held.key,
            "expiration": held.expiration,
            "expires_epoch": held.expires,
            "remaining_seconds": max(left, 0),
            "expired": left <= 0,
        }
        print(json.dumps(document, indent=2))
    else:
        from mfaenv.card import card

        role = (held.role_arn, held.role_label) if held.role_arn else None
        print(card(held.profile, held.arn, held.serial, role, held.key, held.expires, clock.now()))
    if os.environ.get("MFAENV_SANDBOX"):
        from mfaenv.sandbox import gone

        problem = gone(os.environ)
        if problem is not None:  # a session of a server that is gone is worth nothing
            warn(f"this session cannot be used: {problem}")
            return 1
    return 0 if left > 0 else 1
