"""Durations and expiry times. Pure functions: every 'now' is a parameter."""

from __future__ import annotations

import time

from mfaenv.errors import MfaEnvError

MINUTE = 60
HOUR = 3600
# Longer than any duration AWS knows; keeps int() away from thousand-digit numbers.
_MAX_DURATION_TEXT = 12


def _ascii_digits(text: str) -> bool:
    """``0``-``9`` only: ``str.isdigit`` also takes ``²``, full-width and Arabic-Indic digits."""
    return text.isascii() and text.isdigit()


def parse_duration(text: str) -> int:
    """Seconds from ``3600``, ``90m``, ``12h``, ``1h30m`` or ``1h30m15s``."""
    stripped = text.strip()
    if _ascii_digits(stripped) and len(stripped) <= _MAX_DURATION_TEXT:
        return int(stripped)
    total, number, last = 0, "", ""
    units = {"h": HOUR, "m": MINUTE, "s": 1}
    valid = bool(stripped) and len(stripped) <= 3 * _MAX_DURATION_TEXT
    for char in stripped if valid else "":
        if _ascii_digits(char):
            number += char
        elif (
            char in units
            and number
            and len(number) <= _MAX_DURATION_TEXT
            and (not last or "hms".index(char) > "hms".index(last))
        ):
            total += int(number) * units[char]
            number, last = "", char
        else:
            valid = False
            break
    if not valid or number or not last:
        raise MfaEnvError(
            f"cannot read duration {text if len(text) <= 40 else text[:40] + '...'!r}: "
            "use seconds or a form like 90m, 12h, 1h30m"
        )
    return total


def format_duration(seconds: int) -> str:
    """``12h``, ``1h30m``, ``15m``, ``45s``: the shortest exact form."""
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, HOUR)
    minutes, secs = divmod(rest, MINUTE)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{value}{unit}" for value, unit in parts if value)


def remaining(expiry_epoch: int, now: float) -> int:
    """Whole seconds left until ``expiry_epoch`` (negative once past).

    ``now`` is taken in whole seconds, as the shells' ``$EPOCHSECONDS`` is, so ``mfa
    status`` and the prompt segment always agree.
    """
    return int(expiry_epoch - int(now))


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


def to_rfc3339(epoch: int) -> str:
    """UTC with a ``Z``, no fraction: what botocore and starship read."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def from_rfc3339(text: str) -> int:
    """Epoch seconds of an RFC 3339 time (offsets and fractions accepted); ValueError if
    it is not one, has no time zone, or lies outside what a calendar can hold."""
    from datetime import datetime

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ValueError(f"not an RFC 3339 time: {text[:40]!r}") from None
    if value.tzinfo is None:
        raise ValueError(f"no time zone in {text[:40]!r}")
    try:
        return int(value.timestamp())
    except (ValueError, OverflowError):
        raise ValueError(f"not a usable time: {text[:40]!r}") from None
