"""``mfaenv policy``: the IAM policy that makes keys need MFA."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    import json

    from mfaenv.limits import check_duration
    from mfaenv.policy import build
    from mfaenv.timefmt import parse_duration

    max_age = check_duration(parse_duration(args.max_age)) if args.max_age else None
    print(json.dumps(build(args.style, max_age), indent=2))
    return 0
