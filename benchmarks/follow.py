"""What following a newer session costs per prompt, per shell.

Run:  python benchmarks/follow.py [--renders N] [--markdown docs/speed.md]

Each shell loads `mfaenv init SHELL`, holds a session and runs the prompt hook N times in
one process; the cost per render is (time with N renders - time with 0) / N, the best of a
few tries. Rows: following on with the marker unchanged (the everyday case: one `read`
of a small file), following off (MFAENV_FOLLOW=0), and a session made before following
existed (no marker). Then `mfaenv sh-follow` as a process: what the first prompt after a
refresh pays, once. Prints a table; asserts nothing. With --markdown PAGE it also writes
the table into PAGE's <!-- benchmark:follow --> block.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mdpage
from prompt import per_process

from mfaenv.cache import Cache, generation
from mfaenv.session import Credentials, Session

TRIES = 5
FLAGS = {"bash": ["--norc", "-c"], "zsh": ["-f", "-c"], "fish": ["--no-config", "-c"]}


def _init(shell: str) -> str:
    command = " ".join([sys.executable, "-m", "mfaenv", "init", shell])
    return f"{command} | source" if shell == "fish" else f'eval "$({command})"'


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def per_render(shell: str, setup: str, renders: int, env: dict[str, str]) -> float:
    binary = shutil.which(shell)
    if binary is None:
        raise SystemExit(f"{shell} is not installed")
    call = "__mfaenv_prompt_hook\n" if shell != "fish" else "__mfaenv_prompt_hook; mfa_prompt\n"
    base = _init(shell) + "\n" + setup + "\n"
    empty = min(_timed([binary, *FLAGS[shell], base], env) for _ in range(TRIES))
    full = min(_timed([binary, *FLAGS[shell], base + call * renders], env) for _ in range(TRIES))
    return max(full - empty, 0.0) / renders * 1e6


def _setup(shell: str, marker: str, held: str) -> str:
    if shell == "fish":
        return f"set -g __mfaenv_follow '{marker}'; set -g __mfaenv_follow_gen '{held}'"
    return f"__mfaenv_follow='{marker}'; __mfaenv_follow_gen='{held}'"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--renders", type=int, default=2000)
    parser.add_argument("--markdown", type=Path, metavar="PAGE", help="also write into PAGE")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MFAENV_", "AWS_"))}
    with tempfile.TemporaryDirectory() as home:
        cache = Cache(Path(home) / "mfaenv")
        session = Session(
            profile="bench",
            credentials=Credentials("ASIABENCH", "secret", "token"),
            expires=int(time.time()) + 3600,
            serial="arn:aws:iam::123456789012:mfa/bench",
        )
        cache.save_session(session, "bench")
        marker, held = cache.marker_path("bench"), generation(session)
        env = dict(base, XDG_CACHE_HOME=home, MFAENV_PROFILE="bench")
        env["MFAENV_EXPIRES"] = str(session.expires)
        rows = []
        for shell in FLAGS:
            if shutil.which(shell) is None:
                rows.append((shell, "not installed", "", ""))
                continue
            follow = _setup(shell, marker, held)
            rows.append(
                (
                    shell,
                    f"{per_render(shell, follow, args.renders, env):.1f}",
                    f"{per_render(shell, follow, args.renders, dict(env, MFAENV_FOLLOW='0')):.1f}",
                    f"{per_render(shell, '', args.renders, env):.1f}",
                )
            )
        # The first prompt after a refresh: sh-follow reads the session and prints the change.
        stash = '{"session":{}}'
        older = dict(env, __MFAENV_STASH=stash, MFAENV_EXPIRES=str(session.expires - 60))
        argv = [sys.executable, "-m", "mfaenv", "sh-follow", "--shell", "bash", marker, "1.x.-"]
        once = per_process(argv, older)
    print("microseconds per prompt render (session held)")
    print(f"{'shell':<6} {'follow, unchanged':>18} {'MFAENV_FOLLOW=0':>16} {'no marker':>10}")
    for shell, on, off, none in rows:
        print(f"{shell:<6} {on:>18} {off:>16} {none:>10}")
    print(f"\nmfaenv sh-follow, once after a change (a process): {once:.1f} microseconds")
    if args.markdown:
        lines = [
            mdpage.machine(),
            f"`python benchmarks/follow.py --renders {args.renders}`: microseconds per prompt "
            f"render with a session held, the best of {TRIES} tries.",
            "",
            *mdpage.table(
                ["shell", "following, nothing changed", "MFAENV_FOLLOW=0", "no marker"],
                [list(row) for row in rows],
            ),
            "",
            f"`mfaenv sh-follow`, once after a change (a process): {once / 1000:.1f} ms.",
        ]
        mdpage.write_block(args.markdown, "follow", lines)


if __name__ == "__main__":
    main()
