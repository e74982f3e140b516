"""Each shell's quoting, proven by the real binary: hostile values come back byte-exact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import read_env, run_shell

from mfaenv.env import Change
from mfaenv.shells import get_shell

HOSTILE = {
    "T_SINGLE": "it's",
    "T_DOUBLE": 'say "hi"',
    "T_SUBST": "$(touch pwned)",
    "T_BACKTICK": "`touch pwned`",
    "T_BACKSLASH": "a\\b\\\\c",
    "T_TRAILING_BACKSLASH": "ends with \\",
    "T_NEWLINES": "line one\nline two\n",
    "T_TAB": "a\tb",
    "T_PARENS": "(echo fish) {a,b} [1] *",
    "T_ACCENT": "é ü 雪",
    "T_EMPTY": "",
    "T_DOLLAR": "$HOME ${HOME} $$ !! !#",
    "T_CR": "carriage\rreturn",
    "T_SEMICOLON": "x'; touch pwned; echo '",
    "T_QUOTE_ESCAPE": "\\'",
}


def _eval_in(shell: str, code: str, tmp_path: Path) -> dict[str, str]:
    code_file = tmp_path / "code"
    code_file.write_text(code, encoding="utf-8")
    env_file = tmp_path / "env"
    q = get_shell(shell).quote
    if shell == "fish":
        script = f"cat {q(str(code_file))} | source; env -0 > {q(str(env_file))}"
    else:
        script = f'eval "$(cat {q(str(code_file))})"; env -0 > {q(str(env_file))}'
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    result = run_shell(shell, script, env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists()
    return read_env(env_file)


def test_hostile_values_are_exported_byte_exact(shell: str, tmp_path: Path) -> None:
    code = get_shell(shell).render(Change(env=HOSTILE))
    seen = _eval_in(shell, code, tmp_path)
    for name, value in HOSTILE.items():
        assert seen.get(name) == value, name


def test_unset_removes_an_exported_variable(shell: str, tmp_path: Path) -> None:
    code = get_shell(shell).render(Change(env={"T_KEEP": "kept", "T_GONE": "x"}))
    code += get_shell(shell).render(Change(env={"T_GONE": None, "T_NEVER_SET": None}))
    seen = _eval_in(shell, code, tmp_path)
    assert seen["T_KEEP"] == "kept"
    assert "T_GONE" not in seen
    assert "T_NEVER_SET" not in seen


def test_shell_variables_are_not_exported(shell: str, tmp_path: Path) -> None:
    code = get_shell(shell).render(Change(shell_vars={"t_private": "secret"}))
    assert "t_private" not in _eval_in(shell, code, tmp_path)


@pytest.mark.parametrize("name", ["1BAD", "A-B", "A B", "A;B", ""])
def test_a_name_that_is_not_a_variable_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a variable name"):
        get_shell("bash").render(Change(env={name: "x"}))
