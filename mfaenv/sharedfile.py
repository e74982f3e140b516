"""Rewriting a file other programs write too (the AWS files): nothing of theirs is lost.

- Among mfaenv processes: one lock per file (``flock`` on a lock file in mfaenv's own
  cache folder, named after the file's resolved path), held around read, change and
  write. Not beside the file: a link and its target, or two links to one dotfile, would
  get two locks, and a lock file would show up in the user's dotfiles repository.
- Against programs that take no lock (``aws configure set``, editors, aws-mfa): the
  change is computed from what was read, and the file replaced only while it is still
  exactly that (same inode, size, mtime and bytes) and not being written right now: no
  process has it open for writing (Linux tells, through a read lease), and it has been
  unchanged for ``QUIET`` seconds if it was written that recently (unless it is the file
  the last mfaenv renamed into place, as the lock file says). Otherwise it is
  read again and the change redone, up to ``TRIES`` times; then one line, nothing written.
- Links: the file behind a symbolic link is replaced, the link stays a link. The new
  file keeps the old one's mode (0600 for a new file).
- Temporary files sit beside the file, 0600, and are removed on every failure; those
  a killed mfaenv left are removed by the next write of the same file (under its lock,
  no other mfaenv can be writing them).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError
from mfaenv.files import RemovedOnFailure, remove_left_temps, unlink_quietly, write_temp

TRIES = 8
QUIET = 0.1  # a file written less than this long ago may still be being written
LOCK_WAIT = 15.0  # how long another mfaenv may hold the lock before we give up
LOCK_POLL = 0.02
TEMP_TAG = ".mfaenv-"


@dataclass(frozen=True)
class Seen:
    """A file as read: enough to tell whether it is still the same file, unchanged."""

    key: tuple[int, int, int, int]  # device, inode, size, mtime in ns
    mode: int
    data: bytes

    @property
    def mtime(self) -> float:
        return self.key[3] / 1e9


def target_of(path: str) -> str:
    """The file a (chain of) symbolic link(s) points at; ``path`` itself otherwise."""
    return os.path.realpath(path)


def _snapshot(target: str, path: str) -> Seen | None:
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise MfaEnvError(f"cannot read {path}: {err.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise MfaEnvError(f"{path} is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read()
        after = os.fstat(handle.fileno())
    key = (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns)
    if (info.st_size, info.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
        key = (after.st_dev, after.st_ino, -1, -1)  # written while read: never "the same"
    return Seen(key, stat.S_IMODE(after.st_mode), data)


def check_writable(path: str) -> None:
    """Refuse a file mfaenv could not replace (before a code is spent)."""
    target = target_of(path)
    directory = os.path.dirname(target) or "."
    while not os.path.isdir(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    if not os.access(directory, os.W_OK | os.X_OK):
        raise MfaEnvError(f"cannot write {path}: its folder {directory} is not writable")
    if os.path.lexists(target) and not os.path.isfile(target):
        raise MfaEnvError(f"{path} is not a regular file")


def update(
    path: str, change: Callable[[bytes | None], bytes | None], clock: Clock | None = None
) -> None:
    """Replace ``path`` (its target, behind links) with ``change(its bytes)`` (None for a
    missing file; a None result writes nothing), redone on the file as it is now while
    another program changes it."""
    clock = clock or SYSTEM
    target = target_of(path)
    directory = os.path.dirname(target) or "."
    if not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o700)
        except OSError as err:
            raise MfaEnvError(f"cannot create {directory}: {err.strerror}") from None
    with _locked(target, path, clock) as lock:
        _remove_temps(target)
        for _ in range(TRIES):
            seen = _snapshot(target, path)
            if not _settled(target, path, seen, _last_written(lock), clock):
                continue
            data = change(seen.data if seen is not None else None)
            if data is None:
                return
            if _replace(target, path, data, seen):
                _remember_written(lock, target)
                return
        raise MfaEnvError(
            f"{path} kept changing while mfaenv was updating it (another program is writing "
            "it); nothing written: try again"
        )


def read_settled(
    path: str, clock: Clock | None = None, *, tries: int | None = None
) -> bytes | None:
    """The bytes of ``path`` (None: no such file), read when nobody is writing it: a file
    written less than ``QUIET`` ago is read again until it stays the same that long (up
    to ``tries`` times; 0: read once)."""
    clock = clock or SYSTEM
    target = target_of(path)
    seen = _snapshot(target, path)
    for _ in range(TRIES if tries is None else tries):
        if _settled(target, path, seen, _last_written_by_path(target), clock):
            break
        seen = _snapshot(target, path)
    return seen.data if seen is not None else None


def _settled(target: str, path: str, seen: Seen | None, by_mfaenv: object, clock: Clock) -> bool:
    """Whether nobody is writing ``seen`` right now: no other process has it open for
    writing (where the system can tell), and one written less than ``QUIET`` ago (not
    the file the last mfaenv renamed into place, ``by_mfaenv``) stays the same that long.
    False after a wait of ``QUIET``: read it again."""
    if seen is None:
        return True
    if _open_for_writing(target):
        clock.sleep(QUIET)
        return False
    if clock.now() - seen.mtime >= QUIET or by_mfaenv == seen.key:
        return True
    clock.sleep(QUIET)
    return _snapshot(target, path) == seen and not _open_for_writing(target)


def _open_for_writing(target: str) -> bool:
    """Whether a process has ``target`` open for writing. Linux tells: a read lease cannot
    be taken on such a file (the lease is dropped at once; a process opening the file
    meanwhile waits those microseconds). Elsewhere, or where leases do not work: False,
    and the quiet time alone decides."""
    import fcntl
    import signal
    import threading

    setlease = getattr(fcntl, "F_SETLEASE", None)
    if setlease is None or threading.current_thread() is not threading.main_thread():
        return False
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False
    # Breaking our lease would send SIGIO, whose default is to end the process.
    previous = signal.signal(signal.SIGIO, signal.SIG_IGN)
    try:
        fcntl.fcntl(fd, setlease, fcntl.F_RDLCK)
    except OSError as err:
        return err.errno == errno.EAGAIN
    else:
        fcntl.fcntl(fd, setlease, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)
        signal.signal(signal.SIGIO, previous if previous is not None else signal.SIG_DFL)


def _replace(target: str, path: str, data: bytes, seen: Seen | None) -> bool:
    """Write ``data`` beside ``target`` and rename it over ``target``, unless the file is
    no longer ``seen`` (then False, nothing written)."""
    head, name = os.path.split(target)
    temp = os.path.join(head, f".{name}{TEMP_TAG}{os.getpid()}-{os.urandom(4).hex()}.tmp")
    write_temp(temp, data, path, seen.mode if seen is not None else 0o600)
    with RemovedOnFailure(temp, path):
        if _snapshot(target, path) != seen or _open_for_writing(target):
            unlink_quietly(temp)
            return False
        os.replace(temp, target)  # the folder is not synced: write_private does not either
    return True


def _remove_temps(target: str) -> None:
    """Remove the temporary files of ``target`` a killed mfaenv left (they may hold keys):
    this version's, and the ``.NAME.PID-HEX.tmp`` of earlier ones."""
    head, name = os.path.split(target)
    ours = re.compile(re.escape(f".{name}") + r"(\.mfaenv-|\.)\d+-[0-9a-f]{8}\.tmp\Z")
    remove_left_temps(head, lambda found, _info: ours.match(found) is not None)


def _last_written(lock: int) -> tuple[int, int, int, int] | None:
    """What the last mfaenv wrote, as the lock file says: a file mfaenv renamed into place
    is whole, however recent its mtime."""
    try:
        words = os.pread(lock, 100, 0).decode("ascii").split()
        device, inode, size, mtime = (int(word) for word in words)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return device, inode, size, mtime


def _last_written_by_path(target: str) -> tuple[int, int, int, int] | None:
    try:
        fd = os.open(_lock_path(target), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return _last_written(fd)
    finally:
        os.close(fd)


def _lock_path(target: str) -> str:
    """The lock file of ``target``: in mfaenv's cache (the sandbox's own, in a sandbox shell,
    whose AWS files are its own too), named after the resolved path."""
    from mfaenv.paths import cache_dir

    name = hashlib.sha256(os.fsencode(target)).hexdigest()[:32] + ".lock"
    return os.path.join(cache_dir(), "locks", name)


def _remember_written(lock: int, target: str) -> None:
    try:
        info = os.stat(target)
        line = f"{info.st_dev} {info.st_ino} {info.st_size} {info.st_mtime_ns}"
        os.pwrite(lock, f"{line:<99}\n".encode("ascii"), 0)  # one width: no truncate
    except OSError:
        pass


@contextmanager
def _locked(target: str, path: str, clock: Clock) -> Iterator[int]:
    import fcntl

    from mfaenv.files import private_dir

    lock = _lock_path(target)
    private_dir(os.path.dirname(lock))
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as err:
        raise MfaEnvError(f"cannot lock {path}: {err.strerror}") from None
    try:
        deadline = clock.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise MfaEnvError(f"cannot lock {path}: {err.strerror}") from None
            if clock.monotonic() >= deadline:
                raise MfaEnvError(
                    f"another mfaenv has been writing {path} for {LOCK_WAIT:.0f}s; nothing "
                    "written: try again"
                )
            clock.sleep(LOCK_POLL)
        yield fd
    finally:
        os.close(fd)  # releases the lock
