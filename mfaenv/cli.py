"""The ``mfaenv`` command: which verb was asked, and the one error boundary.

The verb decides what gets imported. The everyday verbs (``init``, ``prompt``,
``status``, ``off``, ``mfa`` with a cached session, ``credential-process``) are read
by a small parser that knows only their options and hands anything unusual (``--help``,
an abbreviation, a mistake) to argparse (``mfaenv.parser``), which knows every verb and
answers exactly as before. So argparse, botocore and the rest load only where needed.

The shell function ``mfa`` (from ``mfaenv init SHELL``) runs the ``sh-*`` verbs and
evals what they print; every other verb is passed straight through.
"""

from __future__ import annotations

import os
import sys

from mfaenv import CODE_ENV, SESSION_OPTIONS, Args
from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError, warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# The hot verbs as the fast parser knows them: options that take a value, flags, and
# the names of the positional arguments (a trailing "?" for an optional one).
_FAST: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "init": ((), (), ("shell",)),
    "prompt": ((), (), ()),
    "status": (("--profile",), ("--json", "--all"), ()),
    "sh-off": (("--shell",), (), ()),
    "sh-follow": (("--shell",), (), ("marker", "held?")),
    "sh-profile": (("--shell",), (), ()),
    "sh-renew": (("--shell",), (), ("marker", "report", "margin")),
    "sh-on": (("--shell", *SESSION_OPTIONS), (), ("code?",)),
    "credential-process": (SESSION_OPTIONS, (), ()),
}


def fast_parse(argv: Sequence[str]) -> Args | None:
    """``argv`` of a hot verb in its plain forms; None for anything else (argparse
    then reads it: help, abbreviations, ``--``, values that look like options, errors)."""
    if not argv or argv[0] not in _FAST:
        return None
    valued, flags, positional = _FAST[argv[0]]
    values: dict[str, object] = {}
    words: list[str] = []
    rest = iter(argv[1:])
    for word in rest:
        if word.startswith("-"):
            option, equals, value = word.partition("=")
            if option in flags and not equals:
                values[option[2:].replace("-", "_")] = True
                continue
            if option not in valued:
                return None
            if not equals:
                value = next(rest, "-")
                if value.startswith("-"):
                    return None
            values[option[2:].replace("-", "_")] = value
        else:
            words.append(word)
    required = [name for name in positional if not name.endswith("?")]
    if not len(required) <= len(words) <= len(positional):
        return None
    if "--shell" in valued and "shell" not in values:
        return None
    for name, word in zip(positional, words, strict=False):
        values[name.rstrip("?")] = word
    return Args(argv[0], **values)


def main(argv: Sequence[str] | None = None, clock: Clock = SYSTEM) -> int:
    """Run one command; the only place errors are turned into messages and exit codes."""
    words = list(sys.argv[1:] if argv is None else argv)
    # `mfa 123456`: the shell function hands the code over here, not in argv (which any
    # user may read in /proc/PID/cmdline); taken out at once, so no child sees it.
    code = os.environ.pop(CODE_ENV, "")
    try:
        args = fast_parse(words)
        if args is None:
            from mfaenv.parser import parse

            args = parse(words)
        if code and args.verb == "sh-on":
            args.code = _one_code([*code.split("\n"), *([args.code] if args.code else [])])
        from mfaenv.commands import run_command

        return run_command(args, clock)
    except MfaEnvError as err:
        _debug_traceback()
        warn(str(err))
        return err.exit_code
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
    except Exception as err:  # noqa: BLE001 - the boundary; a message may hold secrets
        _debug_traceback()
        warn(f"internal error ({type(err).__name__}); run with MFAENV_DEBUG=1 for details")
        return 70


def _one_code(words: list[str]) -> str:
    """The code among the words the shell function took out of argv (one per line): the
    only one, or the first, which is refused as it is (`mfa login 123456`: an unknown
    command; `mfa dev1 123456`: no code) unless it is a code, when the others are."""
    from mfaenv.totp import is_code

    if len(words) > 1 and is_code(words[0]):
        raise MfaEnvError("one code at a time: mfa CODE [OPTIONS]", exit_code=2)
    return words[0]


def _debug_traceback() -> None:
    """With MFAENV_DEBUG=1, where the error came from: file, line and function of each
    frame, never the values (a reply or a message may hold a secret)."""
    if os.environ.get("MFAENV_DEBUG") != "1":
        return
    error = sys.exc_info()[1]
    trace = error.__traceback__ if error is not None else None
    frames = []
    while trace is not None:
        code = trace.tb_frame.f_code
        frames.append(f"  {code.co_filename}:{trace.tb_lineno} in {code.co_name}")
        trace = trace.tb_next
    kind = type(error).__name__ if error is not None else "?"
    sys.stderr.write("mfaenv: debug: traceback (values left out):\n" + "\n".join(frames))
    sys.stderr.write(f"\n  {kind}\n")


def run() -> None:
    sys.exit(main())
