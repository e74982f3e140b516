"""Tab completion for mfa and mfaenv, driven in the real bash, zsh and fish."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from completing import bash_call, bash_complete, fish_complete
from conftest import EVERY_SHELL, Home, every_shell, init_command, kind, need, run_shell
from terminal import Terminal

from mfaenv.verbs import EVAL_VERBS, PASSTHROUGH

COMPLETIONS = Path(__file__).resolve().parent.parent / "completions"
MFAENV_VERBS = sorted(verb for verb in PASSTHROUGH if not verb.startswith("-"))
MFA_VERBS = sorted([*MFAENV_VERBS, *EVAL_VERBS])
PROFILES = ["default", "prod", "staging-eu"]
PROMPT = "tab> "
# zsh draws the prompt before its line editor starts; the tests type once the line editor
# has written its first words, these.
ZLE_READY = "zle_bracketed_paste=($'\\e[?2004h' $'\\e[?2004l')"
READY = {"bash": re.escape(PROMPT), "zsh": re.escape(PROMPT) + r"\x1b\[\?2004h"}
# A thousand profiles: default and team-0000 to team-0699 in the config file, default and
# team-0300 to team-0998 in the credentials file.
THOUSAND = ["default", *(f"team-{i:04d}" for i in range(999))]


@pytest.fixture
def aws_files(home: Home) -> dict[str, str]:
    """Profiles, beside the other sections and the comments that real AWS files hold."""
    home.aws_config.parent.mkdir(exist_ok=True)
    home.aws_config.write_text(
        "[default]\nregion = eu-west-1\n[profile prod]\nmfa_serial = x\n"
        "[sso-session corp]\nsso_region = eu-west-1\n[services local]\n[plugins]\n"
        "# [profile commented-out]\n"
    )
    home.aws_credentials.write_text(
        "[default]\naws_access_key_id = A\n[staging-eu]\naws_access_key_id = B\n; [old]\n"
    )
    return dict(os.environ)


@pytest.fixture
def thousand_profiles(home: Home) -> dict[str, str]:
    """THOUSAND, in the two files as described there, with the settings of real profiles."""
    home.aws_config.parent.mkdir(exist_ok=True)
    settings = "region = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n"
    home.aws_config.write_text(
        f"[default]\n{settings}"
        + "".join(f"[profile {name}]\n{settings}" for name in THOUSAND[1:701])
        + "[sso-session corp]\nsso_region = eu-west-1\n"
    )
    keys = "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n"
    home.aws_credentials.write_text(
        "".join(f"[{name}]\n{keys}" for name in ["default", *THOUSAND[301:]])
    )
    return dict(os.environ)


def render_completions(shell: str) -> str:
    """The completion file as a user installs it on its own: python -m mfaenv.completion."""
    command = [sys.executable, "-m", "mfaenv.completion", shell]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def zsh_profiles(env: dict[str, str]) -> list[str]:
    """The names zsh's profile lister hands to compadd (compsys itself needs a terminal)."""
    script = f'{init_command("zsh")}\ncompadd() {{ print -rl -- "${{@:#--}}" }}\n__mfaenv_profiles'
    result = run_shell("zsh", script, env)
    assert result.returncode == 0, result.stderr
    return sorted(result.stdout.splitlines())


CASES = [
    ("mfa ", MFA_VERBS),
    ("mfaenv ", MFAENV_VERBS),
    ("mfa --pro", ["--profile"]),
    ("mfa 123456 --profile ", PROFILES),
    ("mfa 123456 --profile st", ["staging-eu"]),
    ("mfa --duration ", ["12h", "15m", "1h", "36h", "4h", "8h"]),
    ("mfa status --", ["--all", "--json", "--profile"]),
    ("mfa 123456 --save", ["--save-as"]),
    ("mfa init ", ["bash", "fish", "zsh"]),
    ("mfa sandbox ", ["start", "stop"]),
    ("mfaenv i", ["init"]),
    ("mfa 123456 --totp ", ["command:", "file:", "pass:"]),
    ("mfa exec --pro", ["--profile"]),
    ("mfa exec --se", ["--serial", "--server"]),
    ("mfaenv exec --server --li", ["--listen"]),
    ("mfaenv credential-process --profile pr", ["prod"]),
    ("mfa exec -- mfaen", ["mfaenv"]),
    ("mfa policy --style ", ["self-service", "strict"]),
    ("mfaenv enroll --st", ["--store"]),
    ("mfa rotate-key --profile pr", ["prod"]),
    ("mfaenv unsave pr", ["prod"]),
    ("mfaenv keys ", ["import"]),
    ("mfaenv keys import --store ", ["keyring", "pass:"]),
    ("mfa console --p", ["--print", "--profile"]),
    ("mfa help ro", ["rotate-key"]),
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


@pytest.mark.parametrize(
    "shell", [name for name in EVERY_SHELL if kind(name) != "zsh"], indirect=True
)
def test_every_case_completes_the_same_in_every_bash_and_fish(
    shell: str, aws_files: dict[str, str]
) -> None:
    """CASES in one shell each (zsh's completion needs a terminal: below), nothing on stderr."""
    mark = "@@case"
    calls = []
    for line, _ in CASES:
        if kind(shell) == "bash":
            calls.append(f"{bash_call(line)}printf '%s\\n' {mark}")
        else:
            calls.append(f"complete -C {line!r}; printf '%s\\n' {mark}")
    result = run_shell(shell, init_command(shell) + "\n" + "\n".join(calls) + "\n", aws_files)
    assert (result.returncode, result.stderr) == (0, "")
    answers = result.stdout.split(mark + "\n")[:-1]
    assert len(answers) == len(CASES)
    for (line, expected), answer in zip(CASES, answers, strict=True):
        got = sorted(entry.split("\t")[0] for entry in answer.splitlines() if entry)
        if shell == "fish-4":
            # fish 4 offers what holds the typed letters in order too (--open-with for --p),
            # after what starts with them: the same answer, and more.
            got = [word for word in got if word.startswith(line.split(" ")[-1])]
        if kind(shell) == "fish" and line.startswith("mfa exec -- "):
            assert set(expected) <= set(got), line
        else:
            assert got == expected, line


def test_bash_registers_both_commands() -> None:
    script = f"{init_command('bash')}\ncomplete -p mfa mfaenv"
    assert run_shell("bash", script, dict(os.environ)).stdout == (
        "complete -F _mfa mfa\ncomplete -F _mfa mfaenv\n"
    )


@every_shell
def test_profiles_are_the_names_the_aws_cli_accepts(shell: str, home: Home) -> None:
    home.aws_config.parent.mkdir(exist_ok=True)
    home.aws_config.write_bytes(
        b"; [profile in-a-comment]\n[default]\r\nregion = x\r\n[profile crlf]\r\n"
        b"[profile two words]\n[ default ]\n  [profile indented]\nnote = [profile mid-line]\n"
    )
    home.aws_credentials.write_text(
        "[ spaced ]\n[two words]\n[after] ; a comment\n# [commented]\nkey = [mid-line]\n"
    )
    env = dict(os.environ)
    if kind(shell) == "zsh":
        offered = zsh_profiles(env)
    else:
        complete = bash_complete if kind(shell) == "bash" else fish_complete
        offered = complete("mfa --profile ", env, shell)
    # What botocore calls " spaced " or "two words" cannot be typed as one word: left out.
    assert offered == ["after", "crlf", "default"]


def test_profiles_come_from_the_files_the_aws_variables_name(
    aws_files: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("[profile other]\n")
    env = dict(aws_files, AWS_CONFIG_FILE=str(elsewhere), AWS_SHARED_CREDENTIALS_FILE="/none")
    assert bash_complete("mfa --profile ", env) == ["other"]
    assert zsh_profiles(env) == ["other"]
    assert fish_complete("mfa --profile ", env) == ["other"]


# --- in a terminal -------------------------------------------------------------------


def terminal(
    shell: str,
    tmp_path: Path,
    env: dict[str, str],
    setup: str = "",
    wrap: list[str] | None = None,
    timeout: float = 20,
) -> Terminal:
    """An interactive bash or zsh with ``setup`` (default: the documented init line) as its
    rc file, at its first prompt; ``wrap``: a command that runs the shell (strace ...)."""
    if kind(shell) == "bash":
        rc = tmp_path / "bashrc"
        rc.write_text(f"{setup or init_command('bash')}\nPS1='{PROMPT}'\n")
        argv = [need(shell), "--noprofile", "--rcfile", str(rc), "-i"]
    else:
        if not setup:
            setup = f"{compinit(tmp_path)}\n{init_command('zsh')}"
        (tmp_path / ".zshrc").write_text(f"{setup}\nPROMPT='{PROMPT}'\n{ZLE_READY}\n")
        env = dict(env, ZDOTDIR=str(tmp_path))
        argv = [need(shell), "-i"]
    shell_terminal = Terminal([*(wrap or []), *argv], dict(env, TERM="dumb"))
    shell_terminal.read_until(READY[kind(shell)], timeout)
    return shell_terminal


def compinit(tmp_path: Path) -> str:
    return f"autoload -Uz compinit && compinit -u -d {tmp_path}/zcompdump"


def tab(shell_terminal: Terminal, keys: str) -> str:
    """Type ``keys`` (ending in tabs), say yes to showing a long list, page through it, and
    return what the shell showed, once it has drawn the prompt and the line again."""
    shell_terminal.output = b""
    shell_terminal.send(keys)
    line = re.escape(keys.rstrip("\t"))
    redrawn = rf"\n[^\n]*{re.escape(PROMPT)}(\x1b\[[0-9;?]*[a-zA-Z])*{line}"
    shown = ""
    while True:
        text = shell_terminal.read_until(rf"(?s)possibilities.*\?|--More--|{redrawn}")
        shown += text
        shell_terminal.output = b""
        if re.search(redrawn, text):
            return shown
        shell_terminal.send(" " if "--More--" in text else "y")


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_a_thousand_profiles_in_a_terminal(
    shell: str, thousand_profiles: dict[str, str], tmp_path: Path
) -> None:
    if shell == "bash":
        tabs, setup = "\t\t", ""  # bash lists at the second tab, after a question
    else:
        # zsh lists at the first tab. It would ask first too, but it takes a key typed before
        # it asks (as a test's quick "y" can be) for a no: here it lists without asking.
        tabs, setup = "\t", f"{compinit(tmp_path)}\n{init_command('zsh')}\nLISTMAX=2000"
    shell_terminal = terminal(shell, tmp_path, thousand_profiles, setup)
    try:
        everything = tab(shell_terminal, f"mfa 123456 --profile {tabs}")
        shell_terminal.send("\x15")
        narrowed = tab(shell_terminal, f"mfa 123456 --profile team-069{tabs}")
    finally:
        shell_terminal.close()
    if shell == "bash":
        assert "Display all 1000 possibilities" in everything
    shown = Counter(re.findall(r"\b(?:default|team-\d{4})\b", everything))
    assert sorted(shown) == THOUSAND  # from the config file alone, the credentials file alone
    assert set(shown.values()) == {1}  # and from both (default, team-0300 to team-0699): once
    narrowed_to = Counter(re.findall(r"\bteam-\d{4}\b", narrowed))
    assert sorted(narrowed_to) == [f"team-{i:04d}" for i in range(690, 700)]
    assert set(narrowed_to.values()) == {1}


def test_fish_offers_a_thousand_profiles(thousand_profiles: dict[str, str]) -> None:
    assert fish_complete("mfa 123456 --profile ", thousand_profiles) == THOUSAND
    assert fish_complete("mfa --profile team-069", thousand_profiles) == [
        f"team-{i:04d}" for i in range(690, 700)
    ]


ZSH_TYPED = [
    ("mfa sta\t", r"mfa status "),
    ("mfa --pro\t", r"mfa --profile "),
    ("mfa 123456 --profile st\t", r"mfa 123456 --profile staging-eu "),
    ("mfa 123456 --profile \t", r"default\s+prod\s+staging-eu"),
    ("mfa init z\t", r"mfa init zsh "),
    ("mfaenv st\t", r"mfaenv status "),
    ("mfa ex\t", r"mfa exec "),
    ("mfa exec --pro\t", r"mfa exec --profile "),
    ("mfa exec --li\t", r"mfa exec --listen "),
    ("mfa exec -- mfaen\t", r"mfa exec -- mfaenv "),
    ("mfaenv credential-process --profile pr\t", r"--profile prod "),
    ("mfa policy --style se\t", r"--style self-service "),
    ("mfaenv enroll --st\t", r"enroll --store "),
    ("mfaenv keys \t", r"keys import "),
    ("mfa console --serv\t", r"console --service "),
    ("mfa help rot\t", r"help rotate-key "),
]


@pytest.mark.parametrize(("typed", "expected"), ZSH_TYPED)
def test_zsh_completes_in_a_terminal(
    typed: str, expected: str, aws_files: dict[str, str], tmp_path: Path
) -> None:
    shell_terminal = terminal("zsh", tmp_path, aws_files)
    try:
        shell_terminal.send(typed)
        shell_terminal.read_until(expected)
    finally:
        shell_terminal.close()


@pytest.mark.parametrize("setup", ["init after compinit", "init before compinit", "fpath only"])
def test_zsh_completes_whichever_comes_first(
    setup: str, aws_files: dict[str, str], tmp_path: Path
) -> None:
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "_mfa").write_text(render_completions("zsh"))
    rc = {
        "init after compinit": f"{compinit(tmp_path)}\n{init_command('zsh')}",
        "init before compinit": f"{init_command('zsh')}\n{compinit(tmp_path)}",
        # Installed on its own (python -m mfaenv.completion zsh): _mfa in a directory of
        # $fpath, no init line.
        "fpath only": f"fpath=({shlex.quote(str(functions))} $fpath)\n{compinit(tmp_path)}",
    }[setup]
    shell_terminal = terminal("zsh", tmp_path, aws_files, rc)
    try:
        for typed, expected in [
            ("mfa sta\t", r"mfa status "),
            ("\x15mfa 123456 --profile st\t", r"--profile staging-eu "),
            ("\x15mfaenv cre\t", r"mfaenv credential-process "),
        ]:
            shell_terminal.send(typed)
            shell_terminal.read_until(expected)
    finally:
        shell_terminal.close()


# --- no process on a tab -------------------------------------------------------------

# What is typed between the marks, and what shows that the shell has answered it.
TABS = {
    "bash": [
        ("mfa 123456 --profile \t\t", r"Display all 1000 possibilities"),
        ("n\x15mfa s\t\t", r"sandbox\s+status"),
        ("\x15mfaenv \t\t", r"rotate-key"),
        ("\x15mfa exec -- mfaen\t", r"mfa exec -- mfaenv "),
    ],
    "zsh": [
        ("mfa 123456 --profile \t", r"all 1000 possibilities"),
        ("n\x15mfa s\t", r"sandbox"),
        ("\x15mfaenv \t", r"rotate-key"),
        ("\x15mfa exec -- mfaen\t", r"mfa exec -- mfaenv "),
    ],
}


def starts_a_process(call: str) -> bool:
    """Whether this line of strace is a new process (a thread, as fish starts, is not)."""
    if re.search(r"\b(v?fork|execve)\(", call):
        return True
    return bool(re.search(r"\bclone3?\(", call)) and "CLONE_THREAD" not in call


@every_shell
def test_no_process_starts_on_a_tab(
    shell: str, thousand_profiles: dict[str, str], tmp_path: Path
) -> None:
    """strace follows the shell from a mark before the first tab to one after the last:
    the shell opens the AWS files, and starts nothing, not even a subshell."""
    log = tmp_path / "strace"
    start, end = "/nonexistent/mfaenv-tabs-start", "/nonexistent/mfaenv-tabs-end"
    strace = [
        need("strace"),
        "-f",
        "--seccomp-bpf",
        "-qq",
        "-e",
        "trace=process,openat",
        "-o",
        str(log),
    ]
    if kind(shell) == "fish":
        # Not `mfa exec -- COMMAND`: that is fish's own completion of a command line, which
        # runs apropos for the descriptions of commands, as it does at the prompt.
        lines = ["mfa 123456 --profile ", "mfa s", "mfaenv ", "mfa exec --pro"]
        script = "; ".join(
            [
                init_command("fish"),
                f"true <{start}",
                *(f"complete -C {line!r} >/dev/null" for line in lines),
                f"true <{end}",
            ]
        )
        argv = [*strace, need(shell), "--no-config", "-c", script]
        subprocess.run(argv, env=thousand_profiles, capture_output=True, timeout=60, check=False)
    else:
        # Under strace, mfaenv init (Python) and compinit start slowly.
        shell_terminal = terminal(shell, tmp_path, thousand_profiles, wrap=strace, timeout=120)
        try:
            # The marks: a builtin whose input is a file that does not exist.
            shell_terminal.send(f": <{start}\r")
            shell_terminal.read_until(rf"{re.escape(start)}[\s\S]*{READY[kind(shell)]}")
            for keys, shown in TABS[kind(shell)]:
                shell_terminal.output = b""
                shell_terminal.send(keys)
                shell_terminal.read_until(shown)
            shell_terminal.send(f"\x15: <{end}\rexit\r")
            shell_terminal.read_until(r"(?!)", 60)  # to the end: the shell, then strace, exit
        finally:
            shell_terminal.close()
    calls = log.read_text().splitlines()
    marks = [i for i, call in enumerate(calls) if start in call or end in call]
    assert len(marks) == 2, "\n".join(calls[-20:])
    between = calls[marks[0] : marks[1]]
    assert any(thousand_profiles["AWS_CONFIG_FILE"] in call for call in between)
    assert [call for call in between if starts_a_process(call)] == []


def test_the_completion_files_pass_their_shells_own_checks(tmp_path: Path) -> None:
    """The files as init fills them in from the table of verbs."""
    filled = {}
    for shell in ("bash", "zsh", "fish"):
        filled[shell] = tmp_path / shell
        filled[shell].write_text(render_completions(shell))
        assert re.findall("@[A-Z_]+@", filled[shell].read_text()) == []
    subprocess.run([need("shellcheck"), "--shell=bash", str(filled["bash"])], check=True)
    subprocess.run([need("bash"), "-n", str(filled["bash"])], check=True)
    subprocess.run([need("zsh"), "-n", str(filled["zsh"])], check=True)
    subprocess.run([need("fish"), "--no-execute", str(filled["fish"])], check=True)
    subprocess.run([need("fish_indent"), "--check", str(filled["fish"])], check=True)
