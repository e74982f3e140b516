"""The same code typed in several terminals at once: one spends it, all get the session."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable

from conftest import FakeClock, Home, Mfa, refused
from fakeaws import SERIAL, SESSION_KEY, FakeAws, Reply, Request, session_token_reply

from mfaenv.spend import USED


def test_a_code_typed_again_in_another_terminal_gets_the_session_it_made(
    mfaenv: Mfa, fake_aws: FakeAws
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    first = mfaenv.mfa("424242", "--serial", SERIAL)
    second = mfaenv.mfa("424242", "--serial", SERIAL)
    assert (first.status, second.status) == (0, 0), second.stderr
    assert f"export AWS_ACCESS_KEY_ID='{SESSION_KEY}'\n" in second.stdout
    assert second.stdout == first.stdout
    assert fake_aws.actions().count("GetSessionToken") == 1, "the code was spent once"


def test_a_code_typed_again_with_another_duration_is_refused_not_taken_for_a_reuse(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    assert mfaenv.mfa("424242", "--serial", SERIAL, "--duration", "12h").status == 0
    files = home.files()
    refused(
        mfaenv.mfa("424242", "--serial", SERIAL, "--duration", "1h"),
        "that code was already used, for the 12h session of profile 'default' (each code "
        "works once); wait for the next code to get 1h",
    )
    assert home.files() == files
    assert fake_aws.actions().count("GetSessionToken") == 1
    again = mfaenv.mfa("424242", "--serial", SERIAL, "--duration", "12h")
    assert again.status == 0, "the same duration is still the session it made"


def test_a_used_code_whose_session_is_gone_is_still_refused(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    assert mfaenv.mfa("424242", "--serial", SERIAL).status == 0
    (home.cache / "mfaenv" / "sessions" / "default.json").unlink()
    refused(mfaenv.mfa("424242", "--serial", SERIAL), USED)


def _held(answer: Callable[[Request], Reply], gate: threading.Event) -> Callable[[Request], Reply]:
    """The answer, once ``gate`` opens: the first mfaenv waits inside the lock."""

    def held(request: Request) -> Reply:
        gate.wait(60)
        return answer(request)

    return held


def test_the_same_code_in_two_terminals_at_once_spends_it_once(fake_aws: FakeAws) -> None:
    gate = threading.Event()
    fake_aws.answers["GetSessionToken"] = _held(session_token_reply(), gate)
    argv = [sys.executable, "-m", "mfaenv", "sh-on", "--shell", "bash", "424242"]
    argv += ["--serial", SERIAL]

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            argv, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    first = start()
    try:
        while "GetSessionToken" not in fake_aws.actions():  # the first holds the lock
            if first.poll() is not None:
                raise AssertionError(first.communicate())
            threading.Event().wait(0.05)
        second = start()
        gate.set()
        out1, err1 = first.communicate(timeout=60)
        out2, err2 = second.communicate(timeout=60)
    finally:
        gate.set()
        first.kill()
    assert (first.returncode, second.returncode) == (0, 0), (err1, err2)
    assert f"export AWS_ACCESS_KEY_ID='{SESSION_KEY}'\n" in out2
    assert out2 == out1
    assert fake_aws.actions().count("GetSessionToken") == 1


def test_every_code_accepted_lately_is_refused_again_not_only_the_last(
    mfaenv: Mfa, fake_aws: FakeAws, clock: FakeClock
) -> None:
    """`mfa 111111; mfa 222222; mfa 111111`: the third is a code AWS took a minute ago,
    and the cached session is the second code's: refused, as AWS would refuse it."""
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    clock.time -= 100  # the codes a minute apart, all before the session files' real mtimes
    assert mfaenv.mfa("111111", "--serial", SERIAL).status == 0
    clock.time += 40
    assert mfaenv.mfa("222222", "--serial", SERIAL).status == 0
    clock.time += 40
    refused(mfaenv.mfa("111111", "--serial", SERIAL), USED)
    again = mfaenv.mfa("222222", "--serial", SERIAL)
    assert again.status == 0, "the last code still gets the session it made"
    assert fake_aws.actions().count("GetSessionToken") == 2
