"""Bad inputs of every kind: never an internal error, never a secret, never a changed file.

The table below is data: each case names what is set up (an STS reply, an argument, a
variable, a config or cache file) and the words given to ``mfa``. Every case must end
with exactly one ``mfaenv:`` line on stderr, nothing on stdout, exit 1 or 2 (never 70,
the internal error) and no file under the home changed. Hypothesis then throws
generated text at the parsers and the cache readers with the same rules.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import SECRET, FakeClock, Home, Mfa, init_command, need, run_shell, transcript
from fakeaws import (
    SERIAL,
    FakeAws,
    Reply,
    Request,
    devices_reply,
    identity_reply,
    session_token_reply,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfaenv.cache import Cache
from mfaenv.env import decode_stash, encode_stash
from mfaenv.errors import MfaEnvError
from mfaenv.files import UntrustedFile
from mfaenv.printable import INVISIBLE, one_line
from mfaenv.prompt import segment
from mfaenv.session import Credentials, Session
from mfaenv.shells import get_shell

ROLE = "arn:aws:iam::111122223333:role/Admin"
LONG_SECRET = "long/lived+secret"
SESSION_ARGS = ("123456", "--serial", SERIAL)


def _gst(inner: str, status: int = 200) -> Callable[[Request], Reply]:
    """A GetSessionToken reply with ``inner`` as its result."""
    body = (
        "<GetSessionTokenResponse><GetSessionTokenResult>"
        f"{inner}</GetSessionTokenResult></GetSessionTokenResponse>"
    )
    return lambda request: Reply(status, body)


def _credentials(expiration: str = "2099-01-01T00:00:00Z", token: str = "FwoGZXIvYXdz//t==") -> str:
    return (
        "<Credentials><AccessKeyId>ASIAFAKE</AccessKeyId>"
        "<SecretAccessKey>s/e+cret</SecretAccessKey>"
        f"<SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration>"
        "</Credentials>"
    )


def _raw(body: str, status: int = 200) -> Callable[[Request], Reply]:
    return lambda request: Reply(status, body)


@dataclass(frozen=True)
class Case:
    """One bad input. ``words``: what follows ``mfa``; the rest: what is set up first."""

    name: str
    words: tuple[str, ...] = SESSION_ARGS
    reply: Callable[[Request], Reply] | None = None  # GetSessionToken's answer
    env: dict[str, str] = field(default_factory=dict)
    config: str | None = None  # the mfaenv config file
    aws_config: str = ""  # appended to ~/.aws/config
    aws_credentials: str = ""  # appended to ~/.aws/credentials
    cache: dict[str, str | None] = field(default_factory=dict)  # path -> text (None: dir)


SERVER = [
    Case("empty 200", reply=_raw("")),
    Case("html 200", reply=_raw("<html><body><h1>Welcome</h1></body></html>")),
    Case("html 403", reply=_raw("<html><body>Forbidden</body></html>", 403)),
    Case("html 500", reply=_raw("<html><body>oops</body></html>", 500)),
    Case("garbage 200", reply=_raw("\x01\x02 not xml at all <<<")),
    Case("truncated xml", reply=_raw("<GetSessionTokenResponse><GetSessionTokenResult><Cre")),
    Case("no credentials", reply=_gst("")),
    Case("credentials without a key", reply=_gst("<Credentials></Credentials>")),
    Case("bad expiration", reply=_gst(_credentials(expiration="soon"))),
    Case("huge expiration", reply=_gst(_credentials(expiration="99999-12-31T00:00:00Z"))),
    Case("expiration year 0", reply=_gst(_credentials(expiration="0000-01-01T00:00:00Z"))),
    Case("expired already", reply=_gst(_credentials(expiration="2001-01-01T00:00:00Z"))),
    Case("150 KB session token", reply=_gst(_credentials(token="A" * 150_000))),
    Case("deeply nested reply", reply=_raw("<a>" * 50_000 + "</a>" * 50_000)),
    Case(
        "error with newlines",
        reply=_raw(
            "<ErrorResponse><Error><Code>Weird</Code><Message>line one\nline two\r\nthree"
            "</Message></Error></ErrorResponse>",
            400,
        ),
    ),
    Case(
        "error with escapes",
        reply=_raw(
            "<ErrorResponse><Error><Code>Weird</Code><Message>clear&#x1b;[2J&#x7;"
            "</Message></Error></ErrorResponse>",
            400,
        ),
    ),
    Case(
        "error with C1 escapes",
        reply=_raw(
            "<ErrorResponse><Error><Code>Weird</Code><Message>clear\u009b2J\u0085next"
            "</Message></Error></ErrorResponse>",
            400,
        ),
    ),
]

ARGUMENTS = [
    Case("superscript duration", words=(*SESSION_ARGS, "--duration", "\u00b2\u00b3")),
    Case("5000-digit duration", words=(*SESSION_ARGS, "--duration", "9" * 5000)),
    Case("5000-digit minutes", words=(*SESSION_ARGS, "--duration", "9" * 5000 + "m")),
    Case("full-width duration", words=(*SESSION_ARGS, "--duration", "\uff11\uff12h")),
    Case("arabic-indic duration", words=(*SESSION_ARGS, "--duration", "\u0661\u0662h")),
    Case("empty duration", words=(*SESSION_ARGS, "--duration", "")),
    Case("empty profile", words=(*SESSION_ARGS, "--profile", "")),
    Case("empty serial", words=("123456", "--serial", "")),
    Case("empty totp", words=("--serial", SERIAL, "--totp", "")),
    Case("empty role", words=(*SESSION_ARGS, "--role", "")),
    Case("empty profile, rotate-key", words=("rotate-key", "--profile", "")),
    Case("empty profile, enroll", words=("enroll", "--profile", " ")),
    Case("serial not an arn", words=("123456", "--serial", "notanarn")),
    Case("serial with spaces", words=("123456", "--serial", "arn:aws:iam::1:mfa/a b c d")),
    Case("serial far too long", words=("123456", "--serial", SERIAL + "x" * 3000)),
    Case("role garbage", words=(*SESSION_ARGS, "--role", "garbage")),
    Case("role 3000 chars", words=(*SESSION_ARGS, "--role", ROLE + "x" * 3000)),
    Case("role of another kind", words=(*SESSION_ARGS, "--role", SERIAL)),
    Case("totp file is a directory", words=("--serial", SERIAL, "--totp", "file:/")),
    Case("totp file missing", words=("--serial", SERIAL, "--totp", "file:/nonexistent/x")),
    Case("totp unknown kind", words=("--serial", SERIAL, "--totp", "vault:x")),
    Case("totp command unbalanced", words=("--serial", SERIAL, "--totp", 'command:"x')),
    Case("totp command empty", words=("--serial", SERIAL, "--totp", "command: ")),
    Case("totp command not found", words=("--serial", SERIAL, "--totp", "command:/nonexistent")),
    Case("totp command no digits", words=("--serial", SERIAL, "--totp", "command:echo hi")),
    Case("full-width code", words=("\uff11\uff12\uff13\uff14\uff15\uff16", "--serial", SERIAL)),
    Case("seven digits", words=("1234567", "--serial", SERIAL)),
    Case("exec empty command", words=("exec", "--", "")),
    Case("exec nothing", words=("exec", "--")),
    Case("exec without a session", words=("exec", "--serial", SERIAL, "--", "/nonexistent/x")),
    Case("profile with a newline", words=(*SESSION_ARGS, "--profile", "a\nb")),
    Case("profile with escapes", words=(*SESSION_ARGS, "--profile", "a\x1b[2Jb")),
    Case("profile not UTF-8", words=(*SESSION_ARGS, "--profile", "a\udcffb")),
    Case("profile not UTF-8, reuse", words=("--profile", "\udcff")),
    # Too long for a file name in the cache: refused before the code is spent.
    Case(
        "profile too long for a file name",
        words=(*SESSION_ARGS, "--profile", "p" * 300),
        aws_credentials=f"[{'p' * 300}]\naws_access_key_id = AKIAP\naws_secret_access_key = s\n",
    ),
    Case(
        "profile and role too long for a file name",
        words=(*SESSION_ARGS, "--profile", "d" * 200, "--role", ROLE),
        aws_credentials=f"[{'d' * 200}]\naws_access_key_id = AKIAD\naws_secret_access_key = s\n",
    ),
]

ENVIRONMENT = [
    Case("bad endpoint url", env={"AWS_ENDPOINT_URL": "not a url"}),
    Case("AWS_PROFILE not UTF-8", env={"AWS_PROFILE": "\udcff\x1b"}),
    Case("endpoint url broken ipv6", env={"AWS_ENDPOINT_URL": "http://[::1"}),
    Case("endpoint url bad port", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:99999"}),
    Case(
        "huge MFAENV_EXPIRES, status",
        words=("status",),
        env={"MFAENV_PROFILE": "dev", "MFAENV_EXPIRES": "9" * 5000},
    ),
    Case(
        "deeply nested stash",
        words=("off",),
        env={"MFAENV_PROFILE": "dev", "__MFAENV_STASH": "[" * 100_000},
    ),
    Case(
        "stash of the wrong shape",
        words=("off",),
        env={"MFAENV_PROFILE": "dev", "__MFAENV_STASH": '{"session": [1, 2]}'},
    ),
    Case(
        "lone surrogate in the stash",
        words=("off",),
        env={"MFAENV_PROFILE": "dev", "__MFAENV_STASH": '{"session":{"AWS_PROFILE":"\\ud800"}}'},
    ),
    Case(
        "stash over 64 KiB, new session",
        env={
            "MFAENV_PROFILE": "dev",
            "__MFAENV_STASH": '{"session":{"AWS_PROFILE":"' + "x" * 70_000 + '"}}',
        },
    ),
]

CONFIG = [
    Case("nested toml", config="a = " + "[" * 100_000),
    Case("config not utf-8", config='duration = "\udcff"'),
    Case("config duration 5000 digits", config=f"duration = {'9' * 5000}"),
    Case("config duration huge int", config="duration = 99999999999999999999999"),
    Case(
        "config totp a directory",
        words=("--serial", SERIAL),
        config='[profiles.default]\ntotp = "file:/"\n',
    ),
    Case(
        "config serial not an arn", words=("123456",), config='[profiles.default]\nserial = "x"\n'
    ),
    Case(
        "bad region",
        aws_config="[profile r]\nregion = not a region!\n",
        aws_credentials="[r]\naws_access_key_id = AKIAR\naws_secret_access_key = s\n",
        words=(*SESSION_ARGS, "--profile", "r"),
    ),
    Case(
        "credential_process prints non-JSON",
        aws_config="[profile p]\ncredential_process = echo not json\n",
        words=(*SESSION_ARGS, "--profile", "p"),
    ),
    Case(
        "credential_process prints nested JSON",
        aws_config="[profile p]\ncredential_process = python3 -c \"print('['*100000)\"\n",
        words=(*SESSION_ARGS, "--profile", "p"),
    ),
    Case(
        "source_profile loop",
        aws_config=(
            f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\n"
        ),
        words=("123456", "--profile", "a"),
    ),
    Case(
        "source_profile itself",
        aws_config=f"[profile a]\nrole_arn = {ROLE}\nsource_profile = a\n",
        words=("123456", "--profile", "a"),
    ),
    Case(
        "role_arn not an arn",
        aws_config="[profile a]\nrole_arn = garbage\nsource_profile = default\n",
        words=("123456", "--profile", "a"),
    ),
    Case(
        "duration_seconds 5000 digits",
        aws_config=f"[profile a]\nrole_arn = {ROLE}\nsource_profile = default\n"
        f"duration_seconds = {'9' * 5000}\n",
        words=("123456", "--profile", "a"),
    ),
]

CACHE = [
    Case(
        "nested json session",
        words=("--serial", SERIAL),
        cache={"sessions/default.json": "[" * 100_000},
    ),
    Case(
        "directory as session file",
        words=("--serial", SERIAL),
        cache={"sessions/default.json": None},
    ),
    Case("sessions is a file", cache={"sessions": "not a directory"}),
    Case("cache root is a file", cache={"": "not a directory"}),
    Case("nested json serials", words=("123456",), cache={"serials.json": "[" * 100_000}),
    Case(
        "nested json used codes",
        reply=_raw("<html>no</html>", 403),
        cache={"used-codes.json": "{" * 100_000},
    ),
]

TABLE = {
    "server": SERVER,
    "arguments": ARGUMENTS,
    "environment": ENVIRONMENT,
    "config": CONFIG,
    "cache": CACHE,
}


def _set_up(case: Case, home: Home, fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws.answers["GetSessionToken"] = case.reply or _gst(_credentials())
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if case.config is not None:
        path = home.config / "mfaenv" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.config.encode("utf-8", "surrogateescape"))
    for path, text in (
        (home.aws_config, case.aws_config),
        (home.aws_credentials, case.aws_credentials),
    ):
        if text:
            with path.open("a") as out:
                out.write(text)
    root = home.cache / "mfaenv"
    for relative, content in case.cache.items():
        path = root / relative if relative else root
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if content is None:
            path.mkdir(mode=0o700)
        else:
            path.write_text(content)
            path.chmod(0o600)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=f"{kind}: {case.name}")
        for kind, cases in TABLE.items()
        for case in cases
    ],
)
def test_a_bad_input_gets_one_line_and_changes_nothing(
    case: Case, mfaenv: Mfa, home: Home, fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_up(case, home, fake_aws, monkeypatch)
    before = home.files()
    run = mfaenv.mfa(*case.words)
    assert run.status in (1, 2), run
    assert run.stdout == ""
    assert run.stderr.startswith("mfaenv: ") and run.stderr.count("\n") == 1, run.stderr
    assert "internal error" not in run.stderr
    assert not [c for c in run.stderr[:-1] if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]
    assert "s/e+cret" not in run.stderr and LONG_SECRET not in run.stderr
    assert home.files() == before


# --- the typed code is not in any process's arguments --------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "mfa {code} --serial {serial}",
        "mfa --serial {serial} {code}",
        "mfa --duration 1h {code} --serial={serial}",
        "mfa --serial {serial} -- {code}",
    ],
    ids=["code first", "code last", "code between options", "code after --"],
)
def test_a_typed_code_is_in_no_process_arguments(
    shell: str, typed: str, fake_aws: FakeAws, tmp_path: Path
) -> None:
    """While mfaenv waits for STS, no process shows the code in /proc/PID/cmdline,
    wherever the code is among the words typed."""
    fake_aws.stall = True
    code = str(secrets.randbelow(900_000) + 100_000)  # its own: tests run side by side
    script = f"{init_command(shell)}\n{typed.format(code=code, serial=SERIAL)}\n"
    binary = need(shell)
    flags = {"bash": ["--noprofile", "--norc", "-s"], "zsh": ["-f", "-s"], "fish": ["--no-config"]}
    env = dict(os.environ, MFAENV_AWS_DEADLINE="10")
    (tmp_path / "script").write_text(script)
    with (
        (tmp_path / "script").open() as stdin,
        subprocess.Popen(
            [binary, *flags[shell]],  # the script on stdin: not even the shell has it in argv
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        ) as process,
    ):
        for _ in range(1200):  # until mfaenv waits for its answer
            if fake_aws.requests or process.poll() is not None:
                break
            time.sleep(0.05)
        assert fake_aws.actions() == ["GetSessionToken"]
        arguments = {p.name: _cmdline(p) for p in Path("/proc").iterdir() if p.name.isdigit()}
        fake_aws.release()
        process.communicate(timeout=60)
    assert any("sh-on" in words for words in arguments.values()), "mfaenv was running"
    assert fake_aws.requests[0].params["TokenCode"] == code, "and had the code"
    assert [pid for pid, words in arguments.items() if code in words] == []


def _logging_mfaenv(tmp_path: Path) -> tuple[Path, Path]:
    """An mfaenv that writes the argv of each of its runs to a log, one JSON list a line;
    ``mfaenv init`` run through it puts its own path in the shell function."""
    log = tmp_path / "argv.log"
    program = tmp_path / "bin" / "mfaenv"
    program.parent.mkdir()
    program.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"with open({str(log)!r}, 'a') as log:\n"
        "    log.write(json.dumps(sys.argv[1:]) + '\\n')\n"
        "from mfaenv.cli import run\n"
        "run()\n"
    )
    program.chmod(0o755)
    return program, log


def test_codes_among_options_are_told_from_the_values_of_options(
    shell: str, fake_aws: FakeAws, home: Home, tmp_path: Path
) -> None:
    """A word with digits after an option is its value (a profile named dev2, a duration),
    not a code. A second code, or a word typed before the code, is refused before AWS is
    asked, the shell unchanged; no code is in the arguments of any mfaenv run."""
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    with home.aws_credentials.open("a") as out:
        out.write("[dev2]\naws_access_key_id = AKIADEV2\naws_secret_access_key = s\n")
    program, log = _logging_mfaenv(tmp_path)
    setup = get_shell(shell).words([str(program), "init", shell])
    load = f"{setup} | source" if shell == "fish" else f'eval "$({setup})"'
    before = home.files()
    refused = transcript(
        shell,
        [
            load,
            f"mfa --serial {SERIAL} 123456 654321",
            "mfa dev1 234567",
            "mfa login 345678 --profile dev2",
        ],
        tmp_path,
    )
    assert [step.status for step in refused.steps[1:]] == [0, 2, 2, 2]
    assert all(step.env == refused.before and not step.stash for step in refused.steps)
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "mfaenv: one code at a time: mfa CODE [OPTIONS]",
        "mfaenv: an MFA code is exactly 6 digits",
        "mfaenv: unknown command 'login' (`mfa CODE` starts a session; `mfa help` lists the "
        "commands)",
    ]
    assert home.files() == before
    assert fake_aws.requests == []
    (tmp_path / "taken").mkdir()
    taken = transcript(
        shell,
        [load, f"mfa --profile dev2 --duration 2h --serial {SERIAL} 246810"],
        tmp_path / "taken",
    )
    assert [step.status for step in taken.steps[1:]] == [0, 0]
    assert [r.params["TokenCode"] for r in fake_aws.requests] == ["246810"]
    assert fake_aws.requests[0].params["DurationSeconds"] == "7200"
    assert taken.steps[2].env["AWSU_PROFILE"] == "dev2"
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    verbs = [run[0] for run in runs]
    assert verbs == ["init", "sh-on", "sh-on", "sh-on", "init", "sh-on"]
    typed = {"123456", "654321", "234567", "345678", "246810"}
    assert [run for run in runs if typed & set(run)] == []


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def test_a_code_in_the_environment_is_used_once_and_never_passed_on(
    mfaenv: Mfa, fake_aws: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    monkeypatch.setenv("__MFAENV_CODE", "123456")
    run = mfaenv.mfa("--serial", SERIAL)
    assert run.status == 0, run.stderr
    assert fake_aws.requests[0].params["TokenCode"] == "123456"
    assert "__MFAENV_CODE" not in os.environ


# --- a server that trickles: one deadline per call -----------------------------------------


def test_a_trickling_server_is_given_up_on_at_the_deadline(fake_aws: FakeAws, home: Home) -> None:
    """A byte every 5 s never trips botocore's 8 s read timeout; the call's deadline does
    (a one-second deadline, waited for real: the one test of it for botocore's calls)."""
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    fake_aws.trickle = 5.0
    before = home.files()
    result = subprocess.run(
        [sys.executable, "-m", "mfaenv", "sh-on", "--shell", "bash", "123456", "--serial", SERIAL],
        env=dict(os.environ, MFAENV_AWS_DEADLINE="1"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"mfaenv: {fake_aws.url} did not answer within 1s; check your network or try again\n"
    )
    assert home.files() == before


def test_the_deadline_leaves_no_alarm_behind(mfaenv: Mfa, fake_aws: FakeAws) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    handler = signal.getsignal(signal.SIGALRM)
    assert mfaenv.mfa(*SESSION_ARGS).status == 0
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


# --- expired credentials, and a clock that is off ------------------------------------------


def test_credentials_expired_by_our_clock_say_how_far_it_is_off(
    mfaenv: Mfa, fake_aws: FakeAws, clock: FakeClock, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply(seconds=3600)
    clock.time += 3 * 3600  # this computer is three hours ahead of AWS
    before = home.files()
    run = mfaenv.mfa(*SESSION_ARGS)
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: this computer's clock is 3h ahead of AWS's")
    assert run.stderr.count("\n") == 1
    assert home.files() == before


def test_credentials_expired_by_the_servers_own_clock_are_refused(
    mfaenv: Mfa, fake_aws: FakeAws
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply(seconds=-600)
    run = mfaenv.mfa(*SESSION_ARGS)
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: STS answered with credentials that had already expired")


# --- oversized values -----------------------------------------------------------------------


def test_a_huge_session_token_is_refused_before_anything_is_kept(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply(token="T" * 150_000)
    before = home.files()
    run = mfaenv.mfa(*SESSION_ARGS)
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith(
        "mfaenv: the session token STS answered with is 146 KiB long, far beyond"
    )
    assert home.files() == before


def test_a_huge_cached_token_is_not_exported(mfaenv: Mfa, home: Home) -> None:
    session = Session(
        profile="default",
        credentials=Credentials("ASIACACHED", "cached/secret", "T" * 20_000),
        expires=int(time.time() + 3600),
        serial=SERIAL,
    )
    Cache(home.cache / "mfaenv").save_session(session)
    run = mfaenv.mfa()
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: AWS_SESSION_TOKEN is 19 KiB long, far beyond")


# --- what reaches the terminal ----------------------------------------------------------------

# Controls that clear the screen and set the title, and invisible ones: U+202E makes the
# rest read backwards, U+200B and U+FEFF take no room.
HOSTILE = "dev\x1b]0;owned\x07\x1b[2J\r\nx\x9b\u202eorp\u200b\ufeff"
SHOWN = "dev\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x0ax\\x9b\\u202eorp\\u200b\\ufeff"


def test_status_and_prompt_show_control_characters_escaped(
    mfaenv: Mfa, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setenv("MFAENV_PROFILE", HOSTILE)
    monkeypatch.setenv("MFAENV_ROLE", "Admin\x1b[5m\u2066@1")
    monkeypatch.setenv("MFAENV_ROLE_ARN", "arn:aws:iam::1:role/Admin\x1b[5m\u2066")
    monkeypatch.setenv("MFAENV_EXPIRES", str(int(clock.now()) + 3600 + 30))
    status = mfaenv("status")
    assert status.status == 0
    assert f"profile  {SHOWN}\n" in status.stdout
    assert not set(status.stdout) & {"\x1b", "\x07", *INVISIBLE}
    prompt = mfaenv("prompt")
    assert prompt.stdout == f"aws:{SHOWN}:Admin\\x1b[5m\\u2066@1 1h00m\n"


def test_a_message_naming_a_hostile_profile_is_one_escaped_line(mfaenv: Mfa) -> None:
    run = mfaenv.mfa("--profile", HOSTILE)
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.count("\n") == 1
    assert not set(run.stderr[:-1]) & {"\x1b", "\x07", "\r", "\n", *INVISIBLE}


@pytest.mark.parametrize("profile", ["a&b", "a\\&b", "&&", "a%pb"])
def test_the_bash_segment_shows_an_ampersand_literally(profile: str, tmp_path: Path) -> None:
    """bash 5.2's patsub_replacement turns & in a ${var//pat/rep} replacement into the match."""
    env = dict(os.environ, MFAENV_PROFILE=profile, NO_COLOR="1")
    env["MFAENV_EXPIRES"] = str(int(time.time()) + 5 * 60 + 30)
    script = (
        "shopt -s patsub_replacement 2>/dev/null\n"
        f'{init_command("bash")}\n__mfaenv_prompt_hook\nprintf %s "$MFAENV_SEGMENT"\n'
    )
    result = run_shell("bash", script, env)
    assert result.stdout == f"aws:{profile} 5m", result.stderr


@pytest.mark.parametrize(
    ("profile", "role"),
    [
        ("dev\x1b]0;owned\x07\x1b[2J", ""),
        ("a\nb\rc\td", "Admin\x1b[5m@1"),
        ("\x7f\x01", "\x1b"),
        ("dev\u202eorp", "Admin\u200b@1"),  # reads "dev-prod" without the escape
        ("\ufeff\u0085x\u2028y", "\u2066Admin\u2069\x1b@1"),
        ("caf\u00e9-\u00a0-\U0001f600", "R\u00f4le@1"),  # printable: as it is
    ],
)
@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_the_shell_segment_shows_control_characters_as_mfaenv_prompt_does(
    shell: str, profile: str, role: str, locale: str, tmp_path: Path
) -> None:
    env = dict(os.environ, MFAENV_PROFILE=profile, MFAENV_ROLE=role, NO_COLOR="1", LC_ALL=locale)
    env["MFAENV_EXPIRES"] = str(int(time.time()) + 5 * 60 + 30)
    out = tmp_path / "segment"
    if shell == "fish":
        script = f"{init_command(shell)}; mfa_prompt > {out}"
    else:
        script = f'{init_command(shell)}; __mfaenv_prompt_hook; printf %s "$MFAENV_SEGMENT" > {out}'
    result = run_shell(shell, script, env)
    assert result.returncode == 0, result.stderr
    shown = out.read_bytes().decode("utf-8", "replace")
    assert not set(shown) & {"\x1b", "\x07", "\x7f", "\x01", "\n", "\r", "\t", *INVISIBLE}
    if shell == "fish" and locale == "C":
        # fish 3 in the C locale takes each byte of a non-ASCII name as a character of
        # its own: what it shows differs from mfaenv prompt, but hides nothing (above).
        return
    assert shown == segment(env, time.time())


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00\xff\xfe garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n<a>"],
    ids=["silence then close", "not http", "a body cut short"],
)
def test_an_endpoint_that_speaks_garbage_gets_one_line(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, garbage: bytes
) -> None:
    fake_aws.garbage = garbage
    before = home.files()
    run = mfaenv.mfa(*SESSION_ARGS)
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: ") and run.stderr.count("\n") == 1, run.stderr
    assert home.files() == before


# --- real faults: FIFOs, read-only and full filesystems, SIGKILL while writing ----------------


def _mfaenv_process(*words: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """mfaenv as its own process: a hang becomes a failure, not a stuck test run."""
    return subprocess.run(
        [sys.executable, "-m", "mfaenv", *words],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("name", ["sessions/default.json", "serials.json", "used-codes.json"])
def test_a_fifo_in_the_cache_blocks_nothing(name: str, fake_aws: FakeAws, home: Home) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    fake_aws.answers["ListMFADevices"] = devices_reply(SERIAL)
    fifo = home.cache / "mfaenv" / name
    fifo.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    os.mkfifo(fifo, 0o600)
    reuse = _mfaenv_process("sh-on", "--shell", "bash")
    assert (reuse.returncode, reuse.stdout) == (1, "")
    assert reuse.stderr.count("\n") == 1
    if name.startswith("sessions/"):
        assert "is not a regular file" in reuse.stderr
    process = _mfaenv_process("credential-process", "--serial", SERIAL)
    assert (process.returncode, process.stdout) == (1, "")
    fresh = _mfaenv_process("sh-on", "--shell", "bash", "123456")
    if name.startswith("sessions/"):  # the FIFO is replaced by the new session
        assert fresh.returncode == 0, fresh.stderr
    else:  # a damaged index is ignored and rewritten
        assert fresh.returncode == 0, fresh.stderr
        assert "export AWS_SESSION_TOKEN=" in fresh.stdout


@pytest.fixture
def small_filesystem(home: Home) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted where the cache lives (needs root; skipped elsewhere but
    never in CI)."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("the filesystem fault tests need root in CI")
        pytest.skip("mounting a tmpfs needs root")
    home.cache.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(home.cache)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs: {mount.stderr}")
        pytest.skip(f"cannot mount a tmpfs: {mount.stderr.strip()}")
    try:
        yield home.cache
    finally:
        subprocess.run(["umount", "-l", str(home.cache)], check=False)


def test_a_read_only_cache_is_found_out_before_a_code_is_spent(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, small_filesystem: Path
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    (small_filesystem / "mfaenv" / "sessions").mkdir(parents=True, mode=0o700)
    (small_filesystem / "mfaenv").chmod(0o700)
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    run = mfaenv.mfa(*SESSION_ARGS)
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: cannot write to ") and run.stderr.count("\n") == 1
    assert fake_aws.requests == [], "the code is not spent"


def test_a_full_cache_still_gives_the_shell_its_session(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, small_filesystem: Path
) -> None:
    """AWS has accepted the code by the time the disk is found full: the session is the
    user's, with a warning, and no temporary file stays behind."""
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    (small_filesystem / "mfaenv" / "sessions").mkdir(parents=True, mode=0o700)
    fd = os.open(small_filesystem / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # full
    finally:
        os.close(fd)
    run = mfaenv.mfa(*SESSION_ARGS)
    assert run.status == 0, run.stderr
    assert "export AWS_SESSION_TOKEN=" in run.stdout
    assert "the session is yours but is not cached for other shells" in run.stderr
    left = [p.name for p in (small_filesystem / "mfaenv").rglob("*") if p.name.endswith(".tmp")]
    assert left == []


WRITER = """
import sys, time
from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session
from mfaenv.shells import get_shell
cache = Cache(sys.argv[1])
print(flush=True)  # imported: the loop starts
i = 0
while True:
    i += 1
    cache.save_session(Session("default", Credentials(f"ASIA{i:016d}", "s" * 2000, "t" * 4000),
                               int(time.time()) + 3600, "arn:aws:iam::1:mfa/a"))
"""


def test_sigkill_while_writing_never_leaves_a_damaged_session(tmp_path: Path) -> None:
    """Killed at random points of a write loop, the cache holds a whole session or none,
    and the temporary files left behind are cleaned up later."""
    import random

    root = tmp_path / "cache"
    rng = random.Random(11)  # noqa: S311 - when to kill, not a secret
    for _ in range(25):
        with subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE
        ) as writer:
            assert writer.stdout is not None
            writer.stdout.readline()
            time.sleep(rng.uniform(0.0, 0.05))  # a write takes about a millisecond
            writer.send_signal(signal.SIGKILL)
        session = Cache(root).load_session("default")  # UntrustedFile if ever damaged
        assert session is None or session.credentials.access_key_id.startswith("ASIA")
    assert list(root.rglob("*.tmp")), "no kill landed inside a write: the test proved nothing"
    later = FakeClock()
    later.time += 3600
    Cache(root, clock=later).check_writable()
    assert [p.name for p in root.rglob("*.tmp")] == []


# --- generated input: the parsers and the cache readers -----------------------------------

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "9" * 5000, "\u00b2", "\uff11h", "\u0661\u0662m", "1h1h", "-1", "1e3", "0x10"]
)


@FUZZ
@given(TEXT)
def test_any_duration_is_read_or_refused_in_one_line(text: str) -> None:
    from mfaenv.timefmt import parse_duration

    try:
        seconds = parse_duration(text)
    except MfaEnvError as err:
        assert "\n" not in one_line(str(err))
    else:
        assert seconds >= 0
        assert text.strip().isascii()


@FUZZ
@given(TEXT | st.from_regex(r"\d{6}", fullmatch=True))
def test_any_code_is_six_ascii_digits_or_refused(text: str) -> None:
    from mfaenv.totp import check_code

    try:
        assert check_code(text) == text
    except MfaEnvError:
        assert not (len(text) == 6 and text.isascii() and text.isdigit())
    else:
        assert len(text) == 6 and text.isascii() and text.isdigit()


@FUZZ
@given(
    st.sampled_from(["pass:", "file:", "command:", "vault:", ""]).flatmap(
        lambda k: TEXT.map(k.__add__)
    )
)
def test_any_totp_source_is_read_or_refused(spec: str) -> None:
    from mfaenv.totp import Source

    try:
        source = Source.parse(spec)
    except MfaEnvError:
        return
    assert source.kind in ("pass", "file", "command") and source.target


ARN_PIECES = st.sampled_from(
    [
        "arn:",
        "aws",
        ":",
        "iam",
        "::",
        "123456789012",
        "mfa/",
        "role/",
        "a",
        "/",
        " ",
        "\n",
        "é",
        "x" * 300,
    ]
)


@FUZZ
@given(st.lists(ARN_PIECES, max_size=12).map("".join) | TEXT)
def test_any_serial_or_role_botocore_would_refuse_is_refused_first(value: str) -> None:
    from mfaenv.arns import check_role, check_serial

    allowed = set("+=/:,.@-_") | set(string.ascii_letters + string.digits)
    for check, (low, high) in ((check_serial, (9, 256)), (check_role, (20, 2048))):
        try:
            check(value)
        except MfaEnvError as err:
            assert err.exit_code == 2
        else:  # what passes, STS's own parameter rules take too
            assert low <= len(value) <= high and set(value) <= allowed


@FUZZ
@given(
    text=st.text(max_size=200)
    | st.sampled_from(
        ["a = " + "[" * 5000, "duration = 99999999999999999999", '[profiles."\\u0000"]\nserial=1']
    )
)
def test_any_config_text_is_read_or_refused(text: str, home: Home) -> None:
    from mfaenv import config

    path = home.config / "mfaenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        config.load(path)
    except MfaEnvError as err:
        assert "\n" not in one_line(str(err))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
SESSION_KEYS = st.fixed_dictionaries(
    {},
    optional={
        key: JSONISH
        for key in ("version", "profile", "access_key_id", "secret_access_key", "expires")
    }
    | {"expiration": st.sampled_from(["2099-01-01T00:00:00Z", "x", "99999-01-01T00:00:00Z"])},
)


@FUZZ
@given(
    raw=st.binary(max_size=300)
    | JSONISH.map(lambda v: json.dumps(v).encode())
    | SESSION_KEYS.map(lambda v: json.dumps(v).encode())
)
def test_any_cache_file_is_used_or_ignored_never_a_crash(raw: bytes, home: Home) -> None:
    root = home.cache / "mfaenv"
    for name in ("sessions/default.json", "serials.json", "used-codes.json"):
        path = root / name
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.write_bytes(raw)
        path.chmod(0o600)
    cache = Cache(root)
    try:
        cache.load_session("default")
    except UntrustedFile as err:
        assert "\n" not in one_line(str(err))
    cache.serial_for("x")
    cache.code_was_used(SERIAL, "123456", 0)


@FUZZ
@given(st.text(max_size=300) | JSONISH.map(json.dumps))
def test_any_stash_is_decoded_or_refused(raw: str) -> None:
    try:
        stash = decode_stash(raw)
    except MfaEnvError:
        return
    emitted = encode_stash(stash).encode("utf-8", "surrogateescape")
    assert decode_stash(emitted.decode("utf-8", "surrogateescape")) == stash


@FUZZ
@given(st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=30))
def test_any_profile_name_reaches_the_terminal_printable(name: str) -> None:
    environ = {"MFAENV_PROFILE": name, "MFAENV_ROLE": name, "MFAENV_EXPIRES": "4000000000"}
    shown = segment(environ, 0)
    assert not any(ord(c) < 0x20 or c == "\x7f" or c in INVISIBLE for c in shown)
    line = one_line(f"profile {name!r} and {name}")
    assert not any(ord(c) < 0x20 or c == "\x7f" or c in INVISIBLE for c in line)


# --- what the restructure already did, each proven -----------------------------------------


def test_under_umask_000_every_directory_mfaenv_creates_is_private(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws.answers["GetSessionToken"] = session_token_reply()
    monkeypatch.setenv("XDG_CACHE_HOME", str(home.root / "a" / "b" / "c"))
    old = os.umask(0)
    try:
        run = mfaenv.mfa(*SESSION_ARGS)
    finally:
        os.umask(old)
    assert run.status == 0, run.stderr
    made = [home.root / "a", *sorted((home.root / "a").rglob("*"))]
    modes = {str(p.relative_to(home.root)): p.stat().st_mode & 0o777 for p in made}
    assert modes == {
        "a": 0o700,
        "a/b": 0o700,
        "a/b/c": 0o700,
        "a/b/c/mfaenv": 0o700,
        "a/b/c/mfaenv/sessions": 0o700,
        "a/b/c/mfaenv/sessions/default.json": 0o600,
        "a/b/c/mfaenv/used-codes.json": 0o600,
    } | {
        name: 0o600
        for name in (str(p.relative_to(home.root)) for p in made)
        if name.endswith(".gen")
    }


@pytest.mark.parametrize(
    "reply",
    [
        _gst(_credentials(expiration="2001-01-01T00:00:00Z")),
        _gst(_credentials(token="T" * 20_000)),
        _raw("<html>s/e+cret</html>"),
    ],
    ids=["expired", "oversized", "unreadable"],
)
def test_debug_output_holds_no_secret(
    mfaenv: Mfa,
    fake_aws: FakeAws,
    monkeypatch: pytest.MonkeyPatch,
    reply: Callable[[Request], Reply],
) -> None:
    fake_aws.answers["GetSessionToken"] = reply
    monkeypatch.setenv("MFAENV_DEBUG", "1")
    run = mfaenv.mfa(*SESSION_ARGS)
    assert (run.status, run.stdout) == (1, "")
    assert "traceback (values left out)" in run.stderr
    for secret in ("s/e+cret", "FwoGZXIvYXdz", "TTTTTTTT", LONG_SECRET, "123456"):
        assert secret not in run.stderr


# The server's answers again, through every verb that asks AWS (codes from a TOTP file).
VERBS = {
    "credential-process": ("credential-process", "--serial", SERIAL, "--totp", "file:{totp}"),
    "exec": ("exec", "--serial", SERIAL, "--totp", "file:{totp}", "--", "/nonexistent/x"),
    "mfa with a TOTP source": ("--serial", SERIAL, "--totp", "file:{totp}"),
}


@pytest.mark.parametrize("verb", list(VERBS))
@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in SERVER])
def test_a_bad_answer_gets_one_line_from_every_verb(
    case: Case,
    verb: str,
    mfaenv: Mfa,
    home: Home,
    fake_aws: FakeAws,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_up(case, home, fake_aws, monkeypatch)
    totp = home.root / "totp"
    totp.write_text(SECRET + "\n")
    totp.chmod(0o600)
    before = home.files()
    run = mfaenv.mfa(*(word.format(totp=totp) for word in VERBS[verb]))
    assert run.status in (1, 2), run
    assert run.stdout == ""
    assert run.stderr.startswith("mfaenv: ") and run.stderr.count("\n") == 1, run.stderr
    assert "internal error" not in run.stderr
    assert home.files() == before


NAMES = st.text(
    st.characters(codec="utf-8", exclude_characters="\0") | st.sampled_from(["\udcff", "\x1b"]),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=NAMES)
def test_any_profile_name_is_refused_in_one_printable_line(name: str, mfaenv: Mfa) -> None:
    run = mfaenv.mfa("--profile", name)
    assert run.status in (1, 2) and run.stdout == ""
    assert run.stderr.startswith("mfaenv: ") and run.stderr.count("\n") == 1
    assert not [c for c in run.stderr[:-1] if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]


def test_a_device_aws_lists_is_checked_like_one_given(
    mfaenv: Mfa, fake_aws: FakeAws, home: Home
) -> None:
    fake_aws.answers["GetCallerIdentity"] = identity_reply()
    fake_aws.answers["ListMFADevices"] = devices_reply("arn:aws:iam::111122223333:mfa/a b\u009b")
    before = home.files()
    run = mfaenv.mfa("123456")
    assert (run.status, run.stdout) == (1, "")
    assert run.stderr.startswith("mfaenv: the MFA device AWS listed 'arn:aws:iam::")
    assert run.stderr.count("\n") == 1 and "\u009b" not in run.stderr
    assert "GetSessionToken" not in fake_aws.actions()
    assert home.files() == before
