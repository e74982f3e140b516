"""Role sessions renew without a code while the MFA session lives: credential_process
(IDEs, daemons, cron: no terminal), the first call with no cached role session, and a
long-running SDK process across the role session's end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FakeClock, Home, Mfa, libfaketime, refused
from fakeaws import (
    ADMIN,
    ROLE_KEY,
    SESSION_KEY,
    FakeAws,
    Reply,
    Request,
    assume_role_reply,
)


@pytest.fixture
def fake_roles(role_aws: FakeAws, home: Home) -> FakeAws:
    """``role_aws`` with this file's role profiles."""
    with home.aws_config.open("a") as out:
        out.write(
            f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\n"
            f"[profile admin-sdk]\nregion = eu-central-1\ncredential_process = "
            f"{sys.executable} -m mfaenv credential-process --profile admin\n"
        )
    return role_aws


def assumed_by(fake: FakeAws) -> list[str | None]:
    return [r.access_key_id for r in fake.requests if r.action == "AssumeRole"]


def test_the_first_credential_process_call_chains_from_the_cached_mfa_session(
    fake_roles: FakeAws, mfaenv: Mfa
) -> None:
    assert mfaenv.mfa("123456").status == 0  # the MFA session of default, cached
    run = mfaenv("credential-process", "--profile", "admin")  # no terminal (MFAENV_NO_PROMPT)
    assert run.status == 0, run.stderr
    assert json.loads(run.stdout)["AccessKeyId"] == ROLE_KEY
    assert assumed_by(fake_roles) == [SESSION_KEY], "chained: signed by the MFA session"
    assert fake_roles.actions().count("GetSessionToken") == 1, "no second code"


def test_credential_process_renews_an_ended_role_session_while_the_mfa_session_lives(
    fake_roles: FakeAws, mfaenv: Mfa, clock: FakeClock
) -> None:
    assert mfaenv.mfa("123456", "--profile", "admin").status == 0
    clock.time += 3600 + 60  # the role session (an hour) has ended; the MFA one has not
    fake_roles.answers["AssumeRole"] = assume_role_reply(3600 + 60 + 3600)  # as AWS sees it
    run = mfaenv("credential-process", "--profile", "admin")
    assert run.status == 0, run.stderr
    assert assumed_by(fake_roles) == [SESSION_KEY, SESSION_KEY]
    assert fake_roles.actions().count("GetSessionToken") == 1


def test_with_the_mfa_session_ended_too_credential_process_says_so_in_one_line(
    fake_roles: FakeAws, mfaenv: Mfa, clock: FakeClock, home: Home
) -> None:
    assert mfaenv.mfa("123456", "--profile", "admin").status == 0
    clock.time += 13 * 3600
    before = home.files()
    refused(
        mfaenv("credential-process", "--profile", "admin"),
        "the MFA session of profile 'admin' has ended: run `mfa CODE --profile admin` "
        "with a code from your MFA device",
    )
    assert home.files() == before
    assert fake_roles.actions().count("AssumeRole") == 1


def test_direct_mode_is_not_chained(fake_roles: FakeAws, mfaenv: Mfa, home: Home) -> None:
    config = home.config / "mfaenv" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.admin]\nrole_mode = "direct"\n')
    assert mfaenv.mfa("123456").status == 0
    run = mfaenv("credential-process", "--profile", "admin")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("mfaenv: ")
    assert "AssumeRole" not in fake_roles.actions()


BOTO3_LOOP = """
import os, sys, time
import boto3

sts = boto3.Session(profile_name="admin-sdk").client("sts")
for step in range(2):
    print(sts.get_caller_identity()["Account"], flush=True)
    while step == 0 and not os.path.exists(sys.argv[1]):
        time.sleep(0.05)
"""


def test_a_long_running_sdk_process_with_no_terminal_outlives_the_role_session(
    fake_roles: FakeAws, mfaenv: Mfa, home: Home, tmp_path: Path
) -> None:
    """boto3 in its own session (setsid: no controlling terminal), stdin /dev/null, on a
    profile whose credential_process is mfaenv's for a role profile; its clock (and that
    of the mfaenv it runs) jumps 70 minutes, past the role session's end."""
    assert mfaenv.mfa("123456").status == 0  # the MFA session, cached for 12 hours
    made = len(fake_roles.requests)
    offset = {"seconds": 0}
    issued: list[str] = []

    def assume(request: Request) -> Reply:  # an hour from the caller's (faked) now
        reply = assume_role_reply(offset["seconds"] + 3600)(request)
        issued.append(f"ASIAROLE{len(issued) + 1:012d}")
        return Reply(reply.status, reply.body.replace(ROLE_KEY, issued[-1]))

    fake_roles.answers["AssumeRole"] = assume
    clock_file = tmp_path / "faketime"
    clock_file.write_text("+0\n")
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k != "MFAENV_NO_PROMPT"}
    env.update(
        LD_PRELOAD=libfaketime(), FAKETIME_TIMESTAMP_FILE=str(clock_file), FAKETIME_NO_CACHE="1"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", BOTO3_LOOP, str(go)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "111122223333\n"
        clock_file.write_text("+4200\n")  # 70 minutes on: the role session has ended
        offset["seconds"] = 4200
        go.touch()
        assert process.stdout.readline() == "111122223333\n"
        assert process.wait(60) == 0
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert stderr == ""
    later = fake_roles.requests[made:]
    calls = [r.access_key_id for r in later if r.action == "GetCallerIdentity"]
    assert calls == issued == ["ASIAROLE000000000001", "ASIAROLE000000000002"]
    assert assumed_by(fake_roles) == [SESSION_KEY, SESSION_KEY], "chained, no code"
    assert fake_roles.actions().count("GetSessionToken") == 1


def test_mfa_for_a_role_chains_from_an_mfa_session_in_its_last_minutes_without_a_code(
    fake_roles: FakeAws, mfaenv: Mfa, clock: FakeClock
) -> None:
    assert mfaenv.mfa("123456").status == 0  # the MFA session of default: 12 hours
    clock.time += 12 * 3600 - 180  # 3 minutes left: too few to reuse it, enough to chain
    fake_roles.answers["AssumeRole"] = assume_role_reply(12 * 3600 + 3600)  # as AWS sees it
    run = mfaenv.mfa("--profile", "admin")
    assert run.status == 0, run.stderr
    assert f"export AWS_ACCESS_KEY_ID='{ROLE_KEY}'" in run.stdout
    assert assumed_by(fake_roles) == [SESSION_KEY]
    assert fake_roles.actions().count("GetSessionToken") == 1
