"""``mfa exec --server``: the command gets a credential endpoint, not keys.

CMD's environment names a loopback URL with a random path and a random token
(``AWS_CONTAINER_CREDENTIALS_FULL_URI``, ``AWS_CONTAINER_AUTHORIZATION_TOKEN``): the
container credentials protocol, which botocore, the AWS CLI and the other SDKs read and
refresh on their own. The server runs in this process, in threads, for as long as CMD
runs: it stops when CMD exits, and dies with this process if that is killed (CMD cannot
inherit its socket). Signals sent to mfaenv are passed on to CMD, as if CMD had them.

The endpoint (``credendpoint``) gives each request with the token what the
``credsupplier.Supplier`` decides; this module runs CMD beside it: CMD's environment,
the signals passed on, waiting for CMD and ending as it ended.
"""

from __future__ import annotations

import os
import signal
import sys

from mfaenv.credendpoint import TOKEN_VAR, URI_VAR, Endpoint
from mfaenv.errors import MfaEnvError, warn
from mfaenv.printable import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mfaenv.clock import Clock
    from mfaenv.credsupplier import Supplier

# The variables CMD must not see: any keys, the caller's profile (a profile with keys or
# a role would come before the endpoint in every SDK's chain) and other endpoints.
HIDDEN = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)
# The signals passed on to CMD. Those the terminal sends (Ctrl-C, a resize) reach CMD
# itself, in the same process group: they are not sent a second time.
FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)
_SI_KERNEL = 0x80  # Linux's si_code of a signal from the kernel (the terminal driver)


def command_environ(environ: Mapping[str, str], endpoint: Endpoint) -> dict[str, str]:
    """CMD's environment: the caller's and the session's other variables, no keys, no
    profile, no credentials file (its long-lived keys would come before the endpoint
    in every SDK), and the endpoint."""
    values = {name: value for name, value in environ.items() if name not in HIDDEN}
    values["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    values[URI_VAR] = endpoint.uri
    values[TOKEN_VAR] = endpoint.token
    return values


# Settings of the default profile in the AWS config that every SDK's chain takes before
# the endpoint (the credentials file is hidden from CMD; the config file is not).
SHADOWING = (
    "aws_access_key_id",
    "credential_process",
    "role_arn",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
)


def shadowing(environ: Mapping[str, str]) -> str | None:
    """What in the AWS config would make CMD's SDKs skip the endpoint, as a warning."""
    from mfaenv import awsfiles

    path = awsfiles.config_path(environ)
    try:
        default = awsfiles.read(path, is_config=True, settle=False).values("default") or {}
    except MfaEnvError:
        return None  # botocore refuses the file: the command's SDKs say so
    found = [name for name in SHADOWING if name in default]
    if not found:
        return None
    return (
        f"the default profile in {printable(path)} has {found[0]}, which SDKs take before "
        "the credential server: the command would not use the server's session"
    )


def serve_command(
    command: Sequence[str],
    environ: Mapping[str, str],
    supplier: Supplier,
    listen: str | None,
    clock: Clock,
) -> int:
    """Run ``command`` with the endpoint in ``environ``; its exit status (or its death by
    a signal, passed on) once it has ended and the server has stopped."""
    endpoint = Endpoint(supplier.current, listen, clock)
    problem = shadowing(environ)
    if problem is not None:
        warn(problem)
    waiting = hasattr(signal, "sigwaitinfo")
    blocked = {*FORWARDED, signal.SIGCHLD}
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # never ignored: CMD's end must be seen
    if waiting:
        # Blocked before any thread starts, so every thread inherits it; the main thread
        # takes them one at a time, with who sent them.
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    endpoint.start()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.posix_spawnp(
            command[0],
            list(command),
            command_environ(environ, endpoint),
            setsigmask=(),
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),  # as Python found them
        )
    except OSError as err:
        endpoint.stop()
        if waiting:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, blocked)
        code = 127 if isinstance(err, FileNotFoundError) else 126
        why = "not found" if code == 127 else (err.strerror or "cannot run it").lower()
        raise MfaEnvError(f"cannot run {printable(command[0])!r}: {why}", code) from None
    os.environ["MFAENV_NO_PROMPT"] = "1"  # from now on, never ask on the terminal
    status = _wait_waiting(pid) if waiting else _wait_handling(pid)
    endpoint.stop()
    if os.WIFSIGNALED(status):
        return _die_like(os.WTERMSIG(status), waiting)
    return os.waitstatus_to_exitcode(status)


def _wait_waiting(pid: int) -> int:
    while True:
        info = signal.sigwaitinfo({*FORWARDED, signal.SIGCHLD})
        if info.si_signo == signal.SIGCHLD:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return status
        elif info.si_code != _SI_KERNEL or not sys.platform.startswith("linux"):
            _forward(pid, info.si_signo)


def _wait_handling(pid: int) -> int:
    """Without sigwaitinfo (macOS): handlers pass signals on, but not the terminal's own
    (Ctrl-C, Ctrl-\\, a resize) while CMD is in the terminal's foreground with us."""
    keyboard = {signal.SIGINT, signal.SIGQUIT, signal.SIGWINCH}

    def forward(signum: int, frame: object) -> None:
        if signum in keyboard and _in_foreground():
            return
        _forward(pid, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    while True:
        done, status = os.waitpid(pid, 0)
        if done == pid:
            return status


def _in_foreground() -> bool:
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def _forward(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _die_like(signum: int, blocked: bool) -> int:
    """CMD was killed by ``signum``: end the same way, so the caller sees what it would
    have seen without mfaenv (no core file of ours)."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        signal.signal(signum, signal.SIG_DFL)
    except (OSError, ValueError):
        pass  # SIGKILL, SIGSTOP
    if blocked:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os.kill(os.getpid(), signum)
    return 128 + signum
