"""Session state in the XDG cache: private files, written atomically, never trusted blindly.

Layout under ``platformdirs.user_cache_dir("mfaenv")`` (``$XDG_CACHE_HOME/mfaenv``)::

    sessions/<name>.json      session credentials of one profile, or of a role assumed
                              from it ad hoc (never long-lived keys)
    serials.json              discovered MFA serial per long-lived key (by fingerprint)
    used-codes.json           when a code was last accepted per device (a salted digest)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mfaenv.errors import MfaEnvError, debug
from mfaenv.session import Session

# A session this close to its end is not handed out again.
REUSE_MARGIN = 5 * 60
# How long a refresh waits for another one (perhaps at a prompt in another terminal).
LOCK_TIMEOUT = 90


class UntrustedFile(MfaEnvError):
    """A cache or secret file that exists but must not be used."""


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mfaenv", appauthor=False))


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) 0700, or tighten it if it is ours; refuse a foreign one."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise MfaEnvError(f"{path} is not a directory")
    if info.st_uid != os.getuid():
        raise MfaEnvError(f"{path} belongs to another user; refusing to keep credentials there")
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes, *, own_directory: bool = True) -> None:
    """Write ``data`` to ``path`` as 0600 through a temporary file and an atomic rename.

    With ``own_directory`` the directory is mfaenv's and is made (or kept) 0700; a file
    the user placed in a directory of their own leaves that directory as it is.
    """
    if own_directory:
        private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def read_private(path: Path) -> bytes | None:
    """The bytes of a file only we can read and write; None if it does not exist.

    Raises ``UntrustedFile`` for a link, another user's file, or one that group or
    others may read or write.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UntrustedFile(f"{path} is a symbolic link") from None
        raise UntrustedFile(f"cannot read {path}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISREG(info.st_mode):
            raise UntrustedFile(f"{path} is not a regular file")
        if info.st_uid != os.getuid():
            raise UntrustedFile(f"{path} belongs to another user")
        if mode & 0o077:
            raise UntrustedFile(
                f"{path} is open to other users (mode {mode:04o}) "
                f"(remove it, or run `chmod 600 {path}` if you trust it)"
            )
        return handle.read()


def _read_json(path: Path) -> Any:
    """JSON from a private file; None when missing. UntrustedFile if unreadable or damaged."""
    raw = read_private(path)
    if raw is None:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        raise UntrustedFile(f"{path} is damaged (not valid JSON)") from None


def _write_json(path: Path, data: Any) -> None:
    write_private(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


@dataclass(frozen=True)
class SerialRecord:
    serial: str
    arn: str


class Cache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_dir()

    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """One refresh at a time across processes: a lock on the cache directory itself,
        so taking it creates no file."""
        fd = os.open(private_dir(self.root), os.O_RDONLY)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise MfaEnvError(
                            f"another mfaenv has been getting a session for {timeout:.0f}s; "
                            "try again when it is done"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # --- sessions ------------------------------------------------------------

    def session_path(self, name: str) -> Path:
        return self.root / "sessions" / (quote(name, safe="") + ".json")

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

    def reusable_session(self, name: str, now: float) -> Session | None:
        session = self.load_session(name)
        if session is None:
            return None
        if session.expires_epoch - now <= REUSE_MARGIN:
            debug(f"cached session of {name} ends within {REUSE_MARGIN // 60} minutes")
            return None
        return session

    def save_session(self, session: Session, name: str | None = None) -> None:
        """Keep ``session`` as ``name`` (default: its profile)."""
        name = name if name is not None else session.profile
        _write_json(self.session_path(name), {**session.to_dict(), "name": name})

    # --- MFA serials ---------------------------------------------------------

    def _lenient(self, name: str) -> dict[str, Any]:
        """A small index file; a damaged one is ignored (it only saves an AWS call)."""
        try:
            data = _read_json(self.root / name)
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
        _write_json(self.root / "serials.json", data)

    # --- codes AWS has accepted -----------------------------------------------

    @staticmethod
    def _code_digest(salt: str, serial: str, code: str) -> str:
        return hashlib.sha256(f"{salt}\0{serial}\0{code}".encode()).hexdigest()

    def code_was_used(self, serial: str, code: str, since: float) -> int | None:
        """When AWS accepted this very code for ``serial`` (epoch), if after ``since``."""
        entry = self._lenient("used-codes.json").get(serial)
        if not isinstance(entry, dict):
            return None
        at, digest, salt = entry.get("at"), entry.get("digest"), entry.get("salt")
        if not (isinstance(at, int) and isinstance(digest, str) and isinstance(salt, str)):
            return None
        if at >= since and secrets.compare_digest(digest, self._code_digest(salt, serial, code)):
            return at
        return None

    def remember_code(self, serial: str, code: str, at: int) -> None:
        salt = secrets.token_hex(16)
        data = self._lenient("used-codes.json")
        data[serial] = {"at": at, "salt": salt, "digest": self._code_digest(salt, serial, code)}
        _write_json(self.root / "used-codes.json", data)
