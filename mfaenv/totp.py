"""Where a TOTP code comes from when the user does not type one.

A source is written ``pass:ENTRY`` (the pass-otp extension), ``file:PATH`` (a base32
secret or an ``otpauth://totp/`` URI) or ``command:PROGRAM ARGS...`` (any program that
prints a code). Programs run from an argument list, never a shell; neither secrets nor
codes go into a child's arguments, an error message or a file.
"""

from __future__ import annotations

import os

from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pyotp import TOTP

PERIOD = 30  # AWS virtual MFA devices: 30-second steps
PASS_TIMEOUT = 60  # gpg may wait for a passphrase
COMMAND_TIMEOUT = 60  # a hardware key may wait for a touch
CODE_LENGTH = 6
KINDS = ("pass", "file", "command")


def is_code(text: str) -> bool:
    """Exactly six ASCII digits."""
    return len(text) == CODE_LENGTH and text.isascii() and text.isdigit()


def check_code(text: str) -> str:
    """``text`` if it is an MFA code; the one message for anything else."""
    if not is_code(text):
        raise MfaEnvError("an MFA code is exactly 6 digits", exit_code=2)
    return text


class Source:
    """Where codes come from: ``kind`` is pass, file or command; ``target`` the entry,
    the path, or the command line; ``origin`` names a command in messages where it is not
    the mfaenv config's (``mfa_process of profile 'alice'``)."""

    __slots__ = ("kind", "origin", "target")

    def __init__(self, kind: str, target: str, origin: str | None = None) -> None:
        self.kind = kind
        self.target = target
        self.origin = origin

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Source):
            return NotImplemented
        return (self.kind, self.target) == (other.kind, other.target)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Source({self.kind!r}, {self.target!r})"

    @classmethod
    def parse(cls, spec: str) -> Source:
        kind, sep, target = spec.partition(":")
        if not sep or kind not in KINDS or not target.strip():
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
            return str(_totp_from_file(os.path.expanduser(self.target)).at(now))
        return _from_command(self.target, self.origin)

    def period(self) -> int:
        if self.kind == "file":
            return int(_totp_from_file(os.path.expanduser(self.target)).interval)
        return PERIOD


def _child_env() -> dict[str, str]:
    from mfaenv.children import child_environment

    return child_environment()


def _no_terminal() -> bool:
    """Whether a source must run with no terminal: MFAENV_NO_PROMPT=1, as background
    renewal sets it. The program then gets stdin from /dev/null and a session of its own
    (no controlling terminal, so /dev/tty cannot be opened); see _pass_env for gpg."""
    return os.environ.get("MFAENV_NO_PROMPT") == "1"


def _pass_env() -> dict[str, str]:
    """The environment of ``pass otp``. With no terminal, gpg-agent must not start a
    pinentry: it would draw on the terminal GPG_TTY names (or on the agent's startup
    terminal, or open a window) and read the user's keystrokes while they type at their
    prompt. ``--pinentry-mode=error`` makes gpg ask the agent for no passphrase at all:
    a cached one still works, else decryption fails at once."""
    env = _child_env()
    if _no_terminal():
        env.pop("GPG_TTY", None)
        options = env.get("PASSWORD_STORE_GPG_OPTS", "")
        env["PASSWORD_STORE_GPG_OPTS"] = f"{options} --pinentry-mode=error".strip()
    return env


def _checked(code: str, where: str) -> str:
    code = code.strip()
    if not is_code(code):
        raise MfaEnvError(f"{where} did not print a 6-digit code")
    return code


def _from_pass(entry: str) -> str:
    import subprocess

    try:
        result = subprocess.run(  # noqa: S603 - fixed program, no shell
            ["pass", "otp", entry],  # noqa: S607 - pass is found on PATH, as the user runs it
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PASS_TIMEOUT,
            env=_pass_env(),
            check=False,
            start_new_session=_no_terminal(),
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
    if "decryption failed" in err and _no_terminal() and _has_secret_key():
        raise MfaEnvError(
            f"pass entry {entry!r} needs your gpg passphrase, which is not asked for without "
            f"a terminal: type `mfa CODE` with a code from your device, or unlock gpg-agent "
            f"with `pass otp {entry} >/dev/null`"
        )
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


def _has_secret_key() -> bool:
    """Whether gpg has a secret key at all: with none, decryption failed for want of the
    key, not of its passphrase (gpg says "No secret key" for both when it may not ask)."""
    import subprocess

    try:
        listing = subprocess.run(
            ["gpg", "--batch", "--with-colons", "--list-secret-keys"],  # noqa: S607 - as pass
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PASS_TIMEOUT,
            env=_pass_env(),
            check=False,
            start_new_session=True,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(row.startswith("sec:") for row in listing.splitlines())


def _from_command(line: str, origin: str | None = None) -> str:
    import shlex
    import subprocess

    what = origin or "the TOTP command"
    try:
        argv = shlex.split(line)
    except ValueError as err:
        raise MfaEnvError(f"cannot read {what} {line!r}: {err}") from None
    name = argv[0] if argv else line
    if not argv:
        raise MfaEnvError(f"{what} is empty")
    what = f"{origin} ({name!r})" if origin else f"the TOTP command {name!r}"
    try:
        result = subprocess.run(  # noqa: S603 - the user's own program, no shell
            argv,
            stdin=subprocess.DEVNULL if _no_terminal() else None,
            stdout=subprocess.PIPE,
            stderr=None,  # its messages (touch your key, ...) reach the user as they are
            text=True,
            timeout=COMMAND_TIMEOUT,
            env=_child_env(),
            check=False,
            start_new_session=_no_terminal(),
        )
    except FileNotFoundError:
        raise MfaEnvError(f"cannot run {what}: not found") from None
    except PermissionError:
        raise MfaEnvError(f"cannot run {what}: permission denied") from None
    except subprocess.TimeoutExpired:
        raise MfaEnvError(f"{what} did not finish within {COMMAND_TIMEOUT}s") from None
    if result.returncode != 0:
        if _no_terminal():
            raise MfaEnvError(
                f"{what} failed with status {result.returncode}, run with no terminal (as "
                "mfaenv runs it where it may not ask): type `mfa CODE` with a code from your "
                "device"
            )
        raise MfaEnvError(f"{what} failed with status {result.returncode}")
    return _checked(result.stdout, what)


def _totp_from_file(path: str) -> TOTP:
    import pyotp

    from mfaenv.files import read_private

    raw = read_private(path, "the TOTP secret file", follow=True)
    if raw is None:
        raise MfaEnvError(f"cannot read the TOTP secret file {path}: No such file or directory")
    text = raw.decode("utf-8", "replace").strip()
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
