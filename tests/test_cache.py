"""The session cache: private, atomic, and never trusted when it looks wrong."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from conftest import Home, Mfa, refused
from fakeaws import SERIAL, FakeAws, session_token_reply

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session, fingerprint


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cached_session(home: Home, minutes_left: float, source: str | None = None) -> Session:
    session = Session(
        profile="default",
        credentials=Credentials("ASIACACHED", "cached/secret", "cached-token"),
        expires=int(time.time() + minutes_left * 60),
        serial=SERIAL,
        source=source,
    )
    Cache(home.cache / "mfaenv").save_session(session)
    return session


def test_the_cache_is_private_and_holds_only_session_credentials(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    assert mfaenv.mfa("424242", "--serial", SERIAL).status == 0
    root = home.cache / "mfaenv"
    assert _mode(root) == 0o700
    assert _mode(root / "sessions") == 0o700
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files, "a session was cached"
    for path in files:
        assert _mode(path) == 0o600, path
        content = path.read_bytes()
        assert b"long/lived+secret" not in content and b"AKIAFAKELONGLIVED001" not in content
        assert b"424242" not in content, "the code is never stored"
        assert not path.name.endswith(".tmp")


def test_reuse_prints_the_cached_session(mfaenv: Mfa, home: Home) -> None:
    _cached_session(home, minutes_left=60)
    run = mfaenv.mfa()
    assert run.status == 0, run.stderr
    assert "export AWS_ACCESS_KEY_ID='ASIACACHED'\n" in run.stdout
    assert "export AWS_SESSION_TOKEN='cached-token'\n" in run.stdout


def test_a_session_within_five_minutes_of_its_end_is_not_reused(mfaenv: Mfa, home: Home) -> None:
    _cached_session(home, minutes_left=4.5)
    run = mfaenv.mfa()
    assert run.stdout == "" and run.status == 1
    assert run.stderr == (
        "mfaenv: the MFA session of profile 'default' has ended (4m left, too close to its "
        "end to use): run `mfa CODE --profile default` with a code from your MFA device\n"
    )


def test_a_session_past_its_end_is_said_to_have_ended(mfaenv: Mfa, home: Home) -> None:
    _cached_session(home, minutes_left=-1)
    refused(
        mfaenv.mfa(),
        "the MFA session of profile 'default' has ended: run `mfa CODE --profile default` "
        "with a code from your MFA device",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "is damaged (not valid JSON)"),
        (
            b'{"version": 1, "profile": "default", "access_key_id": "A',
            "is damaged (not valid JSON)",
        ),
        (
            b'{"version": 1, "profile": "default"}',
            "is damaged (field 'access_key_id' is missing or not text)",
        ),
        (b"[]", "is damaged (not a version 1 session record)"),
    ],
)
def test_a_damaged_cache_file_is_not_used_and_not_changed(
    mfaenv: Mfa, home: Home, content: bytes, reason: str
) -> None:
    path = Path(Cache(home.cache / "mfaenv").session_path("default"))
    _cached_session(home, minutes_left=60)
    path.write_bytes(content)
    before = home.files()
    run = mfaenv.mfa()
    assert run.stdout == "" and run.status == 1
    assert (
        run.stderr == f"mfaenv: {path} {reason}; not using it: run `mfa CODE` for a new session\n"
    )
    assert home.files() == before


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o640, 0o604])
def test_a_cache_file_open_to_others_is_not_used(mfaenv: Mfa, home: Home, mode: int) -> None:
    _cached_session(home, minutes_left=60)
    path = Path(Cache(home.cache / "mfaenv").session_path("default"))
    path.chmod(mode)
    run = mfaenv.mfa()
    assert run.stdout == "" and run.status == 1
    assert f"{path} is open to other users (mode {mode:04o})" in run.stderr
    assert run.stderr.count("\n") == 1


def test_a_cache_file_of_another_user_is_not_used(mfaenv: Mfa, home: Home) -> None:
    if os.getuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root, which this test needs to give a file away")
        pytest.skip("needs root to give a file to another user")
    _cached_session(home, minutes_left=60)
    path = Path(Cache(home.cache / "mfaenv").session_path("default"))
    os.chown(path, 65534, 65534)
    run = mfaenv.mfa()
    assert run.stdout == "" and run.status == 1
    assert run.stderr == (
        f"mfaenv: {path} belongs to another user; not using it: run `mfa CODE` for a new session\n"
    )


def test_a_symlinked_cache_file_is_not_followed(mfaenv: Mfa, home: Home, tmp_path: Path) -> None:
    _cached_session(home, minutes_left=60)
    path = Path(Cache(home.cache / "mfaenv").session_path("default"))
    target = tmp_path / "elsewhere.json"
    path.rename(target)
    path.symlink_to(target)
    run = mfaenv.mfa()
    assert run.stdout == "" and run.status == 1
    assert f"{path} is a symbolic link" in run.stderr


def test_a_session_made_from_another_key_than_the_environments_is_not_reused(
    mfaenv: Mfa, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cached_session(home, minutes_left=60, source=fingerprint("AKIAOLDKEY"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANEWKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "new")
    run = mfaenv.mfa()
    assert run.stdout == "" and run.status == 1
    assert "was made from another access key" in run.stderr
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOLDKEY")
    assert mfaenv.mfa().status == 0


def test_a_loose_cache_directory_is_tightened_on_write(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    root = home.cache / "mfaenv"
    root.mkdir(parents=True)
    root.chmod(0o755)
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    assert mfaenv.mfa("123456", "--serial", SERIAL).status == 0
    assert _mode(root) == 0o700
