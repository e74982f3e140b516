"""Interactive shells on a pty, for the tests of what happens at a prompt (follow, renew,
an ended session, auto-start), and what a shell starts: the processes strace sees.

The ``shells`` fixture (conftest) closes every shell a test opened with ``open_shell``.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import time
from pathlib import Path

from conftest import NO_RC, Home, init_command, kind, need
from terminal import Terminal

from mfaenv.cache import Cache, generation
from mfaenv.session import Credentials, Session

_codes = itertools.count(100001)
PROMPT = "READY$ "


def code() -> str:
    """A code not used before in this run: each code is spent once."""
    return str(next(_codes))


class Shell:
    """One interactive shell on a pty, with a prompt that says it is ready."""

    def __init__(self, name: str, rc_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.seen = 0  # commands run, each followed by its mark
        env = dict(env, TERM="dumb", NO_COLOR="1")
        if kind(name) == "bash":
            rc = rc_dir / "bashrc"
            rc.write_text(init_command("bash") + "\nPS1='READY$ '\n")
            argv = [need(name), "--rcfile", str(rc), "-i"]
        elif kind(name) == "zsh":
            (rc_dir / ".zshrc").write_text(init_command("zsh") + "\nPROMPT='READY$ '\n")
            env["ZDOTDIR"] = str(rc_dir)
            argv = [need(name), "-i"]
        else:
            setup = init_command("fish") + "; function fish_prompt; printf 'READY$ '; end"
            argv = [need(name), "--no-config", "-i", "-C", setup]
        self.terminal = Terminal(argv, env)
        self.wait_prompt()

    def wait_prompt(self) -> None:
        self.terminal.read_until(re.escape(PROMPT))

    def run(self, command: str) -> str:
        """Type ``command`` (each line given a prompt), then a line that prints a mark;
        what the shell printed until the mark."""
        self.seen += 1
        start = len(self.terminal.output)
        self.terminal.send(command + "\r")
        self.terminal.send(f"printf 'D%s_{self.seen}\\n' ONE\r")
        self.terminal.read_until(rf"DONE_{self.seen}\r?\n", timeout=60)
        return self.terminal.output[start:].decode("utf-8", "replace")

    def key(self) -> str:
        """The AWS_ACCESS_KEY_ID this shell holds and, for a session, its end (moto gives
        every session the same key id): empty when the shell holds no key."""
        out = self.run('printf \'K%s=[%s %s]\\n\' E "$AWS_ACCESS_KEY_ID" "$MFAENV_EXPIRES"')
        found = re.findall(r"KE=\[([^\]]*)\]", out)
        assert found, f"{self.name}: no key line in {out!r}"
        return str(found[-1]).strip()

    def close(self) -> None:
        self.terminal.close()


def open_shell(name: str, tmp_path: Path, opened: list[Shell], **env: str) -> Shell:
    rc_dir = tmp_path / f"rc{len(opened)}"
    rc_dir.mkdir()
    shell = Shell(name, rc_dir, dict(os.environ, **env))
    opened.append(shell)
    return shell


def marker_setup(home: Home, shell: str, changed: bool) -> tuple[str, dict[str, str]]:
    """A cached session with its marker, and a shell that holds it (or an older one)."""
    cache = Cache(home.cache / "mfaenv")
    session = Session(
        profile="dev",
        credentials=Credentials("ASIANEWER", "s", "t"),
        expires=int(time.time()) + 3600,
        serial="arn:aws:iam::1:mfa/a",
    )
    cache.save_session(session, "dev")
    marker = cache.marker_path("dev")
    held = generation(session) if not changed else "1.older.-"
    held_end = session.expires if not changed else session.expires - 60
    env = dict(os.environ, MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(held_end))
    env["AWS_ACCESS_KEY_ID"] = "ASIAHELD" if changed else "ASIANEWER"
    if kind(shell) == "fish":
        setup = f"set -g __mfaenv_follow '{marker}'; set -g __mfaenv_follow_gen '{held}'"
    else:
        setup = f"__mfaenv_follow='{marker}'; __mfaenv_follow_gen='{held}'"
    return setup, env


def processes(shell: str, setup: str, renders: int, env: dict[str, str], log: Path) -> list[str]:
    """The processes the shell starts: init, the setup and ``renders`` prompt hooks."""
    strace = need("strace")
    call = (
        "__mfaenv_prompt_hook; mfa_prompt >/dev/null"
        if kind(shell) == "fish"
        else "__mfaenv_prompt_hook"
    )
    script = init_command(shell) + "\n" + setup + "\n" + f"{call}\n" * renders
    flags = NO_RC[kind(shell)]
    subprocess.run(
        [strace, "-f", "--seccomp-bpf", "-qq", "-e", "trace=execve,clone,clone3,fork,vfork",
         "-o", str(log), need(shell), *flags, "-c", script],
        env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    started = []
    for line in log.read_text().splitlines():
        if "CLONE_THREAD" in line or "resumed>" in line:
            continue
        if re.search(r"\b(execve|clone3?|v?fork)\(", line):
            started.append(line)
    return started
