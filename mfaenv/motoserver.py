"""The sandbox's AWS: a moto server process on 127.0.0.1, and the demo account in it (a
user with a path, an access key and an enabled virtual MFA device; a role it may assume
with MFA). ``mfa sandbox start`` runs it (``mfaenv.sandbox``); the test suite starts its
servers with the same ``MotoServer`` and ``seed_demo_user``.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfaenv.errors import MfaEnvError

ROLE_NAME = "Admin"
REGION = "us-east-1"
DEMO_PATH = "/eng/demo/"
DEMO_USER = "demo"
# Not the user's name, which `mfaenv enroll` takes for a new device when given no --name.
DEMO_DEVICE = "demo-phone"
# moto's own answer to sts:GetCallerIdentity, whatever the credentials.
MOTO_IDENTITY = "arn:aws:sts::123456789012:user/moto"


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


def _add_moto() -> str:
    """The command that adds moto to the environment this mfaenv runs in."""
    if f"{os.sep}pipx{os.sep}venvs{os.sep}" in sys.prefix:
        return "pipx inject mfaenv 'moto[server]>=5'"
    if sys.prefix != sys.base_prefix:  # a virtual environment: its own pip
        return f"{shlex.quote(sys.executable)} -m pip install 'moto[server]>=5'"
    return "pipx install --force '.[sandbox]' in a clone of mfaenv (see Install in its README)"


@dataclass
class MotoServer:
    """A ``python -m moto.server`` process on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, log: Path, *, detach: bool = False, federation: bool = False, timeout: float = 30.0
    ) -> MotoServer:
        """Start the server; with ``federation``, the sandbox's, which answers the AWS
        federation endpoint's requests too (``mfaenv.sandboxserver``)."""
        from importlib.util import find_spec  # found, not imported: the server imports them

        if not all(find_spec(name) for name in ("moto", "flask", "flask_cors")):
            raise MfaEnvError(
                f"the sandbox needs moto's server, which this mfaenv lacks; add it: {_add_moto()}"
            )
        server = cls(free_port())
        port = str(server.port)
        command = (
            ["mfaenv.sandboxserver", port]
            if federation
            else ["moto.server", "-H", "127.0.0.1", "-p", port]
        )
        with os.fdopen(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:
            server.process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed args
                [sys.executable, "-m", *command],
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
            time.sleep(0.02)
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


_ADMIN: list[Any] = []  # one session (it loads IAM's model once), however many users it seeds


def _admin_iam(url: str) -> Any:
    """An IAM client of moto's account, whatever profile the environment names (a stopped
    sandbox's, say)."""
    if not _ADMIN:
        import boto3
        import botocore.session

        own = botocore.session.Session()
        own.get_component("config_store").set_config_variable("profile", None)
        _ADMIN.append(boto3.session.Session(botocore_session=own))
    return _ADMIN[0].client(
        "iam",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="sandbox-admin",
        aws_secret_access_key="sandbox-admin",  # noqa: S106 - moto takes any key
    )


def seed_demo_user(
    url: str, *, name: str = DEMO_USER, path: str = DEMO_PATH, device_name: str = DEMO_DEVICE
) -> DemoUser:
    """Create an IAM user with a path, an access key and an enabled virtual MFA device."""
    import pyotp

    iam = _admin_iam(url)
    arn = iam.create_user(UserName=name, Path=path)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=device_name)["VirtualMFADevice"]
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


def seed_admin_role(url: str, account: str) -> str:
    """A role the account's users may assume with MFA, as teams set one up: its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    role = _admin_iam(url).create_role(
        RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=43200
    )
    return str(role["Role"]["Arn"])


def pyotp_uri(demo: DemoUser) -> str:
    """The demo device as an ``otpauth://`` URI, the form ``pass otp insert`` takes."""
    import pyotp

    return pyotp.TOTP(demo.totp_secret).provisioning_uri(
        name=f"{DEMO_USER}@123456789012", issuer_name="mfaenv sandbox"
    )
