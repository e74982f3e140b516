"""``mfaenv credential-process``: the session as ``credential_process`` JSON, for SDKs."""

from __future__ import annotations

from mfaenv.commands import build_request, emit
from mfaenv.env import SESSION, ShellState
from mfaenv.errors import warn
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv import jsontext
    from mfaenv.login import lasting_session
    from mfaenv.reuse import SHORT_FOR_SDKS

    state = ShellState.from_process()
    environ = state.without(SESSION)
    session, reused = lasting_session(build_request(args, environ), environ, clock=clock)
    if not reused and session.expires - clock.now() < SHORT_FOR_SDKS:
        warn(
            f"this session lasts {format_remaining(remaining(session.expires, clock.now()))}: "
            "SDKs run credential_process before every request when a session is shorter "
            "than 30 minutes; ask for a longer one (--duration, duration in the config)"
        )
    creds = session.credentials
    document = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "SessionToken": creds.session_token,
        "Expiration": session.expiration,
    }
    emit(jsontext.dumps(document) + "\n")
    return 0
