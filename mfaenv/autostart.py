"""Start in the session: with ``auto = true`` in the config (at the top, or for one
profile), a new shell whose profile has a valid cached session starts with it, exactly
as if ``mfa`` had been typed (the stash included), and no process is started for it
beyond the init line itself: ``mfaenv init SHELL`` appends the change to what it prints.

Only when init's output goes to a pipe (``eval "$(mfaenv init bash)"``,
``mfaenv init fish | source``): init rendered into a file never holds credentials.
"""

from __future__ import annotations

import os

from mfaenv.env import SESSION, ShellState
from mfaenv.errors import MfaEnvError, warn
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.shells import Shell


def auto_start(shell: Shell, clock: Clock) -> str:
    """The code that puts this new shell into its profile's cached session, or ""."""
    from mfaenv import config
    from mfaenv.cache import Cache
    from mfaenv.follow import holding
    from mfaenv.request import Request
    from mfaenv.reuse import cached_session

    state = ShellState.from_process()
    if state.active(SESSION):
        return ""  # started inside a session already
    environ = state.environ
    profile = environ.get("AWS_PROFILE") or "default"
    try:
        settings = config.load()
    except MfaEnvError as err:
        warn(f"{err}; not starting in the cached session")
        return ""
    wanted = settings.profile(profile).auto
    if not (settings.auto if wanted is None else wanted):
        return ""
    request = Request(profile=profile, explicit_profile=False)
    cache = Cache(clock=clock)
    session, _ = cached_session(cache, request, state.without(SESSION))
    if session is None:
        return ""
    change = holding(state, session, cache.marker_path(request.cache_name))
    left = format_remaining(remaining(session.expires, clock.now()))
    warn(f"started in the cached MFA session of profile {profile!r}, {left} left")
    return shell.render(change)


def pipe(fd: int) -> bool:
    import stat

    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False
