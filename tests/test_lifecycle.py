"""The MFA lifecycle: enroll a device, rotate the key, print the enforcing policy."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pyotp
import pytest
from conftest import (
    SECRET,
    Home,
    Mfa,
    PassStore,
    oathtool,
    prompting_env,
    write_config,
    write_profile,
)
from fakeaws import (
    SERIAL,
    FakeAws,
    access_keys_reply,
    devices_reply,
    empty_reply,
    error,
    identity_reply,
    new_access_key_reply,
    session_token_reply,
    virtual_device_reply,
)
from terminal import Terminal

from mfaenv import config as config_file
from mfaenv.motoserver import MotoServer


def iam(moto_server: MotoServer, key: str = "admin", secret: str = "admin") -> Any:
    return boto3.client(
        "iam",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


@pytest.fixture
def bob(moto_server: MotoServer, home: Home, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A user with a key and no MFA device yet, as profile bob."""
    moto_server.reset()
    client = iam(moto_server)
    client.create_user(UserName="bob", Path="/eng/")
    key = client.create_access_key(UserName="bob")["AccessKey"]
    write_profile(home, "bob", key["AccessKeyId"], key["SecretAccessKey"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def devices(moto_server: MotoServer, user: str = "bob") -> list[str]:
    listed = iam(moto_server).list_mfa_devices(UserName=user)["MFADevices"]
    return [d["SerialNumber"] for d in listed]


# --- enroll --------------------------------------------------------------------------------


def test_enroll_with_a_file_stores_the_secret_enables_the_device_and_mfa_then_works(
    mfaenv: Mfa, bob: dict[str, str], moto_server: MotoServer, home: Home, tmp_path: Path
) -> None:
    secret_file = tmp_path / "bob.totp"
    run = mfaenv("enroll", "--profile", "bob", "--store", f"file:{secret_file}")
    assert run.status == 0, run.stderr
    assert run.stdout == "", "the secret never reaches stdout"
    (serial,) = devices(moto_server)
    assert serial == "arn:aws:iam::123456789012:mfa/bob"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret_file.read_text().startswith("otpauth://totp/")
    settings = config_file.load().profile("bob")
    assert settings.serial == serial
    assert str(settings.totp) == f"file:{secret_file}"
    assert f"enrolled {serial}" in run.stderr
    # The next `mfa` takes its code from that file, and not the one spent on enabling.
    again = mfaenv.mfa("--profile", "bob")
    assert again.status == 0, again.stderr
    assert f"export MFAENV_SERIAL='{serial}'" in again.stdout


def test_enroll_into_pass_stores_an_otpauth_uri_pass_otp_reads(
    mfaenv: Mfa, bob: dict[str, str], moto_server: MotoServer, pass_store: PassStore
) -> None:
    run = mfaenv("enroll", "--profile", "bob", "--name", "bob-laptop", "--store", "pass:aws/bob")
    assert run.status == 0, run.stderr
    assert devices(moto_server) == ["arn:aws:iam::123456789012:mfa/bob-laptop"]
    assert str(config_file.load().profile("bob").totp) == "pass:aws/bob"
    shown = os.popen("pass show aws/bob").read()  # noqa: S605
    secret = re.search(r"secret=([A-Z2-7]+)", shown)
    assert secret is not None
    code = os.popen("pass otp aws/bob").read().strip()  # noqa: S605
    assert code in {
        oathtool(secret.group(1), time.time()),
        oathtool(secret.group(1), time.time() - 2),
    }


def test_enroll_on_a_terminal_shows_the_qr_code_and_asks_for_two_codes(
    bob: dict[str, str], moto_server: MotoServer, home: Home
) -> None:
    env = prompting_env()
    terminal = Terminal(
        [sys.executable, "-m", "mfaenv", "enroll", "--profile", "bob"], dict(env, TERM="dumb")
    )
    try:
        screen = terminal.read_until(r"first code for profile 'bob', device \S+: ")
        secret = re.search(r"secret: ([A-Z2-7]+)", screen)
        assert secret is not None
        assert "█" in screen or "▀" in screen, "a QR code is drawn"
        totp = pyotp.TOTP(secret.group(1))
        terminal.send(totp.at(time.time()) + "\r")
        terminal.read_until(r"the code after it for profile '\w+', device \S+: ")
        terminal.send(totp.at(time.time() + 30) + "\r")
        terminal.read_until("enrolled arn:aws:iam::123456789012:mfa/bob")
    finally:
        terminal.close()
    assert devices(moto_server) == ["arn:aws:iam::123456789012:mfa/bob"]
    assert config_file.load().profile("bob").serial == "arn:aws:iam::123456789012:mfa/bob"


@pytest.fixture
def enable_fails(fake_aws: FakeAws) -> FakeAws:
    """A new device is created, then AWS refuses to enable it."""
    fake_aws.answers.update(
        GetCallerIdentity=identity_reply(),
        ListMFADevices=devices_reply(),
        CreateVirtualMFADevice=virtual_device_reply(SECRET),
        EnableMFADevice=lambda r: error("InvalidAuthenticationCode", "codes invalid", 403),
        DeleteVirtualMFADevice=empty_reply("DeleteVirtualMFADevice"),
    )
    return fake_aws


def test_a_failed_enable_deletes_the_new_device_and_writes_nothing(
    enable_fails: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws = enable_fails
    before = home.files()
    env = prompting_env()
    terminal = Terminal([sys.executable, "-m", "mfaenv", "enroll"], dict(env, TERM="dumb"))
    try:
        terminal.read_until(r"first code for profile 'default', device \S+: ")
        terminal.send("111111\r")
        terminal.read_until(r"the code after it for profile '\w+', device \S+: ")
        terminal.send("222222\r")
        screen = terminal.read_until(r"consecutive codes")
    finally:
        terminal.close()
    assert (
        "mfaenv: AWS rejected the two codes: they must be two consecutive codes of the new "
        "device (is its clock right?)"
    ) in screen
    assert fake_aws.actions()[-2:] == ["EnableMFADevice", "DeleteVirtualMFADevice"]
    assert fake_aws.requests[-1].params["SerialNumber"] == SERIAL
    assert home.files() == before, "no config written"


def test_a_failed_enable_also_removes_the_stored_secret(
    mfaenv: Mfa, enable_fails: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws = enable_fails
    secret_file = tmp_path / "x.totp"
    run = mfaenv("enroll", "--store", f"file:{secret_file}")
    assert run.status == 1 and run.stdout == ""
    assert run.stderr.endswith("(is its clock right?)\n")
    assert not secret_file.exists()
    assert "DeleteVirtualMFADevice" in fake_aws.actions()


def test_enroll_refuses_a_user_who_has_a_device_unless_forced(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers.update(
        GetCallerIdentity=identity_reply(), ListMFADevices=devices_reply(SERIAL)
    )
    run = mfaenv("enroll", "--store", "file:/nonexistent/x")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == (
        "mfaenv: arn:aws:iam::111122223333:user/ops/alice already has an MFA device that gives "
        f"codes ({SERIAL}); add --force to enroll another\n"
    )
    assert "CreateVirtualMFADevice" not in fake_aws.actions()


def test_enroll_without_a_terminal_or_a_store_says_what_to_do(
    mfaenv: Mfa, fake_aws: FakeAws
) -> None:
    run = mfaenv("enroll")
    assert run.stderr == (
        "mfaenv: enrolling shows a QR code and asks for codes on a terminal; run it in one, "
        "or use --store pass:ENTRY or --store file:PATH\n"
    )
    assert fake_aws.requests == []


# --- rotate-key ------------------------------------------------------------------------------


def give_bob_a_device(moto_server: MotoServer, home: Home, tmp_path: Path) -> None:
    """An enabled device whose secret is in a file that bob's profile takes codes from."""
    secret_file = tmp_path / "bob.totp"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    client = iam(moto_server)
    device = client.create_virtual_mfa_device(VirtualMFADeviceName="bob")
    serial = device["VirtualMFADevice"]["SerialNumber"]
    client.enable_mfa_device(
        UserName="bob",
        SerialNumber=serial,
        AuthenticationCode1="111111",
        AuthenticationCode2="222222",
    )
    for profile in ("bob", "default"):
        write_config_profile(home, profile, serial, secret_file)


def write_config_profile(home: Home, profile: str, serial: str, secret_file: Path) -> None:
    path = home.config / "mfaenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(f'[profiles.{profile}]\nserial = "{serial}"\ntotp = "file:{secret_file}"\n')


CREDENTIALS = """\
# team keys; do not commit
[default]
aws_access_key_id = AKIADEFAULTKEY000001
aws_secret_access_key = default/secret

[bob]
; rotated by hand last year
aws_access_key_id   =   {key}
aws_secret_access_key=   {secret}
region_note = kept

[zed]
aws_access_key_id = AKIAZEDKEY0000000001
aws_secret_access_key = zed/secret
"""


def test_rotate_key_rewrites_only_its_two_values_and_deletes_the_old_key(
    mfaenv: Mfa, bob: dict[str, str], moto_server: MotoServer, home: Home, tmp_path: Path
) -> None:
    home.aws_credentials.write_text(CREDENTIALS.format(**bob))
    home.aws_credentials.chmod(0o600)
    give_bob_a_device(moto_server, home, tmp_path)
    run = mfaenv("rotate-key", "--profile", "bob")
    assert run.status == 0, run.stderr
    keys = iam(moto_server).list_access_keys(UserName="bob")["AccessKeyMetadata"]
    (new_key,) = [k["AccessKeyId"] for k in keys]
    assert new_key != bob["key"]
    text = home.aws_credentials.read_text()
    new_secret = re.search(
        r"\[bob\]\n.*\naws_access_key_id   =   \S+\naws_secret_access_key=   (\S+)", text
    )
    assert new_secret is not None
    # Only bob's two values are new (their lines keep their spacing); every other byte stays.
    assert text == CREDENTIALS.format(key=new_key, secret=new_secret.group(1))
    assert stat.S_IMODE(home.aws_credentials.stat().st_mode) == 0o600
    assert f"new key {new_key} works; old key {bob['key']} deleted" in run.stderr
    assert new_secret.group(1) not in run.stderr + run.stdout


def test_rotate_key_refuses_when_the_user_has_two_keys(
    mfaenv: Mfa, bob: dict[str, str], moto_server: MotoServer, home: Home, tmp_path: Path
) -> None:
    give_bob_a_device(moto_server, home, tmp_path)
    other = iam(moto_server).create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    before = home.aws_credentials.read_bytes()
    run = mfaenv("rotate-key", "--profile", "bob")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.splitlines()[-1] + "\n" == (
        f"mfaenv: bob has two access keys, the most IAM allows: {bob['key']} (this profile's) "
        f"and {other}; delete the one not in use first: aws iam delete-access-key --user-name "
        f"bob --access-key-id {other}\n"
    )
    assert home.aws_credentials.read_bytes() == before


def test_a_rotation_that_fails_before_the_delete_leaves_the_old_key_and_the_file(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mfaenv import rotate

    monkeypatch.setattr(rotate, "PROPAGATION_TRIES", 2)
    monkeypatch.setattr(rotate, "PROPAGATION_PAUSE", 0.1)
    write_config(home, f'[profiles.default]\nserial = "{SERIAL}"\ntotp = "command:echo 123456"\n')
    identity = identity_reply()
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(),
        GetCallerIdentity=lambda r: (
            identity(r)
            if r.access_key_id != "AKIANEWKEYNOTWORKING"
            else error("InvalidClientTokenId", "not yet", 403)
        ),
        ListAccessKeys=access_keys_reply("AKIAFAKELONGLIVED001"),
        CreateAccessKey=new_access_key_reply("AKIANEWKEYNOTWORKING", "new/secret"),
        DeleteAccessKey=empty_reply("DeleteAccessKey"),
    )
    before = home.aws_credentials.read_bytes()
    run = mfaenv("rotate-key")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == (
        "mfaenv: the new key did not start working; the new key was deleted again; the old "
        f"key AKIAFAKELONGLIVED001 still works, and {home.aws_credentials} holds it again "
        "(only its two lines changed back)\n"
    )
    assert home.aws_credentials.read_bytes() == before
    deleted = [r.params["AccessKeyId"] for r in fake_aws.requests if r.action == "DeleteAccessKey"]
    assert deleted == ["AKIANEWKEYNOTWORKING"], "only the new key is cleaned up"


def test_rotating_a_key_from_the_environment_shows_it_once_and_deletes_after_confirmation(
    bob: dict[str, str], moto_server: MotoServer, home: Home, tmp_path: Path
) -> None:
    give_bob_a_device(moto_server, home, tmp_path)
    client: Any = iam(moto_server)
    home.aws_credentials.unlink()
    env = prompting_env()
    env.update(AWS_ACCESS_KEY_ID=bob["key"], AWS_SECRET_ACCESS_KEY=bob["secret"], TERM="dumb")
    terminal = Terminal([sys.executable, "-m", "mfaenv", "rotate-key"], env)
    try:
        screen = terminal.read_until("to delete the old key \\S+: ")
        new_key = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", screen)
        assert new_key is not None
        terminal.send("delete\r")
        terminal.read_until("deleted")
    finally:
        terminal.close()
    keys = [k["AccessKeyId"] for k in client.list_access_keys(UserName="bob")["AccessKeyMetadata"]]
    assert keys == [new_key.group(1)]


# --- policy --------------------------------------------------------------------------------


def _statements(mfaenv: Mfa, *args: str) -> dict[str, dict[str, object]]:
    run = mfaenv("policy", *args)
    assert run.status == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in document["Statement"]}


def test_the_strict_policy_denies_all_but_getting_a_session_without_mfa(mfaenv: Mfa) -> None:
    statements = _statements(mfaenv)
    deny = statements["DenyEverythingElseWithoutMfa"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == "*"
    assert sorted(deny["NotAction"]) == [  # type: ignore[call-overload]
        "iam:ListMFADevices",
        "sts:GetCallerIdentity",
        "sts:GetSessionToken",
    ]
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    allow = statements["AllowListingOwnMfaDevicesToFindTheSerial"]
    assert (allow["Effect"], allow["Resource"]) == (
        "Allow",
        ["arn:aws:iam::*:user/${aws:username}"],
    )
    assert all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in statements)


def test_the_self_service_policy_also_allows_enrollment_before_mfa(mfaenv: Mfa) -> None:
    statements = _statements(mfaenv, "--style", "self-service")
    exempt = statements["DenyEverythingElseWithoutMfa"]["NotAction"]
    for action in (
        "iam:CreateVirtualMFADevice",
        "iam:EnableMFADevice",
        "iam:ResyncMFADevice",
        "iam:ChangePassword",
    ):
        assert action in exempt  # type: ignore[operator]
    own_device = statements["AllowManagingOwnVirtualMfaDeviceBeforeMfa"]
    assert own_device["Resource"] == ["arn:aws:iam::*:mfa/${aws:username}"]


def test_max_age_adds_a_deny_on_old_mfa(mfaenv: Mfa) -> None:
    statements = _statements(mfaenv, "--max-age", "8h")
    old = statements["DenyEverythingElseWithMfaOlderThan28800Seconds"]
    assert old["Effect"] == "Deny"
    assert old["Condition"] == {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "28800"}}
    assert "DenyEverythingElseWithMfaOlderThan28800Seconds" not in _statements(mfaenv)


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("command:ykman oath", "--store takes pass:ENTRY or file:PATH"),
        ("file:{existing}", "{existing} exists; enroll stores a new secret only in a new file"),
    ],
)
def test_enroll_refuses_a_store_it_cannot_use_before_any_aws_call(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, tmp_path: Path, store: str, message: str
) -> None:
    existing = tmp_path / "taken.totp"
    existing.write_text("keep me")
    before = home.files()
    run = mfaenv("enroll", "--store", store.format(existing=existing))
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == f"mfaenv: {message.format(existing=existing)}\n"
    assert fake_aws.requests == []
    assert existing.read_text() == "keep me"
    assert home.files() == before
