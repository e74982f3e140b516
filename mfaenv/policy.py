"""The IAM policy that makes long-lived keys useless without MFA.

Attach it to every IAM user (or their group). It denies everything unless the request
was made with MFA, except the few calls needed to get an MFA session in the first place.
"""

from __future__ import annotations

from typing import Any

# What a user may do before having MFA: enough for `mfa` and nothing more.
_SESSION_ACTIONS = [
    "sts:GetSessionToken",
    "sts:GetCallerIdentity",
    "iam:ListMFADevices",
]
# "Trust on first use": also enroll, resync or clean up one's own virtual device, and
# set a password, before the first MFA session.
_SELF_SERVICE_ACTIONS = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:DeleteVirtualMFADevice",
    "iam:ListVirtualMFADevices",
    "iam:GetUser",
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
]
_OWN_USER = "arn:aws:iam::*:user/${aws:username}"
_OWN_DEVICE = "arn:aws:iam::*:mfa/${aws:username}"

STYLES = ("strict", "self-service")


def build(style: str = "strict", max_age: int | None = None) -> dict[str, Any]:
    """The policy document; ``max_age`` (seconds) also denies MFA sessions older than that."""
    if style not in STYLES:
        raise ValueError(style)
    exempt = _SESSION_ACTIONS + (_SELF_SERVICE_ACTIONS if style == "self-service" else [])
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowListingOwnMfaDevicesToFindTheSerial",
            "Effect": "Allow",
            "Action": ["iam:ListMFADevices"],
            "Resource": [_OWN_USER],
        }
    ]
    if style == "self-service":
        statements += [
            {
                "Sid": "AllowManagingOwnVirtualMfaDeviceBeforeMfa",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateVirtualMFADevice",
                    "iam:DeleteVirtualMFADevice",
                ],
                "Resource": [_OWN_DEVICE],
            },
            {
                "Sid": "AllowEnablingAndResyncingOwnMfaDeviceAndPassword",
                "Effect": "Allow",
                "Action": [
                    "iam:EnableMFADevice",
                    "iam:ResyncMFADevice",
                    "iam:GetUser",
                    "iam:ChangePassword",
                ],
                "Resource": [_OWN_USER],
            },
            {
                "Sid": "AllowSeeingVirtualMfaDevicesAndPasswordRules",
                "Effect": "Allow",
                "Action": ["iam:ListVirtualMFADevices", "iam:GetAccountPasswordPolicy"],
                "Resource": "*",
            },
        ]
    statements.append(
        {
            "Sid": "DenyEverythingElseWithoutMfa",
            "Effect": "Deny",
            "NotAction": exempt,
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    )
    if max_age is not None:
        statements.append(
            {
                "Sid": f"DenyEverythingElseWithMfaOlderThan{max_age}Seconds",
                "Effect": "Deny",
                "NotAction": exempt,
                "Resource": "*",
                "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": str(max_age)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
