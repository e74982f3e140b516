"""Coming from aws-vault: mfa_process and mfa_serial read as it writes them, role_mode auto."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import (
    SECRET,
    FakeClock,
    Home,
    Mfa,
    oathtool,
    refused,
    totp_file,
    write_config,
    write_profile,
)
from fakeaws import (
    ADMIN,
    ROLE_KEY,
    SERIAL,
    SESSION_KEY,
    FakeAws,
    assume_role_reply,
    session_token_reply,
)

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session

LONG_LIVED = "AKIAFAKELONGLIVED001"
YKMAN = "ykman oath accounts code --single 'AWS:alice'"


class FakeYkman:
    """A ``ykman`` on PATH that prints a code, and notes how it was run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.program = directory / "bin" / "ykman"
        self.program.parent.mkdir(parents=True)
        self.answer("123456")

    def answer(self, output: str, status: int = 0) -> None:
        log = self.directory
        self.program.write_text(
            "#!/bin/sh\n"
            f"printf '%s\\n' \"$@\" > {log}/argv\n"
            f"env > {log}/env\n"
            f"printf '{output}\\n'\n"
            f"exit {status}\n"
        )
        self.program.chmod(0o755)

    @property
    def argv(self) -> list[str] | None:
        path = self.directory / "argv"
        return path.read_text().splitlines() if path.exists() else None

    @property
    def env(self) -> str:
        return (self.directory / "env").read_text()


@pytest.fixture
def ykman(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeYkman:
    fake = FakeYkman(tmp_path / "ykman")
    monkeypatch.setenv("PATH", f"{fake.program.parent}{os.pathsep}{os.environ['PATH']}")
    return fake


@pytest.fixture
def alice(fake_aws: FakeAws, home: Home) -> FakeAws:
    """A profile as aws-vault writes it: the device and the program that gives its codes,
    no mfaenv config at all."""
    write_profile(home, "alice", LONG_LIVED, "long/lived+secret", mfa_serial=SERIAL)
    with home.aws_config.open("a") as out:
        out.write(f"mfa_process = {YKMAN}\n")
    fake_aws.answers.update(GetSessionToken=session_token_reply(), AssumeRole=assume_role_reply())
    return fake_aws


def test_mfa_process_gives_the_code_with_no_mfaenv_config(
    mfaenv: Mfa, alice: FakeAws, ykman: FakeYkman, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-token-of-the-caller")
    run = mfaenv("credential-process", "--profile", "alice")
    assert (run.status, run.stderr) == (0, ""), run.stderr
    assert json.loads(run.stdout)["AccessKeyId"] == SESSION_KEY
    (request,) = alice.requests
    assert (request.action, request.access_key_id) == ("GetSessionToken", LONG_LIVED)
    assert (request.params["TokenCode"], request.params["SerialNumber"]) == ("123456", SERIAL)
    # Its words as a shell splits them, with no shell; no AWS credentials in its environment.
    assert ykman.argv == ["oath", "accounts", "code", "--single", "AWS:alice"]
    assert "AWS_SESSION_TOKEN" not in ykman.env and "AWS_ACCESS_KEY" not in ykman.env
    assert not (home.config / "mfaenv").exists()


def test_mfa_with_no_code_takes_the_code_from_mfa_process(
    mfaenv: Mfa, alice: FakeAws, ykman: FakeYkman
) -> None:
    run = mfaenv.mfa("--profile", "alice")
    assert run.status == 0, run.stderr
    assert f"export AWS_ACCESS_KEY_ID='{SESSION_KEY}'" in run.stdout
    assert alice.requests[0].params["TokenCode"] == "123456"


@pytest.mark.parametrize(
    ("output", "status", "message"),
    [
        (
            "",
            1,
            "mfa_process of profile 'alice' ('ykman') failed with status 1, run with no "
            "terminal (as mfaenv runs it where it may not ask): type `mfa CODE` with a code "
            "from your device",
        ),
        (
            "Touch your YubiKey",
            0,
            "mfa_process of profile 'alice' ('ykman') did not print a 6-digit code",
        ),
    ],
)
def test_a_failing_mfa_process_is_one_line_and_changes_nothing(
    mfaenv: Mfa,
    alice: FakeAws,
    ykman: FakeYkman,
    home: Home,
    output: str,
    status: int,
    message: str,
) -> None:
    ykman.answer(output, status)
    before = home.files()
    refused(mfaenv("credential-process", "--profile", "alice"), message)
    refused(mfaenv.mfa("--profile", "alice"), message)
    assert alice.requests == []
    assert home.files() == before


def test_a_missing_mfa_process_program_is_named(
    mfaenv: Mfa, alice: FakeAws, ykman: FakeYkman
) -> None:
    ykman.program.unlink()
    refused(
        mfaenv("credential-process", "--profile", "alice"),
        "cannot run mfa_process of profile 'alice' ('ykman'): not found",
    )


def test_totp_option_then_the_mfaenv_config_come_before_mfa_process(
    mfaenv: Mfa, alice: FakeAws, ykman: FakeYkman, home: Home, clock: FakeClock, tmp_path: Path
) -> None:
    run = mfaenv.mfa("--profile", "alice", "--totp", "command:echo 222222")
    assert run.status == 0, run.stderr
    assert alice.requests[-1].params["TokenCode"] == "222222"
    secret = totp_file(tmp_path)
    write_config(home, f'[profiles.alice]\ntotp = "file:{secret}"\n')
    run = mfaenv.mfa("--profile", "alice", "--duration", "2h")
    assert run.status == 0, run.stderr
    assert alice.requests[-1].params["TokenCode"] == oathtool(SECRET, clock.now())
    assert ykman.argv is None, "mfa_process was never run"


def test_an_aws_vault_role_profile_uses_the_mfa_process_of_either_profile(
    mfaenv: Mfa, alice: FakeAws, ykman: FakeYkman, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nsource_profile = alice\nrole_arn = {ADMIN}\n")
        out.write(f"mfa_serial = {SERIAL}\n")
    run = mfaenv.mfa("--profile", "admin")
    assert run.status == 0, run.stderr
    assert [(r.action, r.access_key_id) for r in alice.requests] == [
        ("GetSessionToken", LONG_LIVED),
        ("AssumeRole", SESSION_KEY),
    ]
    assert alice.requests[0].params["TokenCode"] == "123456"


def test_credential_process_renews_early_with_mfa_process(
    mfaenv: Mfa, alice: FakeAws, ykman: FakeYkman, home: Home, clock: FakeClock
) -> None:
    """SDKs refresh 15 minutes before the end: with mfa_process there is a code to renew with."""
    Cache(home.cache / "mfaenv").save_session(
        Session(
            profile="alice",
            credentials=Credentials("ASIACACHED", "cached/secret", "cached-token"),
            expires=int(clock.now()) + 14 * 60,
            serial=SERIAL,
            aws_profile="alice",
        ),
    )
    run = mfaenv("credential-process", "--profile", "alice")
    assert (run.status, run.stderr) == (0, ""), run.stderr
    assert json.loads(run.stdout)["AccessKeyId"] == SESSION_KEY
    assert [r.action for r in alice.requests] == ["GetSessionToken"]


# --- role_mode = "auto" ---------------------------------------------------------------------


@pytest.fixture
def auto_role(fake_aws: FakeAws, home: Home) -> FakeAws:
    write_profile(home, "default", LONG_LIVED, "long/lived+secret", mfa_serial=SERIAL)
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n")
    write_config(home, '[profiles.admin]\nrole_mode = "auto"\n')
    fake_aws.answers.update(GetSessionToken=session_token_reply(), AssumeRole=assume_role_reply())
    return fake_aws


CHAINED = (
    "role_mode auto: chained from the MFA session (1h fits the 1h limit of a role assumed that way)"
)
DIRECT = (
    "role_mode auto: assumed directly with the long-lived key and a code (4h is more than "
    "the 1h a chained role may last)"
)


def test_auto_chains_a_role_session_of_an_hour_from_the_mfa_session(
    mfaenv: Mfa, auto_role: FakeAws
) -> None:
    run = mfaenv.mfa("123456", "--profile", "admin", "--duration", "1h")
    assert run.status == 0, run.stderr
    assert run.stderr.startswith(f"mfaenv: {CHAINED}\n")
    assert [(r.action, r.access_key_id) for r in auto_role.requests] == [
        ("GetSessionToken", LONG_LIVED),
        ("AssumeRole", SESSION_KEY),
    ]
    assume = auto_role.requests[1].params
    assert assume["DurationSeconds"] == "3600" and "TokenCode" not in assume
    assert f"export AWS_ACCESS_KEY_ID='{ROLE_KEY}'" in run.stdout


def test_auto_assumes_a_longer_role_session_directly_with_the_code(
    mfaenv: Mfa, auto_role: FakeAws
) -> None:
    run = mfaenv.mfa("123456", "--profile", "admin", "--duration", "4h")
    assert run.status == 0, run.stderr
    assert run.stderr.startswith(f"mfaenv: {DIRECT}\n")
    (assume,) = auto_role.requests
    assert (assume.action, assume.access_key_id) == ("AssumeRole", LONG_LIVED)
    assert (assume.params["SerialNumber"], assume.params["TokenCode"]) == (SERIAL, "123456")
    assert assume.params["DurationSeconds"] == "14400"


def test_auto_follows_duration_seconds_of_the_role_profile(
    mfaenv: Mfa, auto_role: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write("duration_seconds = 14400\n")
    run = mfaenv.mfa("123456", "--profile", "admin")
    assert run.status == 0, run.stderr
    assert run.stderr.startswith(f"mfaenv: {DIRECT}\n")
    assert [r.access_key_id for r in auto_role.requests] == [LONG_LIVED]


def test_auto_without_a_code_for_the_longer_session_is_one_line(
    mfaenv: Mfa, auto_role: FakeAws, home: Home
) -> None:
    assert mfaenv.mfa("123456", "--profile", "admin").status == 0, "chained, for 1h"
    before = home.files()
    refused(
        mfaenv.mfa("--profile", "admin", "--duration", "4h"),
        "no MFA code: give one (mfa 123456) or set a TOTP source",
    )
    assert home.files() == before
    assert [r.action for r in auto_role.requests] == ["GetSessionToken", "AssumeRole"]


def test_auto_takes_the_code_for_a_longer_role_from_the_source_while_the_mfa_session_lives(
    mfaenv: Mfa, auto_role: FakeAws, home: Home
) -> None:
    """With the MFA session cached a chained role needs no code; a direct one does, and
    takes it from the TOTP source as always."""
    with home.aws_config.open("a") as out:
        out.write("duration_seconds = 14400\n")
    assert mfaenv.mfa("123456").status == 0, "the MFA session of the source profile"
    run = mfaenv.mfa("--profile", "admin", "--totp", "command:echo 222222")
    assert run.status == 0, run.stderr
    assert run.stderr.startswith(f"mfaenv: {DIRECT}\n")
    assume = auto_role.requests[-1]
    assert (assume.action, assume.access_key_id) == ("AssumeRole", LONG_LIVED)
    assert assume.params["TokenCode"] == "222222"
