"""A local STS/IAM (a moto server on 127.0.0.1) with a demo user, to try mfa without AWS.

``mfa sandbox start`` starts it, or attaches the shell to the one already running (from
any terminal of the user), and points the shell at it through a profile of its own.
``mfa sandbox stop`` ends it and puts the shell back; in a shell whose sandbox is gone it
still puts the shell back, and says so.

The sandbox keeps to itself: its AWS files, its mfaenv config (``MFAENV_CONFIG``) and
its mfaenv cache (``MFAENV_CACHE``) live in one directory, ``sandbox/`` in the user's
cache, which ``stop`` removes. Its server and the demo account in it: ``mfaenv.motoserver``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from mfaenv.env import CREDENTIAL_VARS, SESSION, Change, Layer, ShellState
from mfaenv.errors import MfaEnvError, warn
from mfaenv.files import private_dir, read_private, write_private
from mfaenv.motoserver import (
    MOTO_IDENTITY,
    REGION,
    MotoServer,
    answers,
    pyotp_uri,
    seed_admin_role,
    seed_demo_user,
)
from mfaenv.paths import home_cache_dir

PROFILE = "mfaenv-sandbox"
ROLE_PROFILE = "mfaenv-sandbox-admin"
# Set by ./try for the shell it opens: a sandbox that shell starts is ./try's to stop.
TRY_ENV = "MFAENV_TRY"

SANDBOX = Layer(
    name="sandbox",
    marker="MFAENV_SANDBOX",
    variables=(
        *CREDENTIAL_VARS,
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "MFAENV_CONFIG",
        "MFAENV_CACHE",
        "MFAENV_FEDERATION_ENDPOINT",
        "PASSWORD_STORE_DIR",
        "MFAENV_SANDBOX",
    ),
)


# --- mfa sandbox start / stop ----------------------------------------------------------


def home() -> Path:
    """The running sandbox's directory, the same from every terminal: in the user's own
    cache, never in the one a sandbox shell points mfaenv at."""
    return Path(home_cache_dir()) / "sandbox"


def _recorded() -> dict[str, object] | None:
    """What the last ``start`` wrote down, whether or not its server still answers."""
    try:
        raw = read_private(home() / "state.json")
        state = json.loads(raw) if raw else None
    except (MfaEnvError, ValueError):
        return None
    if isinstance(state, dict) and isinstance(state.get("url"), str):
        return state
    return None


def _running() -> dict[str, object] | None:
    state = _recorded()
    return state if state is not None and answers(str(state["url"])) else None


def _launch(box: Path) -> dict[str, object]:
    """A new server with the demo user, and the sandbox's files written afresh."""
    _remove(box)  # whatever a server that died without `stop` left
    private_dir(box)
    server = MotoServer.start(box / "moto.log", detach=True, federation=True)
    try:
        demo = seed_demo_user(server.url)
        role = seed_admin_role(server.url, demo.arn.split(":")[4])
        pid = server.process.pid if server.process else None
        running: dict[str, object] = {
            "url": server.url,
            "pid": pid,
            "arn": demo.arn,
            "serial": demo.serial,
            "role": role,
            "try": os.environ.get(TRY_ENV, ""),
        }
        write_private(box / "totp-secret", (pyotp_uri(demo) + "\n").encode())
        write_private(
            box / "credentials",
            f"[{PROFILE}]\naws_access_key_id = {demo.access_key_id}\n"
            f"aws_secret_access_key = {demo.secret_access_key}\n".encode(),
        )
        write_private(
            box / "config",
            f"[profile {PROFILE}]\nregion = {REGION}\n\n"
            f"[profile {ROLE_PROFILE}]\nrole_arn = {role}\nsource_profile = {PROFILE}\n"
            f"region = {REGION}\n".encode(),
        )
        write_private(box / "state.json", json.dumps(running).encode())
    except BaseException:
        server.stop()  # no server without the state that lets `stop` find it
        _remove(box)
        raise
    return running


def _remove(box: Path) -> None:
    """Remove the sandbox's directory, and the user's cache directory if that leaves it
    empty (the sandbox may have been the first to make it)."""
    if box.is_symlink():
        box.unlink()
    elif box.is_dir():
        shutil.rmtree(box, ignore_errors=True)
    with contextlib.suppress(OSError):
        box.parent.rmdir()


def _end(pid: object, url: str) -> None:
    """Stop the server ``start`` left running, and wait (a few seconds) until it is gone."""
    if not isinstance(pid, int) or pid <= 0:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while answers(url, timeout=0.5) and time.monotonic() < deadline:
        time.sleep(0.02)


def start(state: ShellState) -> Change:
    mine = state.environ.get("MFAENV_SANDBOX") if state.active(SANDBOX) else None
    running = _running()
    if mine is not None and running is not None and running["url"] == mine:
        raise MfaEnvError(f"the sandbox is already on in this shell ({mine})")
    session_off = Change()
    if state.active(SESSION):
        if mine is None:
            raise MfaEnvError("this shell has an MFA session; run `mfa off` before the sandbox")
        # A session of the sandbox that stopped: worth nothing now, so it goes too.
        session_off, _ = state.remove(SESSION)
        state = state.after(session_off)
    box = home()
    if running is None:
        running = _launch(box)
        what = "sandbox started"
    else:
        what = "this shell joins the sandbox already running"
    url = str(running["url"])
    if mine is not None:
        what += f" (the one this shell used, at {mine}, had stopped)"
    warn(
        f"{what}: a local STS and IAM (moto) at {url} with the IAM user {running['arn']} "
        f"and its MFA device {running['serial']}"
    )
    warn(
        "it takes any 6 digits as a code, each code once: try `mfa 123456`, `mfa status`, "
        f"`mfa off`; or codes from the device's secret: `mfa --totp file:{box / 'totp-secret'}`"
    )
    warn(
        f"a role too: `mfa --profile {ROLE_PROFILE}` (no code while the MFA session lives), "
        "then `mfa console --print`; `pass` in this shell keeps its entries in the sandbox's "
        "own store"
    )
    warn(
        f"moto answers get-caller-identity with its fixed identity {MOTO_IDENTITY}, "
        "whoever asks; `mfa sandbox start` in another terminal joins this sandbox, "
        "`mfa sandbox stop` ends it for every terminal"
    )
    before = ShellState(state.without(SANDBOX), state.stash)
    return session_off.then(
        before.apply(
            SANDBOX,
            {
                "AWS_PROFILE": PROFILE,
                "AWS_CONFIG_FILE": str(box / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(box / "credentials"),
                "AWS_ENDPOINT_URL": url,
                "AWS_REGION": REGION,
                "MFAENV_CONFIG": str(box / "mfaenv.toml"),
                "MFAENV_CACHE": str(box / "cache"),
                "MFAENV_FEDERATION_ENDPOINT": f"{url}/federation",
                "PASSWORD_STORE_DIR": _password_store(box, state.environ),
                "MFAENV_SANDBOX": url,
            },
        )
    )


def _password_store(box: Path, environ: Mapping[str, str]) -> str:
    """The sandbox's own password store, so that trying ``pass otp insert`` and ``--store
    pass:ENTRY`` there never writes to the user's: encrypted to the user's own GnuPG key
    (their store's ``.gpg-id``, copied when they have one), removed with the sandbox."""
    store = box / "password-store"
    private_dir(store)
    own = environ.get("PASSWORD_STORE_DIR") or os.path.expanduser("~/.password-store")
    try:
        with open(os.path.join(own, ".gpg-id"), "rb") as ids:
            write_private(store / ".gpg-id", ids.read(1 << 16))
    except OSError:
        pass  # no store of their own: pass there asks for `pass init`, as it would
    return str(store)


def stop(state: ShellState) -> Change:
    mine = state.environ.get("MFAENV_SANDBOX") if state.active(SANDBOX) else None
    recorded = _recorded()
    running = recorded if recorded is not None and answers(str(recorded["url"])) else None
    if mine is None and recorded is None:
        raise MfaEnvError("the sandbox is not running")
    change = Change()
    if state.active(SESSION):
        change, _ = state.remove(SESSION)
        state = state.after(change)
    if running is not None and (mine is None or running["url"] == mine):
        _end(running.get("pid"), str(running["url"]))
        _remove(home())
        message = "sandbox stopped"
    else:
        if running is None:
            _remove(home())  # a server that died without `stop` (a reboot, say)
        message = "the sandbox had already stopped"
        if running is not None:
            message += f"; another one runs at {running['url']} (`mfa sandbox stop` again ends it)"
    if state.active(SANDBOX):
        change = change.then(state.remove(SANDBOX)[0])
        message += "; this shell is back as it was before `mfa sandbox start`"
    warn(message)
    return change


def gone(environ: Mapping[str, str]) -> str | None:
    """Why a shell pointed at the sandbox cannot reach it (None while it answers)."""
    mine = environ.get("MFAENV_SANDBOX")
    if not mine:
        return None
    recorded = _recorded()
    if recorded is None:
        return (
            "the sandbox this shell used has been stopped (in another terminal?); "
            "`mfa sandbox stop` puts this shell back, `mfa sandbox start` starts a new one"
        )
    if recorded["url"] != mine:
        return (
            f"the sandbox this shell used has stopped and another one runs at "
            f"{recorded['url']}; `mfa sandbox start` points this shell at it"
        )
    if not answers(mine):
        return (
            f"the sandbox's server at {mine} does not answer; `mfa sandbox start` starts a new one"
        )
    return None


def joinable(environ: Mapping[str, str]) -> str:
    """For a message about missing keys: a note that a sandbox runs which this shell does
    not use (it was started in another terminal), or nothing."""
    if environ.get("MFAENV_SANDBOX") or _running() is None:
        return ""
    return "; a sandbox runs: `mfa sandbox start` points this shell at it"
