"""The AWS CLI's own files (``~/.aws/credentials`` and ``~/.aws/config``): where they are,
and changing values of one section in place.

Edits go through ConfigUpdater, which keeps every other section, comment and blank line
byte for byte; only the lines of the values set are written anew (``name = value``).
Imported on the write paths only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mfaenv.errors import MfaEnvError

SHARED_CREDENTIALS = "shared-credentials-file"
CONFIG = "config-file"


def credentials_path() -> str:
    return os.path.expanduser(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")


def config_path() -> str:
    return os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def key_location(origin: str, profile: str) -> tuple[str, str]:
    """The file and section a profile's key was read from (``origin`` as botocore
    names its providers)."""
    if origin == SHARED_CREDENTIALS:
        return credentials_path(), profile
    return config_path(), profile if profile == "default" else f"profile {profile}"


def set_values(text: str, section: str, values: Mapping[str, str]) -> str:
    """``text`` (an INI file) with ``values`` set in ``[section]``, which must hold them
    already; every other byte kept."""
    from configupdater import ConfigUpdater
    from configupdater.parser import ParsingError

    updater = ConfigUpdater(strict=False)
    try:
        updater.read_string(text)
    except (ParsingError, ValueError) as err:
        raise MfaEnvError(f"cannot read the section [{section}]: {err}") from None
    if not updater.has_section(section):
        raise MfaEnvError(f"no [{section}] section to update")
    for name, value in values.items():
        if not updater.has_option(section, name):
            raise MfaEnvError(f"no {name} in [{section}] to update")
        updater[section][name].value = value
    return str(updater)


def _parse(text: str, path: str) -> Any:
    from configupdater import ConfigUpdater
    from configupdater.parser import ParsingError

    updater = ConfigUpdater(strict=False)
    try:
        updater.read_string(text)
    except (ParsingError, ValueError) as err:
        raise MfaEnvError(f"cannot read {path}: {err}") from None
    return updater


def section_values(text: str, section: str, path: str) -> dict[str, str] | None:
    """The values of ``[section]`` (None when there is no such section)."""
    updater = _parse(text, path)
    if not updater.has_section(section):
        return None
    return {name: str(option.value or "") for name, option in updater[section].items()}


def put_section(
    text: str, section: str, values: Mapping[str, str], drop: tuple[str, ...], path: str
) -> str:
    """``text`` with ``[section]`` holding ``values`` (and none of ``drop``): an existing
    section is edited in place, a new one is appended; every other byte is kept."""
    updater = _parse(text, path)
    if not updater.has_section(section):
        lines = "".join(f"{name} = {value}\n" for name, value in values.items())
        separator = "" if not text else "\n" if text.endswith("\n") else "\n\n"
        return f"{text}{separator}[{section}]\n{lines}"
    block = updater[section]
    for name in drop:
        if block.has_option(name):
            del block[name]
    for name, value in values.items():
        if block.has_option(name):
            block[name].value = value
            continue
        last = list(block.iter_options())
        if last:  # right after the section's last value, before any trailing comment
            last[-1].add_after.option(name, value)
        else:
            block[name] = value
    return str(updater)


def remove_section(text: str, section: str, path: str) -> str:
    """``text`` without ``[section]``'s header and values; the comments and blank lines
    after them (which may speak of the next section) and every other byte are kept.
    Undoes ``put_section``'s append exactly."""
    updater = _parse(text, path)
    if not updater.has_section(section):
        raise MfaEnvError(f"{path} has no [{section}] section")
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _header(line) is not None]
    start = next(i for i in headers if _header(lines[i]) == section)
    end = next((i for i in headers if i > start), len(lines))
    content = [
        i for i in range(start + 1, end) if lines[i].strip() and lines[i].lstrip()[:1] not in "#;"
    ]
    stop = (content[-1] if content else start) + 1
    if stop == len(lines) and start > 0 and not lines[start - 1].strip():
        start -= 1  # the blank line put_section put before an appended section
    return "".join(lines[:start] + lines[stop:])


def _header(line: str) -> str | None:
    """The section a line opens, as configparser reads it (``[name]``), or None."""
    stripped = line.strip()
    return stripped[1:-1] if stripped.startswith("[") and stripped.endswith("]") else None


def sections(text: str, path: str) -> dict[str, dict[str, str]]:
    """Every section of ``text`` and its values."""
    updater = _parse(text, path)
    return {
        name: {key: str(option.value or "") for key, option in updater[name].items()}
        for name in updater.sections()
    }
