"""Asking the real bash and fish what a Tab offers, as they ask mfaenv's completion."""

from __future__ import annotations

import shlex

from conftest import init_command, run_shell


def bash_call(line: str) -> str:
    """The call bash makes on a tab at the end of ``line``, and the words it offers."""
    words = line.split(" ")
    return (
        f"COMP_WORDS=({shlex.join(words)}); COMP_CWORD={len(words) - 1}\n"
        f"_mfa {shlex.join([words[0], words[-1], words[-2]])}\n"
        'printf "%s\\n" ${COMPREPLY[@]+"${COMPREPLY[@]}"}\n'
    )


def bash_complete(line: str, env: dict[str, str], shell: str = "bash") -> list[str]:
    """The words bash offers for ``line``, from the function it calls on a tab, as it calls it."""
    result = run_shell(shell, f"{init_command(shell)}\n{bash_call(line)}", env)
    assert result.returncode == 0, result.stderr
    return sorted(filter(None, result.stdout.splitlines()))


def fish_complete(line: str, env: dict[str, str], shell: str = "fish") -> list[str]:
    script = f"{init_command(shell)}; complete -C {line!r}"
    result = run_shell(shell, script, env)
    assert result.returncode == 0, result.stderr
    return sorted(entry.split("\t")[0] for entry in result.stdout.splitlines())
