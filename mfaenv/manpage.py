"""mfaenv(1), the man page, made from the same parsers as ``--help``.

``hatch_build.py`` writes it into the wheel as ``share/man/man1/mfaenv.1`` when the wheel
is built, where ``man`` finds it for pipx (which links it into ``~/.local/share/man``) and
for a virtual environment whose ``bin`` is on PATH; ``python -m mfaenv.manpage`` prints
it. Only the standard library: the build imports this before any dependency exists.
"""

from __future__ import annotations

from mfaenv import __version__
from mfaenv.parser import build

WIDTH = 78  # of the help text in the page, so the file is the same on every terminal

_INTRO = """\
The shell function mfa (loaded by mfaenv init SHELL) runs mfaenv and evaluates what it
prints only when it succeeds; on any error mfaenv prints nothing to stdout, one
"mfaenv: ..." line to stderr, and the shell stays as it was. mfa CODE, mfa off and
mfa sandbox change the calling shell, so they work only through the function; every
other command works as mfa COMMAND and as mfaenv COMMAND alike."""

_FILES = (
    ("$XDG_CONFIG_HOME/mfaenv/config.toml", "the mfaenv config (TOML): duration, and per "
     "profile serial, duration, totp and role_mode"),
    ("$XDG_CACHE_HOME/mfaenv/", "cached sessions, serials and spent codes: 0700, files 0600"),
    ("~/.aws/config, ~/.aws/credentials", "the AWS CLI's files (AWS_CONFIG_FILE, "
     "AWS_SHARED_CREDENTIALS_FILE), read for the profile and its long-lived key"),
)  # fmt: skip

_ENVIRONMENT = (
    ("MFAENV_DEBUG=1", "debug lines and tracebacks (without values) on stderr"),
    ("MFAENV_NO_PROMPT=1", "never ask for a code on the terminal; TOTP sources run with none"),
    ("MFAENV_PROMPT_FORMAT", "the prompt segment: %p profile, %r :ROLE@ACCOUNT, %t time left"),
    ("AWS_PROFILE", "the profile without --profile; a session sets it aside (AWSU_PROFILE)"),
    ("AWS_ENDPOINT_URL", "another STS and IAM endpoint (AWS_ENDPOINT_URL_STS, _IAM too)"),
)

_EXIT = (
    "0 on success; 1 for a refusal; 2 for a usage error; 70 for an internal error; "
    "130 after Ctrl-C; for mfa exec, the status of the command."
)


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
    lines += [".SH FILES", *_items(_FILES), ".SH ENVIRONMENT", *_items(_ENVIRONMENT)]
    lines += [".SH EXIT STATUS", _text(_EXIT)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
