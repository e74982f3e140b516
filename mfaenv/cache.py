"""Session state in the XDG cache: private files, written atomically, never trusted blindly.

Layout under ``paths.cache_dir()`` (``$XDG_CACHE_HOME/mfaenv``)::

    sessions/<name>.json      session credentials of one profile, or of a role assumed
                              from it ad hoc (never long-lived keys)
    sessions/<name>.gen       which session that is (``generation``): the prompt hook
                              reads it to follow a newer session (mfaenv.follow)
    serials.json              discovered MFA serial per long-lived key (by fingerprint)
    used-codes.json           when a code was last accepted per device (a salted digest)
"""

from __future__ import annotations

import os

from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError, debug, warn
from mfaenv.files import UntrustedFile, private_dir, read_private, write_private
from mfaenv.paths import cache_dir
from mfaenv.printable import printable
from mfaenv.session import Session, fingerprint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from mfaenv.files import StrPath

# A session this close to its end is not handed out again.
REUSE_MARGIN = 5 * 60
# How long a refresh waits for another one (perhaps at a prompt in another terminal).
LOCK_TIMEOUT = 90
# After this long waiting for the lock, the waiter says what it is waiting for.
LOCK_NOTICE = 0.5
# The holder of the lock says there what it is doing (nothing secret), for the waiters.
LOCK_NOTE = "lock-holder"
# A file in the cache larger than this is not ours.
MAX_CACHE_FILE = 256 * 1024
# Codes AWS accepted, per device: kept this long (longer than any code is worth anything to
# AWS, and than spend's CODE_MEMORY), and at most this many.
CODES_KEPT_FOR = 10 * 60
CODES_KEPT = 32

# Characters kept as they are in a file name; the rest is %XX-encoded, as
# urllib.parse.quote(name, safe="") does (its import is too slow for the hot path).
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def file_name(name: str) -> str:
    """``name`` as one file name: ``dev``, ``dev%2Barn%3Aaws...`` for an ad hoc role."""
    return "".join(
        char
        if char in _SAFE
        else "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogateescape"))
        for char in name
    )


def name_of_file(raw: str) -> str | None:
    """The name ``file_name`` made ``raw`` from; None for what it cannot have made."""
    out = bytearray()
    i = 0
    try:
        while i < len(raw):
            if raw[i] == "%":
                out += bytes.fromhex(raw[i + 1 : i + 3])
                i += 3
            else:
                out += raw[i].encode()
                i += 1
        decoded = out.decode("utf-8", "surrogateescape")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if decoded and file_name(decoded) == raw else None


def generation(session: Session) -> str:
    """What a session's marker holds: when it ends, which key it is, and which long-lived
    key made it (fingerprints: nothing secret). A shell remembers the one it holds."""
    key = fingerprint(session.credentials.access_key_id)
    return f"{session.expires}.{key}.{session.source or '-'}"


class SerialRecord:
    __slots__ = ("arn", "serial")

    def __init__(self, serial: str, arn: str) -> None:
        self.serial = serial
        self.arn = arn

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SerialRecord):
            return NotImplemented
        return (self.serial, self.arn) == (other.serial, other.arn)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SerialRecord({self.serial!r}, {self.arn!r})"


def _read_json(path: str) -> Any:
    """JSON from a private file; None when missing. UntrustedFile if unreadable or damaged."""
    raw = read_private(path)
    if raw is None:
        return None
    if len(raw) > MAX_CACHE_FILE:
        raise UntrustedFile(f"{path} is damaged (too large)")
    from mfaenv import jsontext

    try:
        return jsontext.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise UntrustedFile(f"{path} is damaged (not valid JSON)") from None


def _write_json(path: str, data: Any) -> None:
    import json

    write_private(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


class RefreshLock:
    """An exclusive lock on the cache directory itself, so taking it creates no file;
    waits up to ``timeout`` (another terminal may be refreshing), then says so."""

    __slots__ = ("clock", "doing", "fd", "root", "timeout")

    def __init__(self, root: str, timeout: float, clock: Clock, doing: str) -> None:
        self.root, self.timeout, self.clock, self.doing = root, timeout, clock, doing
        self.fd: int | None = None

    def __enter__(self) -> None:
        import fcntl

        fd = os.open(private_dir(self.root), os.O_RDONLY)
        start = self.clock.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = self.clock.monotonic() - start
                if waited > self.timeout:
                    os.close(fd)
                    raise MfaEnvError(
                        f"another mfaenv has been getting a session for {self.timeout:.0f}s; "
                        "try again when it is done"
                    ) from None
                if not told and waited >= LOCK_NOTICE:
                    told = True
                    warn(f"waiting (up to {self.timeout:.0f}s) for {self._holder()}")
                self.clock.sleep(0.05)
        self.fd = fd
        try:
            write_private(os.path.join(self.root, LOCK_NOTE), f"{self.doing}\n".encode())
        except MfaEnvError as err:
            debug(f"cannot say what holds the lock: {err}")

    def _holder(self) -> str:
        """What the holder of the lock said it is doing (it may have said nothing yet)."""
        try:
            raw = read_private(os.path.join(self.root, LOCK_NOTE))
        except MfaEnvError:
            raw = None
        said = raw.decode("utf-8", "replace").strip()[:200] if raw else ""
        return printable(said) if said else "another mfaenv that is getting a session"

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            try:
                os.unlink(os.path.join(self.root, LOCK_NOTE))
            except OSError:
                pass
            os.close(self.fd)  # closing releases the lock
            self.fd = None


class Cache:
    def __init__(self, root: StrPath | None = None, clock: Clock = SYSTEM) -> None:
        self.root = os.fspath(root) if root is not None else cache_dir()
        self.clock = clock
        # What this process does under the lock, as others waiting for it are told.
        self.doing = f"mfaenv (process {os.getpid()}) getting a session"

    def lock(self, timeout: float = LOCK_TIMEOUT) -> RefreshLock:
        """One refresh at a time across processes (``with cache.lock(): ...``)."""
        return RefreshLock(self.root, timeout, self.clock, self.doing)

    def check_writable(self, *names: str) -> None:
        """Fail now, before a code is spent, if a new session could not be kept: the
        directories must be writable, and each of ``names`` short enough for a file
        name there (with room for the temporary name it is written under)."""
        from mfaenv.files import TEMP_NAME_EXTRA, remove_stale_temps

        sessions = os.path.join(self.root, "sessions")
        for directory in (self.root, sessions):
            private_dir(directory)
            remove_stale_temps(directory, self.clock.now())
            if not os.access(directory, os.W_OK):
                raise MfaEnvError(f"cannot write to {directory}; a new session could not be kept")
        try:
            name_max = os.pathconf(sessions, "PC_NAME_MAX")
        except (OSError, ValueError):
            name_max = 255
        room = name_max - TEMP_NAME_EXTRA - len(".json")
        for name in names:
            size = len(file_name(name))
            if size > room:
                from mfaenv.arns import shown  # a value cut short for a message

                raise MfaEnvError(
                    f"the name {shown(name)} is too long to keep its session in the "
                    f"cache ({size} characters as a file name, at most {room}); "
                    "use a shorter profile name"
                )

    # --- sessions ------------------------------------------------------------

    def session_path(self, name: str) -> str:
        return os.path.join(self.root, "sessions", file_name(name) + ".json")

    def load_session(self, name: str) -> Session | None:
        """The session cached as ``name`` (a profile), or None. UntrustedFile if damaged."""
        path = self.session_path(name)
        data = _read_json(path)
        if data is None:
            return None
        try:
            session = Session.from_dict(data)
        except ValueError as err:
            raise UntrustedFile(f"{path} is damaged ({err})") from None
        if data.get("name", session.profile) != name:
            raise UntrustedFile(f"{path} holds the session of {data.get('name')!r}")
        return session

    def reusable_session(self, name: str, margin: int = REUSE_MARGIN) -> Session | None:
        """The cached session while more than ``margin`` seconds of it are left."""
        session = self.load_session(name)
        if session is None:
            return None
        if session.expires - self.clock.now() <= margin:
            debug(f"cached session of {name} ends within {margin // 60} minutes")
            return None
        return session

    def save_session(self, session: Session, name: str | None = None, follow: bool = True) -> None:
        """Keep ``session`` as ``name`` (default: its profile). With ``follow``, its
        marker tells the shells holding an older session of ``name`` (see mfaenv.follow);
        without, the marker is removed and no shell follows."""
        name = name if name is not None else session.profile
        _write_json(self.session_path(name), {**session.to_dict(), "name": name})
        marker = self.marker_path(name)
        if follow:
            write_private(marker, (generation(session) + "\n").encode())
        else:
            try:
                os.unlink(marker)
            except FileNotFoundError:
                pass
            except OSError as err:
                raise MfaEnvError(f"cannot remove {marker}: {err.strerror}") from None

    def session_made(self, name: str) -> float | None:
        """When the session cached as ``name`` was written (epoch), or None."""
        try:
            return os.lstat(self.session_path(name)).st_mtime
        except OSError:
            return None

    def marker_path(self, name: str) -> str:
        """The file a shell's prompt hook reads to see that ``name`` has a new session."""
        return os.path.join(self.root, "sessions", file_name(name) + ".gen")

    def marker_name(self, path: str) -> str | None:
        """The cache name whose marker is ``path``; None for a path that is not one."""
        head, tail = os.path.split(path)
        if head != os.path.join(self.root, "sessions") or not tail.endswith(".gen"):
            return None
        return name_of_file(tail[: -len(".gen")])

    def session_names(self) -> list[str]:
        """The names of the sessions in the cache (their files may still be untrusted)."""
        try:
            files = os.listdir(os.path.join(self.root, "sessions"))
        except OSError:
            return []
        names = (name_of_file(f[: -len(".json")]) for f in files if f.endswith(".json"))
        return sorted(name for name in names if name is not None)

    # --- MFA serials ---------------------------------------------------------

    def _lenient(self, name: str) -> dict[str, Any]:
        """A small index file; a damaged one is ignored (it only saves an AWS call)."""
        try:
            data = _read_json(os.path.join(self.root, name))
        except UntrustedFile as err:
            debug(str(err))
            return {}
        return data if isinstance(data, dict) else {}

    def serial_for(self, key_fingerprint: str) -> SerialRecord | None:
        entry = self._lenient("serials.json").get(key_fingerprint)
        if isinstance(entry, dict):
            serial, arn = entry.get("serial"), entry.get("arn")
            if isinstance(serial, str) and isinstance(arn, str):
                return SerialRecord(serial, arn)
        return None

    def remember_serial(self, key_fingerprint: str, record: SerialRecord) -> None:
        data = self._lenient("serials.json")
        data[key_fingerprint] = {"serial": record.serial, "arn": record.arn}
        _write_json(os.path.join(self.root, "serials.json"), data)

    # --- codes AWS has accepted -----------------------------------------------

    @staticmethod
    def _code_digest(salt: str, serial: str, code: str) -> str:
        import hashlib

        return hashlib.sha256(f"{salt}\0{serial}\0{code}".encode()).hexdigest()

    def code_was_used(self, serial: str, code: str, since: float) -> int | None:
        """When AWS accepted this very code for ``serial`` (epoch), if after ``since``."""
        import hmac

        for entry in _code_entries(self._lenient("used-codes.json").get(serial)):
            at, digest, salt = entry.get("at"), entry.get("digest"), entry.get("salt")
            if not (isinstance(at, int) and isinstance(digest, str) and isinstance(salt, str)):
                continue
            if at >= since and hmac.compare_digest(digest, self._code_digest(salt, serial, code)):
                return at
        return None

    def last_code_at(self, serial: str) -> int | None:
        """When AWS last accepted a code for ``serial`` (epoch), as remembered."""
        times: list[int] = []
        for entry in _code_entries(self._lenient("used-codes.json").get(serial)):
            when = entry.get("at")
            if isinstance(when, int):
                times.append(when)
        return max(times) if times else None

    def remember_code(self, serial: str, code: str, at: int) -> None:
        """Remember that AWS accepted ``code`` for ``serial`` at ``at``, beside the other
        codes it accepted in the last CODES_KEPT_FOR seconds (a salted digest each, never
        the code): every one of them is refused again, not only the last."""
        salt = os.urandom(16).hex()
        data = self._lenient("used-codes.json")
        recent = []
        for entry in _code_entries(data.get(serial)):
            when = entry.get("at")
            if isinstance(when, int) and when >= at - CODES_KEPT_FOR:
                recent.append(entry)
        recent.append({"at": at, "salt": salt, "digest": self._code_digest(salt, serial, code)})
        data[serial] = recent[-CODES_KEPT:]
        _write_json(os.path.join(self.root, "used-codes.json"), data)


def _code_entries(value: object) -> list[dict[str, object]]:
    """The remembered codes of one device: a list of entries (a single entry, as older
    versions wrote it, is a list of one); anything else is none."""
    entries = value if isinstance(value, list) else [value]
    return [entry for entry in entries if isinstance(entry, dict)]
