"""`mfa console` against a federation endpoint that misbehaves, and --duration checked
against how the role session was really made (the cache records it), not the config."""

from __future__ import annotations

import time

import pytest
from conftest import Home, Mfa, refused, write_config
from fakeaws import (
    ADMIN,
    SERIAL,
    FakeAws,
    Reply,
)

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session

HELD = Credentials("ASIAHELDROLESESSION1", "held/role+secret", "FwoGZXIvYXdzHELD//token==")


def hold(monkeypatch: pytest.MonkeyPatch, home: Home, now: float, made: str) -> None:
    """The shell holds admin's role session, cached as made ``chain`` or ``direct``."""
    expires = int(now) + 3000
    session = Session(
        "admin", HELD, expires, SERIAL, role_arn=ADMIN, aws_profile="admin", role_mode=made
    )
    Cache(home.cache / "mfaenv").save_session(session)
    for name, value in {
        "AWS_ACCESS_KEY_ID": HELD.access_key_id,
        "AWS_SECRET_ACCESS_KEY": HELD.secret_access_key,
        "AWS_SESSION_TOKEN": str(HELD.session_token),
        "MFAENV_PROFILE": "admin",
        "MFAENV_EXPIRES": str(expires),
        "MFAENV_ROLE": "Admin@210987654321",
        "MFAENV_ROLE_ARN": ADMIN,
        "MFAENV_SERIAL": SERIAL,
    }.items():
        monkeypatch.setenv(name, value)


def test_a_session_chained_before_role_mode_became_direct_cannot_ask_for_a_duration(
    mfaenv: Mfa, federation: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home, '[profiles.admin]\nrole_mode = "direct"\n')
    hold(monkeypatch, home, mfaenv.clock.now(), made="chain")
    refused(
        mfaenv.mfa("console", "--duration", "2h", "--print"),
        "AWS takes a console --duration only for a role assumed with an IAM user's long-lived "
        "keys; the role session of profile 'admin' (50m left) was chained from an MFA "
        'session before role_mode was "direct": run `mfa CODE --profile admin` for a '
        "direct one, or leave out --duration",
    )
    assert federation.requests == []


def test_a_direct_session_may_ask_for_a_duration_though_the_config_says_chain_now(
    mfaenv: Mfa, federation: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold(monkeypatch, home, mfaenv.clock.now(), made="direct")
    run = mfaenv.mfa("console", "--duration", "2h", "--print")
    assert run.status == 0, run.stderr
    (sent,) = [r.params for r in federation.requests if r.action == "getSigninToken"]
    assert sent["SessionDuration"] == "7200"


def test_a_cached_chained_session_of_a_profile_not_in_the_shell_is_checked_as_made(
    mfaenv: Mfa, federation: FakeAws, home: Home
) -> None:
    assert mfaenv.mfa("123456", "--profile", "admin").status == 0  # chained: the default
    write_config(home, '[profiles.admin]\nrole_mode = "direct"\n')
    run = mfaenv.mfa("console", "--profile", "admin", "--duration", "2h", "--print")
    assert (run.status, run.stdout) == (1, "")
    assert "was chained from an MFA session before role_mode was" in run.stderr
    assert "getSigninToken" not in federation.actions()


def test_a_trickling_federation_endpoint_is_given_up_at_the_deadline(
    mfaenv: Mfa, federation: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte every half second keeps every read timeout alive; the deadline does not
    (the real one-second deadline: the one test of it for the sign-in endpoint)."""
    hold(monkeypatch, home, time.time(), made="chain")
    monkeypatch.setenv("MFAENV_AWS_DEADLINE", "1")
    federation.trickle = 0.5
    started = time.monotonic()
    refused(
        mfaenv.mfa("console", "--print"),
        "the AWS sign-in endpoint (127.0.0.1) did not answer within 1s; check your network "
        "or try again",
    )
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    "body",
    [
        '{"SigninToken": "' + "A" * 200_000 + '"}',  # huge
        "[" * 100_000 + "]" * 100_000,  # nested past the recursion limit, under the size
        '{"SigninToken": "a\\nb"}',  # a line break: not a token
        "<html><body>Service Unavailable</body></html>",
    ],
    ids=["huge", "deep", "control", "garbage"],
)
def test_a_malformed_or_huge_answer_is_one_line_never_internal_error(
    mfaenv: Mfa, federation: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    hold(monkeypatch, home, mfaenv.clock.now(), made="chain")
    federation.answers["getSigninToken"] = lambda request: Reply(200, body)
    run = mfaenv.mfa("console", "--print")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("mfaenv: the AWS sign-in ")
    assert "internal error" not in run.stderr
