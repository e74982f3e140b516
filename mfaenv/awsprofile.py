"""The AWS profiles as botocore reads them, for one command: a profile's settings, the
role it assumes and its long-lived key. ``gateway.Gateway`` makes the calls through the
same botocore session. Imported only on the paths that must call AWS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import botocore.session

from mfaenv.errors import MfaEnvError
from mfaenv.session import Credentials

# Long-lived keys live in the environment (read by mfaenv itself) or in these
# providers. Instance and container roles, SSO and web identity give temporary
# credentials that GetSessionToken refuses, and asking for them would reach out
# to link-local metadata services.
_KEY_PROVIDERS = ("shared-credentials-file", "config-file", "custom-process")
ENVIRONMENT = "env"  # the origin of a key taken from AWS_ACCESS_KEY_ID


@dataclass(frozen=True)
class LongLivedKey:
    """A long-lived access key and where it was read: ``env``, or botocore's provider
    (``shared-credentials-file``, ``config-file``, ``custom-process``)."""

    credentials: Credentials
    origin: str


@dataclass(frozen=True)
class RoleSpec:
    """A role to assume, as the AWS CLI reads it from a profile (or from --role)."""

    role_arn: str
    source_profile: str
    explicit_source: bool = True
    mfa_serial: str | None = None
    duration: int | None = None
    session_name: str = "mfaenv"
    external_id: str | None = None
    region: str | None = None


def _check_sandbox(environ: Mapping[str, str] | None) -> None:
    """In a shell pointed at the sandbox (``mfa sandbox start``): refuse, saying why,
    when its server is gone, rather than fail on the profile files it took along."""

    environ = os.environ if environ is None else environ
    if environ.get("MFAENV_SANDBOX"):
        from mfaenv.sandbox import gone

        problem = gone(environ)
        if problem is not None:
            raise MfaEnvError(problem)


def _sandbox_note(environ: Mapping[str, str]) -> str:
    """Keys missing while a sandbox runs in another terminal: say how to join it."""
    from mfaenv.sandbox import joinable

    return joinable(environ)


_LOADERS: dict[str, Any] = {}


class AwsProfile:
    """One botocore session for one command, pointed at one profile at a time."""

    def __init__(
        self, profile: str, *, explicit: bool, environ: Mapping[str, str] | None = None
    ) -> None:
        """``environ``: the caller's environment without an MFA session in it (whose
        AWS_PROFILE and region variables botocore must not take from ours)."""
        _check_sandbox(environ)
        try:
            self._session = botocore.session.Session()
        except botocore.exceptions.BotoCoreError as err:
            raise MfaEnvError(f"cannot read your AWS config: {err}") from None
        self._environ = environ
        self.use_profile(profile, explicit=explicit)
        self._share_loader()

    def _share_loader(self) -> None:
        """botocore's data files (endpoints, service models) are parsed once per process,
        not once per gateway: the credential server makes one for each renewal."""
        loader = _LOADERS.get("data")
        if loader is not None:
            self._session.register_component("data_loader", loader)
            return
        try:
            _LOADERS["data"] = self._session.get_component("data_loader")
        except botocore.exceptions.BotoCoreError:
            pass  # botocore says what is wrong where it reads the config

    def use_profile(self, profile: str, *, explicit: bool, pointed_by: str | None = None) -> None:
        """Point the gateway at ``profile`` (a role's source profile, say) before any key
        is loaded; its settings are read from the same parsed files. ``pointed_by``: the
        role profile whose source_profile this is."""
        # The profile asked for, never AWS_PROFILE of an MFA session in our environment;
        # an unnamed default may be missing from the files (keys in the environment).
        name = None if not explicit and profile == "default" else profile
        self._session.get_component("config_store").set_config_variable("profile", name)
        self.profile = profile
        self.explicit = explicit
        try:
            self.settings: Mapping[str, Any] = self._session.get_scoped_config()
            if self._environ is None:
                region = self._session.get_config_variable("region")
            else:  # as botocore reads it: AWS_DEFAULT_REGION, then the profile's
                region = self._environ.get("AWS_DEFAULT_REGION") or self.setting("region")
            self.region: str = region or "us-east-1"
        except botocore.exceptions.ProfileNotFound:
            raise MfaEnvError(self._not_found(profile, pointed_by)) from None
        except botocore.exceptions.BotoCoreError as err:
            raise MfaEnvError(f"cannot read your AWS config: {err}") from None

    def _not_found(self, profile: str, pointed_by: str | None) -> str:
        """A missing profile: who named it, and the profiles there are, closest first."""
        from difflib import SequenceMatcher

        what = f"profile {profile!r}"
        if pointed_by is not None:
            what += f", the source_profile of role profile {pointed_by!r},"
        message = f"{what} is not in your AWS config files"
        try:
            known = [str(name) for name in self._session.available_profiles]
        except botocore.exceptions.BotoCoreError:
            known = []
        if not known:
            return message + ", which name no profiles"
        known.sort(key=lambda name: (-SequenceMatcher(None, profile, name).ratio(), name))
        more = f" and {len(known) - 5} more" if len(known) > 5 else ""
        return f"{message}; known profiles, closest first: {', '.join(known[:5])}{more}"

    def key_profiles(self) -> list[str]:
        """The profiles of the AWS files that hold a long-lived key of their own."""
        try:
            profiles = self._session.full_config.get("profiles", {})
        except botocore.exceptions.BotoCoreError:
            return []
        return [
            str(name)
            for name, values in profiles.items()
            if isinstance(values, dict) and values.get("aws_access_key_id")
        ]

    def in_files(self) -> bool:
        """Whether the AWS config or credentials file has the profile (an unnamed default
        may be missing when the keys are in the environment)."""
        try:
            return self.profile in self._session.available_profiles
        except botocore.exceptions.BotoCoreError:
            return False

    def has_profile(self, name: str) -> bool:
        """Whether the AWS config or credentials file has the profile ``name``."""
        try:
            return name in self._session.available_profiles
        except botocore.exceptions.BotoCoreError:
            return False

    def setting(self, name: str) -> str | None:
        """A setting of the profile in the AWS config, such as ``mfa_serial``."""
        value = self.settings.get(name)
        return value if isinstance(value, str) and value else None

    def profile_setting(self, profile: str, name: str) -> str | None:
        """A setting of ``profile`` in the same files, whichever profile is in use."""
        if profile == self.profile:
            return self.setting(name)
        try:
            values = self._session.full_config.get("profiles", {}).get(profile)
        except botocore.exceptions.BotoCoreError:
            return None
        value = values.get(name) if isinstance(values, dict) else None
        return value if isinstance(value, str) and value else None

    def role(self) -> RoleSpec | None:
        """The role the profile assumes (``role_arn``), or None."""
        role_arn = self.setting("role_arn")
        if role_arn is None:
            return None
        from mfaenv.arns import check_role

        check_role(role_arn, f"profile {self.profile!r}: role_arn")
        source = self.setting("source_profile")
        if source is None:
            raise MfaEnvError(
                f"profile {self.profile!r} assumes {role_arn} but names no source_profile; mfa "
                "assumes roles from a profile with an IAM user's keys (credential_source is "
                "not supported)"
            )
        raw_duration = self.setting("duration_seconds")
        try:
            duration = int(raw_duration) if raw_duration else None
        except ValueError:
            raise MfaEnvError(
                f"duration_seconds of profile {self.profile!r} is not a number"
            ) from None
        return RoleSpec(
            role_arn=role_arn,
            source_profile=source,
            mfa_serial=self.setting("mfa_serial"),
            duration=duration,
            session_name=self.setting("role_session_name") or "mfaenv",
            external_id=self.setting("external_id"),
            region=self.setting("region"),
        )

    def long_lived_key(self, environ: Mapping[str, str]) -> LongLivedKey:
        """The profile's long-lived key: from the environment unless the profile was named
        (as with the AWS CLI), else from the credentials or config file or a
        credential_process. Temporary credentials are refused."""
        key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        token = environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN")
        where, origin = "in the environment", ENVIRONMENT
        if self.explicit or not (key and secret):
            resolver = self._session.get_component("credential_provider")
            resolver.providers = [p for p in resolver.providers if p.METHOD in _KEY_PROVIDERS]
            try:
                found = self._session.get_credentials()
            except botocore.exceptions.BotoCoreError as err:
                raise MfaEnvError(
                    f"cannot load the keys of profile {self.profile!r}: {err}"
                ) from None
            except (ValueError, RecursionError, KeyError, TypeError):
                # A credential_process that printed something other than its JSON.
                raise MfaEnvError(
                    f"cannot load the keys of profile {self.profile!r}: its credential_process "
                    "did not print the JSON the AWS CLI expects (Version, AccessKeyId, "
                    "SecretAccessKey)"
                ) from None
            if found is None:
                raise MfaEnvError(
                    f"no AWS access key found for profile {self.profile!r} (looked at "
                    "AWS_ACCESS_KEY_ID, AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, "
                    "and AWS_CONFIG_FILE or ~/.aws/config)" + _sandbox_note(environ)
                )
            origin = str(getattr(found, "method", ""))
            frozen = found.get_frozen_credentials()
            key, secret, token = frozen.access_key, frozen.secret_key, frozen.token
            where = f"of profile {self.profile!r}"
        if not (key and secret):
            raise MfaEnvError(f"the AWS access key {where} is incomplete")
        if token:
            raise MfaEnvError(
                f"the AWS credentials {where} are temporary (they carry a session token); "
                "mfa needs an IAM user's long-lived access key"
            )
        return LongLivedKey(Credentials(key, secret), origin)
