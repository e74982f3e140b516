"""Spending one MFA code: a fresh one, under the refresh lock, once.

AWS accepts a code once. The cache remembers the codes it accepted (salted digests), so
a code seen accepted is not sent again: typed, it is refused; from a TOTP source, the
next one is waited for. The same code typed in several terminals at once makes one
session, which the others share. Files are written only after AWS has accepted the code.
"""

from __future__ import annotations

from mfaenv.errors import MfaEnvError, warn
from mfaenv.files import UntrustedFile
from mfaenv.session import fingerprint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from mfaenv.cache import Cache
    from mfaenv.clock import Clock
    from mfaenv.context import LoginContext
    from mfaenv.device import Device
    from mfaenv.request import Request
    from mfaenv.session import Credentials, Session
    from mfaenv.totp import Source

# AWS accepts a code once; one seen accepted this recently is not sent again.
CODE_MEMORY = 120
USED = "that code was already used (each code works once; wait for the next one)"
# How many time steps a TOTP source may keep giving a spent code before we give up.
SOURCE_TRIES = 3
# Our clock and the server's may differ by this much before it is worth a word.
CLOCK_SLACK = 60


def spend_code(
    context: LoginContext,
    request: Request,
    source: Source | None,
    call: Callable[[Device, str, Credentials], Session],
    margin: int,
) -> tuple[Session, bool]:
    """Find the device, take one fresh code under the refresh lock, and make ``call``
    with it and the long-lived key (of the profile the gateway is pointed at). Also
    whether the session is the cached one of the request asked (another process made it
    while this one waited on the lock)."""
    from mfaenv.device import find_device, named_serial
    from mfaenv.reuse import cached_session

    cache, clock = context.cache, context.clock
    gateway = context.gateway()
    key, layout_serial = context.key()
    key_fingerprint = fingerprint(key.credentials.access_key_id)

    def identify() -> tuple[str, list[str]]:
        identity = gateway.caller_identity(key.credentials)
        return identity.arn, gateway.totp_devices(identity, key.credentials)

    configured = context.config.profile(request.profile).serial
    named = named_serial(request, context.request, gateway.setting, layout_serial, configured)
    device, discovered = find_device(request, named, cache, key_fingerprint, identify)
    # Before a code is spent, not after: the session of the profile asked for, and
    # the MFA session it is made from, must be able to be kept.
    asked = context.request.cache_name
    cache.check_writable(request.cache_name, asked)
    with cache.lock():
        if request.code is None:
            # Another process may have refreshed while we waited: do not spend a code.
            cached, _ = cached_session(cache, request, context.environ, margin)
            if cached is not None:
                return cached, request.cache_name == asked
        shared = shared_session(cache, request, device, key_fingerprint, margin)
        if shared is not None:
            return shared, request.cache_name == asked
        code = fresh_code(
            cache, clock, device, request.code, source, lambda: context.ask_code(device.serial)
        )
        session = call(device, code, key.credentials).replace(source=key_fingerprint)
        refuse_expired(session.expires, clock.now(), gateway.server_time)
        try:
            cache.remember_code(device.serial, code, int(clock.now()))
            cache.save_session(session, request.cache_name, context.config.follow)
            if discovered is not None:
                cache.remember_serial(key_fingerprint, discovered)
        except MfaEnvError as err:
            warn(f"{err}; the session is yours but is not cached for other shells")
    return session, False


def fresh_code(
    cache: Cache,
    clock: Clock,
    device: Device,
    typed: str | None,
    source: Source | None,
    ask: Callable[[], str | None],
) -> str:
    """A code AWS has not accepted yet: ``typed``, from the source, or asked for
    (``ask``: on the terminal or in a dialog, mfaenv.asking)."""

    def used(code: str) -> bool:
        since = clock.now() - CODE_MEMORY
        return cache.code_was_used(device.serial, code, since) is not None

    if typed is not None or source is None:
        code = typed if typed is not None else ask()
        if code is None:
            raise MfaEnvError("no MFA code: give one (mfa 123456) or set a TOTP source")
        if used(code):
            raise MfaEnvError(USED)
        return code
    from mfaenv.terminal import wait_for_next_step

    for _ in range(SOURCE_TRIES):
        code = source.read(clock.now())
        if not used(code):
            return code
        wait_for_next_step(source.period(), clock=clock)
    raise MfaEnvError(f"the TOTP source {source} keeps giving a code AWS already accepted")


def shared_session(
    cache: Cache, request: Request, device: Device, key_fingerprint: str, margin: int
) -> Session | None:
    """The same code typed in several terminals at once: the first spends it, and the
    others, having waited on the lock, get the session it made (not "already used").
    That is the cached session when AWS accepted this very code moments ago and the
    session was written since, for the same device and long-lived key."""
    if request.code is None:
        return None
    since = cache.clock.now() - CODE_MEMORY
    accepted = cache.code_was_used(device.serial, request.code, since)
    last = cache.last_code_at(device.serial)
    if accepted is None or (last is not None and last > accepted):
        return None  # a later code made the cached session, not this one
    try:
        session = cache.reusable_session(request.cache_name, margin)
    except UntrustedFile:
        return None
    made = cache.session_made(request.cache_name)
    if (
        session is None
        or made is None
        or made < accepted
        or session.serial != device.serial
        or session.source != key_fingerprint
    ):
        return None
    if request.duration is not None and request.duration != session.duration:
        from mfaenv.timefmt import format_duration

        length = f"the {format_duration(session.duration)} " if session.duration else "a "
        raise MfaEnvError(
            f"that code was already used, for {length}session of profile "
            f"{request.profile!r} (each code works once); wait for the next code to get "
            f"{format_duration(request.duration)}"
        )
    return session


def refuse_expired(expires: int, now: float, server_time: float | None) -> None:
    """Refuse credentials that are over already. Where the server's clock (its Date)
    says they are not, ours is wrong: say by how much."""
    if expires > now:
        return
    from mfaenv.timefmt import format_duration, to_rfc3339

    ended = to_rfc3339(max(expires, 0)) if expires < 253402300800 else "?"
    if server_time is not None and expires > server_time and now - server_time > CLOCK_SLACK:
        raise MfaEnvError(
            f"this computer's clock is {format_duration(round((now - server_time) / 60) * 60)} "
            f"ahead of AWS's, so the new session (until {ended}) would count as expired; "
            "set the clock right (timedatectl set-ntp true) and try again"
        )
    raise MfaEnvError(
        f"STS answered with credentials that had already expired (at {ended}); check "
        "AWS_ENDPOINT_URL and this computer's clock"
    )
