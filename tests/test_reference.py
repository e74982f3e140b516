"""The reference cannot drift from the code: every config key the reader accepts and every
environment variable the package or its shell files read is a row of mfaenv.reference,
and every row is in the man pages and in docs/configuration.md.

The variables are found by scanning the sources (Python string literals that name
AWS_/MFAENV_/XDG_ variables, names read through ``environ``, ``$NAME`` in the shell
files), so a variable added to the code without a row fails here.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

import mfaenv
from mfaenv import config, manpage, reference
from mfaenv.errors import MfaEnvError

PACKAGE = Path(mfaenv.__file__).resolve().parent
CHECKOUT = PACKAGE.parent
SHELL_FILES = sorted((CHECKOUT / "shell").iterdir()) + sorted((CHECKOUT / "completions").iterdir())

# Not settings: the shell function's hand-over to the core for one call (the typed code,
# the stash, the recursion guard); mfaenv removes them from its environment at once.
INTERNAL = re.compile(r"^__MFAENV_")
# The shells' own variables, which the shell files use as every shell script does.
SHELL_OWN = {
    "EPOCHSECONDS": "bash and zsh's clock",
    "SECONDS": "bash's seconds since it started: bash 3.2's clock, with an epoch from init",
    "HOME": "where ~ is",
    "PATH": "where commands are",
    "PREFIX": "zsh completion: the word being completed",
    "PROMPT": "zsh's prompt",
    "PS1": "bash's prompt",
    "PROMPT_COMMAND": "bash's prompt hook",
    "COMPREPLY": "bash completion's answer",
    "COMP_WORDS": "bash completion's words",
}
# Rows read by a library mfaenv calls rather than by its own code.
READ_BY_LIBRARIES = {"BROWSER": "Python's webbrowser"}

DOCUMENTED = {name for name, _, _ in reference.ENVIRONMENT} | {
    name for name, _ in reference.EXPORTS
}


def _python_names() -> set[str]:
    """Variables named in the package: AWS_/MFAENV_/XDG_ literals, and any literal read
    through ``environ.get``/``environ[...]``/``environ.pop``/``os.getenv``."""
    names: set[str] = set()
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "reference.py":  # the table itself
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"(?:__)?(?:AWSU?|MFAENV|XDG)_[A-Z0-9_]+", node.value):
                    names.add(node.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = ast.unparse(node.func.value)
                reads = node.func.attr in ("get", "pop") and owner.endswith("environ")
                if (reads or node.func.attr == "getenv") and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        names.add(first.value)
            elif (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value).endswith("environ")
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                names.add(node.slice.value)
    return names


def _shell_names() -> set[str]:
    """``$NAME``/``${NAME`` in the shell and completion files, and every MFAENV_ name."""
    names: set[str] = set()
    for path in SHELL_FILES:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text))
        names |= set(re.findall(r"(?<![A-Za-z0-9_@])(MFAENV_[A-Z0-9_]+)", text))
    return names


def test_the_scan_finds_variables_read_in_each_way() -> None:
    """The scanners see a literal, an environ read and a shell-only variable."""
    python, shell = _python_names(), _shell_names()
    assert {"MFAENV_DEBUG", "AWS_PROFILE", "PASSWORD_STORE_DIR", "SHELL"} <= python
    assert {"MFAENV_PROMPT_WARN_STYLE", "MFAENV_RENEW_MARGIN", "NO_COLOR"} <= shell


def test_every_variable_the_code_reads_is_in_the_reference() -> None:
    found = _python_names() | _shell_names()
    missing = sorted(
        name
        for name in found
        if name not in DOCUMENTED and not INTERNAL.match(name) and name not in SHELL_OWN
    )
    assert missing == [], f"read by the code, missing from mfaenv/reference.py: {missing}"


def test_every_variable_of_the_reference_is_used_by_the_code() -> None:
    found = _python_names() | _shell_names()
    stale = sorted(DOCUMENTED - found - set(READ_BY_LIBRARIES))
    assert stale == [], f"in mfaenv/reference.py but nowhere in the code: {stale}"


def test_every_variable_is_in_the_man_page() -> None:
    page = manpage.render()
    environment = page.split(".SH ENVIRONMENT", 1)[1].split(".SH FILES", 1)[0]
    for name in sorted(DOCUMENTED):
        assert f"\\fB{name}\\fR" in environment, name
    for status, _ in reference.EXIT_STATUS:
        assert f"\\fB{status}\\fR" in page.split(".SH EXIT STATUS", 1)[1]


# A value of each kind the reader takes.
SAMPLES = {
    "duration": "8h",
    "boolean": True,
    "serial": "arn:aws:iam::123456789012:mfa/alice",
    "totp": "pass:aws/dev",
    "role_mode": "chain",
    "profile_name": "dev-session",
    "keystore": "pass:aws/dev-keys",
    "prompt": "dialog",
}


def _toml(value: object) -> str:
    return "true" if value is True else f'"{value}"'


def test_the_config_accepts_exactly_the_keys_of_the_reference(tmp_path: Path) -> None:
    top = [key for key, where, *_ in reference.CONFIG_KEYS if where != reference.PROFILE]
    profile = [key for key, where, *_ in reference.CONFIG_KEYS if where != reference.TOP]
    kinds = {key: kind for key, _, kind, _ in reference.CONFIG_KEYS}
    assert set(kinds.values()) <= set(reference.KINDS)
    text = "".join(f"{key} = {_toml(SAMPLES[kinds[key]])}\n" for key in top)
    text += "[profiles.dev]\n"
    text += "".join(f"{key} = {_toml(SAMPLES[kinds[key]])}\n" for key in profile)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    loaded = config.load(path)
    assert loaded.profile("dev").serial == SAMPLES["serial"]

    # What the reader returns has a field for each key, and no other.
    top_fields = {f.name for f in dataclasses.fields(config.Config)} - {"path", "profiles"}
    assert top_fields == set(top)
    assert {f.name for f in dataclasses.fields(config.ProfileConfig)} == set(profile)


@pytest.mark.parametrize(
    ("text", "where"),
    [("colour = true\n", "the top level"), ("[profiles.dev]\ncolour = true\n", "[profiles.dev]")],
)
def test_a_key_the_reference_lacks_is_refused_naming_the_known_ones(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MfaEnvError) as refused:
        config.load(path)
    keys = reference.top_keys() if where == "the top level" else reference.profile_keys()
    assert str(refused.value) == (
        f"{path}: unknown key 'colour' in {where} (known: {', '.join(sorted(keys))})"
    )


def test_a_profile_key_at_the_top_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('serial = "arn:aws:iam::123456789012:mfa/alice"\n', encoding="utf-8")
    with pytest.raises(MfaEnvError, match="unknown key 'serial' in the top level"):
        config.load(path)


def test_every_config_key_is_in_the_config_man_page() -> None:
    page = manpage.render_config()
    assert page.startswith(".TH MFAENV\\-CONFIG 5 ")
    keys = page.split(".SH KEYS", 1)[1].split(".SH EXAMPLE", 1)[0]
    for key, *_ in reference.CONFIG_KEYS:
        assert f"\\fB{key}\\fR = " in keys, key
    for name in ("MFAENV_CONFIG", "XDG_CONFIG_HOME"):
        assert f"\\fB{name}\\fR" in page


@pytest.mark.parametrize("block", ["config-keys", "environment"])
def test_the_configuration_page_holds_the_reference_tables(block: str) -> None:
    """docs/configuration.md as `python -m mfaenv.reference --markdown` writes it."""
    page = (CHECKOUT / "docs" / "configuration.md").read_text(encoding="utf-8")
    start, end = f"<!-- reference:{block} -->\n", f"<!-- /reference:{block} -->"
    assert start in page, f"docs/configuration.md has no {start.strip()} block"
    body = page.split(start, 1)[1].split(end, 1)[0]
    assert body == "\n".join(reference.markdown(block)) + "\n", (
        "docs/configuration.md is behind mfaenv/reference.py: run "
        "python -m mfaenv.reference --markdown docs/configuration.md"
    )
