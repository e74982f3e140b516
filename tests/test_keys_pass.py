"""Long-lived keys encrypted at rest in pass: `keys = "pass:ENTRY"`, and `mfaenv keys
import` to move them out of the credentials file; real pass with a throwaway GnuPG key."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import boto3
import pytest
from conftest import Home, Mfa, PassStore, need, refused, write_config, write_profile
from fakeaws import SERIAL, FakeAws, error, identity_reply, session_token_reply

from mfaenv.motoserver import DemoUser, MotoServer

OTHER = (
    "; the build bot\n[bot]\naws_access_key_id = AKIAFAKEBOTKEY000001\naws_secret_access_key = b\n"
)


def pass_show(store: PassStore, entry: str) -> str:
    return subprocess.run(
        [need("pass"), "show", entry], capture_output=True, text=True, check=True
    ).stdout


def with_other_section(home: Home) -> str:
    """The credentials file with a comment and a second profile after [default]."""
    text = home.aws_credentials.read_text() + OTHER
    home.aws_credentials.write_text(text)
    return text


def test_keys_import_moves_the_keys_into_pass_and_mfa_signs_with_them(
    mfaenv: Mfa, demo: DemoUser, home: Home, pass_store: PassStore
) -> None:
    with_other_section(home)
    run = mfaenv("keys", "import", "--profile", "default", "--store", "pass:aws/default")
    assert run.status == 0, run.stderr
    assert run.stdout == ""
    assert "moved the keys of profile 'default'" in run.stderr
    assert demo.secret_access_key not in run.stderr
    # [default] gone (its lines, not the blank line after them), the rest intact.
    assert home.aws_credentials.read_text() == "\n" + OTHER
    config = (home.config / "mfaenv" / "config.toml").read_text()
    assert 'keys = "pass:aws/default"' in config
    shown = pass_show(pass_store, "aws/default")
    assert shown == f"{demo.secret_access_key}\naws_access_key_id: {demo.access_key_id}\n"
    # No plain-text copy of the secret anywhere in the home.
    assert all(demo.secret_access_key.encode() not in data for _, data in home.files().values())

    on = mfaenv.mfa("123456")
    assert on.status == 0, on.stderr
    assert "export AWS_SESSION_TOKEN=" in on.stdout
    assert demo.access_key_id not in on.stdout
    assert demo.secret_access_key not in on.stdout + on.stderr


def test_keys_import_leaves_everything_as_it_was_when_aws_refuses_the_key(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, pass_store: PassStore
) -> None:
    fake_aws.answers["GetCallerIdentity"] = lambda request: error(
        "InvalidClientTokenId", "The security token included in the request is invalid."
    )
    with_other_section(home)
    before = home.files()
    run = mfaenv("keys", "import", "--profile", "default", "--store", "pass:aws/default")
    refused(run, "AWS does not know this access key (deleted, deactivated or mistyped?)")
    assert home.files() == before
    assert not (pass_store.store / "aws" / "default.gpg").exists()


def test_keys_import_refuses_an_existing_entry_and_session_credentials(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, pass_store: PassStore
) -> None:
    pass_store.insert("aws/taken", "something else\n")
    before = home.files()
    refused(
        mfaenv("keys", "import", "--store", "pass:aws/taken"),
        "pass already has an entry 'aws/taken'; choose another, or remove it first "
        "(pass rm aws/taken)",
    )
    with home.aws_credentials.open("a") as out:
        out.write("[tmp]\naws_access_key_id = ASIA1\naws_secret_access_key = s\n")
        out.write("aws_session_token = t\n")
    before = home.files()
    refused(
        mfaenv("keys", "import", "--profile", "tmp", "--store", "pass:aws/tmp"),
        f"[tmp] in {home.aws_credentials} holds session credentials, not a long-lived key",
    )
    assert home.files() == before


@pytest.fixture
def fake_keys(fake_aws: FakeAws, home: Home, pass_store: PassStore) -> FakeAws:
    """A profile `vault` known only by its config section, its keys in pass."""
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(), GetCallerIdentity=identity_reply()
    )
    write_profile(home, "vault", "unused", "unused", mfa_serial=SERIAL)
    text = home.aws_credentials.read_text()
    home.aws_credentials.write_text(text[: text.index("[vault]")])
    write_config(home, '[profiles.vault]\nkeys = "pass:aws/vault"\n')
    return fake_aws


def test_a_profile_with_keys_in_pass_signs_with_them(
    mfaenv: Mfa, fake_keys: FakeAws, pass_store: PassStore
) -> None:
    pass_store.insert("aws/vault", "vault/secret\naws_access_key_id: AKIAFAKEVAULTKEY0001\n")
    run = mfaenv.mfa("123456", "--profile", "vault")
    assert run.status == 0, run.stderr
    signed = [r.access_key_id for r in fake_keys.requests if r.action == "GetSessionToken"]
    assert signed == ["AKIAFAKEVAULTKEY0001"]


def test_a_missing_pass_entry_and_a_gpg_that_cannot_decrypt_each_say_so(
    mfaenv: Mfa,
    fake_keys: FakeAws,
    home: Home,
    pass_store: PassStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = home.files()
    refused(
        mfaenv.mfa("123456", "--profile", "vault"),
        "pass has no entry 'aws/vault' with the long-lived keys; `mfaenv keys import "
        "--profile PROFILE --store pass:aws/vault` puts them there",
    )
    pass_store.insert("aws/vault", "vault/secret\naws_access_key_id: AKIAFAKEVAULTKEY0001\n")
    empty = tmp_path / "no-keys"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(empty))
    run = mfaenv.mfa("123456", "--profile", "vault")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: gpg could not decrypt pass entry 'aws/vault' (")
    assert run.stderr.endswith("is your key present and gpg-agent unlocked?\n")
    assert run.stderr.count("\n") == 1
    assert home.files() == before
    assert fake_keys.actions() == []
    assert os.environ["GNUPGHOME"] == str(empty)


def test_rotate_key_writes_the_new_key_into_pass(
    mfaenv: Mfa, demo: DemoUser, moto_server: MotoServer, home: Home, pass_store: PassStore
) -> None:
    run = mfaenv("keys", "import", "--store", "pass:aws/default")
    assert run.status == 0, run.stderr
    assert mfaenv.mfa("123456").status == 0
    run = mfaenv("rotate-key")
    assert run.status == 0, run.stderr
    iam = boto3.client(
        "iam",
        endpoint_url=moto_server.url,
        region_name="us-east-1",
        aws_access_key_id="admin",
        aws_secret_access_key="admin",
    )
    (new_key,) = [
        k["AccessKeyId"] for k in iam.list_access_keys(UserName="demo")["AccessKeyMetadata"]
    ]
    assert new_key != demo.access_key_id
    secret, key_line = pass_show(pass_store, "aws/default").splitlines()
    assert key_line == f"aws_access_key_id: {new_key}"
    assert f"old key {demo.access_key_id} deleted; pass:aws/default updated" in run.stderr
    assert secret not in run.stderr + run.stdout
    assert all(secret.encode() not in data for _, data in home.files().values())
