"""The calling shell's environment, and the changes mfaenv makes to it.

A ``Change`` maps variable names to values (``None``: unset); each shell renders it.
A *layer* is a set of variables that a command takes over (the MFA session, the
sandbox). Before a layer is first applied, the values it replaces are stashed in a
shell variable that children never see; removing the layer puts them back exactly.
The shell function hands that stash to the core in ``__MFAENV_STASH`` for one call.
"""

from __future__ import annotations

import os

from mfaenv.errors import MfaEnvError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from mfaenv.session import Session

STASH_SHELL_VAR = "__mfaenv_stash"
# Following (mfaenv.follow): the marker of the held session's cache name, and which
# session of it this shell holds. Shell variables too; `mfa off` removes them.
FOLLOW_MARKER_VAR = "__mfaenv_follow"
FOLLOW_GENERATION_VAR = "__mfaenv_follow_gen"
STASH_ENV = "__MFAENV_STASH"
# The profile check (mfaenv.profilefollow): AWS_PROFILE and DIRENV_DIFF as they were after
# mfa last changed the shell. A shell variable too; `mfa off` removes it.
SEEN_VAR = "__mfaenv_profile_seen"

# The variables AWS SDKs read credentials from. botocore reads AWS_SECURITY_TOKEN
# before AWS_SESSION_TOKEN, so it is cleared wherever the others are set.
CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)

Saved = dict[str, "str | None"]


class Change:
    """What a command does to the calling shell. ``None`` means unset.

    ``env`` holds exported variables; ``shell_vars`` holds variables that stay in
    the shell and are not passed to its children (the stash of replaced keys).
    """

    __slots__ = ("env", "shell_vars")

    def __init__(
        self,
        env: Mapping[str, str | None] | None = None,
        shell_vars: Mapping[str, str | None] | None = None,
    ) -> None:
        self.env: Mapping[str, str | None] = env if env is not None else {}
        self.shell_vars: Mapping[str, str | None] = shell_vars if shell_vars is not None else {}

    def then(self, later: Change) -> Change:
        """This change followed by ``later``: the later value of a name wins."""
        return Change({**self.env, **later.env}, {**self.shell_vars, **later.shell_vars})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Change):
            return NotImplemented
        return (dict(self.env), dict(self.shell_vars)) == (dict(other.env), dict(other.shell_vars))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Change(names={sorted(self.env)}, shell_vars={sorted(self.shell_vars)})"


class Layer:
    """``kept``: variables of the layer that keep the value they had before the layer
    when a command gives them none (AWS_REGION when the profile names no region)."""

    __slots__ = ("kept", "marker", "name", "variables")

    def __init__(
        self, name: str, marker: str, variables: tuple[str, ...], kept: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.marker = marker  # set while the layer is on
        self.variables = variables
        self.kept = kept


# The region, for SDKs (boto3 reads AWS_DEFAULT_REGION, the AWS CLI v2, the JavaScript SDK
# and newer SDKs AWS_REGION) and prompts: a session keeps the shell's when it names none.
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
# AWS_PROFILE is set aside (stashed, unset) while a session is on: the JavaScript SDK v3
# signs with the profile's own credentials, not the session's keys, whenever it is set.
# The session's profile is shown to prompts in AWSU_PROFILE instead, which starship reads
# before AWS_PROFILE and no SDK reads at all (docs/environment.md says why this one).
PROMPT_PROFILE = "AWSU_PROFILE"
PROFILE_VARS = ("AWS_PROFILE", PROMPT_PROFILE, *REGION_VARS)

SESSION = Layer(
    name="session",
    marker="MFAENV_PROFILE",
    variables=(
        *CREDENTIAL_VARS,
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SESSION_EXPIRATION",
        "MFAENV_PROFILE",
        "MFAENV_EXPIRES",
        "MFAENV_ARN",
        "MFAENV_SERIAL",
        "MFAENV_ROLE",
        "MFAENV_ROLE_ARN",
        *PROFILE_VARS,
    ),
    kept=REGION_VARS,
)


# AWS issues session tokens of a few KiB at most; a value beyond this, exported, would
# break every later command ("Argument list too long"), `mfa off` included.
MAX_VALUE = 8 * 1024
MAX_STASH = 64 * 1024


def check_value_size(name: str, value: str) -> None:
    """Refuse a value far larger than any credential AWS issues."""
    if len(value) > MAX_VALUE:
        raise MfaEnvError(
            f"{name} is {len(value) // 1024} KiB long, far beyond anything AWS issues (at "
            f"most {MAX_VALUE // 1024} KiB); refusing it (a broken or hostile endpoint?)"
        )


def session_expires(environ: Mapping[str, str]) -> int | None:
    """``MFAENV_EXPIRES`` as epoch seconds: ASCII digits only, as the shells read it."""
    text = environ.get("MFAENV_EXPIRES", "")
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    return None


class Held:
    """The session a shell holds, read back from its environment: what ``session_values``
    wrote there. The one reader of it (status, the prompt, console, follow, renewal and
    the profile check); ``expires`` is None when MFAENV_EXPIRES is not a number."""

    __slots__ = (
        "arn",
        "expiration",
        "expires",
        "key",
        "profile",
        "role_arn",
        "role_label",
        "serial",
    )

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.profile = environ.get(SESSION.marker, "")
        self.expires = session_expires(environ)
        self.arn = environ.get("MFAENV_ARN") or None
        self.serial = environ.get("MFAENV_SERIAL") or None
        self.role_arn = environ.get("MFAENV_ROLE_ARN") or None
        self.role_label = environ.get("MFAENV_ROLE", "")
        self.key = environ.get("AWS_ACCESS_KEY_ID") or None
        self.expiration = environ.get("AWS_CREDENTIAL_EXPIRATION")

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> Held | None:
        """The session ``environ`` holds, or None when it holds none."""
        return cls(environ) if SESSION.marker in environ else None

    def session(self, environ: Mapping[str, str]) -> Session | None:
        """The session itself, with its credentials from ``environ`` (the one it was read
        from); None when a part is missing."""
        from mfaenv.session import Credentials, Session

        secret = environ.get("AWS_SECRET_ACCESS_KEY")
        token = environ.get("AWS_SESSION_TOKEN")
        if not (self.key and secret and token) or self.expires is None:
            return None
        credentials = Credentials(self.key, secret, token)
        return Session(
            self.profile,
            credentials,
            self.expires,
            self.serial or "",
            self.arn,
            role_arn=self.role_arn,
        )


def requested_profile(profile: str | None, environ: Mapping[str, str]) -> tuple[str, bool]:
    """The profile asked for (``profile``, from --profile; else AWS_PROFILE, else default),
    and whether --profile named it (then keys in the environment are not used, as with the
    AWS CLI). ``environ`` is without the MFA session, whose own AWS_PROFILE does not count."""
    if profile is not None and not profile.strip():
        raise MfaEnvError("--profile needs a value", exit_code=2)
    return profile or environ.get("AWS_PROFILE") or "default", profile is not None


class ShellState:
    """The environment of the shell that called us, and its stash of replaced values."""

    __slots__ = ("environ", "stash")

    def __init__(
        self, environ: Mapping[str, str], stash: Mapping[str, Saved] | None = None
    ) -> None:
        self.environ = environ
        self.stash: Mapping[str, Saved] = stash if stash is not None else {}

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
        encoded = self.stash_with(layer)
        before = self.without(layer) if layer.kept else {}
        env = {name: values.get(name) for name in layer.variables}
        for name in layer.kept:
            if name not in values:
                env[name] = before.get(name)
        for name, value in values.items():
            if value is not None:
                check_value_size(name, value)
        return Change(env, {STASH_SHELL_VAR: encoded})

    def stash_with(self, layer: Layer) -> str:
        """The stash, encoded, once ``layer`` is applied; refused when it would be so large
        that the shell could start no command (call it before any work, to fail early)."""
        stash = {key: dict(saved) for key, saved in self.stash.items()}
        if layer.name not in stash or not self.active(layer):
            stash[layer.name] = {name: self.environ.get(name) for name in layer.variables}
        encoded = encode_stash(stash)
        if len(encoded) > MAX_STASH:
            raise MfaEnvError(
                f"the values mfa would set aside in {STASH_SHELL_VAR} take "
                f"{len(encoded) // 1024} KiB, far beyond any AWS credentials (at most "
                f"{MAX_STASH // 1024} KiB); unset the huge AWS_* variable first"
            )
        return encoded

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
        if STASH_SHELL_VAR in change.shell_vars:
            return ShellState(environ, decode_stash(change.shell_vars[STASH_SHELL_VAR] or ""))
        return ShellState(environ, self.stash)


def encode_stash(stash: Mapping[str, Saved]) -> str:
    from mfaenv import jsontext

    return jsontext.dumps(stash, sort_keys=True, separators=(",", ":"))


def _restorable(value: object) -> bool:
    """None, or text a shell variable can hold again (a lone surrogate in JSON cannot)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return "\0" not in value


def decode_stash(raw: str) -> dict[str, Saved]:
    if not raw:
        return {}
    from mfaenv import jsontext

    try:
        data = jsontext.loads(raw)
    except (ValueError, RecursionError):
        data = None
    valid = isinstance(data, dict) and all(
        isinstance(saved, dict) and all(_restorable(value) for value in saved.values())
        for saved in data.values()
    )
    if not valid:
        raise MfaEnvError(
            f"the shell variable {STASH_SHELL_VAR} that keeps your replaced keys is damaged; "
            f"run `unset {STASH_SHELL_VAR}` (your previous keys are then not restored)"
        )
    return dict(data)


def session_values(session: Session) -> dict[str, str | None]:
    """The session layer's variables for ``session``: AWS_PROFILE unset (set aside), the
    profile's name for prompts, the region variables when it names one; else they keep
    their values."""
    creds = session.credentials
    expiration = session.expiration
    profile: dict[str, str | None] = {"AWS_PROFILE": None, PROMPT_PROFILE: session.profile}
    if session.region:
        profile["AWS_REGION"] = profile["AWS_DEFAULT_REGION"] = session.region
    return {
        **profile,
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_SECURITY_TOKEN": None,
        "AWS_CREDENTIAL_EXPIRATION": expiration,
        "AWS_SESSION_EXPIRATION": expiration,
        "MFAENV_PROFILE": session.profile,
        "MFAENV_EXPIRES": str(session.expires),
        "MFAENV_ARN": session.arn,
        "MFAENV_SERIAL": session.serial,
        "MFAENV_ROLE": session.role_label,
        "MFAENV_ROLE_ARN": session.role_arn,
    }


def seen(environ: Mapping[str, str]) -> str:
    """``AWS_PROFILE`` (``=`` before a value, nothing when unset) and ``DIRENV_DIFF``, as
    the prompt hooks write them: ``${AWS_PROFILE+=}${AWS_PROFILE-}|${DIRENV_DIFF-}``."""
    profile = environ.get("AWS_PROFILE")
    return ("" if profile is None else f"={profile}") + "|" + environ.get("DIRENV_DIFF", "")


def seen_after(state: ShellState, change: Change) -> Change:
    """``change`` with SEEN_VAR as the shell will be once it has evaluated it."""
    return change.then(Change(shell_vars={SEEN_VAR: seen(state.after(change).environ)}))
