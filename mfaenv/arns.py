"""What an MFA device serial and a role ARN look like, checked before AWS is asked.

botocore would otherwise refuse them itself with a multi-line "Parameter validation
failed", or worse, send them. The rules are AWS's own (IAM's name characters, the
lengths of the STS API); no ``re``, since ``mfa --role ARN`` may reuse a cached session.
"""

from __future__ import annotations

from mfaenv.errors import MfaEnvError

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# The characters IAM allows in names and paths, and STS in a serial number.
_NAME = _WORD | frozenset("+=,.@-")
_SERIAL = _NAME | frozenset("/:")
SERIAL_LENGTH = (9, 256)
ROLE_LENGTH = (20, 2048)
_SHOWN = 60  # characters of a bad value shown in a message


def shown(value: str) -> str:
    """``value`` quoted for a message, cut short when long."""
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")


def _iam_arn(value: str, kind: str) -> bool:
    """``arn:PARTITION:iam::ACCOUNT:KIND/PATH/NAME`` with IAM's characters."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[3]:
        return False
    partition, account, resource = parts[1], parts[4], parts[5]
    if not (partition.startswith("aws") and set(partition) <= _NAME):
        return False
    if not (0 < len(account) <= 12 and account.isascii() and account.isdigit()):
        return False
    prefix = kind + "/"
    name = resource[len(prefix) :]
    return (
        resource.startswith(prefix)
        and bool(name)
        and not name.endswith("/")
        and set(name) <= _NAME | {"/"}
    )


def is_serial(serial: str) -> bool:
    """Whether ``serial`` is an MFA device ARN or a hardware token's serial number."""
    low, high = SERIAL_LENGTH
    if serial.startswith("arn:"):
        return len(serial) <= high and _iam_arn(serial, "mfa")
    return low <= len(serial) <= high and set(serial) <= _WORD


def check_serial(serial: str, where: str = "--serial") -> str:
    """``serial`` if it is an MFA device ARN or a hardware token's serial number."""
    if not is_serial(serial):
        raise MfaEnvError(
            f"{where} {shown(serial)} is not an MFA device: give its ARN, like "
            "arn:aws:iam::123456789012:mfa/NAME (or a hardware token's serial number)",
            exit_code=2 if where.startswith("--") else 1,
        )
    return serial


def check_role(role_arn: str, where: str = "--role") -> str:
    """``role_arn`` if it is a role's ARN."""
    low, high = ROLE_LENGTH
    if not (low <= len(role_arn) <= high and _iam_arn(role_arn, "role")):
        raise MfaEnvError(
            f"{where} {shown(role_arn)} is not a role ARN: give one like "
            "arn:aws:iam::123456789012:role/NAME",
            exit_code=2 if where.startswith("--") else 1,
        )
    return role_arn
