"""Everything that talks to AWS. The only module that imports botocore.

It is imported only on the paths that must call AWS, so ``init``, ``off``,
``status`` and reuse of a cached session stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.session

from mfaenv.errors import MfaEnvError, debug
from mfaenv.session import Credentials
from mfaenv.timefmt import format_duration

# Give up on an unreachable or silent STS well within 15 seconds, with no retries.
CONNECT_TIMEOUT = 4
READ_TIMEOUT = 8
_CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"total_max_attempts": 1},
)

# Long-lived keys live in the environment (read by mfaenv itself) or in these
# providers. Instance and container roles, SSO and web identity give temporary
# credentials that GetSessionToken refuses, and asking for them would reach out
# to link-local metadata services.
_KEY_PROVIDERS = ("shared-credentials-file", "config-file", "custom-process")

_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
}


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")

    @property
    def user_name(self) -> str | None:
        """The IAM user name: the last segment of ``user/path/to/name``; None for root."""
        match = re.fullmatch(r"arn:[^:]+:iam::\d+:user/(?:.*/)?([^/]+)", self.arn)
        return match.group(1) if match else None


class Aws:
    """The long-lived keys of one profile, and the AWS calls made with them."""

    def __init__(self, profile: str, *, explicit_profile: bool, environ: Mapping[str, str]) -> None:
        self.profile = profile
        try:
            self._session = botocore.session.Session(profile=profile if explicit_profile else None)
            self._config: Mapping[str, Any] = self._session.get_scoped_config()
        except botocore.exceptions.ProfileNotFound:
            raise MfaEnvError(f"profile {profile!r} is not in your AWS config files") from None
        except botocore.exceptions.BotoCoreError as err:
            raise MfaEnvError(f"cannot read your AWS config: {err}") from None
        if "role_arn" in self._config:
            raise MfaEnvError(
                f"profile {profile!r} assumes a role itself; the source_profile of a role "
                "must hold an IAM user's keys (roles chained from roles are not supported)"
            )
        process = str(self._config.get("credential_process", ""))
        if "mfaenv" in process and "credential-process" in process:
            raise MfaEnvError(
                f"profile {profile!r} gets its keys from mfaenv credential-process, which "
                "gets them from a profile with long-lived keys: give mfa or credential-process "
                "that profile (for example dev-long-term), not this one"
            )
        self.region: str = self._session.get_config_variable("region") or "us-east-1"
        self._explicit = explicit_profile
        self._environ = environ
        self._credentials: Credentials | None = None

    @property
    def credentials(self) -> Credentials:
        """The long-lived keys, loaded when first needed."""
        if self._credentials is None:
            self._credentials = self._long_lived(self._explicit, self._environ)
        return self._credentials

    def _long_lived(self, explicit_profile: bool, environ: Mapping[str, str]) -> Credentials:
        key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
        token = environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN")
        where = "in the environment"
        self.key_origin = "env"
        if explicit_profile or not (key and secret):
            resolver = self._session.get_component("credential_provider")
            resolver.providers = [p for p in resolver.providers if p.METHOD in _KEY_PROVIDERS]
            try:
                found = self._session.get_credentials()
            except botocore.exceptions.BotoCoreError as err:
                raise MfaEnvError(
                    f"cannot load the keys of profile {self.profile!r}: {err}"
                ) from None
            if found is None:
                raise MfaEnvError(
                    f"no AWS access key found for profile {self.profile!r} (looked at "
                    "AWS_ACCESS_KEY_ID, AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, "
                    "and AWS_CONFIG_FILE or ~/.aws/config)"
                )
            self.key_origin = str(getattr(found, "method", ""))
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
        return Credentials(key, secret)

    def setting(self, name: str) -> str | None:
        """A setting of the profile in the AWS config, such as ``mfa_serial``."""
        value = self._config.get(name)
        return value if isinstance(value, str) and value else None

    def _client(
        self, service: str, credentials: Credentials | None = None, region: str | None = None
    ) -> Any:
        """A client signed with ``credentials`` (default: the long-lived keys)."""
        creds = credentials if credentials is not None else self.credentials
        return self._session.create_client(
            service,
            region_name=region or self.region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
            config=_CLIENT_CONFIG,
        )

    def caller_identity(self, credentials: Credentials | None = None) -> Identity:
        reply = _call(self._client("sts", credentials), "get_caller_identity")
        return Identity(account=reply["Account"], arn=reply["Arn"])

    def totp_devices(self, identity: Identity) -> list[str]:
        """Serials of the caller's MFA devices that give codes (FIDO keys cannot)."""
        kwargs = {} if identity.is_root else {"UserName": identity.user_name}
        iam = self._client("iam")
        serials: list[str] = []
        marker: str | None = None
        while True:
            page = _call(
                iam, "list_mfa_devices", **kwargs, **({"Marker": marker} if marker else {})
            )
            serials += [d["SerialNumber"] for d in page.get("MFADevices", [])]
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                break
        return [serial for serial in serials if ":u2f/" not in serial]

    def session_token(self, serial: str, code: str, duration: int) -> tuple[Credentials, datetime]:
        reply = _call(
            self._client("sts"),
            "get_session_token",
            SerialNumber=serial,
            TokenCode=code,
            DurationSeconds=duration,
        )
        creds = reply["Credentials"]
        expiration = creds["Expiration"]
        if not isinstance(expiration, datetime):  # pragma: no cover - botocore parses it
            raise MfaEnvError("STS answered without an expiry time")
        return (
            Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]),
            expiration.astimezone(timezone.utc),
        )

    def assume_role(
        self,
        role: RoleSpec,
        duration: int,
        *,
        credentials: Credentials | None = None,
        serial: str | None = None,
        code: str | None = None,
    ) -> tuple[Credentials, datetime, str]:
        """AssumeRole with the long-lived keys and a code, or with an MFA session's keys."""
        kwargs: dict[str, Any] = {
            "RoleArn": role.role_arn,
            "RoleSessionName": role.session_name,
            "DurationSeconds": duration,
        }
        if role.external_id:
            kwargs["ExternalId"] = role.external_id
        if serial is not None and code is not None:
            kwargs.update(SerialNumber=serial, TokenCode=code)
        client = self._client("sts", credentials, role.region)
        try:
            reply = _call(client, "assume_role", **kwargs)
        except _TooLong:
            most = self._role_max_duration(role, credentials)
            if most is None:
                raise MfaEnvError(
                    f"{role.role_arn} allows shorter sessions than the {format_duration(duration)} "
                    "asked; its maximum is set on the role (MaxSessionDuration)"
                ) from None
            raise MfaEnvError(
                f"{role.role_arn} allows sessions of at most {format_duration(most)}; "
                f"{format_duration(duration)} was asked"
            ) from None
        creds = reply["Credentials"]
        return (
            Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]),
            creds["Expiration"].astimezone(timezone.utc),
            str(reply["AssumedRoleUser"]["Arn"]),
        )

    def _role_max_duration(self, role: RoleSpec, credentials: Credentials | None) -> int | None:
        """The role's MaxSessionDuration, when we may read it (iam:GetRole)."""
        name = role.role_arn.rsplit("/", 1)[-1]
        try:
            reply = _call(self._client("iam", credentials), "get_role", RoleName=name)
        except MfaEnvError:
            return None
        most = reply.get("Role", {}).get("MaxSessionDuration")
        return most if isinstance(most, int) else None

    # --- the MFA lifecycle: enrolment and key rotation ---------------------------------

    def create_virtual_mfa_device(self, name: str) -> tuple[str, str]:
        """A new virtual device: its serial and base32 secret."""
        reply = _call(self._client("iam"), "create_virtual_mfa_device", VirtualMFADeviceName=name)
        device = reply["VirtualMFADevice"]
        seed = device["Base32StringSeed"]
        return device["SerialNumber"], seed.decode() if isinstance(seed, bytes) else str(seed)

    def enable_mfa_device(self, user: str, serial: str, first: str, second: str) -> None:
        _call(
            self._client("iam"),
            "enable_mfa_device",
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=first,
            AuthenticationCode2=second,
        )

    def delete_virtual_mfa_device(self, serial: str) -> None:
        _call(self._client("iam"), "delete_virtual_mfa_device", SerialNumber=serial)

    def access_keys(self, user: str, credentials: Credentials) -> list[str]:
        reply = _call(self._client("iam", credentials), "list_access_keys", UserName=user)
        return [key["AccessKeyId"] for key in reply.get("AccessKeyMetadata", [])]

    def create_access_key(self, user: str, credentials: Credentials) -> Credentials:
        reply = _call(self._client("iam", credentials), "create_access_key", UserName=user)
        key = reply["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def delete_access_key(self, user: str, key_id: str, credentials: Credentials) -> None:
        _call(
            self._client("iam", credentials),
            "delete_access_key",
            UserName=user,
            AccessKeyId=key_id,
        )


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


def read_role(profile: str, *, explicit: bool) -> RoleSpec | None:
    """The role of ``profile`` in the AWS config, or None when it holds no role_arn."""
    try:
        session = botocore.session.Session(profile=profile if explicit else None)
        config: Mapping[str, Any] = session.get_scoped_config()
    except botocore.exceptions.ProfileNotFound:
        raise MfaEnvError(f"profile {profile!r} is not in your AWS config files") from None
    except botocore.exceptions.BotoCoreError as err:
        raise MfaEnvError(f"cannot read your AWS config: {err}") from None
    role_arn = config.get("role_arn")
    if not role_arn:
        return None
    source = config.get("source_profile")
    if not source:
        raise MfaEnvError(
            f"profile {profile!r} assumes {role_arn} but names no source_profile; mfa assumes "
            "roles from a profile with an IAM user's keys (credential_source is not supported)"
        )
    raw_duration = config.get("duration_seconds")
    try:
        duration = int(raw_duration) if raw_duration else None
    except ValueError:
        raise MfaEnvError(f"duration_seconds of profile {profile!r} is not a number") from None
    return RoleSpec(
        role_arn=str(role_arn),
        source_profile=str(source),
        mfa_serial=config.get("mfa_serial"),
        duration=duration,
        session_name=str(config.get("role_session_name") or "mfaenv"),
        external_id=config.get("external_id"),
        region=config.get("region"),
    )


class _TooLong(MfaEnvError):
    """AssumeRole refused the duration: above the role's maximum."""


def _call(client: Any, operation: str, **kwargs: Any) -> Any:
    """Make one AWS call; turn every failure into a sentence the user can act on."""
    try:
        return getattr(client, operation)(**kwargs)
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        debug(f"{operation}: {code}: {message}")
        if operation == "assume_role" and "MaxSessionDuration" in message:
            raise _TooLong(message) from None
        raise MfaEnvError(_explain(operation, code, message, kwargs)) from None
    except (
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
    ):
        raise MfaEnvError(
            f"{client.meta.endpoint_url} did not answer in time; check your network or try again"
        ) from None
    except botocore.exceptions.EndpointConnectionError:
        raise MfaEnvError(
            f"cannot reach {client.meta.endpoint_url}; check your network, proxy or "
            "AWS_ENDPOINT_URL settings"
        ) from None
    except botocore.exceptions.BotoCoreError as err:
        raise MfaEnvError(f"{operation} failed: {err}") from None


def _explain(operation: str, code: str, message: str, kwargs: Mapping[str, Any]) -> str:
    if code in _THROTTLED:
        return "AWS is throttling these requests; wait a minute and try again"
    if code == "InvalidClientTokenId":
        return "AWS does not know this access key (deleted, deactivated or mistyped?)"
    if code == "SignatureDoesNotMatch":
        return "the secret access key does not match the access key id; check your credentials"
    serial = kwargs.get("SerialNumber")
    if serial and ("MultiFactorAuthentication" in message or "one time pass code" in message):
        # GetSessionToken and AssumeRole say "invalid" for a wrong code and a reused one alike.
        return (
            f"AWS rejected the code for {serial}: it is wrong, or it was already used "
            "(each code works once; wait for the next one)"
        )
    if operation == "get_session_token":
        if "session credentials" in message:
            return "these are session credentials, not long-lived keys; run `mfa off` first"
        if code == "ValidationError" and "Duration" in message:
            return f"AWS refused the session length: {message}"
        if code == "AccessDenied":
            return f"AWS denied GetSessionToken with the device {serial}: {message}"
    if operation == "assume_role":
        role = kwargs.get("RoleArn")
        if code == "AccessDenied":
            return (
                f"AWS refused AssumeRole of {role}: the role does not exist, or its trust "
                "policy does not let you assume it (does it ask for MFA, or an external id?)"
            )
        if code == "ValidationError":
            return f"AWS refused AssumeRole of {role}: {message}"
    if operation == "enable_mfa_device" and code == "InvalidAuthenticationCode":
        return (
            "AWS rejected the two codes: they must be two consecutive codes of the new device "
            "(is its clock right?)"
        )
    if operation == "create_virtual_mfa_device" and code == "EntityAlreadyExists":
        return (
            f"a virtual MFA device named {kwargs.get('VirtualMFADeviceName')!r} already exists, "
            "perhaps from an enrolment that did not finish; delete it (aws iam "
            "delete-virtual-mfa-device --serial-number ARN) or choose another --name"
        )
    if operation == "list_mfa_devices" and code == "AccessDenied":
        return (
            "not allowed to list your MFA devices (iam:ListMFADevices); name the device with "
            "--serial ARN, mfa_serial in ~/.aws/config, or serial in the mfaenv config"
        )
    return f"AWS refused {operation}: {code}: {message}"
