"""The layouts other MFA tools leave in ``~/.aws/credentials``, read as they are.

NCC's AWS-recipes keeps the long-lived key in ``[PROFILE-nomfa]`` (its older releases:
in ``[PROFILE]`` of a ``credentials.no-mfa`` file beside the credentials file) with the
device as ``aws_mfa_serial``, and writes the session into ``[PROFILE]``; aws-mfa keeps
the key in ``[PROFILE-long-term]``. When the profile's own section holds a session (it
has a token), the long-lived key is taken from there, and mfaenv says so; so
``mfa CODE --profile ncc --save-as ncc`` works on such a layout unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mfaenv import awsfiles
from mfaenv.awsprofile import LongLivedKey
from mfaenv.errors import MfaEnvError, warn
from mfaenv.gateway import Gateway
from mfaenv.session import Credentials

SUFFIXES = ("-nomfa", "-long-term")
NO_MFA_FILE = ".no-mfa"  # credentials.no-mfa, beside the credentials file
SERIAL_KEYS = ("mfa_serial", "aws_mfa_serial", "aws_mfa_device")  # aws-mfa: the last


def long_lived_key(gateway: Gateway, environ: Mapping[str, str]) -> tuple[LongLivedKey, str | None]:
    """The key of the profile ``gateway`` points at, and the device its layout names
    (None: none named there)."""
    for name in stale_overrides(gateway.profile):
        warn(
            f"[{name}] in {awsfiles.credentials_path()} holds keys that come before the "
            f"credential_process of profile {name!r} in every SDK, so it never runs: remove "
            f"that section (`mfaenv unsave {name}` for a session)"
        )
    from_environment = not gateway.explicit and environ.get("AWS_ACCESS_KEY_ID")
    if from_environment or not gateway.setting("aws_session_token"):
        return gateway.long_lived_key(environ), None
    profile = gateway.profile
    explicit = gateway.explicit
    for suffix in SUFFIXES:
        other = profile + suffix
        if not gateway.has_profile(other):
            continue
        warn(
            f"[{profile}] in the credentials file holds a session; using the long-lived key "
            f"of [{other}] (the {'AWS-recipes' if suffix == '-nomfa' else 'aws-mfa'} layout)"
        )
        gateway.use_profile(other, explicit=True)
        try:
            key = gateway.long_lived_key(environ)
            serial = _serial(gateway.setting)
        finally:
            gateway.use_profile(profile, explicit=explicit)
        origin = f"{awsfiles.SHARED_CREDENTIALS}:{other}"  # not [profile]: rotate refuses
        return LongLivedKey(key.credentials, origin), serial
    path = awsfiles.credentials_path() + NO_MFA_FILE
    values = _section(path, profile)
    if values is not None:
        key_id = values.get("aws_access_key_id")
        secret = values.get("aws_secret_access_key")
        if not key_id or not secret or values.get("aws_session_token"):
            raise MfaEnvError(f"[{profile}] in {path} holds no long-lived access key")
        warn(
            f"[{profile}] in the credentials file holds a session; using the long-lived key "
            f"of [{profile}] in {path} (the older AWS-recipes layout)"
        )
        return LongLivedKey(Credentials(key_id, secret), path), _serial(values.get)
    return gateway.long_lived_key(environ), None


def _serial(setting: Callable[[str], str | None]) -> str | None:
    for name in SERIAL_KEYS:
        value = setting(name)
        if value:
            return value
    return None


def _section(path: str, section: str) -> dict[str, str] | None:
    return awsfiles.read(path, is_config=False, settle=False).values(section)


def stale_overrides(key_profile: str) -> list[str]:
    """Profiles whose ``credential_process`` asks mfaenv for ``key_profile``'s session but
    whose own section in the credentials file (a session some tool left there) comes
    first in every SDK and so silently overrides it."""
    try:
        credentials = awsfiles.read_credentials(settle=False)
        if not credentials.sections:
            return []
        names = asking_profiles(key_profile)
    except MfaEnvError:
        return []  # botocore says what is wrong with the files
    found = []
    for name in names:
        own = credentials.values(name)
        if own is not None and own.get("aws_access_key_id"):
            found.append(name)
    return found


def asking_profiles(key_profile: str) -> list[str]:
    """Profiles of the AWS config whose ``credential_process`` asks mfaenv
    credential-process for ``key_profile``'s session."""
    import shlex

    found = []
    for name, values in awsfiles.read_config(settle=False).profiles().items():
        try:
            words = shlex.split(values.get("credential_process", ""))
        except ValueError:
            continue
        asks = "credential-process" in words and any(
            word == f"--profile={key_profile}"
            or (word == "--profile" and words[i + 1 : i + 2] == [key_profile])
            for i, word in enumerate(words)
        )
        if asks:
            found.append(name)
    return found
