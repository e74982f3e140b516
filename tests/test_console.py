"""`mfa console`: the AWS web console, signed in with the role session the shell holds."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Home, Mfa, refused, totp_file, transcript, write_config
from fakeaws import (
    ADMIN,
    ROLE_KEY,
    ROLE_TOKEN,
    SERIAL,
    SESSION_KEY,
    SIGNIN_TOKEN,
    FakeAws,
    Reply,
)

from mfaenv.console import NOT_A_ROLE, destination, federation_endpoint

DEPLOY = "arn:aws:iam::333344445555:role/Deploy"
LONG_LIVED_KEY = "AKIAFAKELONGLIVED001"
LONG_LIVED_SECRET = "long/lived+secret"
HELD_KEY = "ASIAHELDROLESESSION1"
HELD_SECRET = "held/role+secret"
HELD_TOKEN = "FwoGZXIvYXdzHELD//token=="
EU_HOME = "https://console.aws.amazon.com/console/home?region=eu-west-1"

# A fake browser: records its arguments and environment, and, while it runs, every
# other process whose command line or environment holds the sign-in token.
BROWSER = """#!{python}
import json, os, sys
from urllib.parse import parse_qs, urlsplit
token = parse_qs(urlsplit(sys.argv[-1]).query)["SigninToken"][0].encode()
others = []
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    for part in ("cmdline", "environ"):
        try:
            with open(f"/proc/{{pid}}/{{part}}", "rb") as file:
                if token in file.read():
                    others.append([int(pid), part])
        except OSError:
            pass
with open({out!r}, "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "others": others, "env": dict(os.environ)}}))
    out.write("\\n")
"""


class Browser:
    def __init__(self, path: Path, out: Path) -> None:
        self.path = path
        self.out = out

    def calls(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def url(self) -> str:
        (call,) = self.calls()
        assert call["others"] == [], "no other process saw the sign-in token"
        return str(call["argv"][-1])


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Browser:
    out = tmp_path / "browser.jsonl"
    path = tmp_path / "fake browser"
    path.write_text(BROWSER.format(python=sys.executable, out=str(out)))
    path.chmod(0o700)
    monkeypatch.setenv("BROWSER", str(path))
    return Browser(path, out)


def hold_role_session(
    monkeypatch: pytest.MonkeyPatch, now: float, profile: str = "admin", left: int = 3000
) -> None:
    """This process's environment as a shell's after `mfa --profile admin`."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": HELD_KEY,
        "AWS_SECRET_ACCESS_KEY": HELD_SECRET,
        "AWS_SESSION_TOKEN": HELD_TOKEN,
        "MFAENV_PROFILE": profile,
        "MFAENV_EXPIRES": str(int(now) + left),
        "MFAENV_ROLE": "Admin@210987654321",
        "MFAENV_ROLE_ARN": ADMIN,
        "MFAENV_SERIAL": SERIAL,
    }.items():
        monkeypatch.setenv(name, value)


def signin_requests(fake: FakeAws) -> list[dict[str, str]]:
    return [r.params for r in fake.requests if r.action == "getSigninToken"]


def login_params(url: str, endpoint: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == endpoint
    return parse_qs(parts.query, strict_parsing=True)


def test_console_signs_in_with_the_role_session_the_shell_holds(
    mfaenv: Mfa, federation: FakeAws, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    monkeypatch.setenv("__MFAENV_STASH", json.dumps({"session": {"x": LONG_LIVED_SECRET}}))
    run = mfaenv.mfa("console")
    assert (run.status, run.stdout) == (0, ""), run.stderr
    assert run.stderr.startswith("mfaenv: console opened as Admin@210987654321 in eu-west-1, ")
    assert federation.actions() == ["getSigninToken"], "no STS call: the shell's session"
    (sent,) = signin_requests(federation)
    assert json.loads(sent["Session"]) == {
        "sessionId": HELD_KEY,
        "sessionKey": HELD_SECRET,
        "sessionToken": HELD_TOKEN,
    }
    assert "SessionDuration" not in sent, "a chained role session gets no SessionDuration"
    url = browser.url()
    assert login_params(url, f"{federation.url}/federation") == {
        "Action": ["login"],
        "Issuer": ["mfaenv"],
        "Destination": [EU_HOME],
        "SigninToken": [SIGNIN_TOKEN],
    }
    env = browser.calls()[0]["env"]
    assert "__MFAENV_STASH" not in env
    assert LONG_LIVED_SECRET not in json.dumps(env)
    assert SIGNIN_TOKEN not in run.stderr


def test_a_role_profile_without_a_session_in_the_shell_gets_one_as_mfa_would(
    mfaenv: Mfa, federation: FakeAws, tmp_path: Path
) -> None:
    secret = totp_file(tmp_path)
    run = mfaenv.mfa("console", "--profile", "admin", "--totp", f"file:{secret}", "--print")
    assert run.status == 0, run.stderr
    assert federation.actions()[-3:] == ["GetSessionToken", "AssumeRole", "getSigninToken"]
    assert federation.requests[-2].access_key_id == SESSION_KEY, "chained from the MFA session"
    (sent,) = signin_requests(federation)
    assert json.loads(sent["Session"]) == {
        "sessionId": ROLE_KEY,
        "sessionKey": "role/secret",
        "sessionToken": ROLE_TOKEN,
    }
    (line,) = run.stdout.splitlines()
    assert login_params(line, f"{federation.url}/federation") == {
        "Action": ["login"],
        "Issuer": ["mfaenv"],
        "Destination": [EU_HOME],
        "SigninToken": [SIGNIN_TOKEN],
    }
    assert run.stderr == (
        "mfaenv: the link above signs in to the console as Admin@210987654321 for 15 minutes: "
        "keep it secret as a password\n"
    )
    again = mfaenv.mfa("console", "--profile", "admin", "--print")
    assert again.status == 0, again.stderr
    assert federation.actions()[-1] == "getSigninToken"
    assert federation.actions().count("AssumeRole") == 1, "the cached role session is reused"


def test_an_ad_hoc_role_takes_its_code_from_the_totp_source(
    mfaenv: Mfa, federation: FakeAws, tmp_path: Path
) -> None:
    secret = totp_file(tmp_path)
    run = mfaenv.mfa("console", "--role", DEPLOY, "--totp", f"file:{secret}", "--print")
    assert run.status == 0, run.stderr
    assert federation.actions()[-3:] == ["GetSessionToken", "AssumeRole", "getSigninToken"]
    assert federation.requests[-2].params["RoleArn"] == DEPLOY
    destination_sent = login_params(run.stdout.strip(), f"{federation.url}/federation")
    assert destination_sent["Destination"] == [
        "https://console.aws.amazon.com/console/home?region=us-east-1"
    ]


def test_a_plain_mfa_session_in_the_shell_is_refused_before_any_request(
    mfaenv: Mfa, federation: FakeAws, browser: Browser, monkeypatch: pytest.MonkeyPatch, home: Home
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now(), profile="default")
    monkeypatch.delenv("MFAENV_ROLE_ARN")
    monkeypatch.delenv("MFAENV_ROLE")
    before = home.files()
    refused(mfaenv.mfa("console"), NOT_A_ROLE)
    assert federation.requests == [] and browser.calls() == []
    assert home.files() == before


def test_a_profile_without_a_role_is_refused_before_any_request(
    mfaenv: Mfa, federation: FakeAws, browser: Browser, home: Home
) -> None:
    before = home.files()
    refused(mfaenv.mfa("console"), f"profile 'default' assumes no role. {NOT_A_ROLE}")
    assert federation.requests == [] and browser.calls() == []
    assert home.files() == before


def test_a_direct_role_session_asks_for_the_console_duration(
    mfaenv: Mfa, federation: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home, '[profiles.admin]\nrole_mode = "direct"\n')
    hold_role_session(monkeypatch, mfaenv.clock.now())
    run = mfaenv.mfa("console", "--duration", "2h", "--print")
    assert run.status == 0, run.stderr
    (sent,) = signin_requests(federation)
    assert sent["SessionDuration"] == "7200"


def test_a_chained_role_session_cannot_ask_for_a_console_duration(
    mfaenv: Mfa, federation: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now(), left=3000)
    refused(
        mfaenv.mfa("console", "--duration", "2h"),
        "AWS takes a console --duration only for a role assumed with an IAM user's long-lived "
        "keys, not one chained from an MFA session; without --duration the console lasts as "
        'long as the role session (50m left), or set role_mode = "direct" for profile '
        "'admin' in the mfaenv config",
    )
    assert federation.requests == []


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (("--duration", "13h"), "a console session lasts 15m to 12h (an AWS limit), not 13h"),
        (
            ("--destination", "http://console.aws.amazon.com/s3/home"),
            "--destination must be an https URL, such as https://console.aws.amazon.com/s3/home",
        ),
        (
            ("--service", "../iam"),
            "--service takes the name of a console page, such as s3 or ec2, not '../iam'",
        ),
        (
            ("--open-with", "'unclosed"),
            'cannot read --open-with "\'unclosed": No closing quotation',
        ),
    ],
)
def test_bad_options_are_refused_before_any_request(
    mfaenv: Mfa,
    federation: FakeAws,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    words: tuple[str, ...],
    message: str,
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    refused(mfaenv.mfa("console", *words), message)
    assert federation.requests == [] and browser.calls() == []


def test_service_and_destination_choose_the_page(
    mfaenv: Mfa, federation: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    endpoint = f"{federation.url}/federation"
    s3 = mfaenv.mfa("console", "--service", "s3", "--print")
    assert login_params(s3.stdout.strip(), endpoint)["Destination"] == [
        "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    ]
    page = "https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"
    given = mfaenv.mfa("console", "--destination", page, "--print")
    assert login_params(given.stdout.strip(), endpoint)["Destination"] == [page]
    both = mfaenv.mfa("console", "--service", "s3", "--destination", page)
    assert (both.status, both.stdout) == (2, "")
    assert both.stderr.startswith("mfaenv: argument --destination: not allowed with argument")


def test_the_region_picks_the_partitions_console(
    mfaenv: Mfa, federation: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    monkeypatch.setenv("AWS_REGION", "us-gov-west-1")
    run = mfaenv.mfa("console", "--print")
    assert login_params(run.stdout.strip(), f"{federation.url}/federation")["Destination"] == [
        "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"
    ]
    assert federation_endpoint("cn-north-1", {}) == "https://signin.amazonaws.cn/federation"
    assert federation_endpoint("us-gov-east-1", {}) == (
        "https://signin.amazonaws-us-gov.com/federation"
    )
    assert federation_endpoint("eu-west-1", {}) == "https://signin.aws.amazon.com/federation"
    assert destination(None, None, "cn-northwest-1") == (
        "https://console.amazonaws.cn/console/home?region=cn-northwest-1"
    )


def test_the_endpoint_override_must_be_https_or_this_machine(
    mfaenv: Mfa, federation: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    monkeypatch.setenv("MFAENV_FEDERATION_ENDPOINT", "http://signin.example.com/federation")
    refused(
        mfaenv.mfa("console", "--print"),
        "MFAENV_FEDERATION_ENDPOINT must be an https URL without a query (http only to this "
        "machine)",
    )
    assert federation.requests == []


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(400, f"Invalid Credentials Parameter {HELD_SECRET} {HELD_TOKEN}"),
            "the AWS sign-in endpoint (127.0.0.1) refused the role session Admin@210987654321 "
            "(HTTP 400): has it expired or been revoked?",
        ),
        (
            Reply(503, "busy"),
            "the AWS sign-in endpoint (127.0.0.1) answered HTTP 503; try again later",
        ),
        (
            Reply(200, json.dumps({"Token": SIGNIN_TOKEN})),
            "the AWS sign-in endpoint (127.0.0.1) answered without a sign-in token",
        ),
        (
            Reply(302, ""),
            "the AWS sign-in endpoint (127.0.0.1) answered HTTP 302; try again later",
        ),
    ],
)
def test_a_failed_request_is_one_line_without_any_secret(
    mfaenv: Mfa,
    federation: FakeAws,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    reply: Reply,
    message: str,
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    federation.answers["getSigninToken"] = lambda request: reply
    refused(mfaenv.mfa("console"), message)
    assert browser.calls() == []


def test_an_unreachable_endpoint_is_one_line(
    mfaenv: Mfa, federation: FakeAws, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("MFAENV_FEDERATION_ENDPOINT", f"http://127.0.0.1:{port}/federation")
    refused(
        mfaenv.mfa("console"),
        "cannot reach the AWS sign-in endpoint (127.0.0.1): Connection refused",
    )
    assert browser.calls() == []


def test_an_expired_role_session_in_the_shell_is_refused(
    mfaenv: Mfa, federation: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now(), left=-60)
    refused(
        mfaenv.mfa("console"),
        "the role session in this shell (Admin@210987654321) has expired; renew it with mfa as "
        "you made it, then run mfa console again",
    )
    assert federation.requests == []


def test_open_with_runs_the_program_with_the_url_last(
    mfaenv: Mfa, federation: FakeAws, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_role_session(monkeypatch, mfaenv.clock.now())
    monkeypatch.setenv("BROWSER", "/nonexistent/browser")
    command = f"'{browser.path}' --container 'work stuff'"
    run = mfaenv.mfa("console", "--open-with", command, "--service", "s3")
    assert (run.status, run.stdout) == (0, ""), run.stderr
    (call,) = browser.calls()
    assert call["argv"][:2] == ["--container", "work stuff"]
    assert call["others"] == []
    assert login_params(call["argv"][2], f"{federation.url}/federation")["SigninToken"] == [
        SIGNIN_TOKEN
    ]
    missing = mfaenv.mfa("console", "--open-with", "no-such-browser-here --new-tab")
    refused(missing, "cannot run --open-with 'no-such-browser-here': not found")


def test_mfa_console_in_each_shell_opens_the_role_session_it_holds(
    shell: str, federation: FakeAws, browser: Browser, tmp_path: Path
) -> None:
    # Keys in the environment go to the stash during the session: the browser never sees it.
    env = dict(
        os.environ, AWS_ACCESS_KEY_ID=LONG_LIVED_KEY, AWS_SECRET_ACCESS_KEY=LONG_LIVED_SECRET
    )
    commands = ["mfa 123456 --profile admin", "mfa console --service iam"]
    t = transcript(shell, commands, tmp_path, env)
    assert [step.status for step in t.steps] == [0, 0, 0], t.stderr
    assert t[2].env == t[1].env, "mfa console changes nothing in the shell"
    assert "SigninToken" not in t.stdout and SIGNIN_TOKEN not in t.stderr
    url = browser.url()
    assert login_params(url, f"{federation.url}/federation")["Destination"] == [
        "https://console.aws.amazon.com/iam/home?region=eu-west-1"
    ]
    (sent,) = signin_requests(federation)
    assert json.loads(sent["Session"])["sessionId"] == t[1].env["AWS_ACCESS_KEY_ID"] == ROLE_KEY
    assert t[1].stash
    seen = browser.calls()[0]["env"]
    assert LONG_LIVED_SECRET not in json.dumps(seen), "the stash never reaches the browser"
