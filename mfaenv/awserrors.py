"""What AWS's error codes mean to the user: the sentence for each error an STS or IAM
call can answer with, one the user can act on. Pure: no botocore.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ANY = "*"
_THROTTLED = (
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
)
_REJECTED_CODE = (
    "AWS rejected the code for {serial}: it is wrong, or it was already used "
    "(each code works once; wait for the next one)"
)

# (operation, error code, words the message must hold) -> the sentence for the user.
# The first rule that fits wins; fields: {serial}, {role}, {name}, {message}, {operation}.
_EXPLANATIONS: tuple[tuple[str, str, str, str], ...] = (
    *((_ANY, code, "", "AWS is throttling these requests; wait a minute and try again")
      for code in _THROTTLED),
    (_ANY, "InvalidClientTokenId", "",
     "AWS does not know this access key (deleted, deactivated or mistyped?)"),
    (_ANY, "SignatureDoesNotMatch", "",
     "the secret access key does not match the access key id; check your credentials"),
    # GetSessionToken and AssumeRole say "invalid" for a wrong code and a reused one alike.
    (_ANY, _ANY, "MultiFactorAuthentication", _REJECTED_CODE),
    (_ANY, _ANY, "one time pass code", _REJECTED_CODE),
    ("get_session_token", _ANY, "session credentials",
     "these are session credentials, not long-lived keys; run `mfa off` first"),
    ("get_session_token", "ValidationError", "Duration",
     "AWS refused the session length: {message}"),
    ("get_session_token", "AccessDenied", "",
     "AWS denied GetSessionToken with the device {serial}: {message}"),
    ("assume_role", "AccessDenied", "",
     "AWS refused AssumeRole of {role}: the role does not exist, or its trust policy does "
     "not let you assume it (does it ask for MFA, or an external id?)"),
    ("assume_role", "ValidationError", "", "AWS refused AssumeRole of {role}: {message}"),
    ("enable_mfa_device", "InvalidAuthenticationCode", "",
     "AWS rejected the two codes: they must be two consecutive codes of the new device "
     "(is its clock right?)"),
    ("create_virtual_mfa_device", "EntityAlreadyExists", "",
     "a virtual MFA device named {name!r} already exists, perhaps from an enrollment that "
     "did not finish; delete it (aws iam delete-virtual-mfa-device --serial-number ARN) "
     "or choose another --name"),
    ("list_mfa_devices", "AccessDenied", "",
     "not allowed to list your MFA devices (iam:ListMFADevices); name the device with "
     "--serial ARN, mfa_serial in ~/.aws/config, or serial in the mfaenv config"),
)  # fmt: skip


def explain(operation: str, code: str, message: str, kwargs: Mapping[str, Any]) -> str:
    """The sentence for an error AWS answered ``operation`` with."""
    serial = kwargs.get("SerialNumber")
    for rule_operation, rule_code, words, sentence in _EXPLANATIONS:
        if rule_operation not in (_ANY, operation) or rule_code not in (_ANY, code):
            continue
        if words and words not in message:
            continue
        if sentence == _REJECTED_CODE and not serial:
            continue  # only a call that sent a code can have had it rejected
        return sentence.format(
            serial=serial,
            role=kwargs.get("RoleArn"),
            name=kwargs.get("VirtualMFADeviceName"),
            message=message,
            operation=operation,
        )
    return f"AWS refused {operation}: {code}: {message}"
