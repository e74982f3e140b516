"""Getting an MFA session: the cached one while it is good, else a new one.

A new one needs the device (found once, then cached), a code spent once (typed, from
the profile's TOTP source, or asked on the terminal), and one GetSessionToken call.
Reuse imports nothing heavy; ``mfaenv.sts`` (botocore) is imported only to call AWS.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mfaenv.cache import Cache, SerialRecord, UntrustedFile
from mfaenv.errors import MfaEnvError
from mfaenv.session import Session, fingerprint
from mfaenv.timefmt import DEFAULT_DURATION, ROOT_MAX_DURATION, check_duration
from mfaenv.totp import Source, ask_terminal, terminal_available, wait_for_next_step

if TYPE_CHECKING:
    from mfaenv.config import Config
    from mfaenv.sts import Aws

# AWS accepts a code once; one seen accepted this recently is not sent again.
CODE_MEMORY = 120
USED = "that code was already used; each code works once: wait for the next one"
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


def _reusable(cache: Cache, request: Request, environ: Mapping[str, str]) -> Session:
    """The cached session of the profile, checked; MfaEnvError says why there is none."""
    profile = request.profile
    try:
        session = cache.reusable_session(profile, time.time())
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

    config = config_file.load()
    spec = request.totp
    source = Source.parse(spec) if spec else config.profile(request.profile).totp
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


def _new_session(
    request: Request,
    environ: Mapping[str, str],
    config: Config,
    cache: Cache,
    source: Source | None,
) -> Session:
    from mfaenv.sts import Aws

    if os.environ.get("__MFAENV_DEPTH"):
        raise MfaEnvError(
            "mfaenv was asked for keys by itself (a credential_process pointing back at "
            "mfaenv); point it at the profile that holds the long-lived keys"
        )
    # Any credential_process botocore runs for the keys sees the marker, and refuses above.
    os.environ["__MFAENV_DEPTH"] = "1"
    try:
        aws = Aws(request.profile, explicit_profile=request.explicit_profile, environ=environ)
    finally:
        del os.environ["__MFAENV_DEPTH"]
    key_fingerprint = fingerprint(aws.credentials.access_key_id)
    settings = config.profile(request.profile)

    serial = request.serial or aws.setting("mfa_serial") or settings.serial
    arn: str | None = None
    discovered: SerialRecord | None = None
    if serial is None:
        record, new = find_serial(aws, cache, key_fingerprint)
        serial, arn = record.serial, record.arn
        discovered = record if new else None

    root = arn is not None and arn.endswith(":root")
    duration = request.duration or settings.duration or config.duration
    if duration is None:
        duration = ROOT_MAX_DURATION if root else DEFAULT_DURATION
    check_duration(duration, root=root)

    with cache.lock():
        if request.code is None:
            # Another process may have refreshed while we waited: do not spend a code.
            try:
                return _reusable(cache, request, environ)
            except MfaEnvError:
                pass
        code = _code(request, source, serial, cache)
        credentials, expiration = aws.session_token(serial, code, duration)
        session = Session(
            request.profile, credentials, expiration, serial, arn, source=key_fingerprint
        )
        cache.save_session(session)
        cache.remember_code(serial, code, int(time.time()))
        if discovered is not None:
            cache.remember_serial(key_fingerprint, discovered)
    return session
