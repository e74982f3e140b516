"""Which MFA device a code is for.

In this order: the serial named (--serial, a role profile's mfa_serial, the profile's
mfa_serial or AWS-recipes' aws_mfa_serial, the device the credentials file's layout
names, serial in the mfaenv config); else the serial found before for the same key (the
cache); else the one device that gives codes of the key's own user, asked of AWS.
"""

from __future__ import annotations

from mfaenv.arns import check_serial, is_serial
from mfaenv.cache import SerialRecord
from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from mfaenv.cache import Cache
    from mfaenv.request import Request


class Device:
    """The MFA device a code is for: its serial, and the user and whether that user is
    root, where known (a serial given by name says neither)."""

    __slots__ = ("arn", "root", "serial")

    def __init__(self, serial: str, arn: str | None = None) -> None:
        self.serial = serial
        self.arn = arn
        self.root = arn is not None and arn.endswith(":root")


def named_serial(
    request: Request,
    asked: Request,
    setting: Callable[[str], str | None],
    layout_serial: str | None,
    configured: str | None,
) -> tuple[str, str] | None:
    """The serial named for ``request``'s device and where it was named (for a refusal),
    or None when none is named. ``asked``: the request the user made (``request`` is a
    role's source profile's, when it is a role's); ``setting``: the key profile's AWS
    settings; ``layout_serial``: the device the credentials file's layout names;
    ``configured``: serial in the mfaenv config."""
    serial = (
        request.serial
        or setting("mfa_serial")
        or setting("aws_mfa_serial")  # AWS-recipes, in the credentials file
        or layout_serial
        or configured
    )
    if serial is None:
        return None
    if request.serial is None:
        origin = f"mfa_serial of profile {request.profile!r}"
        if not setting("mfa_serial"):
            origin = f"serial of profile {request.profile!r} in the mfaenv config"
    elif request.serial == asked.serial:
        origin = "--serial"
    else:
        origin = f"mfa_serial of profile {asked.profile!r}"  # a role profile's
    return serial, origin


def find_device(
    request: Request,
    named: tuple[str, str] | None,
    cache: Cache,
    key_fingerprint: str,
    identify: Callable[[], tuple[str, list[str]]],
) -> tuple[Device, SerialRecord | None]:
    """The device to use: ``named`` (``named_serial``), cached for the key, or found from
    the caller's identity (``identify``: the key's user and its devices that give codes).
    The record is set when newly found, to be cached once AWS accepted a code."""
    if named is not None:
        serial, origin = named
        refuse_comment(serial, origin)
        where = "--serial" if request.serial else "the MFA device (mfa_serial or serial)"
        return Device(check_serial(serial, where)), None
    cached = cache.serial_for(key_fingerprint)
    if cached is not None and is_serial(cached.serial):  # else found again
        return Device(cached.serial, cached.arn), None
    arn, devices = identify()
    if not devices:
        raise MfaEnvError(
            f"{arn} has no MFA device that gives codes; enroll a virtual MFA "
            "device, or name one with --serial ARN"
        )
    if len(devices) > 1:
        raise MfaEnvError(
            f"{arn} has {len(devices)} MFA devices ({', '.join(devices)}); choose "
            "one with --serial ARN, mfa_serial in ~/.aws/config or serial in the mfaenv config"
        )
    record = SerialRecord(check_serial(devices[0], "the MFA device AWS listed"), arn)
    return Device(record.serial, record.arn), record


def refuse_comment(serial: str, origin: str) -> None:
    """A serial with a space or '#' in it is most often ``mfa_serial = ARN  # a note``:
    the AWS config has no inline comments, so the note is part of the value."""
    if "#" not in serial and not any(char.isspace() for char in serial):
        return
    message = f"{origin} is {serial!r}, with a space or '#' in it"
    if origin.startswith("mfa_serial"):
        message += (
            "; the AWS config has no inline comments (a '# ...' after a value is part of "
            "it): put the comment on a line of its own"
        )
    raise MfaEnvError(message, exit_code=2 if origin.startswith("--") else 1)
