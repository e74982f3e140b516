"""Never lapse when a code can be had: renewal in the background, started by the prompt.

When the session a shell holds has less than ``MFAENV_RENEW_MARGIN`` seconds left
(default 900), the prompt hook starts ``mfaenv sh-renew`` once for that session, in the
background (no job-control message, stdin from /dev/null, never asking on the
terminal). With a TOTP source for the profile, it gets a new session under the refresh
lock (so all shells together spend one code), which every following shell then picks
up at its next prompt. Without a source it does nothing: the shell says at the end
that the session ended. A failure is written to the report file the hook named, which
the hook prints once at a later prompt.
"""

from __future__ import annotations

import os

from mfaenv.cache import Cache
from mfaenv.env import SESSION, Held, ShellState
from mfaenv.errors import MfaEnvError
from mfaenv.files import write_private
from mfaenv.printable import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock

# Reports older than this are left by shells long gone: removed by the next renewal.
STALE_REPORT = 24 * 3600


def renew(marker: str, report: str, margin: str, clock: Clock) -> int:
    """Renew the session of ``marker`` when less than ``margin`` seconds (as the hook
    passes it) are left; a failure is written to ``report``."""
    os.environ["MFAENV_NO_PROMPT"] = "1"  # in the background: never ask on the terminal
    cache = Cache(clock=clock)
    try:
        _renew(cache, marker, _margin(margin), clock)
    except MfaEnvError as err:
        if report and os.path.dirname(report) == os.path.dirname(marker):
            message = f"renewing the MFA session failed: {err}"
            write_private(report, (printable(message) + "\n").encode("utf-8", "replace"))
        return err.exit_code
    finally:
        _remove_stale_reports(cache, clock.now())
    return 0


def _margin(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 900


def _renew(cache: Cache, marker: str, margin: int, clock: Clock) -> None:
    from mfaenv.context import LoginContext
    from mfaenv.login import obtain
    from mfaenv.newsession import chained_role_session
    from mfaenv.request import Request
    from mfaenv.reuse import cached_session

    state = ShellState.from_process()
    name = cache.marker_name(marker)
    if name is None or not state.active(SESSION):
        return
    environ = state.without(SESSION)
    held = Held(state.environ)
    profile = held.profile
    explicit = _explicit(environ, profile)
    # The session the marker names: of an ad hoc role (--role), or of the profile itself.
    asked = [Request(profile=profile, explicit_profile=explicit, role=held.role_arn)]
    asked.append(Request(profile=profile, explicit_profile=explicit))
    request = next((one for one in asked if one.cache_name == name), None)
    if request is None:
        return
    # The length the held session was asked for, again: never a short one made 12 hours.
    request = request.replace(duration=_held_duration(cache, name))
    cache.doing = (
        f"the background renewal of the MFA session of profile {profile!r} (process {os.getpid()})"
    )
    cached, _ = cached_session(cache, request, environ, margin)
    if cached is not None:
        return  # another shell or tool renewed it already
    context = LoginContext(request, environ, cache=cache, clock=clock)
    role_spec = context.role()
    source = context.totp_source(role_spec.source_profile if role_spec else request.profile)
    if source is None:
        # A role chained from a cached MFA session needs no code; else none can be had:
        # the prompt says so when the session ends.
        chained_role_session(context)
        return
    obtain(context, margin)


def _held_duration(cache: Cache, name: str) -> int | None:
    """The length the profile's session was asked for (the cache keeps it)."""
    from mfaenv.files import UntrustedFile

    try:
        held = cache.load_session(name)
    except UntrustedFile:
        return None
    return held.duration if held is not None else None


def _explicit(environ: dict[str, str], profile: str) -> bool:
    """Whether the profile was named with --profile: it is not the one the environment
    points at (keys in the environment are then not used, as with the AWS CLI)."""
    return (environ.get("AWS_PROFILE") or "default") != profile


def _remove_stale_reports(cache: Cache, now: float) -> None:
    directory = os.path.join(cache.root, "sessions")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not name.endswith(".err"):
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
            if info.st_uid == os.getuid() and now - info.st_mtime > STALE_REPORT:
                os.unlink(path)
        except OSError:
            continue
