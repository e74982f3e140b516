"""Codes without typing: pass, a secret file, a command, or the terminal; each spent once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest
from conftest import (
    SECRET,
    FakeClock,
    Home,
    Mfa,
    PassStore,
    oathtool,
    prompting_env,
    refused,
    transcript,
    write_config,
)
from fakeaws import SERIAL, FakeAws, session_token_reply
from terminal import Terminal

from mfaenv import totp
from mfaenv.cache import Cache
from mfaenv.motoserver import DemoUser
from mfaenv.totp import Source


def secret_file(tmp_path: Path, content: str, mode: int = 0o600) -> Path:
    path = tmp_path / "aws.totp"
    path.write_text(content + "\n")
    path.chmod(mode)
    return path


# --- codes as an independent implementation makes them --------------------------------


@pytest.mark.parametrize("when", [0, 1_795_420_800, 1_795_420_829, 2_000_000_000])
def test_a_base32_secret_file_gives_the_codes_oathtool_gives(when: int, tmp_path: Path) -> None:
    source = Source("file", str(secret_file(tmp_path, SECRET)))
    assert source.read(when) == oathtool(SECRET, when)


def test_an_otpauth_uri_file_keeps_its_period_and_algorithm(tmp_path: Path) -> None:
    uri = f"otpauth://totp/AWS:alice?secret={SECRET}&issuer=AWS&period=60&algorithm=SHA256"
    source = Source("file", str(secret_file(tmp_path, uri)))
    assert source.period() == 60
    for when in (1_795_420_800, 1_795_420_859, 1_795_420_860):
        assert source.read(when) == oathtool(SECRET, when, "--totp=sha256", "--time-step-size=60s")


# --- the file source ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_secret_file_others_can_read_is_refused_with_the_chmod_to_run(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, tmp_path: Path, mode: int
) -> None:
    path = secret_file(tmp_path, SECRET, mode)
    before = home.files()
    run = mfaenv.mfa("--serial", SERIAL, "--totp", f"file:{path}")
    refused(
        run,
        f"the TOTP secret file {path} is open to other users (mode {mode:04o}); "
        f"run `chmod 600 {path}`",
    )
    assert fake_aws.actions() == []
    assert home.files() == before


@pytest.mark.parametrize(
    "content", ["not base32 at all!", "otpauth://hotp/x?secret=AAAA&counter=1"]
)
def test_a_secret_file_that_holds_no_secret_is_refused_without_echoing_it(
    mfaenv: Mfa, fake_aws: FakeAws, tmp_path: Path, content: str
) -> None:
    path = secret_file(tmp_path, content)
    run = mfaenv.mfa("--serial", SERIAL, "--totp", f"file:{path}")
    refused(run, f"{path} holds neither a base32 secret nor an otpauth://totp/ URI")
    assert fake_aws.actions() == []


def test_an_eight_digit_uri_is_refused_since_aws_takes_six(
    mfaenv: Mfa, fake_aws: FakeAws, tmp_path: Path
) -> None:
    path = secret_file(tmp_path, f"otpauth://totp/x?secret={SECRET}&digits=8")
    run = mfaenv.mfa("--serial", SERIAL, "--totp", f"file:{path}")
    refused(run, f"{path} makes 8-digit codes; AWS takes 6 digits")


def test_the_file_source_sends_the_current_code_and_stores_neither_code_nor_secret(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    path = secret_file(tmp_path, SECRET)
    write_config(home, f'[profiles.default]\ntotp = "file:{path}"\nserial = "{SERIAL}"\n')
    before = time.time()
    run = mfaenv.mfa()
    assert run.status == 0, run.stderr
    sent = fake_aws.requests[0].params["TokenCode"]
    assert sent in {oathtool(SECRET, before), oathtool(SECRET, time.time())}
    for cached in (home.cache / "mfaenv").rglob("*.json"):
        content = cached.read_bytes()
        assert sent.encode() not in content and SECRET.encode() not in content


def test_a_source_that_would_repeat_the_accepted_code_waits_for_the_next_step(
    mfaenv: Mfa, clock: FakeClock, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    path = secret_file(tmp_path, f"otpauth://totp/x?secret={SECRET}")
    args = ("--serial", SERIAL, "--totp", f"file:{path}")
    assert mfaenv.mfa(*args).status == 0
    Path(Cache(home.cache / "mfaenv").session_path("default")).unlink()  # force a new session
    second = mfaenv.mfa(*args)  # at the same moment: the source gives the spent code again
    assert second.status == 0, second.stderr
    (waited,) = clock.slept
    assert f"that code was used already; waiting {waited:.0f}s for the next code" in second.stderr
    assert 0 < waited <= 30 and round(clock.now()) % 30 == 0, "to the start of the next step"
    first_code, second_code = (r.params["TokenCode"] for r in fake_aws.requests)
    assert first_code != second_code
    assert second_code == pyotp.TOTP(SECRET).at(clock.now()) == oathtool(SECRET, clock.now())


# --- pass -------------------------------------------------------------------------------------


def test_mfa_with_no_argument_takes_the_code_from_pass_in_each_shell(
    shell: str, demo: DemoUser, pass_store: PassStore, home: Home, tmp_path: Path
) -> None:
    pass_store.insert_otp(
        "aws/demo", f"otpauth://totp/AWS:demo?secret={demo.totp_secret}&issuer=AWS"
    )
    write_config(home, '[profiles.default]\ntotp = "pass:aws/demo"\n')
    t = transcript(shell, ["mfa", "mfa off"], tmp_path)
    assert t[1].status == 0, t.stderr
    assert t[1].env["MFAENV_SERIAL"] == demo.serial
    assert t[2].env == t.before


def test_pass_gives_the_code_oathtool_gives(
    mfaenv: Mfa, fake_aws: FakeAws, pass_store: PassStore
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    pass_store.insert_otp("aws/dev", f"otpauth://totp/AWS:alice?secret={SECRET}")
    before = time.time()
    assert mfaenv.mfa("--serial", SERIAL, "--totp", "pass:aws/dev").status == 0
    assert fake_aws.requests[0].params["TokenCode"] in {
        oathtool(SECRET, before),
        oathtool(SECRET, time.time()),
    }


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("none", "pass has no entry 'aws/dev'; add it with `pass otp insert aws/dev`"),
        (
            "plain",
            "pass entry 'aws/dev' holds no otpauth:// URI; add one with `pass otp append aws/dev`",
        ),
        (
            "no-key",
            "gpg could not decrypt pass entry 'aws/dev' (decryption failed: No secret key); "
            "is your key present and gpg-agent unlocked?",
        ),
        (
            "no-pass",
            "pass is not installed (the TOTP source is pass:ENTRY); install pass and "
            "its otp extension, or choose another source",
        ),
        (
            "no-extension",
            "pass has no otp extension; install pass-otp (Debian: pass-extension-otp)",
        ),
    ],
)
def test_pass_problems_are_named_and_change_nothing(
    mfaenv: Mfa,
    fake_aws: FakeAws,
    pass_store: PassStore,
    home: Home,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    message: str,
) -> None:
    if setup == "plain":
        pass_store.insert("aws/dev", "just a password\n")
    elif setup != "none":
        pass_store.insert_otp("aws/dev", f"otpauth://totp/AWS:alice?secret={SECRET}")
    if setup == "no-key":
        empty = Path(tmp_path / "g")
        empty.mkdir(mode=0o700)
        monkeypatch.setenv("GNUPGHOME", str(empty))
    if setup in ("no-pass", "no-extension"):
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        path = str(bin_dir)  # no-pass: a PATH where pass is not found
        if setup == "no-extension":
            # A real pass whose extension directory holds nothing.
            script = (
                Path("/usr/bin/pass")
                .read_text()
                .replace(
                    'SYSTEM_EXTENSION_DIR="/usr/lib/password-store/extensions"',
                    f'SYSTEM_EXTENSION_DIR="{tmp_path}/no-extensions"',
                )
            )
            (bin_dir / "pass").write_text(script)
            (bin_dir / "pass").chmod(0o755)
            path += os.pathsep + os.environ["PATH"]
        monkeypatch.setenv("PATH", path)
    before = home.files()
    run = mfaenv.mfa("--serial", SERIAL, "--totp", "pass:aws/dev")
    refused(run, message)
    assert fake_aws.actions() == []
    assert home.files() == before


# --- a command -------------------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "print-code"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def test_a_command_source_runs_without_a_shell_or_aws_keys_and_its_stderr_shows(
    fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    program = script(
        tmp_path,
        'echo "touch your key ($# args: $1 $2)" >&2\n'
        'echo "secret seen: ${AWS_SECRET_ACCESS_KEY:-none}" >&2\n'
        "echo 424242",
    )
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAENVLONGLIVED0001", AWS_SECRET_ACCESS_KEY="env")
    t = transcript(
        "bash",
        [f"mfa --serial {SERIAL} --totp 'command:{program} \"a b\" $HOME'"],
        tmp_path,
        env,
    )
    assert t[1].status == 0, t.stderr
    assert "touch your key (2 args: a b $HOME)" in t.stderr, "argv from shlex, no shell"
    assert "secret seen: none" in t.stderr
    assert fake_aws.requests[0].params["TokenCode"] == "424242"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("echo 12345", "the TOTP command '{p}' did not print a 6-digit code"),
        ("echo 'code: 123456 ok'", "the TOTP command '{p}' did not print a 6-digit code"),
        (
            "exit 3",  # MFAENV_NO_PROMPT=1 (as in every test): run with no terminal
            "the TOTP command '{p}' failed with status 3, run with no terminal (as mfaenv runs "
            "it where it may not ask): type `mfa CODE` with a code from your device",
        ),
        # The command's time limit (1 s here), waited for real: the one test of it.
        ("sleep 5; echo 123456", "the TOTP command '{p}' did not finish within 1s"),
    ],
)
def test_command_problems_are_named(
    mfaenv: Mfa,
    fake_aws: FakeAws,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    message: str,
) -> None:
    monkeypatch.setattr(totp, "COMMAND_TIMEOUT", 1)
    program = script(tmp_path, body)
    run = mfaenv.mfa("--serial", SERIAL, "--totp", f"command:{program}")
    refused(run, message.format(p=program))
    assert fake_aws.actions() == []


def test_a_missing_command_is_named(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    run = mfaenv(
        "sh-on", "--shell", "bash", "--serial", SERIAL, "--totp", "command:no-such-ykman x"
    )
    refused(run, "cannot run the TOTP command 'no-such-ykman': not found")


def test_an_unknown_source_kind_is_refused(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    run = mfaenv.mfa("--serial", SERIAL, "--totp", "keychain:aws")
    refused(
        run,
        "cannot read TOTP source 'keychain:aws': use pass:ENTRY, file:PATH or command:PROGRAM ARGS",
    )


# --- the terminal ----------------------------------------------------------------------------


def test_with_no_code_and_no_source_mfa_asks_on_the_terminal(
    shell: str, fake_aws: FakeAws, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    from conftest import init_command, need

    env = prompting_env()
    env.update(TERM="dumb", NO_COLOR="1")
    if shell == "fish":
        argv = [
            need("fish"),
            "--no-config",
            "-i",
            "-C",
            init_command("fish") + "; function fish_prompt; printf 'READY> '; end",
        ]
    elif shell == "zsh":
        (tmp_path / ".zshrc").write_text(init_command("zsh") + "\nPROMPT='READY> '\n")
        env["ZDOTDIR"] = str(tmp_path)
        argv = [need("zsh"), "-i"]
    else:
        (tmp_path / "rc").write_text(init_command("bash") + "\nPS1='READY> '\n")
        argv = [need("bash"), "--rcfile", str(tmp_path / "rc"), "-i"]
    terminal = Terminal(argv, env)
    try:
        terminal.read_until("READY> ")
        terminal.send(f"mfa --serial {SERIAL}\r")
        terminal.read_until(f"MFA code for profile 'default', device {SERIAL}: ")
        terminal.send("654321\r")
        terminal.read_until("MFA session for profile 'default'")
        terminal.send("echo token=$AWS_SESSION_TOKEN\r")
        terminal.read_until("token=FwoGZXIvYXdzEFAKE")
    finally:
        terminal.close()
    assert fake_aws.requests[0].params["TokenCode"] == "654321"


def test_with_no_terminal_and_no_source_the_error_says_what_to_do(home: Home) -> None:
    env = prompting_env()
    result = subprocess.run(
        [sys.executable, "-m", "mfaenv", "sh-on", "--shell", "bash"],
        env=env,
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("mfaenv: no cached MFA session for profile 'default'")
