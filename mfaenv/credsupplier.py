"""What the endpoint of ``mfa exec --server`` gives a request with the token: the Supplier.

Each request is decided when it comes (no timer runs between requests): the session in
memory while it is far from its end and the cache has not changed (one stat of the
sessions directory); else the cache's session, or a renewed one as every other route
renews (a role chained from the cached MFA session, an MFA session from a TOTP source);
else the session to its very end, then an error naming what to type. The server never
asks for a code, and never writes a secret anywhere but to a client holding the token.
"""

from __future__ import annotations

import os
import threading

from mfaenv.cache import Cache
from mfaenv.credendpoint import refusal, response
from mfaenv.errors import MfaEnvError, warn
from mfaenv.login import obtain_session
from mfaenv.reuse import RENEW_MARGIN, ended_session

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.clock import Clock
    from mfaenv.request import Request
    from mfaenv.session import Session

# Once no renewal is possible, a request tries again after this long (or on any change
# in the cache, which another terminal's `mfa CODE` makes).
RETRY = 60


def credentials_document(session: Session) -> dict[str, str]:
    """The container credentials JSON: what botocore and the other SDKs read."""
    creds = session.credentials
    document = {
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token or "",
        "Expiration": session.expiration,
    }
    arn = session.role_user or session.arn or ""
    if arn.count(":") >= 5 and arn.split(":")[4].isdigit():
        document["AccountId"] = arn.split(":")[4]
    return document


class Supplier:
    """What a request with the token gets: decided on the request, served from memory.

    ``answer`` (a whole HTTP response) holds while the clock is before ``until`` and
    the sessions directory is as it was (``stamp``); otherwise the next request decides
    anew, one at a time.
    """

    def __init__(
        self,
        request: Request,
        environ: Mapping[str, str],
        cache: Cache,
        clock: Clock,
        first: Session,
    ) -> None:
        self.request = request
        self.environ = environ
        self.cache = cache
        self.clock = clock
        self.directory = os.path.join(cache.root, "sessions")
        self.path = cache.session_path(request.cache_name)
        self.lock = threading.Lock()
        self.told: str | None = None  # the last failure said on the terminal
        self.stamp = self._stamp()
        self._serve(first, clock.now())

    def _stamp(self) -> tuple[int, int]:
        """Any session written (atomically, by a rename) changes the directory, and gives
        the session's file a new inode."""
        try:
            directory = os.stat(self.directory).st_mtime_ns
            own = os.stat(self.path).st_ino
        except OSError:
            return (0, 0)
        return (directory, own)

    def _serve(self, session: Session, now: float) -> None:
        self.answer = response(200, credentials_document(session))
        renew_at = session.expires - RENEW_MARGIN
        self.until = renew_at if renew_at > now else min(session.expires, now + RETRY)

    def current(self) -> bytes:
        if self.clock.now() < self.until and self._stamp() == self.stamp:
            return self.answer
        with self.lock:
            stamp = self._stamp()
            now = self.clock.now()
            if now < self.until and stamp == self.stamp:
                return self.answer  # decided by the request this one waited for
            self._decide(now)
            self.stamp = stamp
            return self.answer

    def _decide(self, now: float) -> None:
        try:
            session = self._session()
        except MfaEnvError as err:
            self.answer = refusal(403, "CredentialsUnavailable", str(err))
            self.until = now + RETRY
            if self.told != str(err):
                self.told = str(err)
                warn(f"the credential server has no session to give: {err}")
            return
        self.told = None
        self._serve(session, self.clock.now())

    def _obtain(self, margin: int) -> Session:
        return obtain_session(
            self.request,
            self.environ,
            clock=self.clock,
            cache=self.cache,
            margin=margin,
            serving_sdk=True,
        )[0]

    def _session(self) -> Session:
        """The cached session with more than RENEW_MARGIN left, else a renewed one (a role
        chained from the MFA session; an MFA session from a TOTP source); failing that,
        what is left of the cached one (a role chained anew while the MFA session lasts),
        to its very end."""
        try:
            return self._obtain(RENEW_MARGIN)
        except MfaEnvError as err:
            renewing = err
        try:
            session = self._obtain(0)
        except MfaEnvError as err:
            raise MfaEnvError(ended_session(self.cache, self.request, 0) or str(err)) from None
        if session.expires <= self.clock.now():
            raise renewing
        return session
