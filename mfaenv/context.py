"""What the steps of getting a new session share, once the cache could not serve.

A ``LoginContext`` holds the request asked, the caller's environment, the cache and the
clock, the mfaenv config (loaded when it is made), and what follows from them: the AWS
gateway, the role asked for, the profile whose long-lived key signs and that key, the
TOTP source and how a code is asked for. The gateway is opened when a step first needs
the AWS files, and is the same object after: credential_process near a session's end
must not import botocore only to learn that there is no TOTP source.
"""

from __future__ import annotations

import os

from mfaenv import config as config_file
from mfaenv.cache import Cache
from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.awsprofile import LongLivedKey, RoleSpec
    from mfaenv.gateway import Gateway
    from mfaenv.keystore import KeyStore
    from mfaenv.request import Request
    from mfaenv.totp import Source

# Set while mfaenv loads keys: a credential_process that leads back to mfaenv sees it.
DEPTH_MARKER = "__MFAENV_DEPTH"


class LoginContext:
    def __init__(
        self,
        request: Request,
        environ: Mapping[str, str],
        *,
        clock: Clock = SYSTEM,
        cache: Cache | None = None,
        serving_sdk: bool = False,
    ) -> None:
        """``environ`` is the caller's environment without any MFA session in it;
        ``serving_sdk``: the session is for an SDK (credential_process, the credential
        server), which is told of a short session otherwise."""
        self.request = request
        self.environ = environ
        self.clock = clock
        self.cache = cache if cache is not None else Cache(clock=clock)
        self.serving_sdk = serving_sdk
        self.config = config_file.load()
        self._gateway: Gateway | None = None
        self._keys: dict[tuple[str, bool], tuple[LongLivedKey, str | None]] = {}

    def gateway(self) -> Gateway:
        """The AWS gateway, pointed at the requested profile until ``use_key_profile``
        points it at the profile whose key signs."""
        if self._gateway is None:
            from mfaenv.gateway import Gateway

            self._gateway = Gateway(
                self.request.profile, explicit=self.request.explicit_profile, environ=self.environ
            )
        return self._gateway

    def use_key_profile(
        self, profile: str, explicit: bool, pointed_by: str | None = None
    ) -> Gateway:
        """Point the gateway at the profile whose long-lived key signs, and refuse the
        profiles that cannot hold one. ``pointed_by``: the role profile that names it."""
        gateway = self.gateway()
        if gateway.profile != profile or gateway.explicit != explicit:
            gateway.use_profile(profile, explicit=explicit, pointed_by=pointed_by)
        if gateway.setting("role_arn"):
            raise MfaEnvError(
                f"profile {profile!r} assumes a role itself; the source_profile of a role "
                "must hold an IAM user's keys (roles chained from roles are not supported)"
            )
        process = gateway.setting("credential_process") or ""
        if "mfaenv" in process and "credential-process" in process:
            keys = [name for name in gateway.key_profiles() if name != profile]
            yours = f" ({', '.join(keys[:5])})" if keys else ""
            raise MfaEnvError(
                f"profile {profile!r} gets its keys from mfaenv credential-process, which "
                "gets them from a profile with long-lived keys: give mfa or credential-process "
                f"that profile{yours}, not this one"
            )
        return gateway

    def key(self) -> tuple[LongLivedKey, str | None]:
        """The long-lived key of the profile the gateway is pointed at, and the MFA device
        the credentials file's layout names for it (None: none); read once per profile."""
        gateway = self.gateway()
        where = (gateway.profile, gateway.explicit)
        if where not in self._keys:
            self._keys[where] = self._read_key(gateway)
        return self._keys[where]

    def _read_key(self, gateway: Gateway) -> tuple[LongLivedKey, str | None]:
        store = self.key_store()
        if store is not None:
            from mfaenv.awsprofile import LongLivedKey

            return LongLivedKey(store.read(), str(store)), None
        if os.environ.get(DEPTH_MARKER):
            raise MfaEnvError(
                "mfaenv was asked for keys by itself (a credential_process pointing back "
                "at mfaenv); point it at the profile that holds the long-lived keys"
            )
        # Any credential_process botocore runs for the keys sees the marker, and refuses.
        os.environ[DEPTH_MARKER] = "1"
        try:
            from mfaenv.layouts import long_lived_key

            return long_lived_key(gateway, self.environ)
        finally:
            del os.environ[DEPTH_MARKER]

    def key_store(self) -> KeyStore | None:
        """The store of the key profile's long-lived keys (``keys`` in the mfaenv config);
        None when the keys come from the environment or the AWS files."""
        gateway = self.gateway()
        if not gateway.explicit and self.environ.get("AWS_ACCESS_KEY_ID"):
            return None
        keys = self.config.profile(gateway.profile).keys
        return keys.for_profile(gateway.profile) if keys is not None else None

    def role(self) -> RoleSpec | None:
        """The role to assume: --role, or the requested profile's role_arn."""
        asked = asked_role(self.request)
        return asked if asked is not None else self.gateway().role()

    def totp_source(self, key_profile: str) -> Source | None:
        """--totp, else totp in the mfaenv config, else mfa_process in the AWS config of
        the profile asked for or of ``key_profile`` (mfaenv.awsvault)."""
        from mfaenv.totp import Source

        if self.request.totp:
            return Source.parse(self.request.totp)
        configured = self.config.profile(key_profile).totp
        if configured is not None:
            return configured
        from mfaenv.awsvault import mfa_process

        return mfa_process(self.gateway, (self.request.profile, key_profile))

    def ask_code(self, serial: str) -> str | None:
        """A code for device ``serial`` asked for as ``prompt`` says; None if it cannot be."""
        from mfaenv.asking import ask_code

        return ask_code(self.prompt(), self.request.profile, serial, self.clock)

    def prompt(self) -> str | None:
        """How a code is asked for here (mfaenv.asking): terminal, dialog, or None."""
        from mfaenv.asking import choose

        return choose(self.config.profile(self.request.profile).prompt or self.config.prompt)


def exported_profile(gateway: Gateway) -> tuple[str | None, str | None]:
    """What a session of the profile ``gateway`` points at exports as AWS_PROFILE (None
    when the AWS files lack it) and as the region (None when the profile names none)."""
    return (gateway.profile if gateway.in_files() else None), gateway.setting("region")


def asked_role(request: Request) -> RoleSpec | None:
    """The role --role names, assumed from the profile asked for; None without --role."""
    if request.role is None:
        return None
    from mfaenv.awsprofile import RoleSpec

    return RoleSpec(
        role_arn=request.role,
        source_profile=request.profile,
        explicit_source=request.explicit_profile,
    )


def profile_role(request: Request, environ: Mapping[str, str]) -> RoleSpec | None:
    """The role ``request`` assumes, as ``LoginContext.role`` finds it, read without the
    mfaenv config."""
    asked = asked_role(request)
    if asked is not None:
        return asked
    from mfaenv.gateway import Gateway

    return Gateway(request.profile, explicit=request.explicit_profile, environ=environ).role()
