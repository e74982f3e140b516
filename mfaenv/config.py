"""The mfaenv config file: TOML in ``platformdirs.user_config_dir("mfaenv")``.

::

    duration = "12h"                # default session length
    prompt = "dialog"               # how to ask for a code: terminal, dialog or none

    [profiles.prod]
    serial = "arn:aws:iam::123456789012:mfa/alice"
    duration = "8h"
    totp = "pass:aws/prod"          # or "file:PATH", or "command:PROGRAM ARGS"
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mfaenv.asking import PROMPTS
from mfaenv.errors import MfaEnvError
from mfaenv.keystore import KeyStore
from mfaenv.limits import check_duration
from mfaenv.paths import config_path
from mfaenv.reference import CONFIG_KEYS, PROFILE, TOP
from mfaenv.rolemodes import ROLE_MODES
from mfaenv.timefmt import parse_duration
from mfaenv.totp import Source

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib


@dataclass(frozen=True)
class ProfileConfig:
    serial: str | None = None
    duration: int | None = None
    totp: Source | None = None
    role_mode: str | None = None  # for a role profile: "chain" (default), "direct" or "auto"
    auto: bool | None = None  # a new shell starts in the cached session (mfaenv.autostart)
    save_as: str | None = None  # also write its sessions as this credentials-file profile
    keys: KeyStore | None = None  # where its long-lived key pair is kept (pass:ENTRY)
    prompt: str | None = None  # how to ask for a code (mfaenv.asking): terminal, dialog, none


@dataclass(frozen=True)
class Config:
    path: Path
    duration: int | None = None
    profiles: Mapping[str, ProfileConfig] = field(default_factory=dict)
    follow: bool = True  # shells pick up a newer session of their profile (mfaenv.follow)
    auto: bool = False  # a new shell starts in its profile's cached session (mfaenv.autostart)
    prompt: str | None = None  # how to ask for a code, for every profile (mfaenv.asking)

    def profile(self, name: str) -> ProfileConfig:
        return self.profiles.get(name, ProfileConfig())


def _duration(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError('must be text like "12h" or a number of seconds')
    return check_duration(value if isinstance(value, int) else parse_duration(value))


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be non-empty text")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _role_mode(value: object) -> str:
    if value not in ROLE_MODES:
        raise ValueError('must be "chain", "direct" or "auto"')
    return str(value)


def _prompt(value: object) -> str:
    if value not in PROMPTS:
        raise ValueError('must be "terminal", "dialog" or "none"')
    return str(value)


# How a value of each kind of mfaenv.reference.KINDS is read.
_READERS: dict[str, Callable[[object], Any]] = {
    "duration": _duration,
    "boolean": _bool,
    "serial": _text,
    "totp": lambda value: Source.parse(_text(value)),
    "role_mode": _role_mode,
    "profile_name": lambda value: _save_as(_text(value)),
    "keystore": lambda value: KeyStore.parse(_text(value)),
    "prompt": _prompt,
}
# The settable keys are the rows of mfaenv.reference.CONFIG_KEYS, the table the man page
# and docs/configuration.md are made from: a key it lacks is refused as unknown.
_TOP_KEYS: dict[str, Callable[[object], Any]] = {
    key: _READERS[kind] for key, where, kind, _ in CONFIG_KEYS if where != PROFILE
}
_PROFILE_KEYS: dict[str, Callable[[object], Any]] = {
    key: _READERS[kind] for key, where, kind, _ in CONFIG_KEYS if where != TOP
}


def _save_as(name: str) -> str:
    from mfaenv.saveas import check_name

    try:
        return check_name(name)
    except MfaEnvError:
        raise ValueError("is not a profile name the credentials file can hold") from None


def _read_table(
    path: Path, where: str, table: Mapping[str, Any], keys: Mapping[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in table.items():
        reader = keys.get(key)
        if reader is None:
            known = ", ".join(sorted(keys))
            raise MfaEnvError(f"{path}: unknown key {key!r} in {where} (known: {known})")
        try:
            values[key] = reader(raw)
        except (ValueError, MfaEnvError) as err:
            raise MfaEnvError(f"{path}: {key} in {where} {err}") from None
    return values


def load(path: Path | None = None) -> Config:
    """The config, or an empty one when the file does not exist."""
    path = path if path is not None else Path(config_path())
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(path)
    except OSError as err:
        raise MfaEnvError(f"cannot read {path}: {err.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise MfaEnvError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise MfaEnvError(f"{path}: {err}") from None
    except RecursionError:
        raise MfaEnvError(f"{path}: nested too deeply") from None
    except ValueError:  # a number of thousands of digits, say
        raise MfaEnvError(f"{path}: holds a value TOML cannot read (a huge number?)") from None

    profiles_table = data.pop("profiles", {})
    top = _read_table(path, "the top level", data, _TOP_KEYS)
    if not isinstance(profiles_table, dict):
        raise MfaEnvError(f"{path}: profiles must be a table, like [profiles.NAME]")
    profiles: dict[str, ProfileConfig] = {}
    for name, table in profiles_table.items():
        if not isinstance(table, dict):
            raise MfaEnvError(f"{path}: profiles.{name} must be a table, like [profiles.{name}]")
        profiles[name] = ProfileConfig(
            **_read_table(path, f"[profiles.{name}]", table, _PROFILE_KEYS)
        )
    return Config(
        path,
        duration=top.get("duration"),
        profiles=profiles,
        follow=top.get("follow", True),
        auto=top.get("auto", False),
        prompt=top.get("prompt"),
    )


def set_profile_values(profile: str, values: Mapping[str, str], path: Path | None = None) -> Path:
    """Set string keys of ``[profiles.PROFILE]``; every comment and other line is kept
    (tomlkit edits the document in place)."""
    from mfaenv.files import write_private

    path = path if path is not None else Path(config_path())
    write_private(path, _with_values(path, profile, values).encode("utf-8"))
    return path


def check_settable(profile: str, values: Mapping[str, str]) -> None:
    """Refuse now what ``set_profile_values`` would refuse later (enroll asks before it
    makes a device): a config it cannot edit, a folder it cannot write."""
    import os

    from mfaenv.files import private_dir

    path = Path(config_path())
    _with_values(path, profile, values)
    folder = private_dir(path.parent)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MfaEnvError(f"cannot write {path}: its folder is not writable")


def _with_values(path: Path, profile: str, values: Mapping[str, str]) -> str:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        document = tomlkit.parse(text)
        profiles = document.get("profiles")
        if profiles is None:
            profiles = tomlkit.table(is_super_table=True)
            document.append("profiles", profiles)
        table = profiles.get(profile)
        if table is None:
            table = tomlkit.table()
            profiles.append(profile, table)
        for name, value in values.items():
            table[name] = value
        new_text = tomlkit.dumps(document)
    except (TOMLKitError, OSError, AttributeError, TypeError, UnicodeDecodeError) as err:
        raise MfaEnvError(
            f"cannot add {', '.join(values)} for profile {profile!r} to {path} "
            f"({type(err).__name__}): please add them under [profiles.{profile}] by hand"
        ) from None
    return new_text
