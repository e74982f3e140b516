"""The AWS gateway: one profile's settings, its long-lived key, and every STS and IAM call.

The only module that imports botocore. It is imported only on the paths that must call
AWS, so ``init``, ``off``, ``status``, the prompt and reuse of a cached session stay
fast. One botocore session serves a whole command: the profile is read once, and every
client shares its loaded service models.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.session
from botocore.parsers import ResponseParserError

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

# Long-lived keys live in the environment (read by mfaenv itself) or in these
# providers. Instance and container roles, SSO and web identity give temporary
# credentials that GetSessionToken refuses, and asking for them would reach out
# to link-local metadata services.
_KEY_PROVIDERS = ("shared-credentials-file", "config-file", "custom-process")
ENVIRONMENT = "env"  # the origin of a key taken from AWS_ACCESS_KEY_ID


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


class Gateway:
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
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        # The Date of the last reply that made credentials: says how far off our clock is.
        self.server_time: float | None = None
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

    # --- calls ------------------------------------------------------------------------

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


_ANY = "*"
_THROTTLED = (
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
)
_REJECTED_CODE = (
    "AWS rejected the code for {serial}: it is wrong, or it was already used "
    "(each code works once; wait for the next one)"
)

# (operation, error code, words the message must hold) -> the sentence for the user.
# The first rule that fits wins; fields: {serial}, {role}, {name}, {message}, {operation}.
_EXPLANATIONS: tuple[tuple[str, str, str, str], ...] = (
    *((_ANY, code, "", "AWS is throttling these requests; wait a minute and try again")
      for code in _THROTTLED),
    (_ANY, "InvalidClientTokenId", "",
     "AWS does not know this access key (deleted, deactivated or mistyped?)"),
    (_ANY, "SignatureDoesNotMatch", "",
     "the secret access key does not match the access key id; check your credentials"),
    # GetSessionToken and AssumeRole say "invalid" for a wrong code and a reused one alike.
    (_ANY, _ANY, "MultiFactorAuthentication", _REJECTED_CODE),
    (_ANY, _ANY, "one time pass code", _REJECTED_CODE),
    ("get_session_token", _ANY, "session credentials",
     "these are session credentials, not long-lived keys; run `mfa off` first"),
    ("get_session_token", "ValidationError", "Duration",
     "AWS refused the session length: {message}"),
    ("get_session_token", "AccessDenied", "",
     "AWS denied GetSessionToken with the device {serial}: {message}"),
    ("assume_role", "AccessDenied", "",
     "AWS refused AssumeRole of {role}: the role does not exist, or its trust policy does "
     "not let you assume it (does it ask for MFA, or an external id?)"),
    ("assume_role", "ValidationError", "", "AWS refused AssumeRole of {role}: {message}"),
    ("enable_mfa_device", "InvalidAuthenticationCode", "",
     "AWS rejected the two codes: they must be two consecutive codes of the new device "
     "(is its clock right?)"),
    ("create_virtual_mfa_device", "EntityAlreadyExists", "",
     "a virtual MFA device named {name!r} already exists, perhaps from an enrollment that "
     "did not finish; delete it (aws iam delete-virtual-mfa-device --serial-number ARN) "
     "or choose another --name"),
    ("list_mfa_devices", "AccessDenied", "",
     "not allowed to list your MFA devices (iam:ListMFADevices); name the device with "
     "--serial ARN, mfa_serial in ~/.aws/config, or serial in the mfaenv config"),
)  # fmt: skip


def explain(operation: str, code: str, message: str, kwargs: Mapping[str, Any]) -> str:
    """The sentence for an error AWS answered ``operation`` with."""
    serial = kwargs.get("SerialNumber")
    for rule_operation, rule_code, words, sentence in _EXPLANATIONS:
        if rule_operation not in (_ANY, operation) or rule_code not in (_ANY, code):
            continue
        if words and words not in message:
            continue
        if sentence == _REJECTED_CODE and not serial:
            continue  # only a call that sent a code can have had it rejected
        return sentence.format(
            serial=serial,
            role=kwargs.get("RoleArn"),
            name=kwargs.get("VirtualMFADeviceName"),
            message=message,
            operation=operation,
        )
    return f"AWS refused {operation}: {code}: {message}"
