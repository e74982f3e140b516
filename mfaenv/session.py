"""What an MFA session is: credentials plus who made them, with which device, until when."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mfaenv.timefmt import from_rfc3339, to_rfc3339


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Session:
    """Session credentials from GetSessionToken, and what the shell shows about them."""

    profile: str
    credentials: Credentials
    expiration: datetime
    serial: str
    arn: str | None = None
    # Fingerprint of the long-lived access key the session was made from.
    source: str | None = None
    # For a role session: the role, and the assumed-role ARN the session acts as.
    role_arn: str | None = None
    role_user: str | None = None

    @property
    def role_label(self) -> str | None:
        """``Admin@123456789012`` for a role session, for prompts and status."""
        if self.role_arn is None:
            return None
        account = self.role_arn.split(":")[4] if self.role_arn.count(":") >= 5 else "?"
        return f"{self.role_arn.rsplit('/', 1)[-1]}@{account}"

    @property
    def expires_epoch(self) -> int:
        return int(self.expiration.timestamp())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "profile": self.profile,
            "access_key_id": self.credentials.access_key_id,
            "secret_access_key": self.credentials.secret_access_key,
            "session_token": self.credentials.session_token,
            "expiration": to_rfc3339(self.expiration),
            "serial": self.serial,
            "arn": self.arn,
            "source": self.source,
            "role_arn": self.role_arn,
            "role_user": self.role_user,
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
            expiration=from_rfc3339(str(text("expiration"))),
            serial=str(text("serial")),
            arn=text("arn", optional=True),
            source=text("source", optional=True),
            role_arn=text("role_arn", optional=True),
            role_user=text("role_user", optional=True),
        )


def fingerprint(access_key_id: str) -> str:
    """A stable, non-reversible name for a long-lived key, for cache look-ups."""
    return hashlib.sha256(access_key_id.encode()).hexdigest()[:20]
