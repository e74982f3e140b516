"""The ``mfaenv`` command: which verb was asked, and the one error boundary.

The verb decides what gets imported. The everyday verbs (``init``, ``prompt``,
``status``, ``off``, ``mfa`` with a cached session, ``credential-process``) are read
by a small parser that reads their plain forms from the table of verbs (``mfaenv.verbs``)
and hands anything unusual (``--help``, an abbreviation, a mistake) to argparse
(``mfaenv.parser``, made from the same table), which answers as it always does. So
argparse, botocore and the rest load only where needed; the verb's own module
(``mfaenv.commands.VERB``) does the work.

The shell function ``mfa`` (from ``mfaenv init SHELL``) runs the ``sh-*`` verbs and
evals what they print; every other verb is passed straight through.
"""

from __future__ import annotations

import os
import sys

from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError, warn
from mfaenv.verbs import BY_NAME, CODE_ENV, SHELL_NAMES, VERBS, Args

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def _fast_forms() -> dict[str, tuple[dict[str, str], dict[str, str], tuple[tuple[str, bool], ...]]]:
    """The hot verbs as the fast parser reads them, from the table: options that take a
    value and switches (flag -> dest), and the positional arguments (name, optional)."""
    forms = {}
    for verb in VERBS:
        if not verb.fast:
            continue
        valued = {"--shell": "shell"} if verb.runs_as.startswith("sh-") else {}
        valued.update({o.flag: o.dest for o in verb.options if o.takes_value and not o.choices})
        flags = {option.flag: option.dest for option in verb.options if not option.takes_value}
        positional = tuple((a.name, a.optional) for a in verb.arguments if not a.choices)
        forms[verb.runs_as] = (valued, flags, positional)
    return forms


_FAST = _fast_forms()


def fast_parse(argv: Sequence[str]) -> Args | None:
    """``argv`` of a hot verb in its plain forms; None for anything else (argparse
    then reads it: help, abbreviations, ``--``, values that look like options, errors)."""
    if not argv or argv[0] not in _FAST:
        return None
    valued, flags, positional = _FAST[argv[0]]
    values: dict[str, object] = {}
    words: list[str] = []
    split = False  # an option between two positional words: argparse's own reading
    rest = iter(argv[1:])
    for word in rest:
        if word.startswith("-"):
            split = split or bool(words)
            option, equals, value = word.partition("=")
            if option in flags and not equals:
                values[flags[option]] = True
                continue
            if option not in valued:
                return None
            if not equals:
                value = next(rest, "-")
                if value.startswith("-"):
                    return None
            if option == "--shell" and value not in SHELL_NAMES:
                return None  # argparse names the choices
            values[valued[option]] = value
        elif words and split:
            return None
        else:
            words.append(word)
    required = [name for name, optional in positional if not optional]
    if not len(required) <= len(words) <= len(positional):
        return None
    if "--shell" in valued and "shell" not in values:
        return None
    for (name, _), word in zip(positional, words, strict=False):
        values[name] = word
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


def run_command(args: Args, clock: Clock) -> int:
    """The verb's own module does it: ``mfaenv.commands.MODULE``, imported now."""
    module = __import__(f"mfaenv.commands.{BY_NAME[args.verb].module}", fromlist=["run"])
    done: int = module.run(args, clock)
    return done


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
