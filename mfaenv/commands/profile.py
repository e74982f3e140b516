"""``sh-profile``: the prompt hook saw AWS_PROFILE or DIRENV_DIFF change
(mfaenv.profilefollow)."""

from __future__ import annotations

from mfaenv.commands import build_request, emit
from mfaenv.env import ShellState
from mfaenv.shells import get_shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.clock import Clock
    from mfaenv.session import Session
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.profilefollow import held_from_process, profile_change

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()

    def cached(environ: Mapping[str, str]) -> Session | None:
        """What `mfa` with no code would reuse in a shell of ``environ``."""
        from mfaenv.cache import Cache
        from mfaenv.reuse import cached_session
        from mfaenv.verbs import Args

        request = build_request(Args("sh-on"), environ)
        return cached_session(Cache(clock=clock), request, environ)[0]

    emit(shell.render(profile_change(state, held_from_process() or "", clock, cached)))
    return 0
