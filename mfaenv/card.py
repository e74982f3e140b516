"""A session as ``mfa status`` shows it: one card, for the shell's session and for a
cached one (``status --profile``). Builtins and ``time`` only: status is a hot path."""

from __future__ import annotations

import time

from mfaenv.printable import printable
from mfaenv.timefmt import format_remaining, remaining


def card(
    profile: str,
    user: str | None,
    device: str | None,
    role: tuple[str, str] | None,
    key: str | None,
    expires: int,
    now: float,
) -> str:
    """The lines of the card; ``role`` is (ARN, label) for a role session."""
    shown = format_remaining(remaining(expires, now))
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(expires))
    rows = [
        ("profile", profile),
        ("user", user or "unknown (device given by name)"),
        ("device", device or "unknown"),
        *([("role", f"{role[0]} ({role[1]})")] if role else []),
        ("key", key or "missing"),
        ("expires", f"{when} UTC ({shown}{'' if shown == 'expired' else ' left'})"),
    ]
    return "\n".join(f"{name:<8} {printable(value)}" for name, value in rows)
