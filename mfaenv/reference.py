"""The reference: every config key and every environment variable, with what it means.

One table each, read by the code and by the documentation alike: ``mfaenv.config`` accepts
exactly the keys of ``CONFIG_KEYS`` (an unknown key is refused by the table the page
documents), and ``mfaenv.manpage`` renders ``mfaenv(1)`` (ENVIRONMENT, FILES, EXIT STATUS)
and ``mfaenv-config(5)`` from these tables. ``tests/test_reference.py`` scans the package
and the shell files for the variables they read, so a new one cannot go undocumented.

A new key or variable is one row here (and, for a key, its reader in ``mfaenv.config``
when its kind is new). Plain tuples of strings and the standard library only: the build
imports this before any dependency exists, and no hot path imports it.

``python -m mfaenv.reference --markdown docs/configuration.md`` writes the tables into that
page, between its ``<!-- reference:NAME -->`` markers.
"""

from __future__ import annotations

# Where a config key may stand: at the top of the file, in [profiles.NAME], or both
# (a profile's value wins over the top's).
TOP = "top"
PROFILE = "profile"
BOTH = "top, profile"

# What a key's value is: kind -> how the pages describe it. mfaenv.config reads each kind.
KINDS: dict[str, str] = {
    "duration": 'a length: "12h", "90m", "1h30m", or a number of seconds',
    "boolean": "true or false",
    "serial": "an MFA device ARN",
    "totp": '"pass:ENTRY", "file:PATH" or "command:PROGRAM ARGS"',
    "role_mode": '"chain", "direct" or "auto"',
    "prompt": '"terminal", "dialog" or "none"',
    "profile_name": "a profile name the credentials file can hold",
    "keystore": '"pass:ENTRY" or "keyring"',
}

# (key, where, kind, meaning)
CONFIG_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("duration", BOTH, "duration",
     "the session length when --duration is not given: 15m to 36h (root: up to 1h); "
     "default 12h"),
    ("follow", TOP, "boolean",
     "shells holding a profile's session pick up a newer one made elsewhere, at their next "
     "prompt (default true; false writes no markers)"),
    ("auto", BOTH, "boolean",
     "a new shell starts in its profile's cached session, as if mfa had been typed "
     "(default false)"),
    ("serial", PROFILE, "serial",
     "the profile's MFA device, when the AWS config names none (else found and cached)"),
    ("totp", PROFILE, "totp",
     "where mfa takes a code when none is typed: pass otp ENTRY, a 0600 file with the secret "
     "or an otpauth:// URI, or a program that prints the code"),
    ("role_mode", PROFILE, "role_mode",
     "for a role profile: chain (default) assumes the role with the MFA session, one code "
     "per MFA session, role sessions of at most 1h; direct assumes it with the long-lived "
     "key and a code, up to the role's maximum; auto chains while the length asked fits "
     "1h, else assumes it directly, and says which"),
    ("save_as", PROFILE, "profile_name",
     "every new session of the profile is also written as this profile of the shared "
     "credentials file"),
    ("keys", PROFILE, "keystore",
     "where the profile's long-lived key pair is kept instead of the credentials file: a "
     "pass entry (secret on its first line, aws_access_key_id: on another) or the OS "
     "keystore (service mfaenv)"),
    ("prompt", BOTH, "prompt",
     "how a code nobody typed is asked for when no TOTP source gives one: on the terminal, "
     "in the desktop's dialog (zenity, kdialog, osascript), or never; default: the terminal "
     "when there is one, else a dialog when there is a desktop, else never"),
)  # fmt: skip

# Variables mfaenv or its shell functions read: (name, default, meaning).
ENVIRONMENT: tuple[tuple[str, str, str], ...] = (
    ("AWS_PROFILE", "default",
     "the profile when --profile is not given; a session sets it aside (mfa off puts it "
     "back), since the JavaScript SDK would take it over the session's keys"),
    ("AWS_ACCESS_KEY_ID", "",
     "with AWS_SECRET_ACCESS_KEY, the long-lived key, unless --profile is given; "
     "stashed (not exported) during a session"),
    ("AWS_SECRET_ACCESS_KEY", "", "see AWS_ACCESS_KEY_ID"),
    ("AWS_SESSION_TOKEN", "",
     "set: the keys in the environment are a session, which cannot make another"),
    ("AWS_SECURITY_TOKEN", "", "the older name of AWS_SESSION_TOKEN; unset by mfa"),
    ("AWS_CONFIG_FILE", "~/.aws/config", "the AWS config file"),
    ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", "the shared credentials file"),
    ("AWS_REGION", "",
     "the region when the profile names none; picks the partition (default us-east-1)"),
    ("AWS_DEFAULT_REGION", "", "the region, as boto3 reads it"),
    ("AWS_ENDPOINT_URL", "", "another endpoint for STS and IAM (and every AWS service)"),
    ("AWS_ENDPOINT_URL_STS", "", "another STS endpoint"),
    ("AWS_ENDPOINT_URL_IAM", "", "another IAM endpoint"),
    ("AWS_CREDENTIAL_EXPIRATION", "", "the session's end, shown by mfa status --json"),
    ("MFAENV_CONFIG", "$XDG_CONFIG_HOME/mfaenv/config.toml",
     "the mfaenv config file (the sandbox sets it)"),
    ("MFAENV_CACHE", "$XDG_CACHE_HOME/mfaenv", "the cache directory (the sandbox sets it)"),
    ("MFAENV_DEBUG", "", "1: debug lines and tracebacks (without values) on stderr"),
    ("MFAENV_NO_PROMPT", "",
     "1: never ask for a code, on the terminal or in a dialog, and run TOTP sources with no "
     "terminal (scripts; renewal sets it)"),
    ("MFAENV_PROMPT", "",
     "terminal, dialog or none: how to ask for a code; wins over prompt in the config"),
    ("DISPLAY", "", "set: an X11 desktop, where a dialog can ask for a code"),
    ("WAYLAND_DISPLAY", "", "set: a Wayland desktop, where a dialog can ask for a code"),
    ("XDG_CURRENT_DESKTOP", "", "KDE: the code dialog is kdialog's rather than zenity's"),
    ("MFAENV_AWS_DEADLINE", "15", "seconds one AWS call may take; at most 15"),
    ("MFAENV_FEDERATION_ENDPOINT", "",
     "the federation URL mfa console asks for a sign-in token (https, or http to this "
     "machine)"),
    ("MFAENV_FOLLOW", "", "0: this shell keeps its session when another makes a newer one"),
    ("MFAENV_RENEW_MARGIN", "900",
     "seconds left at which the prompt renews the session in the background"),
    ("MFAENV_PROMPT_FORMAT", "aws:%p%r %t",
     "the prompt segment: %p the profile, %r :ROLE@ACCOUNT, %t the time left"),
    ("MFAENV_PROMPT_STYLE", "", "SGR codes for the segment, such as 33 or 1;36"),
    ("MFAENV_PROMPT_WARN", "900", "seconds left below which the warning style applies"),
    ("MFAENV_PROMPT_WARN_STYLE", "31", "SGR codes of the warning style; empty for none"),
    ("NO_COLOR", "", "any value: no styles in the prompt segment"),
    ("XDG_CONFIG_HOME", "~/.config", "where the config directory is"),
    ("XDG_CACHE_HOME", "~/.cache", "where the cache directory is"),
    ("PASSWORD_STORE_DIR", "~/.password-store", "pass's store, for keys = \"pass:ENTRY\""),
    ("BROWSER", "", "the browser mfa console opens (Python's webbrowser reads it)"),
    ("SHELL", "", "which init line to suggest when mfaenv is run without the function"),
    ("MFAENV_TRY", "", "set by ./try for the shell it opens: the sandbox that shell starts "
     "is stopped when ./try ends"),
    # mfa exec --server gives the command these two, and takes out of its environment every
    # other way to credentials an SDK would try before the endpoint.
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "",
     "mfa exec --server: set for the command, the endpoint's loopback URL"),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "",
     "mfa exec --server: set for the command, the token the endpoint asks for"),
    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "",
     "mfa exec --server: removed from the command's environment"),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "",
     "mfa exec --server: removed from the command's environment"),
    ("AWS_DEFAULT_PROFILE", "", "mfa exec --server: removed from the command's environment"),
    ("AWS_ROLE_ARN", "", "mfa exec --server: removed from the command's environment"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "",
     "mfa exec --server: removed from the command's environment"),
)  # fmt: skip

# Variables mfa sets in the calling shell (mfa off puts them back): (name, meaning).
EXPORTS: tuple[tuple[str, str], ...] = (
    ("AWS_ACCESS_KEY_ID", "the session's access key"),
    ("AWS_SECRET_ACCESS_KEY", "the session's secret key"),
    ("AWS_SESSION_TOKEN", "the session's token"),
    ("AWS_CREDENTIAL_EXPIRATION", "the session's end, RFC 3339 UTC"),
    ("AWS_SESSION_EXPIRATION", "the same, for older prompts"),
    ("AWS_PROFILE", "unset during a session, its value set aside with the long-lived keys"),
    ("AWSU_PROFILE", "the session's profile, for prompts such as starship's (no SDK reads it)"),
    ("AWS_REGION", "the profile's region, when it names one"),
    ("AWS_DEFAULT_REGION", "the same, for boto3"),
    ("MFAENV_PROFILE", "the profile of the session"),
    ("MFAENV_EXPIRES", "the session's end in epoch seconds, for the prompt"),
    ("MFAENV_ARN", "the IAM user"),
    ("MFAENV_SERIAL", "the MFA device"),
    ("MFAENV_ROLE", "for a role session: ROLE@ACCOUNT"),
    ("MFAENV_ROLE_ARN", "for a role session: the role's ARN"),
    ("MFAENV_SEGMENT", "the prompt segment, before each prompt (not exported)"),
    ("MFAENV_SANDBOX", "the sandbox's URL while mfa sandbox is on (with MFAENV_CONFIG, "
     "MFAENV_CACHE and the AWS_ variables above pointing at it)"),
)  # fmt: skip

# (path, meaning)
FILES: tuple[tuple[str, str], ...] = (
    ("$XDG_CONFIG_HOME/mfaenv/config.toml",
     "the mfaenv config (TOML), see mfaenv-config(5); MFAENV_CONFIG names another"),
    ("$XDG_CACHE_HOME/mfaenv/",
     "cached sessions (sessions/NAME.json, and NAME.gen markers for following), serials.json, "
     "used-codes.json (salted digests of spent codes), saved-as.json: directories 0700, "
     "files 0600; MFAENV_CACHE names another"),
    ("$XDG_CACHE_HOME/mfaenv/sandbox/", "everything mfa sandbox has; removed when it stops"),
    ("~/.aws/config, ~/.aws/credentials",
     "the AWS CLI's files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): the profile and "
     "its long-lived key, and mfa_serial and mfa_process as aws-vault writes them; "
     "--save-as and keys import edit them in place"),
)  # fmt: skip

# (status, meaning)
EXIT_STATUS: tuple[tuple[str, str], ...] = (
    ("0", "success"),
    ("1", "a refusal: one mfaenv: line on stderr says why; mfa status: no live session"),
    ("2", "a usage error"),
    ("70", "an internal error (a bug: MFAENV_DEBUG=1 shows the traceback)"),
    ("130", "interrupted (Ctrl-C)"),
    (
        "other",
        "mfa exec: the status of the command (with --server, a command killed by a "
        "signal ends mfaenv by the same signal)",
    ),
)


def top_keys() -> tuple[str, ...]:
    return tuple(key for key, where, _kind, _meaning in CONFIG_KEYS if where != PROFILE)


def profile_keys() -> tuple[str, ...]:
    return tuple(key for key, where, _kind, _meaning in CONFIG_KEYS if where != TOP)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(name: str) -> list[str]:
    """The table ``name`` (config-keys, environment, exports) as Markdown lines."""
    if name == "config-keys":
        rows = [
            f"| `{key}` | {where} | {_cell(KINDS[kind])} | {_cell(meaning)} |"
            for key, where, kind, meaning in CONFIG_KEYS
        ]
        return ["| key | where | value | meaning |", "| --- | --- | --- | --- |", *rows]
    if name == "environment":
        rows = [
            f"| `{var}` | {f'`{default}`' if default else ''} | {_cell(meaning)} |"
            for var, default, meaning in ENVIRONMENT
        ]
        return ["| variable | default | meaning |", "| --- | --- | --- |", *rows]
    if name == "exports":
        rows = [f"| `{var}` | {_cell(meaning)} |" for var, meaning in EXPORTS]
        return ["| variable | set by mfa to |", "| --- | --- |", *rows]
    raise KeyError(name)


def write_markdown(path: str) -> list[str]:
    """Rewrite each ``<!-- reference:NAME -->`` block of the page at ``path``; the names."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    written = []
    for name in ("config-keys", "environment", "exports"):
        start, end = f"<!-- reference:{name} -->\n", f"<!-- /reference:{name} -->"
        head, found, rest = text.partition(start)
        _, found_end, tail = rest.partition(end)
        if found and found_end:
            text = head + start + "\n".join(markdown(name)) + "\n" + end + tail
            written.append(name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return written


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "--markdown":
        sys.exit("usage: python -m mfaenv.reference --markdown PAGE")
    print(f"{sys.argv[2]}: wrote {', '.join(write_markdown(sys.argv[2])) or 'nothing'}")
