"""At its end, the shell says once that the session ended, and names `mfa CODE`."""

from __future__ import annotations

import os
import time
from pathlib import Path

from conftest import every_shell, kind
from interactive import Shell, open_shell, processes

ENDED = "mfaenv: the MFA session for dev has ended: mfa CODE"


@every_shell
def test_an_ended_session_is_told_once_at_the_next_prompt(
    shell: str, tmp_path: Path, shells: list[Shell]
) -> None:
    ended = str(int(time.time()) - 5)
    terminal = open_shell(shell, tmp_path, shells, MFAENV_PROFILE="dev", MFAENV_EXPIRES=ended)
    for _ in range(3):
        terminal.run("")
    assert terminal.terminal.text.count(ENDED) == 1
    # Another session that ends later is told about again, once.
    again = str(int(time.time()) - 1)
    terminal.run(
        f"set -gx MFAENV_EXPIRES {again}" if kind(shell) == "fish" else f"MFAENV_EXPIRES={again}"
    )
    terminal.run("")
    assert terminal.terminal.text.count(ENDED) == 2


def test_a_live_session_is_not_told_about(shell: str, tmp_path: Path, shells: list[Shell]) -> None:
    later = str(int(time.time()) + 3600)
    terminal = open_shell(shell, tmp_path, shells, MFAENV_PROFILE="dev", MFAENV_EXPIRES=later)
    terminal.run("")
    assert "has ended" not in terminal.terminal.text


@every_shell
def test_telling_it_starts_no_process(shell: str, tmp_path: Path) -> None:
    env = dict(os.environ, MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(int(time.time()) - 5))
    baseline = processes(shell, "", 0, env, tmp_path / "0")
    assert len(processes(shell, "", 40, env, tmp_path / "40")) == len(baseline)
