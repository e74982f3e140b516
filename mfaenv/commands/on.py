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
    from mfaenv.follow import holding
    from mfaenv.login import Login

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    state.stash_with(SESSION)  # a stash too large to hand back: refused before a code is spent
    request = build_request(args, state.without(SESSION))
    login = Login(request, state.without(SESSION), clock=clock)
    session = login.session()
    # The shell follows this cache name from this session on (mfaenv.follow).
    emit(shell.render(holding(state, session, login.cache.marker_path(request.cache_name))))
    left = format_remaining(remaining(session.expires, clock.now()))
    role = f" as {session.role_label}" if session.role_label else ""
    what = "reused the cached MFA session" if login.reused else "MFA session"
    warn(f"{what} for profile {session.profile!r}{role}, {left} left")
    return 0
