"""``mfa [CODE] [OPTIONS]`` (``sh-on``): an MFA session in this shell, new or cached."""

from __future__ import annotations

from mfaenv.commands import build_request, emit
from mfaenv.env import SESSION, ShellState
from mfaenv.errors import warn
from mfaenv.shells import get_shell
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.cache import Cache
    from mfaenv.follow import holding
    from mfaenv.login import obtain_session

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    state.stash_with(SESSION)  # a stash too large to hand back: refused before a code is spent
    environ = state.without(SESSION)
    request = build_request(args, environ)
    cache = Cache(clock=clock)
    session, reused = obtain_session(request, environ, clock=clock, cache=cache)
    # The shell follows this cache name from this session on (mfaenv.follow).
    emit(shell.render(holding(state, session, cache.marker_path(request.cache_name))))
    left = format_remaining(remaining(session.expires, clock.now()))
    role = f" as {session.role_label}" if session.role_label else ""
    what = "reused the cached MFA session" if reused else "MFA session"
    warn(f"{what} for profile {session.profile!r}{role}, {left} left")
    return 0
