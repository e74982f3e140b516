"""`mfa status --all` and `mfa status --profile P`: every cached session, whoever made it."""

from __future__ import annotations

import json
import re
import time

from conftest import FakeClock, Home, Mfa, refused, write_config, write_profile
from fakeaws import SERIAL, USER_ARN

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session

ROLE = "arn:aws:iam::210987654321:role/Admin"


def _sessions(home: Home, clock: FakeClock) -> None:
    cache = Cache(home.cache / "mfaenv")
    now = int(clock.now())
    cache.save_session(
        Session("dev", Credentials("ASIADEV", "s", "t"), now + 2 * 3600 + 5 * 60, SERIAL, USER_ARN)
    )
    cache.save_session(
        Session(
            "admin",
            Credentials("ASIAADMIN", "s", "t"),
            now + 30 * 60 + 30,
            SERIAL,
            USER_ARN,
            role_arn=ROLE,
        )
    )
    cache.save_session(Session("old", Credentials("ASIAOLD", "s", "t"), now - 60, SERIAL))


def test_status_all_lists_every_cached_session_and_the_profiles_without_one(
    mfaenv: Mfa, home: Home, clock: FakeClock
) -> None:
    _sessions(home, clock)
    write_profile(home, "dev", "AKIADEV", "secret")
    write_profile(home, "prod", "AKIAPROD", "secret")
    write_config(home, '[profiles.staging]\nduration = "1h"\n')
    run = mfaenv("status", "--all")
    assert (run.status, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["PROFILE", "ROLE", "USER", "DEVICE", "EXPIRES", "LEFT"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == ["admin", "dev", "old", "prod", "staging"]
    assert rows["dev"].split()[1:4] == ["-", USER_ARN, SERIAL]
    assert rows["dev"].endswith(" 2h05m left")
    assert rows["admin"].split()[1] == "Admin@210987654321"
    assert rows["admin"].endswith(" 30m left")
    assert rows["old"].endswith(" expired")
    assert rows["prod"].split()[1:] == ["-", "-", "-", "no", "session"]


def test_status_all_json_is_for_scripts(mfaenv: Mfa, home: Home, clock: FakeClock) -> None:
    _sessions(home, clock)
    write_profile(home, "prod", "AKIAPROD", "secret")
    run = mfaenv("status", "--all", "--json")
    assert (run.status, run.stderr) == (0, "")
    document = json.loads(run.stdout)
    by_name = {row["name"]: row for row in document["sessions"]}
    assert sorted(by_name) == ["admin", "dev", "old"]
    assert by_name["admin"]["role"] == ROLE
    assert by_name["dev"]["remaining_seconds"] == 2 * 3600 + 5 * 60
    assert by_name["old"]["expired"] is True
    assert document["profiles_without_session"] == ["prod"]


def test_status_all_without_a_live_session_exits_1(mfaenv: Mfa, home: Home) -> None:
    run = mfaenv("status", "--all", "--json")
    assert run.status == 1
    assert json.loads(run.stdout) == {"sessions": [], "profiles_without_session": []}


def test_status_profile_shows_one_cached_session(mfaenv: Mfa, home: Home, clock: FakeClock) -> None:
    _sessions(home, clock)
    run = mfaenv("status", "--profile", "admin")
    assert (run.status, run.stderr) == (0, "")
    assert run.stdout.splitlines()[0] == "profile  admin"
    assert f"role     {ROLE} (Admin@210987654321)" in run.stdout
    assert "(30m left)" in run.stdout
    run = mfaenv("status", "--profile", "dev", "--json")
    assert json.loads(run.stdout)["access_key_id"] == "ASIADEV"
    refused(mfaenv("status", "--profile", "nope"), "no cached MFA session for profile 'nope'")


def test_a_session_made_by_credential_process_is_listed(
    mfaenv: Mfa, home: Home, clock: FakeClock
) -> None:
    """credential-process caches under the key profile's name, like mfa does."""
    Cache(home.cache / "mfaenv").save_session(
        Session("dev-long-term", Credentials("ASIACP", "s", "t"), int(time.time()) + 3600, SERIAL)
    )
    run = mfaenv("status", "--all")
    (row,) = [line for line in run.stdout.splitlines() if line.startswith("dev-long-term ")]
    assert re.search(r" (59m|1h00m) left$", row)


def test_a_damaged_cache_file_is_not_listed(mfaenv: Mfa, home: Home, clock: FakeClock) -> None:
    _sessions(home, clock)
    damaged = home.cache / "mfaenv" / "sessions" / "dev.json"
    damaged.chmod(0o644)
    run = mfaenv("status", "--all")
    assert run.status == 0
    assert "ASIADEV" not in run.stdout and not run.stdout.splitlines()[1].startswith("dev ")
