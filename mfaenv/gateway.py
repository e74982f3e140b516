"""The AWS gateway: every STS and IAM call, through one botocore session per command.

With ``awsprofile`` (the profile's settings and key, which the gateway extends), the only
modules that import botocore. They are imported only on the paths that must call AWS,
so ``init``, ``off``, ``status``, the prompt and reuse of a cached session stay fast. One
botocore session serves a whole command: the profile is read once, and every client
shares its loaded service models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone
from typing import Any

import botocore.config
import botocore.exceptions
from botocore.parsers import ResponseParserError

from mfaenv.awserrors import explain
from mfaenv.awsprofile import AwsProfile, RoleSpec
from mfaenv.deadline import PastDeadline, call_deadline, deadline
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


class Gateway(AwsProfile):
    """The STS and IAM calls, each signed with the credentials given, through the botocore
    session of the profile the gateway points at."""

    def __init__(
        self, profile: str, *, explicit: bool, environ: Mapping[str, str] | None = None
    ) -> None:
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        # The Date of the last reply that made credentials: says how far off our clock is.
        self.server_time: float | None = None
        super().__init__(profile, explicit=explicit, environ=environ)

    def _client(self, service: str, credentials: Credentials, region: str | None = None) -> Any:
        """A client signed with ``credentials``; one per service, region and key."""
        region = region or self.region
        cache_key = (service, region, credentials.access_key_id)
        client = self._clients.get(cache_key)
        if client is None:
            try:
                client = self._session.create_client(
                    service,
                    region_name=region,
                    aws_access_key_id=credentials.access_key_id,
                    aws_secret_access_key=credentials.secret_access_key,
                    aws_session_token=credentials.session_token,
                    config=_CLIENT_CONFIG,
                )
            except (botocore.exceptions.BotoCoreError, ValueError) as err:
                raise MfaEnvError(f"cannot talk to AWS {service}: {err}") from None
            self._clients[cache_key] = client
        return client

    def caller_identity(self, credentials: Credentials) -> Identity:
        reply = _call(self._client("sts", credentials), "get_caller_identity")
        return Identity(account=str(reply["Account"]), arn=str(reply["Arn"]))

    def totp_devices(self, identity: Identity, credentials: Credentials) -> list[str]:
        """Serials of the caller's MFA devices that give codes (FIDO keys cannot)."""
        kwargs = {} if identity.is_root else {"UserName": identity.user_name}
        iam = self._client("iam", credentials)
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

    def session_token(
        self, credentials: Credentials, serial: str, code: str, duration: int
    ) -> tuple[Credentials, int]:
        reply = _call(
            self._client("sts", credentials),
            "get_session_token",
            SerialNumber=serial,
            TokenCode=code,
            DurationSeconds=duration,
        )
        self.server_time = server_time(reply)
        return _temporary(reply)

    def assume_role(
        self,
        credentials: Credentials,
        role: RoleSpec,
        duration: int,
        *,
        serial: str | None = None,
        code: str | None = None,
    ) -> tuple[Credentials, int, str]:
        """AssumeRole, signed by the long-lived key with a code, or by an MFA session."""
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
        self.server_time = server_time(reply)
        creds, expires = _temporary(reply)
        try:
            assumed = str(reply["AssumedRoleUser"]["Arn"])
        except (KeyError, TypeError):
            raise MfaEnvError("STS answered AssumeRole without the assumed role's ARN") from None
        return creds, expires, assumed

    def _role_max_duration(self, role: RoleSpec, credentials: Credentials) -> int | None:
        """The role's MaxSessionDuration, when we may read it (iam:GetRole)."""
        name = role.role_arn.rsplit("/", 1)[-1]
        try:
            reply = _call(self._client("iam", credentials), "get_role", RoleName=name)
        except MfaEnvError:
            return None
        most = reply.get("Role", {}).get("MaxSessionDuration")
        return most if isinstance(most, int) else None

    # --- the MFA lifecycle: enrollment and key rotation ----------------------------------

    def create_virtual_mfa_device(self, credentials: Credentials, name: str) -> tuple[str, str]:
        """A new virtual device: its serial and base32 secret."""
        reply = _call(
            self._client("iam", credentials),
            "create_virtual_mfa_device",
            VirtualMFADeviceName=name,
        )
        device = reply["VirtualMFADevice"]
        seed = device["Base32StringSeed"]
        return device["SerialNumber"], seed.decode() if isinstance(seed, bytes) else str(seed)

    def enable_mfa_device(
        self, credentials: Credentials, user: str, serial: str, first: str, second: str
    ) -> None:
        _call(
            self._client("iam", credentials),
            "enable_mfa_device",
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=first,
            AuthenticationCode2=second,
        )

    def delete_virtual_mfa_device(self, credentials: Credentials, serial: str) -> None:
        _call(self._client("iam", credentials), "delete_virtual_mfa_device", SerialNumber=serial)

    def access_keys(self, credentials: Credentials, user: str) -> list[str]:
        reply = _call(self._client("iam", credentials), "list_access_keys", UserName=user)
        return [key["AccessKeyId"] for key in reply.get("AccessKeyMetadata", [])]

    def create_access_key(self, credentials: Credentials, user: str) -> Credentials:
        reply = _call(self._client("iam", credentials), "create_access_key", UserName=user)
        key = reply["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def delete_access_key(self, credentials: Credentials, user: str, key_id: str) -> None:
        _call(
            self._client("iam", credentials),
            "delete_access_key",
            UserName=user,
            AccessKeyId=key_id,
        )


def _temporary(reply: Any) -> tuple[Credentials, int]:
    """The credentials and their end (epoch seconds) from a GetSessionToken or AssumeRole
    reply; one clear line for a reply that lacks them, or holds values far beyond what
    AWS issues (they would end up in every child's environment)."""
    from mfaenv.env import check_value_size

    try:
        creds = reply["Credentials"]
        expiration = creds["Expiration"]
        credentials = Credentials(
            str(creds["AccessKeyId"]), str(creds["SecretAccessKey"]), str(creds["SessionToken"])
        )
        expires = int(expiration.astimezone(timezone.utc).timestamp())
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError):
        raise MfaEnvError("STS answered without usable credentials and an expiry time") from None
    for name, value in (
        ("access key id", credentials.access_key_id),
        ("secret access key", credentials.secret_access_key),
        ("session token", credentials.session_token or ""),
    ):
        check_value_size(f"the {name} STS answered with", value)
    return credentials, expires


def server_time(reply: Any) -> float | None:
    """The time the server gave in its Date header (epoch seconds), if it gave one."""
    try:
        text = reply["ResponseMetadata"]["HTTPHeaders"]["date"]
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(str(text)).timestamp()
    except (KeyError, TypeError, ValueError, IndexError, OverflowError):
        return None


class _TooLong(MfaEnvError):
    """AssumeRole refused the duration: above the role's maximum."""


def _call(client: Any, operation: str, **kwargs: Any) -> Any:
    """Make one AWS call within the deadline; turn every failure into a sentence the user
    can act on, in one line."""
    seconds = call_deadline()
    try:
        with deadline(seconds):
            return getattr(client, operation)(**kwargs)
    except PastDeadline:
        raise MfaEnvError(
            f"{client.meta.endpoint_url} did not answer within {seconds:g}s; check your "
            "network or try again"
        ) from None
    except botocore.exceptions.ParamValidationError as err:
        names = sorted(set(re.findall(r"parameter (\w+)", str(err)))) or ["a parameter"]
        raise MfaEnvError(
            f"AWS would refuse {' and '.join(names)} as given for {operation}; check the value"
        ) from None
    except (ResponseParserError, KeyError, TypeError, ValueError, RecursionError) as err:
        # Not AWS's language: an HTML page, garbage, a broken or hostile endpoint.
        debug(f"{operation}: unreadable answer ({type(err).__name__})")
        raise MfaEnvError(
            f"{client.meta.endpoint_url} gave an answer to {operation} that is not AWS's; "
            "check AWS_ENDPOINT_URL, your proxy, or try again"
        ) from None
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        debug(f"{operation}: {code}: {message}")
        if operation == "assume_role" and "MaxSessionDuration" in message:
            raise _TooLong(message) from None
        if not code and not message:  # an error page, not an AWS error
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
            raise MfaEnvError(
                f"{client.meta.endpoint_url} answered {operation} with HTTP {status} and no AWS "
                "error; check AWS_ENDPOINT_URL, your proxy, or try again"
            ) from None
        raise MfaEnvError(explain(operation, code, message, kwargs)) from None
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
