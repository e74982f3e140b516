"""Where settings are read from: `auto = true` in the config MFAENV_CONFIG names, and a
relative XDG_CACHE_HOME or XDG_CONFIG_HOME ignored, as the XDG specification says."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import Home, Mfa, init_command, run_shell
from fakeaws import SERIAL, FakeAws, session_token_reply

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session


def test_auto_is_read_from_the_config_mfaenv_config_names(home: Home, tmp_path: Path) -> None:
    session = Session(
        "default",
        Credentials("ASIACACHED", "cached/secret", "token"),
        int(time.time()) + 3600,
        SERIAL,
    )
    Cache(home.cache / "mfaenv").save_session(session)
    config = tmp_path / "elsewhere.toml"
    config.write_text("auto = true\n")
    script = f"{init_command('bash')}\necho key=${{AWS_ACCESS_KEY_ID-}}\n"
    result = run_shell("bash", script, dict(os.environ, MFAENV_CONFIG=str(config)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "key=ASIACACHED\n"
    assert "started in the cached MFA session of profile 'default'" in result.stderr
    plain = run_shell("bash", script, dict(os.environ))  # the usual config: none
    assert plain.stdout == "key=\n"


@pytest.mark.parametrize("variable", ["XDG_CACHE_HOME", "XDG_CONFIG_HOME"])
def test_a_relative_xdg_directory_is_ignored(
    mfaenv: Mfa,
    fake_aws: FakeAws,
    home: Home,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv(variable, "relative/dir")
    if variable == "XDG_CONFIG_HOME":  # a config there would be read, and refused
        planted = work / "relative" / "dir" / "mfaenv" / "config.toml"
        planted.parent.mkdir(parents=True)
        planted.write_text("this is not TOML [[[\n")
    before = sorted(work.rglob("*"))
    run = mfaenv.mfa("123456", "--serial", SERIAL)
    assert run.status == 0, run.stderr
    assert sorted(work.rglob("*")) == before, "nothing made under the current directory"
    assert (home.root / ".cache" / "mfaenv" / "sessions" / "default.json").exists()
