"""Finding the MFA device: flag, AWS config, mfaenv config, cache, or IAM; roots and FIDO keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Home, Mfa, transcript, write_profile
from fakeaws import SERIAL, FakeAws, devices_reply, identity_reply, session_token_reply

from mfaenv.motoserver import DemoUser, MotoServer


def test_discovery_finds_a_user_with_an_iam_path_and_caches_the_serial(
    shell: str,
    demo: DemoUser,
    fake_aws: FakeAws,
    home: Home,
    tmp_path: Path,
    moto_server: MotoServer,
) -> None:
    # First `mfa CODE` against moto: GetCallerIdentity, ListMFADevices, GetSessionToken.
    env = dict(os.environ, AWS_ENDPOINT_URL=moto_server.url)
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key)
    first = transcript(shell, ["mfa 123456 --profile dev"], tmp_path, env)
    assert first[1].status == 0, first.stderr
    assert first[1].env["MFAENV_SERIAL"] == demo.serial
    assert first[1].env["MFAENV_ARN"] == "arn:aws:iam::123456789012:user/eng/demo/demo"

    # The next `mfa CODE` makes exactly one AWS call, with the cached serial.
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    env = dict(os.environ, AWS_ENDPOINT_URL=fake_aws.url)
    second = transcript(shell, ["mfa 654321 --profile dev"], tmp_path, env)
    assert second[1].status == 0, second.stderr
    assert fake_aws.actions() == ["GetSessionToken"]
    assert fake_aws.requests[0].params["SerialNumber"] == demo.serial
    assert second[1].env["MFAENV_ARN"] == first[1].env["MFAENV_ARN"]


def test_fido_keys_are_skipped(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    fake_aws.answers["ListMFADevices"] = devices_reply(
        "arn:aws:iam::111122223333:u2f/user/alice/key-1", SERIAL
    )
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    run = mfaenv.mfa("123456")
    assert run.status == 0, run.stderr
    assert fake_aws.requests[-1].params["SerialNumber"] == SERIAL
    assert fake_aws.requests[1].params["UserName"] == "alice"


def test_root_lists_devices_without_a_user_name_and_gets_one_hour(
    mfaenv: Mfa, fake_aws: FakeAws
) -> None:
    root_serial = "arn:aws:iam::111122223333:mfa/root-account-mfa-device"
    fake_aws.answers["GetCallerIdentity"] = identity_reply(arn="arn:aws:iam::111122223333:root")
    fake_aws.answers["ListMFADevices"] = devices_reply(root_serial)
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    run = mfaenv.mfa("123456")
    assert run.status == 0, run.stderr
    assert "UserName" not in fake_aws.requests[1].params
    assert fake_aws.requests[2].params["DurationSeconds"] == "3600"


def test_root_asking_for_more_than_an_hour_is_refused(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    fake_aws.answers["GetCallerIdentity"] = identity_reply(arn="arn:aws:iam::111122223333:root")
    fake_aws.answers["ListMFADevices"] = devices_reply(SERIAL)
    run = mfaenv.mfa("123456", "--duration", "2h")
    assert (
        run.stderr
        == "mfaenv: duration 2h is outside what AWS allows for the root user: 15m to 1h\n"
    )
    assert "GetSessionToken" not in fake_aws.actions()


def test_the_serial_comes_from_the_flag_then_aws_config_then_mfaenv_config(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    config = home.config / "mfaenv" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[profiles.ops]\nserial = "arn:aws:iam::1:mfa/from-mfaenv"\nduration = "2h"\n'
    )
    write_profile(home, "ops", "AKIAOPS", "s")
    write_profile(home, "ops2", "AKIAOPS2", "s", mfa_serial="arn:aws:iam::1:mfa/from-aws")
    config.write_text(config.read_text() + '[profiles.ops2]\nserial = "arn:aws:iam::1:mfa/loser"\n')

    assert mfaenv.mfa("111111", "--profile", "ops").status == 0
    assert mfaenv.mfa("222222", "--profile", "ops2").status == 0
    assert (
        mfaenv(
            "sh-on",
            "--shell",
            "bash",
            "333333",
            "--profile",
            "ops2",
            "--serial",
            "arn:aws:iam::1:mfa/flag",
        ).status
        == 0
    )
    sent = [(r.params["SerialNumber"], r.params["DurationSeconds"]) for r in fake_aws.requests]
    assert sent == [
        ("arn:aws:iam::1:mfa/from-mfaenv", "7200"),
        ("arn:aws:iam::1:mfa/from-aws", "43200"),
        ("arn:aws:iam::1:mfa/flag", "43200"),
    ]


def test_the_config_default_duration_applies(mfaenv: Mfa, fake_aws: FakeAws, home: Home) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    config = home.config / "mfaenv" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('duration = "1h30m"\n')
    assert mfaenv.mfa("123456", "--serial", SERIAL).status == 0
    assert fake_aws.requests[0].params["DurationSeconds"] == "5400"


def test_a_sts_specific_endpoint_wins_over_the_general_one(
    mfaenv: Mfa, fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake_aws.url)
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    assert run.status == 0, run.stderr
    assert fake_aws.actions() == ["GetSessionToken"]
