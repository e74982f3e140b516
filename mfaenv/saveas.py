"""The session as a profile of the shared credentials file: ``--save-as NAME``.

For the tools that read only ``~/.aws/credentials`` (old SDKs, containers that mount
``~/.aws``, IDE plugins), as NCC's AWS-recipes and aws-mfa do it: ``[NAME]`` gets the
session's key, secret, token and expiry, and ``[profile NAME]`` of the config file the
session's region when it names none. The files are edited in place (every other
section, comment and blank line kept) by ``awsfiles``. A profile with a long-lived key
in either file is never overwritten. Which names a cached session is saved as is
remembered in the cache (``saved-as.json``), so a later refresh, by any route, rewrites
them; ``mfaenv unsave NAME`` removes the section (and the region save added) and
forgets it.
"""

from __future__ import annotations

import os

from mfaenv import jsontext
from mfaenv.errors import MfaEnvError, debug, warn
from mfaenv.files import UntrustedFile, read_private, write_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv import awsfiles
    from mfaenv.clock import Clock
    from mfaenv.session import Session

RECORD = "saved-as.json"  # {NAME: the cache name of the session saved as NAME}
# {NAME: what save added to the config file: "section" ([profile NAME] with its region)
# or "option" (region, in a section of the user's)}: what unsave removes there.
REGIONS = "saved-regions.json"
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


def check(name: str, *, saving: bool = True, clock: Clock | None = None) -> None:
    """Refuse, before a code is spent: a name whose profile has a long-lived key in
    either file; and (``saving``) one whose profile gets its keys from a
    credential_process or is another profile's ``source_profile`` (a section in the
    credentials file would silently override them), or a file mfaenv could not write."""
    from mfaenv import awsfiles

    check_name(name)
    credentials = awsfiles.read_credentials(clock)
    config = awsfiles.read_config(clock)
    for file in (credentials, config):
        values = file.values(name) or {}
        if awsfiles.long_lived(values):
            where = f"[{file.section_of(name)}] in {file.path}"
            what = "overwrites it: choose another --save-as name" if saving else "removes it"
            raise MfaEnvError(
                f"{where} holds the long-lived access key {values['aws_access_key_id']}; "
                f"mfaenv never {what}"
            )
    if not saving:
        return
    if (config.values(name) or {}).get("credential_process"):
        raise MfaEnvError(
            f"profile {name!r} gets its keys from a credential_process, which [{name}] in "
            f"{credentials.path} would silently override in every SDK: choose another "
            "--save-as name"
        )
    users = sorted(
        profile
        for profile, values in config.profiles().items()
        if values.get("source_profile") == name and profile != name
    )
    if users and credentials.values(name) is None:
        raise MfaEnvError(
            f"profile {users[0]!r} in {config.path} takes its keys from profile {name!r} "
            f"(source_profile); a session saved as [{name}] would replace them: choose "
            "another --save-as name"
        )
    awsfiles.writable(credentials.path)
    awsfiles.writable(config.path)


def _session_section(file: awsfiles.AwsFile, name: str, *, saving: bool) -> None:
    """Refuse, at the moment of writing, a section another program has since given a
    long-lived key."""
    from mfaenv import awsfiles

    values = file.values(name) or {}
    if awsfiles.long_lived(values):
        verb = "overwrites" if saving else "removes"
        raise MfaEnvError(
            f"[{name}] in {file.path} now holds the long-lived access key "
            f"{values['aws_access_key_id']}; mfaenv never {verb} it"
        )


def save(
    session: Session, name: str, cache_root: str, cache_name: str, clock: Clock | None = None
) -> str:
    """Write ``session`` as ``[name]`` of the credentials file (and its region in the
    config file); remember it for refreshes and for ``unsave``."""
    from mfaenv import awsfiles

    check(name, clock=clock)
    creds = session.credentials
    values = {
        "aws_access_key_id": creds.access_key_id,
        "aws_secret_access_key": creds.secret_access_key,
        "aws_session_token": creds.session_token or "",
        "expiration": session.expiration,
    }

    def put(file: awsfiles.AwsFile) -> str:
        _session_section(file, name, saving=True)
        return file.put(name, values, STALE_KEYS)

    path = awsfiles.credentials_path()
    awsfiles.change(path, put, is_config=False, clock=clock)
    record = _load(cache_root)
    added = _load(cache_root, REGIONS)
    if session.region:
        region = session.region
        made: list[str] = []

        def put_region(file: awsfiles.AwsFile) -> str | None:
            made[:] = []
            values = file.values(name)
            if values is None:
                made.append("section")
            elif "region" not in values:
                made.append("option")
            elif name not in added or values["region"] == region:
                return None  # the user's own region, or already this one
            return file.put(name, {"region": region})

        try:
            awsfiles.change(awsfiles.config_path(), put_region, is_config=True, clock=clock)
        except MfaEnvError as err:  # the session is saved: say what is missing
            warn(f"the region of profile {name!r} was not added to the AWS config: {err}")
            made[:] = []
        if made and added.get(name) != made[0]:
            added[name] = made[0]
            write_private(_record_path(cache_root, REGIONS), jsontext.dumps(added).encode())
    if record.get(name) != cache_name:
        record[name] = cache_name
        write_private(_record_path(cache_root), jsontext.dumps(record).encode())
    return path


def names_for(cache_root: str, cache_name: str) -> list[str]:
    """The names the session cached as ``cache_name`` is saved as."""
    return sorted(name for name, cached in _load(cache_root).items() if cached == cache_name)


def unsave(name: str, cache_root: str, clock: Clock | None = None) -> str:
    """Remove ``[name]`` (a session section) from the credentials file, and the region
    ``save`` put in the config file; forget it."""
    from mfaenv import awsfiles

    check(name, saving=False, clock=clock)
    path = awsfiles.credentials_path()

    def remove(file: awsfiles.AwsFile) -> str:
        if file.values(name) is None:
            raise MfaEnvError(f"{path} has no [{name}] section")
        _session_section(file, name, saving=False)
        return file.remove(name)

    awsfiles.change(path, remove, is_config=False, clock=clock)
    added = _load(cache_root, REGIONS)
    made = added.pop(name, None)
    if made is not None:

        def remove_region(file: awsfiles.AwsFile) -> str | None:
            values = file.values(name)
            if values is None or "region" not in values:
                return None
            if made == "section" and set(values) == {"region"}:
                return file.remove(name)
            return file.remove_options(name, ("region",))

        try:
            awsfiles.change(awsfiles.config_path(), remove_region, is_config=True, clock=clock)
        except MfaEnvError as err:  # the session is gone: say what is left
            warn(f"the region of profile {name!r} is still in the AWS config: {err}")
            added[name] = made
        write_private(_record_path(cache_root, REGIONS), jsontext.dumps(added).encode())
    record = _load(cache_root)
    if record.pop(name, None) is not None:
        write_private(_record_path(cache_root), jsontext.dumps(record).encode())
    return path


def _record_path(cache_root: str, record: str = RECORD) -> str:
    return os.path.join(cache_root, record)


def _load(cache_root: str, record: str = RECORD) -> dict[str, str]:
    path = _record_path(cache_root, record)
    try:
        raw = read_private(path)
        data = jsontext.loads(raw.decode()) if raw is not None else {}
    except (UntrustedFile, ValueError, UnicodeDecodeError) as err:
        debug(f"not using {path}: {err}")
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}
