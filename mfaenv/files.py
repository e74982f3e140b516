"""How a file that holds secrets is read and written (where mfaenv keeps them:
``mfaenv.paths``).

Private files: created 0600 through a temporary name and an atomic rename, in
directories created 0700 whatever the umask; read only when they are regular files of
ours that nobody else may read or write, checked before any open that could block.
"""

from __future__ import annotations

import errno
import os
import stat

from mfaenv.errors import MfaEnvError, debug

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from os import PathLike

    StrPath = str | PathLike[str]

# A temporary file older than this was left by a killed mfaenv: remove it.
STALE_TEMP_SECONDS = 600


class UntrustedFile(MfaEnvError):
    """A cache or secret file that exists but must not be used."""


def private_dir(path: StrPath) -> str:
    """Create ``path`` 0700 (and any missing parent, also 0700, whatever the umask), or
    tighten it if it is ours; refuse one that is not a directory or is another user's.
    A symbolic link to a directory of ours is that directory."""
    path = os.fspath(path)
    missing = []
    here = os.path.abspath(path)
    while not os.path.lexists(here):
        missing.append(here)
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as err:
            raise MfaEnvError(f"cannot create {directory}: {err.strerror}") from None
        else:
            os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask; 0700 is not
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):  # a folder kept elsewhere (dotfiles): its target
            info = os.stat(path)
    except OSError as err:
        raise MfaEnvError(f"cannot use {path}: {err.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise MfaEnvError(f"{path} is not a directory")
    if info.st_uid != os.getuid():
        raise MfaEnvError(f"{path} belongs to another user; refusing to keep credentials there")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


# What _temp_name adds to a file name, at most: ".", ".PID" (Linux: up to 4194304),
# "-" and 8 hex digits, ".tmp".
TEMP_NAME_EXTRA = len("..4194304-01234567.tmp")


def _temp_name(path: str) -> str:
    head, name = os.path.split(path)
    return os.path.join(head, f".{name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")


def remove_stale_temps(directory: str, now: float) -> None:
    """Remove temporary files a killed mfaenv left behind (they may hold credentials)."""
    remove_left_temps(
        directory,
        lambda name, info: (
            name.startswith(".")
            and name.endswith(".tmp")
            and now - info.st_mtime > STALE_TEMP_SECONDS
        ),
    )


def remove_left_temps(directory: str, left: Callable[[str, os.stat_result], bool]) -> None:
    """Remove the files of ``directory`` that are ours and that ``left(name, lstat)`` calls
    temporary files a killed mfaenv left behind."""
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
            if info.st_uid == os.getuid() and left(name, info):
                os.unlink(path)
                debug(f"removed {path}, left by an mfaenv that was stopped while writing")
        except OSError:
            continue


def write_temp(temp: str, data: bytes, path: str, mode: int = 0o600) -> None:
    """Write ``data`` into the new file ``temp`` (mode ``mode``, on disk when this returns),
    to be renamed over ``path`` by the caller; on failure it is removed, and the error names
    ``path``."""
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as err:
        raise MfaEnvError(f"cannot write {path}: {err.strerror}") from None
    with RemovedOnFailure(temp, path), os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        if mode != 0o600:
            os.fchmod(handle.fileno(), mode)


class RemovedOnFailure:
    """``with RemovedOnFailure(temp, path):`` whatever fails inside removes the temporary
    file ``temp``, and an OSError becomes one line that names ``path``. (A class of its
    own, not contextlib: this module is on the hot paths.)"""

    def __init__(self, temp: str, path: str) -> None:
        self.temp, self.path = temp, path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if error is not None:
            unlink_quietly(self.temp)
            if isinstance(error, OSError):
                raise MfaEnvError(f"cannot write {self.path}: {error.strerror}") from None


def write_private(path: StrPath, data: bytes, *, own_directory: bool = True) -> None:
    """Write ``data`` to ``path`` as 0600 through a temporary file and an atomic rename.

    With ``own_directory`` the directory is mfaenv's and is made (or kept) 0700; a file
    the user placed in a directory of their own leaves that directory as it is.
    """
    path = os.fspath(path)
    if own_directory:
        private_dir(os.path.dirname(path) or ".")
    temp = _temp_name(path)
    write_temp(temp, data, path)
    with RemovedOnFailure(temp, path):
        os.replace(temp, path)


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def check_private(info: os.stat_result, path: str, what: str = "") -> None:
    """Refuse a file that is not regular, not ours, or open to group or others.

    ``what`` names the file for the user (``the TOTP secret file``); the cache's own
    files go by their path alone.
    """
    label = f"{what} {path}" if what else path
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedFile(f"{label} is not a regular file")
    if info.st_uid != os.getuid():
        raise UntrustedFile(f"{label} belongs to another user")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise UntrustedFile(
            f"{label} is open to other users (mode {mode:04o}); run `chmod 600 {path}`"
        )


def read_private(path: StrPath, what: str = "", *, follow: bool = False) -> bytes | None:
    """The bytes of a file only we can read and write; None if it does not exist.

    Raises ``UntrustedFile`` for a link (unless ``follow``: a secret file of the user's
    own may be a link), a FIFO or other non-regular file, another user's file, or one
    that group or others may read or write. The type is checked before the file is
    opened, so a FIFO planted in its place cannot block us.
    """
    path = os.fspath(path)
    label = f"{what} {path}" if what else path
    try:
        before = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise UntrustedFile(f"cannot read {label}: {err.strerror}") from None
    if stat.S_ISLNK(before.st_mode):
        raise UntrustedFile(f"{label} is a symbolic link")
    check_private(before, path, what)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW))
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UntrustedFile(f"{label} is a symbolic link") from None
        raise UntrustedFile(f"cannot read {label}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
            raise UntrustedFile(f"{label} changed while it was read")
        check_private(info, path, what)
        return handle.read()
