"""Every verb and option, for argparse: help, the unusual forms, and usage errors.

The hot verbs are read by ``cli.fast_parse`` in their plain forms; whatever it does not
take comes here, so a user sees the same answers either way. This is also the error path
for mistakes: a typo gets "did you mean", and a verb that must change the calling shell
(``mfaenv off``, ``mfaenv 123456``) run without the shell function says how to load it.
The man page (``mfaenv.manpage``) is made from the same parsers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mfaenv import __version__
from mfaenv.errors import MfaEnvError
from mfaenv.verbs import (
    EVAL_VERBS,
    SESSION,
    SESSION_OPTIONS,
    SHELL_NAMES,
    VERBS,
    Args,
    Option,
    Verb,
    typed_verbs,
)

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``mfaenv:`` line.

    The ``sh-*`` parsers print help on stderr: their stdout is evaluated by the shell.
    ``verbs`` (on the top parser) maps each verb to its parser.
    """

    help_to_stderr = False
    verbs: dict[str, _Parser]

    def error(self, message: str) -> Any:  # argparse declares NoReturn
        raise MfaEnvError(f"{message} (see `mfa help`)", exit_code=2)

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        super().print_help(file or (sys.stderr if self.help_to_stderr else sys.stdout))

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A value that is not one of the choices: "did you mean", never the internals."""
        choices = action.choices
        if choices is None or value in choices:
            return
        word = str(value)
        if action.dest == "verb":
            raise unknown_command(word, "mfaenv")
        names = [str(choice) for choice in choices]
        what = "/".join(action.option_strings) or str(action.metavar or action.dest).lower()
        message = f"{self.prog}: no {what} {word!r}"
        if len(names) <= 5:
            message += f" (one of {', '.join(names)})"
        match = did_you_mean(word, names)
        if match is not None:
            shown = f"{self.prog} {match}" if not action.option_strings else f"{what} {match}"
            message += f"; did you mean `{shown}`?"
        raise MfaEnvError(message, exit_code=2)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a mistyped ``word``, if one is close."""
    import difflib

    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def user_verbs() -> list[str]:
    """The verbs people type after ``mfa``: the shell function's and mfaenv's own."""
    return [verb.name for verb in typed_verbs("mfa")]


def unknown_command(word: str, program: str = "mfa") -> MfaEnvError:
    """The answer to ``mfa WORD`` (or ``mfaenv WORD``) where WORD is no verb and no code."""
    match = did_you_mean(word, user_verbs())
    if match is not None:
        return MfaEnvError(f"unknown command {word!r}; did you mean `mfa {match}`?", exit_code=2)
    return MfaEnvError(
        f"unknown command {word!r} (`mfa CODE` starts a session; `{program} help` lists "
        "the commands)",
        exit_code=2,
    )


# Where each shell's integration is loaded from: the rc file and the line for it.
INIT_LINES = {
    "bash": ("~/.bashrc", 'eval "$(mfaenv init bash)"'),
    "zsh": ("~/.zshrc", 'eval "$(mfaenv init zsh)"'),
    "fish": ("~/.config/fish/config.fish", "mfaenv init fish | source"),
}


def needs_the_function(argv: Sequence[str], environ: Mapping[str, str]) -> MfaEnvError:
    """``mfaenv off``, ``mfaenv 123456``, ``mfaenv sandbox start``: these change the
    calling shell, which only the shell function ``mfa`` can do. The init line is for
    the user's shell ($SHELL; bash when it is none of the three)."""
    import shlex

    shell = os.path.basename(environ.get("SHELL", ""))
    rc_file, line = INIT_LINES.get(shell, INIT_LINES["bash"])
    typed = shlex.join(argv)
    return MfaEnvError(
        f"`mfaenv {typed}` must run as `mfa {typed}`, through the shell function that "
        f"changes this shell; if mfa is not found, the function is missing: load it with "
        f"{line} and add that line to {rc_file}",
        exit_code=2,
    )


_DESCRIPTION = """\
MFA-protected AWS access keys in one word of shell.

  mfa 123456                   MFA session in this shell (12h unless --duration)
  mfa 123456 --profile prod --duration 8h
  mfa --profile admin          a profile with role_arn: assume the role with MFA
  mfa                          reuse this profile's cached session: no code, no AWS call
  mfa status [--json]          who, which device, expires when, how long left
  mfa prompt                   the prompt segment: aws:dev 11h42m
  mfa exec -- aws s3 ls        run one command with the session; the shell stays as it is
  mfa exec --server -- terraform apply   the same through a local endpoint that renews
  mfaenv credential-process --profile dev-long-term   JSON for credential_process
  mfa off                      back to the long-lived keys, exactly as before
  mfa sandbox start|stop       a local STS/IAM to try all this without AWS
  mfaenv enroll [--store pass:ENTRY|file:PATH]   create and enable a virtual MFA device
  mfaenv rotate-key            a new access key, proven, then the old one deleted
  mfaenv policy [--style strict|self-service] [--max-age 8h]   the IAM policy
  mfa console [--profile P|--role ARN] [--service s3] [--print]   the AWS web console
"""

_USAGE = """\
mfa [CODE] [--profile PROFILE] [--duration DURATION] [--totp SOURCE] [--role ARN] ...
       mfa COMMAND [--help]
       mfaenv COMMAND [--help]"""

_SETUP = """\
Every command has its own help: mfa COMMAND --help, or mfa help COMMAND; the session
options: mfa 123456 --help. The full reference: man mfaenv.

Setup: eval "$(mfaenv init bash)" in ~/.bashrc; zsh: eval "$(mfaenv init zsh)";
fish: mfaenv init fish | source.
"""


def _epilog() -> str:
    """The session options, as the top-level help shows them, then the setup."""
    rows = [(f"{option.flag} {option.metavar}", option.help) for option in SESSION]
    width = max(len(left) for left, _ in rows) + 2
    lines = ["options of mfa [CODE], mfa exec and mfaenv credential-process:"]
    lines += [f"  {left:<{width}}{text}" for left, text in rows]
    return "\n".join(lines) + "\n\n" + _SETUP


def _formatter(kind: type[argparse.HelpFormatter], width: int | None) -> Any:
    """argparse's formatter, at a fixed width when one is given (the man page)."""
    if width is None:
        return kind

    def make(prog: str) -> argparse.HelpFormatter:
        return kind(prog, width=width)

    return make


def build(width: int | None = None) -> _Parser:
    """Every verb's parser, from the table (mfaenv.verbs). The ``sh-*`` verbs, which the
    shell function runs and evals, are left out of the help; ``width`` fixes the width
    of help text (for the man page)."""
    parser = _Parser(
        prog="mfaenv",
        usage=_USAGE,
        description=_DESCRIPTION,
        epilog=_epilog(),
        formatter_class=_formatter(argparse.RawDescriptionHelpFormatter, width),
    )
    parser.add_argument("--version", action="version", version=f"mfaenv {__version__}")
    verbs = parser.add_subparsers(
        title="commands", dest="verb", metavar="COMMAND", parser_class=_Parser, prog="mfaenv"
    )
    parser.verbs = {}
    for verb in VERBS:
        names = [verb.name, verb.runs_as] if verb.kind == "shell" else [verb.name]
        for name in names:
            kw: dict[str, Any] = {
                "description": verb.help,
                "formatter_class": _formatter(argparse.HelpFormatter, width),
            }
            kw.update(
                {
                    key: value
                    for key, value in (("prog", verb.prog), ("epilog", verb.epilog))
                    if value
                }
            )
            if name.startswith("sh-"):  # not listed in the help: the shell function runs it
                sub: _Parser = verbs.add_parser(name, **kw)
                sub.help_to_stderr = True
                sub.add_argument(
                    "--shell", required=True, choices=SHELL_NAMES, help=argparse.SUPPRESS
                )
            else:
                sub = verbs.add_parser(name, help=verb.help, **kw)
            _add_words(sub, verb)
            parser.verbs[name] = sub
    for action in parser.verbs["help"]._actions:
        if action.dest == "topic":
            action.choices = [verb for verb in parser.verbs if not verb.startswith("sh-")]
    return parser


def _add_words(sub: _Parser, verb: Verb) -> None:
    """The verb's arguments and options, as the table has them."""
    for argument in verb.arguments:
        if argument.rest:
            sub.add_argument(argument.name, nargs=argparse.REMAINDER, metavar=argument.metavar)
            continue
        sub.add_argument(
            argument.name,
            nargs="?" if argument.optional else None,
            metavar=None if argument.choices else argument.metavar,
            choices=argument.choices,
            default=argument.default,
            help=argument.help or None,
        )
    groups: dict[str, Any] = {}
    for option in verb.options:
        target: Any = sub
        if option.group is not None:
            if option.group not in groups:
                groups[option.group] = sub.add_mutually_exclusive_group()
            target = groups[option.group]
        target.add_argument(option.flag, **_option_kw(option))


def _option_kw(option: Option) -> dict[str, Any]:
    if not option.takes_value:
        return {"dest": option.dest, "action": "store_true", "help": option.help}
    kw: dict[str, Any] = {"dest": option.dest, "help": option.help}
    if option.choices is not None:
        kw["choices"] = option.choices
    else:
        kw["metavar"] = option.metavar
    if option.default is not None:
        kw["default"] = option.default
    if option.required:
        kw["required"] = True
    return kw


def parse(argv: Sequence[str]) -> Args:
    """Parse ``argv`` as argparse does; no verb at all means help, ``help VERB`` the
    verb's help."""
    _refuse_early(argv)
    parser = build()
    namespace, extras = parser.parse_known_args(argv)
    if extras:
        _refuse_extras(parser.verbs.get(namespace.verb or "", parser), extras)
    values = vars(namespace)
    topic = values.pop("topic", None)
    if topic is not None:
        parser.parse_args([topic, "--help"])  # prints it and exits
    return args_of(values)


def args_of(values: dict[str, Any]) -> Args:
    """``Args`` of argparse's namespace (as a dict). argparse takes ``--`` out of an
    option's words, so ``--profile=--`` comes back as an empty list: the value given
    was ``--``, and is checked as such."""
    verb = values.pop("verb", None) or "help"
    for dest, value in values.items():
        if value == [] and dest != "command":
            values[dest] = "--"
    return Args(verb, **values)


def _refuse_extras(parser: _Parser, extras: Sequence[str]) -> None:
    """Words the verb does not take; an option close to one of its own gets "did you mean"."""
    message = f"unrecognized arguments: {' '.join(extras)}"
    for word in extras:
        if word.startswith("--"):
            match = did_you_mean(word.partition("=")[0], parser._option_string_actions)
            if match is not None:
                raise MfaEnvError(f"{message}; did you mean {match}?", exit_code=2)
    parser.error(message)


def _refuse_early(argv: Sequence[str]) -> None:
    """The mistakes argparse would answer with the wrong words: a verb of the shell
    function given to mfaenv itself, and a word that is neither a verb nor a code."""
    if not argv:
        return
    first = argv[0]
    asks_help = "-h" in argv or "--help" in argv
    code = not first.startswith("-") and any(char.isdigit() for char in first)
    session = code or first.partition("=")[0] in SESSION_OPTIONS
    if session and asks_help:
        # `mfaenv 123456 --help`, `mfaenv --profile dev --help`: help changes no shell.
        build().verbs["sh-on"].print_help(sys.stdout)
        raise SystemExit(0)
    if session or (first in EVAL_VERBS and not asks_help):
        raise needs_the_function(argv, os.environ)
    if first.startswith("--"):
        # `mfaenv --profle dev`: the option, not the word after it, is the mistake.
        option = first.partition("=")[0]
        match = did_you_mean(option, (*SESSION_OPTIONS, "--help", "--version"))
        if match is not None and option != match:
            raise MfaEnvError(
                f"unrecognized arguments: {first}; did you mean {match}?", exit_code=2
            )
    if first == "sh-on" and not asks_help:
        # `mfa login 123456` as `mfa login`: the first word the user typed, after the
        # --shell the function puts first, is neither a code nor an option.
        words = list(argv[1:])
        if words[:1] == ["--shell"]:
            words = words[2:]
        word = words[0] if words else "-"
        if not word.startswith("-") and not any(char.isdigit() for char in word):
            raise unknown_command(word)


def print_help() -> None:
    build().print_help()
