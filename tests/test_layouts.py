"""Coming from AWS-recipes (NCC) and aws-mfa: their credentials-file layouts work as they
are, the session written back where those tools put it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Home, Mfa, refused
from fakeaws import SERIAL, SESSION_KEY, SESSION_TOKEN, FakeAws, session_token_reply

LONG_LIVED = "AKIAFAKENCCLONGLIVED"
OLD_SESSION = (
    "aws_access_key_id = ASIAOLDNCCSESSION001\n"
    "aws_secret_access_key = old/secret\n"
    "aws_session_token = old-token\n"
)


@pytest.fixture
def fake(fake_aws: FakeAws, home: Home) -> FakeAws:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    with home.aws_config.open("a") as out:
        out.write("\n[profile ncc]\nregion = eu-west-1\n")
    return fake_aws


def signed(fake: FakeAws) -> list[tuple[str | None, str | None]]:
    return [
        (r.access_key_id, r.params.get("SerialNumber"))
        for r in fake.requests
        if r.action == "GetSessionToken"
    ]


def test_aws_recipes_layout_works_unchanged_and_gets_its_session_back(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    nomfa = (
        "[ncc-nomfa]\n"
        f"aws_access_key_id = {LONG_LIVED}\n"
        "aws_secret_access_key = ncc/secret\n"
        f"aws_mfa_serial = {SERIAL}\n"
    )
    home.aws_credentials.write_text(f"[ncc]\n{OLD_SESSION}\n{nomfa}")
    run = mfaenv.mfa("123456", "--profile", "ncc", "--save-as", "ncc")
    assert run.status == 0, run.stderr
    assert signed(fake) == [(LONG_LIVED, SERIAL)]
    assert (
        "[ncc] in the credentials file holds a session; using the long-lived key of "
        "[ncc-nomfa] (the AWS-recipes layout)" in run.stderr
    )
    text = home.aws_credentials.read_text()
    assert text.startswith(f"[ncc]\naws_access_key_id = {SESSION_KEY}\n")
    assert f"aws_session_token = {SESSION_TOKEN}\n" in text
    assert text.endswith("\n\n" + nomfa), "the long-lived section as it was"
    assert "export AWSU_PROFILE='ncc'" in run.stdout


def test_aws_mfa_long_term_layout(mfaenv: Mfa, fake: FakeAws, home: Home) -> None:
    home.aws_credentials.write_text(
        f"[ncc]\n{OLD_SESSION}\n[ncc-long-term]\naws_access_key_id = {LONG_LIVED}\n"
        f"aws_secret_access_key = ncc/secret\naws_mfa_device = {SERIAL}\n"
    )
    run = mfaenv.mfa("123456", "--profile", "ncc")
    assert run.status == 0, run.stderr
    assert signed(fake) == [(LONG_LIVED, SERIAL)]
    assert "[ncc-long-term] (the aws-mfa layout)" in run.stderr


def test_older_aws_recipes_layout_with_a_credentials_no_mfa_file(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    home.aws_credentials.write_text(f"[ncc]\n{OLD_SESSION}")
    no_mfa = Path(str(home.aws_credentials) + ".no-mfa")
    no_mfa.write_text(
        f"[ncc]\naws_access_key_id = {LONG_LIVED}\naws_secret_access_key = ncc/secret\n"
        f"aws_mfa_serial = {SERIAL}\n"
    )
    run = mfaenv.mfa("123456", "--profile", "ncc")
    assert run.status == 0, run.stderr
    assert signed(fake) == [(LONG_LIVED, SERIAL)]
    assert f"of [ncc] in {no_mfa} (the older AWS-recipes layout)" in run.stderr


def test_a_session_section_with_no_long_lived_key_anywhere_is_still_refused(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    home.aws_credentials.write_text(f"[ncc]\n{OLD_SESSION}")
    run = mfaenv.mfa("123456", "--profile", "ncc", "--serial", SERIAL)
    assert (run.status, run.stdout) == (1, "")
    assert "are temporary" in run.stderr
    assert fake.actions() == []


def test_a_stale_session_section_that_overrides_a_credential_process_is_named(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write(
            "\n[profile dev]\nregion = eu-west-1\n"
            "credential_process = mfaenv credential-process --profile default\n"
        )
    original = home.aws_credentials.read_text()
    home.aws_credentials.write_text(original + f"\n[dev]\n{OLD_SESSION}")
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    assert run.status == 0, run.stderr
    assert (
        f"mfaenv: [dev] in {home.aws_credentials} holds keys that come before the "
        "credential_process of profile 'dev' in every SDK, so it never runs: remove that "
        "section (`mfaenv unsave dev` for a session)\n" in run.stderr
    )
    refused(
        mfaenv.mfa("--save-as", "dev"),
        f"profile 'dev' gets its keys from a credential_process, which [dev] in "
        f"{home.aws_credentials} would silently override in every SDK: choose another "
        "--save-as name",
    )
    assert mfaenv("unsave", "dev").status == 0
    assert home.aws_credentials.read_text() == original
    again = mfaenv.mfa("654321", "--serial", SERIAL)
    assert again.status == 0, again.stderr
    assert "never runs" not in again.stderr
