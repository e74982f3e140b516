"""Durations and expiry times. Pure functions: every 'now' is a parameter."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from mfaenv.errors import MfaEnvError

MINUTE = 60
HOUR = 3600

# GetSessionToken limits (AWS STS API reference).
USER_MIN_DURATION = 15 * MINUTE
USER_MAX_DURATION = 36 * HOUR
ROOT_MAX_DURATION = 1 * HOUR
DEFAULT_DURATION = 12 * HOUR

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> int:
    """Seconds from ``3600``, ``90m``, ``12h``, ``1h30m`` or ``1h30m15s``."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise MfaEnvError(
            f"cannot read duration {text!r}: use seconds or a form like 90m, 12h, 1h30m"
        )
    hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return hours * HOUR + minutes * MINUTE + seconds


def check_duration(seconds: int, *, root: bool = False) -> int:
    """Refuse a session length that GetSessionToken would refuse, before calling it."""
    high = ROOT_MAX_DURATION if root else USER_MAX_DURATION
    who = "the root user" if root else "an IAM user"
    if not USER_MIN_DURATION <= seconds <= high:
        raise MfaEnvError(
            f"duration {format_duration(seconds)} is outside what AWS allows for {who}: "
            f"{format_duration(USER_MIN_DURATION)} to {format_duration(high)}"
        )
    return seconds


def format_duration(seconds: int) -> str:
    """``12h``, ``1h30m``, ``15m``, ``45s``: the shortest exact form."""
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, HOUR)
    minutes, secs = divmod(rest, MINUTE)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value)


def remaining(expiry_epoch: int, now: float) -> int:
    """Whole seconds left until ``expiry_epoch`` (negative once past)."""
    return int(expiry_epoch - now)


def format_remaining(seconds: int) -> str:
    """What a prompt shows: ``11h42m``, ``37m``, ``<1m``, then ``expired``."""
    if seconds <= 0:
        return "expired"
    hours, rest = divmod(seconds, HOUR)
    minutes = rest // MINUTE
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return "<1m"


def to_rfc3339(moment: datetime) -> str:
    """UTC with a ``Z``, no fraction: what botocore and starship read."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_rfc3339(text: str) -> datetime:
    """Inverse of ``to_rfc3339``; also accepts offsets and fractions."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"no time zone in {text!r}")
    return value.astimezone(timezone.utc)
