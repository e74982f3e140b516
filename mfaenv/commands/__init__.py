"""The verbs: one module each, named in the table of verbs (``mfaenv.verbs``), each with
``run(args, clock) -> int``; ``cli.run_command`` imports the one asked for.

This is the command boundary: ``Args`` is read here and nowhere below, and the modules
below take plain values. What several verbs share is here: writing shell code to stdout,
and turning the session options into a ``Request``. The hot verbs (init, prompt, status,
off, reuse, credential-process) import only the core at the top of their module; the
others import what they need inside ``run``.
"""

from __future__ import annotations

import sys

from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mfaenv.request import Request
    from mfaenv.verbs import Args


def emit(code: str) -> None:
    """Write shell code to stdout, bytes exact (values may hold any bytes but NUL)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(code.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def _check_code(code: str | None) -> str | None:
    if code is None:
        return None
    if any(char.isdigit() for char in code):
        from mfaenv.totp import check_code

        return check_code(code)
    from mfaenv.parser import unknown_command  # the error path: "did you mean"

    raise unknown_command(code)


def check_values(args: Args, options: Sequence[str]) -> None:
    """The options given with an empty value (``--profile ""``) are refused."""
    for option in options:
        value = getattr(args, option)
        if value is not None and not value.strip():
            raise MfaEnvError(f"--{option.replace('_', '-')} needs a value", exit_code=2)


def build_request(args: Args, environ: Mapping[str, str]) -> Request:
    """The session options of ``mfa [CODE]``, exec and credential-process, checked."""
    from mfaenv.env import requested_profile
    from mfaenv.request import Request

    check_values(args, ("profile", "duration", "serial", "totp", "role", "save_as"))
    if args.save_as is not None:
        from mfaenv.saveas import check_name

        check_name(args.save_as)
    duration = None
    if args.duration is not None:
        from mfaenv.limits import check_duration
        from mfaenv.timefmt import parse_duration

        duration = check_duration(parse_duration(args.duration))
    profile, explicit = requested_profile(args.profile, environ)
    if args.serial is not None or args.role is not None:
        from mfaenv.arns import check_role, check_serial

        if args.serial is not None:
            check_serial(args.serial)
        if args.role is not None:
            check_role(args.role)
    return Request(
        profile=profile,
        explicit_profile=explicit,
        code=_check_code(args.code),
        duration=duration,
        serial=args.serial,
        totp=args.totp,
        role=args.role,
        save_as=args.save_as,
    )
