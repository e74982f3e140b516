"""What aws-vault writes in ``~/.aws/config``, read as aws-vault means it.

``mfa_process`` names a program that prints the current MFA code (``ykman oath accounts
code --single 'AWS:alice'``, ``op item get AWS --otp``). For mfaenv it is a TOTP source,
the last one asked for: after ``--totp`` and ``totp`` in the mfaenv config. It runs as a
``command:`` source does: split into words as a shell would but with no shell, without
AWS credentials in its environment, for at most 60 seconds, and it must print six
digits. ``mfa_serial`` needs nothing here: the AWS CLI reads it the same way.
"""

from __future__ import annotations

from mfaenv.awsfiles import config_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from mfaenv.gateway import Gateway
    from mfaenv.totp import Source

KEY = "mfa_process"


def mentioned() -> bool:
    """Whether the AWS config has the word at all: a look at its text, so the paths that
    need no AWS library (credential_process near a session's end) load none for a user
    who does not use it."""
    try:
        with open(config_path(), "rb") as handle:
            return KEY.encode() in handle.read()
    except OSError:
        return False


def mfa_process(gateway: Callable[[], Gateway], profiles: Iterable[str]) -> Source | None:
    """The ``mfa_process`` of the first of ``profiles`` that has one (the profile asked
    for, then the one whose key signs), as a TOTP source; None when none has."""
    if not mentioned():
        return None
    from mfaenv.totp import Source

    for profile in dict.fromkeys(profiles):
        line = (gateway().profile_setting(profile, KEY) or "").strip()
        if line:
            return Source("command", line, origin=f"mfa_process of profile {profile!r}")
    return None
