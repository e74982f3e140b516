"""The documented try-it-without-AWS flow, in real shells, end to end: one terminal, a
second terminal that joins, a terminal whose sandbox was stopped elsewhere."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Home, Mfa, PassStore, faketime, init_command, need, transcript
from terminal import Terminal

from mfaenv import motoserver, sandbox
from mfaenv.env import ShellState
from mfaenv.manpage import render, render_config
from mfaenv.shells import get_shell

DEMO_ARN = "arn:aws:iam::123456789012:user/eng/demo/demo"
FLAGS = {"bash": "--noprofile --norc", "zsh": "-f", "fish": "--no-config"}


@pytest.fixture
def sandbox_home(home: Home) -> Iterator[Home]:
    yield home
    state = home.cache / "mfaenv" / "sandbox" / "state.json"
    if state.exists():  # a failed test must not leave a server behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(json.loads(state.read_text())["pid"], signal.SIGTERM)


def box(home: Home) -> Path:
    return home.cache / "mfaenv" / "sandbox"


def user_env() -> dict[str, str]:
    """The user's environment, with long-lived keys of their own in it."""
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = "AKIAUSERSOWNKEY00001"
    env["AWS_SECRET_ACCESS_KEY"] = "users/own+secret"
    return env


def elsewhere(shell: str, command: str) -> str:
    """``command`` typed in another terminal of the same user: a new ``shell`` with the
    integration loaded, that inherits nothing from this one."""
    q = get_shell(shell).quote
    keep = ("HOME", "PATH", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MFAENV_NO_PROMPT", "LANG")
    env = " ".join(f"{name}={q(os.environ[name])}" for name in keep if name in os.environ)
    script = f"{init_command(shell)}; {command}"
    return f"env -i {env} {need(shell)} {FLAGS[shell]} -c {q(script)}"


def test_sandbox_start_mfa_status_off_stop(shell: str, sandbox_home: Home, tmp_path: Path) -> None:
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
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 7, t.stderr
    inside = t[1].env
    assert inside["AWS_PROFILE"] == "mfaenv-sandbox"
    assert inside["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert "AWS_ACCESS_KEY_ID" not in inside, "the user's own keys are set aside"
    session = t[2].env
    assert session["MFAENV_ARN"] == DEMO_ARN
    assert session["AWS_SESSION_TOKEN"]
    assert f"user     {DEMO_ARN}" in t.stdout
    assert t[4].env == inside, "mfa off returns to the sandbox's own keys"
    assert t[6].env == t.before, "stop (even inside a session) puts everything back"
    assert not (sandbox_home.cache / "mfaenv").exists(), "nothing left in the cache"
    assert not (sandbox_home.config / "mfaenv").exists(), "no config written"
    assert "sandbox stopped; this shell is back as it was" in t.stderr


def test_the_start_message_says_what_moto_answers_and_how_codes_work(
    sandbox_home: Home, tmp_path: Path
) -> None:
    t = transcript("bash", ["mfa sandbox start", "mfa sandbox stop"], tmp_path, user_env())
    url = t[1].env["MFAENV_SANDBOX"]
    assert t.stderr.splitlines()[:4] == [
        f"mfaenv: sandbox started: a local STS and IAM (moto) at {url} with the IAM user "
        f"{DEMO_ARN} and its MFA device arn:aws:iam::123456789012:mfa/demo-phone",
        "mfaenv: it takes any 6 digits as a code, each code once: try `mfa 123456`, "
        "`mfa status`, `mfa off`; or codes from the device's secret: "
        f"`mfa --totp file:{box(sandbox_home) / 'totp-secret'}`",
        "mfaenv: a role too: `mfa --profile mfaenv-sandbox-admin` (no code while the MFA "
        "session lives), then `mfa console --print`; `pass` in this shell keeps its entries "
        "in the sandbox's own store",
        "mfaenv: moto answers get-caller-identity with its fixed identity "
        "arn:aws:sts::123456789012:user/moto, whoever asks; `mfa sandbox start` in another "
        "terminal joins this sandbox, `mfa sandbox stop` ends it for every terminal",
    ]


def test_a_second_terminal_joins_the_running_sandbox_and_says_so(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    t = transcript(
        shell,
        [
            elsewhere(shell, "mfa sandbox start"),
            "mfa sandbox start",
            "mfa 123456",
            "mfa status",
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 6, t.stderr
    url = t[2].env["MFAENV_SANDBOX"]
    assert f"mfaenv: sandbox started: a local STS and IAM (moto) at {url} with" in t.stderr
    assert (
        f"mfaenv: this shell joins the sandbox already running: a local STS and IAM (moto) "
        f"at {url} with"
    ) in t.stderr
    assert t[3].env["MFAENV_ARN"] == DEMO_ARN
    assert f"user     {DEMO_ARN}" in t.stdout
    assert t[5].env == t.before
    assert not box(sandbox_home).exists()
    assert not motoserver.answers(t[2].env["MFAENV_SANDBOX"]), "the server is gone"


def test_a_terminal_whose_sandbox_was_stopped_elsewhere_says_so_and_gets_back(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    before = sandbox_home.files()
    t = transcript(
        shell,
        [
            "mfa sandbox start",
            elsewhere(shell, "mfa sandbox stop"),
            "mfa 123456",
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 1, 0], t.stderr
    lines = t.stderr.splitlines()
    assert "mfaenv: sandbox stopped" in lines, "the other terminal stops it"
    assert (
        "mfaenv: the sandbox this shell used has been stopped (in another terminal?); "
        "`mfa sandbox stop` puts this shell back, `mfa sandbox start` starts a new one"
    ) in lines
    assert t[3].env == t[1].env, "the refused code changes nothing"
    assert (
        "mfaenv: the sandbox had already stopped; this shell is back as it was before "
        "`mfa sandbox start`"
    ) in lines
    assert t[4].env == t.before
    assert sandbox_home.files() == before


def test_status_of_a_session_whose_sandbox_was_stopped_elsewhere_says_it_cannot_be_used(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    t = transcript(
        shell,
        ["mfa sandbox start", "mfa 123456", elsewhere(shell, "mfa sandbox stop"), "mfa status"],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 0, 1], t.stderr
    assert t.stderr.splitlines()[-1] == (
        "mfaenv: this session cannot be used: the sandbox this shell used has been stopped "
        "(in another terminal?); `mfa sandbox stop` puts this shell back, `mfa sandbox start` "
        "starts a new one"
    )
    assert t[4].env == t[2].env, "status changes nothing"


def test_start_in_a_terminal_whose_sandbox_stopped_starts_a_new_one(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    t = transcript(
        shell,
        [
            "mfa sandbox start",
            "mfa 123456",
            elsewhere(shell, "mfa sandbox stop"),
            "mfa sandbox start",
            "mfa 654321",
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 7, t.stderr
    old, new = t[1].env["MFAENV_SANDBOX"], t[4].env["MFAENV_SANDBOX"]
    assert (
        f"mfaenv: sandbox started (the one this shell used, at {old}, had stopped): "
        f"a local STS and IAM (moto) at {new}"
    ) in t.stderr
    assert "MFAENV_PROFILE" not in t[4].env, "the dead sandbox's session is gone"
    assert "AWS_SESSION_TOKEN" not in t[4].env
    assert t[5].env["MFAENV_ARN"] == DEMO_ARN
    assert t[6].env == t.before, "the keys set aside at the first start come back"
    assert not box(sandbox_home).exists()


def test_a_terminal_outside_the_sandbox_stops_it_for_everyone(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    t = transcript(
        shell,
        [elsewhere(shell, "mfa sandbox start"), "mfa sandbox stop", "mfa sandbox stop"],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0, 0, 0, 1], t.stderr
    assert t.stderr.splitlines()[-2:] == [
        "mfaenv: sandbox stopped",
        "mfaenv: the sandbox is not running",
    ]
    assert all(step.env == t.before for step in t.steps)
    assert not box(sandbox_home).exists()


def test_a_terminal_without_keys_hears_of_the_sandbox_another_one_started(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    t = transcript(
        shell,
        [elsewhere(shell, "mfa sandbox start"), "mfa 123456", "mfa sandbox stop"],
        tmp_path,
        dict(os.environ),
    )
    assert [s.status for s in t.steps] == [0, 0, 1, 0], t.stderr
    assert (
        "mfaenv: no AWS access key found for profile 'default' (looked at AWS_ACCESS_KEY_ID, "
        "AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, and AWS_CONFIG_FILE or "
        "~/.aws/config); a sandbox runs: `mfa sandbox start` points this shell at it"
    ) in t.stderr.splitlines()
    assert t[2].env == t.before


def test_the_device_secret_is_an_otpauth_uri_pass_otp_takes(
    pass_store: PassStore, sandbox_home: Home, tmp_path: Path
) -> None:
    need("pass")
    t = transcript(
        "bash",
        [
            "mfa sandbox start",
            'pass otp insert sandbox/demo < "$(dirname "$AWS_CONFIG_FILE")/totp-secret"',
            "mfa --totp pass:sandbox/demo",
            "mfa sandbox stop",
        ],
        tmp_path,
        dict(os.environ),
    )
    assert [s.status for s in t.steps] == [0] * 5, t.stderr
    assert t[3].env["MFAENV_ARN"] == DEMO_ARN
    assert not box(sandbox_home).exists()


def test_enroll_in_the_sandbox_writes_the_sandbox_config_never_the_users(
    mfaenv: Mfa, sandbox_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, as the shell function would run it (the fake clock spares the wait
    for the second code)."""
    change = sandbox.start(ShellState(dict(os.environ)))
    for name, value in change.env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    secret_file = tmp_path / "laptop.totp"
    run = mfaenv("enroll", "--force", "--name", "laptop", "--store", f"file:{secret_file}")
    assert run.status == 0, run.stderr
    assert run.stderr.endswith(f"saved in {box(sandbox_home) / 'mfaenv.toml'}\n")
    assert mfaenv.mfa("--profile", "mfaenv-sandbox").status == 0
    assert not (sandbox_home.config / "mfaenv").exists(), "the user's own config is untouched"
    sandbox.stop(ShellState(dict(os.environ)))
    assert not (sandbox_home.cache / "mfaenv").exists(), "the sandbox's config went with it"


def test_an_unreachable_sandbox_server_is_named(
    mfaenv: Mfa, sandbox_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    change = sandbox.start(ShellState(dict(os.environ)))
    for name, value in change.env.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    mfaenv.capsys.readouterr()
    state = json.loads((box(sandbox_home) / "state.json").read_text())
    os.kill(state["pid"], signal.SIGKILL)  # the server dies without `stop`
    while motoserver.answers(state["url"]):
        pass
    run = mfaenv.mfa("123456")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr == (
        f"mfaenv: the sandbox's server at {state['url']} does not answer; "
        "`mfa sandbox start` starts a new one\n"
    )
    assert mfaenv.mfa("sandbox", "stop").status == 0
    assert not (sandbox_home.cache / "mfaenv").exists()


# --- ./try, as a newcomer types it ------------------------------------------------------

CHECKOUT = Path(__file__).resolve().parent.parent
RC_FILES = {"bash": ".bashrc", "zsh": ".zshrc", "fish": ".config/fish/config.fish"}


@pytest.fixture
def try_checkout(tmp_path: Path) -> Path:
    """``try`` and ``.ci/`` in a checkout of their own, whose ``.venv`` is already installed
    (it runs this interpreter's mfaenv): the install itself is left to the README's check."""
    checkout = tmp_path / "checkout"
    (checkout / ".ci").mkdir(parents=True)
    for name in ("try", ".ci/install", "pyproject.toml", "hatch_build.py"):
        shutil.copy2(CHECKOUT / name, checkout / name)
    bin_dir = checkout / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    script = bin_dir / "mfaenv"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m mfaenv "$@"\n')
    script.chmod(0o755)
    made_from = (checkout / "pyproject.toml").read_bytes() + (
        checkout / "hatch_build.py"
    ).read_bytes()
    digest = hashlib.sha256(made_from).hexdigest()  # as .ci/install stamps an install
    (checkout / ".venv" / ".mfaenv-sandbox").write_text(digest + "\n")
    man = checkout / ".venv" / "share" / "man"
    (man / "man1").mkdir(parents=True)
    (man / "man5").mkdir()
    (man / "man1" / "mfaenv.1").write_text(render())  # as the install puts them there
    (man / "man5" / "mfaenv-config.5").write_text(render_config())
    return checkout


def test_try_opens_the_users_shell_with_mfa_and_the_sandbox_and_leaves_nothing_behind(
    shell: str, try_checkout: Path, sandbox_home: Home
) -> None:
    rc = sandbox_home.root / RC_FILES[shell]
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text("set -x TRIED_RC loaded\n" if shell == "fish" else "export TRIED_RC=loaded\n")
    before = rc.read_bytes()
    scratch = try_checkout.parent / "tmp"
    scratch.mkdir()
    env = dict(os.environ, SHELL=need(shell), TERM="dumb", TMPDIR=str(scratch))
    terminal = Terminal([need("bash"), str(try_checkout / "try")], env)
    try:
        terminal.read_until(r"mfaenv: sandbox started")
        terminal.send("echo rc-$TRIED_RC; mfa 123456\r")
        terminal.read_until(r"rc-loaded")
        terminal.read_until(r"MFA session for profile 'mfaenv-sandbox'")
        terminal.send("man -w mfaenv; man -w 5 mfaenv-config; mfa status; exit\r")
        screen = terminal.read_until(r"mfaenv: sandbox stopped")
        terminal.wait()  # ./try has ended, its clean-up done
    finally:
        terminal.close()
    assert str(try_checkout / ".venv/share/man/man1/mfaenv.1") in screen, "man mfaenv finds it"
    assert str(try_checkout / ".venv/share/man/man5/mfaenv-config.5") in screen, "and man 5"
    assert f"user     {DEMO_ARN}" in screen
    assert rc.read_bytes() == before, "the rc file is as it was"
    assert not sandbox_home.cache.exists(), "no sandbox state left, nor the cache it made"
    assert not (sandbox_home.config / "mfaenv").exists(), "no config written"
    assert not list(scratch.glob("mfaenv-try.*")), "its temporary startup files are gone"


def test_try_joins_a_sandbox_that_runs_already_and_leaves_it_running(
    try_checkout: Path, sandbox_home: Home, mfaenv: Mfa
) -> None:
    assert mfaenv.mfa("sandbox", "start").status == 0  # another terminal's
    url = json.loads((box(sandbox_home) / "state.json").read_text())["url"]
    env = dict(os.environ, SHELL=need("bash"), TERM="dumb")
    terminal = Terminal([need("bash"), str(try_checkout / "try")], env)
    try:
        terminal.read_until(r"mfaenv: this shell joins the sandbox already running")
        terminal.send("exit\r")
        terminal.read_until(r"try: the sandbox ran before ./try and keeps running")
    finally:
        terminal.close()
    assert motoserver.answers(url)
    assert mfaenv.mfa("sandbox", "stop").status == 0
    assert not motoserver.answers(url)


# --- what a newcomer tries in the sandbox, beyond mfa CODE ------------------------------------


def test_the_sandbox_role_signs_in_to_its_stand_in_console(
    shell: str, sandbox_home: Home, tmp_path: Path
) -> None:
    """A role session chained from the MFA session with no code, then `mfa console --print`:
    the sandbox's federation stand-in gives a sign-in URL whose page says what AWS would do."""
    t = transcript(
        shell,
        [
            "mfa sandbox start",
            "mfa 123456",
            "mfa --profile mfaenv-sandbox-admin",
            "mfa console --print",
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 6, t.stderr
    assert t[3].env["MFAENV_ROLE"] == "Admin@123456789012"
    url = t[1].env["MFAENV_SANDBOX"]
    (line,) = t.stdout.splitlines()
    assert line.startswith(f"{url}/federation?Action=login&")
    assert "SigninToken=sandbox-" in line


def test_the_sandbox_federation_stand_in_answers_as_aws_would() -> None:
    from mfaenv.sandboxserver import federation

    def ask(query: str) -> tuple[str, bytes]:
        said: list[str] = []
        body = b"".join(
            federation({"QUERY_STRING": query}, lambda status, headers: said.append(status))
        )
        return said[0], body

    session = json.dumps({"sessionId": "ASIA1", "sessionKey": "k", "sessionToken": "t"})
    status, body = ask(urllib.parse.urlencode({"Action": "getSigninToken", "Session": session}))
    assert status == "200 OK"
    assert json.loads(body)["SigninToken"].startswith("sandbox-")
    for bad in ("Action=getSigninToken", "Action=getSigninToken&Session=%7B%7D", "Action=x"):
        assert ask(bad)[0] == "400 Bad Request"
    status, body = ask("Action=login&Destination=%3Cscript%3E")
    assert status == "200 OK"
    assert b"&lt;script&gt;" in body
    assert b"<script>" not in body


def test_exec_runs_the_aws_cli_with_the_sandbox_session(sandbox_home: Home, tmp_path: Path) -> None:
    need("aws")
    t = transcript(
        "bash",
        [
            "mfa sandbox start",
            "mfa 123456",
            "mfa off",
            "mfa exec -- aws sts get-caller-identity --output text --query Arn",
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 6, t.stderr
    assert t.stdout.splitlines()[-1] == motoserver.MOTO_IDENTITY


def test_pass_in_the_sandbox_keeps_to_the_sandboxs_own_store(
    pass_store: PassStore, sandbox_home: Home, tmp_path: Path
) -> None:
    """`mfaenv enroll --store pass:ENTRY` (no --name: the demo device is not named like the
    user) and `pass` typed in the shell use the sandbox's store, encrypted to the user's key;
    the user's own store is as it was, and the sandbox's goes with the sandbox.

    Enabling the device takes two consecutive codes: enroll waits for the next time step
    (up to 30 s), here under faketime at thirty times the speed (at most a second)."""
    own = pass_store.store
    before = sorted(str(p.relative_to(own)) for p in own.rglob("*"))
    fast = shlex.join(faketime("+0 x30"))
    t = transcript(
        "bash",
        [
            "mfa sandbox start",
            "mfa 123456",
            "mfa off",
            f"{fast} mfaenv enroll --force --store pass:sandbox/phone2",
            "pass otp sandbox/phone2 | grep -Ex '[0-9]{6}'",
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 7, t.stderr
    assert "enrolled arn:aws:iam::123456789012:mfa/demo " in t.stderr
    assert "mfaenv: AWS wants two consecutive codes; waiting " in t.stderr
    assert t[1].env["PASSWORD_STORE_DIR"] == str(box(sandbox_home) / "password-store")
    assert t[6].env.get("PASSWORD_STORE_DIR") == t.before.get("PASSWORD_STORE_DIR")
    assert sorted(str(p.relative_to(own)) for p in own.rglob("*")) == before
    assert not box(sandbox_home).exists()


def test_try_leaves_running_a_sandbox_another_terminal_started_after_its_own_stopped(
    try_checkout: Path, sandbox_home: Home, mfaenv: Mfa
) -> None:
    env = dict(os.environ, SHELL=need("bash"), TERM="dumb")
    terminal = Terminal([need("bash"), str(try_checkout / "try")], env)
    try:
        terminal.read_until(r"mfaenv: sandbox started")
        terminal.send("mfa sandbox stop\r")
        terminal.read_until(r"sandbox stopped")
        assert mfaenv.mfa("sandbox", "start").status == 0  # another terminal's, meanwhile
        terminal.send("exit\r")
        terminal.read_until(r"try: the sandbox running now was started in another terminal")
    finally:
        terminal.close()
    url = json.loads((box(sandbox_home) / "state.json").read_text())["url"]
    assert motoserver.answers(url), "the other terminal's sandbox still runs"
    assert mfaenv.mfa("sandbox", "stop").status == 0


def test_try_in_zsh_completes_without_a_compinit_of_the_users(
    try_checkout: Path, sandbox_home: Home
) -> None:
    env = dict(os.environ, SHELL=need("zsh"), TERM="xterm")
    terminal = Terminal([need("bash"), str(try_checkout / "try")], env)
    try:
        terminal.read_until(r"mfaenv: sandbox started")
        terminal.send("mfa sta\t")
        terminal.read_until(r"mfa status")
        terminal.send("\x15exit\r")
        terminal.read_until(r"mfaenv: sandbox stopped")
    finally:
        terminal.close()
    assert not list(sandbox_home.root.glob(".zcompdump*")), "no dump file in the HOME"


def test_the_sandbox_saves_its_sessions_again_and_again_and_unsaves_them(
    sandbox_home: Home, tmp_path: Path
) -> None:
    """moto's session keys start AKIA like long-lived ones: saved twice, unsaved, and
    nothing of it (not even a lock file) outside the sandbox's own directory."""
    t = transcript(
        "bash",
        [
            "mfa sandbox start",
            "mfa 111111 --save-as demo-session",
            "mfa 222222 --save-as demo-session",
            "grep -qx '[[]demo-session[]]' \"$AWS_SHARED_CREDENTIALS_FILE\"",
            "mfaenv unsave demo-session",
            '! grep -q demo-session "$AWS_SHARED_CREDENTIALS_FILE" "$AWS_CONFIG_FILE"',
            "mfa sandbox stop",
        ],
        tmp_path,
        user_env(),
    )
    assert [s.status for s in t.steps] == [0] * 8, t.stderr
    assert not (sandbox_home.cache / "mfaenv").exists(), "nothing left in the user's cache"
