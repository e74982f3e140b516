"""When a cached session is handed out, and when a new one is due: the policy.

``judge`` decides from what it is handed (the cached session, the request, the key in
the caller's environment, the time and the margin), so each case is a line of a table;
``cached_session`` hands it what the cache holds. The margin is the caller's: a shell
takes the session until REUSE_MARGIN before its end, credential_process and the
credential server renew at RENEW_MARGIN when a code can be had without asking
(``sdk_margin``). The hot paths import this: it imports nothing heavy.
"""

from __future__ import annotations

from mfaenv.cache import REUSE_MARGIN
from mfaenv.errors import debug
from mfaenv.files import UntrustedFile
from mfaenv.session import fingerprint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.cache import Cache
    from mfaenv.request import Request
    from mfaenv.session import Session

# credential_process renews this long before the end when a TOTP source gives a code:
# SDKs refresh 15 and then 10 minutes before expiry, and call again until they get later.
RENEW_MARGIN = 15 * 60
# SDKs refresh credentials 15 minutes before their end (10 at the latest): a session
# shorter than this makes them call credential_process again before every request.
SHORT_FOR_SDKS = 30 * 60


def judge(
    request: Request,
    cached: Session | None,
    *,
    now: float,
    margin: int,
    environ_key: str | None,
) -> tuple[Session | None, str | None]:
    """The cached session if it serves ``request``, else None and the reason why not.

    ``cached``: the session cached under the request's name (None: none);
    ``environ_key``: the AWS_ACCESS_KEY_ID of the caller's environment."""
    profile = request.profile
    if cached is None or cached.expires - now <= margin:
        return None, ended(request, cached, now=now, margin=margin) or (
            f"no cached MFA session for profile {profile!r}; run `mfa CODE` with a code "
            "from your MFA device, or set a TOTP source (totp in the mfaenv config, or --totp)"
        )
    if not request.explicit_profile and environ_key and cached.source != fingerprint(environ_key):
        return None, (
            f"the cached session of profile {profile!r} was made from another access key "
            "than the one in your environment; run `mfa CODE` for a new session"
        )
    if request.duration is not None and request.duration != cached.duration:
        from mfaenv.timefmt import format_duration

        asked = format_duration(request.duration)
        made = f"for {format_duration(cached.duration)}" if cached.duration else "earlier"
        return None, (
            f"the cached session of profile {profile!r} was made {made}, not for the "
            f"{asked} asked; run `mfa CODE --duration {asked}` for a new session"
        )
    return cached, None


def ended(request: Request, cached: Session | None, *, now: float, margin: int) -> str | None:
    """What to say when the cached session has come to its end (or within ``margin`` of
    it); None when there is none, or it has not."""
    if cached is None or cached.expires - now > margin:
        return None
    left = cached.expires - now
    if left > 0:  # within the margin: too near its end to hand out
        from mfaenv.timefmt import format_remaining

        state = f"has ended ({format_remaining(int(left))} left, too close to its end to use)"
    else:
        state = "has ended"
    return (
        f"the MFA session of profile {request.profile!r} {state}: run "
        f"`mfa CODE --profile {request.profile}` with a code from your MFA device"
    )


def sdk_margin(*, can_renew: bool, can_ask: bool) -> int:
    """How near its end credential_process still hands out the cached session: renewed
    at RENEW_MARGIN when a TOTP source gives a code; else at REUSE_MARGIN when a code can
    be asked for; else to its very end (the SDK is told the true expiry)."""
    if can_renew:
        return RENEW_MARGIN
    return REUSE_MARGIN if can_ask else 0


def warns_short(duration: int | None, *, serving_sdk: bool) -> bool:
    """Whether a new session of ``duration`` deserves the warning that SDKs would run
    credential_process before every request; not when it is for one (credential_process
    says it itself, of the session it hands out)."""
    return not serving_sdk and duration is not None and duration < SHORT_FOR_SDKS


def cached_session(
    cache: Cache, request: Request, environ: Mapping[str, str], margin: int = REUSE_MARGIN
) -> tuple[Session | None, str | None]:
    """``judge`` of what the cache holds for ``request``; a cache file that cannot be
    trusted is no session."""
    try:
        cached = cache.load_session(request.cache_name)
    except UntrustedFile as err:
        return None, f"{err}; not using it: run `mfa CODE` for a new session"
    now = cache.clock.now()
    if cached is not None and cached.expires - now <= margin:
        debug(f"cached session of {request.cache_name} ends within {margin // 60} minutes")
    return judge(
        request, cached, now=now, margin=margin, environ_key=environ.get("AWS_ACCESS_KEY_ID")
    )


def ended_session(cache: Cache, request: Request, margin: int) -> str | None:
    """``ended`` of what the cache holds for ``request``."""
    try:
        cached = cache.load_session(request.cache_name)
    except UntrustedFile:
        return None
    return ended(request, cached, now=cache.clock.now(), margin=margin)


def cached_without_role(cache: Cache, request: Request) -> bool:
    """Whether ``request`` names no role and its cached session is a plain MFA session:
    then the AWS files (and botocore) need not be opened to learn there is no role."""
    if request.role is not None:
        return False
    try:
        cached = cache.load_session(request.cache_name)
    except UntrustedFile:
        return False
    return cached is not None and cached.role_arn is None
