"""`mfaenv init SHELL`: eval'd at each start, or rendered once into a file and sourced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import init_command, run_shell


def render(shell: str, path: Path) -> None:
    with path.open("wb") as out:
        subprocess.run(
            [sys.executable, "-m", "mfaenv", "init", shell], stdout=out, check=True, timeout=30
        )


def test_a_rendered_file_works_like_the_eval_and_says_nothing_while_fresh(
    shell: str, tmp_path: Path
) -> None:
    rendered = tmp_path / f"mfaenv.{shell}"
    render(shell, rendered)
    result = run_shell(shell, f"source {rendered}\nmfa status\n", dict(os.environ))
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "mfaenv: no MFA session in this shell\n",
    )


def test_a_rendered_file_older_than_mfaenv_says_to_render_it_again(
    shell: str, tmp_path: Path
) -> None:
    rendered = tmp_path / f"mfaenv.{shell}"
    render(shell, rendered)
    os.utime(rendered, (946684800, 946684800))  # rendered in 2000, before this mfaenv
    result = run_shell(shell, f"source {rendered}\n", dict(os.environ))
    assert result.stderr == (
        f"mfaenv: {rendered} was rendered before this mfaenv was installed; "
        f"render it again: mfaenv init {shell} > {rendered}\n"
    )
    assert result.returncode == 0


def test_the_eval_form_carries_no_file_check(shell: str) -> None:
    result = run_shell(shell, f"{init_command(shell)}\n", dict(os.environ))
    assert (result.returncode, result.stderr) == (0, "")
    printed = subprocess.run(
        [sys.executable, "-m", "mfaenv", "init", shell],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert "Rendered to a file" not in printed
