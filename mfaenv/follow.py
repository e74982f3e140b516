"""Follow: a shell holding a profile's session picks up the newer one another made.

Every write of ``sessions/<name>.json`` also writes ``sessions/<name>.gen``, a line
naming the session (``cache.generation``: its end, a fingerprint of its key and of the
long-lived key that made it; nothing secret). ``mfa`` leaves two shell variables that
children never see: the marker's path and the generation this shell holds. Before each
prompt the hook reads the marker with a builtin (no process) and compares; only when it
differs does it run ``mfaenv sh-follow``, once: that process reads the session through
the cache's trust checks and prints the change, the stash left as it is, so ``mfa off``
still restores exactly. The marker is only compared, never evaluated.

A shell follows a session of the same cache name (profile, and ad hoc role) made from
the same long-lived key, that ends later than the one it holds. It stops with
``mfa off``; ``MFAENV_FOLLOW=0`` stops it in one shell, ``follow = false`` in the config
stops the markers being written.
"""

from __future__ import annotations

from mfaenv.cache import Cache, generation
from mfaenv.env import (
    FOLLOW_GENERATION_VAR,
    FOLLOW_MARKER_VAR,
    SESSION,
    Change,
    Held,
    ShellState,
    seen_after,
    session_values,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.session import Session


def newer(state: ShellState, marker: str, held: str, clock: Clock) -> Session | None:
    """The session the shell should now hold, or None to stay as it is.

    ``held`` is the generation of the session the shell holds. Raises UntrustedFile for a
    cached session that may not be used (the hook remembers the marker, so it says so once).
    """
    if not state.active(SESSION) or SESSION.name not in state.stash:
        return None  # an inherited session: its stash is not here, so neither is following
    cache = Cache(clock=clock)
    name = cache.marker_name(marker)
    if name is None:
        return None
    session = cache.load_session(name)
    if session is None or generation(session) == held:
        return None
    shell = Held(state.environ)
    held_fields = held.split(".")
    same = (
        session.profile == shell.profile
        and session.role_arn == shell.role_arn
        and len(held_fields) == 3
        and held_fields[2] == (session.source or "-")
    )
    if not same or session.expires < (shell.expires or 0) or session.expires <= clock.now():
        return None
    return session


def follow_change(state: ShellState, marker: str, held: str, clock: Clock) -> Change | None:
    """What the shell evals to hold the newer session, or None."""
    session = newer(state, marker, held, clock)
    if session is None:
        return None
    return holding(state, session, marker)


def holding(state: ShellState, session: Session, marker: str) -> Change:
    """What the shell evals to hold ``session`` and follow ``marker`` (its cache name's)
    from now on, with what the profile check compares (mfaenv.profilefollow)."""
    follow = {FOLLOW_MARKER_VAR: marker, FOLLOW_GENERATION_VAR: generation(session)}
    return seen_after(
        state, state.apply(SESSION, session_values(session)).then(Change(shell_vars=follow))
    )
