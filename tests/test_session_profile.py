"""Commands that act on a profile act, inside a session, on the session's own profile:
not on `default`, nor on the AWS_PROFILE the session set aside."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from conftest import Home, transcript, write_profile
from fakeaws import (
    ADMIN,
    FakeAws,
)

from mfaenv.motoserver import DemoUser


def keys_of(home: Home) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(home.aws_credentials)
    return {name: parser[name]["aws_access_key_id"] for name in parser.sections()}


def test_rotate_key_in_a_session_rotates_the_sessions_profile(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key)
    before = keys_of(home)
    env = dict(os.environ, AWS_PROFILE="default")
    t = transcript("bash", ["mfa 123456 --profile dev", "mfaenv rotate-key"], tmp_path, env)
    assert [s.status for s in t.steps] == [0, 0, 0], t.stderr
    after = keys_of(home)
    assert after["default"] == before["default"], "not the profile set aside"
    assert after["dev"] != before["dev"], "the session's profile"
    assert f"old key {demo.access_key_id} deleted" in t.stderr


def test_keys_import_in_a_session_moves_the_keys_of_the_sessions_profile(
    demo: DemoUser, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", demo.access_key_id, demo.secret_access_key)
    t = transcript(
        "bash", ["mfa 123456 --profile dev", "mfaenv keys import --store keyring"], tmp_path
    )
    assert [s.status for s in t.steps] == [0, 0, 0], t.stderr
    assert f"moved the keys of profile 'dev' ({demo.access_key_id}) into the keyring" in t.stderr
    assert set(keys_of(home)) == {"default"}, "dev's keys moved; default's left alone"


def test_in_a_role_profiles_session_they_act_on_the_profile_whose_keys_assume_it(
    role_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    write_profile(home, "dev", "AKIAFAKEDEVLONGLIVED", "dev/long+secret")
    with home.aws_config.open("a") as out:
        out.write(f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = dev\n")
    t = transcript(
        "bash", ["mfa 123456 --profile admin", "mfaenv keys import --store keyring"], tmp_path
    )
    assert [s.status for s in t.steps] == [0, 0, 0], t.stderr
    assert "moved the keys of profile 'dev' (AKIAFAKEDEVLONGLIVED) into the keyring" in t.stderr
    assert set(keys_of(home)) == {"default"}
