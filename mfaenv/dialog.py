"""A code asked for in the desktop's own dialog, for callers with no terminal.

IDEs, kubectl exec plugins and desktop apps run ``credential_process`` with no terminal.
On a Linux or BSD desktop (DISPLAY or WAYLAND_DISPLAY set) the dialog is zenity's or
kdialog's (KDE's first under KDE); on macOS it is osascript's ``display dialog``. It
names the profile, the device and the seconds left in the code's time step. The code
comes back on the dialog's stdout to mfaenv alone: it is in no process's argv, and the
dialog's argv holds nothing secret. Cancel, or no answer within the deadline, is one
MfaEnvError, and the dialog is closed, never left open.
"""

from __future__ import annotations

import os
import sys

from mfaenv.clock import SYSTEM, Clock
from mfaenv.errors import MfaEnvError
from mfaenv.printable import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

TIMEOUT = 60  # seconds the dialog waits for a code; less than the cache lock's wait
POLL = 0.1
TITLE = "mfaenv"
STEP = 30  # seconds of one TOTP time step
# The dialogs close themselves this much after our deadline, should mfaenv be killed.
OWN_TIMEOUT_EXTRA = 5

# osascript: the text and the seconds come in as arguments of the script, never inside it.
OSASCRIPT = (
    "on run argv",
    'display dialog (item 1 of argv) default answer "" with title "mfaenv" '
    'buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel" '
    "giving up after ((item 2 of argv) as integer)",
    "return text returned of result",
    "end run",
)


def _which(name: str, environ: Mapping[str, str]) -> str | None:
    for directory in environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def find_tool(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """The program that shows the dialog here; None when there is no desktop or no program."""
    if platform == "darwin":
        return _which("osascript", environ)
    if not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")):
        return None
    kde = "KDE" in environ.get("XDG_CURRENT_DESKTOP", "").upper()
    for name in ("kdialog", "zenity") if kde else ("zenity", "kdialog"):
        path = _which(name, environ)
        if path is not None:
            return path
    return None


def message(profile: str, serial: str, now: float) -> str:
    """What the dialog says: the profile, the device, and how long the current code lasts."""
    left = STEP - int(now) % STEP
    return (
        f"MFA code for profile {printable(profile)!r}\n"
        f"Device: {printable(serial)}\n"
        f"The code on the device changes in {left}s"
    )


def command(tool: str, text: str, timeout: int = TIMEOUT) -> list[str]:
    """The dialog's argv: ``text`` and a timeout, nothing secret."""
    name = os.path.basename(tool)
    closes = str(timeout + OWN_TIMEOUT_EXTRA)
    if name == "osascript":
        return [tool, *(word for line in OSASCRIPT for word in ("-e", line)), text, closes]
    if name == "kdialog":
        return [tool, "--title", TITLE, "--inputbox", text]
    # zenity reads backslash escapes in --text and takes "_" as a mnemonic: keep both as typed.
    shown = text.replace("\\", "\\\\").replace("_", "__")
    return [tool, "--entry", f"--title={TITLE}", f"--text={shown}", f"--timeout={closes}"]


def ask_code(
    profile: str,
    serial: str,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Clock = SYSTEM,
    timeout: int = TIMEOUT,
) -> str:
    """Ask for a code in a dialog; the code, or MfaEnvError (cancelled, deadline, no desktop)."""
    import subprocess

    from mfaenv.children import SCRUBBED
    from mfaenv.totp import check_code

    environ = os.environ if environ is None else environ
    tool = find_tool(environ)
    if tool is None:
        raise MfaEnvError(
            "no desktop dialog to ask for a code in (zenity or kdialog with DISPLAY or "
            "WAYLAND_DISPLAY set, osascript on macOS)"
        )
    name = os.path.basename(tool)
    argv = command(tool, message(profile, serial, clock.now()), timeout)
    child = {k: v for k, v in environ.items() if k not in SCRUBBED}
    try:
        dialog = subprocess.Popen(  # noqa: S603 - a fixed program, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child,
            start_new_session=True,  # a Ctrl-C meant for mfaenv is handled here
        )
    except OSError as err:
        raise MfaEnvError(f"cannot run {name} to ask for a code: {err.strerror}") from None
    deadline = clock.monotonic() + timeout
    try:
        while dialog.poll() is None:
            if clock.monotonic() >= deadline:
                raise MfaEnvError(
                    f"no MFA code was typed in the dialog within {timeout}s "
                    f"(profile {printable(profile)!r})"
                )
            clock.sleep(POLL)
        out, errors = dialog.communicate()
    finally:
        if dialog.poll() is None:
            dialog.kill()
            dialog.communicate()
    said = errors.decode("utf-8", "replace")
    if dialog.returncode != 0:
        if "cannot open display" in said:
            raise MfaEnvError(f"{name} cannot open the display to ask for a code")
        if dialog.returncode == 1 and (name != "osascript" or "-128" in said):
            raise MfaEnvError(f"the MFA code dialog was cancelled (profile {printable(profile)!r})")
        raise MfaEnvError(f"{name} could not ask for a code (status {dialog.returncode})")
    code = out.decode("utf-8", "replace").strip()
    if not code:
        raise MfaEnvError("no code was typed in the dialog")
    return check_code(code)
