"""How much a prompt render costs with mfaenv, per shell, against `mfa status` as a process.

Run:  python benchmarks/prompt.py [--renders N] [--markdown docs/speed.md]

Each shell loads `mfaenv init SHELL`, then runs the prompt hook N times in one process;
the cost per render is (time with N renders - time with 0 renders) / N, the best of a few
tries. For comparison, `mfaenv status` and `mfaenv prompt` are timed as whole processes,
which is what a prompt pays when it calls them. Prints a table; asserts nothing. With
--markdown PAGE it writes the prompt hooks' rows into PAGE's <!-- benchmark:prompt --> block
(the processes are benchmarks/hotpaths.py's figures there).
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

SHELLS = {
    "bash": (["--norc", "-c"], "__mfaenv_prompt_hook", 'eval "$({init})"'),
    "zsh": (["-f", "-c"], "__mfaenv_prompt_hook", 'eval "$({init})"'),
    "fish": (["--no-config", "-c"], "mfa_prompt >/dev/null", "{init} | source"),
}
TRIES = 5


def _init(shell: str) -> str:
    return " ".join([sys.executable, "-m", "mfaenv", "init", shell])


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    # `mfaenv status` exits 1 without a session: that is its answer, not a failure.
    subprocess.run(argv, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def per_render(shell: str, renders: int, env: dict[str, str]) -> float:
    flags, call, load = SHELLS[shell]
    binary = shutil.which(shell)
    if binary is None:
        raise SystemExit(f"{shell} is not installed")
    base = load.format(init=_init(shell)) + "\n"
    loop = base + f"{call}\n" * renders
    empty = min(_timed([binary, *flags, base], env) for _ in range(TRIES))
    full = min(_timed([binary, *flags, loop], env) for _ in range(TRIES))
    return max(full - empty, 0.0) / renders * 1e6


def per_process(argv: list[str], env: dict[str, str]) -> float:
    return min(_timed(argv, env) for _ in range(TRIES)) * 1e6


def _cached_mfa(env: dict[str, str]) -> tuple[float, float]:
    """`mfa` reusing a cached session (what a new terminal pays), and boto3's import alone."""

    from mfaenv.cache import Cache
    from mfaenv.session import Credentials, Session

    with tempfile.TemporaryDirectory() as home:
        cached = dict(env, XDG_CACHE_HOME=home, AWS_PROFILE="bench")
        Cache(Path(home) / "mfaenv").save_session(
            Session(
                profile="bench",
                credentials=Credentials("ASIABENCH", "secret", "token"),
                expires=int(time.time()) + 3600,
                serial="arn:aws:iam::123456789012:mfa/bench",
            )
        )
        reuse = per_process([sys.executable, "-m", "mfaenv", "sh-on", "--shell", "bash"], cached)
    boto = per_process([sys.executable, "-c", "import boto3"], env)
    return reuse, boto


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--renders", type=int, default=2000)
    parser.add_argument("--markdown", type=Path, metavar="PAGE", help="write the hooks into PAGE")
    args = parser.parse_args()

    without = {k: v for k, v in os.environ.items() if not k.startswith("MFAENV_")}
    with_session = dict(without, MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(int(time.time()) + 3600))
    rows = []
    for shell in SHELLS:
        if shutil.which(shell) is None:
            rows.append((f"{shell} prompt hook", "not installed", "not installed"))
            continue
        rows.append(
            (
                f"{shell} prompt hook",
                f"{per_render(shell, args.renders, with_session):10.1f}",
                f"{per_render(shell, args.renders, without):10.1f}",
            )
        )
    hooks = list(rows)
    for verb in ("status", "prompt"):
        argv = [sys.executable, "-m", "mfaenv", verb]
        rows.append(
            (
                f"mfaenv {verb} (a process)",
                f"{per_process(argv, with_session):10.1f}",
                f"{per_process(argv, without):10.1f}",
            )
        )
    print(f"{'microseconds per render':<28} {'session':>12} {'no session':>12}")
    for name, on, off in rows:
        print(f"{name:<28} {on:>12} {off:>12}")
    reuse, boto = _cached_mfa(without)
    print("\nmicroseconds per process")
    for name, value in (
        ("mfa reusing a cached session", reuse),
        ("python -c 'import boto3' (for comparison)", boto),
    ):
        print(f"{name:<42} {value:12.1f}")
    if args.markdown:
        lines = [
            mdpage.machine(),
            f"`python benchmarks/prompt.py --renders {args.renders}`: microseconds per "
            "render, (time with N renders - time with none) / N, the best of "
            f"{TRIES} tries.",
            "",
            *mdpage.table(
                ["per render (µs)", "session", "no session"],
                [[name, on.strip(), off.strip()] for name, on, off in hooks],
            ),
        ]
        mdpage.write_block(args.markdown, "prompt", lines)


if __name__ == "__main__":
    main()
