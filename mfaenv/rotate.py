"""``mfaenv rotate-key``: a new access key for the user, proven, then the old one deleted.

It needs an MFA session (the usual policy denies iam:CreateAccessKey without one). The
new key goes where the old one was: into the same section of the same credentials (or
config) file, every other byte kept, written atomically 0600; or, for keys from the
environment, onto the terminal, once, for the user to store. Until the old key is
deleted, any failure leaves it working and the file as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from mfaenv.aws import ENVIRONMENT, Gateway
from mfaenv.awsfiles import CONFIG, SHARED_CREDENTIALS, key_location, set_values
from mfaenv.cache import Cache
from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError, warn
from mfaenv.files import write_private
from mfaenv.keystore import KeyStore
from mfaenv.login import Login, Request
from mfaenv.session import Credentials, fingerprint
from mfaenv.terminal import talk_to_terminal, terminal_available

PROPAGATION_TRIES = 10  # IAM takes a few seconds before a new key works
PROPAGATION_PAUSE = 2.0


def rotate_key(request: Request, environ: Mapping[str, str], clock: Clock = SYSTEM) -> None:
    profile = request.profile
    login = Login(request, environ, clock=clock)
    session = login.session()
    aws = login.use_key_profile(profile, request.explicit_profile)
    key = login.key()
    old, origin = key.credentials, key.origin
    store = KeyStore.parse(origin) if origin.startswith(("pass:", "keyring:")) else None
    if origin not in (ENVIRONMENT, SHARED_CREDENTIALS, CONFIG) and store is None:
        raise MfaEnvError(
            f"the key of profile {profile!r} comes from a credential_process; rotate it where "
            "that program keeps it"
        )
    if origin == ENVIRONMENT and not terminal_available():
        raise MfaEnvError(
            "the key comes from AWS_ACCESS_KEY_ID; rotating it shows the new key on a terminal, "
            "once, so run this in one"
        )
    mfa = session.credentials
    # GetCallerIdentity needs no MFA, and names the key's own user.
    user = aws.caller_identity(old).user_name
    if user is None:
        raise MfaEnvError("rotate the root user's keys in the AWS console")
    keys = aws.access_keys(mfa, user)
    others = [key for key in keys if key != old.access_key_id]
    if len(keys) >= 2:
        raise MfaEnvError(
            f"{user} has two access keys, the most IAM allows: {old.access_key_id} (this "
            f"profile's) and {', '.join(others)}; delete the one not in use first: aws iam "
            f"delete-access-key --user-name {user} --access-key-id {others[0]}"
        )

    new = aws.create_access_key(mfa, user)
    path: str | None = None
    original: bytes | None = None
    try:
        if store is not None:
            path = str(store)
            store.write(new)
        elif origin != ENVIRONMENT:
            path, section = key_location(origin, profile)
            with open(path, "rb") as handle:
                original = handle.read()
            updated = set_values(
                original.decode("utf-8"),
                section,
                {
                    "aws_access_key_id": new.access_key_id,
                    "aws_secret_access_key": new.secret_access_key,
                },
            )
            write_private(path, updated.encode("utf-8"), own_directory=False)
        _prove(aws, new, clock)
    except BaseException as err:
        if path is not None and original is not None:
            write_private(path, original, own_directory=False)
        if store is not None and path is not None:
            store.write(old)
        try:
            aws.delete_access_key(mfa, user, new.access_key_id)
        except MfaEnvError as cleanup:
            warn(f"could not delete the new key {new.access_key_id} again: {cleanup}")
        if isinstance(err, MfaEnvError):
            raise MfaEnvError(
                f"{err}; nothing changed: the old key {old.access_key_id} still works"
                + (f" and {path} is as it was" if path else "")
            ) from None
        raise

    if origin == ENVIRONMENT:
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
    aws.delete_access_key(mfa, user, old.access_key_id)
    cache = Cache(clock=clock)
    record = cache.serial_for(fingerprint(old.access_key_id))
    if record is not None:
        cache.remember_serial(fingerprint(new.access_key_id), record)
    where = f"; {path} updated" if path else ""
    warn(f"new key {new.access_key_id} works; old key {old.access_key_id} deleted{where}")


def _prove(aws: Gateway, new: Credentials, clock: Clock) -> None:
    """Wait until the new key works (IAM is eventually consistent)."""
    for attempt in range(PROPAGATION_TRIES):
        try:
            aws.caller_identity(new)
            return
        except MfaEnvError:
            if attempt == PROPAGATION_TRIES - 1:
                raise MfaEnvError("the new key did not start working") from None
            clock.sleep(PROPAGATION_PAUSE)
