"""Making a new session once the cache cannot serve: the MFA session (GetSessionToken),
and a role session on top (AssumeRole), chained from the MFA session or direct.

A role is assumed as its role_mode says: "chain" (the default) signs AssumeRole with the
source profile's MFA session, which needs no code while that session lives; "direct"
signs it with the long-lived key and a code; "auto" chains while the length fits the
chaining limit. A new session is also written where it is saved as a profile (saveas).
"""

from __future__ import annotations

from mfaenv.errors import MfaEnvError, warn
from mfaenv.request import Request
from mfaenv.reuse import cached_session, cached_without_role, warns_short
from mfaenv.session import Session
from mfaenv.spend import refuse_expired, spend_code

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.awsprofile import RoleSpec
    from mfaenv.cache import Cache
    from mfaenv.clock import Clock
    from mfaenv.context import LoginContext
    from mfaenv.device import Device
    from mfaenv.session import Credentials
    from mfaenv.totp import Source


def mfa_session(
    context: LoginContext, request: Request, source: Source | None, reason: str | None, margin: int
) -> tuple[Session, bool]:
    """A new MFA session, unless no code can be had: then ``reason`` (why the cache
    could not serve) is the answer. Also whether it is the cached session after all
    (``spend_code``)."""
    if reason is not None and source is None and context.prompt() is None:
        raise MfaEnvError(reason)
    return new_session(context, request, source, margin)


def new_session(
    context: LoginContext, request: Request, source: Source | None, margin: int
) -> tuple[Session, bool]:
    """A GetSessionToken session: the MFA session itself."""
    from mfaenv.context import exported_profile
    from mfaenv.rolemodes import MFA, session_length

    gateway = context.use_key_profile(request.profile, request.explicit_profile)
    aws_profile, region = exported_profile(gateway)
    config = context.config
    configured = config.profile(request.profile).duration or config.duration
    warn_short(context, request.profile, request.duration or configured)

    def call(device: Device, code: str, key: Credentials) -> Session:
        duration, _ = session_length(
            MFA,
            profile=request.profile,
            asked=request.duration,
            configured=configured,
            root=device.root,
        )
        credentials, expires = gateway.session_token(key, device.serial, code, duration)
        return Session(
            request.profile,
            credentials,
            expires,
            device.serial,
            device.arn,
            aws_profile=aws_profile,
            region=region,
            duration=duration if request.duration is None else request.duration,
        )

    return spend_code(context, request, source, call, margin)


def warn_short(context: LoginContext, profile: str, duration: int | None) -> None:
    """Warn when a session too short for SDKs is asked for a profile some
    ``credential_process`` gets from mfaenv: they would run it before every request."""
    if not warns_short(duration, serving_sdk=context.serving_sdk):
        return
    from mfaenv.layouts import asking_profiles
    from mfaenv.timefmt import format_duration

    users = asking_profiles(profile)
    if users and duration is not None:
        warn(
            f"a session of {format_duration(duration)} is shorter than 30 minutes: SDKs "
            f"using profile {users[0]!r} (credential_process) would run mfaenv before "
            "every request; ask for at least 30m (--duration, duration in the config)"
        )


def role_mode(
    mode: str | None, *, asked: int | None, configured: int | None, aws_setting: int | None
) -> tuple[str, str | None]:
    """How a role is assumed, CHAIN or DIRECT, for the role_mode ``mode`` of its profile
    (None: the default) and the lengths ``limits.session_length`` takes; for "auto", also
    the line that says which it took."""
    from mfaenv.rolemodes import AUTO, CHAIN, auto_mode

    if (mode or CHAIN) != AUTO:
        return mode or CHAIN, None
    return auto_mode(asked=asked, configured=configured, aws_setting=aws_setting)


def profile_role_mode(context: LoginContext, role: RoleSpec) -> tuple[str, str | None]:
    """``role_mode`` of the profile asked for, in its settings."""
    settings = context.config.profile(context.request.profile)
    return role_mode(
        settings.role_mode,
        asked=context.request.duration,
        configured=settings.duration,
        aws_setting=role.duration,
    )


def role_session(
    context: LoginContext,
    role: RoleSpec,
    source: Source | None,
    margin: int,
    mfa: Session | None = None,
) -> tuple[Session, bool]:
    """A role session: straight from the long-lived key and a code ("direct"), or from
    the source profile's MFA session (``mfa`` when already found), with no code while
    that lasts ("chain"); "auto" chains while the length fits the chaining limit, and
    says which it took. Also whether it is the cached session after all (direct only)."""
    from dataclasses import replace

    from mfaenv.context import exported_profile
    from mfaenv.rolemodes import DIRECT, session_length

    request = context.request
    settings = context.config.profile(request.profile)
    mode, took = profile_role_mode(context, role)  # took: for "auto", said once it is made
    duration, note = session_length(
        mode,
        profile=request.profile,
        asked=request.duration,
        configured=settings.duration,
        aws_setting=role.duration,
    )
    if note is not None:
        warn(note)
    warn_short(context, request.profile, duration)
    kept = duration if request.duration is None else request.duration  # in the cache
    source_request = Request(
        profile=role.source_profile,
        explicit_profile=role.explicit_source,
        code=request.code,
        serial=request.serial or role.mfa_serial,
        totp=request.totp,
    )
    pointed_by = request.profile if request.role is None else None
    gateway = context.use_key_profile(role.source_profile, role.explicit_source, pointed_by)
    # A role profile exports itself and its own region; --role ARN the profile asked for.
    aws_profile: str | None = request.profile
    region = role.region
    if request.role is not None:
        aws_profile, region = exported_profile(gateway)
    if mode == DIRECT:

        def call(device: Device, code: str, key: Credentials) -> Session:
            spec = replace(role, session_name=session_name(role, device.arn))
            credentials, expires, assumed = gateway.assume_role(
                key, spec, duration, serial=device.serial, code=code
            )
            return Session(
                request.profile,
                credentials,
                expires,
                device.serial,
                device.arn,
                role_arn=role.role_arn,
                role_user=assumed,
                aws_profile=aws_profile,
                region=region,
                duration=kept,
                role_mode=mode,
            )

        direct = spend_code(
            context,
            source_request.replace(cache_as=request.cache_name, duration=request.duration),
            source,
            call,
            margin,
        )
        if took is not None:
            warn(took)
        return direct

    if mfa is None:
        reason = None
        if source_request.code is None:
            mfa, reason = cached_session(context.cache, source_request, context.environ, margin)
        if mfa is None:
            saved = saved_names(context, source_request)  # the source's own, refreshed too
            mfa, _ = mfa_session(context, source_request, source, reason, margin)
            write_saved(context.cache, context.clock, mfa, saved, source_request.cache_name)
    spec = replace(role, session_name=session_name(role, mfa.arn))
    credentials, expires, assumed = gateway.assume_role(mfa.credentials, spec, duration)
    refuse_expired(expires, context.clock.now(), gateway.server_time)
    session = Session(
        request.profile,
        credentials,
        expires,
        mfa.serial,
        mfa.arn,
        source=mfa.source,
        role_arn=role.role_arn,
        role_user=assumed,
        aws_profile=aws_profile,
        region=region,
        duration=kept,
        role_mode=mode,
    )
    try:
        context.cache.save_session(session, request.cache_name, context.config.follow)
    except MfaEnvError as err:
        warn(f"{err}; the session is yours but is not cached for other shells")
    if took is not None:
        warn(took)
    return session, False


def chained_role_session(context: LoginContext) -> Session | None:
    """A new role session chained from the source profile's cached MFA session, which
    needs no code (so no terminal) while that session lives at all; None when the
    request is no chained role or that MFA session is not cached or has ended."""
    from mfaenv.rolemodes import DIRECT

    request = context.request
    if cached_without_role(context.cache, request):
        return None
    role = context.role()
    if role is None or profile_role_mode(context, role)[0] == DIRECT:
        return None
    source = Request(profile=role.source_profile, explicit_profile=role.explicit_source)
    mfa, _ = cached_session(context.cache, source, context.environ, 0)
    if mfa is None:
        return None
    saved = saved_names(context, request)
    session, _ = role_session(context, role, None, 0, mfa)
    write_saved(context.cache, context.clock, session, saved, request.cache_name)
    return session


def session_name(role: RoleSpec, user_arn: str | None) -> str:
    """``role_session_name``, else ``mfaenv-USER``, as AWS allows it (64 of ``\\w+=,.@-``)."""
    if role.session_name != "mfaenv" or not user_arn:
        return role.session_name
    name = "mfaenv-" + user_arn.rsplit("/", 1)[-1]
    return "".join(c if c.isascii() and (c.isalnum() or c in "_+=,.@-") else "-" for c in name)[:64]


def saved_names(context: LoginContext, request: Request) -> list[str]:
    """Where a new session of ``request`` is written in the credentials file
    (--save-as, save_as in the config, names saved before); each checked now, before
    a code is spent."""
    from mfaenv.saveas import check, names_for

    names = [request.save_as, context.config.profile(request.profile).save_as]
    names += names_for(context.cache.root, request.cache_name)
    unique = list(dict.fromkeys(name for name in names if name))
    for name in unique:
        check(name, clock=context.clock)
    return unique


def write_saved(
    cache: Cache, clock: Clock, session: Session, names: list[str], cache_name: str
) -> None:
    """Write ``session`` (cached as ``cache_name``) as each profile of ``names``."""
    from mfaenv.saveas import save

    for name in names:
        try:
            path = save(session, name, cache.root, cache_name, clock)
        except MfaEnvError as err:  # checked before the code was spent: keep the session
            warn(f"the session was not saved as profile {name!r}: {err}")
            continue
        warn(f"saved the session as profile {name!r} in {path}{_open_to_others(path)}")


def _open_to_others(path: str) -> str:
    """A note when the file the session went into (its mode kept) others may read."""
    import os
    import stat

    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return ""
    return f" (its mode {mode:04o}, kept, lets other users read it)" if mode & 0o077 else ""
