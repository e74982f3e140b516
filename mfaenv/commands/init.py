"""``mfaenv init SHELL``: the shell integration to eval, with its completions."""

from __future__ import annotations

import os
import sys

from mfaenv.commands import emit
from mfaenv.completion import filled
from mfaenv.shells import get_shell
from mfaenv.verbs import EVAL_VERBS, PASSTHROUGH

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def own_command() -> list[str]:
    """How the shell integration runs this program: an absolute path, never a PATH lookup."""
    script = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if os.path.basename(script) == "mfaenv" and os.path.isfile(script):
        return [os.path.realpath(script)]
    # ``python -m mfaenv``; -P keeps the current directory off sys.path (3.11+).
    safe = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe, "-m", "mfaenv"]


def run(args: Args, clock: Clock) -> int:
    import stat

    shell = get_shell(str(args.shell))
    # Rendered into a file (`mfaenv init bash > FILE`, sourced from the rc file): the file
    # warns, when sourced, once mfaenv is installed anew after it was rendered.
    to_file = stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    stamp = os.path.join(package, "__init__.py")
    # Evaluated at once, the time now is a clock for a shell that has none (bash 3.2).
    code = shell.render_init(
        own_command(),
        PASSTHROUGH,
        EVAL_VERBS,
        filled(shell),
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
    at the path mfaenv.paths gives, so init reads no TOML for everyone else."""
    from mfaenv import paths

    if not os.environ.get("MFAENV_CONFIG") and not paths.xdg_platform():
        return True  # platformdirs places it (not imported here): autostart finds it
    path = paths.config_path()
    try:
        with open(path, "rb") as handle:
            return b"auto" in handle.read(256 * 1024)
    except OSError:
        return False
