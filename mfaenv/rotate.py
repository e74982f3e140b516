"""``mfaenv rotate-key``: a new access key for the user, proven, then the old one deleted.

It needs an MFA session (the usual policy denies iam:CreateAccessKey without one). The
new key goes where the old one was: into the same section of the same credentials (or
config) file, every other byte kept, written atomically 0600; or, for keys from the
environment, onto the terminal, once, for the user to store. Until the old key is
deleted, any failure leaves it working: the new key is deleted again and the old one put
back in place of it, into the file as it is then (nothing another program wrote
meanwhile is undone), and the message says which.
"""

from __future__ import annotations

from collections.abc import Mapping

from mfaenv import awsfiles
from mfaenv.awsfiles import CONFIG, SHARED_CREDENTIALS, key_location
from mfaenv.awsprofile import ENVIRONMENT
from mfaenv.cache import Cache
from mfaenv.clock import SYSTEM, Clock
from mfaenv.context import LoginContext
from mfaenv.errors import MfaEnvError, warn
from mfaenv.gateway import Gateway
from mfaenv.keystore import KeyStore
from mfaenv.login import obtain
from mfaenv.request import Request
from mfaenv.session import Credentials, fingerprint
from mfaenv.terminal import talk_to_terminal, terminal_available

PROPAGATION_TRIES = 10  # IAM takes a few seconds before a new key works
PROPAGATION_PAUSE = 2.0


def rotate_key(request: Request, environ: Mapping[str, str], clock: Clock = SYSTEM) -> None:
    profile = request.profile
    context = LoginContext(request, environ, clock=clock)
    session, _ = obtain(context)
    aws = context.use_key_profile(profile, request.explicit_profile)
    key, _ = context.key()
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

    location = _check_file(origin, profile, clock)
    new = aws.create_access_key(mfa, user)
    path: str | None = None
    written = False
    try:
        if store is not None:
            path = str(store)
            store.write(new)
        elif location is not None:
            path = location[0]
            _swap(location, profile, old, new, clock)
            written = True
        _prove(aws, new, clock)
    except BaseException as err:
        where = ""
        if store is not None and path is not None:
            store.write(old)
            where = f" and {path} holds it again"
        elif written and location is not None:
            where = _restore(location, profile, old, new, clock)
        cleaned = "the new key was deleted again"
        try:
            aws.delete_access_key(mfa, user, new.access_key_id)
        except MfaEnvError as cleanup:
            warn(f"could not delete the new key {new.access_key_id} again: {cleanup}")
            cleaned = f"the new key {new.access_key_id} is still there"
        if isinstance(err, MfaEnvError):
            raise MfaEnvError(
                f"{err}; {cleaned}; the old key {old.access_key_id} still works{where}"
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


def _check_file(origin: str, profile: str, clock: Clock) -> tuple[str, bool] | None:
    """The file and kind of the key's file (None: not a file); refused now, before a key
    is made, if mfaenv could not write it or it no longer holds the key."""
    if origin not in (SHARED_CREDENTIALS, CONFIG):
        return None
    path, _ = key_location(origin, profile)
    is_config = origin == CONFIG
    values = awsfiles.read(path, is_config=is_config, clock=clock).values(profile)
    if values is None or not values.get("aws_access_key_id"):
        raise MfaEnvError(f"{path} no longer holds the key of profile {profile!r}")
    awsfiles.writable(path)
    return path, is_config


def _pair(credentials: Credentials) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
    }


def _swap(
    location: tuple[str, bool], profile: str, old: Credentials, new: Credentials, clock: Clock
) -> None:
    """The new key in place of the old one: those two options only, in the file as it is."""
    path, is_config = location
    awsfiles.change(
        path,
        lambda file: file.set_values(profile, _pair(new), expect=_pair(old)),
        is_config=is_config,
        clock=clock,
    )


def _restore(
    location: tuple[str, bool], profile: str, old: Credentials, new: Credentials, clock: Clock
) -> str:
    """Put the old key back in place of the new one, in the file as it is now (whatever
    else changed in it meanwhile stays); say what was done."""
    path, is_config = location
    found: list[bool] = []

    def back(file: awsfiles.AwsFile) -> str | None:
        values = file.values(profile) or {}
        found[:] = [all(values.get(k) == v for k, v in _pair(new).items())]
        return file.set_values(profile, _pair(old), expect=_pair(new)) if found[0] else None

    try:
        awsfiles.change(path, back, is_config=is_config, clock=clock)
    except MfaEnvError as err:
        return f", but putting it back in {path} failed ({err}): put it back by hand"
    if not found[0]:
        return f"; {path} was changed by another program meanwhile and is left as it is"
    return f", and {path} holds it again (only its two lines changed back)"


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
