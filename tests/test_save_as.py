"""`--save-as NAME` and `save_as`: the session as a profile of the shared credentials file,
for the tools that read nothing else, read back by the real boto3 and AWS CLI."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import boto3
import pytest
from conftest import SECRET, Home, Mfa, need, refused, write_config
from fakeaws import (
    ROLE_KEY,
    SERIAL,
    SESSION_KEY,
    SESSION_TOKEN,
    FakeAws,
    assume_role_reply,
    identity_reply,
    session_token_reply,
)

# The user's own file: comments, odd spacing, a long-lived key, no newline games.
ORIGINAL = (
    "# my keys\n"
    "[default]\n"
    "aws_access_key_id = AKIAFAKELONGLIVED001\n"
    "aws_secret_access_key   =   long/lived+secret\n"
    "\n"
    "; the build bot\n"
    "[bot]\n"
    "aws_access_key_id=AKIAFAKEBOTKEY000001\n"
    "aws_secret_access_key=bot/secret\n"
)


@pytest.fixture
def fake(fake_aws: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch) -> FakeAws:
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(), GetCallerIdentity=identity_reply()
    )
    home.aws_credentials.write_text(ORIGINAL)
    home.aws_credentials.chmod(0o644)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # [legacy] names none
    return fake_aws


def section(name: str, key: str = SESSION_KEY, secret: str = "fake/session+secret") -> str:
    return f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"


def who_signs(fake: FakeAws, profile: str) -> list[str | None]:
    """boto3 and the AWS CLI call STS with ``--profile``: the keys they signed with."""
    fake.requests.clear()
    boto3.session.Session(profile_name=profile).client("sts").get_caller_identity()
    aws = need("aws")
    subprocess.run(
        [aws, "--profile", profile, "sts", "get-caller-identity"],
        check=True,
        capture_output=True,
        env=os.environ,
    )
    return [request.access_key_id for request in fake.requests]


def test_save_as_writes_the_session_as_a_profile_that_boto3_and_the_cli_use(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    run = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
    assert run.status == 0, run.stderr
    text = home.aws_credentials.read_text()
    assert text.startswith(ORIGINAL + "\n[legacy]\n"), "every other byte as it was"
    assert f"aws_session_token = {SESSION_TOKEN}\n" in text
    assert "\nexpiration = 20" in text
    assert stat.S_IMODE(home.aws_credentials.stat().st_mode) == 0o644, "the user's mode, kept"
    assert (
        f"saved the session as profile 'legacy' in {home.aws_credentials} (its mode 0644, "
        "kept, lets other users read it)"
    ) in run.stderr
    assert SESSION_TOKEN not in run.stderr
    assert who_signs(fake, "legacy") == [SESSION_KEY, SESSION_KEY]
    assert not list(home.aws_credentials.parent.glob(".*.tmp"))


def test_save_as_refuses_a_section_with_a_long_lived_key_before_spending_a_code(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    before = home.files()
    run = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "bot")
    refused(
        run,
        f"[bot] in {home.aws_credentials} holds the long-lived access key "
        "AKIAFAKEBOTKEY000001; mfaenv never overwrites it: choose another --save-as name",
    )
    assert home.files() == before
    assert fake.actions() == []


def test_a_bad_save_as_name_is_a_usage_error(mfaenv: Mfa, fake: FakeAws, home: Home) -> None:
    before = home.files()
    refused(
        mfaenv.mfa("123456", "--save-as", "a]b"),
        "--save-as 'a]b' is not a profile name the credentials file can hold",
        2,
    )
    assert home.files() == before


def test_a_refresh_by_any_route_rewrites_the_saved_session(
    mfaenv: Mfa, fake: FakeAws, home: Home, tmp_path: Path
) -> None:
    assert mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy").status == 0
    # A session near its end (200 s left), so the next route needs a new one.
    fake.answers["GetSessionToken"] = session_token_reply(key="ASIAFAKESECOND000002", seconds=200)
    run = mfaenv.mfa("654321", "--serial", SERIAL)  # no --save-as: it is remembered
    assert run.status == 0, run.stderr
    assert section("legacy", "ASIAFAKESECOND000002") in home.aws_credentials.read_text()

    # credential-process, with codes from a TOTP file, makes the next one.
    secret_file = tmp_path / "totp"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    fake.answers["GetSessionToken"] = session_token_reply(key="ASIAFAKETHIRD0000003")
    run = mfaenv(
        "credential-process", "--profile", "default", "--serial", SERIAL,
        "--totp", f"file:{secret_file}",
    )  # fmt: skip
    assert run.status == 0, run.stderr
    text = home.aws_credentials.read_text()
    assert text.startswith(ORIGINAL + "\n")
    assert text.count("[legacy]") == 1
    assert section("legacy", "ASIAFAKETHIRD0000003") in text


def test_save_as_in_the_config_writes_every_new_session(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    write_config(home, '[profiles.default]\nsave_as = "legacy"\n')
    assert mfaenv.mfa("123456", "--serial", SERIAL).status == 0
    assert section("legacy") in home.aws_credentials.read_text()
    assert who_signs(fake, "legacy") == [SESSION_KEY, SESSION_KEY]


def test_a_session_section_of_aws_mfa_is_rewritten_in_place(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    old = (
        "[legacy]\n"
        "aws_access_key_id = ASIAOLDSESSION000001\n"
        "aws_secret_access_key = old\n"
        "aws_security_token = old-token\n"
        "aws_session_token = old-token\n"
        "\n"
        "# keep me\n"
    )
    home.aws_credentials.write_text(old + ORIGINAL)
    assert mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy").status == 0
    text = home.aws_credentials.read_text()
    assert text.endswith("\n\n# keep me\n" + ORIGINAL)
    assert "old" not in text.split("# keep me")[0], "botocore reads aws_security_token first"
    assert who_signs(fake, "legacy") == [SESSION_KEY, SESSION_KEY]


def test_unsave_removes_the_section_and_later_refreshes_leave_the_file_alone(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    assert mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy").status == 0
    run = mfaenv.mfa("unsave", "legacy")
    assert run.status == 0, run.stderr
    assert run.stdout == ""
    assert home.aws_credentials.read_text() == ORIGINAL, "byte for byte as before"
    assert mfaenv.mfa("654321", "--serial", SERIAL).status == 0
    assert home.aws_credentials.read_text() == ORIGINAL
    refused(mfaenv.mfa("unsave", "legacy"), f"{home.aws_credentials} has no [legacy] section")
    before = home.files()
    refused(
        mfaenv.mfa("unsave", "default"),
        f"[default] in {home.aws_credentials} holds the long-lived access key "
        "AKIAFAKELONGLIVED001; mfaenv never removes it",
    )
    assert home.files() == before


def test_save_as_in_a_real_shell_then_a_new_shell_reuses_and_saves_on_request(
    fake: FakeAws, home: Home, tmp_path: Path
) -> None:
    from conftest import transcript

    t = transcript("bash", [f"mfa 123456 --serial {SERIAL} --save-as legacy"], tmp_path)
    assert t[1].status == 0, t.stderr
    (home.aws_credentials).write_text(ORIGINAL)
    again = transcript("fish", ["mfa --save-as legacy"], tmp_path)
    assert again[1].status == 0, again.stderr
    assert [r.action for r in fake.requests].count("GetSessionToken") == 1, "reused"
    assert section("legacy") in home.aws_credentials.read_text()


def test_a_role_session_that_renews_the_mfa_session_rewrites_its_saved_profile_too(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    """chain mode: `mfa --profile admin` makes a new MFA session of default on the way."""
    fake.answers["AssumeRole"] = assume_role_reply()
    with home.aws_config.open("a") as out:
        out.write(
            "[profile admin]\nrole_arn = arn:aws:iam::210987654321:role/Admin\n"
            f"source_profile = default\nmfa_serial = {SERIAL}\n"
        )
    fake.answers["GetSessionToken"] = session_token_reply(seconds=200)  # ends soon
    assert mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy").status == 0
    fake.answers["GetSessionToken"] = session_token_reply(key="ASIAFAKESECOND000002")
    run = mfaenv.mfa("654321", "--profile", "admin")
    assert run.status == 0, run.stderr
    assert f"export AWS_ACCESS_KEY_ID='{ROLE_KEY}'" in run.stdout
    text = home.aws_credentials.read_text()
    assert section("legacy", "ASIAFAKESECOND000002") in text
    assert text.startswith(ORIGINAL + "\n")
