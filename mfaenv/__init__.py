"""mfaenv: MFA-protected AWS access keys in one word of shell.

The package itself holds what every layer shares and nothing of mfaenv's imports: the
version, the verbs as the shell function sees them, and ``Args``, the parsed command line
(made by ``cli.fast_parse`` or ``parser.parse``, read by ``commands``). Every hot path
loads this module anyway, so keeping them here adds nothing to its imports.
"""

from __future__ import annotations

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# Verbs the shell function evals (as ``sh-VERB``); anything else that is not
# passed through is ``sh-on`` (``mfa 123456``, ``mfa --profile dev``, ``mfa``).
EVAL_VERBS = ("off", "sandbox")
PASSTHROUGH = (
    "status",
    "exec",
    "credential-process",
    "enroll",
    "rotate-key",
    "unsave",
    "keys",
    "policy",
    "console",
    "prompt",
    "init",
    "help",
    "version",
    "-h",
    "--help",
    "--version",
)

SESSION_OPTIONS = ("--profile", "--duration", "--serial", "--totp", "--role", "--save-as")
CODE_ENV = "__MFAENV_CODE"  # the typed code, from the shell function, for one call


class Args:
    """The parsed command line: the verb and its options (None where not given)."""

    verb: str = ""
    shell: str | None = None
    code: str | None = None
    profile: str | None = None
    duration: str | None = None
    serial: str | None = None
    totp: str | None = None
    role: str | None = None
    save_as: str | None = None
    json: bool = False
    name: str | None = None
    store: str | None = None
    force: bool = False
    style: str = "strict"
    max_age: str | None = None
    action: str | None = None
    marker: str = ""
    report: str = ""
    margin: str = ""
    all: bool = False
    held: str = ""
    command: Sequence[str] = ()
    destination: str | None = None
    service: str | None = None
    print_url: bool = False
    open_with: str | None = None
    server: bool = False
    listen: str | None = None

    def __init__(self, verb: str, **values: object) -> None:
        self.verb = verb
        for name, value in values.items():
            setattr(self, name, value)
