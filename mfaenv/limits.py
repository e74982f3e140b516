"""How long a session may last: AWS's limits.

GetSessionToken gives an IAM user 15 minutes to 36 hours (12 hours by default) and the
root user at most an hour. AssumeRole takes 15 minutes to the role's maximum (at most 12
hours), but only an hour when the caller signs with session credentials ("role
chaining"), which is how ``role_mode = "chain"`` assumes roles. Pure: no AWS, no clock.
"""

from __future__ import annotations

from mfaenv.errors import MfaEnvError
from mfaenv.timefmt import HOUR, MINUTE, format_duration

USER_MIN_DURATION = 15 * MINUTE
USER_MAX_DURATION = 36 * HOUR
ROOT_MAX_DURATION = 1 * HOUR
DEFAULT_DURATION = 12 * HOUR

ROLE_MIN_DURATION = 15 * MINUTE
CHAIN_MAX_DURATION = 1 * HOUR
DEFAULT_ROLE_DURATION = 1 * HOUR
MAX_ROLE_DURATION = 12 * HOUR


def check_duration(seconds: int, *, root: bool = False) -> int:
    """Refuse an MFA session length that GetSessionToken would refuse, before calling it."""
    high = ROOT_MAX_DURATION if root else USER_MAX_DURATION
    who = "the root user" if root else "an IAM user"
    if not USER_MIN_DURATION <= seconds <= high:
        raise MfaEnvError(
            f"duration {format_duration(seconds)} is outside what AWS allows for {who}: "
            f"{format_duration(USER_MIN_DURATION)} to {format_duration(high)}"
        )
    return seconds
