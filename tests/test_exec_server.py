"""`mfa exec --server`: the command gets an endpoint, not keys; real SDKs keep working
across a session's end, the server answers bad requests and lives as long as the command.

The command runs under libfaketime with an offset the test moves (a file it rewrites),
so mfaenv's server and the SDK in the command see the same later time, and the tests'
STS endpoint issues sessions that end relative to it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import (
    Home,
    Mfa,
    default_totp_source,
    libfaketime,
    need,
    refused,
    totp_file,
)
from fakeaws import SERIAL, USER_ARN, FakeAws, Reply, Request, identity_reply, result_reply
from terminal import Terminal

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session, fingerprint

LONG_LIVED = "AKIAFAKELONGLIVED001"  # the fake_aws fixture's default profile
MFA_KEY = "ASIAMFACACHED0000001"
DEPLOY = "arn:aws:iam::111122223333:role/Deploy"
NODE = Path(__file__).parent / "node"
MINUTE = 60


class Offset:
    """The fake time's offset from the real one, in a file libfaketime reads each call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fast_path = path.with_name(f"{path.name}-fast")  # the same, ten times as fast
        self.seconds = 0
        self.set(0)

    def set(self, seconds: int) -> None:
        """Move the offset at once: a new file renamed over the old, so that libfaketime,
        reading it at every call, never sees it empty halfway through a rewrite (a jump of
        the whole offset back and forth, which a request's deadline takes for a slow client)."""
        self.seconds = seconds
        for path, spec in ((self.path, f"+{seconds}"), (self.fast_path, f"+{seconds} x10")):
            temp = path.with_name(f"{path.name}.new")
            temp.write_text(spec + "\n")
            temp.replace(path)

    def fast(self, argv: list[str]) -> list[str]:
        """``argv`` (run under ``environ()``) with a clock at the same offset that runs ten
        times as fast from its start: its sleeps take a tenth of the time."""
        return ["env", f"FAKETIME_TIMESTAMP_FILE={self.fast_path}", *argv]

    def now(self) -> float:
        return time.time() + self.seconds

    def environ(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": libfaketime(),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",  # read the file at each call: the offset moves
        }


@pytest.fixture
def offset(tmp_path: Path) -> Offset:
    return Offset(tmp_path / "faketime")


def _stamp(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def sts(fake: FakeAws, offset: Offset) -> None:
    """AssumeRole and GetSessionToken answering with a new key each time, ending
    relative to the fake time."""
    made = {"AssumeRole": 0, "GetSessionToken": 0}

    def credentials(action: str, seconds: int) -> str:
        made[action] += 1
        prefix = "ASIAROLE" if action == "AssumeRole" else "ASIAMFA"
        key = f"{prefix}{made[action]:0{20 - len(prefix)}d}"
        return (
            f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>s/{key}"
            f"</SecretAccessKey><SessionToken>token-{key}</SessionToken>"
            f"<Expiration>{_stamp(offset.now() + seconds)}</Expiration></Credentials>"
        )

    def assume(request: Request) -> Reply:
        assumed = (
            f"arn:aws:sts::111122223333:assumed-role/Deploy/{request.params['RoleSessionName']}"
        )
        return result_reply(
            "AssumeRole",
            credentials("AssumeRole", int(request.params.get("DurationSeconds", 3600)))
            + f"<AssumedRoleUser><Arn>{assumed}</Arn><AssumedRoleId>AROA:x</AssumedRoleId>"
            "</AssumedRoleUser>",
        )

    def session(request: Request) -> Reply:
        seconds = int(request.params.get("DurationSeconds", 43200))
        return result_reply("GetSessionToken", credentials("GetSessionToken", seconds))

    fake.answers.update(
        AssumeRole=assume, GetSessionToken=session, GetCallerIdentity=identity_reply()
    )


def cache_mfa_session(home: Home, offset: Offset, seconds: int) -> Session:
    session = Session(
        profile="default",
        credentials=Credentials(MFA_KEY, "mfa/secret", "mfa-token"),
        expires=int(offset.now()) + seconds,
        serial=SERIAL,
        arn=USER_ARN,
        source=fingerprint(LONG_LIVED),
        aws_profile="default",
        region="us-east-1",
    )
    Cache(home.cache / "mfaenv").save_session(session)
    return session


def add_deploy_role(home: Home) -> None:
    with home.aws_config.open("a") as out:
        out.write(f"\n[profile deploy]\nrole_arn = {DEPLOY}\nsource_profile = default\n")
        out.write("region = us-east-1\n")


# --- the command and its clients ------------------------------------------------------

# Each client reads a line per call from stdin, makes one STS call, prints the ARN it got
# (or ERROR and the message), then END.
BOTO3 = """
import sys, boto3
client = boto3.session.Session().client("sts")
for _ in sys.stdin:
    try:
        print(client.get_caller_identity()["Arn"])
    except Exception as err:
        print("ERROR", err)
    print("END", flush=True)
"""
AWS_CLI = (
    "while read -r _; do aws sts get-caller-identity --query Arn --output text 2>&1 "
    "|| echo ERROR; echo END; done"
)
NODE_CLIENT = """
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const client = new STSClient({});
const lines = require("readline").createInterface({ input: process.stdin });
(async () => {
  for await (const _ of lines) {
    try {
      const out = await client.send(new GetCallerIdentityCommand({}));
      console.log(out.Arn);
    } catch (err) {
      console.log("ERROR", err.name, err.message, err.Message || "");
    }
    console.log("END");
  }
})();
"""


def client_command(client: str) -> list[str]:
    if client == "boto3":
        return [sys.executable, "-c", BOTO3]
    if client == "aws":
        need("aws")
        return ["sh", "-c", AWS_CLI]
    need("node")
    if not (NODE / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        pytest.fail("tests/node/node_modules is missing: run .ci/install test (npm install)")
    # Node's timers run on the monotonic clock: left alone, or a move of the offset would
    # time out a request in flight (Python's sleep needs it faked, as it is by default).
    return ["env", "FAKETIME_DONT_FAKE_MONOTONIC=1", need("node"), "-e", NODE_CLIENT]


class Served:
    """``mfaenv exec --server ... -- COMMAND`` running, with pipes to the command."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            ["mfaenv", "exec", "--server", *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
            start_new_session=True,  # no terminal: nothing can be asked
        )

    def call(self) -> list[str]:
        """One call by the client: what it printed."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        lines: list[str] = []
        for line in self.process.stdout:
            if line.strip() == "END":
                return lines
            lines.append(line.strip())
        pytest.fail(f"the command ended: {lines} {self.stderr()}")

    def line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read() if self.process.poll() is not None else "(running)"

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        status = self.process.wait(timeout)
        return status, self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for server in started:
        server.kill()


def serve(
    started: list[Served], argv: list[str], offset: Offset | None = None, cwd: Path | None = None
) -> Served:
    env = dict(os.environ, **(offset.environ() if offset else {}))
    server = Served(argv, env, cwd)
    started.append(server)
    return server


def signers(fake: FakeAws) -> list[tuple[str, str | None]]:
    return [(request.action, request.access_key_id) for request in fake.requests]


def role_key(n: int) -> str:
    return f"ASIAROLE{n:012d}"


# --- real clients across the session's end --------------------------------------------


@pytest.mark.parametrize("client", ["boto3", "aws", "node"])
def test_a_role_renews_under_a_running_client_one_assume_role_each_time_and_no_code(
    client: str,
    fake_aws: FakeAws,
    home: Home,
    offset: Offset,
    served: list[Served],
) -> None:
    sts(fake_aws, offset)
    add_deploy_role(home)
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(
        served,
        ["--profile", "deploy", "--", *client_command(client)],
        offset,
        cwd=NODE if client == "node" else None,
    )
    seen = []
    for step, minutes in enumerate((0, 57, 114, 171)):  # 3 minutes before each end
        offset.set(minutes * MINUTE)
        assert server.call() == [USER_ARN], f"at +{minutes}m"
        calls = [key for action, key in signers(fake_aws) if action == "GetCallerIdentity"]
        seen.append(calls[-1])
        # The JavaScript SDK fetches beside the call: the renewal is answered before the
        # clock moves on.
        deadline = time.monotonic() + 20
        while fake_aws.actions().count("AssumeRole") < step + 1 < 5:
            assert time.monotonic() < deadline, "no renewal"
            time.sleep(0.05)
    status, stderr = server.finish()
    if client == "node":  # its own warnings: this Node's version; a retried slow request
        stderr = "".join(line for line in stderr.splitlines(True) if "mfaenv" in line)
    assert (status, stderr) == (0, "")
    if client == "node":
        # The JavaScript SDK signs with its keys while they last (3 minutes here) and
        # fetches the next ones beside that call (if that fetch is slow, it lets it go):
        # each call signs with the session of that time, or the one before, still good.
        for step, key in enumerate(seen):
            assert key in (role_key(step), role_key(step + 1)), str(signers(fake_aws))
    else:
        assert seen == [role_key(1), role_key(2), role_key(3), role_key(4)], str(signers(fake_aws))
    # One AssumeRole per renewal, each signed by the cached MFA session; no code spent.
    renewals = [pair for pair in signers(fake_aws) if pair[0] != "GetCallerIdentity"]
    assert renewals == [("AssumeRole", MFA_KEY)] * 4
    assert "GetSessionToken" not in fake_aws.actions()


def test_an_mfa_session_renews_from_its_totp_source_near_its_end(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served], tmp_path: Path
) -> None:
    sts(fake_aws, offset)
    default_totp_source(home, totp_file(tmp_path))
    cache_mfa_session(home, offset, 3600)
    server = serve(served, ["--profile", "default", "--", *client_command("boto3")], offset)
    offset.set(30 * MINUTE)
    assert server.call() == [USER_ARN]
    offset.set(57 * MINUTE)
    assert server.call() == [USER_ARN]
    assert server.finish() == (0, "")
    assert signers(fake_aws) == [
        ("GetCallerIdentity", MFA_KEY),
        ("GetSessionToken", LONG_LIVED),  # the code from the source, once
        ("GetCallerIdentity", "ASIAMFA0000000000001"),
    ]


@pytest.mark.parametrize("client", ["boto3", "aws"])
def test_without_a_source_the_session_is_served_to_its_end_then_the_sdk_says_what_to_type(
    client: str, fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    sts(fake_aws, offset)
    cache_mfa_session(home, offset, 3600)
    # botocore (the CLI's too) tries the endpoint three times, a second apart, before it
    # says the error: its clock runs ten times as fast (no test waits those seconds).
    client_argv = offset.fast(client_command(client))
    server = serve(served, ["--profile", "default", "--", *client_argv], offset)
    offset.set(48 * MINUTE)  # 12 minutes left: the SDK asks, and gets the true end
    assert server.call() == [USER_ARN]
    offset.set(61 * MINUTE)
    answer = " ".join(server.call())
    assert "ERROR" in answer.split(), answer
    said = (
        "the MFA session of profile 'default' has ended: run `mfa CODE --profile default` "
        "with a code from your MFA device"
    )
    assert said in answer
    status, stderr = server.finish()
    assert (status, stderr) == (
        0,
        f"mfaenv: the credential server has no session to give: {said}\n",
    )
    assert signers(fake_aws) == [("GetCallerIdentity", MFA_KEY)]


# --- the endpoint itself ------------------------------------------------------------------

SHOW = """
import json, os, sys
print(json.dumps({name: value for name, value in os.environ.items()}), flush=True)
print(os.getpid(), flush=True)
sys.exit(int(sys.stdin.readline() or 0))
"""


def endpoint(server: Served) -> tuple[dict[str, str], int]:
    environ = json.loads(server.line())
    return environ, int(server.line())


def get(uri: str, headers: bytes = b"", raw: bytes | None = None) -> tuple[int, dict[str, str]]:
    parts = urlsplit(uri)
    assert parts.hostname is not None and parts.port is not None
    request = raw or b"GET " + parts.path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def auth(environ: dict[str, str]) -> bytes:
    return b"Authorization: " + environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"].encode() + b"\r\n"


def refused_connection(uri: str) -> bool:
    parts = urlsplit(uri)
    assert parts.hostname is not None and parts.port is not None
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_command_gets_an_endpoint_and_no_keys(
    fake_aws: FakeAws,
    home: Home,
    offset: Offset,
    served: list[Served],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = cache_mfa_session(home, offset, 12 * 3600)
    for name, value in {
        "AWS_ACCESS_KEY_ID": LONG_LIVED,
        "AWS_SECRET_ACCESS_KEY": "long/lived+secret",
        "AWS_SESSION_TOKEN": "old",
        "AWS_PROFILE": "default",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/somewhere",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials",
    }.items():
        monkeypatch.setenv(name, value)
    first = serve(served, ["--", sys.executable, "-c", SHOW])
    second = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, _ = endpoint(first)
    other, _ = endpoint(second)
    aws = {name: value for name, value in environ.items() if name.startswith("AWS_")}
    uri, token = (
        aws.pop("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        aws.pop("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    )
    assert aws == {
        "AWS_CONFIG_FILE": str(home.aws_config),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,  # its long-lived keys would come first
        "AWS_ENDPOINT_URL": fake_aws.url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    assert environ["MFAENV_PROFILE"] == "default"
    assert environ["MFAENV_EXPIRES"] == str(session.expires)
    parts = urlsplit(uri)
    assert (parts.scheme, parts.hostname) == ("http", "127.0.0.1")
    assert len(parts.path) > 20 and len(token) >= 40
    assert uri != other["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert token != other["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    status, document = get(uri, auth(environ))
    assert (status, document) == (
        200,
        {
            "AccessKeyId": MFA_KEY,
            "SecretAccessKey": "mfa/secret",
            "Token": "mfa-token",
            "Expiration": session.expiration,
            "AccountId": "111122223333",
        },
    )
    assert fake_aws.requests == []


def test_bad_requests_get_an_error_and_the_server_keeps_serving(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, _ = endpoint(server)
    uri = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    token = auth(environ)
    wrong = b"Authorization: " + b"x" * 43 + b"\r\n"
    path = urlsplit(uri).path.encode()
    # A slow client, holding a connection with half a request, while the others go on.
    parts = urlsplit(uri)
    assert parts.hostname is not None and parts.port is not None
    slow = socket.create_connection((parts.hostname, parts.port), timeout=10)
    slow.sendall(b"GET " + path + b" HTTP/1.1\r\n" + token)
    idle = [socket.create_connection((parts.hostname, parts.port)) for _ in range(5)]
    cases = {
        "no token": get(uri),
        "a wrong token": get(uri, wrong),
        "two tokens": get(uri, token + token),
        "another path": get(uri.rsplit("/", 1)[0] + "/x", token),
        "POST": get(uri, raw=b"POST " + path + b" HTTP/1.1\r\n" + token + b"\r\n"),
        "not HTTP": get(uri, raw=b"hello there\r\n\r\n"),
        "a huge header": get(uri, token + b"X-Big: " + b"a" * 100_000 + b"\r\n"),
        "NUL bytes": get(uri, raw=b"\0" * 64 + b"\r\n\r\n"),
    }
    statuses = {what: status for what, (status, _) in cases.items()}
    assert statuses == {
        "no token": 401,
        "a wrong token": 401,
        "two tokens": 401,
        "another path": 404,
        "POST": 405,
        "not HTTP": 400,
        "a huge header": 431,
        "NUL bytes": 400,
    }
    for _, document in cases.values():
        assert set(document) == {"Code", "Message"}
        assert document["Message"].startswith("mfaenv: ")
        assert "AccessKeyId" not in document and MFA_KEY not in json.dumps(document)
    assert get(uri, token)[1]["AccessKeyId"] == MFA_KEY, "served while the slow ones wait"
    # No thread per waiting connection: a bounded number of them.
    idle += [socket.create_connection((parts.hostname, parts.port)) for _ in range(30)]
    time.sleep(0.2)
    threads = len(list(Path(f"/proc/{server.process.pid}/task").iterdir()))
    assert threads <= 12, threads
    # The request deadline (2 s), waited out for real: the one test of it.
    started = time.monotonic()
    slow.settimeout(10)
    answer = slow.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:40]
    assert time.monotonic() - started < 5
    slow.close()
    for conn in idle:
        conn.close()
    assert get(uri, token)[0] == 200
    status, stderr = server.finish()
    assert (status, stderr) == (0, ""), "nothing logged"


def test_concurrent_requests_at_the_end_make_one_renewal(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    sts(fake_aws, offset)
    add_deploy_role(home)
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--profile", "deploy", "--", sys.executable, "-c", SHOW], offset)
    environ, _ = endpoint(server)
    uri, token = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], auth(environ)
    offset.set(50 * MINUTE)
    keys: list[str] = []
    threads = [
        threading.Thread(target=lambda: keys.append(get(uri, token)[1]["AccessKeyId"]))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert keys == [role_key(2)] * 6
    assert fake_aws.actions() == ["AssumeRole", "AssumeRole"]
    assert server.finish()[0] == 0


def test_a_renewal_in_another_terminal_is_served_at_the_next_request(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, _ = endpoint(server)
    uri, token = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], auth(environ)
    assert get(uri, token)[1]["AccessKeyId"] == MFA_KEY
    newer = Session(
        profile="default",
        credentials=Credentials("ASIANEWERSESSION0001", "n/secret", "n-token"),
        expires=int(time.time()) + 20 * 3600,
        serial=SERIAL,
        arn=USER_ARN,
        source=fingerprint(LONG_LIVED),
    )
    Cache(home.cache / "mfaenv").save_session(newer)
    status, document = get(uri, token)
    assert (status, document["AccessKeyId"], document["Expiration"]) == (
        200,
        "ASIANEWERSESSION0001",
        newer.expiration,
    )
    assert fake_aws.requests == []
    assert server.finish()[0] == 0


def test_listen_binds_the_address_asked(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--listen", "127.0.0.2", "--", sys.executable, "-c", SHOW])
    environ, _ = endpoint(server)
    uri = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert urlsplit(uri).hostname == "127.0.0.2"
    assert get(uri)[0] == 401, "the token is still required"
    assert get(uri, auth(environ))[0] == 200
    assert refused_connection(uri.replace("127.0.0.2", "127.0.0.1"))
    assert server.finish()[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--listen", "127.0.0.1"], "--listen is for --server: mfa exec --server --listen ADDRESS"),
        (
            ["--server", "--listen", "localhost"],
            "--listen 'localhost': give an IP address, ADDRESS:PORT or [IPv6]:PORT",
        ),
        (["--server", "--listen", "127.0.0.1:70000"], "--listen '127.0.0.1:70000': no port 70000"),
    ],
)
def test_listen_mistakes_are_refused(
    mfaenv: Mfa, home: Home, argv: list[str], message: str
) -> None:
    before = home.files()
    refused(mfaenv("exec", *argv, "--", "true"), message, status=2)
    assert home.files() == before


# --- the server lives as long as the command ------------------------------------------------


def test_the_exit_status_is_the_commands_and_the_server_is_gone_after(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, _ = endpoint(server)
    assert server.process.stdin is not None
    server.process.stdin.write("3\n")
    assert server.finish() == (3, "")
    assert refused_connection(environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])


def test_a_killed_command_ends_the_server_and_mfaenv_the_same_way(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, pid = endpoint(server)
    os.kill(pid, signal.SIGKILL)
    assert server.process.wait(30) == -signal.SIGKILL
    assert refused_connection(environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])


def test_a_signal_to_mfaenv_reaches_the_command(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, pid = endpoint(server)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == -signal.SIGTERM, "the command died of it, and so did we"
    assert not Path(f"/proc/{pid}").exists()
    assert refused_connection(environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])


def test_when_mfaenv_is_killed_the_server_is_gone_with_it(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", SHOW])
    environ, pid = endpoint(server)
    uri = environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert get(uri, auth(environ))[0] == 200
    server.process.kill()
    server.process.wait(30)
    try:
        assert Path(f"/proc/{pid}").exists(), "the command runs on"
        assert refused_connection(uri), "but holds no server: it did not inherit the socket"
    finally:
        os.kill(pid, signal.SIGKILL)


COUNT_INTERRUPTS = """
import signal, sys, time
got = []
signal.signal(signal.SIGINT, lambda *_: got.append(1))
print("ready", flush=True)
while not got:
    time.sleep(0.01)
time.sleep(0.5)  # a second one, sent on, would have come by now
print(f"interrupts {len(got)}", flush=True)
sys.exit(len(got))
"""


def test_ctrl_c_reaches_the_command_once(fake_aws: FakeAws, home: Home, offset: Offset) -> None:
    """The terminal sends it to mfaenv and the command alike: mfaenv does not send it again
    (a second Ctrl-C tells terraform to stop at once)."""
    cache_mfa_session(home, offset, 12 * 3600)
    terminal = Terminal(
        ["mfaenv", "exec", "--server", "--", sys.executable, "-c", COUNT_INTERRUPTS],
        dict(os.environ),
    )
    try:
        terminal.read_until("ready")
        terminal.send("\x03")
        terminal.read_until(r"interrupts \d")
        assert "interrupts 1" in terminal.text
        _, status = os.waitpid(terminal.pid, 0)
    except BaseException:
        terminal.close()
        raise
    os.close(terminal.fd)
    assert os.waitstatus_to_exitcode(status) == 1, "the command's status"


def test_an_interrupt_sent_to_mfaenv_is_passed_on_once(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    server = serve(served, ["--", sys.executable, "-c", COUNT_INTERRUPTS])
    assert server.line() == "ready"
    server.process.send_signal(signal.SIGINT)
    assert server.line() == "interrupts 1"
    assert server.finish() == (1, "")


def test_a_default_profile_that_would_come_before_the_server_is_warned_about(
    fake_aws: FakeAws, home: Home, offset: Offset, served: list[Served]
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    # (A second [default] section would make a file botocore refuses, and so mfaenv.)
    home.aws_config.write_text("[default]\nregion = us-east-1\ncredential_process = some-tool\n")
    server = serve(served, ["--", "true"])
    assert server.finish() == (
        0,
        f"mfaenv: the default profile in {home.aws_config} has credential_process, which SDKs "
        "take before the credential server: the command would not use the server's session\n",
    )


def test_a_command_that_is_not_there_is_said_and_nothing_serves(
    fake_aws: FakeAws, home: Home, offset: Offset
) -> None:
    cache_mfa_session(home, offset, 12 * 3600)
    done = subprocess.run(
        ["mfaenv", "exec", "--server", "--", "no-such-command-here"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        127,
        "",
        "mfaenv: cannot run 'no-such-command-here': not found\n",
    )
