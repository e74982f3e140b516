"""Never lapse when a code can be had: the prompt renews in the background, once."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import Home, default_totp_source, every_shell, totp_file
from fakeaws import FakeAws, session_token_reply
from interactive import Shell, marker_setup, open_shell, processes

RENEWED = "ASIARENEWEDSESSION01"


def _until(shell: Shell, done: str) -> str:
    """Prompts until ``done`` is in what the shell printed (the renewal runs for real)."""
    deadline = time.monotonic() + 60
    while True:
        shell.run("")
        if done in shell.terminal.text or done in shell.key():
            return shell.terminal.text
        assert time.monotonic() < deadline, shell.terminal.text[-2000:]


@every_shell
def test_near_its_end_the_session_is_renewed_in_the_background_for_every_shell(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path, shells: list[Shell]
) -> None:
    default_totp_source(home, totp_file(tmp_path))
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    margin = {"MFAENV_RENEW_MARGIN": "7200"}  # a 1h session is inside it at once
    first = open_shell(shell, tmp_path, shells, **margin)
    second = open_shell(shell, tmp_path, shells, **margin)
    first.run("mfa 123456 --duration 1h")
    second.run("mfa")
    assert first.key() == second.key()
    # The renewal gets a 10-hour session: outside the margin, so no renewal follows it.
    fake_aws.answers["GetSessionToken"] = session_token_reply(key=RENEWED, seconds=36000)
    text = _until(first, RENEWED)
    second.run("")
    assert second.key() == first.key() and first.key().startswith(RENEWED)
    assert fake_aws.actions().count("GetSessionToken") == 2, "both shells, one renewal"
    for terminal in (first, second):
        screen = terminal.terminal.text
        assert "Done" not in screen and "Job" not in screen and "[1]" not in screen, screen
    assert "has ended" not in text


def test_a_failed_renewal_is_told_once(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path, shells: list[Shell]
) -> None:
    default_totp_source(home, tmp_path / "missing.totp")
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    first = open_shell(shell, tmp_path, shells, MFAENV_RENEW_MARGIN="7200")
    first.run("mfa 123456 --duration 1h")
    _until(first, "mfaenv: renewing the MFA session failed: ")
    first.run("")
    first.run("")
    assert first.terminal.text.count("renewing the MFA session failed") == 1
    assert fake_aws.actions().count("GetSessionToken") == 1


@every_shell
def test_near_the_end_one_renewal_starts_for_all_prompts(
    shell: str, home: Home, tmp_path: Path
) -> None:
    setup, env = marker_setup(home, shell, changed=False)
    env["MFAENV_RENEW_MARGIN"] = "7200"  # the held session (1h left) is inside it
    started = processes(shell, setup, 40, env, tmp_path / "40")
    # mfaenv itself (fish starts it through sh, whose arguments name it too).
    renewals = [
        line
        for line in started
        if "execve(" in line and "sh-renew" in line and '["sh", "-c"' not in line
    ]
    assert len(renewals) == 1, started
    env["MFAENV_RENEW_MARGIN"] = "600"
    started = processes(shell, setup, 40, env, tmp_path / "far")
    assert not [line for line in started if "sh-renew" in line]
