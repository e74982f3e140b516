"""The session follows the profile the shell is in: direnv, mise or an ``export`` by hand.

While a shell holds a session, ``AWS_PROFILE`` is set aside (mfaenv.env): unset, its value
kept in the stash. A tool that sets it afterwards (direnv on ``cd``, mise, the user) moves
the shell to another profile; the session's keys must not stay under that name. mfa
leaves ``__mfaenv_profile_seen`` in the shell (``AWS_PROFILE`` and direnv's
``DIRENV_DIFF`` as they were after its last change); before each prompt the hook compares
them with builtins, and only when they differ runs ``mfaenv sh-profile`` once. That
process works out the profile the shell is in now:

- ``AWS_PROFILE`` set: that one;
- else the value set aside, unless direnv has left the folder whose ``.envrc`` set it
  (its diff named that value, its new one does not): then what direnv puts back, the
  value from before that folder (unset: ``default``).

The same profile as the session's: nothing changes but the stash (the value to restore).
Another: the shell takes that profile's live cached session, or puts the session away
(``mfa off`` with ``AWS_PROFILE`` as the tool left it), saying so in one line. ``mfa off``
makes the same reckoning first, so it never restores a value a left folder had set.
"""

from __future__ import annotations

import os

from mfaenv.env import (
    FOLLOW_GENERATION_VAR,
    FOLLOW_MARKER_VAR,
    SEEN_VAR,
    SESSION,
    STASH_SHELL_VAR,
    Change,
    Held,
    ShellState,
    requested_profile,
    seen_after,
)
from mfaenv.errors import MfaEnvError, warn
from mfaenv.printable import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mfaenv.clock import Clock
    from mfaenv.session import Session

# What the shell held in SEEN_VAR before: handed to mfaenv for one call.
HELD_ENV = "__MFAENV_HELD"


def held_from_process() -> str | None:
    """The SEEN_VAR the shell held, taken out of the environment (None: not given)."""
    return os.environ.pop(HELD_ENV, None)


def _direnv(diff: str) -> tuple[dict[str, str], dict[str, str]] | None:
    """direnv's diff (``DIRENV_DIFF``: zlib-compressed JSON in URL-safe base64): the
    values before its ``.envrc`` and the ones it set; None for none or one not readable."""
    if not diff:
        return None
    import base64
    import json
    import zlib

    try:
        data = json.loads(zlib.decompress(base64.urlsafe_b64decode(diff + "=" * (-len(diff) % 4))))
    except (ValueError, zlib.error, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    before, after = data.get("p") or {}, data.get("n") or {}
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return None
    return before, after


def shell_profile(state: ShellState, held: str) -> str | None:
    """The profile the shell is in now, by the tools that set ``AWS_PROFILE`` (None: no
    profile, so ``default``); ``held`` is SEEN_VAR as mfa last left it."""
    environ = state.environ
    if "AWS_PROFILE" in environ:
        return environ["AWS_PROFILE"]
    stashed = state.stash.get(SESSION.name, {}).get("AWS_PROFILE")
    held_diff = held.partition("|")[2]
    now_diff = environ.get("DIRENV_DIFF", "")
    if stashed is not None and held_diff != now_diff:
        before = _direnv(held_diff)
        after = _direnv(now_diff)
        left = after is None or after[1].get("AWS_PROFILE") != stashed
        if before is not None and before[1].get("AWS_PROFILE") == stashed and left:
            value = before[0].get("AWS_PROFILE")
            return value if isinstance(value, str) else None
    return stashed


def _with_profile(state: ShellState, profile: str | None) -> ShellState:
    """``state`` whose stash restores ``AWS_PROFILE`` to ``profile``."""
    stash = {key: dict(saved) for key, saved in state.stash.items()}
    stash.setdefault(SESSION.name, {})["AWS_PROFILE"] = profile
    return ShellState(state.environ, stash)


def reckoned(state: ShellState, held: str | None) -> ShellState:
    """``state`` with the stash's ``AWS_PROFILE`` as the shell's tools have it now (for
    ``mfa off``); as it is when the shell gave no SEEN_VAR."""
    if held is None or not state.active(SESSION) or SESSION.name not in state.stash:
        return state
    return _with_profile(state, shell_profile(state, held))


def profile_change(
    state: ShellState,
    held: str,
    clock: Clock,
    cached: Callable[[Mapping[str, str]], Session | None],
) -> Change:
    """What the shell evals when its ``AWS_PROFILE`` or ``DIRENV_DIFF`` changed.
    ``cached(environ)`` is the live cached session ``mfa`` with no code would reuse in a
    shell of ``environ`` (no code, no AWS call), or None."""
    if not state.active(SESSION) or SESSION.name not in state.stash:
        return Change()  # an inherited session: nothing of it is ours to move
    stashed = state.stash[SESSION.name].get("AWS_PROFILE")
    now = shell_profile(state, held)
    moved = _with_profile(state, now)
    session_profile = Held(state.environ).profile
    if now == stashed or (now or "default") == session_profile:
        # The same profile (or the session's own): set aside again, nothing else.
        change = Change({"AWS_PROFILE": None}, {STASH_SHELL_VAR: moved.stash_with(SESSION)})
        return seen_after(state, change)
    target = now or "default"
    environ = dict(moved.without(SESSION))
    environ["AWS_PROFILE"] = target
    session = cached(environ)
    shown = printable(target)
    if session is not None:
        from mfaenv.cache import Cache
        from mfaenv.follow import holding
        from mfaenv.timefmt import format_remaining, remaining

        change = holding(moved, session, Cache(clock=clock).marker_path(target))
        left = format_remaining(remaining(session.expires, clock.now()))
        warn(
            f"this shell is now in profile {shown!r} (AWS_PROFILE): it holds that profile's "
            f"cached MFA session, {left} left"
        )
        return change
    change, _ = moved.remove(SESSION)
    stop = {FOLLOW_MARKER_VAR: None, FOLLOW_GENERATION_VAR: None, SEEN_VAR: None}
    warn(
        f"this shell is now in profile {shown!r} (AWS_PROFILE): the MFA session of "
        f"{printable(session_profile or '')!r} is put away; `mfa CODE` gets one for {shown!r}"
    )
    return change.then(Change(shell_vars=stop))


def acted_on_profile(profile: str | None, state: ShellState) -> tuple[str, bool]:
    """The profile a command that acts on one (rotate-key, enroll, keys import, console)
    acts on: ``profile`` (--profile); else, in a shell holding a session, the session's own
    profile (not ``default`` nor the AWS_PROFILE set aside), or for a role profile's session
    the profile whose keys assume it; else as ``env.requested_profile``."""
    from mfaenv.context import profile_role
    from mfaenv.request import Request

    environ = state.without(SESSION)
    held = state.environ.get(SESSION.marker, "") if state.active(SESSION) else ""
    if profile is not None or not held:
        return requested_profile(profile, environ)
    if Held(state.environ).role_arn:
        try:
            role = profile_role(Request(profile=held, explicit_profile=True), environ)
        except MfaEnvError:
            role = None
        if role is not None:
            return role.source_profile, role.explicit_source
    # As --profile unless it is the profile the environment points at (keys there count).
    return held, (environ.get("AWS_PROFILE") or "default") != held
