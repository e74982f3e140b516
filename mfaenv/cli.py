"""The ``mfaenv`` command: argument parsing, the commands, and the one error boundary.

The shell function ``mfa`` (from ``mfaenv init SHELL``) runs the ``sh-*`` commands
and evals what they print; every other verb is passed straight through.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

from mfaenv import __version__
from mfaenv.env import SESSION, ShellState, session_values
from mfaenv.errors import MfaEnvError, warn
from mfaenv.login import Request, obtain
from mfaenv.shells import SHELLS, Change, get_shell
from mfaenv.timefmt import (
    check_duration,
    format_remaining,
    parse_duration,
    remaining,
    to_rfc3339,
)

# Verbs the shell function evals (as ``sh-VERB``); anything else that is not
# passed through is ``sh-on`` (``mfa 123456``, ``mfa --profile dev``, ``mfa``).
EVAL_VERBS = ("off", "sandbox")
PASSTHROUGH = (
    "status",
    "exec",
    "credential-process",
    "enroll",
    "rotate-key",
    "policy",
    "prompt",
    "init",
    "help",
    "version",
    "-h",
    "--help",
    "--version",
)

_CODE = re.compile(r"[0-9]{6}")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``mfaenv:`` line.

    The ``sh-*`` parsers print help on stderr: their stdout is evaluated by the shell.
    """

    help_to_stderr = False

    def error(self, message: str) -> Any:  # argparse declares NoReturn
        raise MfaEnvError(f"{message} (see `mfa help`)", exit_code=2)

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        super().print_help(file or (sys.stderr if self.help_to_stderr else sys.stdout))


def _emit(code: str) -> None:
    """Write shell code to stdout, bytes exact (values may hold any bytes but NUL)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(code.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def _check_code(code: str | None) -> str | None:
    if code is None or _CODE.fullmatch(code):
        return code
    if re.fullmatch(r"[\d\s-]*", code):
        raise MfaEnvError("an MFA code is exactly 6 digits", exit_code=2)
    raise MfaEnvError(f"unknown command {code!r} (see `mfa help`)", exit_code=2)


def _command() -> list[str]:
    """How the shell integration runs this program: an absolute path, never a PATH lookup."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "mfaenv" and script.is_file():
        return [str(script.resolve())]
    # ``python -m mfaenv``; -P keeps the current directory off sys.path (3.11+).
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe, "-m", "mfaenv"]


# --- commands -------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    shell = get_shell(args.shell)
    _emit(shell.render_init(_command(), PASSTHROUGH, EVAL_VERBS))
    return 0


def _profile(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[str, bool]:
    """The profile asked for (--profile, else AWS_PROFILE, else default), and whether
    --profile named it (then keys in the environment are not used, as with the AWS CLI)."""
    return args.profile or environ.get("AWS_PROFILE") or "default", args.profile is not None


def _request(args: argparse.Namespace, environ: Mapping[str, str]) -> Request:
    code = _check_code(getattr(args, "code", None))
    duration = check_duration(parse_duration(args.duration)) if args.duration else None
    profile, explicit = _profile(args, environ)
    return Request(
        profile=profile,
        explicit_profile=explicit,
        code=code,
        duration=duration,
        serial=args.serial,
        totp=args.totp,
        role=args.role,
    )


def cmd_on(args: argparse.Namespace) -> int:
    shell = get_shell(args.shell)
    state = ShellState.from_process()
    request = _request(args, state.environ)
    session = obtain(request, state.without(SESSION))
    _emit(shell.render(state.apply(SESSION, session_values(session))))
    left = format_remaining(remaining(session.expires_epoch, time.time()))
    role = f" as {session.role_label}" if session.role_label else ""
    warn(f"MFA session for profile {request.profile!r}{role}, {left} left")
    return 0


def cmd_exec(args: argparse.Namespace) -> int:
    state = ShellState.from_process()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise MfaEnvError("nothing to run: mfa exec [--profile P] -- COMMAND [ARGS...]", 2)
    session = obtain(_request(args, state.environ), state.without(SESSION))
    change = state.apply(SESSION, session_values(session))
    environ = state.after(change).environ
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, dict(environ))  # noqa: S606 - the user's command
    except FileNotFoundError:
        raise MfaEnvError(f"cannot run {command[0]!r}: not found", 127) from None
    except PermissionError:
        raise MfaEnvError(f"cannot run {command[0]!r}: permission denied", 126) from None


def cmd_credential_process(args: argparse.Namespace) -> int:
    state = ShellState.from_process()
    session = obtain(_request(args, state.environ), state.without(SESSION))
    creds = session.credentials
    document = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "SessionToken": creds.session_token,
        "Expiration": to_rfc3339(session.expiration),
    }
    _emit(json.dumps(document) + "\n")
    return 0


def cmd_off(args: argparse.Namespace) -> int:
    shell = get_shell(args.shell)
    state = ShellState.from_process()
    if not state.active(SESSION):
        raise MfaEnvError("no MFA session in this shell; nothing to undo")
    change, known = state.remove(SESSION)
    _emit(shell.render(change))
    if not known:
        warn(
            "this shell inherited its MFA session, so the keys it replaced are unknown here; "
            "the session variables are unset"
        )
    return 0


def _session_status(environ: dict[str, str], now: float) -> dict[str, Any] | None:
    profile = environ.get("MFAENV_PROFILE")
    if profile is None:
        return None
    try:
        expires = int(environ.get("MFAENV_EXPIRES", ""))
    except ValueError:
        raise MfaEnvError("MFAENV_EXPIRES is not a number; run `mfa off`") from None
    left = remaining(expires, now)
    return {
        "active": True,
        "profile": profile,
        "arn": environ.get("MFAENV_ARN"),
        "serial": environ.get("MFAENV_SERIAL"),
        "role": environ.get("MFAENV_ROLE_ARN"),
        "access_key_id": environ.get("AWS_ACCESS_KEY_ID"),
        "expiration": environ.get("AWS_CREDENTIAL_EXPIRATION"),
        "expires_epoch": expires,
        "remaining_seconds": max(left, 0),
        "expired": left <= 0,
    }


def cmd_status(args: argparse.Namespace) -> int:
    status = _session_status(dict(os.environ), time.time())
    environ_role = os.environ.get("MFAENV_ROLE", "")
    if args.json:
        print(json.dumps(status or {"active": False}, indent=2))
    elif status is None:
        print("no MFA session in this shell")
    else:
        when = datetime.fromtimestamp(status["expires_epoch"], timezone.utc)
        left = format_remaining(status["remaining_seconds"])
        rows = [
            ("profile", status["profile"]),
            ("user", status["arn"] or "unknown (device given by name)"),
            ("device", status["serial"] or "unknown"),
            *([("role", f"{status['role']} ({environ_role})")] if status["role"] else []),
            ("key", status["access_key_id"] or "missing"),
            (
                "expires",
                f"{when:%Y-%m-%d %H:%M:%S} UTC ({left}{'' if left == 'expired' else ' left'})",
            ),
        ]
        print("\n".join(f"{name:<8} {value}" for name, value in rows))
    return 0 if status is not None and not status["expired"] else 1


def cmd_enroll(args: argparse.Namespace) -> int:
    from mfaenv.enroll import enroll
    from mfaenv.totp import Source

    state = ShellState.from_process()
    profile, explicit = _profile(args, state.environ)
    enroll(
        profile=profile,
        explicit_profile=explicit,
        environ=state.without(SESSION),
        name=args.name,
        store=Source.parse(args.store) if args.store else None,
        force=args.force,
    )
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    from mfaenv.rotate import rotate_key

    state = ShellState.from_process()
    profile, explicit = _profile(args, state.environ)
    rotate_key(profile=profile, explicit_profile=explicit, environ=state.without(SESSION))
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    from mfaenv.policy import build

    max_age = check_duration(parse_duration(args.max_age)) if args.max_age else None
    print(json.dumps(build(args.style, max_age), indent=2))
    return 0


def cmd_prompt(args: argparse.Namespace) -> int:
    from mfaenv.prompt import segment

    text = segment(os.environ, time.time())
    if text:
        print(text)
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from mfaenv import sandbox

    shell = get_shell(args.shell)
    state = ShellState.from_process()
    change: Change = sandbox.start(state) if args.action == "start" else sandbox.stop(state)
    _emit(shell.render(change))
    return 0


def cmd_help(args: argparse.Namespace) -> int:
    _build_parser().print_help()
    return 0


def cmd_version(args: argparse.Namespace) -> int:
    print(f"mfaenv {__version__}")
    return 0


# --- parser ---------------------------------------------------------------------

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

Setup: eval "$(mfaenv init bash)" in ~/.bashrc; zsh: eval "$(mfaenv init zsh)";
fish: mfaenv init fish | source.
"""


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="mfaenv",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mfaenv {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, func: Callable[[argparse.Namespace], int], text: str, **kw: Any) -> _Parser:
        sub: _Parser = verbs.add_parser(name, help=text, description=text, **kw)
        sub.set_defaults(func=func)
        if name.startswith("sh-"):
            sub.help_to_stderr = True
            sub.add_argument("--shell", required=True, choices=sorted(SHELLS))
        return sub

    init = add("init", cmd_init, "print the shell integration to eval")
    init.add_argument("shell", metavar="SHELL", help="bash, zsh or fish")

    status = add("status", cmd_status, "show this shell's MFA session")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    enrol = add("enroll", cmd_enroll, "create and enable a virtual MFA device for your user")
    enrol.add_argument("--profile", help="profile with the long-lived keys (default: AWS_PROFILE)")
    enrol.add_argument("--name", help="name of the device (default: your user name)")
    enrol.add_argument("--store", metavar="WHERE", help="pass:ENTRY or file:PATH for the secret")
    enrol.add_argument("--force", action="store_true", help="enrol even with a device already")

    rotate = add("rotate-key", cmd_rotate_key, "replace your access key with a new one, safely")
    rotate.add_argument("--profile", help="profile with the key (default: AWS_PROFILE)")

    policy = add("policy", cmd_policy, "print the IAM policy that makes keys need MFA")
    policy.add_argument("--style", choices=("strict", "self-service"), default="strict")
    policy.add_argument("--max-age", metavar="DURATION", help="also deny MFA older than this")

    add("prompt", cmd_prompt, "print the prompt segment (aws:PROFILE 11h42m), or nothing")

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

    on = add("sh-on", cmd_on, "start an MFA session (used by `mfa CODE`)", prog="mfa")
    on.add_argument("code", nargs="?", metavar="CODE", help="6-digit code from your MFA device")
    session_options(on)

    run_ = add("exec", cmd_exec, "run a command with the MFA session, leaving the shell alone")
    session_options(run_)
    run_.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")

    process = add(
        "credential-process",
        cmd_credential_process,
        "print the session as AWS credential_process JSON (for ~/.aws/config)",
    )
    session_options(process)

    add("sh-off", cmd_off, "end the MFA session (used by `mfa off`)", prog="mfa off")

    box = add("sh-sandbox", cmd_sandbox, "local STS/IAM to try mfa", prog="mfa sandbox")
    box.add_argument("action", choices=("start", "stop"))

    add("help", cmd_help, "show this help")
    add("version", cmd_version, "show the version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the only place errors are turned into messages and exit codes."""
    try:
        args = _build_parser().parse_args(argv)
        if not getattr(args, "func", None):
            return cmd_help(args)
        result: int = args.func(args)
        return result
    except MfaEnvError as err:
        if os.environ.get("MFAENV_DEBUG") == "1":
            traceback.print_exc()
        warn(str(err))
        return err.exit_code
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except Exception as err:  # noqa: BLE001 - the boundary; a message may hold secrets
        if os.environ.get("MFAENV_DEBUG") == "1":
            traceback.print_exc()
        warn(f"internal error ({type(err).__name__}); run with MFAENV_DEBUG=1 for details")
        return 70


def run() -> None:
    sys.exit(main())
