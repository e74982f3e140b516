"""Time mfaenv's everyday paths against `python -c pass`, awsume and plain boto3 (issue #9).

Run:  python benchmarks/hotpaths.py [--rounds N] [--tabs N] [--venv DIR] [--reinstall]
                                    [--markdown docs/speed.md]

Everything runs in a virtual environment of the benchmark's own (default
$XDG_CACHE_HOME/mfaenv-bench/venv) with this checkout installed into it as a user gets it
(not editable), and awsume beside it: a base interpreter may carry site-packages .pth
files that slow every start, a venv has none. The install is refreshed by itself when
the checkout's sources change, and in full with --reinstall.

A local moto server on 127.0.0.1 plays STS and IAM; HOME, the XDG directories and the
AWS files live in a temporary directory. The cached sessions are made through the CLIs
themselves (`mfaenv sh-on CODE`, `awsumepy --mfa-token`), and every cache hit is timed
with AWS_ENDPOINT_URL pointing at a closed local port, so a hit that calls AWS fails
instead of looking fast.

All commands run round-robin, a warm-up round and then N rounds, each round starting one
command further on; each figure is the median. Tab completion is timed inside one shell
per round: N calls of the completion function, less an empty loop of N turns. Prints
tables, and a note for each goal missed; exits 0 unless the setup fails. With --markdown
PAGE it also writes them into PAGE between <!-- benchmark:hotpaths --> and its end marker.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mdpage

REPO = Path(__file__).resolve().parent.parent
PROFILE = "bench"
TAB_PROFILES = 1000
CALL_TIMEOUT = 120.0

# Goals (issue #9): ratios to the row's base, and milliseconds per Tab.
PASS_GOAL = 1.3
REUSE_GOAL = 2.0
AWSUME_GOAL = 0.15
NEW_SESSION_GOAL = 1.10  # at most 10% over the plain boto3 script
TAB_GOAL_MS = 20.0

TABLES = {
    "hot": "Hot paths, one process each (ratio to `python -c pass` of the same venv)",
    "terminal": "A new terminal reusing the cached session (ratio to awsume's cache hit)",
    "session": "A new session against moto on 127.0.0.1, a fresh profile and code each run",
    "startup": "Shell start-up, interactive: without the line, with `eval` of mfaenv init, "
    "and sourcing a file rendered once by mfaenv init",
    "tab": f"Tab on `mfa --profile ` with {TAB_PROFILES} profiles in AWS_CONFIG_FILE",
}

# An IAM user with an access key and an enabled virtual MFA device (as
# mfaenv.motoserver.seed_demo_user makes one), run by the venv's interpreter.
SEED = """\
import json, sys, time
import boto3, pyotp
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="bench-admin", aws_secret_access_key="bench-admin")
iam.create_user(UserName="bench", Path="/eng/")
key = iam.create_access_key(UserName="bench")["AccessKey"]
device = iam.create_virtual_mfa_device(VirtualMFADeviceName="bench")["VirtualMFADevice"]
secret = device["Base32StringSeed"]
totp = pyotp.TOTP(secret.decode() if isinstance(secret, bytes) else secret)
now = time.time()
iam.enable_mfa_device(UserName="bench", SerialNumber=device["SerialNumber"],
                      AuthenticationCode1=totp.at(now),
                      AuthenticationCode2=totp.at(now + totp.interval))
print(json.dumps([key["AccessKeyId"], key["SecretAccessKey"], device["SerialNumber"]]))
"""

# What one writes without mfaenv: one GetSessionToken with the profile's keys.
PLAIN_BOTO3 = """\
import sys
import boto3
sts = boto3.Session(profile_name=sys.argv[1]).client("sts")
answer = sts.get_session_token(SerialNumber=sys.argv[2], TokenCode=sys.argv[3])
print("ok", answer["Credentials"]["AccessKeyId"])
"""

# Each Tab script prints "WORDS T0 T1 T2": the words offered, then the clock before the
# N completions, after them, and after an empty loop of N turns.
#
# bash: the function `complete -p mfa` names, called as bash calls it, COMP_* set.
TAB_BASH = """\
eval "$({mfaenv} init bash)" || exit 1
read -ra spec <<<"$(complete -p mfa)"
fn=
for ((i = 0; i + 1 < ${{#spec[@]}}; i++)); do
    if [ "${{spec[i]}}" = -F ]; then fn=${{spec[i + 1]}}; fi
done
[ -n "$fn" ] || exit 1
COMP_WORDS=(mfa --profile '')
COMP_CWORD=2
COMP_LINE='mfa --profile '
COMP_POINT=${{#COMP_LINE}}
COMP_TYPE=9
COMP_KEY=9
t0=$EPOCHREALTIME
for ((i = 0; i < {tabs}; i++)); do "$fn" mfa '' --profile; done
t1=$EPOCHREALTIME
for ((i = 0; i < {tabs}; i++)); do :; done
t2=$EPOCHREALTIME
echo "${{#COMPREPLY[@]}} $t0 $t1 $t2"
"""

# zsh completes only inside zle, which needs a terminal: this times the profile lister
# its completion calls, with compadd a function that keeps the words.
TAB_ZSH = """\
zmodload zsh/datetime
eval "$({mfaenv} init zsh)" || exit 1
(( $+functions[__mfaenv_profiles] )) || exit 1
compadd() {{ reply=("${{@:#--}}") }}
t0=$EPOCHREALTIME
for ((i = 0; i < {tabs}; i++)); do __mfaenv_profiles; done
t1=$EPOCHREALTIME
for ((i = 0; i < {tabs}; i++)); do :; done
t2=$EPOCHREALTIME
echo "${{#reply}} $t0 $t1 $t2"
"""

# fish completes a command line without a terminal: complete -C.
TAB_FISH = """\
{mfaenv} init fish | source; or exit 1
set -l t0 (date +%s.%N)
for i in (seq {tabs}); complete -C 'mfa --profile ' >/dev/null; end
set -l t1 (date +%s.%N)
for i in (seq {tabs}); true; end
set -l t2 (date +%s.%N)
echo (count (complete -C 'mfa --profile ')) $t0 $t1 $t2
"""


class SetupError(Exception):
    """The benchmark cannot run; the message says why."""


# --- the benchmark's own venv ------------------------------------------------------------


def default_venv() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "mfaenv-bench" / "venv"


def _digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    for file in files:
        if "__pycache__" not in file.parts:
            digest.update(f"{file.relative_to(REPO)}\0".encode() + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _pip(python: Path, *args: str) -> None:
    argv = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args]
    print(f"+ {shlex.join(argv)}", file=sys.stderr)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SetupError(f"pip failed:\n{done.stdout}{done.stderr}")


def prepare_venv(venv: Path, reinstall: bool) -> Path:
    """The venv's interpreter, with this checkout and awsume installed and current."""
    python = venv / "bin" / "python"
    fresh = not python.exists()
    if fresh:
        print(f"creating {venv}", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SetupError(f"cannot create the venv {venv}:\n{done.stderr}")
    stamp = venv / "mfaenv-bench.json"
    try:
        known = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    now = {
        "repo": str(REPO),
        "deps": _digest(REPO / "pyproject.toml"),
        "code": _digest(REPO / "mfaenv", REPO / "shell", REPO / "completions"),
    }
    if fresh or reinstall or known.get("repo") != now["repo"] or known.get("deps") != now["deps"]:
        _pip(python, f"{REPO}[sandbox]", "awsume")
    # pip keeps an installed mfaenv of the same version: force this checkout's code in.
    if not fresh and (reinstall or known != now):
        print("installing the checkout's mfaenv afresh", file=sys.stderr)
        _pip(python, "--force-reinstall", "--no-deps", str(REPO))
    stamp.write_text(json.dumps(now), encoding="utf-8")
    return python


# --- the sandbox: moto, HOME, the AWS files, cached sessions ---------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1.0):  # noqa: S310
            return True
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def moto_server(python: Path, log: Path) -> Iterator[str]:
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(python), "-m", "moto.server", "-H", "127.0.0.1", "-p", url.rpartition(":")[2]],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace").strip().splitlines()[-5:]
                raise SetupError("the moto server did not start:\n" + "\n".join(tail))
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class User:
    key: str
    secret: str
    serial: str


def seed(python: Path, url: str) -> User:
    done = subprocess.run(
        [str(python), "-c", SEED, url], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise SetupError(f"cannot create the IAM user in moto:\n{done.stderr}")
    key, secret, serial = json.loads(done.stdout)
    return User(key, secret, serial)


def fresh_profile(round_no: int) -> str:
    return "new-warm" if round_no < 0 else f"new-{round_no:03d}"


def fresh_code(round_no: int) -> str:
    """A code no earlier run used: mfaenv refuses a code it saw accepted."""
    return f"{200001 + round_no:06d}"


def write_aws_files(home: Path, user: User, rounds: int) -> Path:
    """~/.aws/credentials and config for PROFILE and the fresh profiles; returns another
    config with TAB_PROFILES profiles, for Tab."""
    aws = home / ".aws"
    aws.mkdir(parents=True)
    names = [PROFILE, *(fresh_profile(r) for r in range(-1, rounds))]
    keys = f"aws_access_key_id = {user.key}\naws_secret_access_key = {user.secret}\n"
    (aws / "credentials").write_text("".join(f"[{name}]\n{keys}" for name in names))
    (aws / "credentials").chmod(0o600)
    settings = f"region = us-east-1\nmfa_serial = {user.serial}\n"
    (aws / "config").write_text("".join(f"[profile {name}]\n{settings}" for name in names))
    many = home / "config-with-many-profiles"
    many.write_text(
        f"[default]\n{settings}"
        + "".join(f"[profile team-{i:04d}]\n{settings}" for i in range(TAB_PROFILES - 1))
    )
    return many


def base_environ(home: Path, venv: Path) -> dict[str, str]:
    """The caller's environment less AWS, mfaenv and Python settings, in the temp HOME."""
    dropped = ("AWS_", "MFAENV_", "__MFAENV", "PYTHON", "AWSUME", "VIRTUAL_ENV", "ZDOTDIR")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    environ.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        HISTFILE=str(home / ".history"),
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        MFAENV_NO_PROMPT="1",
    )
    return environ


def checked(argv: Sequence[str], env: Mapping[str, str], what: str) -> str:
    done = subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise SetupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def make_cached_sessions(venv: Path, live: Mapping[str, str], serial: str) -> None:
    """A cached session for PROFILE, made the way a user makes one, for mfaenv and awsume."""
    mfaenv = str(venv / "bin" / "mfaenv")
    argv = [mfaenv, "sh-on", "--shell", "bash", "123456", "--profile", PROFILE, "--serial", serial]
    checked(argv, live, "mfaenv sh-on 123456 (to cache a session)")
    awsumepy = str(venv / "bin" / "awsumepy")
    checked([awsumepy, PROFILE, "--mfa-token", "123456"], live, "awsumepy (to cache a session)")


def session_environ(mfaenv: str, hit: Mapping[str, str], notes: list[str]) -> dict[str, str]:
    """The environment of a shell in an MFA session, stash included, as `mfa` leaves it:
    long-lived keys in the environment, then `mfa --profile bench` (the cached session)."""
    script = (
        f'eval "$({shlex.quote(mfaenv)} init bash)" || exit 1\n'
        "export AWS_ACCESS_KEY_ID=AKIAXBENCHLONGTERM AWS_SECRET_ACCESS_KEY=long-term-secret\n"
        f"mfa --profile {PROFILE} >/dev/null 2>&1 || exit 1\n"
        "printf '%s\\0' \"${__mfaenv_stash-}\"\n"
        "env -0\n"
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=dict(hit),
        capture_output=True,
        check=False,
        timeout=60,
    )
    environ = dict(hit)
    if done.returncode == 0:
        stash, *entries = done.stdout.decode("utf-8", "surrogateescape").split("\0")
        for entry in entries:
            name, _, value = entry.partition("=")
            if name.startswith(("AWS_", "MFAENV_")):
                environ[name] = value
        if "MFAENV_PROFILE" in environ and stash:
            return dict(environ, __MFAENV_STASH=stash)
    notes.append(
        f"`mfa --profile {PROFILE}` in bash failed (exit {done.returncode}), so status, prompt "
        "and sh-off ran in a hand-made session environment"
    )
    expires = int(time.time()) + 6 * 3600
    kept = {"session": {"AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": "s"}}
    made = {
        "AWS_ACCESS_KEY_ID": "ASIABENCHSESSION",
        "AWS_SECRET_ACCESS_KEY": "session-secret",
        "AWS_SESSION_TOKEN": "session-token",
        "AWS_CREDENTIAL_EXPIRATION": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
        "MFAENV_PROFILE": PROFILE,
        "MFAENV_EXPIRES": str(expires),
        "__MFAENV_STASH": json.dumps(kept),
    }
    return dict(hit, **made)


# --- what is timed -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One command to time, in one table. ``@CODE@`` and ``@PROFILE@`` in argv become a
    fresh code and profile each run. ``base`` names the case this one is a ratio to;
    ``goal`` is the highest ratio (or, for Tab, milliseconds) that meets issue #9.
    A ``tab`` case prints ``WORDS T0 T1 T2`` and its figure is ms per Tab."""

    table: str
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    base: str | None = None
    goal: float | None = None
    expect: str | None = None
    tab: bool = False


@dataclass
class Bench:
    """Builds the cases from the venv and the sandbox's environments."""

    venv: Path
    home: Path
    hit: dict[str, str]  # AWS_ENDPOINT_URL at a closed port: a cache hit or a failure
    live: dict[str, str]  # AWS_ENDPOINT_URL at moto
    session: dict[str, str]  # a shell in an MFA session, with its stash
    serial: str
    tab_config: Path
    tabs: int
    notes: list[str] = field(default_factory=list)

    def mfaenv(self, *args: str) -> tuple[str, ...]:
        return (str(self.venv / "bin" / "mfaenv"), *args)

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def cases(self) -> list[Case]:
        shells = [s for s in ("bash", "zsh", "fish") if shutil.which(s)]
        for missing in sorted({"bash", "zsh", "fish"} - set(shells)):
            self.notes.append(f"{missing} is not installed: its rows are left out")
        return [
            *self.hot(),
            *self.terminal(),
            *self.new_session(),
            *(case for shell in shells for case in self.startup(shell)),
            *(self.tab(shell) for shell in shells),
        ]

    def hot(self) -> list[Case]:
        base = "python -c pass"
        reuse = dict(self.hit, AWS_PROFILE=PROFILE)
        return [
            Case("hot", base, (self.python, "-c", "pass"), self.hit, base),
            *(
                Case("hot", f"mfaenv init {s}", self.mfaenv("init", s), self.hit, base, PASS_GOAL)
                for s in ("bash", "zsh", "fish")
            ),
            Case("hot", "mfaenv status", self.mfaenv("status"), self.session, base, PASS_GOAL),
            Case("hot", "mfaenv prompt", self.mfaenv("prompt"), self.session, base, PASS_GOAL),
            Case(
                "hot",
                "mfaenv sh-on --shell bash (cached session)",
                self.mfaenv("sh-on", "--shell", "bash"),
                reuse,
                base,
                REUSE_GOAL,
                "AWS_SESSION_TOKEN",
            ),
            Case(
                "hot",
                "mfaenv sh-off --shell bash",
                self.mfaenv("sh-off", "--shell", "bash"),
                self.session,
                base,
                REUSE_GOAL,
                "AWS_ACCESS_KEY_ID",
            ),
            Case(
                "hot",
                f"mfaenv credential-process --profile {PROFILE}",
                self.mfaenv("credential-process", "--profile", PROFILE),
                self.hit,
                base,
                REUSE_GOAL,
                "SessionToken",
            ),
            Case(
                "hot",
                "python -c 'import boto3'",
                (self.python, "-c", "import boto3"),
                self.hit,
                base,
            ),
        ]

    def terminal(self) -> list[Case]:
        base = f"awsumepy {PROFILE} (cache hit)"
        init = shlex.join(self.mfaenv("init", "bash"))
        check = '&& [ -n "${AWS_SESSION_TOKEN-}" ]'
        bash = ("bash", "--norc", "--noprofile", "-c")
        return [
            Case(
                "terminal",
                "bash -c 'eval \"$(mfaenv init bash)\"; mfa'",
                (*bash, f'eval "$({init})"; mfa {check}'),
                dict(self.hit, AWS_PROFILE=PROFILE),
                base,
                AWSUME_GOAL,
            ),
            Case(
                "terminal",
                base,
                (str(self.venv / "bin" / "awsumepy"), PROFILE),
                self.hit,
                base,
                expect="Awsume ",
            ),
            Case(
                "terminal",
                f"bash -c '. awsume {PROFILE}' (its shell wrapper)",
                (*bash, f". awsume {PROFILE} {check}"),
                self.hit,
                base,
            ),
            Case("terminal", "bash -c : (bash alone)", (*bash, ":"), self.hit, base),
        ]

    def new_session(self) -> list[Case]:
        base = "plain boto3 GetSessionToken"
        mfa = self.mfaenv("sh-on", "--shell", "bash", "@CODE@", "--profile", "@PROFILE@")
        return [
            Case(
                "session",
                "mfaenv sh-on --shell bash CODE --profile P --serial ARN",
                (*mfa, "--serial", self.serial),
                self.live,
                base,
                NEW_SESSION_GOAL,
                "AWS_SESSION_TOKEN",
            ),
            Case(
                "session",
                base,
                (self.python, "-c", PLAIN_BOTO3, "@PROFILE@", self.serial, "@CODE@"),
                self.live,
                base,
                expect="ok",
            ),
        ]

    def startup(self, shell: str) -> list[Case]:
        """`SHELL -i -c exit` with an rc file that is empty, evals mfaenv init, or sources
        a file mfaenv init wrote once. zsh's starts with compinit, as most do."""
        rendered = self.home / f"init.{shell}"
        rendered.write_text(checked(self.mfaenv("init", shell), self.hit, f"mfaenv init {shell}"))
        init = shlex.join(self.mfaenv("init", shell))
        evals = f"{init} | source" if shell == "fish" else f'eval "$({init})"'
        lines = {"": "", "eval init": evals, "source file": f"source {shlex.quote(str(rendered))}"}
        base = f"{shell} -i (without)"
        cases = []
        for label, line in lines.items():
            rc = self.home / "startup" / f"{shell}-{label.replace(' ', '-') or 'without'}"
            rc.mkdir(parents=True)
            env = dict(self.hit)
            if shell == "bash":
                (rc / "bashrc").write_text(f"{line}\n")
                argv: tuple[str, ...] = ("bash", "--rcfile", str(rc / "bashrc"), "-i", "-c", "exit")
            elif shell == "zsh":
                compinit = 'autoload -Uz compinit && compinit -C -d "$ZDOTDIR/.zcompdump"'
                (rc / ".zshrc").write_text(f"{compinit}\n{line}\n")
                argv, env["ZDOTDIR"] = ("zsh", "-i", "-c", "exit"), str(rc)
            else:
                (rc / "fish").mkdir()
                (rc / "fish" / "config.fish").write_text(f"{line}\n")
                argv, env["XDG_CONFIG_HOME"] = ("fish", "-i", "-c", "exit"), str(rc)
            name = f"{shell} -i: {label}" if label else base
            cases.append(Case("startup", name, argv, env, base))
        return cases

    def tab(self, shell: str) -> Case:
        mfaenv = shlex.join(self.mfaenv())
        name, flags, template = {
            "bash": (
                "bash: the function of `complete -p mfa`",
                ("--norc", "--noprofile"),
                TAB_BASH,
            ),
            "zsh": ("zsh: __mfaenv_profiles alone (see notes)", ("-f",), TAB_ZSH),
            "fish": ("fish: complete -C 'mfa --profile '", ("--no-config",), TAB_FISH),
        }[shell]
        if shell == "zsh":
            self.notes.append(
                "zsh completes only inside zle, which needs a terminal: its Tab row times the "
                "profile lister its completion calls (compadd stubbed), without _arguments"
            )
        script = template.format(mfaenv=mfaenv, tabs=self.tabs)
        env = dict(self.hit, AWS_CONFIG_FILE=str(self.tab_config))
        return Case("tab", name, (shell, *flags, "-c", script), env, goal=TAB_GOAL_MS, tab=True)


# --- the round-robin --------------------------------------------------------------------------


@dataclass
class Result:
    by_round: dict[int, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.by_round.values()) if self.by_round else None

    @property
    def iqr(self) -> str:
        if len(self.by_round) < 4:
            return ""
        low, _, high = statistics.quantiles(self.by_round.values(), n=4)
        return f"{high - low:.1f}"


def per_tab(stdout: str, tabs: int) -> float:
    """ms per Tab from ``WORDS T0 T1 T2``, once all the profiles were offered."""
    words, *clock = stdout.split()[-4:]
    if int(words) < TAB_PROFILES:
        raise ValueError(f"the completion offered {words} words, not {TAB_PROFILES}")
    t0, t1, t2 = (float(c.replace(",", ".")) for c in clock)
    return max((t1 - t0) - (t2 - t1), 0.0) / tabs * 1000


def run_once(case: Case, round_no: int, tabs: int) -> float:
    argv = [
        a.replace("@CODE@", fresh_code(round_no)).replace("@PROFILE@", fresh_profile(round_no))
        for a in case.argv
    ]
    start = time.perf_counter()
    done = subprocess.run(
        argv,
        env=dict(case.env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=CALL_TIMEOUT,
    )
    elapsed = (time.perf_counter() - start) * 1000
    stdout = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"exit {done.returncode}: {said[-1] if said else 'no message'}")
    if case.tab:
        return per_tab(stdout, tabs)
    if case.expect is not None and case.expect not in stdout:
        raise ValueError(f"no {case.expect!r} in the output {stdout[:60]!r}")
    return elapsed


def measure(cases: Sequence[Case], rounds: int, tabs: int) -> dict[str, Result]:
    """A warm-up round, then ``rounds`` rounds over all the cases."""
    results = {case.name: Result() for case in cases}
    progress = sys.stderr.isatty()
    for round_no in range(-1, rounds):
        if progress:
            print(f"\rround {round_no + 1} of {rounds}", end="", file=sys.stderr, flush=True)
        shift = max(round_no, 0) % len(cases)
        for case in [*cases[shift:], *cases[:shift]]:
            try:
                elapsed = run_once(case, round_no, tabs)
            except (ValueError, subprocess.TimeoutExpired) as err:
                results[case.name].failures.append(str(err))
                continue
            if round_no >= 0:
                results[case.name].by_round[round_no] = elapsed
    if progress:
        print(file=sys.stderr)
    return results


# --- the report -------------------------------------------------------------------------------


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(f"\n{title}")
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


# A table for the Markdown page: its title, headers, rows and a line below it.
Table = tuple[str, list[str], list[list[str]], str]


def report(
    cases: Sequence[Case], results: Mapping[str, Result], tabs: int, tables: list[Table]
) -> list[str]:
    """Prints the tables (and adds them to ``tables``); returns a note for each goal missed
    and each failed command."""
    notes = []
    for table, title in TABLES.items():
        chosen = [case for case in cases if case.table == table]
        if not chosen:
            continue
        rows = []
        for case in chosen:
            result = results[case.name]
            value = result.median
            base = results[case.base].median if case.base else None
            figure = value / base if value is not None and base else value
            unit = " ms" if case.tab else "x"
            verdict = ""
            if case.goal is not None:
                verdict = "ok" if figure is not None and figure <= case.goal else "MISSED"
            if verdict == "MISSED":
                notes.append(
                    f"MISSED: {case.name}: "
                    + ("failed" if value is None or figure is None else f"{figure:.2f}{unit}")
                    + ("" if case.tab or value is None else f" ({value:.1f} ms)")
                    + f", goal <= {case.goal}{unit}"
                )
            row = [case.name, "failed" if value is None else f"{value:.1f}", result.iqr]
            if not case.tab:
                extra = None
                if value is not None and base is not None and case.base != case.name:
                    extra = value - base
                row.append("" if extra is None else f"{extra:+.1f}")
                row.append("" if figure is None or base is None else f"{figure:.2f}x")
            row += ["" if case.goal is None else f"<= {case.goal}{unit}", verdict]
            rows.append(row)
        if table == "tab":
            headers = ["completion", "ms/Tab", "iqr", "goal", ""]
            title += f" ({tabs} calls in one shell, less an empty loop)"
        else:
            headers = ["command", "ms", "iqr", "+ms", "ratio", "goal", ""]
        print_table(title, headers, rows)
        below = _session_line(chosen, results) if table == "session" else ""
        if below:
            print(below)
        tables.append((title, headers, rows, below))
    for name, result in results.items():
        if result.failures:
            notes.append(
                f"{name}: {len(result.failures)} failed run(s); first: {result.failures[0]}"
            )
    return notes


def _session_line(cases: Sequence[Case], results: Mapping[str, Result]) -> str:
    """mfaenv's time over the plain script: the difference of the medians, and (less
    noisy, since both ran in each round) the median of the differences round by round."""
    ours, plain = (results[case.name] for case in cases)
    if ours.median is None or not plain.median:
        return ""
    extra = ours.median - plain.median
    paired = [ours.by_round[r] - plain.by_round[r] for r in ours.by_round if r in plain.by_round]
    same_round = statistics.median(paired)
    return (
        f"mfaenv's extra time: {extra:+.1f} ms, {extra / plain.median * 100:+.1f}% of the "
        f"plain script (goal <= {(NEW_SESSION_GOAL - 1) * 100:.0f}%); round by round: "
        f"{same_round:+.1f} ms, {same_round / plain.median * 100:+.1f}%"
    )


def _first_line(argv: Sequence[str], env: Mapping[str, str]) -> str:
    try:
        done = subprocess.run(
            list(argv), env=dict(env), capture_output=True, text=True, check=False, timeout=30
        )
    except OSError:
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def describe(python: Path, env: Mapping[str, str]) -> list[str]:
    nproc, cpu = mdpage.cpus()
    versions = _first_line(
        [
            str(python),
            "-c",
            "import sys, importlib.metadata as m; print(sys.version.split()[0], 'from',"
            " sys.base_prefix + ';', *(f'{p} {m.version(p)}' for p in"
            " ('mfaenv', 'awsume', 'boto3', 'moto')), sep=' ')",
        ],
        env,
    )
    shells = "; ".join(_first_line([s, "--version"], env) for s in ("bash", "zsh", "fish"))
    return [
        f"machine:     {platform.system()} {platform.release()} {platform.machine()}, "
        f"nproc {nproc}, {cpu}, load average {os.getloadavg()[0]:.2f}",
        f"interpreter: {python}, python {versions}",
        f"shells:      {shells}",
    ]


def write_markdown(
    page: Path, header: Sequence[str], rounds: int, tables: Sequence[Table], notes: Sequence[str]
) -> None:
    """The tables as Markdown, in the page's hotpaths block, with the machine and the date."""
    lines = [
        f"Run on {mdpage.today()}, `python benchmarks/hotpaths.py --rounds {rounds}`: medians "
        f"of {rounds} interleaved rounds after a warm-up; iqr = p75 - p25; ratio = ms / the "
        "row's base.",
        "",
        "```",
        *header,
        "```",
    ]
    for title, headers, rows, below in tables:
        lines += ["", f"**{title}**", "", *mdpage.table(headers, rows)]
        if below:
            lines += ["", below]
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    mdpage.write_block(page, "hotpaths", lines)
    print(f"wrote the tables into {page}", file=sys.stderr)


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--tabs", type=int, default=20, help="Tabs per round (default 20)")
    parser.add_argument("--venv", type=Path, help=f"the venv to use (default {default_venv()})")
    parser.add_argument("--reinstall", action="store_true", help="reinstall mfaenv and awsume")
    parser.add_argument(
        "--markdown", type=Path, metavar="PAGE", help="also write the tables into PAGE"
    )
    args = parser.parse_args()
    if not (1 <= args.rounds <= 1000 and 1 <= args.tabs <= 1000):
        parser.error("--rounds and --tabs take 1 to 1000")
    started = time.monotonic()
    try:
        python = prepare_venv((args.venv or default_venv()).absolute(), args.reinstall)
        venv = python.parent.parent
        with tempfile.TemporaryDirectory(prefix="mfaenv-bench-") as tmp:
            home = Path(tmp) / "home"
            env = base_environ(home, venv)
            with moto_server(python, Path(tmp) / "moto.log") as url:
                user = seed(python, url)
                tab_config = write_aws_files(home, user, args.rounds)
                live = dict(env, AWS_ENDPOINT_URL=url)
                make_cached_sessions(venv, live, user.serial)
                hit = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
                notes: list[str] = []
                session = session_environ(str(venv / "bin" / "mfaenv"), hit, notes)
                bench = Bench(venv, home, hit, live, session, user.serial, tab_config, args.tabs)
                cases = bench.cases()
                header = describe(python, env)
                results = measure(cases, args.rounds, args.tabs)
    except (SetupError, subprocess.TimeoutExpired, OSError) as err:
        print(f"hotpaths: setup failed: {err}", file=sys.stderr)
        return 1
    print("\n".join(header))
    print(f"rounds:      {args.rounds} after a warm-up, round-robin; medians, iqr = p75 - p25")
    tables: list[Table] = []
    notes += bench.notes + report(cases, results, args.tabs, tables)
    if notes:
        print("\nnotes")
        print("\n".join(f"- {note}" for note in notes))
    if args.markdown:
        write_markdown(args.markdown, header, args.rounds, tables, notes)
    print(f"\ntook {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
