"""Roles with MFA: the same one-word command for a profile with role_arn, or --role ARN."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Home, Mfa, refused, transcript, write_config
from fakeaws import (
    ADMIN,
    ROLE_KEY,
    SERIAL,
    SESSION_KEY,
    FakeAws,
    error,
    get_role_reply,
)

from mfaenv.motoserver import DemoUser
from mfaenv.prompt import segment

VIEWER = "arn:aws:iam::210987654321:role/Viewer"
LONG_LIVED = "AKIAFAKELONGLIVED001"


def add_role_profile(home: Home, name: str, role: str, **settings: str) -> None:
    lines = "".join(f"{k} = {v}\n" for k, v in settings.items())
    with home.aws_config.open("a") as out:
        out.write(f"[profile {name}]\nrole_arn = {role}\nsource_profile = default\n{lines}")


@pytest.fixture
def fake_roles(role_aws: FakeAws, home: Home) -> FakeAws:
    """``role_aws`` with this file's role profiles."""
    add_role_profile(home, "admin", ADMIN)
    add_role_profile(home, "viewer", VIEWER, mfa_serial=SERIAL, role_session_name="alice-view")
    return role_aws


def test_role_profiles_in_each_shell_switch_without_off_and_off_returns_to_the_keys(
    shell: str, demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n")
        out.write(f"[profile viewer]\nrole_arn = {VIEWER}\nsource_profile = default\n")
    t = transcript(
        shell, ["mfa 123456 --profile admin", "mfa --profile viewer", "mfa off"], tmp_path
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 0], t.stderr
    admin, viewer = t[1].env, t[2].env
    assert admin["MFAENV_ROLE"] == "Admin@210987654321"
    assert admin["MFAENV_ROLE_ARN"] == ADMIN
    assert admin["MFAENV_PROFILE"] == "admin"
    assert admin["MFAENV_ARN"] == demo.arn
    assert viewer["MFAENV_ROLE"] == "Viewer@210987654321"
    assert viewer["AWS_ACCESS_KEY_ID"] != admin["AWS_ACCESS_KEY_ID"]
    # The role session's own expiry (1h), not the MFA session's (12h).
    left = int(admin["MFAENV_EXPIRES"]) - time.time()
    assert 3000 < left <= 3600
    assert segment(admin, time.time()) in {
        "aws:admin:Admin@210987654321 59m",
        "aws:admin:Admin@210987654321 1h00m",
    }
    assert t[3].env == t.before


def test_chain_mode_spends_one_code_for_many_role_sessions(
    mfaenv: Mfa, fake_roles: FakeAws
) -> None:
    first = mfaenv.mfa("123456", "--profile", "admin")
    assert first.status == 0, first.stderr
    second = mfaenv.mfa("--profile", "viewer")
    assert second.status == 0, second.stderr
    sent = [(r.action, r.access_key_id) for r in fake_roles.requests]
    assert sent == [
        ("GetCallerIdentity", LONG_LIVED),
        ("ListMFADevices", LONG_LIVED),
        ("GetSessionToken", LONG_LIVED),
        ("AssumeRole", SESSION_KEY),
        ("AssumeRole", SESSION_KEY),
    ]
    admin, viewer = fake_roles.requests[3].params, fake_roles.requests[4].params
    assert "TokenCode" not in admin and "SerialNumber" not in admin
    assert admin["DurationSeconds"] == "3600"
    assert admin["RoleSessionName"] == "mfaenv-alice"
    assert viewer["RoleSessionName"] == "alice-view"
    assert f"export AWS_ACCESS_KEY_ID='{ROLE_KEY}'" in second.stdout
    assert "export MFAENV_ROLE_ARN='arn:aws:iam::210987654321:role/Viewer'" in second.stdout


def test_direct_mode_assumes_with_the_long_lived_key_and_a_code(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home
) -> None:
    add_role_profile(home, "ops", ADMIN, duration_seconds="7200", external_id="xyz")
    write_config(home, '[profiles.ops]\nrole_mode = "direct"\n')
    run = mfaenv.mfa("654321", "--profile", "ops", as_shell="fish")
    assert run.status == 0, run.stderr
    (assume,) = [r for r in fake_roles.requests if r.action == "AssumeRole"]
    assert "GetSessionToken" not in fake_roles.actions()
    assert assume.access_key_id == LONG_LIVED
    assert (assume.params["SerialNumber"], assume.params["TokenCode"]) == (SERIAL, "654321")
    assert assume.params["DurationSeconds"] == "7200"
    assert assume.params["ExternalId"] == "xyz"


def test_an_ad_hoc_role_is_assumed_and_cached_beside_the_profile(
    mfaenv: Mfa, fake_roles: FakeAws
) -> None:
    arn = "arn:aws:iam::333344445555:role/Deploy"
    run = mfaenv.mfa("123456", "--role", arn)
    assert run.status == 0, run.stderr
    assert "export MFAENV_ROLE='Deploy@333344445555'" in run.stdout
    assert "export MFAENV_PROFILE='default'" in run.stdout
    again = mfaenv.mfa("--role", arn)
    assert again.status == 0 and fake_roles.actions().count("AssumeRole") == 1, "reused"
    plain = mfaenv.mfa()
    assert "unset -v MFAENV_ROLE\n" in plain.stdout, "the profile's own MFA session, no role"


def test_a_role_profiles_duration_seconds_is_kept_to_an_hour_when_chained(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home
) -> None:
    add_role_profile(home, "long", ADMIN, duration_seconds="14400")
    run = mfaenv.mfa("123456", "--profile", "long")
    assert run.status == 0
    assert "a role assumed from an MFA session lasts at most 1h: using 1h" in run.stderr
    assert fake_roles.requests[-1].params["DurationSeconds"] == "3600"


def test_a_chained_duration_above_an_hour_is_refused_before_any_call(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home
) -> None:
    before = home.files()
    run = mfaenv.mfa("123456", "--profile", "admin", "--duration", "2h")
    refused(
        run,
        "a role assumed from an MFA session lasts at most 1h (an AWS limit), not 2h; ask for "
        "less, or set role_mode = \"direct\" for profile 'admin' in the mfaenv config",
    )
    assert fake_roles.requests == []
    assert home.files() == before


def test_a_role_that_does_not_exist_or_denies_is_one_line_and_nothing_is_exported(
    mfaenv: Mfa, fake_roles: FakeAws
) -> None:
    fake_roles.answers["AssumeRole"] = lambda r: error(
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/ops/alice is not authorized to perform: "
        "sts:AssumeRole on resource: " + r.params["RoleArn"],
        403,
    )
    run = mfaenv.mfa("123456", "--profile", "admin")
    refused(
        run,
        f"AWS refused AssumeRole of {ADMIN}: the role does not exist, or its trust policy "
        "does not let you assume it (does it ask for MFA, or an external id?)",
    )


@pytest.mark.parametrize(
    ("get_role", "message"),
    [
        (get_role_reply(3600), f"{ADMIN} allows sessions of at most 1h; 8h was asked"),
        (
            lambda r: error("AccessDenied", "no iam:GetRole", 403),
            f"{ADMIN} allows shorter sessions than the 8h asked; its maximum is set on the "
            "role (MaxSessionDuration)",
        ),
    ],
)
def test_a_duration_above_the_roles_maximum_says_the_maximum(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home, get_role: Callable[..., object], message: str
) -> None:
    write_config(home, '[profiles.admin]\nrole_mode = "direct"\n')
    fake_roles.answers["AssumeRole"] = lambda r: error(
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    fake_roles.answers["GetRole"] = get_role  # type: ignore[assignment]
    run = mfaenv.mfa("123456", "--profile", "admin", "--duration", "8h")
    refused(run, message)


def test_direct_mode_without_a_way_to_find_the_device_says_how_to_name_it(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home
) -> None:
    write_config(home, '[profiles.admin]\nrole_mode = "direct"\n')
    fake_roles.answers["ListMFADevices"] = lambda r: error("AccessDenied", "denied", 403)
    run = mfaenv.mfa("123456", "--profile", "admin")
    refused(
        run,
        "not allowed to list your MFA devices (iam:ListMFADevices); name the device with "
        "--serial ARN, mfa_serial in ~/.aws/config, or serial in the mfaenv config",
    )
    assert "AssumeRole" not in fake_roles.actions()


def test_a_role_profile_without_source_profile_is_refused(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"[profile ec2]\nrole_arn = {ADMIN}\ncredential_source = Ec2InstanceMetadata\n")
    run = mfaenv.mfa("123456", "--profile", "ec2")
    refused(
        run,
        f"profile 'ec2' assumes {ADMIN} but names no source_profile; mfa assumes roles from a "
        "profile with an IAM user's keys (credential_source is not supported)",
    )


def test_status_shows_the_role(fake_roles: FakeAws, tmp_path: Path) -> None:
    t = transcript("bash", ["mfa 123456 --profile admin", "mfa status"], tmp_path)
    assert [step.status for step in t.steps] == [0, 0, 0], t.stderr
    assert f"\nrole     {ADMIN} (Admin@210987654321)\n" in t.stdout
    assert t[1].env["MFAENV_ROLE"] == "Admin@210987654321"


def test_a_wrong_code_in_direct_mode_says_wrong_or_already_used(
    mfaenv: Mfa, fake_roles: FakeAws, home: Home
) -> None:
    write_config(home, '[profiles.admin]\nrole_mode = "direct"\n')
    fake_roles.answers["AssumeRole"] = lambda r: error(
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        403,
    )
    run = mfaenv.mfa("123456", "--profile", "admin")
    refused(
        run,
        f"AWS rejected the code for {SERIAL}: it is wrong, or it was already used "
        "(each code works once; wait for the next one)",
    )
