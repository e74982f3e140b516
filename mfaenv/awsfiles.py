"""The AWS CLI's own files (``~/.aws/credentials`` and ``~/.aws/config``): where they are,
and changing values of one section in place.

Edits go through ConfigUpdater, which keeps every other section, comment and blank line
byte for byte; only the lines of the values set are written anew (``name = value``).
Imported on the write paths only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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
