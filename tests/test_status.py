"""`mfa status`: who, which device, until when, how long left; --json for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Mfa, Run, transcript

from mfaenv.motoserver import DemoUser


def test_status_in_a_real_shell_shows_the_session(
    shell: str, demo: DemoUser, tmp_path: Path
) -> None:
    t = transcript(
        shell,
        ["mfa 123456 --duration 2h", "mfa status", "mfa status --json", "mfa off", "mfa status"],
        tmp_path,
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 0, 0, 1], t.stderr
    human, _, rest = t.stdout.partition("{")
    lines = human.splitlines()
    assert lines[0] == "profile  default"
    assert lines[1] == f"user     {demo.arn}"
    assert lines[2] == f"device   {demo.serial}"
    assert lines[4].startswith("expires  ") and lines[4].endswith(("(1h59m left)", "(2h00m left)"))
    data = json.loads("{" + rest.rsplit("}", 1)[0] + "}")
    assert data["active"] is True
    assert data["serial"] == demo.serial
    assert data["expiration"] == t[1].env["AWS_CREDENTIAL_EXPIRATION"]
    assert 7000 < data["remaining_seconds"] <= 7200
    assert t.stderr.endswith("mfaenv: no MFA session in this shell\n")


def test_an_expired_session_says_expired(mfaenv: Mfa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFAENV_PROFILE", "dev")
    monkeypatch.setenv("MFAENV_EXPIRES", "1000")
    run = mfaenv("status")
    assert run.status == 1
    assert "expires  1970-01-01 00:16:40 UTC (expired)" in run.stdout
    data = json.loads(mfaenv("status", "--json").stdout)
    assert data["expired"] is True and data["remaining_seconds"] == 0


def test_status_without_a_session(mfaenv: Mfa) -> None:
    assert mfaenv("status", "--json") == Run(1, json.dumps({"active": False}, indent=2) + "\n", "")
    assert mfaenv("status") == Run(1, "", "mfaenv: no MFA session in this shell\n")
