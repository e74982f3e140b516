"""The session as a profile of the shared credentials file: ``--save-as NAME``.

For the tools that read only ``~/.aws/credentials`` (old SDKs, containers that mount
``~/.aws``, IDE plugins), as NCC's AWS-recipes and aws-mfa do it: ``[NAME]`` gets the
session's key, secret, token and expiry. The file is edited in place (every other
section, comment and blank line kept, see ``awsfiles``), written 0600 through a
temporary file and an atomic rename. A section with a long-lived key is never
overwritten. Which names a cached session is saved as is remembered in the cache
(``saved-as.json``), so a later refresh, by any route, rewrites them; ``mfaenv unsave
NAME`` removes the section and forgets it.
"""

from __future__ import annotations

import os

from mfaenv import awsfiles, jsontext
from mfaenv.errors import MfaEnvError, debug
from mfaenv.files import UntrustedFile, read_private, write_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.session import Session

RECORD = "saved-as.json"  # {NAME: the cache name of the session saved as NAME}
# Token keys botocore reads, aws_security_token first: a stale one would win.
STALE_KEYS = ("aws_security_token",)


def check_name(name: str) -> str:
    """A name the credentials file can hold as a section, and botocore can find."""
    if (
        not name
        or name != name.strip()
        or any(char in name for char in "[]\n\r#;")
        or not name.isprintable()
    ):
        raise MfaEnvError(
            f"--save-as {name!r} is not a profile name the credentials file can hold", 2
        )
    return name


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as err:
        raise MfaEnvError(f"cannot read {path}: {err}") from None


def _long_lived(values: dict[str, str]) -> str | None:
    """The access key id when ``values`` hold a long-lived key (no session token)."""
    key = values.get("aws_access_key_id", "")
    if key.startswith("AKIA") or (key and not values.get("aws_session_token")):
        return key
    return None


def check(name: str, *, saving: bool = True) -> None:
    """Refuse, before a code is spent, a name whose section holds a long-lived key, or
    (``saving``) whose profile gets its keys from a credential_process: a section in the
    credentials file would silently override it."""
    check_name(name)
    path = awsfiles.credentials_path()
    values = awsfiles.section_values(_read(path), name, path)
    key = _long_lived(values or {})
    if key is not None:
        raise MfaEnvError(
            f"[{name}] in {path} holds the long-lived access key {key}; mfaenv never "
            "overwrites it: choose another --save-as name"
        )
    config = awsfiles.config_path()
    section = name if name == "default" else f"profile {name}"
    if saving and (awsfiles.section_values(_read(config), section, config) or {}).get(
        "credential_process"
    ):
        raise MfaEnvError(
            f"profile {name!r} gets its keys from a credential_process, which [{name}] in "
            f"{path} would silently override in every SDK: choose another --save-as name"
        )


def save(session: Session, name: str, cache_root: str, cache_name: str) -> str:
    """Write ``session`` as ``[name]`` of the credentials file; remember it for refreshes."""
    check(name)
    path = awsfiles.credentials_path()
    creds = session.credentials
    values = {
        "aws_access_key_id": creds.access_key_id,
        "aws_secret_access_key": creds.secret_access_key,
        "aws_session_token": creds.session_token or "",
        "expiration": session.expiration,
    }
    text = awsfiles.put_section(_read(path), name, values, STALE_KEYS, path)
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o700)
        except OSError as err:
            raise MfaEnvError(f"cannot create {directory}: {err.strerror}") from None
    write_private(path, text.encode("utf-8"), own_directory=False)
    record = _load(cache_root)
    if record.get(name) != cache_name:
        record[name] = cache_name
        write_private(_record_path(cache_root), jsontext.dumps(record).encode())
    return path


def names_for(cache_root: str, cache_name: str) -> list[str]:
    """The names the session cached as ``cache_name`` is saved as."""
    return sorted(name for name, cached in _load(cache_root).items() if cached == cache_name)


def unsave(name: str, cache_root: str) -> str:
    """Remove ``[name]`` (a session section) from the credentials file; forget it."""
    check(name, saving=False)
    path = awsfiles.credentials_path()
    text = _read(path)
    if awsfiles.section_values(text, name, path) is None:
        raise MfaEnvError(f"{path} has no [{name}] section")
    write_private(path, awsfiles.remove_section(text, name, path).encode(), own_directory=False)
    record = _load(cache_root)
    if record.pop(name, None) is not None:
        write_private(_record_path(cache_root), jsontext.dumps(record).encode())
    return path


def _record_path(cache_root: str) -> str:
    return os.path.join(cache_root, RECORD)


def _load(cache_root: str) -> dict[str, str]:
    path = _record_path(cache_root)
    try:
        raw = read_private(path)
        data = jsontext.loads(raw.decode()) if raw is not None else {}
    except (UntrustedFile, ValueError, UnicodeDecodeError) as err:
        debug(f"not using {path}: {err}")
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}
