"""`keys = "keyring"`: the long-lived key pair in the OS keystore through the keyring
library (the optional extra `mfaenv[keyring]`); in tests the file backend of keyrings.alt,
since CI has no desktop session."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Home, Mfa, refused, write_config
from fakeaws import SERIAL, FakeAws, identity_reply, session_token_reply

LONG_LIVED = "AKIAFAKELONGLIVED001"


def need_module(name: str) -> Any:
    """The module ``name``; a failure in CI when it is missing, else a skip."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed, and CI must run every test")
        pytest.skip(f"{name} is not installed")


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """keyring with keyrings.alt's file backend, under this test's own data directory."""
    keyring = need_module("keyring")
    backend = need_module("keyrings.alt.file")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = keyring.get_keyring()
    store = backend.PlaintextKeyring()
    keyring.set_keyring(store)
    yield keyring
    keyring.set_keyring(before)


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
