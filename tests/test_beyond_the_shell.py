"""The same MFA session for every tool: credential_process, mfaenv exec, and concurrent refresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from conftest import Home, Mfa, totp_file, transcript, write_config, write_profile
from fakeaws import SERIAL, SESSION_KEY, SESSION_TOKEN, FakeAws, identity_reply, session_token_reply

PROCESS = f"{sys.executable} -m mfaenv credential-process --profile dev-long-term"


@pytest.fixture
def paired_profiles(home: Home, fake_aws: FakeAws, tmp_path: Path) -> FakeAws:
    """dev-long-term holds the keys; dev gets MFA sessions from mfaenv; codes from a file."""
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    write_profile(home, "dev-long-term", "AKIADEVLONGTERM00001", "dev/long+term")
    with home.aws_config.open("a") as out:
        out.write(f"[profile dev]\nregion = us-east-1\ncredential_process = {PROCESS}\n")
    secret = totp_file(tmp_path)
    write_config(home, f'[profiles.dev-long-term]\nserial = "{SERIAL}"\ntotp = "file:{secret}"\n')
    return fake_aws


def test_botocore_gets_the_session_through_credential_process_and_the_shell_shares_it(
    paired_profiles: FakeAws, tmp_path: Path
) -> None:
    session = boto3.Session(profile_name="dev")
    frozen = session.get_credentials().get_frozen_credentials()
    assert (frozen.access_key, frozen.token) == (SESSION_KEY, SESSION_TOKEN)
    sts = session.client("sts", endpoint_url=paired_profiles.url)
    assert sts.get_caller_identity()["Account"] == "111122223333"
    assert paired_profiles.requests[-1].access_key_id == SESSION_KEY, "signed with the session"

    t = transcript("bash", ["mfa --profile dev-long-term"], tmp_path)
    assert t[1].status == 0, t.stderr
    assert t[1].env["AWS_SESSION_TOKEN"] == SESSION_TOKEN
    assert paired_profiles.actions().count("GetSessionToken") == 1, "one session for all"
    first = paired_profiles.requests[0]
    assert first.access_key_id == "AKIADEVLONGTERM00001"


def test_credential_process_prints_version_1_json_only(
    paired_profiles: FakeAws, mfaenv: Mfa
) -> None:
    run = mfaenv("credential-process", "--profile", "dev-long-term")
    assert run.status == 0, run.stderr
    document = json.loads(run.stdout)
    assert set(document) == {
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    }
    assert document["Version"] == 1
    assert document["Expiration"].endswith("Z")


def test_a_profile_pointing_credential_process_at_itself_is_refused(
    home: Home, fake_aws: FakeAws, mfaenv: Mfa
) -> None:
    with home.aws_config.open("a") as out:
        out.write(
            f"[profile loop]\ncredential_process = {sys.executable} -m mfaenv "
            "credential-process --profile loop\n"
        )
    run = mfaenv(
        "credential-process",
        "--profile",
        "loop",
        "--serial",
        SERIAL,
        "--totp",
        "command:echo 123456",
    )
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == (
        "mfaenv: profile 'loop' gets its keys from mfaenv credential-process, which gets them "
        "from a profile with long-lived keys: give mfa or credential-process that profile "
        "(default), not this one\n"
    )
    assert fake_aws.requests == []


def test_exec_runs_a_command_with_the_session_and_passes_its_exit_code(
    paired_profiles: FakeAws, tmp_path: Path
) -> None:
    out = tmp_path / "seen"
    t = transcript(
        "bash",
        [
            "mfa exec --profile dev-long-term -- "
            f"sh -c 'echo \"$AWS_SESSION_TOKEN $MFAENV_PROFILE\" > {out}; exit 3'"
        ],
        tmp_path,
    )
    assert t[1].status == 3
    assert out.read_text() == f"{SESSION_TOKEN} dev-long-term\n"
    assert t[1].env == t.before, "the calling shell is left alone"


def test_exec_of_a_missing_command(paired_profiles: FakeAws, mfaenv: Mfa) -> None:
    run = mfaenv("exec", "--profile", "dev-long-term", "--", "no-such-command-x")
    assert (run.status, run.stdout) == (127, "")
    assert run.stderr == "mfaenv: cannot run 'no-such-command-x': not found\n"


def test_exec_needs_a_command(mfaenv: Mfa) -> None:
    run = mfaenv("exec", "--")
    assert (run.status, run.stderr) == (
        2,
        "mfaenv: nothing to run: mfa exec [--profile P] -- COMMAND [ARGS...]\n",
    )


def test_two_processes_refreshing_at_once_spend_one_code_and_share_the_session(
    paired_profiles: FakeAws, home: Home
) -> None:
    argv = [sys.executable, "-m", "mfaenv", "credential-process", "--profile", "dev-long-term"]
    procs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4, outputs
    documents = {out for out, _ in outputs}
    assert len(documents) == 1, "every process got the same session"
    assert paired_profiles.actions().count("GetSessionToken") == 1
    cached = home.cache / "mfaenv" / "sessions" / "dev-long-term.json"
    assert json.loads(cached.read_text())["session_token"] == SESSION_TOKEN
    assert not [p for p in cached.parent.iterdir() if p.name.endswith(".tmp")]


def test_exec_inside_a_session_uses_the_stashed_keys(
    fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    home.aws_credentials.unlink()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAENVLONGLIVED0001", AWS_SECRET_ACCESS_KEY="env")
    cached = home.cache / "mfaenv" / "sessions" / "default.json"
    t = transcript(
        "bash",
        [
            f"mfa 111111 --serial {SERIAL}",
            "mfa exec -- true",  # reuses the cached session: made from the stashed key
            f"rm {cached}",
            f"mfa exec --serial {SERIAL} --totp 'command:echo 222222' -- true",
        ],
        tmp_path,
        env,
    )
    assert [s.status for s in t.steps] == [0] * 5, t.stderr
    assert [r.access_key_id for r in fake_aws.requests] == ["AKIAENVLONGLIVED0001"] * 2
