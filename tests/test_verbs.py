"""The table of verbs is the one source: the fast parser and argparse read the same command
lines the same way, and every verb and option reaches argparse, the shells' completions
and the dispatch."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest
from completing import bash_complete, fish_complete
from conftest import Home
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mfaenv.cli import fast_parse
from mfaenv.errors import MfaEnvError
from mfaenv.parser import args_of, build
from mfaenv.verbs import BY_NAME, SHELL_NAMES, VERBS, Args, Verb, typed_verbs

FIELDS = [name for name in Args.__annotations__ if name != "verb"]
FAST = [verb for verb in VERBS if verb.fast]
# Values a user (or a hook) may give: plain, empty, with = or blanks, like an option,
# like a code, not ASCII.
VALUES = st.sampled_from(
    ["dev", "", "a=b", "two words", "-x", "--", "123456", "prod-eu", "é", "--json", "12h"]
)


def argparse_reading(argv: list[str]) -> Args | None:
    """What argparse makes of ``argv``; None where it refuses it (or prints help)."""
    try:
        namespace = build().parse_args(argv)
    except (MfaEnvError, SystemExit):
        return None
    return args_of(vars(namespace))


def fields(args: Args) -> dict[str, object]:
    return {name: getattr(args, name) for name in ["verb", *FIELDS]}


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command line of a hot verb: its options in both forms, in any order, repeated or
    mistyped, and any number of positional words."""
    verb: Verb = draw(st.sampled_from(FAST))
    words: list[list[str]] = []
    if verb.runs_as.startswith("sh-"):
        shell = draw(st.sampled_from([*SHELL_NAMES, "tcsh", ""]))
        words.append(["--shell", shell] if draw(st.booleans()) else [f"--shell={shell}"])
    flags = [option.flag for option in verb.options] + ["--nope", "--prof", "--shell"]
    for _ in range(draw(st.integers(0, 4))):
        flag = draw(st.sampled_from(flags))
        option = next((o for o in verb.options if o.flag == flag), None)
        if option is not None and not option.takes_value and draw(st.booleans()):
            words.append([flag])
        elif draw(st.booleans()):
            words.append([flag, draw(VALUES)])
        else:
            words.append([f"{flag}={draw(VALUES)}"])
    for _ in range(draw(st.integers(0, len(verb.arguments) + 1))):
        words.append([draw(VALUES)])
    order = draw(st.permutations(words))
    return [verb.runs_as, *(word for group in order for word in group)]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_the_fast_parser_reads_a_line_as_argparse_does_or_leaves_it_to_argparse(
    argv: list[str],
) -> None:
    fast = fast_parse(argv)
    if fast is not None:
        slow = argparse_reading(argv)
        assert slow is not None, f"the fast parser took {argv!r}, which argparse refuses"
        assert fields(fast) == fields(slow)


@pytest.mark.parametrize(
    "argv",
    [
        ["sh-on", "--shell", "bash", "123456", "--profile", "dev", "--duration=8h"],
        ["credential-process", "--profile=dev", "--role", "arn:aws:iam::1:role/r"],
        ["status", "--json", "--all"],
        ["sh-follow", "--shell", "fish", "/m/marker"],
        ["sh-renew", "--shell=zsh", "/m/marker", "/m/report", "900"],
        ["init", "zsh"],
        ["sh-off", "--shell", "bash"],
        ["prompt"],
    ],
)
def test_the_everyday_forms_take_the_fast_path(argv: list[str]) -> None:
    """The corpus above would pass with a fast parser that takes nothing: these must be fast."""
    fast = fast_parse(argv)
    assert fast is not None
    slow = argparse_reading(argv)
    assert slow is not None and fields(fast) == fields(slow)


def test_every_option_and_argument_of_the_table_is_a_field_of_args() -> None:
    dests = {option.dest for verb in VERBS for option in verb.options}
    dests |= {argument.name for verb in VERBS for argument in verb.arguments}
    assert dests <= set(FIELDS)
    parser = build()
    for name, sub in parser.verbs.items():
        for action in sub._actions:
            assert action.dest in {*FIELDS, "help"}, (name, action.dest)


def test_every_verb_that_runs_has_a_module_with_run() -> None:
    for verb in VERBS:
        module = importlib.import_module(f"mfaenv.commands.{verb.module}")
        assert callable(module.run), verb.name
    assert set(BY_NAME) == {verb.runs_as for verb in VERBS}


def test_argparse_knows_every_verb_and_help_lists_the_typed_ones() -> None:
    parser = build()
    names = {verb.name for verb in VERBS} | {verb.runs_as for verb in VERBS}
    assert set(parser.verbs) == names
    listed = parser.format_help()
    for verb in typed_verbs("mfaenv"):
        assert f"    {verb.name}" in listed
    assert "sh-on" not in listed


@pytest.mark.parametrize("verb", typed_verbs("mfa"), ids=lambda verb: verb.name)
def test_bash_and_fish_complete_every_option_of_the_table(verb: Verb, home: Home) -> None:
    """What a Tab after `mfa VERB --` offers, in the real shells, is the table's options."""
    expected = sorted(option.flag for option in verb.options)
    if any(argument.rest for argument in verb.arguments):
        expected = sorted([*expected, "--"])
    env = dict(os.environ)
    assert bash_complete(f"mfa {verb.name} --", env) == expected
    assert fish_complete(f"mfa {verb.name} --", env) == [e for e in expected if e != "--"]


@pytest.mark.parametrize(
    "argv",
    [
        ["credential-process", "--profile=--"],
        ["sh-on", "--shell", "bash", "--duration=--"],
        ["status", "--profile=--"],
        ["exec", "--profile=--", "--", "true"],
        ["credential-process", "--prof=--"],
        ["console", "--service=--", "--print"],
        ["policy", "--max-age=--"],
    ],
)
def test_an_option_whose_value_is_two_dashes_is_refused_as_that_value(
    argv: list[str], home: Home
) -> None:
    """argparse hands ``--opt=--`` back as an empty list; the value is ``--``, and the
    answer one line that names it, never an internal error."""
    result = subprocess.run(
        [sys.executable, "-m", "mfaenv", *argv],
        env={**os.environ, "MFAENV_NO_PROMPT": "1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mfaenv: ") and "'--'" in lines[0], lines
