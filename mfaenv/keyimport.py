"""``mfaenv keys import``: a profile's long-lived keys move from the credentials file into
a store (``mfaenv.keystore``): write them, read them back, check them with one AWS call,
set ``keys`` in the mfaenv config, and only then remove the section from the file.
"""

from __future__ import annotations

import os

from mfaenv.errors import MfaEnvError, warn
from mfaenv.keystore import KeyStore
from mfaenv.session import Credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mfaenv.clock import Clock


def import_keys(
    profile: str, store: KeyStore, environ: Mapping[str, str], clock: Clock | None = None
) -> None:
    """Move the keys of ``[profile]`` in the credentials file into ``store``: write them,
    read them back, check them with one AWS call, set ``keys`` in the mfaenv config, and
    only then remove the section (if it still holds those keys). Any failure before
    leaves the files as they were."""
    from pathlib import Path

    from mfaenv import awsfiles
    from mfaenv.config import set_profile_values
    from mfaenv.files import write_private
    from mfaenv.gateway import Gateway
    from mfaenv.paths import config_path

    credentials_file = awsfiles.read_credentials(clock)
    path = credentials_file.path
    if not credentials_file.exists:
        raise MfaEnvError(f"{path} does not exist: there are no keys to import")
    values = credentials_file.values(profile)
    if values is None:
        raise MfaEnvError(f"{path} has no [{profile}] section to import keys from")
    key = values.get("aws_access_key_id", "")
    secret = values.get("aws_secret_access_key", "")
    if not key or not secret:
        raise MfaEnvError(f"[{profile}] in {path} holds no complete access key")
    if not awsfiles.long_lived(values):
        raise MfaEnvError(f"[{profile}] in {path} holds session credentials, not a long-lived key")
    aws_config = awsfiles.read_config(clock)
    awsfiles.writable(path)
    awsfiles.writable(aws_config.path)
    where = f"pass:{store.entry}" if store.kind == "pass" else f"the keyring ({store.entry})"
    if store.exists():
        raise MfaEnvError(
            f"pass already has an entry {store.entry!r}; choose another, or remove it first "
            f"(pass rm {store.entry})"
            if store.kind == "pass"
            else f"the keyring already holds keys for {store.entry!r}; remove them first"
        )
    credentials = Credentials(key, secret)
    config_file = Path(config_path())
    config_before = config_file.read_bytes() if config_file.exists() else None
    undo: list[Callable[[], None]] = []
    store.write(credentials)
    try:
        if store.read() != credentials:
            raise MfaEnvError(f"{where} read back differs from what was written")
        Gateway(profile, explicit=True, environ=environ).caller_identity(credentials)
        setting = "keyring" if store == KeyStore("keyring", profile) else str(store)
        set_profile_values(profile, {"keys": setting})
        added: list[bool] = []

        def known(file: awsfiles.AwsFile) -> str | None:
            # Keep the profile known to the AWS CLI and to mfa once its keys are gone.
            added[:] = [file.values(profile) is None]
            return file.put(profile, {}) if added[0] else None

        awsfiles.change(aws_config.path, known, is_config=True, clock=clock)
        if added[0]:
            undo.append(lambda: _unknown(aws_config.path, profile, aws_config.exists, clock))

        def remove(file: awsfiles.AwsFile) -> str:
            now = file.values(profile) or {}
            if (now.get("aws_access_key_id"), now.get("aws_secret_access_key")) != (key, secret):
                raise MfaEnvError(
                    f"[{profile}] in {path} changed while its keys were imported; nothing removed"
                )
            return file.remove(profile)

        awsfiles.change(path, remove, is_config=False, clock=clock)
    except BaseException:
        try:
            store.remove()
        except MfaEnvError:
            pass
        if config_before is None:
            config_file.unlink(missing_ok=True)
        else:
            write_private(config_file, config_before)
        for step in undo:
            step()
        raise
    warn(
        f"moved the keys of profile {profile!r} ({key}) into {where} and removed "
        f'[{profile}] from {path}; the mfaenv config now says keys = "{setting}"'
    )


def _unknown(path: str, profile: str, existed: bool, clock: Clock | None) -> None:
    """Undo import_keys' empty section of ``profile`` in the AWS config (and the file, if
    it made it), in the file as it is now."""
    from mfaenv import awsfiles

    def remove(file: awsfiles.AwsFile) -> str | None:
        return file.remove(profile) if file.values(profile) == {} else None

    try:
        written = awsfiles.change(path, remove, is_config=True, clock=clock)
    except MfaEnvError as err:
        warn(f"could not remove the empty profile {profile!r} from {path} again: {err}")
        return
    if not existed and not written.body:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
