"""Follow: a refresh in one terminal reaches every shell of that profile at its next prompt.

Several real interactive shells at once, each on its own pty, against the moto server;
strace proves that a prompt starts no process while nothing changed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import (
    Home,
    Mfa,
    every_shell,
    init_command,
    kind,
    run_shell,
    write_config,
    write_profile,
)
from interactive import Shell, code, marker_setup, open_shell, processes

from mfaenv.cache import Cache, generation
from mfaenv.motoserver import DemoUser
from mfaenv.session import Credentials, Session


@every_shell
def test_a_refresh_in_one_terminal_reaches_the_others_at_their_next_prompt(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path, shells: list[Shell]
) -> None:
    write_profile(home, "other", demo.access_key_id, demo.secret_access_key)
    first = open_shell(shell, tmp_path, shells)
    second = open_shell(shell, tmp_path, shells)
    other = open_shell(shell, tmp_path, shells)
    opted_out = open_shell(shell, tmp_path, shells)
    exported = open_shell(shell, tmp_path, shells)

    first.run(f"mfa {code()} --duration 1h")
    old = first.key()
    assert old.startswith("AKIA"), first.terminal.text
    assert "reused the cached MFA session" in second.run("mfa")
    assert second.key() == old, "a new terminal reuses the cached session"
    other.run(f"mfa {code()} --profile other --duration 1h")
    other_key = other.key()
    said = opted_out.run("mfa")
    assert "left" in said, said
    opted_out.run("MFAENV_FOLLOW=0" if kind(shell) != "fish" else "set -g MFAENV_FOLLOW 0")
    assert opted_out.key() == old
    exported.run("mfa")
    exported.run("export MFAENV_FOLLOW=0" if kind(shell) != "fish" else "set -gx MFAENV_FOLLOW 0")
    assert exported.key() == old

    refreshed = first.run(f"mfa {code()} --duration 2h")
    new = first.key()
    assert new != old and new.startswith("AKIA"), refreshed

    said = second.run("")  # one prompt, no command
    assert "now holds the newer MFA session of profile 'default'" in said
    assert second.key() == new
    assert other.key() == other_key, "another profile's shell is untouched"
    assert opted_out.key() == old, "MFAENV_FOLLOW=0 keeps this shell's session"
    exported.run("")
    assert exported.key() == old, "so does an exported MFAENV_FOLLOW=0"

    # The stash is intact: mfa off restores the state before the first mfa (no key).
    second.run("mfa off")
    assert second.key() == ""
    first.run(f"mfa {code()} --duration 3h")
    newest = first.key()
    assert newest not in (new, old)
    second.run("")
    assert second.key() == "", "a shell that ran mfa off stops following"


def test_off_after_following_restores_keys_that_were_in_the_environment(
    shell: str, demo: DemoUser, tmp_path: Path, shells: list[Shell]
) -> None:
    keys = {
        "AWS_ACCESS_KEY_ID": demo.access_key_id,
        "AWS_SECRET_ACCESS_KEY": demo.secret_access_key,
    }
    first = open_shell(shell, tmp_path, shells, **keys)
    second = open_shell(shell, tmp_path, shells, **keys)
    first.run(f"mfa {code()} --duration 1h")
    second.run("mfa")
    first.run(f"mfa {code()} --duration 2h")
    new = first.key()
    second.run("")
    assert second.key() == new
    second.run("mfa off")
    assert second.key() == demo.access_key_id


# --- in-process: what the core writes and decides ---------------------------------------


def test_mfa_tells_the_shell_which_marker_to_watch(mfaenv: Mfa, demo: DemoUser, home: Home) -> None:
    run = mfaenv.mfa(code(), "--duration", "1h")
    assert run.status == 0, run.stderr
    marker = home.cache / "mfaenv" / "sessions" / "default.gen"
    assert oct(marker.stat().st_mode & 0o777) == "0o600"
    line = marker.read_text()
    assert f"__mfaenv_follow='{marker}'; \\builtin export -n __mfaenv_follow\n" in run.stdout
    assert f"__mfaenv_follow_gen='{line.strip()}'" in run.stdout
    assert demo.access_key_id not in line and "ASIA" not in line, "no key in the marker"


def test_follow_false_in_the_config_writes_no_marker(
    mfaenv: Mfa, demo: DemoUser, home: Home
) -> None:
    assert mfaenv.mfa(code(), "--duration", "1h").status == 0
    marker = home.cache / "mfaenv" / "sessions" / "default.gen"
    assert marker.exists()
    write_config(home, "follow = false\n")
    assert mfaenv.mfa(code(), "--duration", "1h").status == 0
    assert not marker.exists(), "the old marker is removed, so no shell follows"


def test_a_bad_follow_value_in_the_config_is_refused(
    mfaenv: Mfa, demo: DemoUser, home: Home
) -> None:
    path = write_config(home, 'follow = "no"\n')
    run = mfaenv.mfa(code())
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == f"mfaenv: {path}: follow in the top level must be true or false\n"


# --- strace: no process per prompt while nothing changed -----------------------------


@every_shell
def test_a_prompt_starts_no_process_while_the_session_is_unchanged(
    shell: str, home: Home, tmp_path: Path
) -> None:
    setup, env = marker_setup(home, shell, changed=False)
    baseline = processes(shell, setup, 0, env, tmp_path / "0")
    assert len(baseline) > 0
    assert len(processes(shell, setup, 40, env, tmp_path / "40")) == len(baseline)


@every_shell
def test_a_changed_session_costs_one_mfaenv_process_for_all_prompts(
    shell: str, home: Home, tmp_path: Path
) -> None:
    setup, env = marker_setup(home, shell, changed=True)
    baseline = processes(shell, setup, 0, env, tmp_path / "0")
    after = processes(shell, setup, 40, env, tmp_path / "40")
    runs = [line for line in after if "execve(" in line and "sh-follow" in line]
    assert len(runs) == 1, after
    assert len(after) > len(baseline)


@every_shell
def test_a_marker_that_is_not_a_regular_file_is_not_read(shell: str, home: Home) -> None:
    """A FIFO in the marker's place would block a `read`: the hook never opens it."""
    setup, env = marker_setup(home, shell, changed=True)
    marker = Cache(home.cache / "mfaenv").marker_path("dev")
    Path(marker).unlink()
    os.mkfifo(marker, 0o600)
    call = "__mfaenv_prompt_hook; echo prompt-ok"
    result = run_shell(shell, f"{init_command(shell)}\n{setup}\n{call}\n", env, timeout=30)
    assert (result.stdout, result.stderr) == ("prompt-ok\n", "")


def test_a_session_made_from_another_long_lived_key_is_not_followed(
    mfaenv: Mfa, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(home.cache / "mfaenv")
    mine = Session("dev", Credentials("ASIAMINE", "s", "t"), int(time.time()) + 600, "arn:x",
                   source="mine")  # fmt: skip
    theirs = mine.replace(credentials=Credentials("ASIATHEIRS", "s", "t"), source="theirs",
                          expires=mine.expires + 3600)  # fmt: skip
    cache.save_session(theirs, "dev")
    monkeypatch.setenv("MFAENV_PROFILE", "dev")
    monkeypatch.setenv("MFAENV_EXPIRES", str(mine.expires))
    monkeypatch.setenv("__MFAENV_STASH", '{"session":{}}')
    marker = cache.marker_path("dev")
    run = mfaenv("sh-follow", "--shell", "bash", marker, generation(mine))
    assert (run.status, run.stdout, run.stderr) == (0, "", "")
    cache.save_session(theirs.replace(source="mine"), "dev")
    monkeypatch.setenv("__MFAENV_STASH", '{"session":{}}')
    run = mfaenv("sh-follow", "--shell", "bash", marker, generation(mine))
    assert "export AWS_ACCESS_KEY_ID='ASIATHEIRS'\n" in run.stdout
    assert run.stderr.startswith("mfaenv: this shell now holds the newer MFA session of profile")


@pytest.mark.parametrize("name", ["dev", "dev+arn:aws:iam::1:role/Admin", "café", "a\udcffb"])
def test_a_marker_names_its_cache_name_back(name: str, home: Home) -> None:
    cache = Cache(home.cache / "mfaenv")
    assert cache.marker_name(cache.marker_path(name)) == name
    assert cache.marker_name(str(home.root / "elsewhere" / "dev.gen")) is None


def test_a_role_session_is_followed_only_by_shells_of_that_role(
    mfaenv: Mfa, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = "arn:aws:iam::210987654321:role/Admin"
    cache = Cache(home.cache / "mfaenv")
    held = Session("admin", Credentials("ASIAHELD", "s", "t"), int(time.time()) + 600, "arn:x",
                   source="src", role_arn=role)  # fmt: skip
    newer = held.replace(
        credentials=Credentials("ASIANEWER", "s", "t"), expires=held.expires + 3600
    )
    cache.save_session(newer, "admin")
    marker = cache.marker_path("admin")
    monkeypatch.setenv("MFAENV_PROFILE", "admin")
    monkeypatch.setenv("MFAENV_EXPIRES", str(held.expires))
    for shell_role, followed in (("arn:aws:iam::210987654321:role/Viewer", False), (role, True)):
        monkeypatch.setenv("MFAENV_ROLE_ARN", shell_role)
        monkeypatch.setenv("__MFAENV_STASH", '{"session":{}}')
        run = mfaenv("sh-follow", "--shell", "bash", marker, generation(held))
        assert run.status == 0
        assert ("export AWS_ACCESS_KEY_ID='ASIANEWER'\n" in run.stdout) is followed
        assert (f"export MFAENV_ROLE_ARN='{role}'\n" in run.stdout) is followed
