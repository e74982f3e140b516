"""``mfa status --all`` and ``mfa status --profile P``: the cached sessions, not this shell's.

Every session in the cache (whoever made it: ``mfa``, ``credential-process``, ``exec``),
read through the cache's trust checks, and every profile of the AWS files and the mfaenv
config that has none. Plain ``mfa status`` (this shell's session) stays in
``mfaenv.commands.status`` and imports none of this.
"""

from __future__ import annotations

import json
import time

from mfaenv.cache import Cache
from mfaenv.errors import MfaEnvError, debug
from mfaenv.files import UntrustedFile
from mfaenv.printable import printable
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.session import Session


def _row(name: str, session: Session, now: float) -> dict[str, object]:
    left = remaining(session.expires, now)
    return {
        "name": name,
        "profile": session.profile,
        "role": session.role_arn,
        "role_label": session.role_label,
        "user": session.arn,
        "device": session.serial,
        "access_key_id": session.credentials.access_key_id,
        "expiration": session.expiration,
        "expires_epoch": session.expires,
        "remaining_seconds": max(left, 0),
        "expired": left <= 0,
    }


def cached_sessions(cache: Cache) -> list[tuple[str, Session]]:
    """Every trusted session in the cache with its cache name, by name."""
    found = []
    for name in cache.session_names():
        try:
            session = cache.load_session(name)
        except UntrustedFile as err:
            debug(f"{err}; not listed")
            continue
        if session is not None:
            found.append((name, session))
    return sorted(found, key=lambda item: item[0])


def configured_profiles() -> list[str]:
    """The profiles of the AWS config and credentials files and of the mfaenv config."""
    from mfaenv import awsfiles

    names: set[str] = set()
    for read in (awsfiles.read_config, awsfiles.read_credentials):
        try:
            names.update(read(settle=False).profiles())
        except MfaEnvError as err:
            debug(f"cannot list the profiles: {err}")
    from mfaenv import config

    names.update(config.load().profiles)
    return sorted(name for name in names if name)


def _when(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _left(row: dict[str, object]) -> str:
    text = format_remaining(int(str(row["remaining_seconds"])))
    return "expired" if row["expired"] else f"{text} left"


def overview(profile: str | None, *, as_json: bool, clock: Clock) -> int:
    """``status --profile PROFILE``: its cached session; else every cached session and
    the profiles without one."""
    cache = Cache(clock=clock)
    now = clock.now()
    if profile is not None:
        return _one(cache, profile, as_json, now)
    rows = [_row(name, session, now) for name, session in cached_sessions(cache)]
    held = {str(row["name"]) for row in rows}
    without = [name for name in configured_profiles() if name not in held]
    live = any(not row["expired"] for row in rows)
    if as_json:
        print(json.dumps({"sessions": rows, "profiles_without_session": without}, indent=2))
        return 0 if live else 1
    table = [("PROFILE", "ROLE", "USER", "DEVICE", "EXPIRES", "LEFT")]
    for row in rows:
        table.append(
            (
                printable(str(row["name"])),
                str(row["role_label"] or "-"),
                str(row["user"] or "unknown"),
                str(row["device"]),
                _when(int(str(row["expires_epoch"]))),
                _left(row),
            )
        )
    table += [(printable(name), "-", "-", "-", "no session", "") for name in without]
    if len(table) == 1:
        print("no cached MFA sessions and no profiles configured")
        return 1
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0 if live else 1


def _one(cache: Cache, name: str, as_json: bool, now: float) -> int:
    try:
        session = cache.load_session(name)
    except UntrustedFile as err:
        raise MfaEnvError(f"{err}; not using it: run `mfa CODE --profile {name}`") from None
    if session is None:
        if as_json:
            print(json.dumps({"name": name, "active": False}, indent=2))
            return 1
        raise MfaEnvError(f"no cached MFA session for profile {name!r}")
    row = _row(name, session, now)
    if as_json:
        print(json.dumps({**row, "active": not row["expired"]}, indent=2))
    else:
        from mfaenv.card import card

        role = (session.role_arn, session.role_label or "") if session.role_arn else None
        creds = session.credentials
        print(
            card(name, session.arn, session.serial, role, creds.access_key_id, session.expires, now)
        )
    return 1 if row["expired"] else 0
