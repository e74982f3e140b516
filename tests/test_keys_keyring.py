"""`keys = "keyring"`: the long-lived key pair in the OS keystore through the keyring
library (the optional extra `mfaenv[keyring]`); in tests the file backend of keyrings.alt,
since CI has no desktop session."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Home, Mfa, need_module, refused, write_config
from fakeaws import SERIAL, FakeAws, identity_reply, session_token_reply

LONG_LIVED = "AKIAFAKELONGLIVED001"


@pytest.fixture
def fake(fake_aws: FakeAws) -> FakeAws:
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(), GetCallerIdentity=identity_reply()
    )
    return fake_aws


def test_keys_import_into_the_keyring_and_mfa_signs_with_the_keys_from_it(
    mfaenv: Mfa, fake: FakeAws, home: Home, keyring_file: Any
) -> None:
    run = mfaenv("keys", "import", "--store", "keyring")
    assert run.status == 0, run.stderr
    assert "into the keyring (default)" in run.stderr
    assert "[default]" not in home.aws_credentials.read_text()
    config = (home.config / "mfaenv" / "config.toml").read_text()
    assert 'keys = "keyring"' in config
    stored = keyring_file.get_password("mfaenv", "default")
    assert stored == f"long/lived+secret\naws_access_key_id: {LONG_LIVED}\n"

    fake.requests.clear()
    on = mfaenv.mfa("123456", "--serial", SERIAL)
    assert on.status == 0, on.stderr
    assert [r.access_key_id for r in fake.requests] == [LONG_LIVED]


def test_a_profile_without_keys_in_the_keyring_and_no_keystore_each_say_so(
    mfaenv: Mfa, fake: FakeAws, home: Home, keyring_file: Any
) -> None:
    write_config(home, '[profiles.default]\nkeys = "keyring"\n')
    before = home.files()
    refused(
        mfaenv.mfa("123456", "--serial", SERIAL),
        "the keyring has no keys for profile 'default'; `mfaenv keys import --profile "
        "default --store keyring` puts them there",
    )
    fail = need_module("keyring.backends.fail")
    keyring_file.set_keyring(fail.Keyring())
    refused(
        mfaenv.mfa("123456", "--serial", SERIAL),
        "no OS keystore is available to the keyring library (Secret Service, macOS "
        "Keychain, ...); start one, or keep the keys in pass:ENTRY",
    )
    assert home.files() == before
    assert fake.actions() == []
