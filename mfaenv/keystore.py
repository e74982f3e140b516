"""Long-lived keys kept encrypted at rest: ``keys = "pass:ENTRY"`` in the mfaenv config.

As aws-vault's pass backend does, the key pair lives in the user's pass store (gpg), not
in the plain-text credentials file. An entry reads, in pass's own convention (the first
line is the secret, then ``name: value`` lines)::

    wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    aws_access_key_id: AKIAIOSFODNN7EXAMPLE

The secret goes to pass on its standard input, never in its arguments; pass and gpg see
no AWS credentials in their environment. ``mfaenv keys import`` (``mfaenv.keyimport``)
moves a profile's keys from the credentials file into a store.
"""

from __future__ import annotations

import os
import subprocess

from mfaenv.errors import MfaEnvError
from mfaenv.session import Credentials

PASS_TIMEOUT = 60  # gpg may wait for a passphrase


class KeyStore:
    """Where a profile's long-lived key pair is kept: ``pass:ENTRY``, or ``keyring`` (the
    OS keystore through the keyring library: service ``mfaenv``, the profile's name as
    the user name); ``for_profile`` names the keyring item."""

    __slots__ = ("entry", "kind")

    def __init__(self, kind: str, entry: str) -> None:
        self.kind = kind
        self.entry = entry

    @classmethod
    def parse(cls, text: str) -> KeyStore:
        kind, colon, entry = text.partition(":")
        if kind == "keyring" and (not colon or (entry and entry == entry.strip())):
            return cls(kind, entry)
        if kind != "pass" or not entry.strip() or entry != entry.strip():
            raise MfaEnvError(f"unknown key store {text!r}: use pass:ENTRY or keyring", 2)
        return cls(kind, entry)

    def for_profile(self, profile: str) -> KeyStore:
        """The store of ``profile``'s keys: a keyring item is named after it."""
        if self.kind == "keyring" and not self.entry:
            return KeyStore(self.kind, profile)
        return self

    def __str__(self) -> str:
        return f"{self.kind}:{self.entry}" if self.entry else self.kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyStore) and (other.kind, other.entry) == (self.kind, self.entry)

    __hash__ = None  # type: ignore[assignment]

    def read(self) -> Credentials:
        if self.kind == "keyring":
            text = _keyring("get", self.entry)
            if text is None:
                raise MfaEnvError(
                    f"the keyring has no keys for profile {self.entry!r}; `mfaenv keys import "
                    f"--profile {self.entry} --store keyring` puts them there"
                )
            return parse_entry(text, f"keyring:{self.entry}")
        text = _pass(["show", self.entry], None, self.entry)
        return parse_entry(text, self.entry)

    def exists(self) -> bool:
        if self.kind == "keyring":
            return _keyring("get", self.entry) is not None
        from mfaenv.children import pass_store_dir

        return os.path.exists(os.path.join(pass_store_dir(), self.entry + ".gpg"))

    def write(self, credentials: Credentials) -> None:
        text = f"{credentials.secret_access_key}\naws_access_key_id: {credentials.access_key_id}\n"
        if self.kind == "keyring":
            _keyring("set", self.entry, text)
        else:
            _pass(["insert", "--multiline", "--force", self.entry], text, self.entry)

    def remove(self) -> None:
        if self.kind == "keyring":
            _keyring("delete", self.entry)
        else:
            _pass(["rm", "--force", self.entry], None, self.entry)


KEYRING_SERVICE = "mfaenv"


def _keyring(action: str, profile: str, text: str = "") -> str | None:
    """One call to the keyring library, each failure a line of its own."""
    try:
        import keyring
        import keyring.errors
    except ImportError:
        raise MfaEnvError(
            "keys = \"keyring\" needs the keyring library: pip install 'mfaenv[keyring]' (or "
            "pipx inject mfaenv keyring)"
        ) from None
    try:
        if action == "get":
            value = keyring.get_password(KEYRING_SERVICE, profile)
            return value if isinstance(value, str) else None
        if action == "set":
            keyring.set_password(KEYRING_SERVICE, profile, text)
        else:
            keyring.delete_password(KEYRING_SERVICE, profile)
        return None
    except keyring.errors.NoKeyringError:
        raise MfaEnvError(
            "no OS keystore is available to the keyring library (Secret Service, macOS "
            "Keychain, ...); start one, or keep the keys in pass:ENTRY"
        ) from None
    except keyring.errors.KeyringLocked:
        raise MfaEnvError("the keyring is locked; unlock it and try again") from None
    except keyring.errors.KeyringError as err:
        raise MfaEnvError(f"the keyring refused ({type(err).__name__}): {err}") from None


def parse_entry(text: str, entry: str) -> Credentials:
    """The key pair of a pass entry: the first line is the secret, unless a line names
    ``aws_secret_access_key``; ``aws_access_key_id`` is named on a line of its own."""
    lines = text.splitlines()
    values: dict[str, str] = {}
    for line in lines[1:]:
        for separator in (":", "="):
            name, found, value = line.partition(separator)
            if found and name.strip().lower() in ("aws_access_key_id", "aws_secret_access_key"):
                values[name.strip().lower()] = value.strip()
                break
    key = values.get("aws_access_key_id", "")
    secret = values.get("aws_secret_access_key") or (lines[0].strip() if lines else "")
    if not key or not secret:
        raise MfaEnvError(
            f"pass entry {entry!r} holds no AWS key pair (the secret on the first line, and "
            "a line `aws_access_key_id: AKIA...`); `mfaenv keys import` writes one"
        )
    return Credentials(key, secret)


def _pass(words: list[str], stdin: str | None, entry: str) -> str:
    from mfaenv.children import child_environment

    env = child_environment()  # pass and gpg see no AWS credentials
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, no shell, no secret in argv
            ["pass", *words],  # noqa: S607 - pass is found on PATH, as the user runs it
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=PASS_TIMEOUT,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise MfaEnvError(
            f"pass is not installed (the keys are in pass:{entry}); install pass"
        ) from None
    except subprocess.TimeoutExpired:
        raise MfaEnvError(
            f"pass {words[0]} {entry} did not finish within {PASS_TIMEOUT}s"
        ) from None
    if result.returncode == 0:
        return result.stdout
    err = result.stderr
    if "is not in the password store" in err or "passfile not found" in err:
        raise MfaEnvError(
            f"pass has no entry {entry!r} with the long-lived keys; `mfaenv keys import "
            f"--profile PROFILE --store pass:{entry}` puts them there"
        )
    if "decryption failed" in err or "No secret key" in err or "gpg:" in err:
        reason = next((line for line in err.splitlines() if line.startswith("gpg:")), "")
        raise MfaEnvError(
            f"gpg could not decrypt pass entry {entry!r} ({reason.removeprefix('gpg: ')}); "
            "is your key present and gpg-agent unlocked?"
        )
    if "password store is empty" in err.lower() or "pass init" in err:
        raise MfaEnvError("the pass store is not set up; run `pass init GPG-KEY-ID` first")
    raise MfaEnvError(f"pass {words[0]} {entry} failed with status {result.returncode}")
