"""Getting a session: the cached one while it is good, else a new one.

``obtain_session`` takes what one command asked for (a ``Request``), the caller's
environment, the clock and the margin, and goes step by step: reuse the cached session
(mfaenv.reuse); else open what the new one needs (mfaenv.context), find the device
(mfaenv.device), spend one fresh code under the refresh lock (mfaenv.spend) and make the
session (mfaenv.newsession). Reuse imports nothing heavy; the AWS gateway (botocore) and
the config are opened only when the cache cannot serve.
"""

from __future__ import annotations

from mfaenv.cache import REUSE_MARGIN, Cache
from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError
from mfaenv.reuse import RENEW_MARGIN, cached_session, cached_without_role, sdk_margin

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.context import LoginContext
    from mfaenv.request import Request
    from mfaenv.session import Session
    from mfaenv.totp import Source


def obtain_session(
    request: Request,
    environ: Mapping[str, str],
    *,
    clock: Clock = SYSTEM,
    cache: Cache | None = None,
    margin: int = REUSE_MARGIN,
    serving_sdk: bool = False,
) -> tuple[Session, bool]:
    """The session ``request`` asks for, and whether it is the cached one: cached while
    more than ``margin`` seconds of it are left, else new (a code is spent). A new one is
    also written where it is saved as a profile (``saveas``); a cached one only when
    --save-as asks. ``environ``: the caller's environment without any MFA session in it;
    ``serving_sdk``: for credential_process or the credential server."""
    cache = Cache(clock=clock) if cache is None else cache
    cached, reason = _cached(request, environ, cache, margin)
    if cached is not None:
        return cached, True
    from mfaenv.context import LoginContext

    context = LoginContext(request, environ, cache=cache, clock=clock, serving_sdk=serving_sdk)
    return _new(context, margin, reason)


def obtain(context: LoginContext, margin: int = REUSE_MARGIN) -> tuple[Session, bool]:
    """``obtain_session`` with what is open already (console, rotate, renew)."""
    cached, reason = _cached(context.request, context.environ, context.cache, margin)
    if cached is not None:
        return cached, True
    return _new(context, margin, reason)


def _cached(
    request: Request, environ: Mapping[str, str], cache: Cache, margin: int
) -> tuple[Session | None, str | None]:
    """The cached session that serves ``request`` (written as --save-as asks), or None
    and why not; nothing is looked up when a code was given."""
    if request.save_as is not None:
        from mfaenv.saveas import check

        check(request.save_as, clock=cache.clock)  # before anything
    if request.code is not None:
        return None, None
    cached, reason = cached_session(cache, request, environ, margin)
    if cached is not None and request.save_as is not None:
        from mfaenv.newsession import write_saved

        write_saved(cache, cache.clock, cached, [request.save_as], request.cache_name)
    return cached, reason


def _new(context: LoginContext, margin: int, reason: str | None) -> tuple[Session, bool]:
    """A new session for the request (``reason``: why the cache could not serve), or
    the cached one another process made while this one waited on the refresh lock."""
    from mfaenv.newsession import (
        chained_role_session,
        mfa_session,
        role_session,
        saved_names,
        write_saved,
    )

    request = context.request
    role = context.role()
    if role is not None and request.code is None:
        chained = chained_role_session(context)  # no code while the MFA session lives
        if chained is not None:
            return chained, False
    source = context.totp_source(role.source_profile if role else request.profile)
    saved = saved_names(context, request)
    if role is not None:
        session, reused = role_session(context, role, source, margin)
    else:
        session, reused = mfa_session(context, request, source, reason, margin)
    write_saved(context.cache, context.clock, session, saved, request.cache_name)
    return session, reused


def lasting_session(
    request: Request, environ: Mapping[str, str], *, clock: Clock = SYSTEM
) -> tuple[Session, bool]:
    """The session for credential_process, which SDKs call again as the end nears, and
    whether it is the cached one.

    With a TOTP source, a new session once less than RENEW_MARGIN is left. With no
    way to get a code (no source, nothing to ask on), the cached session until its very
    end (the SDK is told the true expiry), then one line naming `mfa CODE`.
    """
    cache = Cache(clock=clock)
    if request.code is not None:
        return obtain_session(request, environ, clock=clock, cache=cache, serving_sdk=True)
    cached, _ = cached_session(cache, request, environ, RENEW_MARGIN)
    if cached is not None:
        return cached, True
    from mfaenv.context import LoginContext
    from mfaenv.newsession import chained_role_session

    context = LoginContext(request, environ, cache=cache, clock=clock, serving_sdk=True)
    source = lasting_source(context)
    if source is None:
        chained = chained_role_session(context)
        if chained is not None:
            return chained, False
    can_ask = source is None and context.prompt() is not None
    margin = sdk_margin(can_renew=source is not None, can_ask=can_ask)
    if margin == 0:
        cached, reason = cached_session(cache, request, environ, margin)
        if cached is not None:
            return cached, True
        raise MfaEnvError(reason or "no MFA session")
    return obtain(context, margin)


def lasting_source(context: LoginContext) -> Source | None:
    """The TOTP source for the request. SDKs call credential_process on each request
    once the end is near: for a cached MFA session (no role) the AWS files, and so
    botocore, are not opened just to learn that there is no source."""
    request = context.request
    if cached_without_role(context.cache, request):
        return context.totp_source(request.profile)
    role = context.role()
    return context.totp_source(role.source_profile if role else request.profile)
