"""Every verb and its options, in one table, and ``Args``, a command line as parsed.

Everything that knows the command line reads ``VERBS``: the fast parser of the hot verbs
(``mfaenv.cli``), argparse with its help and usage errors (``mfaenv.parser``), the man
page made from argparse, the completions of the three shells (``mfaenv.completion``,
filled in by ``mfaenv init``), the verb lists of the shell function, and the dispatch
(``mfaenv.commands``: the module ``mfaenv.commands.MODULE`` runs the verb). Plain classes
and tuples only: every hot path loads this module.

A verb's ``kind`` says who runs it:

- ``user``: typed as ``mfa VERB`` or ``mfaenv VERB``; the shell function passes it through;
- ``shell``: changes the calling shell (``off``, ``sandbox``), so the shell function runs
  it as ``sh-VERB`` and evals what it prints; ``mfaenv VERB`` itself says so;
- ``hook``: an ``sh-*`` verb the shell function or its prompt hook runs (``sh-on`` is
  ``mfa [CODE]``); left out of the help and the completions.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# What to offer for a value when completing: a tuple of words (one ending in ":" is a
# prefix, completed with no space after it), or one of these.
PROFILES = "profiles"  # the profile names of the AWS files
VERB_NAMES = "verbs"  # the verbs of the command being completed
COMMANDS = "commands"  # a program to run (after exec's --)
NOTHING = ()


class Option:
    """``--flag VALUE`` (``metavar`` names the value) or ``--flag`` (no metavar: a switch)."""

    __slots__ = (
        "choices",
        "complete",
        "default",
        "dest",
        "flag",
        "group",
        "help",
        "metavar",
        "required",
    )

    def __init__(
        self,
        flag: str,
        metavar: str | None,
        help: str,
        *,
        complete: tuple[str, ...] | str = NOTHING,
        choices: tuple[str, ...] | None = None,
        dest: str | None = None,
        default: str | None = None,
        group: str | None = None,
        required: bool = False,
    ) -> None:
        self.flag = flag
        self.metavar = metavar
        self.help = help
        self.choices = choices
        self.complete = choices if choices is not None and not complete else complete
        self.dest = dest or flag[2:].replace("-", "_")
        self.default = default
        self.group = group  # options of the same group exclude each other
        self.required = required

    @property
    def takes_value(self) -> bool:
        return self.metavar is not None


class Argument:
    """A positional argument; ``optional`` ones may be left out, ``rest`` takes every word
    after it (exec's command)."""

    __slots__ = ("choices", "complete", "default", "help", "metavar", "name", "optional", "rest")

    def __init__(
        self,
        name: str,
        metavar: str,
        help: str,
        *,
        optional: bool = False,
        choices: tuple[str, ...] | None = None,
        complete: tuple[str, ...] | str = NOTHING,
        rest: bool = False,
        default: str | None = None,
    ) -> None:
        self.name = name
        self.default = default  # of an optional one left out
        self.metavar = metavar
        self.help = help
        self.optional = optional
        self.choices = choices
        self.complete = choices if choices is not None and not complete else complete
        self.rest = rest


class Verb:
    """One verb: its help, options and arguments, who runs it, the module that does it
    (``mfaenv.commands.MODULE``), and whether the fast parser reads its plain forms."""

    __slots__ = (
        "arguments",
        "epilog",
        "fast",
        "help",
        "kind",
        "module",
        "name",
        "options",
        "prog",
        "summary",
    )

    def __init__(
        self,
        name: str,
        help: str,
        *,
        kind: str = "user",
        module: str | None = None,
        options: Sequence[Option] = (),
        arguments: Sequence[Argument] = (),
        fast: bool = False,
        prog: str | None = None,
        epilog: str | None = None,
        summary: str | None = None,
    ) -> None:
        self.name = name
        self.help = help
        self.kind = kind
        self.module = module or name.replace("-", "_")
        self.options = tuple(options)
        self.arguments = tuple(arguments)
        self.fast = fast
        self.prog = prog
        self.epilog = epilog
        self.summary = summary or help  # the short form, for completion menus

    @property
    def runs_as(self) -> str:
        """The verb that does the work: ``sh-off`` for ``off``."""
        return f"sh-{self.name}" if self.kind == "shell" else self.name


def _profile(help: str = "profile with the long-lived keys (default: AWS_PROFILE)") -> Option:
    return Option("--profile", "PROFILE", help, complete=PROFILES)


TOTP_SOURCES = ("pass:", "file:", "command:")
SHELL_NAMES = ("bash", "fish", "zsh")  # init's argument, and the --shell of every sh-* verb

# The options of a session: mfa [CODE], exec and credential-process.
SESSION = (
    _profile(),
    Option(
        "--duration",
        "DURATION",
        "session length: seconds, 90m, 12h, 1h30m (default 12h)",
        complete=("15m", "1h", "4h", "8h", "12h", "36h"),
    ),
    Option("--serial", "SERIAL", "ARN of the MFA device (default: found from your user)"),
    Option(
        "--totp",
        "SOURCE",
        "where codes come from: pass:ENTRY, file:PATH, command:ARGV",
        complete=TOTP_SOURCES,
    ),
    Option("--role", "ARN", "assume this role with the MFA session"),
    Option("--save-as", "NAME", "also write the session as profile NAME in ~/.aws/credentials"),
)
SESSION_OPTIONS = tuple(option.flag for option in SESSION)

_SERVER_TEXT = (
    "With --server the command gets no keys: AWS_CONTAINER_CREDENTIALS_FULL_URI and "
    "AWS_CONTAINER_AUTHORIZATION_TOKEN name a credential server that lives as long as the "
    "command and renews the session as mfa does (a role from the cached MFA session, an MFA "
    "session from a TOTP source); SDKs refresh from it on their own."
)
_MARKER = Argument("marker", "MARKER", "the marker file of the session this shell holds")

VERBS: tuple[Verb, ...] = (
    Verb(
        "init",
        "print the shell integration to eval",
        arguments=[Argument("shell", "SHELL", "bash, zsh or fish", complete=SHELL_NAMES)],
        fast=True,
    ),
    Verb(
        "status",
        "show this shell's MFA session",
        options=[
            Option("--json", None, "machine-readable output"),
            Option("--all", None, "every cached session, and the profiles without one"),
            _profile("the cached session of this profile"),
        ],
        fast=True,
    ),
    Verb(
        "enroll",
        "create and enable a virtual MFA device for your user",
        options=[
            _profile(),
            Option("--name", "NAME", "name of the device (default: your user name)"),
            Option(
                "--store",
                "WHERE",
                "pass:ENTRY or file:PATH for the secret",
                complete=("pass:", "file:"),
            ),
            Option("--force", None, "enroll even with a device already"),
        ],
    ),
    Verb(
        "rotate-key",
        "replace your access key with a new one, safely",
        options=[_profile("profile with the key (default: AWS_PROFILE)")],
    ),
    Verb(
        "keys",
        "keep a profile's long-lived keys encrypted: pass:ENTRY or keyring",
        arguments=[
            Argument("action", "ACTION", "import: move them into the store", choices=("import",))
        ],
        options=[
            _profile("profile with the keys (default: AWS_PROFILE)"),
            Option(
                "--store",
                "STORE",
                "pass:ENTRY or keyring",
                complete=("pass:", "keyring"),
                required=True,
            ),
        ],
        summary="keep the long-lived keys of a profile encrypted",
    ),
    Verb(
        "unsave",
        "remove a session saved with --save-as from the credentials file",
        arguments=[
            Argument("name", "NAME", "the profile the session was saved as", complete=PROFILES)
        ],
    ),
    Verb(
        "policy",
        "print the IAM policy that makes keys need MFA",
        options=[
            Option(
                "--style",
                "STYLE",
                "how strict",
                choices=("strict", "self-service"),
                default="strict",
            ),
            Option(
                "--max-age",
                "DURATION",
                "also deny MFA older than this",
                complete=("1h", "8h", "12h"),
            ),
        ],
    ),
    Verb("prompt", "print the prompt segment (aws:PROFILE 11h42m), or nothing", fast=True),
    Verb(
        "sh-on",
        "start an MFA session in this shell, or reuse the cached one (mfa CODE, mfa)",
        kind="hook",
        module="on",
        prog="mfa",
        arguments=[Argument("code", "CODE", "6-digit code from your MFA device", optional=True)],
        options=SESSION,
        fast=True,
    ),
    Verb(
        "exec",
        "run a command with the MFA session, leaving the shell alone",
        epilog=_SERVER_TEXT,
        options=[
            *SESSION,
            Option(
                "--server",
                None,
                "give the command a local credential endpoint that renews, not keys",
            ),
            Option(
                "--listen",
                "ADDRESS",
                "with --server: listen on ADDRESS[:PORT] (default 127.0.0.1), e.g. for a container",
            ),
        ],
        arguments=[Argument("command", "-- COMMAND [ARGS...]", "", complete=COMMANDS, rest=True)],
    ),
    Verb(
        "credential-process",
        "print the session as AWS credential_process JSON (for ~/.aws/config)",
        options=SESSION,
        fast=True,
    ),
    Verb(
        "console",
        "open the AWS web console signed in with a role session",
        epilog="The link signs anyone in as the role for 15 minutes: --print output is a "
        "secret, like a password.",
        options=[
            _profile("a profile with role_arn (default: AWS_PROFILE)"),
            Option("--role", "ARN", "assume this role from the profile"),
            Option(
                "--totp", "SOURCE", "pass:ENTRY, file:PATH, command:ARGV", complete=TOTP_SOURCES
            ),
            Option(
                "--duration",
                "DURATION",
                "console session length, 15m to 12h (roles of role_mode direct)",
                complete=("15m", "1h", "4h", "8h", "12h"),
            ),
            Option("--destination", "URL", "the https console page to open", group="page"),
            Option("--service", "NAME", "the console of a service: s3, ec2...", group="page"),
            Option(
                "--print",
                None,
                "write the sign-in URL to stdout instead; it is a secret for 15 minutes",
                dest="print_url",
                group="how",
            ),
            Option("--open-with", "COMMAND", "open the URL with this program", group="how"),
        ],
    ),
    Verb(
        "off",
        "end the MFA session: back to the keys this shell had before",
        kind="shell",
        prog="mfa off",
        fast=True,
    ),
    Verb(
        "sh-follow",
        "take a newer session of this shell's profile (the prompt hook)",
        kind="hook",
        module="follow",
        arguments=[
            _MARKER,
            Argument("held", "HELD", "the generation this shell holds", optional=True, default=""),
        ],
        fast=True,
    ),
    Verb(
        "sh-profile",
        "follow AWS_PROFILE as direnv or the user set it (the prompt hook)",
        kind="hook",
        module="profile",
        fast=True,
    ),
    Verb(
        "sh-renew",
        "renew this shell's session in the background (the prompt hook)",
        kind="hook",
        module="renew",
        arguments=[
            _MARKER,
            Argument("report", "REPORT", "where a failure is written for the next prompt"),
            Argument("margin", "MARGIN", "renew with less than this many seconds left"),
        ],
        fast=True,
    ),
    Verb(
        "sandbox",
        "a local STS/IAM (moto) to try mfa without AWS, in this shell",
        kind="shell",
        prog="mfa sandbox",
        arguments=[Argument("action", "ACTION", "start or stop", choices=("start", "stop"))],
    ),
    Verb(
        "help",
        "show this help, or a command's: mfa help status",
        arguments=[Argument("topic", "COMMAND", "", optional=True, complete=VERB_NAMES)],
    ),
    Verb("version", "show the version"),
)

BY_NAME = {verb.runs_as: verb for verb in VERBS}

# Verbs the shell function evals (as ``sh-VERB``); anything else that is not passed
# through is ``sh-on`` (``mfa 123456``, ``mfa --profile dev``, ``mfa``).
EVAL_VERBS = tuple(verb.name for verb in VERBS if verb.kind == "shell")
USER_VERBS = tuple(verb.name for verb in VERBS if verb.kind == "user")
PASSTHROUGH = (*USER_VERBS, "-h", "--help", "--version")

CODE_ENV = "__MFAENV_CODE"  # the typed code, from the shell function, for one call


def typed_verbs(program: str) -> tuple[Verb, ...]:
    """The verbs a user types after ``program`` (mfa or mfaenv), in the table's order:
    mfaenv has all but those that change the shell, which only the function ``mfa`` runs."""
    return tuple(
        verb for verb in VERBS if verb.kind == "user" or (verb.kind == "shell" and program == "mfa")
    )


class Args:
    """The parsed command line: the verb (as it runs: ``sh-on``, ``sh-off``) and its
    options and arguments, by ``dest`` (None, or the default, where not given)."""

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
    topic: str | None = None

    def __init__(self, verb: str, **values: object) -> None:
        self.verb = verb
        for name, value in values.items():
            setattr(self, name, value)
