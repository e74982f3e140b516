"""Where a TOTP code comes from when the user does not type one.

A source is written ``pass:ENTRY`` (the pass-otp extension), ``file:PATH`` (a base32
secret or an ``otpauth://totp/`` URI) or ``command:PROGRAM ARGS...`` (any program that
prints a code). Programs run from an argument list, never a shell; neither secrets nor
codes go into a child's arguments, an error message or a file.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mfaenv.errors import MfaEnvError

if TYPE_CHECKING:
    from pyotp import TOTP

PERIOD = 30  # AWS virtual MFA devices: 30-second steps
PASS_TIMEOUT = 60  # gpg may wait for a passphrase
COMMAND_TIMEOUT = 60  # a hardware key may wait for a touch
_CODE = re.compile(r"[0-9]{6}")

# Variables a code source never needs: it gets no AWS credentials.
_SCRUBBED = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "__MFAENV_STASH",
)


@dataclass(frozen=True)
class Source:
    kind: str  # pass, file or command
    target: str  # the entry, the path, or the command line

    @classmethod
    def parse(cls, spec: str) -> Source:
        kind, sep, target = spec.partition(":")
        if not sep or kind not in ("pass", "file", "command") or not target.strip():
            raise MfaEnvError(
                f"cannot read TOTP source {spec!r}: "
                "use pass:ENTRY, file:PATH or command:PROGRAM ARGS"
            )
        return cls(kind, target.strip())

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"

    def read(self, now: float) -> str:
        """A code for ``now`` (file) or for the moment the program runs (pass, command)."""
        if self.kind == "pass":
            return _from_pass(self.target)
        if self.kind == "file":
            return _totp_from_file(Path(self.target).expanduser()).at(now)
        return _from_command(self.target)

    def period(self) -> int:
        if self.kind == "file":
            return int(_totp_from_file(Path(self.target).expanduser()).interval)
        return PERIOD


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _SCRUBBED}


def _checked(code: str, where: str) -> str:
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise MfaEnvError(f"{where} did not print a 6-digit code")
    return code


def _from_pass(entry: str) -> str:
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, no shell
            ["pass", "otp", entry],  # noqa: S607 - pass is found on PATH, as the user runs it
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PASS_TIMEOUT,
            env=_child_env(),
            check=False,
        )
    except FileNotFoundError:
        raise MfaEnvError(
            "pass is not installed (the TOTP source is pass:ENTRY); install pass and its otp "
            "extension, or choose another source"
        ) from None
    except subprocess.TimeoutExpired:
        raise MfaEnvError(f"pass otp {entry} did not finish within {PASS_TIMEOUT}s") from None
    if result.returncode == 0:
        return _checked(result.stdout, f"pass otp {entry}")
    err = result.stderr
    if "otp is not in the password store" in err:
        raise MfaEnvError(
            "pass has no otp extension; install pass-otp (Debian: pass-extension-otp)"
        )
    if "passfile not found" in err or "is not in the password store" in err:
        raise MfaEnvError(f"pass has no entry {entry!r}; add it with `pass otp insert {entry}`")
    if "decryption failed" in err or "gpg:" in err:
        reason = next((line for line in err.splitlines() if line.startswith("gpg:")), "")
        raise MfaEnvError(
            f"gpg could not decrypt pass entry {entry!r} ({reason.removeprefix('gpg: ')}); "
            "is your key present and gpg-agent unlocked?"
        )
    if "OTP secret not found" in err:
        raise MfaEnvError(
            f"pass entry {entry!r} holds no otpauth:// URI; add one with `pass otp append {entry}`"
        )
    raise MfaEnvError(f"pass otp {entry} failed with status {result.returncode}")


def _from_command(line: str) -> str:
    try:
        argv = shlex.split(line)
    except ValueError as err:
        raise MfaEnvError(f"cannot read the TOTP command {line!r}: {err}") from None
    name = argv[0] if argv else line
    try:
        result = subprocess.run(  # noqa: S603 - the user's own program, no shell
            argv,
            stdout=subprocess.PIPE,
            stderr=None,  # its messages (touch your key, ...) reach the user as they are
            text=True,
            timeout=COMMAND_TIMEOUT,
            env=_child_env(),
            check=False,
        )
    except FileNotFoundError:
        raise MfaEnvError(f"cannot run the TOTP command {name!r}: not found") from None
    except PermissionError:
        raise MfaEnvError(f"cannot run the TOTP command {name!r}: permission denied") from None
    except subprocess.TimeoutExpired:
        raise MfaEnvError(
            f"the TOTP command {name!r} did not finish within {COMMAND_TIMEOUT}s"
        ) from None
    if result.returncode != 0:
        raise MfaEnvError(f"the TOTP command {name!r} failed with status {result.returncode}")
    return _checked(result.stdout, f"the TOTP command {name!r}")


def _totp_from_file(path: Path) -> TOTP:
    import pyotp

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as err:
        raise MfaEnvError(f"cannot read the TOTP secret file {path}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid():
            raise MfaEnvError(f"the TOTP secret file {path} belongs to another user")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise MfaEnvError(
                f"the TOTP secret file {path} is open to other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
            )
        text = handle.read().decode("utf-8", "replace").strip()
    try:
        if text.startswith("otpauth://"):
            otp = pyotp.parse_uri(text)
            if not isinstance(otp, pyotp.TOTP):
                raise ValueError("not a totp URI")
        else:
            otp = pyotp.TOTP(text.replace(" ", "").upper())
        otp.at(0)  # decodes the secret: a bad one fails here, not later
    except Exception:  # noqa: BLE001 - pyotp raises many kinds; none may echo the secret
        raise MfaEnvError(
            f"{path} holds neither a base32 secret nor an otpauth://totp/ URI"
        ) from None
    if otp.digits != 6:
        raise MfaEnvError(f"{path} makes {otp.digits}-digit codes; AWS takes 6 digits")
    return otp


def terminal_available() -> bool:
    """Whether a code can be asked for: a terminal, and MFAENV_NO_PROMPT not set."""
    if os.environ.get("MFAENV_NO_PROMPT") == "1":
        return False
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def ask_terminal(serial: str, what: str = "MFA code") -> str | None:
    """Ask for a code on the terminal (never stdout, which the shell evals); None if none."""
    if os.environ.get("MFAENV_NO_PROMPT") == "1":
        return None
    line = talk_to_terminal(f"mfaenv: {what} for {serial}: ", answer=True)
    if line is None:
        return None
    if not line:
        raise MfaEnvError("no code was typed")
    code = line.strip()
    if not _CODE.fullmatch(code):
        raise MfaEnvError("an MFA code is exactly 6 digits", exit_code=2)
    return code


def talk_to_terminal(text: str, *, answer: bool = False) -> str | None:
    """Show ``text`` on the terminal and, with ``answer``, read a line; None: no terminal.

    For what must never reach stdout or a log: prompts, secrets to scan or store.
    """
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    with open(fd, "r+b", buffering=0) as tty:  # noqa: PTH123 - a terminal, not a path
        tty.write(text.encode())
        return tty.readline().decode("utf-8", "replace") if answer else ""


def wait_for_next_step(period: int, why: str = "that code was used already") -> None:
    """Wait out the current time step, with a one-line countdown on stderr."""
    now = time.time()
    deadline = now + period - now % period
    if not sys.stderr.isatty():
        left = deadline - time.time()
        sys.stderr.write(f"mfaenv: {why}; waiting {left:.0f}s for the next code\n")
        time.sleep(max(left, 0))
        return
    while (left := deadline - time.time()) > 0:
        sys.stderr.write(f"\rmfaenv: {why}; next code in {left:2.0f}s ")
        sys.stderr.flush()
        time.sleep(min(left, 1.0))
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()
