"""Every way `mfa CODE` fails: one `mfaenv:` line, non-zero, empty stdout, no file touched."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import Home, Mfa, Run, faketime, refused, write_profile
from fakeaws import (
    SERIAL,
    USER_ARN,
    FakeAws,
    devices_reply,
    error,
    identity_reply,
    session_token_reply,
)


@pytest.fixture
def before(home: Home) -> dict[str, tuple[int, bytes]]:
    return home.files()


def test_a_wrong_code_says_wrong_or_already_used(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, before: dict[str, tuple[int, bytes]]
) -> None:
    fake_aws.answers["GetSessionToken"] = lambda r: error(
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        403,
    )
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    refused(
        run,
        f"AWS rejected the code for {SERIAL}: it is wrong, or it was already used "
        "(each code works once; wait for the next one)",
    )
    assert home.files() == before


def test_a_code_already_accepted_is_refused_without_asking_aws(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    assert mfaenv.mfa("123456", "--serial", SERIAL).status == 0
    # With the session it made still cached, the code gets that session (test_same_code).
    (home.cache / "mfaenv" / "sessions" / "default.json").unlink()
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    refused(run, "that code was already used (each code works once; wait for the next one)")
    assert fake_aws.actions() == ["GetSessionToken"]


def test_throttling_says_to_wait(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, before: dict[str, tuple[int, bytes]]
) -> None:
    fake_aws.answers["GetSessionToken"] = lambda r: error("Throttling", "Rate exceeded")
    run = mfaenv.mfa("123456", "--serial", SERIAL, as_shell="fish")
    refused(run, "AWS is throttling these requests; wait a minute and try again")
    assert home.files() == before


def test_a_silent_sts_is_given_up_on_with_one_line(
    fake_aws: FakeAws, home: Home, before: dict[str, tuple[int, bytes]]
) -> None:
    """botocore's own read timeout (8 s, before the call's 15 s deadline) gives up on a
    server that never answers: mfaenv runs under faketime at ten times the speed, so
    the 8 s pass in 0.8 s."""
    fake_aws.stall = True
    argv = [sys.executable, "-m", "mfaenv", "sh-on", "--shell", "zsh", "123456", "--serial", SERIAL]
    result = subprocess.run(
        [*faketime("+0 x10"), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    run = Run(result.returncode, result.stdout, result.stderr)
    refused(run, f"{fake_aws.url} did not answer in time; check your network or try again")
    assert fake_aws.actions() == ["GetSessionToken"], "no retries"
    assert home.files() == before


def test_an_unreachable_sts_is_named(
    mfaenv: Mfa, home: Home, monkeypatch: pytest.MonkeyPatch, before: dict[str, tuple[int, bytes]]
) -> None:
    write_profile(home, "default", "AKIAFAKELONGLIVED001", "secret")
    before = home.files()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    refused(
        run,
        "cannot reach http://127.0.0.1:9; check your network, proxy or AWS_ENDPOINT_URL settings",
    )
    assert home.files() == before


def test_no_credentials_anywhere(
    mfaenv: Mfa, home: Home, before: dict[str, tuple[int, bytes]]
) -> None:
    run = mfaenv.mfa("123456")
    refused(
        run,
        "no AWS access key found for profile 'default' (looked at AWS_ACCESS_KEY_ID, "
        "AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, and AWS_CONFIG_FILE or ~/.aws/config)",
    )
    assert home.files() == before


def test_temporary_credentials_in_a_profile_are_refused(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    with home.aws_credentials.open("a") as out:
        out.write("[temp]\naws_access_key_id = ASIATEMP\naws_secret_access_key = s\n")
        out.write("aws_session_token = t\n")
    run = mfaenv.mfa("123456", "--profile", "temp", "--serial", SERIAL)
    refused(
        run,
        "the AWS credentials of profile 'temp' are temporary (they carry a session token); "
        "mfa needs an IAM user's long-lived access key",
    )
    assert fake_aws.requests == []


def test_session_credentials_refused_by_aws_say_to_end_the_session(
    mfaenv: Mfa, fake_aws: FakeAws
) -> None:
    fake_aws.answers["GetSessionToken"] = lambda r: error(
        "AccessDenied", "Cannot call GetSessionToken with session credentials", 403
    )
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    refused(run, "these are session credentials, not long-lived keys; run `mfa off` first")


def test_an_unknown_profile_is_named(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    run = mfaenv.mfa("123456", "--profile", "nope")
    refused(
        run,
        "profile 'nope' is not in your AWS config files; known profiles, closest first: default",
    )


def test_an_unknown_access_key_is_explained(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    fake_aws.answers["GetSessionToken"] = lambda r: error(
        "InvalidClientTokenId", "The security token included in the request is invalid.", 403
    )
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    refused(run, "AWS does not know this access key (deleted, deactivated or mistyped?)")


def test_no_mfa_device(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, before: dict[str, tuple[int, bytes]]
) -> None:
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    fake_aws.answers["ListMFADevices"] = devices_reply()
    run = mfaenv.mfa("123456")
    refused(
        run,
        f"{USER_ARN} has no MFA device that gives codes; enroll a virtual MFA device, "
        "or name one with --serial ARN",
    )
    assert home.files() == before


def test_listing_devices_denied_says_how_to_name_the_device(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    fake_aws.answers["ListMFADevices"] = lambda r: error("AccessDenied", "not authorized", 403)
    run = mfaenv.mfa("123456")
    refused(
        run,
        "not allowed to list your MFA devices (iam:ListMFADevices); name the device with "
        "--serial ARN, mfa_serial in ~/.aws/config, or serial in the mfaenv config",
    )


def test_several_totp_devices_are_listed_and_none_is_picked(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    other = SERIAL + "-phone"
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    fake_aws.answers["ListMFADevices"] = devices_reply(SERIAL, other)
    run = mfaenv.mfa("123456")
    refused(
        run,
        f"{USER_ARN} has 2 MFA devices ({SERIAL}, {other}); choose one with --serial ARN, "
        "mfa_serial in ~/.aws/config or serial in the mfaenv config",
    )
    assert "GetSessionToken" not in fake_aws.actions()


@pytest.mark.parametrize("duration", ["10m", "37h", "0", "soon", "1h30x"])
def test_a_duration_outside_the_limits_is_refused_before_any_aws_call(
    mfaenv: Mfa, fake_aws: FakeAws, duration: str
) -> None:
    run = mfaenv.mfa("123456", "--duration", duration, "--serial", SERIAL)
    assert run.status == 1 and run.stdout == ""
    assert run.stderr.startswith("mfaenv: ") and run.stderr.count("\n") == 1
    assert fake_aws.requests == []


def test_a_code_typed_wrong_is_refused_before_any_aws_call(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    for code in ("12345", "1234567", "12345a", "١٢٣٤٥٦"):
        run = mfaenv.mfa(code, "--serial", SERIAL)
        assert run.stdout == "" and run.status == 2
        assert run.stderr in (
            "mfaenv: an MFA code is exactly 6 digits\n",
            f"mfaenv: unknown command {code!r} (see `mfa help`)\n",
        )
    assert fake_aws.requests == []


def test_a_usage_error_is_one_line(mfaenv: Mfa) -> None:
    run = mfaenv.mfa("--bogus")
    refused(run, "unrecognized arguments: --bogus (see `mfa help`)", status=2)


def test_help_of_an_evaluated_command_goes_to_stderr(mfaenv: Mfa) -> None:
    run = mfaenv.mfa("--profile", "dev", "--help")
    assert run.status == 0
    assert run.stdout == ""
    assert "usage: mfa" in run.stderr
