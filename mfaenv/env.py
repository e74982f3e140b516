"""The calling shell's environment, and the changes mfaenv makes to it.

A *layer* is a set of variables that a command takes over (the MFA session, the
sandbox). Before a layer is first applied, the values it replaces are stashed in a
shell variable that children never see; removing the layer puts them back exactly.
The shell function hands that stash to the core in ``__MFAENV_STASH`` for one call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from mfaenv.errors import MfaEnvError
from mfaenv.session import Session
from mfaenv.shells import Change
from mfaenv.timefmt import to_rfc3339

STASH_SHELL_VAR = "__mfaenv_stash"
STASH_ENV = "__MFAENV_STASH"

Saved = dict[str, "str | None"]


@dataclass(frozen=True)
class Layer:
    name: str
    marker: str  # set while the layer is on
    variables: tuple[str, ...]


SESSION = Layer(
    name="session",
    marker="MFAENV_PROFILE",
    variables=(
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        # botocore reads AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN: it must go.
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SESSION_EXPIRATION",
        "MFAENV_PROFILE",
        "MFAENV_EXPIRES",
        "MFAENV_ARN",
        "MFAENV_SERIAL",
        "MFAENV_ROLE",
        "MFAENV_ROLE_ARN",
    ),
)


@dataclass(frozen=True)
class ShellState:
    """The environment of the shell that called us, and its stash of replaced values."""

    environ: Mapping[str, str]
    stash: Mapping[str, Saved] = field(default_factory=dict)

    @classmethod
    def from_process(cls) -> ShellState:
        """Read our own environment; the stash is taken out so no child inherits it."""
        raw = os.environ.pop(STASH_ENV, "")
        return cls(dict(os.environ), decode_stash(raw))

    def active(self, layer: Layer) -> bool:
        return layer.marker in self.environ

    def without(self, layer: Layer) -> dict[str, str]:
        """The environment as it was before ``layer`` was applied.

        Where the stash is missing (a child shell inherits the exported variables but
        not the stash), the layer's variables are simply absent.
        """
        environ = dict(self.environ)
        if not self.active(layer):
            return environ
        saved = self.stash.get(layer.name, {})
        for name in layer.variables:
            value = saved.get(name)
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        return environ

    def apply(self, layer: Layer, values: Mapping[str, str | None]) -> Change:
        """Set ``layer`` to ``values``; its variables missing from ``values`` are unset."""
        unknown = set(values) - set(layer.variables)
        if unknown:
            raise ValueError(f"not variables of layer {layer.name}: {sorted(unknown)}")
        stash = {key: dict(saved) for key, saved in self.stash.items()}
        if layer.name not in stash or not self.active(layer):
            stash[layer.name] = {name: self.environ.get(name) for name in layer.variables}
        env = {name: values.get(name) for name in layer.variables}
        return Change(env, {STASH_SHELL_VAR: encode_stash(stash)})

    def remove(self, layer: Layer) -> tuple[Change, bool]:
        """Undo ``layer``. The flag is False when the replaced values were unknown."""
        restored = self.without(layer)
        env = {name: restored.get(name) for name in layer.variables}
        stash = {key: saved for key, saved in self.stash.items() if key != layer.name}
        shell_vars = {STASH_SHELL_VAR: encode_stash(stash) if stash else None}
        return Change(env, shell_vars), layer.name in self.stash

    def after(self, change: Change) -> ShellState:
        """The state once the shell has evaluated ``change``."""
        environ = dict(self.environ)
        for name, value in change.env.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        raw = change.shell_vars.get(STASH_SHELL_VAR, encode_stash(self.stash))
        return ShellState(environ, decode_stash(raw or ""))


def encode_stash(stash: Mapping[str, Saved]) -> str:
    return json.dumps(stash, sort_keys=True, separators=(",", ":"))


def decode_stash(raw: str) -> dict[str, Saved]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    valid = isinstance(data, dict) and all(
        isinstance(saved, dict)
        and all(isinstance(value, (str, type(None))) for value in saved.values())
        for saved in data.values()
    )
    if not valid:
        raise MfaEnvError(
            f"the shell variable {STASH_SHELL_VAR} that keeps your replaced keys is damaged; "
            f"run `unset {STASH_SHELL_VAR}` (your previous keys are then not restored)"
        )
    return dict(data)


def session_values(session: Session) -> dict[str, str | None]:
    """The session layer's variables for ``session``."""
    creds = session.credentials
    expiration = to_rfc3339(session.expiration)
    return {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_SECURITY_TOKEN": None,
        "AWS_CREDENTIAL_EXPIRATION": expiration,
        "AWS_SESSION_EXPIRATION": expiration,
        "MFAENV_PROFILE": session.profile,
        "MFAENV_EXPIRES": str(session.expires_epoch),
        "MFAENV_ARN": session.arn,
        "MFAENV_SERIAL": session.serial,
        "MFAENV_ROLE": session.role_label,
        "MFAENV_ROLE_ARN": session.role_arn,
    }
