"""The prompt segment: right in every shell, and no process started per prompt."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import NO_RC, every_shell, init_command, kind, need, run_shell
from fakeaws import SERIAL, FakeAws, session_token_reply
from terminal import Terminal

from mfaenv.prompt import segment

NOW_MARGIN = 30  # seconds kept clear of a minute boundary, so the text cannot tick over


def _segment_in(shell: str, env: dict[str, str], tmp_path: Path) -> str:
    out = tmp_path / "segment"
    if kind(shell) == "fish":
        script = f"{init_command(shell)}; mfa_prompt > {out}"
    else:
        script = f'{init_command(shell)}; __mfaenv_prompt_hook; printf %s "$MFAENV_SEGMENT" > {out}'
    result = run_shell(shell, script, env)
    assert result.returncode == 0, result.stderr
    return out.read_text()


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (11 * 3600 + 42 * 60 + NOW_MARGIN, "aws:dev 11h42m"),
        (3600 + NOW_MARGIN, "aws:dev 1h00m"),
        (37 * 60 + NOW_MARGIN, "aws:dev 37m"),
        (NOW_MARGIN, "aws:dev <1m"),
        (-60, "aws:dev expired"),
    ],
)
@every_shell
def test_the_segment_shows_profile_and_time_left_like_mfaenv_prompt(
    shell: str, left: int, expected: str, tmp_path: Path
) -> None:
    expires = int(time.time()) + left
    env = dict(os.environ, MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(expires), NO_COLOR="1")
    assert _segment_in(shell, env, tmp_path) == expected
    assert segment(env, time.time()) == expected


def test_the_segment_is_empty_without_a_session(shell: str, tmp_path: Path) -> None:
    assert _segment_in(shell, dict(os.environ), tmp_path) == ""


@every_shell
def test_the_format_and_the_warning_style_can_be_set(shell: str, tmp_path: Path) -> None:
    env = dict(os.environ, MFAENV_PROFILE="dev", MFAENV_PROMPT_FORMAT="%t left (%p)")
    env["MFAENV_EXPIRES"] = str(int(time.time()) + 10 * 60 + NOW_MARGIN)
    text = _segment_in(shell, env, tmp_path)
    bare = re.sub(r"\x01|\x02|%\{|%\}|\x1b\[[0-9;]*m", "", text)
    assert bare == "10m left (dev)"
    assert "\x1b[31m" in text, "under 15 minutes the warning style applies"
    env["MFAENV_PROMPT_WARN"] = "60"
    assert "\x1b[" not in _segment_in(shell, env, tmp_path), "no style above the threshold"
    env["MFAENV_PROMPT_STYLE"] = "1;33"
    assert "\x1b[1;33m" in _segment_in(shell, env, tmp_path)
    env["NO_COLOR"] = "1"
    assert _segment_in(shell, env, tmp_path) == "10m left (dev)"


def test_a_profile_name_is_shown_literally(shell: str, tmp_path: Path) -> None:
    env = dict(os.environ, MFAENV_PROFILE="a%tb$(x)", NO_COLOR="1")
    env["MFAENV_EXPIRES"] = str(int(time.time()) + 5 * 60 + NOW_MARGIN)
    text = _segment_in(shell, env, tmp_path)
    # zsh expands % in the prompt, so its segment doubles them; the others are literal.
    assert text == ("aws:a%%tb$(x) 5m" if kind(shell) == "zsh" else "aws:a%tb$(x) 5m")


@every_shell
def test_a_tampered_expiry_is_not_evaluated(shell: str, tmp_path: Path) -> None:
    env = dict(os.environ, MFAENV_PROFILE="dev", MFAENV_EXPIRES=f"a[$(touch {tmp_path}/pwned)]")
    assert _segment_in(shell, env, tmp_path) == ""
    assert not (tmp_path / "pwned").exists()


def _processes_started(shell: str, renders: int, env: dict[str, str], tmp_path: Path) -> int:
    """How many processes the shell starts in all: init plus ``renders`` prompt hooks."""
    strace = need("strace")
    call = "mfa_prompt >/dev/null" if kind(shell) == "fish" else "__mfaenv_prompt_hook"
    script = init_command(shell) + "\n" + f"{call}\n" * renders
    log = tmp_path / f"strace-{shell}-{renders}"
    flags = NO_RC[kind(shell)]
    subprocess.run(
        [
            strace,
            "-f",
            "--seccomp-bpf",
            "-qq",
            "-e",
            "trace=execve,clone,clone3,fork,vfork",
            "-o",
            str(log),
            need(shell),
            *flags,
            "-c",
            script,
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    started = 0
    lines = log.read_text().splitlines()
    for line in lines:
        if "CLONE_THREAD" in line or "resumed>" in line:
            continue  # a thread is not a process; a resumed call was counted when it began
        if re.search(r"\b(execve|clone3?|v?fork)\(", line):
            started += 1
    # strace follows the shell itself, not only a wrapper that execs it (fish 4's): it sees
    # the shell start mfaenv init.
    assert any('"-m", "mfaenv", "init"' in line for line in lines), "\n".join(lines)
    return started


@every_shell
@pytest.mark.parametrize("session", [True, False], ids=["session", "no-session"])
def test_a_prompt_render_starts_no_process(shell: str, session: bool, tmp_path: Path) -> None:
    env = dict(os.environ)
    if session:
        env.update(MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(int(time.time()) + 3600))
    baseline = _processes_started(shell, 0, env, tmp_path)
    assert baseline > 0, "strace saw the shell start mfaenv init"
    assert _processes_started(shell, 40, env, tmp_path) == baseline


def test_the_bash_hook_is_added_once_and_keeps_the_exit_status(tmp_path: Path) -> None:
    script = (
        "PROMPT_COMMAND='echo user hook'\n"
        f"{init_command('bash')}\n{init_command('bash')}\n"
        'printf "%s\\n" "$PROMPT_COMMAND"\n'
        '(exit 7); __mfaenv_prompt_hook; echo "status $?"\n'
        "unset PROMPT_COMMAND; PROMPT_COMMAND=(first second)\n"
        f"{init_command('bash')}\n{init_command('bash')}\n"
        'printf "%s," "${PROMPT_COMMAND[@]}"\n'
    )
    result = run_shell("bash", script, dict(os.environ))
    assert result.stdout == (
        "__mfaenv_prompt_hook;echo user hook\nstatus 7\n__mfaenv_prompt_hook,first,second,"
    )


def test_the_zsh_hook_is_added_once(tmp_path: Path) -> None:
    script = f"{init_command('zsh')}\n{init_command('zsh')}\nprint -r -- $precmd_functions"
    assert run_shell("zsh", script, dict(os.environ)).stdout == "__mfaenv_prompt_hook\n"


def _interactive(shell: str, tmp_path: Path) -> Terminal:
    env = dict(os.environ, TERM="dumb", NO_COLOR="1")
    if kind(shell) == "bash":
        rc = tmp_path / "bashrc"
        rc.write_text(init_command("bash") + "\nPS1='[${MFAENV_SEGMENT}]$ '\n")
        argv = [need(shell), "--rcfile", str(rc), "-i"]
    elif kind(shell) == "zsh":
        (tmp_path / ".zshrc").write_text(
            init_command("zsh") + "\nsetopt PROMPT_SUBST\nPROMPT='[${MFAENV_SEGMENT}]$ '\n"
        )
        env["ZDOTDIR"] = str(tmp_path)
        argv = [need(shell), "-i"]
    else:
        setup = init_command("fish") + "; function fish_prompt; printf '[%s]$ ' (mfa_prompt); end"
        argv = [need(shell), "--no-config", "-i", "-C", setup]
    return Terminal(argv, env)


@every_shell
def test_the_prompt_shows_the_session_after_mfa_and_not_after_off(
    shell: str, fake_aws: FakeAws, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    terminal = _interactive(shell, tmp_path)
    try:
        terminal.read_until(r"\[\]\$ ")
        terminal.send(f"mfa 123456 --serial {SERIAL} --duration 2h\r")
        terminal.read_until(r"\[aws:default (1h59m|2h00m)\]\$ ")
        terminal.send("mfa off\r")
        screen = terminal.read_until(r"(?s)mfa off.*\[\]\$ ")
    finally:
        terminal.close()
    assert "aws:default" in screen


def test_a_role_session_shows_the_role_in_the_segment(shell: str, tmp_path: Path) -> None:
    env = dict(os.environ, MFAENV_PROFILE="prod", MFAENV_ROLE="Admin@210987654321", NO_COLOR="1")
    env["MFAENV_EXPIRES"] = str(int(time.time()) + 52 * 60 + NOW_MARGIN)
    assert _segment_in(shell, env, tmp_path) == "aws:prod:Admin@210987654321 52m"
    assert segment(env, time.time()) == "aws:prod:Admin@210987654321 52m"


# --- where the shell has no clock of its own -------------------------------------------


@pytest.mark.parametrize("shell", ["fish", "fish-4"], indirect=True)
def test_fish_without_proc_tells_the_time_with_date_only_while_a_session_is_held(
    shell: str, tmp_path: Path
) -> None:
    """As on macOS: no /proc (__MFAENV_PROC names a directory that does not exist). Nothing
    is said at init or at a prompt, the segment is right, the end is told once, and a
    prompt (its checks and its segment) costs one `date` while the shell holds a session,
    none otherwise."""
    env = dict(os.environ, NO_COLOR="1", __MFAENV_PROC=str(tmp_path / "no-proc"))
    env.update(MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(int(time.time()) + 37 * 60 + NOW_MARGIN))
    assert _segment_in(shell, env, tmp_path) == "aws:dev 37m"
    script = f"{init_command(shell)}; set -gx MFAENV_EXPIRES {int(time.time()) - 5}\n"
    script += "emit fish_prompt; emit fish_prompt; echo ok\n"
    result = run_shell(shell, script, env)
    assert (result.stdout, result.stderr) == (
        "ok\n",
        "mfaenv: the MFA session for dev has ended: mfa CODE\n",
    )
    dates = [_dates(shell, renders, env, tmp_path) for renders in (0, 10)]
    assert dates[1] - dates[0] == 10
    del env["MFAENV_EXPIRES"]
    assert _dates(shell, 10, env, tmp_path) == _dates(shell, 0, env, tmp_path)


def _dates(shell: str, renders: int, env: dict[str, str], tmp_path: Path) -> int:
    """How many `date` processes the shell runs in all: init plus ``renders`` prompts."""
    log = tmp_path / f"strace-dates-{renders}"
    script = init_command(shell) + "\n" + "emit fish_prompt; mfa_prompt >/dev/null\n" * renders
    argv = [need("strace"), "-f", "--seccomp-bpf", "-qq", "-e", "trace=execve", "-o", str(log)]
    subprocess.run(
        [*argv, need(shell), "--no-config", "--interactive", "-c", script],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sum('"date", "+%s"' in line for line in log.read_text().splitlines())


@pytest.mark.parametrize("shell", ["bash-3.2"], indirect=True)
def test_bash_without_a_clock_keeps_the_time_when_seconds_is_set_back(
    shell: str, tmp_path: Path
) -> None:
    """bash 3.2 counts on $SECONDS: a user who sets it back (SECONDS=0 to time a command)
    costs one `date`, and the segment stays right."""
    expires = int(time.time()) + 37 * 60 + NOW_MARGIN
    env = dict(os.environ, NO_COLOR="1", MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(expires))
    script = (
        f"SECONDS=3000\n{init_command(shell)}\n"
        '__mfaenv_prompt_hook; echo "[$MFAENV_SEGMENT]"\n'
        'SECONDS=0; __mfaenv_prompt_hook; echo "[$MFAENV_SEGMENT]"\n'
    )
    result = run_shell(shell, script, env)
    # Without a new `date`, the second would be 50 minutes behind, and say 1h27m.
    assert (result.stdout, result.stderr) == ("[aws:dev 37m]\n[aws:dev 37m]\n", "")


@pytest.mark.parametrize("shell", ["bash", "bash-3.2", "bash-4.2", "zsh"], indirect=True)
def test_a_prompt_under_errexit_never_closes_the_shell(shell: str, tmp_path: Path) -> None:
    """set -e (bash) or ERR_EXIT (zsh) in the rc file, a session held: a command whose
    failure errexit lets pass (`! true`) leaves a non-zero status for the prompt hook,
    which must not end the shell; nor may an over-long MFAENV_EXPIRES, nor an ended one."""
    env = dict(os.environ, TERM="dumb", NO_COLOR="1", MFAENV_PROFILE="dev")
    env["MFAENV_EXPIRES"] = str(int(time.time()) + 37 * 60 + NOW_MARGIN)
    if kind(shell) == "bash":
        rc = tmp_path / "bashrc"
        rc.write_text(f"set -euo pipefail\n{init_command(shell)}\nPS1='[${{MFAENV_SEGMENT}}]$ '\n")
        argv = [need(shell), "--noprofile", "--rcfile", str(rc), "-i"]
    else:
        (tmp_path / ".zshrc").write_text(
            f"setopt err_exit no_unset\n{init_command(shell)}\n"
            "setopt PROMPT_SUBST\nPROMPT='[${MFAENV_SEGMENT}]$ '\n"
        )
        env["ZDOTDIR"] = str(tmp_path)
        argv = [need(shell), "-i"]
    terminal = Terminal(argv, env)
    try:
        terminal.read_until(r"\[aws:dev 37m\]\$ ")
        terminal.send("! true\r")
        terminal.send("MFAENV_EXPIRES=99999999999999999999999999\r")
        terminal.send(f"MFAENV_EXPIRES={int(time.time()) - 5}\r")
        terminal.send("echo alive-$((20 + 22))\r")
        screen = terminal.read_until(r"alive-42\r?\n[\s\S]*\[aws:dev expired\]\$ ")
    finally:
        terminal.close()
    assert screen.count("mfaenv: the MFA session for dev has ended: mfa CODE") == 1
    assert "rror" not in screen and "bad " not in screen and "not found" not in screen
