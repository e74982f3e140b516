"""mfaenv(1) and mfaenv-config(5), the man pages, made from the parsers and the reference.

The commands come from the same parsers as ``--help``; ENVIRONMENT, FILES, EXIT STATUS and
every config key from the tables of ``mfaenv.reference``, the ones the code reads, so the
pages cannot drift from the code. ``hatch_build.py`` writes them into the wheel as
``share/man/man1/mfaenv.1`` and ``share/man/man5/mfaenv-config.5`` when the wheel is built,
where ``man`` finds them for pipx (which links them into ``~/.local/share/man``) and for a
virtual environment whose ``bin`` is on PATH; ``python -m mfaenv.manpage [--config]``
prints them. Only the standard library: the build imports this before any dependency
exists.
"""

from __future__ import annotations

from mfaenv import __version__, reference
from mfaenv.parser import build

WIDTH = 78  # of the help text in the page, so the file is the same on every terminal

_INTRO = """\
The shell function mfa (loaded by mfaenv init SHELL) runs mfaenv and evaluates what it
prints only when it succeeds; on any error mfaenv prints nothing to stdout, one
"mfaenv: ..." line to stderr, and the shell stays as it was. mfa CODE, mfa off and
mfa sandbox change the calling shell, so they work only through the function; every
other command works as mfa COMMAND and as mfaenv COMMAND alike."""

_CONFIG_INTRO = """\
mfaenv reads an optional TOML file for settings that would otherwise be options of every
command. Keys at the top apply to every profile; a table [profiles.NAME] holds the keys
of the profile NAME (a profile of the AWS files), and its values win over the top's.
An unknown key or a bad value is an error that names the file (and the line, for a
syntax error), and the command then does nothing."""

_CONFIG_EXAMPLE = """\
duration = "12h"
follow = true

[profiles.prod]
serial = "arn:aws:iam::123456789012:mfa/alice"
duration = "8h"
totp = "pass:aws/prod"

[profiles.legacy]
save_as = "legacy-session"
keys = "pass:aws/legacy"

[profiles.admin]
role_mode = "direct"
"""


def _text(line: str) -> str:
    """One line of text for roff: backslashes and hyphens escaped, no request at its start."""
    line = line.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + line if line.startswith((".", "'")) else line


def _verbatim(text: str) -> list[str]:
    return [".nf", *(_text(line) for line in text.rstrip("\n").split("\n")), ".fi"]


def _items(rows: tuple[tuple[str, str], ...]) -> list[str]:
    lines: list[str] = []
    for term, meaning in rows:
        lines += [".TP", f"\\fB{_text(term)}\\fR", _text(meaning)]
    return lines


def render() -> str:
    """The page, in roff (man macros)."""
    parser = build(width=WIDTH)
    usage = "\n".join(line.strip() for line in parser.format_usage()[7:].split("\n"))
    lines = [
        f'.TH MFAENV 1 "" "mfaenv {__version__}" "User Commands"',
        ".SH NAME",
        "mfaenv, mfa \\- MFA\\-protected AWS access keys in one word of shell",
        ".SH SYNOPSIS",
        *_verbatim(usage),
        ".SH DESCRIPTION",
        *(_text(line) for line in _INTRO.split("\n")),
        ".PP",
        *_verbatim(parser.format_help().split("\n\n", 1)[1]),
        ".SH COMMANDS",
        "Each is also shown by mfa COMMAND \\-\\-help and mfa help COMMAND.",
    ]
    for name, sub in parser.verbs.items():
        if name.startswith("sh-"):
            continue
        lines += [".SS " + _text(sub.prog), *_verbatim(sub.format_help())]
    lines += [".SH ENVIRONMENT", *_environment()]
    lines += [
        ".SS Set by mfa",
        "mfa CODE sets these in the calling shell; mfa off puts back what was there.",
        *_items(reference.EXPORTS),
    ]
    lines += [".SH FILES", *_items(reference.FILES)]
    lines += [".SH EXIT STATUS", *_items(reference.EXIT_STATUS)]
    lines += [".SH SEE ALSO", "\\fBmfaenv\\-config\\fR(5), \\fBaws\\fR(1), \\fBpass\\fR(1)"]
    return "\n".join(lines) + "\n"


def _environment() -> list[str]:
    rows = tuple(
        (name, f"{meaning}; default {default}" if default else meaning)
        for name, default, meaning in reference.ENVIRONMENT
    )
    return ["Read by mfaenv and its shell functions:", *_items(rows)]


def render_config() -> str:
    """mfaenv-config(5), in roff: the config file and every key of the reference."""
    lines = [
        f'.TH MFAENV\\-CONFIG 5 "" "mfaenv {__version__}" "File Formats"',
        ".SH NAME",
        "mfaenv\\-config \\- the mfaenv configuration file",
        ".SH SYNOPSIS",
        _text("$XDG_CONFIG_HOME/mfaenv/config.toml (~/.config/mfaenv/config.toml)"),
        ".SH DESCRIPTION",
        *(_text(line) for line in _CONFIG_INTRO.split("\n")),
        ".SH KEYS",
    ]
    for key, where, kind, meaning in reference.CONFIG_KEYS:
        place = {reference.TOP: "top level", reference.PROFILE: "[profiles.NAME]"}.get(
            where, "top level or [profiles.NAME]"
        )
        lines += [
            ".TP",
            f"\\fB{_text(key)}\\fR = {_text(reference.KINDS[kind])}",
            _text(f"{meaning}. In: {place}."),
        ]
    lines += [".SH EXAMPLE", *_verbatim(_CONFIG_EXAMPLE)]
    files = tuple(row for row in reference.FILES if "config.toml" in row[0])
    lines += [".SH FILES", *_items(files)]
    env = tuple(
        (name, meaning)
        for name, _default, meaning in reference.ENVIRONMENT
        if name in ("MFAENV_CONFIG", "XDG_CONFIG_HOME")
    )
    lines += [".SH ENVIRONMENT", *_items(env)]
    lines += [".SH SEE ALSO", "\\fBmfaenv\\fR(1)"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_config() if sys.argv[1:] == ["--config"] else render())
