"""``mfaenv enroll``: a virtual MFA device for the user, enabled, its serial saved.

The device is created, its secret shown as a QR code on the terminal (or written to
pass or a 0600 file), enabled with two consecutive codes, and its serial saved in the
mfaenv config. If anything fails after the device was created, it is deleted again and
nothing is written: no half-made device blocks the next try.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Mapping

from mfaenv import config as config_file
from mfaenv.cache import Cache
from mfaenv.children import child_environment
from mfaenv.clock import SYSTEM, Clock
from mfaenv.context import LoginContext
from mfaenv.errors import MfaEnvError, warn
from mfaenv.files import write_private
from mfaenv.request import Request
from mfaenv.terminal import ask_code, talk_to_terminal, terminal_available, wait_for_next_step
from mfaenv.totp import Source


def _qr(uri: str) -> str:
    try:
        import segno
    except ImportError:
        return "(install mfaenv[qr] to see a QR code here)\n"
    out = io.StringIO()
    segno.make(uri, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def _store(store: Source, uri: str) -> None:
    if store.kind == "pass":
        try:
            result = subprocess.run(  # noqa: S603 - the URI goes on stdin, never in argv
                ["pass", "otp", "insert", store.target],  # noqa: S607
                input=uri + "\n",
                env=child_environment(),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except FileNotFoundError:
            raise MfaEnvError("pass is not installed; cannot store the secret there") from None
        if result.returncode != 0:
            raise MfaEnvError(f"pass could not store {store.target!r} (status {result.returncode})")
    else:
        write_private(os.path.expanduser(store.target), (uri + "\n").encode(), own_directory=False)


def _unstore(store: Source) -> None:
    if store.kind == "pass":
        subprocess.run(  # noqa: S603
            ["pass", "rm", "--force", store.target],  # noqa: S607
            env=child_environment(),
            capture_output=True,
            timeout=60,
            check=False,
        )
    else:
        try:
            os.unlink(os.path.expanduser(store.target))
        except FileNotFoundError:
            pass


def _check_store(store: Source) -> None:
    if store.kind == "command":
        raise MfaEnvError("--store takes pass:ENTRY or file:PATH")
    if store.kind == "file" and os.path.lexists(os.path.expanduser(store.target)):
        raise MfaEnvError(f"{store.target} exists; enroll stores a new secret only in a new file")


def enroll(
    request: Request,
    environ: Mapping[str, str],
    *,
    name: str | None,
    store: Source | None,
    force: bool,
    clock: Clock = SYSTEM,
) -> str:
    """Enroll and enable a virtual device; return its serial."""
    import pyotp

    if store is not None:
        _check_store(store)
    elif not terminal_available():
        raise MfaEnvError(
            "enrolling shows a QR code and asks for codes on a terminal; run it in one, "
            "or use --store pass:ENTRY or --store file:PATH"
        )
    context = LoginContext(request, environ, clock=clock)
    aws = context.use_key_profile(request.profile, request.explicit_profile)
    key = context.key()[0].credentials
    identity = aws.caller_identity(key)
    user = identity.user_name
    if user is None:
        raise MfaEnvError("enroll the root user's MFA device in the AWS console")
    existing = aws.totp_devices(identity, key)
    if existing and not force:
        raise MfaEnvError(
            f"{identity.arn} already has an MFA device that gives codes ({', '.join(existing)}); "
            "add --force to enroll another"
        )

    config_file.check_settable(request.profile, {"serial": "arn", "totp": "pass:x"})
    serial, secret = aws.create_virtual_mfa_device(key, name or user)
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=f"{user}@{identity.account}", issuer_name="Amazon Web Services"
    )
    stored = False
    try:
        if store is not None:
            _store(store, uri)
            stored = True
            first = store.read(clock.now())
            wait_for_next_step(store.period(), "AWS wants two consecutive codes", clock)
            second = store.read(clock.now())
        else:
            talk_to_terminal(
                f"Scan this with your authenticator app, or type the secret by hand.\n"
                f"{_qr(uri)}{uri}\nsecret: {secret}\n"
            )
            first = ask_code(serial, "first code", request.profile) or ""
            second = ask_code(serial, "the code after it", request.profile) or ""
        aws.enable_mfa_device(key, user, serial, first, second)
    except BaseException:
        try:
            aws.delete_virtual_mfa_device(key, serial)
        except MfaEnvError as err:
            warn(f"could not delete the unfinished device {serial}: {err}")
        if stored and store is not None:
            _unstore(store)
        raise

    values = {"serial": serial}
    if store is not None:
        values["totp"] = str(store)
    path = config_file.set_profile_values(request.profile, values)
    Cache(clock=clock).remember_code(serial, second, int(clock.now()))
    warn(f"enrolled {serial} for {identity.arn}; saved in {path}")
    return serial
