"""The hot paths import only what they use: a guard that does not read the clock.

Each path runs in a fresh interpreter started with -S (no site, so nothing but what the
path itself imports is new), and the modules it added must be on its allow-list. A later
import of argparse, botocore, dataclasses, typing, pathlib or subprocess on one of these
paths fails here; benchmarks/hotpaths.py shows what they cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Home

import mfaenv
from mfaenv.cache import Cache
from mfaenv.session import Credentials, Session, fingerprint

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
before = set(sys.modules)
from mfaenv.cli import main
status = main(sys.argv[2:])
added = sorted(set(sys.modules) - before)
sys.stderr.write("\\nPROBE " + json.dumps({"status": status, "added": added}) + "\\n")
"""
CHECKOUT = str(Path(mfaenv.__file__).resolve().parent.parent)

# What `site` imports anyway in a normal start.
STARTUP = {
    "__future__",
    "_collections_abc",
    "_stat",
    "genericpath",
    "os",
    "os.path",
    "posixpath",
    "stat",
}
CORE = {
    "mfaenv",
    "mfaenv.cli",
    "mfaenv.clock",
    "mfaenv.commands",  # the package; each test allows its own verb's module (verb())
    "mfaenv.env",
    "mfaenv.errors",
    "mfaenv.printable",  # the terminal escaping that errors.warn and shells use
    "mfaenv.shells",
    "mfaenv.timefmt",
    "mfaenv.verbs",
}
JSON = {
    "json",
    "json.decoder",
    "json.encoder",
    "json.scanner",
    "_json",
    "re",
    "re._casefix",
    "re._compiler",
    "re._constants",
    "re._parser",
    "_sre",
    "copyreg",
    "enum",
    "functools",
    "_functools",
    "collections",
    "_collections",
    "itertools",
    "keyword",
    "operator",
    "_operator",
    "reprlib",
    "types",
}
# json's C accelerator, without `import json` (which imports re): mfaenv.jsontext.
FAST_JSON = {"mfaenv.jsontext", "_json"}
REUSE = {
    "mfaenv.login",
    "mfaenv.request",  # what was asked (moved out of login)
    "mfaenv.reuse",  # whether the cached session serves (moved out of login)
    "mfaenv.follow",  # the change that holds a session and follows its marker
    "mfaenv.cache",
    "mfaenv.files",
    "mfaenv.paths",
    "mfaenv.session",
    "errno",
    "datetime",
    "_datetime",
    "math",
    "_sha2",  # CPython's own SHA-256 (3.12 and later), for the key's fingerprint
    "_sha256",  # the same before 3.12
}
NEVER = ("argparse", "boto3", "botocore", "dataclasses", "typing", "inspect", "pathlib",
         "subprocess", "platformdirs", "urllib", "tempfile", "traceback", "secrets", "shlex",
         "threading", "mfaenv.parser", "mfaenv.gateway", "mfaenv.awsprofile",
         "mfaenv.awserrors", "mfaenv.config", "mfaenv.totp")  # fmt: skip


def verb(name: str) -> set[str]:
    """The module of one verb: a hot path imports its own and no other's."""
    return {f"mfaenv.commands.{name}"}


def probe(*argv: str, env: dict[str, str]) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, CHECKOUT, *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    data = json.loads(result.stderr.rsplit("PROBE ", 1)[-1])
    return data["status"], set(data["added"])


def assert_imports(added: set[str], allowed: set[str]) -> None:
    heavy = sorted(m for m in added if m.split(".")[0] in NEVER or m in NEVER)
    assert heavy == [], f"a hot path imported {heavy}"
    assert added <= allowed, f"not on the allow-list: {sorted(added - allowed)}"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_init_imports_only_the_core(shell: str) -> None:
    status, added = probe("init", shell, env=dict(os.environ))
    assert status == 0
    # The completions' words, from the table of verbs; where the config is.
    assert_imports(added, STARTUP | CORE | verb("init") | {"mfaenv.completion", "mfaenv.paths"})


def test_prompt_and_status_import_only_the_core() -> None:
    env = dict(os.environ, MFAENV_PROFILE="dev", MFAENV_EXPIRES=str(int(time.time()) + 3600))
    status_text = verb("status") | {"mfaenv.card"}
    for argv, extra in (
        (["prompt"], verb("prompt") | {"mfaenv.prompt"}),
        (["status"], status_text),
    ):
        status, added = probe(*argv, env=env)
        assert status == 0
        assert_imports(added, STARTUP | CORE | extra)
    status, added = probe("status", "--json", env=env)
    assert status == 0
    assert_imports(added, STARTUP | CORE | verb("status") | JSON)


def test_off_imports_only_the_core_and_the_json_accelerator() -> None:
    env = dict(
        os.environ,
        MFAENV_PROFILE="dev",
        MFAENV_EXPIRES="4102444800",
        AWS_ACCESS_KEY_ID="ASIA",
        __MFAENV_STASH=json.dumps({"session": {"AWS_ACCESS_KEY_ID": "AKIALONGLIVED"}}),
    )
    status, added = probe("sh-off", "--shell", "bash", env=env)
    assert status == 0
    assert_imports(added, STARTUP | CORE | verb("off") | FAST_JSON | {"mfaenv.profilefollow"})


@pytest.fixture
def cached(home: Home) -> dict[str, str]:
    """A cached session of the default profile, and the environment of a new shell."""
    Cache(home.cache / "mfaenv").save_session(
        Session(
            profile="default",
            credentials=Credentials("ASIA", "s", "t"),
            expires=int(time.time()) + 3600,
            serial="arn:aws:iam::1:mfa/a",
            source=fingerprint("AKIALONGLIVED"),
        )
    )
    # A shell with its long-lived key exported: reuse checks the session was made from it.
    return dict(os.environ, AWS_ACCESS_KEY_ID="AKIALONGLIVED", AWS_SECRET_ACCESS_KEY="s")


@pytest.mark.parametrize(
    "argv",
    [["sh-on", "--shell", "fish"], ["sh-on", "--shell", "bash", "--profile", "default"]],
)
def test_reusing_a_cached_session_imports_no_aws_library(
    cached: dict[str, str], argv: list[str]
) -> None:
    status, added = probe(*argv, env=cached)
    assert status == 0
    assert_imports(added, STARTUP | CORE | verb("on") | FAST_JSON | REUSE)


def test_credential_process_with_a_cached_session_imports_no_aws_library(
    cached: dict[str, str],
) -> None:
    status, added = probe("credential-process", "--profile", "default", env=cached)
    assert status == 0
    assert_imports(added, STARTUP | CORE | verb("credential_process") | FAST_JSON | REUSE)


def test_the_unusual_forms_still_reach_argparse() -> None:
    """The fast parser hands what it does not know to argparse, which answers as always."""
    status, added = probe("init", "--help", env=dict(os.environ))
    assert status == 0 and "argparse" in added
