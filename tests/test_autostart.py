"""auto = true: a new shell starts in its profile's cached session, as if `mfa` was typed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import Home, write_config
from interactive import Shell, code, open_shell, processes

from mfaenv.motoserver import DemoUser


def test_a_new_shell_starts_in_the_cached_session_and_off_restores(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path, shells: list[Shell]
) -> None:
    write_config(home, "auto = true\n")
    first = open_shell(shell, tmp_path, shells)
    assert first.key() == "", "no cached session yet: the shell starts as it is"
    first.run(f"mfa {code()} --duration 1h")
    held = first.key()
    assert held.startswith("AKIA")
    second = open_shell(shell, tmp_path, shells)
    assert "started in the cached MFA session of profile 'default'" in second.terminal.text
    assert second.key() == held
    second.run("mfa off")
    assert second.key() == "", "the stash was made at start: off restores the shell"


def test_without_auto_a_new_shell_starts_without_the_session(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path, shells: list[Shell]
) -> None:
    write_config(home, "auto = true\n[profiles.default]\nauto = false\n")
    first = open_shell(shell, tmp_path, shells)
    first.run(f"mfa {code()} --duration 1h")
    assert first.key() != ""
    assert open_shell(shell, tmp_path, shells).key() == ""


def _cached(home: Home, demo: DemoUser) -> None:
    from mfaenv.cli import main

    assert main(["sh-on", "--shell", "bash", code(), "--duration", "1h"]) == 0


def test_init_rendered_into_a_file_never_holds_the_session(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_config(home, "auto = true\n")
    _cached(home, demo)
    rendered = tmp_path / "mfa.bash"
    with rendered.open("w") as out:
        subprocess.run([sys.executable, "-m", "mfaenv", "init", "bash"], stdout=out, check=True)
    text = rendered.read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "AKIA" not in text
    piped = subprocess.run(
        [sys.executable, "-m", "mfaenv", "init", "bash"], capture_output=True, text=True, check=True
    )
    assert "export AWS_SESSION_TOKEN=" in piped.stdout, "through a pipe it does start"


def test_starting_in_the_session_costs_no_process_beyond_init(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    _cached(home, demo)
    env = dict(os.environ)
    without = processes(shell, "", 0, env, tmp_path / "without")
    write_config(home, "auto = true\n")
    setup = 'echo "KEY=$AWS_SESSION_TOKEN" > ' + str(tmp_path / "seen")
    with_auto = processes(shell, setup, 0, env, tmp_path / "with")
    assert "KEY=" in (tmp_path / "seen").read_text()
    assert (tmp_path / "seen").read_text().strip() != "KEY=", "the shell holds the session"
    assert len(with_auto) == len(without)
