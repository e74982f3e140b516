"""No terminal: a code asked for in the desktop's own dialog (the real zenity on Xvfb).

An IDE, a kubectl exec plugin or a desktop app runs credential_process with no terminal:
here a process started with setsid and stdin from /dev/null. The user answers the dialog
as a user would, through xdotool: types the code and presses Enter, or clicks Cancel.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    FakeClock,
    Home,
    Mfa,
    need,
    real_time,
    refused,
    write_config,
    write_profile,
)
from desktop import Desktop
from fakeaws import SERIAL, SESSION_KEY, FakeAws, session_token_reply

from mfaenv.dialog import OSASCRIPT, command, find_tool, message

LONG_LIVED = "AKIAFAKELONGLIVED001"
LONG_SECRET = "long/lived+secret"
CANCELLED = "the MFA code dialog was cancelled (profile 'default')"
NO_SESSION = (
    "no cached MFA session for profile 'default'; run `mfa CODE` with a code from your "
    "MFA device, or set a TOTP source (totp in the mfaenv config, or --totp)"
)


@pytest.fixture(scope="module")
def screen() -> Iterator[Desktop]:
    """One Xvfb for this file's tests: each leaves no dialog on it (``desktop``)."""
    need("zenity")
    made = Desktop(need("Xvfb"), need("xdotool"))
    yield made
    made.stop()


@pytest.fixture
def desktop(screen: Desktop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desktop]:
    """A desktop (DISPLAY of an Xvfb showing no dialog) and zenity; MFAENV_NO_PROMPT is
    not set."""
    assert screen.dialogs() == [], "a dialog left by an earlier test"
    monkeypatch.setenv("DISPLAY", screen.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("MFAENV_NO_PROMPT")
    yield screen
    for window in screen.dialogs():  # a failed test's: gone before the next test
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(screen.pid(window), signal.SIGKILL)


@pytest.fixture
def sts(fake_aws: FakeAws, home: Home) -> FakeAws:
    """The default profile names its device (mfa_serial), as most configs do."""
    write_profile(home, "default", LONG_LIVED, LONG_SECRET, mfa_serial=SERIAL)
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    return fake_aws


def without_terminal(*argv: str) -> subprocess.Popen[str]:
    """``mfaenv ARGV`` as an IDE runs it: its own session (no controlling terminal),
    stdin from /dev/null."""
    return subprocess.Popen(
        [sys.executable, "-m", "mfaenv", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=dict(os.environ),
    )


def credential_process() -> subprocess.Popen[str]:
    return without_terminal("credential-process", "--profile", "default")


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_with_no_terminal_a_dialog_asks_and_the_typed_code_makes_the_session(
    desktop: Desktop, sts: FakeAws, home: Home
) -> None:
    process = credential_process()
    window = desktop.wait_for_dialog(process)
    argv = Path(f"/proc/{desktop.pid(window)}/cmdline").read_bytes().decode().split("\0")
    text = next(word for word in argv if word.startswith("--text="))
    assert "profile 'default'" in text and f"Device: {SERIAL}" in text
    assert "The code on the device changes in " in text
    assert not [word for word in argv if LONG_LIVED in word or LONG_SECRET in word]
    desktop.type_code(window, "123456")
    status, out, err = finished(process)
    assert (status, err) == (0, ""), err
    assert json.loads(out)["AccessKeyId"] == SESSION_KEY
    (request,) = sts.requests
    assert request.action == "GetSessionToken" and request.access_key_id == LONG_LIVED
    assert (request.params["TokenCode"], request.params["SerialNumber"]) == ("123456", SERIAL)
    assert desktop.dialogs() == [], "the dialog is gone"
    cached = json.loads((home.cache / "mfaenv" / "sessions" / "default.json").read_text())
    assert cached["access_key_id"] == SESSION_KEY, "shells and SDKs share the session"


def test_cancel_is_one_line_and_no_session(desktop: Desktop, sts: FakeAws, home: Home) -> None:
    before = home.files()
    process = credential_process()
    desktop.click_cancel(desktop.wait_for_dialog(process))
    assert finished(process) == (1, "", f"mfaenv: {CANCELLED}\n")
    assert sts.requests == []
    assert home.files() == before


def test_a_dialog_nobody_answers_ends_at_the_deadline_with_one_line(
    desktop: Desktop, sts: FakeAws, home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    class ShownThenLate(FakeClock):
        """Fake time that starts to run once the dialog is on the screen."""

        def sleep(self, seconds: float) -> None:
            if not self.slept:
                desktop.wait_for_dialog()
            super().sleep(seconds)

    clock = ShownThenLate()
    before = home.files()
    run = Mfa(capsys, clock)("credential-process", "--profile", "default")
    refused(run, "no MFA code was typed in the dialog within 60s (profile 'default')")
    assert 60 <= sum(clock.slept) < 61, "the deadline is a minute of the clock it is given"
    assert desktop.dialogs() == [], "the dialog is closed, not left open"
    assert sts.requests == [] and home.files() == before


def test_two_callers_at_once_get_one_dialog_and_spend_one_code(
    desktop: Desktop, sts: FakeAws
) -> None:
    callers = [credential_process(), credential_process()]
    window = desktop.wait_for_dialog(callers[0])
    # The dialog's caller holds the cache lock; the other waits for its session there.
    parent = int(Path(f"/proc/{desktop.pid(window)}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert parent in {caller.pid for caller in callers}, "mfaenv itself runs the dialog"
    asking, waiting = sorted(callers, key=lambda caller: caller.pid != parent)
    # The caller that waits says for what (after half a second of it, for real: the one
    # test of the lock's notice in real time), and nothing else; until then, one dialog.
    said = f"mfaenv: waiting (up to 90s) for mfaenv (process {asking.pid}) getting a session\n"
    assert waiting.stderr is not None
    stderr, heard = waiting.stderr.fileno(), b""
    deadline = time.monotonic() + 30
    while said.encode() not in heard and waiting.poll() is None:
        assert len(desktop.dialogs()) == 1
        assert time.monotonic() < deadline, heard
        if select.select([stderr], [], [], 0.1)[0]:
            heard += os.read(stderr, 4096)
    assert len(desktop.dialogs()) == 1
    assert waiting.poll() is None, finished(waiting)
    desktop.type_code(window, "123456")
    (asked, out, err), (waited, waiting_out, rest) = finished(asking), finished(waiting)
    assert (asked, err, waited) == (0, "", 0), (err, heard, rest)
    assert heard.decode() + rest == said
    assert json.loads(out)["AccessKeyId"] == json.loads(waiting_out)["AccessKeyId"] == SESSION_KEY
    assert sts.actions() == ["GetSessionToken"], "one code, one session"
    assert desktop.dialogs() == []


@pytest.mark.parametrize(
    ("config", "env"),
    [
        ('prompt = "none"\n', {}),
        ('prompt = "dialog"\n[profiles.default]\nprompt = "terminal"\n', {}),
        ('prompt = "dialog"\n', {"MFAENV_PROMPT": "none"}),
        ("", {"MFAENV_NO_PROMPT": "1", "MFAENV_PROMPT": "dialog"}),
    ],
    ids=["none", "terminal-of-the-profile", "MFAENV_PROMPT", "MFAENV_NO_PROMPT"],
)
def test_the_setting_chooses_and_with_no_way_to_ask_there_is_no_dialog(
    desktop: Desktop,
    sts: FakeAws,
    home: Home,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    env: dict[str, str],
) -> None:
    write_config(home, config)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert finished(credential_process()) == (1, "", f"mfaenv: {NO_SESSION}\n")
    assert desktop.dialogs() == [] and sts.requests == []


def test_mfaenv_prompt_dialog_asks_in_a_dialog_also_for_mfa_in_a_shell(
    desktop: Desktop, sts: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFAENV_PROMPT", "dialog")
    process = without_terminal("sh-on", "--shell", "bash")
    desktop.type_code(desktop.wait_for_dialog(process), "654321")
    status, out, err = finished(process)
    assert status == 0, err
    assert f"export AWS_ACCESS_KEY_ID='{SESSION_KEY}'" in out
    assert sts.requests[0].params["TokenCode"] == "654321"


def test_an_unknown_mfaenv_prompt_is_one_line(
    mfaenv: Mfa, sts: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFAENV_NO_PROMPT")
    monkeypatch.setenv("MFAENV_PROMPT", "popup")
    refused(
        mfaenv("credential-process", "--profile", "default"),
        "MFAENV_PROMPT is 'popup'; use terminal, dialog or none",
        2,
    )
    assert sts.requests == []


def test_the_dialog_text_names_profile_device_and_seconds_left_as_typed() -> None:
    text = message("dev_ops", "arn:aws:iam::111122223333:mfa/a\\b", 1_000_000_007)
    assert text == (
        "MFA code for profile 'dev_ops'\n"
        "Device: arn:aws:iam::111122223333:mfa/a\\b\n"
        "The code on the device changes in 13s"
    )
    zenity = "/usr/bin/zenity"
    # zenity takes "_" as a mnemonic and reads "\\" escapes: doubled, they show as typed.
    assert command(zenity, text) == [
        zenity,
        "--entry",
        "--title=mfaenv",
        "--text=" + text.replace("\\", "\\\\").replace("_", "__"),
        "--timeout=65",
    ]


def test_the_osascript_command_line_carries_the_text_as_an_argument(tmp_path: Path) -> None:
    """macOS cannot run here: the command line it builds is what is tested."""
    osascript = tmp_path / "osascript"
    osascript.write_text("#!/bin/sh\n")
    osascript.chmod(0o755)
    environ = {"PATH": str(tmp_path)}
    assert find_tool(environ, platform="darwin") == str(osascript)
    text = "MFA code for profile 'a\"b'\nDevice: x\nThe code on the device changes in 9s"
    argv = command(str(osascript), text, timeout=60)
    assert argv == [
        str(osascript),
        "-e",
        "on run argv",
        "-e",
        'display dialog (item 1 of argv) default answer "" with title "mfaenv" '
        'buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel" '
        "giving up after ((item 2 of argv) as integer)",
        "-e",
        "return text returned of result",
        "-e",
        "end run",
        text,
        "65",
    ]
    assert argv[1:-2] == [word for line in OSASCRIPT for word in ("-e", line)]
    assert not any(text in line for line in OSASCRIPT), "the script holds no text"


def test_which_dialog_a_desktop_has(tmp_path: Path) -> None:
    for name in ("zenity", "kdialog"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    path = str(tmp_path)
    assert find_tool({"PATH": path}, platform="linux") is None, "no desktop"
    assert find_tool({"PATH": path, "DISPLAY": ":0"}, platform="linux") == f"{path}/zenity"
    assert find_tool({"PATH": path, "WAYLAND_DISPLAY": "wayland-0"}, platform="linux") == (
        f"{path}/zenity"
    )
    kde = {"PATH": path, "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}
    assert find_tool(kde, platform="linux") == f"{path}/kdialog"
    assert find_tool({"PATH": path}, platform="darwin") is None, "no osascript"


def test_a_display_that_is_gone_is_one_line(
    mfaenv: Mfa, sts: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A DISPLAY left over from an old ssh -X session: zenity cannot open it."""
    need("zenity")
    monkeypatch.delenv("MFAENV_NO_PROMPT")
    monkeypatch.setenv("MFAENV_PROMPT", "dialog")
    monkeypatch.setenv("DISPLAY", f"unix:{tmp_path}/no-such-display")
    before = home.files()
    refused(  # on the real clock: the dialog's deadline is not what this is about
        real_time(mfaenv)("credential-process", "--profile", "default"),
        "zenity cannot open the display to ask for a code",
    )
    assert sts.requests == [] and home.files() == before


@pytest.mark.parametrize(("status", "typed"), [(0, "246810"), (1, "")])
def test_under_kde_kdialog_asks(
    mfaenv: Mfa,
    sts: FakeAws,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    status: int,
    typed: str,
) -> None:
    """kdialog is not on this machine: a stand-in prints what the user typed, or exits 1
    as kdialog does for Cancel, and notes how it was run."""
    kdialog = tmp_path / "bin" / "kdialog"
    kdialog.parent.mkdir()
    kdialog.write_text(
        f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path}/argv\nenv > {tmp_path}/env\n"
        f"printf '{typed}\\n'\nexit {status}\n"
    )
    kdialog.chmod(0o755)
    monkeypatch.setenv("PATH", f"{kdialog.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("MFAENV_NO_PROMPT")
    monkeypatch.setenv("MFAENV_PROMPT", "dialog")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-callers-token")
    run = real_time(mfaenv)("credential-process", "--profile", "default")
    argv = (tmp_path / "argv").read_text()
    assert argv.startswith("--title\nmfaenv\n--inputbox\nMFA code for profile 'default'\n")
    assert "the-callers-token" not in (tmp_path / "env").read_text()
    if status == 0:
        assert (run.status, run.stderr) == (0, ""), run.stderr
        assert sts.requests[0].params["TokenCode"] == typed
    else:
        refused(run, CANCELLED)
        assert sts.requests == []
