"""``mfa exec [OPTIONS] -- COMMAND``: one command with the session (or, with --server, a
credential endpoint that renews); the shell stays as it is."""

from __future__ import annotations

import os
import sys

from mfaenv.commands import build_request
from mfaenv.env import SESSION, ShellState, session_values
from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.login import obtain_session

    state = ShellState.from_process()
    state.stash_with(SESSION)
    command = list(args.command)
    command = command[1:] if command[:1] == ["--"] else command
    if not command or not command[0]:
        raise MfaEnvError("nothing to run: mfa exec [--profile P] -- COMMAND [ARGS...]", 2)
    if args.listen is not None and not args.server:
        raise MfaEnvError("--listen is for --server: mfa exec --server --listen ADDRESS", 2)
    if args.server:
        return _serve(args, state, clock, command)
    environ = state.without(SESSION)
    session, _ = obtain_session(build_request(args, environ), environ, clock=clock)
    change = state.apply(SESSION, session_values(session))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, dict(state.after(change).environ))  # noqa: S606 - the user's command
    except FileNotFoundError:
        raise MfaEnvError(f"cannot run {command[0]!r}: not found", 127) from None
    except PermissionError:
        raise MfaEnvError(f"cannot run {command[0]!r}: permission denied", 126) from None


def _serve(args: Args, state: ShellState, clock: Clock, command: list[str]) -> int:
    """``mfa exec --server``: the command gets a credential endpoint that renews
    (mfaenv.credserver), not keys."""
    from mfaenv.cache import Cache
    from mfaenv.credendpoint import parse_listen
    from mfaenv.credserver import serve_command
    from mfaenv.credsupplier import Supplier
    from mfaenv.login import obtain_session

    parse_listen(args.listen)  # a mistake is refused before a code is asked
    environ = state.without(SESSION)
    request = build_request(args, environ)
    cache = Cache(clock=clock)
    session, _ = obtain_session(request, environ, clock=clock, cache=cache)
    change = state.apply(SESSION, session_values(session))
    # --save-as is done now, not again for the cached session at each request; new
    # sessions still go where it is saved (mfaenv.saveas).
    later = request.replace(save_as=None)
    supplier = Supplier(later, environ, cache, clock, session)
    return serve_command(command, state.after(change).environ, supplier, args.listen, clock)
