"""init, off, status and reuse of a cached session never import boto3 or botocore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from conftest import Home

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session

PROBE = """
import json, sys
from mfaenv.cli import main
status = main(sys.argv[1:])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore"))
sys.stderr.write("\\nPROBE " + json.dumps({"status": status, "heavy": heavy}) + "\\n")
"""


def _probe(*argv: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    line = result.stderr.rsplit("PROBE ", 1)[-1]
    data: dict[str, object] = json.loads(line)
    return data


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_init_imports_nothing_heavy(shell: str) -> None:
    assert _probe("init", shell) == {"status": 0, "heavy": []}


def test_off_and_status_import_nothing_heavy() -> None:
    env = dict(
        os.environ, MFAENV_PROFILE="dev", MFAENV_EXPIRES="4102444800", AWS_ACCESS_KEY_ID="ASIA"
    )
    assert _probe("sh-off", "--shell", "bash", env=env) == {"status": 0, "heavy": []}
    assert _probe("status", env=env) == {"status": 0, "heavy": []}
    assert _probe("status", "--json", env=env) == {"status": 0, "heavy": []}


def test_reusing_a_cached_session_imports_nothing_heavy(home: Home) -> None:
    Cache(home.cache / "mfaenv").save_session(
        Session(
            profile="default",
            credentials=Credentials("ASIA", "s", "t"),
            expiration=datetime.now(timezone.utc) + timedelta(hours=1),
            serial="arn:aws:iam::1:mfa/a",
        )
    )
    assert _probe("sh-on", "--shell", "fish") == {"status": 0, "heavy": []}
