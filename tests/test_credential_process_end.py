"""credential_process to the real end: served until it ends, renewed early with a source."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import (
    FakeClock,
    Home,
    Mfa,
    default_totp_source,
    refused,
    totp_file,
    write_config,
)
from fakeaws import SERIAL, SESSION_KEY, FakeAws, session_token_reply

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session
from mfaenv.timefmt import to_rfc3339


def _cache(home: Home, clock: FakeClock, seconds_left: int) -> Session:
    session = Session(
        profile="default",
        credentials=Credentials("ASIACACHED", "cached/secret", "cached-token"),
        expires=int(clock.now()) + seconds_left,
        serial=SERIAL,
    )
    Cache(home.cache / "mfaenv").save_session(session)
    return session


def _process(mfaenv: Mfa) -> dict[str, object]:
    run = mfaenv("credential-process", "--profile", "default")
    assert (run.status, run.stderr) == (0, ""), run.stderr
    document: dict[str, object] = json.loads(run.stdout)
    return document


def test_with_no_way_to_get_a_code_the_session_is_served_until_its_true_end(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, clock: FakeClock
) -> None:
    session = _cache(home, clock, seconds_left=4 * 60)
    for _ in range(2):  # 4 minutes, then 1 second left: SDKs get the true expiry
        document = _process(mfaenv)
        assert document["AccessKeyId"] == "ASIACACHED"
        assert document["Expiration"] == to_rfc3339(session.expires)
        clock.time = session.expires - 1
    assert fake_aws.requests == [], "no AWS call while the cached session lasts"
    clock.time = session.expires
    refused(
        mfaenv("credential-process", "--profile", "default"),
        "the MFA session of profile 'default' has ended: run `mfa CODE --profile default` "
        "with a code from your MFA device",
    )


def test_with_a_totp_source_it_renews_fifteen_minutes_before_the_end(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, clock: FakeClock, tmp_path: Path
) -> None:
    default_totp_source(home, totp_file(tmp_path))
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    session = _cache(home, clock, seconds_left=16 * 60)
    assert _process(mfaenv)["AccessKeyId"] == "ASIACACHED"
    assert fake_aws.requests == []
    clock.time = session.expires - 15 * 60
    document = _process(mfaenv)
    assert document["AccessKeyId"] == SESSION_KEY, "renewed with a code from the source"
    assert [r.action for r in fake_aws.requests] == ["GetSessionToken"]


def test_a_session_shorter_than_thirty_minutes_is_warned_about(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    default_totp_source(home, totp_file(tmp_path))
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    run = mfaenv("credential-process", "--profile", "default", "--duration", "20m")
    assert run.status == 0
    assert json.loads(run.stdout)["AccessKeyId"] == SESSION_KEY
    assert run.stderr.count("\n") == 1
    assert "SDKs run credential_process before every request" in run.stderr
    assert re.match(r"mfaenv: this session lasts (19|20)m: ", run.stderr)
    # Served from the cache afterwards: no warning each time.
    again = mfaenv("credential-process", "--profile", "default", "--duration", "20m")
    assert (again.status, again.stderr) == (0, "")


def test_a_short_duration_for_a_profile_used_by_credential_process_is_warned_about(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    warning = (
        "mfaenv: a session of 20m is shorter than 30 minutes: SDKs using profile 'dev' "
        "(credential_process) would run mfaenv before every request; ask for at least 30m "
        "(--duration, duration in the config)\n"
    )
    made = "mfaenv: MFA session for profile 'default', 20m left\n"
    alone = mfaenv.mfa("123456", "--serial", SERIAL, "--duration", "20m")
    assert (alone.status, alone.stderr) == (0, made), "no profile asks mfaenv for it"
    with home.aws_config.open("a") as out:
        out.write(
            "\n[profile dev]\nregion = eu-west-1\n"
            "credential_process = mfaenv credential-process --profile default\n"
        )
    asked = mfaenv.mfa("234567", "--serial", SERIAL, "--duration", "20m")
    assert (asked.status, asked.stderr) == (0, warning + made)
    write_config(home, '[profiles.default]\nduration = "20m"\n')
    configured = mfaenv.mfa("345678", "--serial", SERIAL)
    assert (configured.status, configured.stderr) == (0, warning + made)
    enough = mfaenv.mfa("456789", "--serial", SERIAL, "--duration", "30m")
    assert (enough.status, enough.stderr) == (0, made.replace("20m", "30m"))


def test_serving_the_last_minutes_does_not_load_the_aws_library(
    home: Home, clock: FakeClock, fake_aws: FakeAws
) -> None:
    """SDKs call credential_process on every request near the end: keep that call light."""
    _cache(home, clock, seconds_left=4 * 60)
    probe = (
        "import sys; from mfaenv.cli import main; "
        "status = main(['credential-process', '--profile', 'default']); "
        "sys.stderr.write(f'PROBE {status} {\"botocore\" in sys.modules}')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stderr.endswith("PROBE 0 False"), result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] == "ASIACACHED"
