"""The kinds of session and how each is made: GetSessionToken (``MFA``), or a role
assumed by AssumeRole chained from the MFA session (``CHAIN``) or signed by the
long-lived key with a code (``DIRECT``); ``role_mode = "auto"`` picks one of the two by
the length asked. The one rule that picks a session's length, within AWS's limits
(``limits``). Pure: no AWS, no clock.
"""

from __future__ import annotations

from mfaenv.errors import MfaEnvError
from mfaenv.limits import (
    CHAIN_MAX_DURATION,
    DEFAULT_DURATION,
    DEFAULT_ROLE_DURATION,
    MAX_ROLE_DURATION,
    ROLE_MIN_DURATION,
    ROOT_MAX_DURATION,
    check_duration,
)
from mfaenv.timefmt import format_duration

# Kinds of session.
MFA = "mfa"  # GetSessionToken
CHAIN = "chain"  # AssumeRole signed by the MFA session
DIRECT = "direct"  # AssumeRole with the long-lived key and a code
AUTO = "auto"  # CHAIN while the length fits CHAIN_MAX_DURATION, else DIRECT
ROLE_MODES = (CHAIN, DIRECT, AUTO)


def session_length(
    kind: str,
    *,
    profile: str,
    asked: int | None = None,
    configured: int | None = None,
    aws_setting: int | None = None,
    root: bool = False,
) -> tuple[int, str | None]:
    """The length of a new session, and a note for the user when a setting was cut short.

    ``asked`` is ``--duration``; ``configured`` the mfaenv config's ``duration``;
    ``aws_setting`` a role profile's ``duration_seconds``, which the AWS CLI uses for
    direct AssumeRole. The first one given wins. MfaEnvError if AWS would refuse it.
    """
    chosen = asked or configured or aws_setting
    if kind == MFA:
        default = ROOT_MAX_DURATION if root else DEFAULT_DURATION
        return check_duration(chosen or default, root=root), None
    if kind == DIRECT:
        duration = chosen or DEFAULT_ROLE_DURATION
        if not ROLE_MIN_DURATION <= duration <= MAX_ROLE_DURATION:
            raise MfaEnvError(f"AssumeRole takes 15m to 12h, not {format_duration(duration)}")
        return duration, None
    duration = chosen or CHAIN_MAX_DURATION
    if duration > CHAIN_MAX_DURATION and not (asked or configured):
        return CHAIN_MAX_DURATION, (
            f"duration_seconds of {profile!r} is {format_duration(duration)}, but a role "
            "assumed from an MFA session lasts at most 1h: using 1h "
            '(role_mode = "direct" in the mfaenv config honours it)'
        )
    if duration > CHAIN_MAX_DURATION:
        raise MfaEnvError(
            f"a role assumed from an MFA session lasts at most 1h (an AWS limit), not "
            f'{format_duration(duration)}; ask for less, or set role_mode = "direct" '
            f"for profile {profile!r} in the mfaenv config"
        )
    if duration < ROLE_MIN_DURATION:
        raise MfaEnvError(f"AssumeRole takes 15m to 1h here, not {format_duration(duration)}")
    return duration, None


def auto_mode(
    *, asked: int | None, configured: int | None, aws_setting: int | None
) -> tuple[str, str]:
    """The mode ``role_mode = "auto"`` takes for a role session (the lengths as
    ``session_length`` takes them), and the note that says which and why."""
    chosen = asked or configured or aws_setting
    if chosen is None or chosen <= CHAIN_MAX_DURATION:
        length = format_duration(chosen or CHAIN_MAX_DURATION)
        return CHAIN, (
            f"role_mode auto: chained from the MFA session ({length} fits the 1h "
            "limit of a role assumed that way)"
        )
    return DIRECT, (
        f"role_mode auto: assumed directly with the long-lived key and a code "
        f"({format_duration(chosen)} is more than the 1h a chained role may last)"
    )
