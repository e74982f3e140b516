"""Background renewal (``sh-renew``, started by the prompt hook): the asked length kept,
roles chained with no code, TOTP sources run with no terminal (pass and a gpg key whose
passphrase is not cached: no pinentry on the user's terminal), and a foreground `mfa`
waiting on the renewal's lock says what it waits for."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    SECRET,
    FakeClock,
    Home,
    Mfa,
    default_totp_source,
    forget_gpg_key,
    make_gpg_key,
    need,
    totp_file,
    transcript,
    write_config,
)
from fakeaws import (
    ADMIN,
    SERIAL,
    SESSION_KEY,
    FakeAws,
    session_token_reply,
)
from terminal import Terminal

from mfaenv.cache import Cache


def renew(
    home: Home, env: dict[str, str], name: str = "default"
) -> subprocess.CompletedProcess[str]:
    """What the prompt hook starts near the end: sh-renew with the shell's environment,
    stdin from /dev/null; 7200 s of margin puts a 1-hour session inside it at once."""
    sessions = home.cache / "mfaenv" / "sessions"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mfaenv",
            "sh-renew",
            "--shell",
            "bash",
            str(sessions / f"{name}.gen"),
            str(sessions / f"{name}.err"),
            "7200",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_renewal_asks_for_the_length_the_session_was_asked_for(
    fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    default_totp_source(home, totp_file(tmp_path))
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    t = transcript("bash", ["mfa 123456 --duration 1h"], tmp_path)
    assert t[1].status == 0, t.stderr
    run = renew(home, t[1].env)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    asked = [
        r.params["DurationSeconds"] for r in fake_aws.requests if r.action == "GetSessionToken"
    ]
    assert asked == ["3600", "3600"], "an hour again, not 12 hours"


def test_renewal_chains_a_role_session_from_the_cached_mfa_session_with_no_code(
    role_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n")
    t = transcript("bash", ["mfa 123456 --profile admin"], tmp_path)
    assert t[1].status == 0, t.stderr
    run = renew(home, t[1].env, "admin")  # no TOTP source: no code can be had
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assumed = [r.access_key_id for r in role_aws.requests if r.action == "AssumeRole"]
    assert assumed == [SESSION_KEY, SESSION_KEY]
    assert role_aws.actions().count("GetSessionToken") == 1


@pytest.fixture
def locked_gpg(tmp_path: Path) -> Iterator[dict[str, str]]:
    """pass with a gpg key that has a passphrase, never typed: gpg-agent holds none."""
    gnupghome, fpr = make_gpg_key("mfl", passphrase="correct horse")
    env = dict(os.environ, GNUPGHOME=str(gnupghome), PASSWORD_STORE_DIR=str(tmp_path / "ps"))
    subprocess.run(["pass", "init", fpr], env=env, check=True, capture_output=True)
    subprocess.run(
        ["pass", "otp", "insert", "aws/dev"],
        input=f"otpauth://totp/aws?secret={SECRET}\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)
    yield {"GNUPGHOME": env["GNUPGHOME"], "PASSWORD_STORE_DIR": env["PASSWORD_STORE_DIR"]}
    forget_gpg_key(gnupghome)


def test_renewal_with_pass_never_draws_pinentry_on_the_terminal_and_says_what_to_type(
    fake_aws: FakeAws, home: Home, tmp_path: Path, locked_gpg: dict[str, str]
) -> None:
    """The renewal runs in the background of an interactive shell on a terminal whose
    GPG_TTY names it, as gpg's manual tells users to set: pinentry-curses would draw
    there and take the keys typed at the prompt."""
    need("pinentry-curses")
    write_config(home, f'[profiles.default]\ntotp = "pass:aws/dev"\nserial = "{SERIAL}"\n')
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    t = transcript("bash", ["mfa 123456 --duration 1h"], tmp_path)
    assert t[1].status == 0, t.stderr
    env = {k: v for k, v in t[1].env.items() if k != "MFAENV_NO_PROMPT"}
    env.update(locked_gpg, PS1="$ ", TERM="xterm")
    report = home.cache / "mfaenv" / "sessions" / "default.err"
    marker = report.with_suffix(".gen")
    terminal = Terminal([need("bash"), "--norc", "--noprofile", "-i"], env)
    try:
        terminal.read_until(r"\$ ")
        terminal.send(
            "export GPG_TTY=$(tty); gpg-connect-agent updatestartuptty /bye >/dev/null; "
            f"mfaenv sh-renew --shell bash {marker} {report} 7200 </dev/null >/dev/null 2>&1 &\n"
        )
        deadline = time.monotonic() + 30
        while not report.exists() and "assphrase" not in terminal.text:
            assert time.monotonic() < deadline, terminal.text[-2000:]
            with contextlib.suppress(AssertionError):
                terminal.read_until("assphrase", timeout=0.2)
        time.sleep(0.5)  # anything pinentry would still draw (a real wait: nothing comes)
        try:
            terminal.read_until("assphrase|PIN", timeout=0.5)
            drawn = True
        except AssertionError:
            drawn = False
    finally:
        terminal.close()
    assert not drawn, terminal.text[-2000:]
    assert report.read_text() == (
        "renewing the MFA session failed: pass entry 'aws/dev' needs your gpg passphrase, "
        "which is not asked for without a terminal: type `mfa CODE` with a code from your "
        "device, or unlock gpg-agent with `pass otp aws/dev >/dev/null`\n"
    )
    assert fake_aws.actions().count("GetSessionToken") == 1


def test_a_foreground_mfa_waiting_on_the_renewals_lock_says_what_it_waits_for(
    fake_aws: FakeAws, home: Home, mfaenv: Mfa, clock: FakeClock
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    holder = Cache(home.cache / "mfaenv")
    holder.doing = "the background renewal of the MFA session of profile 'default' (process 42)"
    waiting = (
        "mfaenv: waiting (up to 90s) for the background renewal of the MFA session of "
        "profile 'default' (process 42)"
    )
    with holder.lock():
        run = mfaenv.mfa("123456", "--serial", SERIAL)
        assert (run.status, run.stdout) == (1, "")
        assert run.stderr.splitlines() == [
            waiting,
            "mfaenv: another mfaenv has been getting a session for 90s; try again when it is done",
        ]
        # Within a second: Ctrl-C after one second of waiting finds the line said.
        impatient = Mfa(mfaenv.capsys, OneSecond())
        run = impatient.mfa("123456", "--serial", SERIAL)
        assert (run.status, run.stdout, run.stderr) == (130, "", waiting + "\n\n")
    assert "GetSessionToken" not in fake_aws.actions()


class OneSecond(FakeClock):
    """A user who presses Ctrl-C after a second of waiting."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.mono > 1.0:
            raise KeyboardInterrupt


def test_a_totp_command_runs_with_no_terminal_where_mfaenv_may_not_ask(
    mfaenv: Mfa, fake_aws: FakeAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under MFAENV_NO_PROMPT=1 (background renewal sets it) the command gets stdin from
    /dev/null and no controlling terminal: /dev/tty cannot be opened, even from a pty."""
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    seen = tmp_path / "seen"
    program = tmp_path / "code.sh"
    program.write_text(
        "#!/bin/sh\n"
        f"if (: </dev/tty) 2>/dev/null; then echo tty > {seen}; else echo none > {seen}; fi\n"
        f"if [ -t 0 ]; then echo stdin-tty >> {seen}; fi\n"
        "exit 3\n"
    )
    program.chmod(0o700)
    terminal = Terminal(  # a controlling terminal of its own, which the command must not get
        [
            sys.executable,
            "-m",
            "mfaenv",
            "sh-on",
            "--shell",
            "bash",
            "--serial",
            SERIAL,
            "--totp",
            f"command:{program}",
        ],
        dict(os.environ, MFAENV_NO_PROMPT="1"),
    )
    try:
        terminal.read_until("failed with status 3")
    finally:
        terminal.close()
    assert seen.read_text() == "none\n"
    assert "type `mfa CODE` with a code from your device" in terminal.text
