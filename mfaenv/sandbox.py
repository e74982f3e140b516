"""A local STS/IAM (a moto server on 127.0.0.1) with a demo user, to try mfa without AWS.

``mfa sandbox start`` starts it (or finds it running), points this shell at it through
a profile of its own, and ``mfa sandbox stop`` ends it and puts the shell back. The
test suite starts its servers with the same ``MotoServer`` and ``seed_demo_user``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mfaenv.cache import Cache
from mfaenv.env import CREDENTIAL_VARS, SESSION, Change, Layer, ShellState
from mfaenv.errors import MfaEnvError, warn
from mfaenv.files import cache_dir, private_dir, read_private, write_private

PROFILE = "mfaenv-sandbox"
REGION = "us-east-1"
DEMO_PATH = "/eng/demo/"
DEMO_USER = "demo"

SANDBOX = Layer(
    name="sandbox",
    marker="MFAENV_SANDBOX",
    variables=(
        *CREDENTIAL_VARS,
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "MFAENV_SANDBOX",
    ),
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=timeout):  # noqa: S310
            return True
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class MotoServer:
    """A ``python -m moto.server`` process on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, log: Path, *, detach: bool = False, timeout: float = 30.0) -> MotoServer:
        try:
            import moto.server  # noqa: F401 - only to tell whether it is installed
        except ImportError:
            raise MfaEnvError(
                "the sandbox needs moto's server: pip install 'mfaenv[sandbox]'"
            ) from None
        server = cls(free_port())
        with log.open("ab") as out:
            server.process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed args
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(server.port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=detach,
            )
        deadline = time.monotonic() + timeout
        while not answers(server.url):
            if server.process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise MfaEnvError(f"the moto server did not start; see {log}")
            time.sleep(0.1)
        return server

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class DemoUser:
    arn: str
    access_key_id: str
    secret_access_key: str
    serial: str
    totp_secret: str


def seed_demo_user(url: str, *, name: str = DEMO_USER, path: str = DEMO_PATH) -> DemoUser:
    """Create an IAM user with a path, an access key and an enabled virtual MFA device."""
    import boto3
    import pyotp

    iam = boto3.client(
        "iam",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="sandbox-admin",
        aws_secret_access_key="sandbox-admin",  # noqa: S106 - moto takes any key
    )
    arn = iam.create_user(UserName=name, Path=path)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    secret = device["Base32StringSeed"]
    if isinstance(secret, bytes):
        secret = secret.decode()
    totp = pyotp.TOTP(secret)
    now = time.time()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now),
        AuthenticationCode2=totp.at(now + totp.interval),
    )
    return DemoUser(arn, key["AccessKeyId"], key["SecretAccessKey"], device["SerialNumber"], secret)


# --- mfa sandbox start / stop ----------------------------------------------------------


def _home() -> Path:
    return Path(cache_dir()) / "sandbox"


def _running() -> dict[str, object] | None:
    try:
        raw = read_private(_home() / "state.json")
        state = json.loads(raw) if raw else None
    except (MfaEnvError, ValueError):
        return None
    if isinstance(state, dict) and isinstance(state.get("url"), str) and answers(state["url"]):
        return state
    return None


def start(state: ShellState) -> Change:
    if state.active(SESSION):
        raise MfaEnvError("this shell has an MFA session; run `mfa off` before the sandbox")
    if state.active(SANDBOX):
        raise MfaEnvError(
            f"the sandbox is already on in this shell ({state.environ['MFAENV_SANDBOX']})"
        )
    home = Path(private_dir(_home()))
    running = _running()
    if running is None:
        server = MotoServer.start(home / "moto.log", detach=True)
        demo = seed_demo_user(server.url)
        pid = server.process.pid if server.process else None
        running = {"url": server.url, "pid": pid, "arn": demo.arn, "serial": demo.serial}
        write_private(home / "state.json", json.dumps(running).encode())
        write_private(home / "totp-secret", (demo.totp_secret + "\n").encode())
        write_private(
            home / "credentials",
            f"[{PROFILE}]\naws_access_key_id = {demo.access_key_id}\n"
            f"aws_secret_access_key = {demo.secret_access_key}\n".encode(),
        )
        write_private(home / "config", f"[profile {PROFILE}]\nregion = {REGION}\n".encode())
    url = str(running["url"])
    warn(
        f"sandbox STS/IAM at {url}: IAM user {running['arn']} with MFA device "
        f"{running['serial']}. Try `mfa 123456` (the sandbox takes any 6 digits) or "
        f"`mfa --totp file:{home / 'totp-secret'}`, `mfa status`, `mfa off`, then "
        "`mfa sandbox stop`"
    )
    return state.apply(
        SANDBOX,
        {
            "AWS_PROFILE": PROFILE,
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
            "AWS_ENDPOINT_URL": url,
            "AWS_REGION": REGION,
            "MFAENV_SANDBOX": url,
        },
    )


def stop(state: ShellState) -> Change:
    change = Change()
    if state.active(SESSION):
        change, _ = state.remove(SESSION)
        state = state.after(change)
    running = _running()
    if running is None and not state.active(SANDBOX):
        raise MfaEnvError("the sandbox is not running")
    pid = running.get("pid") if running else None
    if isinstance(pid, int):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    home = _home()
    for name in ("state.json", "credentials", "config", "totp-secret", "moto.log"):
        (home / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        home.rmdir()
    Path(Cache().session_path(PROFILE)).unlink(missing_ok=True)
    warn("sandbox stopped")
    if state.active(SANDBOX):
        change = change.then(state.remove(SANDBOX)[0])
    return change
