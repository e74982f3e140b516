"""The environment of the programs mfaenv runs for codes and keys (pass and gpg, a TOTP
command): the caller's, without AWS credentials and without the stash."""

from __future__ import annotations

import os

from mfaenv.env import CREDENTIAL_VARS, STASH_ENV

# Variables no child needs: it gets no AWS credentials and no stash.
SCRUBBED = (*CREDENTIAL_VARS, STASH_ENV)


def child_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in SCRUBBED}


def pass_store_dir() -> str:
    """The directory ``pass`` keeps its entries in."""
    return os.environ.get("PASSWORD_STORE_DIR") or os.path.expanduser("~/.password-store")
