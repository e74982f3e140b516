"""What each command that writes the AWS files promises besides the table of shapes
(issue 20): what --save-as refuses and what it tells apart, the session kept when a write
fails after the code was spent, rotate-key's restore into the file as it is then, links
to folders, and the temporary files a killed mfaenv left."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from conftest import SECRET, Home, Mfa, refused, write_config
from fakeaws import (
    SERIAL,
    SESSION_SECRET,
    SESSION_TOKEN,
    FakeAws,
    Reply,
    Request,
    access_keys_reply,
    devices_reply,
    empty_reply,
    error,
    identity_reply,
    new_access_key_reply,
    session_token_reply,
    virtual_device_reply,
)

from mfaenv.motoserver import DemoUser

LONG_KEY = "AKIAFAKELONGLIVED001"
NEW_KEY, NEW_SECRET = "AKIAFAKENEWKEY000002", "new/secret+NEWSECRET"


@pytest.fixture
def fake(fake_aws: FakeAws, home: Home) -> FakeAws:
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(), GetCallerIdentity=identity_reply()
    )
    return fake_aws


def test_save_as_refuses_a_profile_whose_long_lived_key_is_in_the_config_file(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write(
            "[profile ci]\naws_access_key_id = AKIAFAKECIKEY0000001\naws_secret_access_key = x\n"
        )
    before = home.files()
    refused(
        mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "ci"),
        f"[profile ci] in {home.aws_config} holds the long-lived access key "
        "AKIAFAKECIKEY0000001; mfaenv never overwrites it: choose another --save-as name",
    )
    assert home.files() == before
    assert fake.actions() == [], "no code spent"


def test_save_as_refuses_a_profile_other_profiles_take_their_keys_from(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    with home.aws_config.open("a") as out:
        out.write("[profile admin]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = base\n")
    before = home.files()
    refused(
        mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "base"),
        f"profile 'admin' in {home.aws_config} takes its keys from profile 'base' "
        "(source_profile); a session saved as [base] would replace them: choose another "
        "--save-as name",
    )
    assert home.files() == before
    assert fake.actions() == []


def test_a_session_key_that_starts_akia_is_still_a_session_so_it_is_saved_again_and_unsaved(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    """The sandbox's moto hands out session keys that start AKIA: a key with a token is a
    session whatever its prefix."""
    for key, code in (("AKIAMOTOSESSION00001", "123456"), ("AKIAMOTOSESSION00002", "654321")):
        fake.answers["GetSessionToken"] = session_token_reply(key=key)
        run = mfaenv.mfa(code, "--serial", SERIAL, "--save-as", "legacy")
        assert run.status == 0, run.stderr
        assert f"aws_access_key_id = {key}\n" in home.aws_credentials.read_text()
    run = mfaenv("unsave", "legacy")
    assert run.status == 0, run.stderr
    assert "legacy" not in home.aws_credentials.read_text()
    assert "legacy" not in home.aws_config.read_text()


def test_the_saved_profile_has_the_sessions_region_so_sdks_need_no_region_variable(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    home.aws_config.write_text("[default]\nregion = eu-central-1\n")
    run = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
    assert run.status == 0, run.stderr
    assert "AWS_REGION" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ
    session = boto3.session.Session(profile_name="legacy")
    assert session.region_name == "eu-central-1"
    assert session.get_credentials().token == SESSION_TOKEN
    assert home.aws_config.read_text().endswith("\n[profile legacy]\nregion = eu-central-1\n")
    assert mfaenv("unsave", "legacy").status == 0
    assert "legacy" not in home.aws_config.read_text(), "unsave removes both"


def test_a_write_that_fails_after_the_code_was_spent_still_gives_the_shell_its_session(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    answer = session_token_reply()

    def meanwhile(request: Request) -> Reply:
        # Between the checks and the write, something puts a folder where the file was.
        home.aws_credentials.unlink()
        home.aws_credentials.mkdir()
        return answer(request)

    fake.answers["GetSessionToken"] = meanwhile
    run = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
    assert run.status == 0
    assert f"export AWS_SESSION_TOKEN='{SESSION_TOKEN}'" in run.stdout
    assert (
        f"mfaenv: the session was not saved as profile 'legacy': {home.aws_credentials} "
        "is not a regular file\n"
    ) in run.stderr
    assert SESSION_SECRET not in run.stderr


def test_a_failed_rotation_puts_back_only_the_key_into_the_file_as_it_is_now(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mfaenv import rotate

    monkeypatch.setattr(rotate, "PROPAGATION_TRIES", 2)
    write_config(home, f'[profiles.default]\nserial = "{SERIAL}"\ntotp = "command:echo 123456"\n')
    identity = identity_reply()
    added = "\n[added-meanwhile]\naws_access_key_id = AKIAOTHERTOOL0000001\n"

    def new_key_not_working(request: Request) -> Reply:
        if request.access_key_id != NEW_KEY:
            return identity(request)
        # Another tool adds a profile while mfaenv waits for the new key to work.
        if added not in home.aws_credentials.read_text():
            with home.aws_credentials.open("a") as out:
                out.write(added)
        return error("InvalidClientTokenId", "not yet", 403)

    fake_aws.answers.update(
        GetSessionToken=session_token_reply(),
        GetCallerIdentity=new_key_not_working,
        ListAccessKeys=access_keys_reply(LONG_KEY),
        CreateAccessKey=new_access_key_reply(NEW_KEY, NEW_SECRET),
        DeleteAccessKey=empty_reply("DeleteAccessKey"),
    )
    before = home.aws_credentials.read_text()
    run = mfaenv("rotate-key")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == (
        "mfaenv: the new key did not start working; the new key was deleted again; the old "
        f"key {LONG_KEY} still works, and {home.aws_credentials} holds it again (only its two "
        "lines changed back)\n"
    )
    assert home.aws_credentials.read_text() == before + added, "the other tool's profile kept"


def test_enroll_works_with_the_mfaenv_config_and_cache_folders_behind_links(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    dotfiles = tmp_path / "dotfiles"
    for name, link in (("config", home.config / "mfaenv"), ("cache", home.cache / "mfaenv")):
        (dotfiles / name).mkdir(parents=True, mode=0o700)
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(dotfiles / name)
    fake_aws.answers.update(
        GetCallerIdentity=identity_reply(),
        ListMFADevices=devices_reply(),
        CreateVirtualMFADevice=virtual_device_reply(SECRET),
        EnableMFADevice=empty_reply("EnableMFADevice"),
    )
    secret_file = tmp_path / "alice.totp"
    run = mfaenv("enroll", "--store", f"file:{secret_file}")
    assert run.status == 0, run.stderr
    assert (home.config / "mfaenv").is_symlink() and (home.cache / "mfaenv").is_symlink()
    assert f'serial = "{SERIAL}"' in (dotfiles / "config" / "config.toml").read_text()
    assert "DeleteVirtualMFADevice" not in fake_aws.actions()


def test_enroll_refuses_a_config_it_could_not_write_before_it_makes_a_device(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    (home.config / "mfaenv").mkdir(parents=True)
    (home.config / "mfaenv" / "config.toml").write_text("[profiles\n")  # not TOML
    fake_aws.answers.update(GetCallerIdentity=identity_reply(), ListMFADevices=devices_reply())
    run = mfaenv("enroll", "--store", f"file:{tmp_path / 'alice.totp'}")
    assert (run.status, run.stdout) == (1, "")
    assert "CreateVirtualMFADevice" not in fake_aws.actions()


def test_a_temporary_file_a_killed_mfaenv_left_is_removed_by_the_next_write(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    left = home.aws_credentials.parent / ".credentials.mfaenv-4194304-0badf00d.tmp"
    older = home.aws_credentials.parent / ".credentials.31337-deadbeef.tmp"  # earlier versions
    for temp in (left, older):
        temp.write_text("[default]\naws_secret_access_key = half-written\n")
        temp.chmod(0o600)
    someone_elses = home.aws_credentials.parent / ".credentials.swp"
    someone_elses.write_text("an editor's")
    run = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
    assert run.status == 0, run.stderr
    assert sorted(p.name for p in home.aws_credentials.parent.iterdir()) == [
        ".credentials.swp",
        "config",
        "credentials",
    ]


def test_the_sandbox_saves_and_unsaves_its_moto_sessions_again_and_again(
    mfaenv: Mfa, demo: DemoUser, home: Home
) -> None:
    """moto's session keys start AKIA, as long-lived keys do: the token tells them apart."""
    before = home.aws_credentials.read_bytes()
    for code in ("111111", "222222", "333333"):
        run = mfaenv.mfa(code, "--serial", demo.serial, "--save-as", "legacy")
        assert run.status == 0, run.stderr
        saved = boto3.session.Session(profile_name="legacy").get_credentials()
        assert saved is not None and saved.token
        assert saved.access_key.startswith("AKIA")
        run = mfaenv("unsave", "legacy")
        assert run.status == 0, run.stderr
        assert home.aws_credentials.read_bytes() == before


def test_a_file_another_program_holds_open_for_writing_is_left_alone_until_it_is_done(
    mfaenv: Mfa, fake: FakeAws, home: Home
) -> None:
    """An editor or a script in the middle of rewriting the file in place: mfaenv waits
    (on the fake clock here), then refuses with one line; once it is closed, it saves."""
    before = home.aws_credentials.read_bytes()
    writer = os.open(home.aws_credentials, os.O_WRONLY)
    try:
        run = mfaenv.mfa("123456", "--serial", SERIAL, "--save-as", "legacy")
    finally:
        os.close(writer)
    assert run.status == 0, "the session is the shell's all the same"
    assert (
        f"mfaenv: the session was not saved as profile 'legacy': {home.aws_credentials} kept "
        "changing while mfaenv was updating it (another program is writing it); nothing "
        "written: try again\n"
    ) in run.stderr
    assert home.aws_credentials.read_bytes() == before
    run = mfaenv.mfa("--save-as", "legacy")
    assert run.status == 0, run.stderr
    assert "[legacy]" in home.aws_credentials.read_text()
