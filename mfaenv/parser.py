"""Every verb and option, for argparse: help, the unusual forms, and usage errors.

The hot verbs are read by ``cli.fast_parse`` in their plain forms; whatever it does not
take comes here, so a user sees the same answers either way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mfaenv import __version__
from mfaenv.cli import Args
from mfaenv.errors import MfaEnvError

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``mfaenv:`` line.

    The ``sh-*`` parsers print help on stderr: their stdout is evaluated by the shell.
    """

    help_to_stderr = False

    def error(self, message: str) -> Any:  # argparse declares NoReturn
        raise MfaEnvError(f"{message} (see `mfa help`)", exit_code=2)

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        super().print_help(file or (sys.stderr if self.help_to_stderr else sys.stdout))


_DESCRIPTION = """\
MFA-protected AWS access keys in one word of shell.

  mfa 123456                   MFA session in this shell (12h unless --duration)
  mfa 123456 --profile prod --duration 8h
  mfa --profile admin          a profile with role_arn: assume the role with MFA
  mfa                          reuse this profile's cached session: no code, no AWS call
  mfa status [--json]          who, which device, expires when, how long left
  mfa prompt                   the prompt segment: aws:dev 11h42m
  mfa exec -- aws s3 ls        run one command with the session; the shell stays as it is
  mfaenv credential-process --profile dev-long-term   JSON for credential_process
  mfa off                      back to the long-lived keys, exactly as before
  mfa sandbox start|stop       a local STS/IAM to try all this without AWS
  mfaenv enroll [--store pass:ENTRY|file:PATH]   create and enable a virtual MFA device
  mfaenv rotate-key            a new access key, proven, then the old one deleted
  mfaenv policy [--style strict|self-service] [--max-age 8h]   the IAM policy
  mfa console [--profile P|--role ARN] [--service s3] [--print]   the AWS web console

Setup: eval "$(mfaenv init bash)" in ~/.bashrc; zsh: eval "$(mfaenv init zsh)";
fish: mfaenv init fish | source.
"""

SHELL_NAMES = ("bash", "fish", "zsh")


def build() -> _Parser:
    parser = _Parser(
        prog="mfaenv",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mfaenv {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, text: str, **kw: Any) -> _Parser:
        sub: _Parser = verbs.add_parser(name, help=text, description=text, **kw)
        if name.startswith("sh-"):
            sub.help_to_stderr = True
            sub.add_argument("--shell", required=True, choices=SHELL_NAMES)
        return sub

    init = add("init", "print the shell integration to eval")
    init.add_argument("shell", metavar="SHELL", help="bash, zsh or fish")

    status = add("status", "show this shell's MFA session")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument(
        "--all", action="store_true", help="every cached session, and the profiles without one"
    )
    status.add_argument("--profile", help="the cached session of this profile")

    enroll = add("enroll", "create and enable a virtual MFA device for your user")
    enroll.add_argument("--profile", help="profile with the long-lived keys (default: AWS_PROFILE)")
    enroll.add_argument("--name", help="name of the device (default: your user name)")
    enroll.add_argument("--store", metavar="WHERE", help="pass:ENTRY or file:PATH for the secret")
    enroll.add_argument("--force", action="store_true", help="enroll even with a device already")

    rotate = add("rotate-key", "replace your access key with a new one, safely")
    rotate.add_argument("--profile", help="profile with the key (default: AWS_PROFILE)")

    unsave = add("unsave", "remove a session saved with --save-as from the credentials file")
    unsave.add_argument("name", metavar="NAME", help="the profile the session was saved as")

    policy = add("policy", "print the IAM policy that makes keys need MFA")
    policy.add_argument("--style", choices=("strict", "self-service"), default="strict")
    policy.add_argument("--max-age", metavar="DURATION", help="also deny MFA older than this")

    add("prompt", "print the prompt segment (aws:PROFILE 11h42m), or nothing")

    def session_options(sub: _Parser) -> None:
        sub.add_argument(
            "--profile", help="profile with the long-lived keys (default: AWS_PROFILE)"
        )
        sub.add_argument(
            "--duration", help="session length: seconds, 90m, 12h, 1h30m (default 12h)"
        )
        sub.add_argument("--serial", help="ARN of the MFA device (default: found from your user)")
        sub.add_argument("--totp", metavar="SOURCE", help="pass:ENTRY, file:PATH, command:ARGV")
        sub.add_argument("--role", metavar="ARN", help="assume this role with the MFA session")
        sub.add_argument(
            "--save-as",
            metavar="NAME",
            help="also write the session as profile NAME in ~/.aws/credentials",
        )

    on = add("sh-on", "start an MFA session (used by `mfa CODE`)", prog="mfa")
    on.add_argument("code", nargs="?", metavar="CODE", help="6-digit code from your MFA device")
    session_options(on)

    run_ = add("exec", "run a command with the MFA session, leaving the shell alone")
    session_options(run_)
    run_.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")

    process = add(
        "credential-process",
        "print the session as AWS credential_process JSON (for ~/.aws/config)",
    )
    session_options(process)

    console = add(
        "console",
        "open the AWS web console signed in with a role session",
        epilog="The link signs anyone in as the role for 15 minutes: --print output is a "
        "secret, like a password.",
    )
    console.add_argument("--profile", help="a profile with role_arn (default: AWS_PROFILE)")
    console.add_argument("--role", metavar="ARN", help="assume this role from the profile")
    console.add_argument("--totp", metavar="SOURCE", help="pass:ENTRY, file:PATH, command:ARGV")
    console.add_argument(
        "--duration", help="console session length, 15m to 12h (roles of role_mode direct)"
    )
    page = console.add_mutually_exclusive_group()
    page.add_argument("--destination", metavar="URL", help="the https console page to open")
    page.add_argument("--service", metavar="NAME", help="the console of a service: s3, ec2...")
    how = console.add_mutually_exclusive_group()
    how.add_argument(
        "--print",
        dest="print_url",
        action="store_true",
        help="write the sign-in URL to stdout instead; it is a secret for 15 minutes",
    )
    how.add_argument("--open-with", metavar="COMMAND", help="open the URL with this program")

    off_text = "end the MFA session: back to the keys this shell had before"
    add("off", off_text, prog="mfa off")
    add("sh-off", "end the MFA session (used by `mfa off`)", prog="mfa off")

    follow = add("sh-follow", "take a newer session of this shell's profile (the prompt hook)")
    follow.add_argument("marker", help="the marker file of the session this shell holds")
    follow.add_argument("held", nargs="?", default="", help="the generation this shell holds")

    box = add("sh-sandbox", "local STS/IAM to try mfa", prog="mfa sandbox")
    box.add_argument("action", choices=("start", "stop"))

    add("help", "show this help")
    add("version", "show the version")
    return parser


def parse(argv: Sequence[str]) -> Args:
    """Parse ``argv`` as argparse does; no verb at all means help."""
    namespace = build().parse_args(argv)
    values = {key: value for key, value in vars(namespace).items() if key != "verb"}
    return Args(namespace.verb or "help", **values)


def print_help() -> None:
    build().print_help()
