"""Getting a session: the cached one while it is good, else a new one.

A ``Login`` holds what one command asked for (the request), the caller's environment,
the cache and the clock, and goes step by step: reuse a cached session; else find the
device, spend one fresh code under the refresh lock, and make the new session
(GetSessionToken), or a role session on top (AssumeRole). Reuse imports nothing heavy;
the AWS gateway (botocore) and the config are opened only when a step needs them.
"""

from __future__ import annotations

import os

from mfaenv.cache import REUSE_MARGIN, Cache, SerialRecord
from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError, warn
from mfaenv.files import UntrustedFile
from mfaenv.session import Session, fingerprint

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from mfaenv.awsprofile import LongLivedKey, RoleSpec
    from mfaenv.config import Config
    from mfaenv.gateway import Gateway
    from mfaenv.keystore import KeyStore
    from mfaenv.totp import Source

# AWS accepts a code once; one seen accepted this recently is not sent again.
CODE_MEMORY = 120
# credential_process renews this long before the end when a TOTP source gives a code:
# SDKs refresh 15 and then 10 minutes before expiry, and call again until they get later.
RENEW_MARGIN = 15 * 60
# SDKs refresh credentials 15 minutes before their end (10 at the latest): a session
# shorter than this makes them call credential_process again before every request.
SHORT_FOR_SDKS = 30 * 60
USED = "that code was already used (each code works once; wait for the next one)"
# How many time steps a TOTP source may keep giving a spent code before we give up.
SOURCE_TRIES = 3
# Set while mfaenv loads keys: a credential_process that leads back to mfaenv sees it.
DEPTH_MARKER = "__MFAENV_DEPTH"

_REQUEST_FIELDS = (
    "profile",
    "explicit_profile",
    "code",
    "duration",
    "serial",
    "totp",
    "role",
    "cache_as",
    "save_as",
)


class Request:
    """What the user asked for; None where they left it to the defaults.

    ``explicit_profile``: --profile named the profile (keys in the environment are then
    not used, as with the AWS CLI). ``role``: a role ARN to assume ad hoc (--role).
    ``cache_as``: where the session is cached, when not under its own name.
    """

    __slots__ = _REQUEST_FIELDS

    def __init__(
        self,
        profile: str,
        explicit_profile: bool,
        code: str | None = None,
        duration: int | None = None,
        serial: str | None = None,
        totp: str | None = None,
        role: str | None = None,
        cache_as: str | None = None,
        save_as: str | None = None,
    ) -> None:
        self.profile = profile
        self.explicit_profile = explicit_profile
        self.code = code
        self.duration = duration
        self.serial = serial
        self.totp = totp
        self.role = role
        self.cache_as = cache_as
        self.save_as = save_as

    def replace(self, **changes: Any) -> Request:
        values = {name: getattr(self, name) for name in _REQUEST_FIELDS}
        values.update(changes)
        return Request(**values)

    def __repr__(self) -> str:  # never the code
        return f"Request(profile={self.profile!r}, role={self.role!r})"

    @property
    def cache_name(self) -> str:
        """A profile's session is cached under its name; an ad hoc role's beside it."""
        if self.cache_as is not None:
            return self.cache_as
        return self.profile if self.role is None else f"{self.profile}+{self.role}"


class Device:
    """The MFA device a code is for: its serial, and the user and whether that user is
    root, where known (a serial given by name says neither)."""

    __slots__ = ("arn", "root", "serial")

    def __init__(self, serial: str, arn: str | None = None) -> None:
        self.serial = serial
        self.arn = arn
        self.root = arn is not None and arn.endswith(":root")


class Login:
    def __init__(
        self,
        request: Request,
        environ: Mapping[str, str],
        *,
        cache: Cache | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        """``environ`` is the caller's environment without any MFA session in it."""
        self.request = request
        self.environ = environ
        self.clock = clock
        self.cache = cache if cache is not None else Cache(clock=clock)
        self._config: Config | None = None
        self._gateway: Gateway | None = None
        self._key: LongLivedKey | None = None
        self.layout_serial: str | None = None  # the device an AWS-recipes layout names
        self.reused = False  # whether session() gave the cached session
        self.margin = REUSE_MARGIN  # a cached session this close to its end is not reused
        self.serving_sdk = False  # credential-process: it warns about short sessions itself

    # --- what the steps share, opened when first needed ---------------------------------

    def config(self) -> Config:
        if self._config is None:
            from mfaenv import config

            self._config = config.load()
        return self._config

    def gateway(self) -> Gateway:
        """The AWS gateway, pointed at the requested profile until a step retargets it."""
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

    @staticmethod
    def exported_profile(gateway: Gateway) -> tuple[str | None, str | None]:
        """What a session of the profile ``gateway`` points at exports as AWS_PROFILE (None
        when the AWS files lack it) and as the region (None when the profile names none)."""
        return (gateway.profile if gateway.in_files() else None), gateway.setting("region")

    def key(self) -> LongLivedKey:
        """The long-lived key of the key profile (``use_key_profile``), loaded once."""
        if self._key is None:
            store = self.key_store()
            if store is not None:
                from mfaenv.awsprofile import LongLivedKey

                self._key = LongLivedKey(store.read(), str(store))
                return self._key
            if os.environ.get(DEPTH_MARKER):
                raise MfaEnvError(
                    "mfaenv was asked for keys by itself (a credential_process pointing back "
                    "at mfaenv); point it at the profile that holds the long-lived keys"
                )
            # Any credential_process botocore runs for the keys sees the marker, and refuses.
            os.environ[DEPTH_MARKER] = "1"
            try:
                from mfaenv.layouts import long_lived_key

                self._key, self.layout_serial = long_lived_key(self.gateway(), self.environ)
            finally:
                del os.environ[DEPTH_MARKER]
        return self._key

    def key_store(self) -> KeyStore | None:
        """The store of the key profile's long-lived keys (``keys`` in the mfaenv config);
        None when the keys come from the environment or the AWS files."""
        gateway = self.gateway()
        if not gateway.explicit and self.environ.get("AWS_ACCESS_KEY_ID"):
            return None
        keys = self.config().profile(gateway.profile).keys
        return keys.for_profile(gateway.profile) if keys is not None else None

    def role(self) -> RoleSpec | None:
        """The role to assume: --role, or the requested profile's role_arn."""
        if self.request.role is not None:
            from mfaenv.awsprofile import RoleSpec

            return RoleSpec(
                role_arn=self.request.role,
                source_profile=self.request.profile,
                explicit_source=self.request.explicit_profile,
            )
        return self.gateway().role()

    def totp_source(self, key_profile: str) -> Source | None:
        """--totp, else totp in the mfaenv config, else mfa_process in the AWS config of
        the profile asked for or of ``key_profile`` (mfaenv.awsvault)."""
        from mfaenv.totp import Source

        if self.request.totp:
            return Source.parse(self.request.totp)
        configured = self.config().profile(key_profile).totp
        if configured is not None:
            return configured
        from mfaenv.awsvault import mfa_process

        return mfa_process(self.gateway, (self.request.profile, key_profile))

    def prompt(self) -> str | None:
        """How a code is asked for here (mfaenv.asking): terminal, dialog, or None."""
        from mfaenv.asking import choose

        config = self.config()
        return choose(config.profile(self.request.profile).prompt or config.prompt)

    # --- the steps ------------------------------------------------------------------------

    def session(self) -> Session:
        """The session asked for: cached while good, else new (a code is spent). A new
        one is also written where it is saved as a profile (``saveas``); a cached one
        only when --save-as asks."""
        request = self.request
        if request.save_as is not None:
            from mfaenv.saveas import check

            check(request.save_as, clock=self.clock)  # before anything
        cached, reason = self.reuse(request) if request.code is None else (None, None)
        if cached is not None:
            if request.save_as is not None:
                self.write_saved(cached, [request.save_as])
            self.reused = True
            return cached
        role = self.role()
        if role is not None and request.code is None:
            chained = self.chained_role_session(request)  # no code while the MFA session lives
            if chained is not None:
                return chained
        source = self.totp_source(role.source_profile if role else request.profile)
        saved = self.saved_names(request)
        if role is not None:
            session = self.role_session(role, source)
        else:
            session = self.mfa_session(request, source, reason)
        self.write_saved(session, saved)
        return session

    def saved_names(self, request: Request) -> list[str]:
        """Where a new session of ``request`` is written in the credentials file
        (--save-as, save_as in the config, names saved before); each checked now, before
        a code is spent."""
        from mfaenv.saveas import check, names_for

        names = [request.save_as, self.config().profile(request.profile).save_as]
        names += names_for(self.cache.root, request.cache_name)
        unique = list(dict.fromkeys(name for name in names if name))
        for name in unique:
            check(name, clock=self.clock)
        return unique

    def write_saved(
        self, session: Session, names: list[str], cache_name: str | None = None
    ) -> None:
        from mfaenv.saveas import save

        for name in names:
            try:
                path = save(
                    session,
                    name,
                    self.cache.root,
                    cache_name or self.request.cache_name,
                    self.clock,
                )
            except MfaEnvError as err:  # checked before the code was spent: keep the session
                warn(f"the session was not saved as profile {name!r}: {err}")
                continue
            warn(f"saved the session as profile {name!r} in {path}{_open_to_others(path)}")

    def lasting_session(self) -> Session:
        """The session for credential_process, which SDKs call again as the end nears.

        With a TOTP source, a new session once less than RENEW_MARGIN is left. With no
        way to get a code (no source, nothing to ask on), the cached session until its very
        end (the SDK is told the true expiry), then one line naming `mfa CODE`.
        """
        request = self.request
        if request.code is not None:
            return self.session()
        self.margin = RENEW_MARGIN
        cached, _ = self.reuse(request)
        if cached is not None:
            self.reused = True
            return cached
        source = self.lasting_source(request)
        if source is None:
            chained = self.chained_role_session(request)
            if chained is not None:
                return chained
            self.margin = REUSE_MARGIN
            if self.prompt() is None:
                self.margin = 0
                cached, reason = self.reuse(request)
                if cached is not None:
                    self.reused = True
                    return cached
                raise MfaEnvError(self.ended(request) or reason or "no MFA session")
        return self.session()

    def chained_role_session(self, request: Request) -> Session | None:
        """A new role session chained from the source profile's cached MFA session, which
        needs no code (so no terminal) while that session lives at all; None when the
        request is no chained role or that MFA session is not cached or has ended."""
        from mfaenv.rolemodes import DIRECT

        if self.cached_without_role(request):
            return None
        role = self.role()
        if role is None or self.role_mode(role)[0] == DIRECT:
            return None
        source = Request(profile=role.source_profile, explicit_profile=role.explicit_source)
        margin, self.margin = self.margin, 0
        try:
            mfa, _ = self.reuse(source)
            if mfa is None:
                return None
            saved = self.saved_names(request)
            session = self.role_session(role, None)
        finally:
            self.margin = margin
        self.write_saved(session, saved)
        return session

    def cached_without_role(self, request: Request) -> bool:
        """Whether ``request`` names no role and its cached session is a plain MFA session:
        then the AWS files (and botocore) need not be opened to learn there is no role."""
        if request.role is not None:
            return False
        try:
            cached = self.cache.load_session(request.cache_name)
        except UntrustedFile:
            return False
        return cached is not None and cached.role_arn is None

    def lasting_source(self, request: Request) -> Source | None:
        """The TOTP source for ``request``. SDKs call credential_process on each request
        once the end is near: for a cached MFA session (no role) the AWS files, and so
        botocore, are not opened just to learn that there is no source."""
        if self.cached_without_role(request):
            return self.totp_source(request.profile)
        role = self.role()
        return self.totp_source(role.source_profile if role else request.profile)

    def ended(self, request: Request) -> str | None:
        """What to say when the cached session has come to its end; None if there is none."""
        try:
            stale = self.cache.load_session(request.cache_name)
        except UntrustedFile:
            return None
        if stale is None or stale.expires - self.clock.now() > self.margin:
            return None
        left = stale.expires - self.clock.now()
        if left > 0:  # within the margin: too near its end to hand out
            from mfaenv.timefmt import format_remaining

            ended = f"has ended ({format_remaining(int(left))} left, too close to its end to use)"
        else:
            ended = "has ended"
        return (
            f"the MFA session of profile {request.profile!r} {ended}: run "
            f"`mfa CODE --profile {request.profile}` with a code from your MFA device"
        )

    def reuse(self, request: Request) -> tuple[Session | None, str | None]:
        """The cached session for ``request``, or None and the reason there is none."""
        profile = request.profile
        try:
            session = self.cache.reusable_session(request.cache_name, self.margin)
        except UntrustedFile as err:
            return None, f"{err}; not using it: run `mfa CODE` for a new session"
        if session is None:
            return None, self.ended(request) or (
                f"no cached MFA session for profile {profile!r}; run `mfa CODE` with a code "
                "from your MFA device, or set a TOTP source (totp in the mfaenv config, or --totp)"
            )
        key = self.environ.get("AWS_ACCESS_KEY_ID")
        if not request.explicit_profile and key and session.source != fingerprint(key):
            return None, (
                f"the cached session of profile {profile!r} was made from another access key "
                "than the one in your environment; run `mfa CODE` for a new session"
            )
        if request.duration is not None and request.duration != session.duration:
            from mfaenv.timefmt import format_duration

            asked = format_duration(request.duration)
            made = f"for {format_duration(session.duration)}" if session.duration else "earlier"
            return None, (
                f"the cached session of profile {profile!r} was made {made}, not for the "
                f"{asked} asked; run `mfa CODE --duration {asked}` for a new session"
            )
        return session, None

    def mfa_session(self, request: Request, source: Source | None, reason: str | None) -> Session:
        """A new MFA session, unless no code can be had: then ``reason`` (why the cache
        could not serve) is the answer."""
        if reason is not None and source is None and self.prompt() is None:
            raise MfaEnvError(reason)
        return self.new_session(request, source)

    def device(self, request: Request, key_fingerprint: str) -> tuple[Device, SerialRecord | None]:
        """The device to use: named (--serial, mfa_serial, the mfaenv config), cached, or
        found from the caller's identity. The record is set when newly found."""
        gateway = self.gateway()
        serial = (
            request.serial
            or gateway.setting("mfa_serial")
            or gateway.setting("aws_mfa_serial")  # AWS-recipes, in the credentials file
            or self.layout_serial
            or self.config().profile(request.profile).serial
        )
        if serial is not None:
            if request.serial is None:
                origin = f"mfa_serial of profile {request.profile!r}"
                if not gateway.setting("mfa_serial"):
                    origin = f"serial of profile {request.profile!r} in the mfaenv config"
            elif request.serial == self.request.serial:
                origin = "--serial"
            else:
                origin = f"mfa_serial of profile {self.request.profile!r}"  # a role profile's
            refuse_comment(serial, origin)
            from mfaenv.arns import check_serial

            where = "--serial" if request.serial else "the MFA device (mfa_serial or serial)"
            return Device(check_serial(serial, where)), None
        from mfaenv.arns import check_serial, is_serial

        cached = self.cache.serial_for(key_fingerprint)
        if cached is not None and is_serial(cached.serial):  # else found again
            return Device(cached.serial, cached.arn), None
        credentials = self.key().credentials
        identity = gateway.caller_identity(credentials)
        devices = gateway.totp_devices(identity, credentials)
        if not devices:
            raise MfaEnvError(
                f"{identity.arn} has no MFA device that gives codes; enroll a virtual MFA "
                "device, or name one with --serial ARN"
            )
        if len(devices) > 1:
            raise MfaEnvError(
                f"{identity.arn} has {len(devices)} MFA devices ({', '.join(devices)}); choose "
                "one with --serial ARN, mfa_serial in ~/.aws/config or serial in the mfaenv config"
            )
        record = SerialRecord(check_serial(devices[0], "the MFA device AWS listed"), identity.arn)
        return Device(record.serial, record.arn), record

    def fresh_code(self, device: Device, request: Request, source: Source | None) -> str:
        """A code AWS has not accepted yet: typed, from the source, or asked for (on the
        terminal or in a dialog: mfaenv.asking)."""

        def used(code: str) -> bool:
            since = self.clock.now() - CODE_MEMORY
            return self.cache.code_was_used(device.serial, code, since) is not None

        if request.code is not None or source is None:
            code = request.code
            if code is None:
                from mfaenv.asking import ask_code

                code = ask_code(self.prompt(), self.request.profile, device.serial, self.clock)
                if code is None:
                    raise MfaEnvError("no MFA code: give one (mfa 123456) or set a TOTP source")
            if used(code):
                raise MfaEnvError(USED)
            return code
        from mfaenv.terminal import wait_for_next_step

        for _ in range(SOURCE_TRIES):
            code = source.read(self.clock.now())
            if not used(code):
                return code
            wait_for_next_step(source.period(), clock=self.clock)
        raise MfaEnvError(f"the TOTP source {source} keeps giving a code AWS already accepted")

    def shared_session(
        self, request: Request, device: Device, key_fingerprint: str
    ) -> Session | None:
        """The same code typed in several terminals at once: the first spends it, and the
        others, having waited on the lock, get the session it made (not "already used").
        That is the cached session when AWS accepted this very code moments ago and the
        session was written since, for the same device and long-lived key."""
        if request.code is None:
            return None
        since = self.clock.now() - CODE_MEMORY
        accepted = self.cache.code_was_used(device.serial, request.code, since)
        last = self.cache.last_code_at(device.serial)
        if accepted is None or (last is not None and last > accepted):
            return None  # a later code made the cached session, not this one
        try:
            session = self.cache.reusable_session(request.cache_name, self.margin)
        except UntrustedFile:
            return None
        made = self.cache.session_made(request.cache_name)
        if (
            session is None
            or made is None
            or made < accepted
            or session.serial != device.serial
            or session.source != key_fingerprint
        ):
            return None
        if request.duration is not None and request.duration != session.duration:
            from mfaenv.timefmt import format_duration

            length = f"the {format_duration(session.duration)} " if session.duration else "a "
            raise MfaEnvError(
                f"that code was already used, for {length}session of profile "
                f"{request.profile!r} (each code works once); wait for the next code to get "
                f"{format_duration(request.duration)}"
            )
        return session

    def spend_code(
        self,
        request: Request,
        source: Source | None,
        call: Callable[[Device, str], Session],
    ) -> Session:
        """Find the device, take one fresh code under the refresh lock, and make ``call``
        with it. Files are written only after AWS has accepted the code."""
        key_fingerprint = fingerprint(self.key().credentials.access_key_id)
        device, discovered = self.device(request, key_fingerprint)
        # Before a code is spent, not after: the session of the profile asked for, and
        # the MFA session it is made from, must be able to be kept.
        self.cache.check_writable(request.cache_name, self.request.cache_name)
        with self.cache.lock():
            if request.code is None:
                # Another process may have refreshed while we waited: do not spend a code.
                cached, _ = self.reuse(request)
                if cached is not None:
                    self.reused = request.cache_name == self.request.cache_name
                    return cached
            shared = self.shared_session(request, device, key_fingerprint)
            if shared is not None:
                self.reused = request.cache_name == self.request.cache_name
                return shared
            code = self.fresh_code(device, request, source)
            session = call(device, code).replace(source=key_fingerprint)
            refuse_expired(session.expires, self.clock.now(), self.gateway().server_time)
            try:
                self.cache.remember_code(device.serial, code, int(self.clock.now()))
                self.cache.save_session(session, request.cache_name, self.config().follow)
                if discovered is not None:
                    self.cache.remember_serial(key_fingerprint, discovered)
            except MfaEnvError as err:
                warn(f"{err}; the session is yours but is not cached for other shells")
        return session

    def new_session(self, request: Request, source: Source | None) -> Session:
        """A GetSessionToken session: the MFA session itself."""
        from mfaenv.rolemodes import MFA, session_length

        gateway = self.use_key_profile(request.profile, request.explicit_profile)
        aws_profile, region = self.exported_profile(gateway)
        config = self.config()
        configured = config.profile(request.profile).duration or config.duration
        self.warn_short(request.profile, request.duration or configured)

        def call(device: Device, code: str) -> Session:
            duration, _ = session_length(
                MFA,
                profile=request.profile,
                asked=request.duration,
                configured=configured,
                root=device.root,
            )
            credentials, expires = gateway.session_token(
                self.key().credentials, device.serial, code, duration
            )
            return Session(
                request.profile,
                credentials,
                expires,
                device.serial,
                device.arn,
                aws_profile=aws_profile,
                region=region,
                duration=duration if request.duration is None else request.duration,
            )

        return self.spend_code(request, source, call)

    def warn_short(self, profile: str, duration: int | None) -> None:
        """Warn when a session too short for SDKs is asked for a profile some
        ``credential_process`` gets from mfaenv: they would run it before every request."""
        if self.serving_sdk or duration is None or duration >= SHORT_FOR_SDKS:
            return
        from mfaenv.layouts import asking_profiles
        from mfaenv.timefmt import format_duration

        users = asking_profiles(profile)
        if users:
            warn(
                f"a session of {format_duration(duration)} is shorter than 30 minutes: SDKs "
                f"using profile {users[0]!r} (credential_process) would run mfaenv before "
                "every request; ask for at least 30m (--duration, duration in the config)"
            )

    def role_mode(self, role: RoleSpec) -> tuple[str, str | None]:
        """How ``role`` is assumed, CHAIN or DIRECT; for role_mode "auto", also the line
        that says which it took."""
        from mfaenv.rolemodes import AUTO, CHAIN, auto_mode

        settings = self.config().profile(self.request.profile)
        mode = settings.role_mode or CHAIN
        if mode != AUTO:
            return mode, None
        return auto_mode(
            asked=self.request.duration, configured=settings.duration, aws_setting=role.duration
        )

    def role_session(self, role: RoleSpec, source: Source | None) -> Session:
        """A role session: straight from the long-lived key and a code ("direct"), or from
        the source profile's MFA session, with no code while that lasts ("chain"); "auto"
        chains while the length fits the chaining limit, and says which it took."""
        from dataclasses import replace

        from mfaenv.rolemodes import DIRECT, session_length

        request = self.request
        settings = self.config().profile(request.profile)
        mode, took = self.role_mode(role)  # took: for "auto", said once the session is made
        duration, note = session_length(
            mode,
            profile=request.profile,
            asked=request.duration,
            configured=settings.duration,
            aws_setting=role.duration,
        )
        if note is not None:
            warn(note)
        self.warn_short(request.profile, duration)
        kept = duration if request.duration is None else request.duration  # in the cache
        source_request = Request(
            profile=role.source_profile,
            explicit_profile=role.explicit_source,
            code=request.code,
            serial=request.serial or role.mfa_serial,
            totp=request.totp,
        )
        pointed_by = request.profile if request.role is None else None
        gateway = self.use_key_profile(role.source_profile, role.explicit_source, pointed_by)
        # A role profile exports itself and its own region; --role ARN the profile asked for.
        aws_profile: str | None = request.profile
        region = role.region
        if request.role is not None:
            aws_profile, region = self.exported_profile(gateway)
        if mode == DIRECT:

            def call(device: Device, code: str) -> Session:
                spec = replace(role, session_name=session_name(role, device.arn))
                credentials, expires, assumed = gateway.assume_role(
                    self.key().credentials, spec, duration, serial=device.serial, code=code
                )
                return Session(
                    request.profile,
                    credentials,
                    expires,
                    device.serial,
                    device.arn,
                    role_arn=role.role_arn,
                    role_user=assumed,
                    aws_profile=aws_profile,
                    region=region,
                    duration=kept,
                    role_mode=mode,
                )

            direct = self.spend_code(
                source_request.replace(cache_as=request.cache_name, duration=request.duration),
                source,
                call,
            )
            if took is not None:
                warn(took)
            return direct

        mfa, reason = self.reuse(source_request) if source_request.code is None else (None, None)
        if mfa is None:
            saved = self.saved_names(source_request)  # the source's own, refreshed too
            mfa = self.mfa_session(source_request, source, reason)
            self.write_saved(mfa, saved, source_request.cache_name)
        spec = replace(role, session_name=session_name(role, mfa.arn))
        credentials, expires, assumed = gateway.assume_role(mfa.credentials, spec, duration)
        refuse_expired(expires, self.clock.now(), gateway.server_time)
        session = Session(
            request.profile,
            credentials,
            expires,
            mfa.serial,
            mfa.arn,
            source=mfa.source,
            role_arn=role.role_arn,
            role_user=assumed,
            aws_profile=aws_profile,
            region=region,
            duration=kept,
            role_mode=mode,
        )
        try:
            self.cache.save_session(session, request.cache_name, self.config().follow)
        except MfaEnvError as err:
            warn(f"{err}; the session is yours but is not cached for other shells")
        if took is not None:
            warn(took)
        return session


def refuse_comment(serial: str, origin: str) -> None:
    """A serial with a space or '#' in it is most often ``mfa_serial = ARN  # a note``:
    the AWS config has no inline comments, so the note is part of the value."""
    if "#" not in serial and not any(char.isspace() for char in serial):
        return
    message = f"{origin} is {serial!r}, with a space or '#' in it"
    if origin.startswith("mfa_serial"):
        message += (
            "; the AWS config has no inline comments (a '# ...' after a value is part of "
            "it): put the comment on a line of its own"
        )
    raise MfaEnvError(message, exit_code=2 if origin.startswith("--") else 1)


# Our clock and the server's may differ by this much before it is worth a word.
CLOCK_SLACK = 60


def refuse_expired(expires: int, now: float, server_time: float | None) -> None:
    """Refuse credentials that are over already. Where the server's clock (its Date)
    says they are not, ours is wrong: say by how much."""
    if expires > now:
        return
    from mfaenv.timefmt import format_duration, to_rfc3339

    ended = to_rfc3339(max(expires, 0)) if expires < 253402300800 else "?"
    if server_time is not None and expires > server_time and now - server_time > CLOCK_SLACK:
        raise MfaEnvError(
            f"this computer's clock is {format_duration(round((now - server_time) / 60) * 60)} "
            f"ahead of AWS's, so the new session (until {ended}) would count as expired; "
            "set the clock right (timedatectl set-ntp true) and try again"
        )
    raise MfaEnvError(
        f"STS answered with credentials that had already expired (at {ended}); check "
        "AWS_ENDPOINT_URL and this computer's clock"
    )


def session_name(role: RoleSpec, user_arn: str | None) -> str:
    """``role_session_name``, else ``mfaenv-USER``, as AWS allows it (64 of ``\\w+=,.@-``)."""
    if role.session_name != "mfaenv" or not user_arn:
        return role.session_name
    name = "mfaenv-" + user_arn.rsplit("/", 1)[-1]
    return "".join(c if c.isascii() and (c.isalnum() or c in "_+=,.@-") else "-" for c in name)[:64]


def obtain(
    request: Request,
    environ: Mapping[str, str],
    cache: Cache | None = None,
    clock: Clock = SYSTEM,
) -> Session:
    """The session for ``request``: ``Login(...).session()``."""
    return Login(request, environ, cache=cache, clock=clock).session()


def _open_to_others(path: str) -> str:
    """A note when the file the session went into (its mode kept) others may read."""
    import os
    import stat

    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return ""
    return f" (its mode {mode:04o}, kept, lets other users read it)" if mode & 0o077 else ""
