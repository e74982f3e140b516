"""The integration as users' shells leave it, in the manner of zoxide's template tests.

Each shell's rendered integration (``mfaenv init SHELL > FILE``) is sourced under the
options people set in their rc files, or beside their own functions and aliases named
like every builtin the integration calls, and exercised: prompts (a session, none, an
over-long or tampered MFAENV_EXPIRES, an ended session), mfa, follow, mfa off and the
completion functions, called directly. Between steps the script marks stdout and stderr
alike, so that what the shell printed is known step by step: nothing but mfaenv's own
lines reaches stderr, and the segment and the environment are right, in all six shells.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EVERY_SHELL, Home, kind, need, run_shell, write_profile

from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session
from mfaenv.shells import get_shell

# Builtins the integration calls, with names a user may give a function or an alias.
SHADOWED = {
    "bash": "unset export printf local read eval echo test [ command return shift continue "
    "true declare shopt set unalias complete compopt type source",
    "zsh": "unset export printf print local read eval echo test [ command return shift "
    "continue true typeset emulate zmodload autoload unalias setopt source",
    # fish keeps set, test, string, read, command, builtin, return... for itself; fish's own
    # functions call contains, commandline and source as they are (its completion helpers,
    # its autoloading), so a function of that name breaks fish: not one of the names here.
    "fish": "printf math count path complete emit",
}

# What a user's rc file may have set, by shell; "functions" and "aliases" shadow SHADOWED.
OPTIONS = {
    "bash": {
        "defaults": "",
        "strict": "set -euo pipefail",
        "globs": "\n".join(
            f"shopt -s {name} 2>/dev/null || :"
            for name in ("nullglob", "failglob", "nocaseglob", "nocasematch", "dotglob")
        )
        + "\nshopt -u extglob",
        "posix": "set -o posix",
        "allexport": "set -a\nshopt -s patsub_replacement 2>/dev/null || :",
        "functions": "functions",
        "aliases": "aliases",
    },
    "zsh": {
        "defaults": "",
        "strict": "setopt err_exit no_unset pipe_fail warn_create_global",
        "ksh_arrays": "setopt ksh_arrays",
        "globs": "setopt sh_glob glob_subst extended_glob null_glob ksh_glob",
        "words": "setopt no_multios rc_expand_param sh_word_split all_export",
        "functions": "functions",
        "aliases": "aliases",
    },
    "fish": {"defaults": "", "functions": "functions"},
}

CASES = [
    pytest.param(shell, options, id=f"{shell}-{options}")
    for shell in EVERY_SHELL
    for options in OPTIONS[kind(shell)]
]


def _setup(shell: str, options: str) -> str:
    """The user's rc file: options set, or builtins shadowed (each says so when called)."""
    family = kind(shell)
    setting = OPTIONS[family][options]
    names = SHADOWED[family].split()
    if setting == "functions":
        if family == "fish":
            return "\n".join(
                f"function {name}; builtin printf 'HIJACKED {name}\\n' >&2; return 1; end"
                for name in names
            )
        return "\n".join(
            f"function {name} {{ \\builtin printf 'HIJACKED {name}\\n' >&2; \\builtin return 1; }}"
            for name in names
        )
    if setting == "aliases":
        lines = [f"alias -- '{name}=printf \"HIJACKED {name}\\n\" >&2; false'" for name in names]
        if family == "bash":
            lines.insert(0, "shopt -s expand_aliases")
        return "\n".join(lines)
    return setting


def _script(shell: str, options: str, rendered: Path, newer: str) -> str:
    """The steps; ``newer``: a command that caches a newer session of the profile."""
    now = int(time.time())
    later, ended = now + 90 * 60 + 30, now - 10
    family = kind(shell)
    if family == "fish":
        steps = [
            "function __t; builtin printf '@%s\\n' $argv; builtin printf '@%s\\n' $argv >&2; end",
            f"builtin source {rendered}",
            "__t sourced",
            "function __p; builtin emit fish_prompt",
            "    builtin printf 'segment=[%s]\\n' (mfa_prompt)",
            "end",
            "__p; __t none",
            f"set -gx MFAENV_PROFILE dev; set -gx MFAENV_EXPIRES {later}; __p; __t live",
            "set -gx MFAENV_EXPIRES 99999999999999999999999999; __p; __t long",
            "set -gx MFAENV_EXPIRES 'a[$(touch pwned)]'; __p; __t tampered",
            f"set -gx MFAENV_EXPIRES {ended}; __p; __p; __t ended",
            "set -e MFAENV_EXPIRES MFAENV_PROFILE; mfa; __p; __t mfa",
            "builtin printf 'key=%s\\n' $AWS_ACCESS_KEY_ID",
            f"{newer}; __p; __t follow",
            "builtin printf 'key=%s\\n' $AWS_ACCESS_KEY_ID",
            "mfa off; __p; __t off",
            "builtin printf 'key=%s token=%s\\n' $AWS_ACCESS_KEY_ID \"$AWS_SESSION_TOKEN\"",
            "builtin printf 'profiles=%s\\n' "
            "(builtin complete -C 'mfa --profile ' | string replace -r '\\t.*' ''"
            " | string join ' ')",
            "__t end",
        ]
    else:
        hook = "__mfaenv_prompt_hook"
        if family == "bash":
            completion = (
                "COMP_WORDS=(mfa --profile ''); COMP_CWORD=2; _mfa mfa '' --profile; "
                "\\builtin printf 'profiles=%s\\n' \"${COMPREPLY[*]}\""
            )
        else:
            completion = (
                'compadd() { \\builtin print -r -- "profiles=${${@:#--}[*]}"; }; __mfaenv_profiles'
            )
        steps = [
            "__t() { \\builtin printf '@%s\\n' \"$1\"; \\builtin printf '@%s\\n' \"$1\" >&2; }",
            f"\\builtin source {rendered}",
            "__t sourced",
            f"__p() {{ {hook}; \\builtin printf 'segment=[%s]\\n' \"$MFAENV_SEGMENT\"; }}",
            "__p; __t none",
            f"MFAENV_PROFILE=dev; MFAENV_EXPIRES={later}; __p; __t live",
            "MFAENV_EXPIRES=99999999999999999999999999; __p; __t long",
            "MFAENV_EXPIRES='a[$(touch pwned)]'; __p; __t tampered",
            f"MFAENV_EXPIRES={ended}; __p; __p; __t ended",
            "\\builtin unset MFAENV_EXPIRES MFAENV_PROFILE; mfa; __p; __t mfa",
            "\\builtin printf 'key=%s\\n' \"$AWS_ACCESS_KEY_ID\"",
            f"{newer}; __p; __t follow",
            "\\builtin printf 'key=%s\\n' \"$AWS_ACCESS_KEY_ID\"",
            "mfa off; __p; __t off",
            "\\builtin printf 'key=%s token=%s\\n' \"${AWS_ACCESS_KEY_ID-}\" "
            '"${AWS_SESSION_TOKEN-}"',
            completion,
            "__t end",
        ]
    return _setup(shell, options) + "\n" + "\n".join(steps) + "\n"


def _session(key: str, minutes: int) -> Session:
    return Session(
        profile="default",
        credentials=Credentials(key, "cached/secret", "cached-token"),
        expires=int(time.time()) + minutes * 60 + 30,
        serial="arn:aws:iam::111122223333:mfa/alice",
    )


@pytest.mark.parametrize(("shell", "options"), CASES)
def test_the_integration_works_whatever_the_user_has_set(
    shell: str, options: str, home: Home, tmp_path: Path
) -> None:
    need(shell)
    write_profile(home, "default", "AKIAFAKELONGLIVED001", "long/lived+secret")
    write_profile(home, "prod", "AKIAFAKELONGLIVED002", "long/lived+secret")
    cache = Cache(home.cache / "mfaenv")
    cache.save_session(_session("ASIAHELD", 90))
    # A newer session of the profile, cached by another terminal while this one holds one.
    (tmp_path / "newer.py").write_text(
        "from mfaenv.cache import Cache\nfrom mfaenv.session import Credentials, Session\n"
        f"Cache({str(home.cache / 'mfaenv')!r}).save_session(Session('default', "
        "Credentials('ASIANEWER', 's', 't'), "
        f"{int(time.time()) + 120 * 60 + 30}, 'arn:aws:iam::111122223333:mfa/alice'))\n"
    )
    newer = get_shell(kind(shell)).words([sys.executable, str(tmp_path / "newer.py")])
    rendered = tmp_path / f"init.{kind(shell)}"
    with rendered.open("w") as out:  # a file: as `mfaenv init SHELL > FILE` renders it
        subprocess.run(
            [sys.executable, "-m", "mfaenv", "init", kind(shell)], stdout=out, check=True
        )
    env = dict(os.environ, NO_COLOR="1")
    result = run_shell(shell, _script(shell, options, rendered, newer), env)
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert (result.returncode, result.stdout.splitlines()[-1:]) == (0, ["@end"]), report
    # stdout: the segment at each prompt, the key after mfa, follow and off, the profiles.
    expected = [
        "@sourced",
        r"segment=\[\]", "@none",
        r"segment=\[aws:dev (1h29m|1h30m)\]", "@live",
        r"segment=\[\]", "@long",
        r"segment=\[\]", "@tampered",
        r"segment=\[aws:dev expired\]", r"segment=\[aws:dev expired\]", "@ended",
        r"segment=\[aws:default (1h29m|1h30m)\]", "@mfa",
        "key=ASIAHELD",
        r"segment=\[aws:default (1h59m|2h00m)\]", "@follow",
        "key=ASIANEWER",
        r"segment=\[\]", "@off",
        "key= token=",
        "profiles=(default prod|prod default)",
        "@end",
    ]  # fmt: skip
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected), report
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} is not {pattern!r}\n{report}"
    # stderr: mfaenv's own lines, at the steps that call for them; no error anywhere.
    allowed = [
        "@sourced", "@none", "@live", "@long", "@tampered",
        "mfaenv: the MFA session for dev has ended: mfa CODE", "@ended",
        "mfaenv: reused the cached MFA session .*", "@mfa",
        "mfaenv: this shell now holds the newer MFA session of profile 'default', .* left",
        "@follow",
        "mfaenv: .*", "@off",
        "@end",
    ]  # fmt: skip
    said = result.stderr.splitlines()
    assert len(said) == len(allowed), report
    for line, pattern in zip(said, allowed, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} is not {pattern!r}\n{report}"
    assert "HIJACKED" not in result.stderr
    assert not (Path.cwd() / "pwned").exists() and not (home.root / "pwned").exists()
