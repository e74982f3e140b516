"""The documented try-it-without-AWS flow, in a real shell, end to end."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Home, transcript


@pytest.fixture
def sandbox_home(home: Home) -> Iterator[Home]:
    yield home
    state = home.cache / "mfaenv" / "sandbox" / "state.json"
    if state.exists():  # a failed test must not leave a server behind
        os.kill(json.loads(state.read_text())["pid"], signal.SIGTERM)


def test_sandbox_start_mfa_status_off_stop(shell: str, sandbox_home: Home, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = "AKIAUSERSOWNKEY00001"
    env["AWS_SECRET_ACCESS_KEY"] = "users/own+secret"
    t = transcript(
        shell,
        [
            "mfa sandbox start",
            "mfa 123456",
            "mfa status",
            "mfa off",
            "mfa 654321",
            "mfa sandbox stop",
        ],
        tmp_path,
        env,
    )
    assert [s.status for s in t.steps] == [0] * 7, t.stderr
    box = t[1].env
    assert box["AWS_PROFILE"] == "mfaenv-sandbox"
    assert box["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert "AWS_ACCESS_KEY_ID" not in box, "the user's own keys are set aside"
    session = t[2].env
    assert session["MFAENV_ARN"] == "arn:aws:iam::123456789012:user/eng/demo/demo"
    assert session["AWS_SESSION_TOKEN"]
    assert "user     arn:aws:iam::123456789012:user/eng/demo/demo" in t.stdout
    assert t[4].env == box, "mfa off returns to the sandbox's own keys"
    assert t[6].env == t.before, "stop (even inside a session) puts everything back"
    assert not (sandbox_home.cache / "mfaenv" / "sandbox").exists()
    assert "sandbox stopped" in t.stderr
