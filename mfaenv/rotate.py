"""``mfaenv rotate-key``: a new access key for the user, proven, then the old one deleted.

It needs an MFA session (the usual policy denies iam:CreateAccessKey without one). The
new key goes where the old one was: into the same section of the same credentials (or
config) file, every other byte kept, written atomically 0600; or, for keys from the
environment, onto the terminal, once, for the user to store. Until the old key is
deleted, any failure leaves it working and the file as it was.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mfaenv.cache import Cache, write_private
from mfaenv.errors import MfaEnvError, warn
from mfaenv.login import Request, connect, obtain
from mfaenv.session import Credentials, fingerprint
from mfaenv.totp import talk_to_terminal, terminal_available

if TYPE_CHECKING:
    from mfaenv.sts import Aws

PROPAGATION_TRIES = 10  # IAM takes a few seconds before a new key works
PROPAGATION_PAUSE = 2.0


def replace_keys(text: str, section: str, values: Mapping[str, str]) -> str:
    """``text`` (an ini file) with ``values`` set in ``[section]``; every other byte kept."""
    lines = text.splitlines(keepends=True)
    header = re.compile(r"\s*\[\s*" + re.escape(section) + r"\s*\]\s*([#;].*)?")
    start = next((i for i, line in enumerate(lines) if header.fullmatch(line.rstrip("\r\n"))), None)
    if start is None:
        raise MfaEnvError(f"no [{section}] section to update")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    for name, value in values.items():
        setting = re.compile(r"(\s*" + re.escape(name) + r"\s*=\s*)(.*?)(\r?\n?)$")
        for i in range(start + 1, end):
            match = setting.fullmatch(lines[i])
            if match:
                lines[i] = match.group(1) + value + match.group(3)
                break
        else:
            raise MfaEnvError(f"no {name} in [{section}] to update")
    return "".join(lines)


def _key_file(origin: str, profile: str) -> tuple[Path, str]:
    """The file and section the profile's key was read from."""
    if origin == "shared-credentials-file":
        where = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        return Path(where).expanduser(), profile
    where = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    return Path(where).expanduser(), profile if profile == "default" else f"profile {profile}"


def rotate_key(*, profile: str, explicit_profile: bool, environ: Mapping[str, str]) -> None:
    session = obtain(Request(profile=profile, explicit_profile=explicit_profile), environ)
    aws = connect(profile, explicit_profile, environ)
    old = aws.credentials
    origin = aws.key_origin
    if origin not in ("env", "shared-credentials-file", "config-file"):
        raise MfaEnvError(
            f"the key of profile {profile!r} comes from a credential_process; rotate it where "
            "that program keeps it"
        )
    if origin == "env" and not terminal_available():
        raise MfaEnvError(
            "the key comes from AWS_ACCESS_KEY_ID; rotating it shows the new key on a terminal, "
            "once, so run this in one"
        )
    mfa = session.credentials
    # GetCallerIdentity needs no MFA, and names the key's own user.
    user = aws.caller_identity().user_name
    if user is None:
        raise MfaEnvError("rotate the root user's keys in the AWS console")
    keys = aws.access_keys(user, mfa)
    others = [key for key in keys if key != old.access_key_id]
    if len(keys) >= 2:
        raise MfaEnvError(
            f"{user} has two access keys, the most IAM allows: {old.access_key_id} (this "
            f"profile's) and {', '.join(others)}; delete the one not in use first: aws iam "
            f"delete-access-key --user-name {user} --access-key-id {others[0]}"
        )

    new = aws.create_access_key(user, mfa)
    path: Path | None = None
    original: bytes | None = None
    try:
        if origin != "env":
            path, section = _key_file(origin, profile)
            original = path.read_bytes()
            updated = replace_keys(
                original.decode("utf-8"),
                section,
                {
                    "aws_access_key_id": new.access_key_id,
                    "aws_secret_access_key": new.secret_access_key,
                },
            )
            write_private(path, updated.encode("utf-8"), own_directory=False)
        _prove(aws, new)
    except BaseException as err:
        if path is not None and original is not None:
            write_private(path, original, own_directory=False)
        try:
            aws.delete_access_key(user, new.access_key_id, mfa)
        except MfaEnvError as cleanup:
            warn(f"could not delete the new key {new.access_key_id} again: {cleanup}")
        if isinstance(err, MfaEnvError):
            raise MfaEnvError(
                f"{err}; nothing changed: the old key {old.access_key_id} still works"
                + (f" and {path} is as it was" if path else "")
            ) from None
        raise

    if origin == "env":
        answer = talk_to_terminal(
            f"New access key for {user}; store it now, it is shown only once:\n"
            f"  AWS_ACCESS_KEY_ID={new.access_key_id}\n"
            f"  AWS_SECRET_ACCESS_KEY={new.secret_access_key}\n"
            f"Type 'delete' once it is stored, to delete the old key {old.access_key_id}: ",
            answer=True,
        )
        if (answer or "").strip() != "delete":
            warn(
                f"kept the old key {old.access_key_id}; delete it when the new one is in place: "
                f"aws iam delete-access-key --user-name {user} --access-key-id {old.access_key_id}"
            )
            return
    aws.delete_access_key(user, old.access_key_id, mfa)
    cache = Cache()
    record = cache.serial_for(fingerprint(old.access_key_id))
    if record is not None:
        cache.remember_serial(fingerprint(new.access_key_id), record)
    where = f"; {path} updated" if path else ""
    warn(f"new key {new.access_key_id} works; old key {old.access_key_id} deleted{where}")


def _prove(aws: Aws, new: Credentials) -> None:
    """Wait until the new key works (IAM is eventually consistent)."""
    for attempt in range(PROPAGATION_TRIES):
        try:
            aws.caller_identity(new)
            return
        except MfaEnvError:
            if attempt == PROPAGATION_TRIES - 1:
                raise MfaEnvError("the new key did not start working") from None
            time.sleep(PROPAGATION_PAUSE)
