"""Tab completion for mfa and mfaenv, driven in the real bash, zsh and fish."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import Home, init_command, need, run_shell
from terminal import Terminal

from mfaenv.cli import EVAL_VERBS, PASSTHROUGH

MFA_VERBS = sorted(verb for verb in (*PASSTHROUGH, *EVAL_VERBS) if not verb.startswith("-"))
PROFILES = ["default", "prod", "staging-eu"]


@pytest.fixture
def aws_files(home: Home) -> dict[str, str]:
    home.aws_config.parent.mkdir(exist_ok=True)
    home.aws_config.write_text(
        "[default]\nregion = eu-west-1\n[profile prod]\nmfa_serial = x\n"
        "[sso-session corp]\nsso_region = eu-west-1\n[services local]\n"
    )
    home.aws_credentials.write_text("[default]\naws_access_key_id = A\n[ staging-eu ]\n")
    return dict(os.environ)


def bash_complete(line: str, env: dict[str, str], command: str = "") -> list[str]:
    words = line.split(" ")
    script = (
        f"{init_command('bash')}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        f"{command or ('_mfaenv' if words[0] == 'mfaenv' else '_mfa')}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = run_shell("bash", script, env)
    assert result.returncode == 0, result.stderr
    return sorted(filter(None, result.stdout.splitlines()))


def fish_complete(line: str, env: dict[str, str]) -> list[str]:
    script = f"{init_command('fish')}; complete -C {line!r}"
    result = run_shell("fish", script, env)
    assert result.returncode == 0, result.stderr
    return sorted(entry.split("\t")[0] for entry in result.stdout.splitlines())


CASES = [
    ("mfa ", MFA_VERBS),
    ("mfa --pro", ["--profile"]),
    ("mfa 123456 --profile ", PROFILES),
    ("mfa 123456 --profile st", ["staging-eu"]),
    ("mfa --duration ", ["12h", "15m", "1h", "36h", "4h", "8h"]),
    ("mfa status --", ["--json"]),
    ("mfa init ", ["bash", "fish", "zsh"]),
    ("mfa sandbox ", ["start", "stop"]),
    ("mfaenv i", ["init"]),
    ("mfa 123456 --totp ", ["command:", "file:", "pass:"]),
    ("mfa exec --pro", ["--profile"]),
    ("mfaenv credential-process --profile pr", ["prod"]),
    ("mfa exec -- mfaen", ["mfaenv"]),
    ("mfa policy --style ", ["self-service", "strict"]),
    ("mfaenv enroll --st", ["--store"]),
    ("mfa rotate-key --profile pr", ["prod"]),
]


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_bash_completes(line: str, expected: list[str], aws_files: dict[str, str]) -> None:
    assert bash_complete(line, aws_files) == expected


@pytest.mark.parametrize(("line", "expected"), CASES)
def test_fish_completes(line: str, expected: list[str], aws_files: dict[str, str]) -> None:
    got = fish_complete(line, aws_files)
    if line.startswith("mfa exec -- "):
        # fish offers functions and directories as commands too (mfaenv_segment, mfaenv/).
        assert set(expected) <= set(got)
    else:
        assert got == expected


def test_bash_registers_both_commands() -> None:
    script = f"{init_command('bash')}\ncomplete -p mfa mfaenv"
    assert run_shell("bash", script, dict(os.environ)).stdout == (
        "complete -F _mfa mfa\ncomplete -F _mfaenv mfaenv\n"
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mfa sta\t", r"mfa status "),
        ("mfa --pro\t", r"mfa --profile "),
        ("mfa 123456 --profile st\t", r"mfa 123456 --profile staging-eu "),
        ("mfa 123456 --profile \t", r"default\s+prod\s+staging-eu"),
        ("mfa init z\t", r"mfa init zsh "),
        ("mfaenv st\t", r"mfaenv status "),
        ("mfa ex\t", r"mfa exec "),
        ("mfa exec --pro\t", r"mfa exec --profile "),
        ("mfa exec -- mfaen\t", r"mfa exec -- mfaenv "),
        ("mfaenv credential-process --profile pr\t", r"--profile prod "),
        ("mfa policy --style se\t", r"--style self-service "),
        ("mfaenv enroll --st\t", r"enroll --store "),
    ],
)
def test_zsh_completes_in_a_terminal(
    typed: str, expected: str, aws_files: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".zshrc").write_text(
        f"autoload -Uz compinit && compinit -u -d {tmp_path}/zcompdump\n"
        f"{init_command('zsh')}\nPROMPT='%# '\n"
    )
    env = dict(aws_files, ZDOTDIR=str(tmp_path), TERM="dumb")
    terminal = Terminal([need("zsh"), "-i"], env)
    try:
        terminal.read_until(r"# ")
        terminal.send(typed)
        terminal.read_until(expected)
    finally:
        terminal.close()


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_completion_never_starts_python(
    shell: str, aws_files: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "strace"
    if shell == "bash":
        tab = "COMP_WORDS=(mfa 1 --profile ''); COMP_CWORD=3; _mfa\n"
        tab += "COMP_WORDS=(mfa s); COMP_CWORD=1; _mfa"
        argv = [need("bash"), "--norc", "-c", f"{init_command('bash')}\n{tab}"]
    else:
        tab = "complete -C 'mfa 1 --profile '; complete -C 'mfa s'"
        argv = [need("fish"), "--no-config", "-c", f"{init_command('fish')}; {tab}"]
    subprocess.run(
        [need("strace"), "-f", "-qq", "-e", "trace=execve", "-o", str(log), *argv],
        env=aws_files,
        check=True,
        capture_output=True,
        timeout=60,
    )
    pythons = [
        line for line in log.read_text().splitlines() if re.search(r"execve\([^,]*python", line)
    ]
    assert len(pythons) == 1, "only `mfaenv init` itself runs Python"


def test_the_completion_files_pass_their_shells_own_checks(tmp_path: Path) -> None:
    completions = Path(__file__).resolve().parent.parent / "completions"
    subprocess.run([need("zsh"), "-n", str(completions / "_mfa")], check=True)
    subprocess.run([need("fish"), "--no-execute", str(completions / "mfa.fish")], check=True)
    subprocess.run([need("bash"), "-n", str(completions / "mfa.bash")], check=True)
