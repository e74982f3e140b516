"""Fixtures: an isolated home, a moto server over HTTP, the tests' own fake AWS, real shells."""

from __future__ import annotations

import configparser
import contextlib
import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakeaws import (
    ADMIN,
    SERIAL,
    FakeAws,
    assume_role_reply,
    devices_reply,
    identity_reply,
    session_token_reply,
    signin_token_reply,
)

from mfaenv.clock import SYSTEM, Clock
from mfaenv.motoserver import DemoUser, MotoServer, seed_demo_user
from mfaenv.shells import get_shell
from mfaenv.verbs import EVAL_VERBS, PASSTHROUGH

TYPE_CHECKING = False
if TYPE_CHECKING:
    from interactive import Shell

# The shells of tests of mfaenv's own logic: this machine's.
SHELL_NAMES = ("bash", "zsh", "fish")
# Every shell the shell integration is tested in: this machine's (from PATH), and the ones
# users have beyond it, built by .ci/install into TEST_SHELLS: bash 3.2 (macOS's
# /bin/bash), bash 4.2 (CentOS 7, Amazon Linux 2), fish 4. A test of the integration
# takes them all with @every_shell; need("bash-3.2") finds one as need("bash") does.
EVERY_SHELL = ("bash", "bash-3.2", "bash-4.2", "zsh", "fish", "fish-4")
BUILT_SHELLS = {"bash-3.2": "bash-3.2/bash", "bash-4.2": "bash-4.2/bash", "fish-4": "fish-4/fish"}


def _test_shells() -> Path:
    """Where .ci/install builds them (the same rule), read before any test changes HOME."""
    if os.environ.get("MFAENV_TEST_SHELLS"):
        return Path(os.environ["MFAENV_TEST_SHELLS"])
    if os.getuid() == 0:
        return Path("/var/cache/mfaenv-test-shells")
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "mfaenv-test-shells"


TEST_SHELLS = _test_shells()
# A base32 TOTP secret the tests share (RFC 6238's test key, base32).
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def kind(shell: str) -> str:
    """The family of a shell of EVERY_SHELL: "bash-3.2" is a bash, "fish-4" a fish."""
    return shell.split("-", 1)[0]


def need(tool: str) -> str:
    """The path of ``tool`` (a shell of BUILT_SHELLS: in TEST_SHELLS); a failure in CI when
    it is missing, else a skip."""
    if tool in BUILT_SHELLS:
        built = TEST_SHELLS / BUILT_SHELLS[tool]
        path = str(built) if os.access(built, os.X_OK) else None
    else:
        path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is not installed, and CI must run every test")
        pytest.skip(f"{tool} is not installed")
    return path


def libfaketime() -> str:
    """The path of libfaketime (Debian's package faketime), to LD_PRELOAD: the tests whose
    clock moves during the run read it from a file (FAKETIME_TIMESTAMP_FILE)."""
    need("faketime")
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    found += Path("/usr/lib").glob("faketime/libfaketime.so.1")
    if not found:
        pytest.fail("faketime is installed, but not its libfaketime.so.1")
    return str(found[0])


def faketime(spec: str) -> list[str]:
    """The faketime wrapper's words for a clock at ``spec`` (``+0 x10``: ten times as fast),
    shared by every process it starts. A wrapper names its semaphore and shared memory
    after its PID and leaves them when it is killed; a later wrapper given the same PID
    then fails ("sem_open: File exists"), so those of PIDs no longer alive go first."""
    binary = need("faketime")
    with contextlib.suppress(OSError):
        for path in Path("/dev/shm").iterdir():
            left = re.fullmatch(r"(?:sem\.)?faketime_(?:sem|shm)_(\d+)", path.name)
            if left is not None and not _alive(int(left[1])):
                path.unlink(missing_ok=True)
    return [binary, "-f", spec]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def need_module(name: str) -> Any:
    """The module ``name``; a failure in CI when it is missing, else a skip."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed, and CI must run every test")
        pytest.skip(f"{name} is not installed")


@dataclass(frozen=True)
class Home:
    root: Path
    cache: Path
    config: Path
    aws_config: Path
    aws_credentials: Path

    def files(self) -> dict[str, tuple[int, bytes]]:
        """Every file under the home with its mode and content: to prove nothing changed."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                found[str(path.relative_to(self.root))] = (path.stat().st_mode, path.read_bytes())
        return found


@pytest.fixture(scope="session")
def mfaenv_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding an ``mfaenv`` command that runs this interpreter's mfaenv: the
    tests put it first on PATH themselves, as a user's install would, whatever PATH
    ``./test`` was started with."""
    bin_dir = tmp_path_factory.mktemp("bin")
    command = bin_dir / "mfaenv"
    command.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m mfaenv "$@"\n')
    command.chmod(0o755)
    return bin_dir


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mfaenv_bin: Path) -> Home:
    """A clean HOME, XDG dirs and AWS files for each test; no AWS or MFAENV settings leak in."""
    root = tmp_path / "home"
    root.mkdir()
    for name in list(os.environ):
        if name.startswith(("AWS_", "MFAENV_", "__MFAENV")):
            monkeypatch.delenv(name)
    made = Home(
        root=root,
        cache=root / ".cache",
        config=root / ".config",
        aws_config=root / ".aws" / "config",
        aws_credentials=root / ".aws" / "credentials",
    )
    # This mfaenv, then the test environment's own commands (aws, moto_server), then PATH.
    tools = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join([str(mfaenv_bin), tools, os.environ["PATH"]]))
    monkeypatch.setenv("HOME", str(root))
    monkeypatch.setenv("XDG_CACHE_HOME", str(made.cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(made.config))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(made.aws_config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(made.aws_credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Never ask on the developer's terminal; the tests that prompt use a pty of their own.
    monkeypatch.setenv("MFAENV_NO_PROMPT", "1")
    return made


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    need("python3")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = MotoServer.start(log)
    yield server
    server.stop()


@pytest.fixture
def demo(moto_server: MotoServer, home: Home, monkeypatch: pytest.MonkeyPatch) -> DemoUser:
    """A fresh moto state with the demo user, whose keys are the default profile's."""
    moto_server.reset()
    user = seed_demo_user(moto_server.url)
    write_profile(home, "default", user.access_key_id, user.secret_access_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    return user


def write_profile(home: Home, profile: str, key: str, secret: str, **config: str) -> None:
    """Set (or replace) a profile in the AWS credentials and config files."""
    section = "default" if profile == "default" else f"profile {profile}"
    for path, name, values in (
        (
            home.aws_credentials,
            profile,
            {"aws_access_key_id": key, "aws_secret_access_key": secret},
        ),
        (home.aws_config, section, {"region": "us-east-1", **config}),
    ):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path)
        parser[name] = values
        path.parent.mkdir(exist_ok=True)
        with path.open("w") as out:
            parser.write(out)


@pytest.fixture
def fake_aws(home: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAws]:
    """The tests' own endpoint, with a default profile whose keys it sees signed."""
    fake = FakeAws().start()
    write_profile(home, "default", "AKIAFAKELONGLIVED001", "long/lived+secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
    yield fake
    fake.stop()


@pytest.fixture
def role_aws(fake_aws: FakeAws) -> FakeAws:
    """``fake_aws`` as an account whose user has an MFA device (``SERIAL``) and may assume
    roles: each call answered as it succeeds. The tests add the role profiles they use."""
    fake_aws.answers.update(
        GetSessionToken=session_token_reply(),
        AssumeRole=assume_role_reply(),
        GetCallerIdentity=identity_reply(),
        ListMFADevices=devices_reply(SERIAL),
    )
    return fake_aws


@pytest.fixture
def federation(role_aws: FakeAws, home: Home, monkeypatch: pytest.MonkeyPatch) -> FakeAws:
    """``role_aws`` as the console's federation endpoint too, and a role profile admin."""
    role_aws.answers["getSigninToken"] = signin_token_reply()
    with home.aws_config.open("a") as out:
        out.write(
            f"[profile admin]\nrole_arn = {ADMIN}\nsource_profile = default\nregion = eu-west-1\n"
        )
    monkeypatch.setenv("MFAENV_FEDERATION_ENDPOINT", f"{role_aws.url}/federation")
    return role_aws


# --- real shells -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    command: str
    status: int
    env: dict[str, str]
    stash: bool  # whether the shell holds the stash variable


@dataclass(frozen=True)
class Transcript:
    steps: list[Step]
    stdout: str
    stderr: str

    @property
    def before(self) -> dict[str, str]:
        return self.steps[0].env

    def __getitem__(self, index: int) -> Step:
        return self.steps[index]


def read_env(path: Path) -> dict[str, str]:
    env = {}
    for entry in path.read_bytes().split(b"\0"):
        if entry:
            name, _, value = entry.decode("utf-8", "surrogateescape").partition("=")
            env[name] = value
    env.pop("_", None)  # the last argument of the previous command, in bash and zsh
    return env


# Flags that keep the user's own rc files out of a shell the tests start.
NO_RC = {"bash": ["--noprofile", "--norc"], "zsh": ["-f"], "fish": ["--no-config"]}


def run_shell(
    shell: str, script: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    binary = need(shell)
    flags = NO_RC[kind(shell)]
    return subprocess.run(
        [binary, *flags, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def init_command(shell: str) -> str:
    """The documented setup line, with this interpreter's mfaenv (``shell``: of EVERY_SHELL)."""
    family = kind(shell)
    quoted = get_shell(family).words([sys.executable, "-m", "mfaenv", "init", family])
    return f"{quoted} | source" if family == "fish" else f'eval "$({quoted})"'


def transcript(
    shell: str, commands: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> Transcript:
    """Run the integration and ``commands`` in the real ``shell``; snapshot after each one.

    Snapshot 0 is the environment before any ``mfa`` command.
    """
    out = tmp_path / f"snap-{shell}"
    out.mkdir(exist_ok=True)
    q = get_shell(kind(shell)).quote
    if kind(shell) == "fish":
        lines = [
            f"{init_command(shell)}; or exit 99",
            "function __t_snap; env -0 > " + q(str(out)) + "/env.$argv[1]; "
            "printf '%s' $argv[2] > " + q(str(out)) + "/rc.$argv[1]; "
            "set -q __mfaenv_stash; and printf x > " + q(str(out)) + "/stash.$argv[1]; end",
            "__t_snap 0 0",
        ]
        lines += [f"{command}; __t_snap {i} $status" for i, command in enumerate(commands, 1)]
    else:
        lines = [
            f"{init_command(shell)} || exit 99",
            "__t_snap() { env -0 > "
            + q(str(out))
            + '/env.$1; printf %s "$2" > '
            + q(str(out))
            + '/rc.$1; if [ -n "${__mfaenv_stash+x}" ]; then printf x > '
            + q(str(out))
            + "/stash.$1; fi; }",
            "__t_snap 0 0",
        ]
        lines += [f"{command}; __t_snap {i} $?" for i, command in enumerate(commands, 1)]
    result = run_shell(shell, "\n".join(lines) + "\n", env if env is not None else dict(os.environ))
    assert result.returncode != 99, result.stderr
    steps = []
    for i, command in enumerate(["(start)", *commands]):
        assert (out / f"rc.{i}").exists(), f"{shell} stopped before {command!r}: {result.stderr}"
        steps.append(
            Step(
                command=command,
                status=int((out / f"rc.{i}").read_text()),
                env=read_env(out / f"env.{i}"),
                stash=(out / f"stash.{i}").exists(),
            )
        )
        for name in ("env", "rc", "stash"):
            (out / f"{name}.{i}").unlink(missing_ok=True)
    return Transcript(steps, result.stdout, result.stderr)


@pytest.fixture(params=SHELL_NAMES)
def shell(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    need(name)
    return name


# On a test of the shell integration: its ``shell`` is each of EVERY_SHELL in turn.
every_shell = pytest.mark.parametrize("shell", EVERY_SHELL, indirect=True)


# --- the core in-process -------------------------------------------------------------


@pytest.fixture
def shells() -> Iterator[list[Shell]]:
    """The interactive shells a test opens (``interactive.open_shell``), closed after it."""
    opened: list[Shell] = []
    yield opened
    for shell in opened:
        shell.close()


class FakeClock(Clock):
    """Time that moves only when mfaenv waits: ``sleep`` advances it at once.

    It starts at the real time, since the servers' expiry times are real.
    """

    __slots__ = ("mono", "slept", "time")

    def __init__(self) -> None:
        self.time = time.time()
        self.mono = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += max(seconds, 0)
        self.mono += max(seconds, 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass(frozen=True)
class Run:
    status: int
    stdout: str
    stderr: str


class Mfaenv:
    """``mfaenv.cli.main`` in-process, with the test's fake clock.

    ``mfaenv("status")`` runs ``mfaenv status``; ``mfaenv.mfa("123456")`` runs what the
    shell function runs for ``mfa 123456`` (``sh-on --shell bash 123456``).
    """

    def __init__(self, capsys: pytest.CaptureFixture[str], clock: Clock) -> None:
        self.capsys = capsys
        self.clock = clock

    def __call__(self, *argv: str) -> Run:
        from mfaenv.cli import main

        status = main(list(argv), clock=self.clock)
        captured = self.capsys.readouterr()
        return Run(status, captured.out, captured.err)

    def mfa(self, *words: str, as_shell: str = "bash") -> Run:
        first = words[0] if words else ""
        if first in EVAL_VERBS:
            return self(f"sh-{first}", "--shell", as_shell, *words[1:])
        if first in PASSTHROUGH:
            return self(*words)
        return self("sh-on", "--shell", as_shell, *words)


Mfa = Mfaenv


@pytest.fixture
def mfaenv(capsys: pytest.CaptureFixture[str], clock: FakeClock) -> Mfaenv:
    return Mfaenv(capsys, clock)


def real_time(mfaenv: Mfaenv) -> Mfaenv:
    """The same, on the real clock: for the one test of a behaviour that really waits."""
    mfaenv.clock = SYSTEM
    return mfaenv


def refused(run: Run, message: str, status: int = 1) -> None:
    """One ``mfaenv:`` line, nothing on stdout, and the exit status."""
    assert (run.status, run.stdout, run.stderr) == (status, "", f"mfaenv: {message}\n")


def prompting_env() -> dict[str, str]:
    """The environment without MFAENV_NO_PROMPT, for a test that answers on a terminal."""
    return {k: v for k, v in os.environ.items() if k != "MFAENV_NO_PROMPT"}


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """keyring with keyrings.alt's file backend, under this test's own data directory."""
    keyring = need_module("keyring")
    backend = need_module("keyrings.alt.file")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = keyring.get_keyring()
    store = backend.PlaintextKeyring()
    keyring.set_keyring(store)
    yield keyring
    keyring.set_keyring(before)


# --- pass with a real throwaway GnuPG key ---------------------------------------------------


@dataclass(frozen=True)
class PassStore:
    gnupghome: Path
    store: Path

    def insert_otp(self, entry: str, uri: str) -> None:
        subprocess.run(
            [need("pass"), "otp", "insert", entry],
            input=uri + "\n",
            text=True,
            check=True,
            capture_output=True,
            env=dict(os.environ, GNUPGHOME=str(self.gnupghome), PASSWORD_STORE_DIR=str(self.store)),
        )

    def insert(self, entry: str, text: str) -> None:
        subprocess.run(
            [need("pass"), "insert", "--multiline", entry],
            input=text,
            text=True,
            check=True,
            capture_output=True,
            env=dict(os.environ, GNUPGHOME=str(self.gnupghome), PASSWORD_STORE_DIR=str(self.store)),
        )


def make_gpg_key(prefix: str, passphrase: str = "") -> tuple[Path, str]:
    """A new GnuPG home (a short path, for gpg-agent's socket) with one key, made with
    ``passphrase`` (none: empty); the home and the key's fingerprint."""
    gpg = need("gpg")
    need("pass")
    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    home.chmod(0o700)
    # A passphrase protected with few rounds: gpg-agent's own calibration takes seconds.
    (home / "gpg-agent.conf").write_text("s2k-count 65536\n")
    env = dict(os.environ, GNUPGHOME=str(home))
    subprocess.run(
        [
            gpg,
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            "mfaenv tests <tests@example.invalid>",
            "future-default",  # ed25519 and cv25519: made at once, where RSA takes seconds
            "default",
            "never",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        [gpg, "--list-keys", "--with-colons"], env=env, check=True, capture_output=True, text=True
    ).stdout
    fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
    return home, fpr


def forget_gpg_key(home: Path) -> None:
    subprocess.run(
        ["gpgconf", "--kill", "gpg-agent"], env=dict(os.environ, GNUPGHOME=str(home)), check=False
    )
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def gpg_key() -> Iterator[tuple[Path, str]]:
    """A GnuPG home with one key and no passphrase."""
    home, fpr = make_gpg_key("mfg")
    yield home, fpr
    forget_gpg_key(home)


@pytest.fixture
def pass_store(
    gpg_key: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> PassStore:
    home, fpr = gpg_key
    store = tmp_path / "password-store"
    env = dict(os.environ, GNUPGHOME=str(home), PASSWORD_STORE_DIR=str(store))
    subprocess.run([need("pass"), "init", fpr], env=env, check=True, capture_output=True)
    monkeypatch.setenv("GNUPGHOME", str(home))
    monkeypatch.setenv("PASSWORD_STORE_DIR", str(store))
    return PassStore(home, store)


def write_config(home: Home, text: str) -> Path:
    path = home.config / "mfaenv" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def totp_file(directory: Path) -> Path:
    """A TOTP secret file (SECRET) as a user keeps one, 0600: for ``totp = "file:..."``."""
    secret = directory / "dev.totp"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    return secret


def default_totp_source(home: Home, secret: Path) -> None:
    """The config gives the default profile ``secret`` as its TOTP source, and SERIAL."""
    write_config(home, f'[profiles.default]\ntotp = "file:{secret}"\nserial = "{SERIAL}"\n')


def oathtool(secret: str, when: float, *extra: str) -> str:
    """The reference implementation's code for ``when`` (``extra``: its own --totp=... flags)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))
    result = subprocess.run(
        [need("oathtool"), *(extra or ("--totp",)), "--now", stamp, "-b", secret],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()
