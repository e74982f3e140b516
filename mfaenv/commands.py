"""What each verb does. ``run_command`` is called by ``cli.main`` with the parsed
arguments and the clock.

The verbs of the hot paths (init, prompt, status, off, reuse, credential-process) use
only what is imported at the top of this module; the others import what they need
inside their own function.
"""

from __future__ import annotations

import os
import sys

from mfaenv import EVAL_VERBS, PASSTHROUGH, __version__
from mfaenv.env import (
    FOLLOW_GENERATION_VAR,
    FOLLOW_MARKER_VAR,
    SEEN_VAR,
    SESSION,
    Change,
    ShellState,
    requested_profile,
    session_expires,
    session_values,
)
from mfaenv.errors import MfaEnvError, printable, warn
from mfaenv.shells import get_shell
from mfaenv.timefmt import format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mfaenv import Args
    from mfaenv.clock import Clock
    from mfaenv.request import Request
    from mfaenv.session import Session


def emit(code: str) -> None:
    """Write shell code to stdout, bytes exact (values may hold any bytes but NUL)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(code.encode("utf-8", "surrogateescape"))
    sys.stdout.buffer.flush()


def own_command() -> list[str]:
    """How the shell integration runs this program: an absolute path, never a PATH lookup."""
    script = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if os.path.basename(script) == "mfaenv" and os.path.isfile(script):
        return [os.path.realpath(script)]
    # ``python -m mfaenv``; -P keeps the current directory off sys.path (3.11+).
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe, "-m", "mfaenv"]


def _check_code(code: str | None) -> str | None:
    if code is None:
        return None
    if any(char.isdigit() for char in code):
        from mfaenv.totp import check_code

        return check_code(code)
    from mfaenv.parser import unknown_command  # the error path: "did you mean"

    raise unknown_command(code)


def build_request(args: Args, environ: Mapping[str, str]) -> Request:
    from mfaenv.request import Request

    for option in ("profile", "duration", "serial", "totp", "role", "save_as"):
        value = getattr(args, option)
        if value is not None and not value.strip():
            raise MfaEnvError(f"--{option.replace('_', '-')} needs a value", exit_code=2)
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


def _session(args: Args, state: ShellState, clock: Clock) -> Session:
    from mfaenv.login import obtain_session

    request = build_request(args, state.without(SESSION))
    return obtain_session(request, state.without(SESSION), clock=clock)[0]


# --- the verbs --------------------------------------------------------------------------


def init(args: Args, clock: Clock) -> int:
    import stat

    shell = get_shell(str(args.shell))
    # Rendered into a file (`mfaenv init bash > FILE`, sourced from the rc file): the file
    # warns, when sourced, once mfaenv is installed anew after it was rendered.
    to_file = stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    stamp = os.path.join(os.path.dirname(os.path.realpath(__file__)), "__init__.py")
    # Evaluated at once, the time now is a clock for a shell that has none (bash 3.2).
    code = shell.render_init(
        own_command(),
        PASSTHROUGH,
        EVAL_VERBS,
        stamp if to_file else None,
        epoch=None if to_file else int(clock.now()),
    )
    if not to_file and _may_want_auto():
        from mfaenv.autostart import auto_start, pipe

        if pipe(sys.stdout.fileno()):
            code += auto_start(shell, clock)
    emit(code)
    return 0


def _may_want_auto() -> bool:
    """Whether the config may say ``auto = true`` (mfaenv.autostart): a look at its text,
    found as mfaenv.files finds it (MFAENV_CONFIG, else in XDG_CONFIG_HOME when that is an
    absolute path), so init imports nothing more for everyone else."""
    path = os.environ.get("MFAENV_CONFIG", "")
    if not path:
        if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
            return True  # platformdirs places it: autostart finds it
        home = os.environ.get("XDG_CONFIG_HOME", "").strip()
        home = home if os.path.isabs(home) else os.path.expanduser("~/.config")
        path = os.path.join(home, "mfaenv", "config.toml")
    try:
        with open(path, "rb") as handle:
            return b"auto" in handle.read(256 * 1024)
    except OSError:
        return False


def on(args: Args, clock: Clock) -> int:
    from mfaenv.cache import Cache
    from mfaenv.follow import holding
    from mfaenv.login import obtain_session

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    state.stash_with(SESSION)  # a stash too large to hand back: refused before a code is spent
    request = build_request(args, state.without(SESSION))
    cache = Cache(clock=clock)
    session, reused = obtain_session(request, state.without(SESSION), clock=clock, cache=cache)
    # The shell follows this cache name from this session on (mfaenv.follow).
    emit(shell.render(holding(state, session, cache.marker_path(request.cache_name))))
    left = format_remaining(remaining(session.expires, clock.now()))
    role = f" as {session.role_label}" if session.role_label else ""
    what = "reused the cached MFA session" if reused else "MFA session"
    warn(f"{what} for profile {session.profile!r}{role}, {left} left")
    return 0


def exec_(args: Args, clock: Clock) -> int:
    state = ShellState.from_process()
    state.stash_with(SESSION)
    command = list(args.command)
    command = command[1:] if command[:1] == ["--"] else command
    if not command or not command[0]:
        raise MfaEnvError("nothing to run: mfa exec [--profile P] -- COMMAND [ARGS...]", 2)
    if args.listen is not None and not args.server:
        raise MfaEnvError("--listen is for --server: mfa exec --server --listen ADDRESS", 2)
    if args.server:
        return _exec_server(args, state, clock, command)
    session = _session(args, state, clock)
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


def _exec_server(args: Args, state: ShellState, clock: Clock, command: list[str]) -> int:
    """``mfa exec --server``: the command gets a credential endpoint that renews
    (mfaenv.credserver), not keys."""
    from mfaenv.cache import Cache
    from mfaenv.credserver import Supplier, parse_listen, serve_command
    from mfaenv.login import obtain_session

    parse_listen(args.listen)  # a mistake is refused before a code is asked
    environ = state.without(SESSION)
    request = build_request(args, environ)
    cache = Cache(clock=clock)
    session, _ = obtain_session(request, environ, clock=clock, cache=cache)
    change = state.apply(SESSION, session_values(session))
    # --save-as is done now, not again for the cached session at each request; new
    # sessions still go where it is saved (mfaenv.saveas).
    later = request.replace(save_as=None)
    supplier = Supplier(later, environ, cache, clock, session)
    return serve_command(command, state.after(change).environ, supplier, args.listen, clock)


def credential_process(args: Args, clock: Clock) -> int:
    from mfaenv import jsontext
    from mfaenv.login import lasting_session
    from mfaenv.reuse import SHORT_FOR_SDKS

    state = ShellState.from_process()
    request = build_request(args, state.without(SESSION))
    session, reused = lasting_session(request, state.without(SESSION), clock=clock)
    if not reused and session.expires - clock.now() < SHORT_FOR_SDKS:
        warn(
            f"this session lasts {format_remaining(remaining(session.expires, clock.now()))}: "
            "SDKs run credential_process before every request when a session is shorter "
            "than 30 minutes; ask for a longer one (--duration, duration in the config)"
        )
    creds = session.credentials
    document = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "SessionToken": creds.session_token,
        "Expiration": session.expiration,
    }
    emit(jsontext.dumps(document) + "\n")
    return 0


def off(args: Args, clock: Clock) -> int:
    from mfaenv.profilefollow import held_from_process, reckoned

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    if not state.active(SESSION):
        raise MfaEnvError("no MFA session in this shell; nothing to undo")
    # AWS_PROFILE as the shell's tools have it now: a folder direnv has left since does not
    # get its value back (mfaenv.profilefollow).
    state = reckoned(state, held_from_process())
    change, known = state.remove(SESSION)
    stop = Change(shell_vars={FOLLOW_MARKER_VAR: None, FOLLOW_GENERATION_VAR: None, SEEN_VAR: None})
    emit(shell.render(change.then(stop)))
    if not known:
        warn(
            "this shell inherited its MFA session, so the keys it replaced are unknown here; "
            "the session variables are unset"
        )
    else:
        warn(_said_off(state.environ, change))
    return 0


def _said_off(environ: Mapping[str, str], change: Change) -> str:
    """What ``mfa off`` did, in one line: what it put back, and how much it unset."""
    restored = [name for name, value in change.env.items() if value is not None]
    unset = [name for name, value in change.env.items() if value is None and name in environ]
    ended = f"ended the MFA session for profile {environ.get(SESSION.marker, '')!r}"
    if not restored:
        return f"{ended}: unset its {len(unset)} variables; no keys were set before it"
    return f"{ended}: restored {', '.join(restored)}; unset {len(unset)} session variables"


def follow(args: Args, clock: Clock) -> int:
    """The prompt hook saw the marker change: the newer session, or nothing to eval."""
    from mfaenv.follow import follow_change

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    change = follow_change(state, args.marker, args.held, clock)
    if change is None:
        return 0
    emit(shell.render(change))
    left = format_remaining(remaining(int(change.env["MFAENV_EXPIRES"] or 0), clock.now()))
    profile = change.env["MFAENV_PROFILE"]
    warn(f"this shell now holds the newer MFA session of profile {profile!r}, {left} left")
    return 0


def profile(args: Args, clock: Clock) -> int:
    """The prompt hook saw AWS_PROFILE or DIRENV_DIFF change (mfaenv.profilefollow)."""
    from mfaenv.profilefollow import held_from_process, profile_change

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()

    def cached(environ: Mapping[str, str]) -> Session | None:
        """What `mfa` with no code would reuse in a shell of ``environ``."""
        from mfaenv import Args
        from mfaenv.cache import Cache
        from mfaenv.reuse import cached_session

        request = build_request(Args("sh-on"), environ)
        return cached_session(Cache(clock=clock), request, environ)[0]

    emit(shell.render(profile_change(state, held_from_process() or "", clock, cached)))
    return 0


def renew(args: Args, clock: Clock) -> int:
    """Started by the prompt hook in the background, near the end of the session."""
    from mfaenv.renew import renew as renew_session

    return renew_session(args, clock)


def status(args: Args, clock: Clock) -> int:
    if args.all or args.profile is not None:
        from mfaenv.overview import overview

        return overview(args, clock)
    environ = os.environ
    profile = environ.get("MFAENV_PROFILE")
    if profile is None:
        if args.json:
            import json

            print(json.dumps({"active": False}, indent=2))
        else:
            warn("no MFA session in this shell")
        return 1
    expires = session_expires(environ)
    if expires is None:
        raise MfaEnvError("MFAENV_EXPIRES is not a number; run `mfa off`")
    left = remaining(expires, clock.now())
    role_arn = environ.get("MFAENV_ROLE_ARN")
    if args.json:
        import json

        document = {
            "active": True,
            "profile": profile,
            "arn": environ.get("MFAENV_ARN"),
            "serial": environ.get("MFAENV_SERIAL"),
            "role": role_arn,
            "access_key_id": environ.get("AWS_ACCESS_KEY_ID"),
            "expiration": environ.get("AWS_CREDENTIAL_EXPIRATION"),
            "expires_epoch": expires,
            "remaining_seconds": max(left, 0),
            "expired": left <= 0,
        }
        print(json.dumps(document, indent=2))
    else:
        import time

        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(expires))
        shown = format_remaining(left)
        rows = [
            ("profile", profile),
            ("user", environ.get("MFAENV_ARN") or "unknown (device given by name)"),
            ("device", environ.get("MFAENV_SERIAL") or "unknown"),
            *([("role", f"{role_arn} ({environ.get('MFAENV_ROLE', '')})")] if role_arn else []),
            ("key", environ.get("AWS_ACCESS_KEY_ID") or "missing"),
            ("expires", f"{when} UTC ({shown}{'' if shown == 'expired' else ' left'})"),
        ]
        print("\n".join(f"{name:<8} {printable(value)}" for name, value in rows))
    if environ.get("MFAENV_SANDBOX"):
        from mfaenv.sandbox import gone

        problem = gone(environ)
        if problem is not None:  # a session of a server that is gone is worth nothing
            warn(f"this session cannot be used: {problem}")
            return 1
    return 0 if left > 0 else 1


def enroll(args: Args, clock: Clock) -> int:
    from mfaenv.enroll import enroll as enroll_device
    from mfaenv.profilefollow import acted_on_profile
    from mfaenv.request import Request
    from mfaenv.totp import Source

    state = ShellState.from_process()
    profile, explicit = acted_on_profile(args.profile, state)
    enroll_device(
        Request(profile=profile, explicit_profile=explicit),
        state.without(SESSION),
        name=args.name,
        store=Source.parse(args.store) if args.store else None,
        force=args.force,
        clock=clock,
    )
    return 0


def rotate_key(args: Args, clock: Clock) -> int:
    from mfaenv.profilefollow import acted_on_profile
    from mfaenv.request import Request
    from mfaenv.rotate import rotate_key as rotate

    state = ShellState.from_process()
    profile, explicit = acted_on_profile(args.profile, state)
    rotate(Request(profile=profile, explicit_profile=explicit), state.without(SESSION), clock)
    return 0


def keys(args: Args, clock: Clock) -> int:
    from mfaenv.keyimport import import_keys
    from mfaenv.keystore import KeyStore
    from mfaenv.profilefollow import acted_on_profile

    state = ShellState.from_process()
    profile, _ = acted_on_profile(args.profile, state)
    store = KeyStore.parse(str(args.store)).for_profile(profile)
    import_keys(profile, store, state.without(SESSION), clock)
    return 0


def unsave(args: Args, clock: Clock) -> int:
    from mfaenv.cache import Cache
    from mfaenv.saveas import unsave as remove

    path = remove(str(args.name), Cache(clock=clock).root, clock)
    warn(f"removed the session profile [{args.name}] from {path}")
    return 0


def policy(args: Args, clock: Clock) -> int:
    import json

    from mfaenv.limits import check_duration
    from mfaenv.policy import build
    from mfaenv.timefmt import parse_duration

    max_age = check_duration(parse_duration(args.max_age)) if args.max_age else None
    print(json.dumps(build(args.style, max_age), indent=2))
    return 0


def console(args: Args, clock: Clock) -> int:
    from mfaenv.console import run

    return run(args, ShellState.from_process(), clock)


def prompt(args: Args, clock: Clock) -> int:
    from mfaenv.prompt import segment

    text = segment(os.environ, clock.now())
    if text:
        print(text)
    return 0


def sandbox(args: Args, clock: Clock) -> int:
    from mfaenv import sandbox as box

    shell = get_shell(str(args.shell))
    state = ShellState.from_process()
    change = box.start(state) if args.action == "start" else box.stop(state)
    emit(shell.render(change))
    return 0


def help_(args: Args, clock: Clock) -> int:
    from mfaenv.parser import print_help

    print_help()
    return 0


def version(args: Args, clock: Clock) -> int:
    print(f"mfaenv {__version__}")
    return 0


COMMANDS: dict[str, Callable[[Args, Clock], int]] = {
    "init": init,
    "sh-on": on,
    "exec": exec_,
    "credential-process": credential_process,
    "sh-off": off,
    "sh-follow": follow,
    "sh-profile": profile,
    "sh-renew": renew,
    "status": status,
    "enroll": enroll,
    "rotate-key": rotate_key,
    "unsave": unsave,
    "keys": keys,
    "policy": policy,
    "console": console,
    "prompt": prompt,
    "sh-sandbox": sandbox,
    "help": help_,
    "version": version,
}


def run_command(args: Args, clock: Clock) -> int:
    return COMMANDS[args.verb](args, clock)
