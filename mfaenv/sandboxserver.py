"""The sandbox's server: ``python -m mfaenv.sandboxserver PORT``.

moto's STS and IAM on 127.0.0.1:PORT, as ``python -m moto.server`` serves them, and at
``/federation`` a stand-in for the AWS federation endpoint, so that ``mfa console`` can be
tried too: ``getSigninToken`` answers a sign-in token for any well-formed role session, and
``login`` a page saying where AWS would have signed the browser in. Nothing here is
imported by mfaenv itself; the sandbox starts it as a process of its own.
"""

from __future__ import annotations

import html
import json
import secrets
import sys
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

Respond = Callable[[str, list[tuple[str, str]]], Any]

_SESSION_FIELDS = ("sessionId", "sessionKey", "sessionToken")


def _answer(respond: Respond, status: str, kind: str, body: str) -> list[bytes]:
    data = body.encode()
    respond(status, [("Content-Type", kind), ("Content-Length", str(len(data)))])
    return [data]


def federation(request: dict[str, Any], respond: Respond) -> Iterable[bytes]:
    """What the AWS federation endpoint answers, as far as ``mfa console`` uses it
    (``request`` is the WSGI request)."""
    query = urllib.parse.parse_qs(request.get("QUERY_STRING", ""))
    action = query.get("Action", [""])[0]
    if action == "getSigninToken":
        try:
            session = json.loads(query.get("Session", [""])[0])
        except ValueError:
            session = None
        if not isinstance(session, dict) or not all(
            isinstance(session.get(field), str) and session[field] for field in _SESSION_FIELDS
        ):
            return _answer(respond, "400 Bad Request", "text/plain", "no role session")
        token = "sandbox-" + secrets.token_urlsafe(24)
        return _answer(respond, "200 OK", "application/json", json.dumps({"SigninToken": token}))
    if action == "login":
        page = html.escape(query.get("Destination", ["the console home"])[0])
        return _answer(
            respond,
            "200 OK",
            "text/html; charset=utf-8",
            "<!doctype html><title>mfaenv sandbox</title><h1>mfaenv sandbox</h1>"
            f"<p>Here AWS would sign this browser in to the web console and open {page}. "
            "The sandbox has no console; with a real account, <code>mfa console</code> "
            "lands there.</p>",
        )
    return _answer(respond, "400 Bad Request", "text/plain", "unknown Action")


def main(argv: list[str]) -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    port = int(argv[0])
    moto = DomainDispatcherApplication(create_backend_app)

    def app(request: dict[str, Any], respond: Respond) -> Iterable[bytes]:
        if request.get("PATH_INFO") == "/federation":
            return federation(request, respond)
        answer: Iterable[bytes] = moto(request, respond)
        return answer

    run_simple("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
