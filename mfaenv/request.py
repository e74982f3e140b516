"""What one command asked for: the profile, a code, a length, a device, a role.

None where the user left it to the defaults. Plain values, checked by the command that
builds them (``commands.build_request``); the hot paths import this, so it imports nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_FIELDS = (
    "profile",
    "explicit_profile",
    "code",
    "duration",
    "serial",
    "totp",
    "role",
    "cache_as",
    "save_as",
)


class Request:
    """What the user asked for; None where they left it to the defaults.

    ``explicit_profile``: --profile named the profile (keys in the environment are then
    not used, as with the AWS CLI). ``role``: a role ARN to assume ad hoc (--role).
    ``cache_as``: where the session is cached, when not under its own name.
    """

    __slots__ = _FIELDS

    def __init__(
        self,
        profile: str,
        explicit_profile: bool,
        code: str | None = None,
        duration: int | None = None,
        serial: str | None = None,
        totp: str | None = None,
        role: str | None = None,
        cache_as: str | None = None,
        save_as: str | None = None,
    ) -> None:
        self.profile = profile
        self.explicit_profile = explicit_profile
        self.code = code
        self.duration = duration
        self.serial = serial
        self.totp = totp
        self.role = role
        self.cache_as = cache_as
        self.save_as = save_as

    def replace(self, **changes: Any) -> Request:
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)
        return Request(**values)

    def __repr__(self) -> str:  # never the code
        return f"Request(profile={self.profile!r}, role={self.role!r})"

    @property
    def cache_name(self) -> str:
        """A profile's session is cached under its name; an ad hoc role's beside it."""
        if self.cache_as is not None:
            return self.cache_as
        return self.profile if self.role is None else f"{self.profile}+{self.role}"
