"""What an MFA session is: credentials plus who made them, with which device, until when.

These are small classes with ``__slots__`` rather than dataclasses: reusing a cached
session is a hot path, and importing dataclasses (it pulls in inspect, ast, dis and
tokenize) would cost more than the rest of that path together. They are immutable by
convention; ``replace`` makes a changed copy.
"""

from __future__ import annotations

from mfaenv.timefmt import from_rfc3339, to_rfc3339

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Credentials:
    """An access key, its secret and (for temporary credentials) a session token."""

    __slots__ = ("access_key_id", "secret_access_key", "session_token")

    def __init__(
        self, access_key_id: str, secret_access_key: str, session_token: str | None = None
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return (self.access_key_id, self.secret_access_key, self.session_token) == (
            other.access_key_id,
            other.secret_access_key,
            other.session_token,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:  # never the secret or the token
        return f"Credentials({self.access_key_id!r}, ...)"


_SESSION_FIELDS = (
    "profile",
    "credentials",
    "expires",
    "serial",
    "arn",
    "source",
    "role_arn",
    "role_user",
    "aws_profile",
    "region",
    "duration",
    "role_mode",
)


class Session:
    """Session credentials from GetSessionToken or AssumeRole, and what is shown about them.

    ``expires`` is the end in epoch seconds; ``source`` the fingerprint of the long-lived
    key the session was made from; ``role_arn`` and ``role_user`` the role and the
    assumed-role ARN for a role session. ``aws_profile`` is the profile to export as
    AWS_PROFILE (None when the AWS files do not have it) and ``region`` its region, kept
    here so reusing the session reads no AWS config. ``duration`` is the length that was
    asked for (seconds): a request for another length is not served from the cache.
    ``role_mode`` how a role session was assumed: ``chain`` (by the MFA session) or
    ``direct`` (by the long-lived key, with a code); None where unknown (older records).
    """

    __slots__ = _SESSION_FIELDS

    def __init__(
        self,
        profile: str,
        credentials: Credentials,
        expires: int,
        serial: str,
        arn: str | None = None,
        source: str | None = None,
        role_arn: str | None = None,
        role_user: str | None = None,
        aws_profile: str | None = None,
        region: str | None = None,
        duration: int | None = None,
        role_mode: str | None = None,
    ) -> None:
        self.profile = profile
        self.credentials = credentials
        self.expires = expires
        self.serial = serial
        self.arn = arn
        self.source = source
        self.role_arn = role_arn
        self.role_user = role_user
        self.aws_profile = aws_profile
        self.region = region
        self.duration = duration
        self.role_mode = role_mode

    def replace(self, **changes: Any) -> Session:
        values = {name: getattr(self, name) for name in _SESSION_FIELDS}
        values.update(changes)
        return Session(**values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Session):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _SESSION_FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Session({self.profile!r}, {self.credentials!r}, expires={self.expires})"

    @property
    def role_label(self) -> str | None:
        """``Admin@123456789012`` for a role session, for prompts and status."""
        if self.role_arn is None:
            return None
        account = self.role_arn.split(":")[4] if self.role_arn.count(":") >= 5 else "?"
        return f"{self.role_arn.rsplit('/', 1)[-1]}@{account}"

    @property
    def expiration(self) -> str:
        """The end as RFC 3339 UTC: ``2026-11-23T21:18:04Z``."""
        return to_rfc3339(self.expires)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "profile": self.profile,
            "access_key_id": self.credentials.access_key_id,
            "secret_access_key": self.credentials.secret_access_key,
            "session_token": self.credentials.session_token,
            "expiration": self.expiration,
            "expires": self.expires,
            "serial": self.serial,
            "arn": self.arn,
            "source": self.source,
            "role_arn": self.role_arn,
            "role_user": self.role_user,
            "aws_profile": self.aws_profile,
            "region": self.region,
            "duration": self.duration,
            "role_mode": self.role_mode,
        }

    @classmethod
    def from_dict(cls, data: object) -> Session:
        """Rebuild from ``to_dict``; ValueError on anything that is not exactly that shape."""
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("not a version 1 session record")

        def text(key: str, *, optional: bool = False) -> str | None:
            value = data.get(key)
            if value is None and optional:
                return None
            if not isinstance(value, str) or not value:
                raise ValueError(f"field {key!r} is missing or not text")
            return value

        return cls(
            profile=str(text("profile")),
            credentials=Credentials(
                access_key_id=str(text("access_key_id")),
                secret_access_key=str(text("secret_access_key")),
                session_token=text("session_token"),
            ),
            expires=_expires(data),
            serial=str(text("serial")),
            arn=text("arn", optional=True),
            source=text("source", optional=True),
            role_arn=text("role_arn", optional=True),
            role_user=text("role_user", optional=True),
            aws_profile=text("aws_profile", optional=True),
            region=text("region", optional=True),
            duration=_duration(data),
            role_mode=text("role_mode", optional=True),
        )


_YEAR_10000 = 253402300800


def _duration(data: dict[str, Any]) -> int | None:
    """The session length asked for (seconds), where the record keeps it."""
    value = data.get("duration")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < _YEAR_10000:
        raise ValueError("field 'duration' is not a number of seconds")
    return value


def _expires(data: dict[str, Any]) -> int:
    """The end in epoch seconds: ``expires`` where the record has it (so reusing a session
    needs no date parsing), else its ``expiration`` text; ValueError if they disagree."""
    text = data.get("expiration")
    if not isinstance(text, str) or not text:
        raise ValueError("field 'expiration' is missing or not text")
    epoch = data.get("expires")
    if epoch is None:
        return from_rfc3339(text)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 < epoch < _YEAR_10000:
        raise ValueError("field 'expires' is not a time")
    if to_rfc3339(epoch) != text:
        raise ValueError("fields 'expires' and 'expiration' disagree")
    return epoch


def fingerprint(access_key_id: str) -> str:
    """A stable, non-reversible name for a long-lived key, for cache look-ups.

    Reusing a session fingerprints the key in the environment, so this takes CPython's
    built-in SHA-256 where it has one: ``hashlib`` would load OpenSSL first, which costs
    more than the rest of that hot path together. Same digest either way.
    """
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256

    return str(sha256(access_key_id.encode()).hexdigest())[:20]
