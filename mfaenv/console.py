"""``mfa console``: the AWS web console, signed in with the role session the shell holds.

The AWS federation endpoint trades temporary credentials for a sign-in token
(``Action=getSigninToken``), and a sign-in URL with that token opens the console as the
same role (the "custom identity broker" of the IAM User Guide). Only role sessions can
be traded: AWS refuses GetSessionToken credentials, so a plain MFA session is refused
here before any request. The token in the URL signs anyone in for 15 minutes: it is
never logged, put in a message, or given to any program but the browser.

No botocore: one HTTPS GET with urllib, with a timeout and no redirects.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from mfaenv import __version__
from mfaenv.env import SESSION, Held
from mfaenv.errors import MfaEnvError, warn
from mfaenv.timefmt import HOUR, MINUTE, format_duration, format_remaining, remaining

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from mfaenv.clock import Clock
    from mfaenv.config import Config
    from mfaenv.env import ShellState
    from mfaenv.session import Session

# Where the tests point the federation URL (both the token request and the sign-in URL).
ENDPOINT_ENV = "MFAENV_FEDERATION_ENDPOINT"
TIMEOUT = 10
# A sign-in token is a few KiB; an answer beyond this is not one.
MAX_REPLY = 64 * 1024
ISSUER = "mfaenv"
LINK_LIFETIME = "15 minutes"  # how long AWS honours a sign-in token
# SessionDuration, the console session's length: AWS takes 15 minutes to 12 hours.
CONSOLE_MIN = 15 * MINUTE
CONSOLE_MAX = 12 * HOUR

# Sign-in and console hosts by partition.
HOSTS = {
    "aws": ("signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-cn": ("signin.amazonaws.cn", "console.amazonaws.cn"),
    "aws-us-gov": ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
}
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

NOT_A_ROLE = (
    "AWS lets only role sessions into the web console, not MFA sessions (GetSessionToken); "
    "use a profile with role_arn (mfa console --profile NAME) or mfa console --role ARN"
)


def partition(region: str) -> str:
    """The partition of a region: ``cn-north-1`` is aws-cn, ``us-gov-west-1`` aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def federation_endpoint(region: str, environ: Mapping[str, str]) -> str:
    """The federation URL of the region's partition, or the override of ENDPOINT_ENV
    (https, or http to this machine only: the credentials travel in the request)."""
    override = environ.get(ENDPOINT_ENV)
    if override is None:
        return f"https://{HOSTS[partition(region)][0]}/federation"
    parts = urllib.parse.urlsplit(override)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not (parts.scheme == "https" or local) or not parts.hostname or parts.query:
        raise MfaEnvError(
            f"{ENDPOINT_ENV} must be an https URL without a query (http only to this machine)"
        )
    return override


def destination(page: str | None, service: str | None, region: str) -> str:
    """The console page to land on: ``page`` (--destination) as given, the home of
    ``service`` (--service), or the console home of the region."""
    console = HOSTS[partition(region)][1]
    region_query = urllib.parse.urlencode({"region": region})
    if page is not None:
        parts = urllib.parse.urlsplit(page)
        if parts.scheme != "https" or not parts.hostname:
            raise MfaEnvError(
                f"--destination must be an https URL, such as https://{console}/s3/home"
            )
        return page
    if service is not None:
        if not _SERVICE.fullmatch(service):
            raise MfaEnvError(
                f"--service takes the name of a console page, such as s3 or ec2, not {service!r}"
            )
        return f"https://{console}/{service}/home?{region_query}"
    return f"https://{console}/console/home?{region_query}"


def console_duration(text: str | None) -> int | None:
    """--duration as seconds, checked against what getSigninToken takes."""
    if text is None:
        return None
    from mfaenv.timefmt import parse_duration

    seconds = parse_duration(text)
    if not CONSOLE_MIN <= seconds <= CONSOLE_MAX:
        raise MfaEnvError(
            f"a console session lasts 15m to 12h (an AWS limit), not {format_duration(seconds)}"
        )
    return seconds


def open_command(text: str | None) -> list[str] | None:
    """--open-with, split like a shell would (quotes work) but run without one."""
    if text is None:
        return None
    import shlex

    try:
        argv = shlex.split(text)
    except ValueError as err:
        raise MfaEnvError(f"cannot read --open-with {text!r}: {err}") from None
    if not argv:
        raise MfaEnvError("--open-with needs a program")
    return argv


# --- the role session ------------------------------------------------------------------------


def role_mode(config: Config, profile: str) -> str:
    """``chain`` or ``direct``, as ``newsession.role_session`` chooses for ``profile``."""
    from mfaenv.rolemodes import CHAIN

    return config.profile(profile).role_mode or CHAIN


def check_duration_allowed(
    duration: int | None, mode: str, profile: str, left: str, configured: str | None = None
) -> None:
    """SessionDuration only where AWS's federation documentation allows it.

    The IAM User Guide, "Enable custom identity broker access to the AWS console"
    (id_roles_providers_enable-console-custom-url): the getSigninToken request may carry
    SessionDuration (15m to 12h) for credentials from an AssumeRole* operation, but
    "if you use the AssumeRole* API operations, you must call them as an IAM user with
    long-term credentials. Otherwise, the call to the federation endpoint ... fails",
    and it must not be sent for GetFederationToken credentials. A role session of
    ``role_mode = "chain"`` was assumed with the MFA session's temporary credentials
    (role chaining), so it gets no SessionDuration: without one, the console session
    lasts as long as the credentials. Only ``direct`` role sessions (AssumeRole signed
    by the IAM user's long-lived key) may ask for a length.
    """
    from mfaenv.rolemodes import DIRECT

    if duration is not None and mode != DIRECT and configured == DIRECT:
        raise MfaEnvError(
            "AWS takes a console --duration only for a role assumed with an IAM user's "
            f"long-lived keys; the role session of profile {profile!r} ({left}) was chained "
            f'from an MFA session before role_mode was "direct": run `mfa CODE --profile '
            f"{profile}` for a direct one, or leave out --duration"
        )
    if duration is not None and mode != DIRECT:
        raise MfaEnvError(
            "AWS takes a console --duration only for a role assumed with an IAM user's "
            f"long-lived keys, not one chained from an MFA session; without --duration the "
            f"console lasts as long as the role session ({left}), or set "
            f'role_mode = "direct" for profile {profile!r} in the mfaenv config'
        )


def shell_session(environ: Mapping[str, str], clock: Clock) -> Session | None:
    """The role session this shell holds, or None when it holds none. A plain MFA
    session is refused: it cannot be traded for a console sign-in."""
    held = Held.read(environ)
    if held is None:
        return None
    if not held.role_arn:
        raise MfaEnvError(NOT_A_ROLE)
    session = held.session(environ)
    if session is None:
        raise MfaEnvError(
            "the role session in this shell is incomplete (AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or MFAENV_EXPIRES is missing); "
            "get it again with mfa"
        )
    if remaining(session.expires, clock.now()) <= 0:
        raise MfaEnvError(
            f"the role session in this shell ({session.role_label}) has expired; renew it "
            "with mfa as you made it, then run mfa console again"
        )
    return session


def held_mode(held: Session, clock: Clock) -> str | None:
    """How the role session the shell holds was assumed (chain or direct), as the cache
    recorded it when it was made; None where the cache no longer has that session."""
    from mfaenv.cache import Cache
    from mfaenv.files import UntrustedFile

    cache = Cache(clock=clock)
    for name in (held.profile, f"{held.profile}+{held.role_arn}"):
        try:
            cached = cache.load_session(name)
        except UntrustedFile:
            continue
        if cached is not None and cached.credentials == held.credentials:
            return cached.role_mode
    return None


def _region_of(profile: str, environ: Mapping[str, str]) -> str:
    """AWS_REGION, else the profile's region as botocore reads it (AWS_DEFAULT_REGION,
    then the config), else us-east-1."""
    if environ.get("AWS_REGION"):
        return environ["AWS_REGION"]
    from mfaenv.gateway import Gateway

    try:
        return Gateway(profile, explicit=True).region
    except MfaEnvError:
        return environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def role_session(
    asked: Asked, state: ShellState, clock: Clock, duration: int | None
) -> tuple[Session, str]:
    """The profile's cached role session, or a new one, as ``mfa --profile P`` (or
    ``--role ARN``) would get it; refused before any request when it is no role."""
    from mfaenv.context import LoginContext
    from mfaenv.login import obtain
    from mfaenv.profilefollow import acted_on_profile
    from mfaenv.request import Request
    from mfaenv.reuse import cached_session

    environ = state.without(SESSION)
    profile, explicit = acted_on_profile(asked.profile, state)  # in a session: the session's
    request = Request(profile=profile, explicit_profile=explicit, totp=asked.totp, role=asked.role)
    context = LoginContext(request, environ, clock=clock)
    if context.role() is None:
        raise MfaEnvError(f"profile {profile!r} assumes no role. {NOT_A_ROLE}")
    # The session served below, if cached: as it was made.
    cached, _ = cached_session(context.cache, request, environ)
    configured = role_mode(context.config, profile)
    mode = (cached.role_mode if cached else None) or configured
    check_duration_allowed(duration, mode, profile, "up to 1h", configured)
    region = state.environ.get("AWS_REGION") or context.gateway().region
    session, _ = obtain(context)
    if session.role_arn is None:
        raise MfaEnvError(NOT_A_ROLE)
    return session, region


def session_and_region(
    asked: Asked, state: ShellState, clock: Clock, duration: int | None
) -> tuple[Session, str]:
    """The shell's role session when no profile or role is asked for, else the profile's."""
    if asked.profile is None and asked.role is None:
        held = shell_session(state.environ, clock)
        if held is not None:
            from mfaenv import config

            left = format_remaining(remaining(held.expires, clock.now()))
            configured = role_mode(config.load(), held.profile)
            mode = held_mode(held, clock) or configured
            check_duration_allowed(duration, mode, held.profile, f"{left} left", configured)
            return held, _region_of(held.profile, state.environ)
    return role_session(asked, state, clock, duration)


# --- the federation endpoint ------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error here: the request carries the credentials."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def signin_token(endpoint: str, session: Session, duration: int | None) -> str:
    """Trade the role session for a sign-in token. Messages name the host, never the
    request (it holds the credentials) or the reply (it holds the token)."""
    import http.client

    creds = session.credentials
    document = json.dumps(
        {
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
        }
    )
    query = {"Action": "getSigninToken", "Session": document}
    if duration is not None:
        query["SessionDuration"] = str(duration)
    request = urllib.request.Request(  # noqa: S310 - https, or http to loopback (checked)
        f"{endpoint}?{urllib.parse.urlencode(query)}",
        headers={"User-Agent": f"mfaenv/{__version__}"},
    )
    from mfaenv.deadline import PastDeadline, call_deadline, deadline

    host = urllib.parse.urlsplit(endpoint).hostname
    opener = urllib.request.build_opener(_NoRedirect())
    seconds = call_deadline()
    try:
        with deadline(seconds), opener.open(request, timeout=TIMEOUT) as reply:
            body = reply.read(MAX_REPLY + 1)
    except PastDeadline:
        raise MfaEnvError(
            f"the AWS sign-in endpoint ({host}) did not answer within {seconds:g}s; check "
            "your network or try again"
        ) from None
    except urllib.error.HTTPError as err:
        status = err.code
        err.close()
        if status in (400, 401, 403):
            raise MfaEnvError(
                f"the AWS sign-in endpoint ({host}) refused the role session "
                f"{session.role_label} (HTTP {status}): has it expired or been revoked?"
            ) from None
        raise MfaEnvError(
            f"the AWS sign-in endpoint ({host}) answered HTTP {status}; try again later"
        ) from None
    except urllib.error.URLError as err:
        reason = err.reason
        why = getattr(reason, "strerror", None) or (
            reason if isinstance(reason, str) else type(reason).__name__
        )
        raise MfaEnvError(f"cannot reach the AWS sign-in endpoint ({host}): {why}") from None
    except TimeoutError:
        raise MfaEnvError(
            f"the AWS sign-in endpoint ({host}) did not answer within {TIMEOUT}s"
        ) from None
    except (OSError, http.client.HTTPException) as err:
        raise MfaEnvError(
            f"the AWS sign-in endpoint ({host}) failed: {type(err).__name__}"
        ) from None
    if len(body) > MAX_REPLY:
        raise MfaEnvError(
            f"the AWS sign-in endpoint ({host}) answered with more than {MAX_REPLY // 1024} KiB, "
            "far beyond a sign-in token; check MFAENV_FEDERATION_ENDPOINT, your proxy, or "
            "try again"
        )
    try:
        token = json.loads(body).get("SigninToken")
    except (ValueError, AttributeError, RecursionError):
        token = None
    if not isinstance(token, str) or not token or not token.isprintable():
        raise MfaEnvError(f"the AWS sign-in endpoint ({host}) answered without a sign-in token")
    return token


def signin_url(endpoint: str, token: str, page: str) -> str:
    query = {"Action": "login", "Issuer": ISSUER, "Destination": page, "SigninToken": token}
    return f"{endpoint}?{urllib.parse.urlencode(query)}"


# --- the browser ----------------------------------------------------------------------------


def open_url(url: str, program: list[str] | None) -> None:
    """Hand the URL to --open-with's program (its last argument), else to the user's
    browser (Python's webbrowser, which honours BROWSER). Both are waited for only as
    webbrowser waits for a BROWSER command: the program decides whether it returns."""
    if program is not None:
        import subprocess

        name = program[0]
        try:
            result = subprocess.run(  # noqa: S603 - the user's own program, no shell
                [*program, url], stdin=subprocess.DEVNULL, check=False
            )
        except FileNotFoundError:
            raise MfaEnvError(f"cannot run --open-with {name!r}: not found") from None
        except PermissionError:
            raise MfaEnvError(f"cannot run --open-with {name!r}: permission denied") from None
        if result.returncode != 0:
            raise MfaEnvError(f"--open-with {name!r} failed with status {result.returncode}")
        return
    import webbrowser

    try:
        opened = webbrowser.open(url, new=2)
    except webbrowser.Error:
        opened = False
    if not opened:
        raise MfaEnvError(
            "no browser could open the sign-in link; set BROWSER, use --open-with COMMAND, "
            "or --print it for a browser elsewhere"
        )


class Asked:
    """What ``mfa console`` was asked for: the role session's profile, role and code
    source (None where not given), the console's length, page and how to open it."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        role: str | None = None,
        totp: str | None = None,
        duration: str | None = None,
        page: str | None = None,
        service: str | None = None,
        print_url: bool = False,
        open_with: str | None = None,
    ) -> None:
        self.profile, self.role, self.totp = profile, role, totp
        self.duration, self.page, self.service = duration, page, service
        self.print_url, self.open_with = print_url, open_with


def run(asked: Asked, state: ShellState, clock: Clock) -> int:
    # Every option is checked before any session is fetched or any request is made.
    duration = console_duration(asked.duration)
    program = open_command(asked.open_with)
    destination(asked.page, asked.service, "us-east-1")
    session, region = session_and_region(asked, state, clock, duration)
    page = destination(asked.page, asked.service, region)
    endpoint = federation_endpoint(region, state.environ)
    token = signin_token(endpoint, session, duration)
    url = signin_url(endpoint, token, page)
    left = format_remaining(remaining(session.expires, clock.now()))
    length = f"for {format_duration(duration)}" if duration else f"until the role ends in {left}"
    if asked.print_url:
        import sys

        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        warn(
            f"the link above signs in to the console as {session.role_label} for "
            f"{LINK_LIFETIME}: keep it secret as a password"
        )
        return 0
    open_url(url, program)
    warn(f"console opened as {session.role_label} in {region}, {length}")
    return 0
