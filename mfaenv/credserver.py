"""``mfa exec --server``: the command gets a credential endpoint, not keys.

CMD's environment names a loopback URL with a random path and a random token
(``AWS_CONTAINER_CREDENTIALS_FULL_URI``, ``AWS_CONTAINER_AUTHORIZATION_TOKEN``): the
container credentials protocol, which botocore, the AWS CLI and the other SDKs read and
refresh on their own. The server runs in this process, in threads, for as long as CMD
runs: it stops when CMD exits, and dies with this process if that is killed (CMD cannot
inherit its socket). Signals sent to mfaenv are passed on to CMD, as if CMD had them.

Each request is decided when it comes (no timer runs between requests): the session in
memory while it is far from its end and the cache has not changed (one stat of the
sessions directory); else the cache's session, or a renewed one as every other route
renews (a role chained from the cached MFA session, an MFA session from a TOTP source);
else the session to its very end, then an error naming what to type. The server never
asks for a code, and never writes a secret anywhere but to a client holding the token.
"""

from __future__ import annotations

import hmac
import os
import signal
import socket
import sys
import threading

from mfaenv import jsontext
from mfaenv.cache import Cache
from mfaenv.errors import MfaEnvError, printable, warn
from mfaenv.login import obtain_session
from mfaenv.reuse import RENEW_MARGIN, ended_session

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mfaenv.clock import Clock
    from mfaenv.request import Request
    from mfaenv.session import Session

# The whole request (line and headers) must come within this long, and be this small.
REQUEST_DEADLINE = 2.0
MAX_REQUEST = 16 * 1024
# At most this many connections are read at once; more wait in the listen backlog.
MAX_CLIENTS = 8
# Once no renewal is possible, a request tries again after this long (or on any change
# in the cache, which another terminal's `mfa CODE` makes).
RETRY = 60
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
URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a name
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

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


def response(status: int, document: Mapping[str, str]) -> bytes:
    body = (jsontext.dumps(dict(document)) + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def refusal(status: int, code: str, message: str) -> bytes:
    return response(status, {"Code": code, "Message": f"mfaenv: {message}"})


def credentials_document(session: Session) -> dict[str, str]:
    """The container credentials JSON: what botocore and the other SDKs read."""
    creds = session.credentials
    document = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token or "",
        "Expiration": session.expiration,
    }
    arn = session.role_user or session.arn or ""
    if arn.count(":") >= 5 and arn.split(":")[4].isdigit():
        document["AccountId"] = arn.split(":")[4]
    return document


class Supplier:
    """What a request with the token gets: decided on the request, served from memory.

    ``answer`` (a whole HTTP response) holds while the clock is before ``until`` and
    the sessions directory is as it was (``stamp``); otherwise the next request decides
    anew, one at a time.
    """

    def __init__(
        self,
        request: Request,
        environ: Mapping[str, str],
        cache: Cache,
        clock: Clock,
        first: Session,
    ) -> None:
        self.request = request
        self.environ = environ
        self.cache = cache
        self.clock = clock
        self.directory = os.path.join(cache.root, "sessions")
        self.path = cache.session_path(request.cache_name)
        self.lock = threading.Lock()
        self.told: str | None = None  # the last failure said on the terminal
        self.stamp = self._stamp()
        self._serve(first, clock.now())

    def _stamp(self) -> tuple[int, int]:
        """Any session written (atomically, by a rename) changes the directory, and gives
        the session's file a new inode."""
        try:
            directory = os.stat(self.directory).st_mtime_ns
            own = os.stat(self.path).st_ino
        except OSError:
            return (0, 0)
        return (directory, own)

    def _serve(self, session: Session, now: float) -> None:
        self.answer = response(200, credentials_document(session))
        renew_at = session.expires - RENEW_MARGIN
        self.until = renew_at if renew_at > now else min(session.expires, now + RETRY)

    def current(self) -> bytes:
        if self.clock.now() < self.until and self._stamp() == self.stamp:
            return self.answer
        with self.lock:
            stamp = self._stamp()
            now = self.clock.now()
            if now < self.until and stamp == self.stamp:
                return self.answer  # decided by the request this one waited for
            self._decide(now)
            self.stamp = stamp
            return self.answer

    def _decide(self, now: float) -> None:
        try:
            session = self._session()
        except MfaEnvError as err:
            self.answer = refusal(403, "CredentialsUnavailable", str(err))
            self.until = now + RETRY
            if self.told != str(err):
                self.told = str(err)
                warn(f"the credential server has no session to give: {err}")
            return
        self.told = None
        self._serve(session, self.clock.now())

    def _obtain(self, margin: int) -> Session:
        return obtain_session(
            self.request,
            self.environ,
            clock=self.clock,
            cache=self.cache,
            margin=margin,
            serving_sdk=True,
        )[0]

    def _session(self) -> Session:
        """The cached session with more than RENEW_MARGIN left, else a renewed one (a role
        chained from the MFA session; an MFA session from a TOTP source); failing that,
        what is left of the cached one (a role chained anew while the MFA session lasts),
        to its very end."""
        try:
            return self._obtain(RENEW_MARGIN)
        except MfaEnvError as err:
            renewing = err
        try:
            session = self._obtain(0)
        except MfaEnvError as err:
            raise MfaEnvError(ended_session(self.cache, self.request, 0) or str(err)) from None
        if session.expires <= self.clock.now():
            raise renewing
        return session


class Endpoint:
    """A listening socket, the random path and token, and the threads that answer."""

    def __init__(self, supplier: Supplier, listen: str | None, clock: Clock) -> None:
        import secrets

        self.supplier = supplier
        self.clock = clock
        host, port = parse_listen(listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            # Not inherited by CMD (Python's sockets are close-on-exec): when this process
            # ends, so does the server, whatever CMD does.
            self.sock = socket.create_server((host, port), family=family, backlog=64)
        except OSError as err:
            raise MfaEnvError(
                f"cannot listen on {listen or host}: {err.strerror or err}", exit_code=2
            ) from None
        port = self.sock.getsockname()[1]
        self.path = "/mfaenv/" + secrets.token_urlsafe(18)
        self.token = secrets.token_urlsafe(32)
        # Listening everywhere: this host reaches it on loopback.
        shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
        shown = f"[{shown}]" if ":" in shown else shown
        self.uri = f"http://{shown}:{port}{self.path}"
        self._path = self.path.encode()
        self._token = self.token.encode()
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._open = True

    def start(self) -> None:
        threading.Thread(target=self._accept, name="mfaenv-server", daemon=True).start()

    def stop(self) -> None:
        self._open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _accept(self) -> None:
        while self._open:
            self._slots.acquire()
            try:
                conn, _ = self.sock.accept()
            except OSError:
                self._slots.release()
                if not self._open:
                    return
                continue
            worker = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            worker.start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                head = self._read(conn)
                try:
                    reply = self.answer(head)
                except Exception:  # noqa: BLE001 - one request must not end the server
                    reply = refusal(500, "InternalError", "internal error")
                conn.settimeout(REQUEST_DEADLINE)
                conn.sendall(reply)
                if isinstance(head, int):
                    self._drain(conn)
        except OSError:
            pass  # the client went away
        finally:
            self._slots.release()

    def _drain(self, conn: socket.socket) -> None:
        """After an error in mid-request: read what the client still sends (for a while,
        up to a limit), so that it gets the answer rather than a reset connection."""
        conn.shutdown(socket.SHUT_WR)
        deadline = self.clock.monotonic() + REQUEST_DEADLINE
        for _ in range(256):
            left = deadline - self.clock.monotonic()
            if left <= 0:
                return
            conn.settimeout(left)
            if not conn.recv(65536):
                return

    def _read(self, conn: socket.socket) -> bytes | int:
        """The request's head, or the status of what is wrong with it."""
        deadline = self.clock.monotonic() + REQUEST_DEADLINE
        data = b""
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_REQUEST:
                return 431
            left = deadline - self.clock.monotonic()
            if left <= 0:
                return 408
            conn.settimeout(left)
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                return 408
            if not chunk:
                return 400
            data += chunk
        head = data.split(b"\r\n\r\n", 1)[0]
        return head if len(head) <= MAX_REQUEST else 431

    def answer(self, head: bytes | int) -> bytes:
        if isinstance(head, int):
            what = {408: "the request took too long", 431: "the request is too large"}
            return refusal(head, "BadRequest", what.get(head, "the request is incomplete"))
        lines = head.split(b"\r\n")
        words = lines[0].split(b" ")
        if len(words) != 3 or not words[2].startswith(b"HTTP/1."):
            return refusal(400, "BadRequest", "not an HTTP/1 request")
        tokens = [
            value.strip()
            for name, sep, value in (line.partition(b":") for line in lines[1:])
            if sep and name.strip().lower() == b"authorization"
        ]
        if len(tokens) != 1:
            return refusal(401, "Unauthorized", f"no token: send {TOKEN_VAR} as Authorization")
        if not hmac.compare_digest(tokens[0], self._token):
            return refusal(401, "Unauthorized", "wrong token")
        if words[0] != b"GET":
            return refusal(405, "MethodNotAllowed", "only GET")
        if not hmac.compare_digest(words[1].split(b"?", 1)[0], self._path):
            return refusal(404, "NotFound", f"not the path of {URI_VAR}")
        return self.supplier.current()


def parse_listen(text: str | None) -> tuple[str, int]:
    """``--listen`` as (IP address, port): ``ADDRESS``, ``ADDRESS:PORT``, ``[V6]:PORT``,
    ``:PORT``; 127.0.0.1 and a free port where not given."""
    if text is None:
        return "127.0.0.1", 0
    import ipaddress

    host, port = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            host = ""
        port = rest[1:]
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    host = host or "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not (port == "" or (port.isascii() and port.isdigit())):
        raise MfaEnvError(
            f"--listen {printable(text)!r}: give an IP address, ADDRESS:PORT or [IPv6]:PORT",
            exit_code=2,
        )
    number = int(port or 0)
    if number > 65535:
        raise MfaEnvError(f"--listen {printable(text)!r}: no port {number}", exit_code=2)
    return str(address), number


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
    endpoint = Endpoint(supplier, listen, clock)
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
