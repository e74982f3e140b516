"""Getting an MFA session: the cached one while it is good, else a new one.

A new one needs the device (found once, then cached), a code spent once (typed, from
the profile's TOTP source, or asked on the terminal), and one GetSessionToken call.
Reuse imports nothing heavy; ``mfaenv.sts`` (botocore) is imported only to call AWS.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mfaenv.cache import Cache, SerialRecord, UntrustedFile
from mfaenv.errors import MfaEnvError, warn
from mfaenv.session import Session, fingerprint
from mfaenv.timefmt import (
    DEFAULT_DURATION,
    ROOT_MAX_DURATION,
    USER_MIN_DURATION,
    check_duration,
    format_duration,
)
from mfaenv.totp import Source, ask_terminal, terminal_available, wait_for_next_step

if TYPE_CHECKING:
    from mfaenv.config import Config
    from mfaenv.sts import Aws, RoleSpec

# AWS accepts a code once; one seen accepted this recently is not sent again.
CODE_MEMORY = 120
USED = "that code was already used; each code works once: wait for the next one"
# AWS caps a role session assumed with session credentials at an hour.
CHAIN_MAX_DURATION = 3600
DEFAULT_ROLE_DURATION = 3600
MAX_ROLE_DURATION = 12 * 3600
# How many time steps a TOTP source may keep giving a spent code before we give up.
SOURCE_TRIES = 3


@dataclass(frozen=True)
class Request:
    """What the user asked for; None where they left it to the defaults."""

    profile: str
    explicit_profile: bool
    code: str | None = None
    duration: int | None = None
    serial: str | None = None
    totp: str | None = None
    role: str | None = None  # a role ARN to assume ad hoc (--role)
    cache_as: str | None = None  # where the session is cached, when not under its own name

    @property
    def cache_name(self) -> str:
        """A profile's session is cached under its name; an ad hoc role's beside it."""
        if self.cache_as is not None:
            return self.cache_as
        return self.profile if self.role is None else f"{self.profile}+{self.role}"


def _reusable(cache: Cache, request: Request, environ: Mapping[str, str]) -> Session:
    """The cached session of the profile, checked; MfaEnvError says why there is none."""
    profile = request.profile
    try:
        session = cache.reusable_session(request.cache_name, time.time())
    except UntrustedFile as err:
        raise MfaEnvError(f"{err}; not using it: run `mfa CODE` for a new session") from None
    if session is None:
        raise MfaEnvError(
            f"no cached MFA session for profile {profile!r}; run `mfa CODE` with a code "
            "from your MFA device, or set a TOTP source (totp in the mfaenv config, or --totp)"
        )
    key = environ.get("AWS_ACCESS_KEY_ID")
    if not request.explicit_profile and key and session.source != fingerprint(key):
        raise MfaEnvError(
            f"the cached session of profile {profile!r} was made from another access key than "
            "the one in your environment; run `mfa CODE` for a new session"
        )
    return session


def obtain(request: Request, environ: Mapping[str, str], cache: Cache | None = None) -> Session:
    """The session for ``request``; ``environ`` is the environment without any MFA session.

    With no code, a good cached session is used as it is (no AWS call, no boto3).
    Otherwise the code comes from the request, the TOTP source or the terminal.
    """
    cache = cache if cache is not None else Cache()
    missing: MfaEnvError | None = None
    if request.code is None:
        try:
            return _reusable(cache, request, environ)
        except MfaEnvError as err:
            missing = err

    from mfaenv import config as config_file
    from mfaenv.sts import RoleSpec, read_role

    config = config_file.load()
    if request.role is not None:
        role: RoleSpec | None = RoleSpec(
            role_arn=request.role,
            source_profile=request.profile,
            explicit_source=request.explicit_profile,
        )
    else:
        role = read_role(request.profile, explicit=request.explicit_profile)
    key_profile = role.source_profile if role is not None else request.profile
    spec = request.totp
    source = Source.parse(spec) if spec else config.profile(key_profile).totp
    if role is not None:
        return _role_session(request, environ, config, cache, source, role)
    if missing is not None and source is None and not terminal_available():
        raise missing
    return _new_session(request, environ, config, cache, source)


def find_serial(aws: Aws, cache: Cache, key_fingerprint: str) -> tuple[SerialRecord, bool]:
    """The caller's one TOTP device, from the cache or by asking IAM. The flag: newly found."""
    cached = cache.serial_for(key_fingerprint)
    if cached is not None:
        return cached, False
    identity = aws.caller_identity()
    devices = aws.totp_devices(identity)
    if not devices:
        raise MfaEnvError(
            f"{identity.arn} has no MFA device that gives codes; enrol a virtual MFA device, "
            "or name one with --serial ARN"
        )
    if len(devices) > 1:
        raise MfaEnvError(
            f"{identity.arn} has {len(devices)} MFA devices ({', '.join(devices)}); choose one "
            "with --serial ARN, mfa_serial in ~/.aws/config or serial in the mfaenv config"
        )
    return SerialRecord(serial=devices[0], arn=identity.arn), True


def _code(request: Request, source: Source | None, serial: str, cache: Cache) -> str:
    """A code AWS has not accepted yet: typed, from the source, or asked on the terminal."""
    if request.code is not None:
        if cache.code_was_used(serial, request.code, since=time.time() - CODE_MEMORY):
            raise MfaEnvError(USED)
        return request.code
    if source is None:
        code = ask_terminal(serial)
        if code is None:
            raise MfaEnvError("no MFA code: give one (mfa 123456) or set a TOTP source")
        if cache.code_was_used(serial, code, since=time.time() - CODE_MEMORY):
            raise MfaEnvError(USED)
        return code
    for _ in range(SOURCE_TRIES):
        code = source.read(time.time())
        if not cache.code_was_used(serial, code, since=time.time() - CODE_MEMORY):
            return code
        wait_for_next_step(source.period())
    raise MfaEnvError(f"the TOTP source {source} keeps giving a code AWS already accepted")


def connect(profile: str, explicit: bool, environ: Mapping[str, str]) -> Aws:
    """The profile's AWS access, with its long-lived keys loaded."""
    from mfaenv.sts import Aws

    if os.environ.get("__MFAENV_DEPTH"):
        raise MfaEnvError(
            "mfaenv was asked for keys by itself (a credential_process pointing back at "
            "mfaenv); point it at the profile that holds the long-lived keys"
        )
    # Any credential_process botocore runs for the keys sees the marker, and refuses above.
    os.environ["__MFAENV_DEPTH"] = "1"
    try:
        aws = Aws(profile, explicit_profile=explicit, environ=environ)
        aws.credentials  # noqa: B018 - load them while the marker is set
    finally:
        del os.environ["__MFAENV_DEPTH"]
    return aws


def _with_code(
    request: Request,
    environ: Mapping[str, str],
    config: Config,
    cache: Cache,
    source: Source | None,
    call: Callable[[Aws, str, str, str | None, bool], Session],
) -> Session:
    """Find the device, take one fresh code under the refresh lock, and make ``call``.

    ``call(aws, serial, code, user_arn, root)`` returns the session to cache; files
    are written only after AWS has accepted the code.
    """
    aws = connect(request.profile, request.explicit_profile, environ)
    key_fingerprint = fingerprint(aws.credentials.access_key_id)
    serial = request.serial or aws.setting("mfa_serial") or config.profile(request.profile).serial
    arn: str | None = None
    discovered: SerialRecord | None = None
    if serial is None:
        record, new = find_serial(aws, cache, key_fingerprint)
        serial, arn = record.serial, record.arn
        discovered = record if new else None
    root = arn is not None and arn.endswith(":root")

    with cache.lock():
        if request.code is None:
            # Another process may have refreshed while we waited: do not spend a code.
            try:
                return _reusable(cache, request, environ)
            except MfaEnvError:
                pass
        code = _code(request, source, serial, cache)
        session = call(aws, serial, code, arn, root)
        session = replace(session, source=key_fingerprint)
        cache.save_session(session, request.cache_name)
        cache.remember_code(serial, code, int(time.time()))
        if discovered is not None:
            cache.remember_serial(key_fingerprint, discovered)
    return session


def _new_session(
    request: Request,
    environ: Mapping[str, str],
    config: Config,
    cache: Cache,
    source: Source | None,
) -> Session:
    """A GetSessionToken session: the MFA session itself."""
    settings = config.profile(request.profile)

    def call(aws: Aws, serial: str, code: str, arn: str | None, root: bool) -> Session:
        duration = request.duration or settings.duration or config.duration
        if duration is None:
            duration = ROOT_MAX_DURATION if root else DEFAULT_DURATION
        check_duration(duration, root=root)
        credentials, expiration = aws.session_token(serial, code, duration)
        return Session(request.profile, credentials, expiration, serial, arn)

    return _with_code(request, environ, config, cache, source, call)


def _session_name(role: RoleSpec, user_arn: str | None) -> str:
    if role.session_name != "mfaenv" or not user_arn:
        return role.session_name
    name = "mfaenv-" + user_arn.rsplit("/", 1)[-1]
    return re.sub(r"[^\w+=,.@-]", "-", name)[:64]


def _role_session(
    request: Request,
    environ: Mapping[str, str],
    config: Config,
    cache: Cache,
    source: Source | None,
    role: RoleSpec,
) -> Session:
    """A role session: straight from the long-lived keys and a code ("direct"), or from
    the source profile's MFA session, with no code while that lasts ("chain")."""
    settings = config.profile(request.profile)
    mode = settings.role_mode or "chain"
    asked = request.duration or settings.duration or role.duration
    if mode == "chain":
        duration = asked or CHAIN_MAX_DURATION
        if duration > CHAIN_MAX_DURATION and asked == role.duration and not request.duration:
            # duration_seconds is the AWS CLI's setting for direct AssumeRole: keep to 1h.
            warn(
                f"duration_seconds of {request.profile!r} is {format_duration(duration)}, but a "
                "role assumed from an MFA session lasts at most 1h: using 1h "
                '(role_mode = "direct" in the mfaenv config honours it)'
            )
            duration = CHAIN_MAX_DURATION
        if duration > CHAIN_MAX_DURATION:
            raise MfaEnvError(
                f"a role assumed from an MFA session lasts at most 1h (an AWS limit), not "
                f'{format_duration(duration)}; ask for less, or set role_mode = "direct" '
                f"for profile {request.profile!r} in the mfaenv config"
            )
    else:
        duration = asked or DEFAULT_ROLE_DURATION
        if not USER_MIN_DURATION <= duration <= MAX_ROLE_DURATION:
            raise MfaEnvError(f"AssumeRole takes 15m to 12h, not {format_duration(duration)}")
    source_request = Request(
        profile=role.source_profile,
        explicit_profile=role.explicit_source,
        code=request.code,
        serial=request.serial or role.mfa_serial,
        totp=request.totp,
    )
    if mode == "direct":
        direct = replace(source_request, cache_as=request.cache_name)

        def call(aws: Aws, serial: str, code: str, arn: str | None, root: bool) -> Session:
            name = _session_name(role, arn)
            spec = replace(role, session_name=name)
            creds, expiration, assumed = aws.assume_role(spec, duration, serial=serial, code=code)
            return Session(
                request.profile,
                creds,
                expiration,
                serial,
                arn,
                role_arn=role.role_arn,
                role_user=assumed,
            )

        return _with_code(direct, environ, config, cache, source, call)

    mfa = obtain(source_request, environ, cache)
    aws = _access(role.source_profile, role.explicit_source, environ)
    spec = replace(role, session_name=_session_name(role, mfa.arn))
    creds, expiration, assumed = aws.assume_role(spec, duration, credentials=mfa.credentials)
    session = Session(
        request.profile,
        creds,
        expiration,
        mfa.serial,
        mfa.arn,
        source=mfa.source,
        role_arn=role.role_arn,
        role_user=assumed,
    )
    cache.save_session(session, request.cache_name)
    return session


def _access(profile: str, explicit: bool, environ: Mapping[str, str]) -> Aws:
    """The profile's AWS access without loading its keys (an MFA session signs instead)."""
    from mfaenv.sts import Aws

    return Aws(profile, explicit_profile=explicit, environ=environ)
