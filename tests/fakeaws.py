"""The tests' own AWS endpoint, for what moto cannot do: reject codes, throttle, stall.

It speaks the query protocol of STS and IAM over real HTTP on 127.0.0.1, answers each
action as scripted, and records every request with the access key that signed it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

ACCOUNT = "111122223333"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/ops/alice"
SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/alice"
SESSION_KEY = "ASIAFAKESESSION00001"
SESSION_SECRET = "fake/session+secret"
SESSION_TOKEN = "FwoGZXIvYXdzEFAKE//token=="


@dataclass(frozen=True)
class Request:
    action: str
    params: dict[str, str]
    access_key_id: str | None


@dataclass
class Reply:
    status: int
    body: str


def error(code: str, message: str, status: int = 400) -> Reply:
    return Reply(
        status,
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        "</Error><RequestId>fake-request</RequestId></ErrorResponse>",
    )


def result_reply(action: str, inner: str) -> Reply:
    """The answer of the query protocol to ``action``, its result holding ``inner``."""
    return Reply(
        200,
        f"<{action}Response><{action}Result>{inner}</{action}Result>"
        f"<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{action}Response>",
    )


def session_token_reply(
    key: str = SESSION_KEY,
    secret: str = SESSION_SECRET,
    token: str = SESSION_TOKEN,
    seconds: int | None = None,
) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        duration = (
            seconds if seconds is not None else int(request.params.get("DurationSeconds", 43200))
        )
        expires = (datetime.now(timezone.utc) + timedelta(seconds=duration)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        return result_reply(
            "GetSessionToken",
            f"<Credentials><AccessKeyId>{escape(key)}</AccessKeyId>"
            f"<SecretAccessKey>{escape(secret)}</SecretAccessKey>"
            f"<SessionToken>{escape(token)}</SessionToken>"
            f"<Expiration>{expires}</Expiration></Credentials>",
        )

    return answer


def identity_reply(arn: str = USER_ARN, account: str = ACCOUNT) -> Callable[[Request], Reply]:
    return lambda request: result_reply(
        "GetCallerIdentity",
        f"<Arn>{escape(arn)}</Arn><UserId>AIDAFAKE</UserId><Account>{account}</Account>",
    )


def devices_reply(*serials: str) -> Callable[[Request], Reply]:
    members = "".join(
        f"<member><UserName>alice</UserName><SerialNumber>{escape(s)}</SerialNumber>"
        "<EnableDate>2026-01-01T00:00:00Z</EnableDate></member>"
        for s in serials
    )
    return lambda request: result_reply(
        "ListMFADevices", f"<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>"
    )


@dataclass
class FakeAws:
    """Scripted answers by action name; ``stall`` makes every answer wait until closed."""

    answers: dict[str, Callable[[Request], Reply]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    stall: bool = False
    trickle: float = 0.0  # > 0: each answer is sent one byte per this many seconds
    garbage: bytes | None = None  # set: answer these bytes instead of HTTP
    url: str = ""
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> FakeAws:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                match = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
                request = Request(form.get("Action", ""), form, match.group(1) if match else None)
                fake.requests.append(request)
                if fake.stall:
                    fake._release.wait(30)
                    return
                if fake.garbage is not None:
                    self.wfile.write(fake.garbage)
                    self.close_connection = True
                    return
                answer = fake.answers.get(request.action)
                reply = answer(request) if answer else error("InvalidAction", request.action)
                self.send(reply, "text/xml")

            def do_GET(self) -> None:
                # The console federation endpoint: GET /federation?Action=getSigninToken&...
                path, _, query = self.path.partition("?")
                params = {k: v[0] for k, v in parse_qs(query).items()}
                request = Request(params.get("Action", ""), params, None)
                fake.requests.append(request)
                answer = fake.answers.get(request.action) if path == "/federation" else None
                reply = answer(request) if answer else Reply(400, "Bad Request")
                self.send(reply, "application/json")

            def send(self, reply: Reply, content_type: str) -> None:
                data = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if fake.trickle > 0:  # a slow server that never quite stops answering
                    for byte in data:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        if fake._release.wait(fake.trickle):
                            return
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        # A short poll: stop() waits for it (the default 0.5 s, in every test using it).
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def release(self) -> None:
        """End the stalled and trickling answers: each one closes without a reply."""
        self._release.set()

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def actions(self) -> list[str]:
        return [request.action for request in self.requests]


ADMIN = "arn:aws:iam::210987654321:role/Admin"  # a role in another account
ROLE_KEY = "ASIAFAKEROLESESSION1"
ROLE_TOKEN = "FwoGZXIvYXdzROLE//token=="


def assume_role_reply(seconds: int | None = None) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        duration = seconds or int(request.params.get("DurationSeconds", 3600))
        expires = (datetime.now(timezone.utc) + timedelta(seconds=duration)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        role = request.params["RoleArn"]
        account, name = role.split(":")[4], role.rsplit("/", 1)[-1]
        assumed = f"arn:aws:sts::{account}:assumed-role/{name}/{request.params['RoleSessionName']}"
        return result_reply(
            "AssumeRole",
            f"<Credentials><AccessKeyId>{ROLE_KEY}</AccessKeyId>"
            "<SecretAccessKey>role/secret</SecretAccessKey>"
            f"<SessionToken>{ROLE_TOKEN}</SessionToken>"
            f"<Expiration>{expires}</Expiration></Credentials>"
            f"<AssumedRoleUser><Arn>{assumed}</Arn><AssumedRoleId>AROAFAKE:x</AssumedRoleId>"
            "</AssumedRoleUser>",
        )

    return answer


def get_role_reply(max_seconds: int) -> Callable[[Request], Reply]:
    return lambda request: result_reply(
        "GetRole",
        f"<Role><RoleName>{escape(request.params['RoleName'])}</RoleName><Path>/</Path>"
        f"<Arn>arn:aws:iam::{ACCOUNT}:role/{escape(request.params['RoleName'])}</Arn>"
        "<RoleId>AROAFAKE</RoleId><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
        f"<MaxSessionDuration>{max_seconds}</MaxSessionDuration></Role>",
    )


def virtual_device_reply(secret: str, serial: str = SERIAL) -> Callable[[Request], Reply]:
    seed = base64.b64encode(secret.encode()).decode()
    return lambda request: result_reply(
        "CreateVirtualMFADevice",
        f"<VirtualMFADevice><SerialNumber>{serial}</SerialNumber>"
        f"<Base32StringSeed>{seed}</Base32StringSeed></VirtualMFADevice>",
    )


# One per test process: tests running in parallel (pytest-xdist) must not see each
# other's fake browsers as processes that got the token.
SIGNIN_TOKEN = f"FAKE-SIGNIN-TOKEN_{os.getpid()}-abcdefXYZ"


def signin_token_reply(token: str = SIGNIN_TOKEN) -> Callable[[Request], Reply]:
    """The federation endpoint's answer to getSigninToken, as AWS gives it."""
    return lambda request: Reply(200, json.dumps({"SigninToken": token}))


def empty_reply(action: str) -> Callable[[Request], Reply]:
    return lambda request: result_reply(action, "")


def access_keys_reply(*keys: str) -> Callable[[Request], Reply]:
    """ListAccessKeys: the user's access keys."""
    members = "".join(
        f"<member><UserName>alice</UserName><AccessKeyId>{k}</AccessKeyId><Status>Active</Status>"
        "<CreateDate>2026-01-01T00:00:00Z</CreateDate></member>"
        for k in keys
    )
    return lambda request: result_reply(
        "ListAccessKeys", f"<AccessKeyMetadata>{members}</AccessKeyMetadata>"
    )


def new_access_key_reply(key: str, secret: str) -> Callable[[Request], Reply]:
    """CreateAccessKey: a new key pair for alice."""
    return lambda request: result_reply(
        "CreateAccessKey",
        f"<AccessKey><UserName>alice</UserName><AccessKeyId>{key}</AccessKeyId>"
        f"<Status>Active</Status><SecretAccessKey>{escape(secret)}</SecretAccessKey>"
        "<CreateDate>2026-01-01T00:00:00Z</CreateDate></AccessKey>",
    )
