"""The AWS CLI's own files (``~/.aws/credentials`` and ``~/.aws/config``): where they
are, what botocore reads in them, and changing one section while keeping every other byte.

The one reader and writer of these files: every mfaenv command that reads a profile's
sections for itself, or edits them (``--save-as``, ``unsave``, ``keys import``,
``rotate-key``), goes through here.

- Read as botocore reads: ``configparser.RawConfigParser`` (strict, as
  ``botocore.configloader.raw_config_parse`` builds it) over universal newlines; in the
  config file the profiles named as ``build_profile_map`` names them (``[default]``,
  ``[profile NAME]`` split as a shell would split it, the last such section wins).
- Edited through ConfigUpdater's reading of the file's structure (which lines are which
  section's header and which option's value), and then only those lines replaced: an
  option's line keeps its name as spelled, its delimiter, spacing and line end (where
  ConfigUpdater itself would write ``name = value``); every other byte is kept, a BOM
  and CRLF line ends too.
- Checked before anything is written: botocore's view of every section not asked to
  change must be the same after the edit; otherwise nothing is written.
- Errors name the file and the line number, never the line's text (it may hold a key).

Writing (the lock, the check that nobody else changed the file, links, modes and
temporary files) is ``sharedfile``'s. Imported on the commands that need it only.
"""

from __future__ import annotations

import configparser
import io
import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock

SHARED_CREDENTIALS = "shared-credentials-file"
CONFIG = "config-file"
BOM = "\ufeff"
# Options that make a section hold a session rather than a long-lived key.
TOKEN_KEYS = ("aws_session_token", "aws_security_token")

Sections = dict[str, dict[str, str]]


def credentials_path(environ: Mapping[str, str] | None = None) -> str:
    """Where botocore looks (it expands variables and ``~`` in the setting, too), in
    ``environ`` (this process's by default)."""
    environ = os.environ if environ is None else environ
    return _expanded(environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials", environ)


def config_path(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return _expanded(environ.get("AWS_CONFIG_FILE") or "~/.aws/config", environ)


def _expanded(setting: str, environ: Mapping[str, str]) -> str:
    if environ is os.environ:
        return os.path.expanduser(os.path.expandvars(setting))
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, setting[2:]) if setting.startswith("~/") else setting


def config_header(profile: str) -> str:
    """The section a new profile gets in the config file: ``default``, ``profile NAME``
    (quoted as botocore unquotes it, when the name has spaces or quotes)."""
    if profile == "default":
        return profile
    words = _split(f"profile {profile}")
    return (
        f"profile {profile}" if words == ["profile", profile] else f"profile {shlex.quote(profile)}"
    )


def key_location(origin: str, profile: str) -> tuple[str, str]:
    """The file and profile a key was read from (``origin`` as botocore names its
    providers); ``AwsFile.section_of`` finds the section."""
    if origin == SHARED_CREDENTIALS:
        return credentials_path(), profile
    return config_path(), profile


def long_lived(values: Mapping[str, str]) -> bool:
    """Whether ``values`` hold a long-lived key: an access key with no session token,
    whatever its prefix (moto hands out session keys that start AKIA)."""
    return bool(values.get("aws_access_key_id")) and not any(values.get(k) for k in TOKEN_KEYS)


def _split(header: str) -> list[str] | None:
    try:
        return shlex.split(header)
    except ValueError:
        return None


@dataclass(frozen=True)
class AwsFile:
    """One AWS file as read: its text (no BOM, line ends as found) and botocore's view of
    its sections. ``exists`` is False for a missing file (read as empty)."""

    path: str
    body: str
    bom: bool
    exists: bool
    is_config: bool
    sections: Sections

    @classmethod
    def parse(cls, path: str, data: bytes | None, *, is_config: bool) -> AwsFile:
        if data is None:
            return cls(path, "", False, False, is_config, {})
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise MfaEnvError(f"cannot read {path}: line {line} is not UTF-8 text") from None
        bom = text.startswith(BOM)
        body = text[1:] if bom else text
        return cls(path, body, bom, True, is_config, botocore_sections(body, path))

    def encode(self, body: str) -> bytes:
        return ((BOM if self.bom else "") + body).encode("utf-8")

    def profiles(self) -> Sections:
        """The profiles as botocore names them (in the config: ``build_profile_map``)."""
        if not self.is_config:
            return dict(self.sections)
        found: Sections = {}
        for section, values in self.sections.items():
            name = self._profile_of(section)
            if name is not None:
                found[name] = values
        return found

    def _profile_of(self, section: str) -> str | None:
        if not self.is_config:
            return section
        if section.startswith("profile"):
            words = _split(section)
            return words[1] if words and len(words) == 2 else None
        return section if section == "default" else None

    def section_of(self, profile: str) -> str | None:
        """The section botocore reads ``profile`` from (the last one naming it)."""
        found = [section for section in self.sections if self._profile_of(section) == profile]
        return found[-1] if found else None

    def values(self, profile: str) -> dict[str, str] | None:
        section = self.section_of(profile)
        return None if section is None else self.sections[section]

    # --- edits: each returns the new body, checked against botocore's view ----------------

    def set_values(
        self, profile: str, values: Mapping[str, str], *, expect: Mapping[str, str]
    ) -> str:
        """The body with ``values`` set in ``profile``'s section, which must hold
        ``expect`` (what mfaenv read before: nobody changed it since)."""
        section = self.section_of(profile)
        current = self.sections.get(section or "", {})
        if section is None or any(current.get(k) != v for k, v in expect.items()):
            raise MfaEnvError(
                f"the key of profile {profile!r} in {self.path} is not the one mfaenv read "
                "(another program changed it); nothing written"
            )
        return self._edit(section, values, ())

    def put(self, profile: str, values: Mapping[str, str], drop: tuple[str, ...] = ()) -> str:
        """The body with ``profile``'s section holding ``values`` (and none of ``drop``):
        an existing section edited in place, else a new one appended."""
        section = self.section_of(profile)
        if section is not None:
            return self._edit(section, values, drop)
        header = config_header(profile) if self.is_config else profile
        newline = _newline(self.body)
        lines = "".join(f"{name} = {value}{newline}" for name, value in values.items())
        body = self.body
        separator = "" if not body else newline if body.endswith(("\n", "\r")) else newline * 2
        return self._checked(f"{body}{separator}[{header}]{newline}{lines}", {header})

    def remove(self, profile: str) -> str:
        """The body without ``profile``'s section header and values (and the blank line
        before it, when the section is last or a blank line follows it); the comments and
        blank lines after them (they may speak of the next section) and every other byte
        kept. Undoes ``put``'s append exactly, whatever was appended after it since."""
        section = self.section_of(profile)
        if section is None:
            raise MfaEnvError(f"{self.path} has no [{profile}] section")
        lines = _lines(self.body)
        start, _, stop, _ = self._layout()[section]
        last_or_spaced = stop == len(lines) or not lines[stop].strip()
        if last_or_spaced and start > 0 and not lines[start - 1].strip():
            start -= 1  # the blank line put() wrote before an appended section
        return self._checked("".join(lines[:start] + lines[stop:]), {section})

    def remove_options(self, profile: str, names: tuple[str, ...]) -> str:
        section = self.section_of(profile)
        if section is None:
            return self.body
        return self._edit(section, {}, names)

    def _edit(self, section: str, values: Mapping[str, str], drop: tuple[str, ...]) -> str:
        """Set and drop options of ``section`` in place: an option's line keeps its name,
        delimiter, spacing and line end, only its value is new; a new option goes right
        after the section's last value, before any comment that follows it."""
        lines = _lines(self.body)
        _, header_end, options_end, options = self._layout()[section]
        newline = _newline(self.body)
        edits: list[tuple[int, int, list[str]]] = []
        added: list[str] = []
        for name in drop:
            if name.lower() in options:
                edits.append((*options[name.lower()], []))
        for name, value in values.items():
            if name.lower() not in options:
                added.append(f"{name} = {value}{newline}")
                continue
            first, last = options[name.lower()]
            match = _VALUE.match(lines[first])
            head, end = (match.group("head"), match.group("end")) if match else (f"{name} = ", "")
            edits.append((first, last, [f"{head}{value}{end or newline}"]))
        at = options_end if options else header_end
        if added and at == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += newline  # the file's last line gets a line end, for the lines after it
        edits.append((at, at, added))
        for first, last, new in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
            lines[first:last] = new
        return self._checked("".join(lines), {section})

    def _layout(self) -> dict[str, tuple[int, int, int, dict[str, tuple[int, int]]]]:
        """Each section's lines, as ConfigUpdater parses the body: where its header starts
        and ends, where its last value ends, and each option's lines (first, end)."""
        from configupdater import Option, Section

        layout: dict[str, tuple[int, int, int, dict[str, tuple[int, int]]]] = {}
        line = 0
        for block in self._updater().iter_blocks():
            if not isinstance(block, Section):
                line += len(block.lines)
                continue
            start = line
            line += len(block.lines)
            header_end = stop = line
            options: dict[str, tuple[int, int]] = {}
            for inner in block.iter_blocks():
                first = line
                line += len(inner.lines)
                if isinstance(inner, Option):
                    options[inner.key.lower()] = (first, line)
                    stop = line
            layout[block.name] = (start, header_end, stop, options)
        return layout

    def _updater(self) -> Any:
        from configupdater import ConfigUpdater
        from configupdater.parser import ParsingError

        body = self.body
        if "\r" in body.replace("\r\n", ""):
            line = _line_of(body, body.replace("\r\n", "\n\n").index("\r"))
            raise MfaEnvError(f"cannot edit {self.path}: line {line} ends in a lone CR")
        # configparser takes an indented "# ..." line for a comment, ConfigUpdater for a
        # value: its structure is read from the lines with such comments at column 0.
        lines = ["#\n" if line.strip()[:1] in ("#", ";") else line for line in _lines(body)]
        updater = ConfigUpdater(strict=False)
        try:
            updater.read_string("".join(lines), self.path)
        except (ParsingError, configparser.Error) as err:
            raise MfaEnvError(f"cannot edit {self.path}: {_where(err)}") from None
        return updater

    def _checked(self, body: str, edited: set[str]) -> str:
        """``body``, once botocore reads every section but ``edited`` in it as before."""
        after = botocore_sections(body, self.path)
        for section in set(self.sections) | set(after):
            if section not in edited and self.sections.get(section) != after.get(section):
                raise MfaEnvError(
                    f"cannot edit {self.path} without changing how botocore reads other "
                    "sections; nothing written: make the change by hand"
                )
        return body


# An option's line: its name, delimiter and spaces; its value; its trailing spaces and end.
_VALUE = re.compile(r"(?P<head>[^=:]*?[=:][ \t]*)(?P<value>.*?)(?P<end>[ \t]*\r?\n?)\Z", re.DOTALL)


def _lines(body: str) -> list[str]:
    """The lines as configparser and ConfigUpdater see them: ended by "\\n" only."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", body)


def _newline(body: str) -> str:
    return "\r\n" if "\r\n" in body else "\n"


def _line_of(text: str, index: int) -> int:
    return text[:index].count("\n") + 1


def botocore_sections(body: str, path: str) -> Sections:
    """Every section and its options as ``botocore.configloader.raw_config_parse`` reads
    them (universal newlines, strict, option names in lower case)."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_file(io.StringIO(body, newline=None), path)
    except configparser.Error as err:
        raise MfaEnvError(f"cannot read {path}: {_where(err)}") from None
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _where(err: Exception) -> str:
    """Which line is wrong and how, never its text (it may hold a key)."""
    if isinstance(err, configparser.MissingSectionHeaderError):
        return f"line {err.lineno} comes before any [section] header"
    if isinstance(err, configparser.DuplicateSectionError):
        return f"line {err.lineno} repeats a section header (botocore refuses the file too)"
    if isinstance(err, configparser.DuplicateOptionError):
        return f"line {err.lineno} repeats an option of its section (botocore refuses the file too)"
    if isinstance(err, configparser.ParsingError) or hasattr(err, "errors"):
        lines = [str(number) for number, _ in getattr(err, "errors", [])]
        return f"line {', '.join(lines) or '?'} is not a [section], name = value or comment"
    return f"{type(err).__name__}"


def read(path: str, *, is_config: bool, clock: Clock | None = None, settle: bool = True) -> AwsFile:
    """The file as it is now (no lock: for checks and reading): with ``settle``, once
    nobody is writing it (a check must not refuse a file caught half-written)."""
    from mfaenv.sharedfile import read_settled

    data = read_settled(path, clock, tries=0 if not settle else None)
    return AwsFile.parse(path, data, is_config=is_config)


def read_credentials(clock: Clock | None = None, *, settle: bool = True) -> AwsFile:
    return read(credentials_path(), is_config=False, clock=clock, settle=settle)


def read_config(clock: Clock | None = None, *, settle: bool = True) -> AwsFile:
    return read(config_path(), is_config=True, clock=clock, settle=settle)


def change(
    path: str, edit: Callable[[AwsFile], str | None], *, is_config: bool, clock: Clock | None = None
) -> AwsFile:
    """Apply ``edit`` (the file as it is now -> its new body, or None for no change) under
    the file's lock, redone on the file as it is if another program changed it meanwhile
    (``sharedfile.update``). Returns the file as written."""
    from mfaenv.sharedfile import update

    written: list[AwsFile] = []

    def apply(data: bytes | None) -> bytes | None:
        current = AwsFile.parse(path, data, is_config=is_config)
        body = edit(current)
        if body is None:
            written[:] = [current]
            return None
        written[:] = [AwsFile.parse(path, current.encode(body), is_config=is_config)]
        return current.encode(body)

    update(path, apply, clock=clock)
    return written[0]


def writable(path: str) -> None:
    """Refuse now, before a code is spent, a file mfaenv could not write."""
    from mfaenv.sharedfile import check_writable

    check_writable(path)
