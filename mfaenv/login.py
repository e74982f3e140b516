"""Getting a new MFA session: find the device, spend the code once, keep the result.

This is the network path; it imports ``sts`` and so botocore.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from mfaenv.cache import Cache, SerialRecord
from mfaenv.config import Config
from mfaenv.errors import MfaEnvError
from mfaenv.session import Session, fingerprint
from mfaenv.sts import Aws
from mfaenv.timefmt import DEFAULT_DURATION, ROOT_MAX_DURATION, check_duration

# AWS accepts a code once; one seen accepted this recently is refused without asking AWS.
CODE_MEMORY = 120


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


def new_session(
    *,
    profile: str,
    explicit_profile: bool,
    environ: Mapping[str, str],
    code: str,
    duration: int | None,
    serial: str | None,
    config: Config,
    cache: Cache,
    now: float | None = None,
) -> Session:
    """Trade the profile's long-lived key and ``code`` for session credentials, and cache them.

    ``duration`` is None when the user did not ask for one. Files are written only
    after AWS has accepted the code.
    """
    now = time.time() if now is None else now
    aws = Aws(profile, explicit_profile=explicit_profile, environ=environ)
    key_fingerprint = fingerprint(aws.credentials.access_key_id)
    settings = config.profile(profile)

    serial = serial or aws.setting("mfa_serial") or settings.serial
    arn: str | None = None
    discovered: SerialRecord | None = None
    if serial is None:
        record, new = find_serial(aws, cache, key_fingerprint)
        serial, arn = record.serial, record.arn
        discovered = record if new else None

    root = arn is not None and arn.endswith(":root")
    wanted = duration if duration is not None else settings.duration or config.duration
    if wanted is None:
        wanted = ROOT_MAX_DURATION if root else DEFAULT_DURATION
    check_duration(wanted, root=root)

    if cache.code_was_used(serial, code, since=now - CODE_MEMORY) is not None:
        raise MfaEnvError("that code was already used; each code works once: wait for the next one")

    credentials, expiration = aws.session_token(serial, code, wanted)
    session = Session(profile, credentials, expiration, serial, arn, source=key_fingerprint)
    cache.save_session(session)
    cache.remember_code(serial, code, int(now))
    if discovered is not None:
        cache.remember_serial(key_fingerprint, discovered)
    return session
