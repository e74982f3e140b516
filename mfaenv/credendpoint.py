"""The credential endpoint of ``mfa exec --server``: an HTTP/1 listener on loopback (or
where ``--listen`` says) with a random path and token, answering the container
credentials protocol in threads. It reads each request within a deadline and a size
limit, refuses what is not a GET of its path with its token, and gives the rest the
answer it is handed (``credsupplier.Supplier.current``).
"""

from __future__ import annotations

import hmac
import socket
import threading

from mfaenv import jsontext
from mfaenv.errors import MfaEnvError
from mfaenv.printable import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mfaenv.clock import Clock

# The whole request (line and headers) must come within this long, and be this small.
REQUEST_DEADLINE = 2.0
MAX_REQUEST = 16 * 1024
# At most this many connections are read at once; more wait in the listen backlog.
MAX_CLIENTS = 8
# The container credentials protocol's variables: the endpoint's URL, its token.
URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a name

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


class Endpoint:
    """A listening socket, the random path and token, and the threads that answer."""

    def __init__(self, current: Callable[[], bytes], listen: str | None, clock: Clock) -> None:
        """``current``: the answer to a request with the token, on the path."""
        import secrets

        self.current = current
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
        return self.current()


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
