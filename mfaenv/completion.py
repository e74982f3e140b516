"""The completions' words, from the table of verbs: what ``mfaenv init`` fills into the
completion files of ``completions/`` (the code that reads profiles, finds commands and
talks to each shell's completion system stays in those files).

Each shell gets the verbs with their summaries, the session options, and for each verb
its options, its arguments and what to offer for each value: a list of words (one that
ends in ``:``, such as ``pass:``, gets no space after it), the profiles of the AWS files,
the verbs, or a command to run. ``python -m mfaenv.completion SHELL`` prints the filled
file, to install it on its own.
"""

from __future__ import annotations

import os
import sys

from mfaenv.shells import Shell, completions_dir, get_shell
from mfaenv.verbs import COMMANDS, PROFILES, SESSION, VERB_NAMES, VERBS, Verb, typed_verbs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_SHELL_ONLY = tuple(verb.name for verb in VERBS if verb.kind == "shell")
_TYPED = typed_verbs("mfa")


_single = get_shell("zsh").quote  # one word of zsh, taken literally


def _fish_single(text: str) -> str:
    """``text`` as one word of fish: bare where fish_indent would leave it bare."""
    if text and all(char.isalnum() or char in "-_./" for char in text):
        return text
    return get_shell("fish").quote(text)


def _capital(text: str) -> str:
    """A fish description starts with a capital, unless it starts with a literal such as
    ``pass:ENTRY``."""
    return text if ":" in text.split(" ", 1)[0] else text[:1].upper() + text[1:]


def _words_of(values: tuple[str, ...] | str) -> tuple[str, ...]:
    return values if isinstance(values, tuple) else ()


# --- bash ---------------------------------------------------------------------------------


def _bash_values(values: tuple[str, ...] | str) -> str:
    """The commands that fill COMPREPLY for a value."""
    if values == PROFILES:
        return "__mfaenv_profiles"
    if values == VERB_NAMES:
        return '__mfaenv_verbs "$command"'
    words = _words_of(values)
    if not words:
        return "\\builtin true"
    code = "__mfaenv_complete " + " ".join(words)
    if any(word.endswith(":") for word in words):  # pass:ENTRY goes on; keyring is a word
        code += "; if [[ ${COMPREPLY[0]-} == *: ]]; then __mfaenv_nospace; fi"
    return code


def _bash_value_arms() -> str:
    """``case $verb:$prev in``: what a value of each option gets. The words most verbs
    give an option come under ``*:--flag``, so they hold for ``mfa CODE --flag`` too."""
    by_flag: dict[str, dict[str, list[str]]] = {}
    for verb in VERBS:
        for option in verb.options:
            if option.takes_value:
                action = _bash_values(option.complete)
                by_flag.setdefault(option.flag, {}).setdefault(action, []).append(verb.name)
    special: dict[str, list[str]] = {}  # action -> patterns; case takes the first match
    common: dict[str, list[str]] = {}
    for flag, actions in by_flag.items():
        usual = max(actions, key=lambda action: len(actions[action]))
        for action, verbs in actions.items():
            if action != usual:
                special.setdefault(action, []).extend(f"{verb}:{flag}" for verb in verbs)
        common.setdefault(usual, []).append(f"*:{flag}")
    arms = [
        f"{' | '.join(patterns)}) {action}; \\builtin return 0 ;;"
        for group in (special, common)
        for action, patterns in group.items()
    ]
    return "\n".join(f"        {arm}" for arm in arms)


def _bash_verb_arms() -> str:
    """``case $verb in``: the options and arguments after each verb."""
    arms = []
    quiet = []
    for verb in _TYPED:
        flags = " ".join(option.flag for option in verb.options)
        rest = next((argument for argument in verb.arguments if argument.rest), None)
        first = next((argument for argument in verb.arguments if not argument.rest), None)
        if rest is not None:
            arms.append(f"{verb.name}) __mfaenv_rest_verb {flags} -- ;;")
        elif first is not None:
            then = _bash_values(first.complete)
            otherwise = f"__mfaenv_complete {flags}" if flags else "\\builtin true"
            arms.append(
                f"{verb.name}) if ((COMP_CWORD == 2)) && [[ $cur != -* ]]; then {then}; "
                f"else {otherwise}; fi ;;"
            )
        elif flags:
            arms.append(f"{verb.name}) __mfaenv_complete {flags} ;;")
        else:
            quiet.append(verb.name)
    arms.append(f"{' | '.join(quiet)}) ;;")
    return "\n".join(f"        {arm}" for arm in arms)


def _bash(text: str) -> str:
    return (
        text.replace("@VERBS@", " ".join(verb.name for verb in _TYPED))
        .replace("@SHELL_ONLY@", " | ".join(f"mfaenv:{name}" for name in _SHELL_ONLY))
        .replace("@SESSION@", " ".join(option.flag for option in SESSION))
        .replace("        @VALUE_ARMS@", _bash_value_arms())
        .replace("        @VERB_ARMS@", _bash_verb_arms())
    )


# --- zsh ----------------------------------------------------------------------------------


def _zsh_action(values: tuple[str, ...] | str) -> str:
    if values == PROFILES:
        return "__mfaenv_profiles"
    if values == VERB_NAMES:
        return '{_describe -t commands "$service command" verbs}'
    if values == COMMANDS:
        return "_normal"
    words = _words_of(values)
    return "(" + " ".join(word.replace(":", "\\:") for word in words) + ")" if words else " "


def _zsh_text(text: str, *, message: bool = False) -> str:
    """Help text in an _arguments spec: between its brackets (no brackets in it), or as
    the message of an argument (no colon unescaped)."""
    text = text.replace("[", "(").replace("]", ")")
    return text.replace(":", "\\:") if message else text


def _zsh_specs(verb: Verb) -> list[str]:
    specs = []
    for option in verb.options:
        others = [
            other.flag
            for other in verb.options
            if other.group is not None and other.group == option.group and other is not option
        ]
        exclude = f"({' '.join(others)})" if others else ""
        spec = f"{exclude}{option.flag}[{_zsh_text(option.help)}]"
        if option.takes_value:
            spec += f":{str(option.metavar).lower()}:{_zsh_action(option.complete)}"
        specs.append(spec)
    for number, argument in enumerate(verb.arguments, start=1):
        if argument.rest:
            specs += ["(-)--[the command to run]", "*:: :_normal"]
        else:
            what = _zsh_text(argument.help or argument.metavar.lower(), message=True)
            optional = ":" if argument.optional else ""
            specs.append(f"{number}:{optional}{what}:{_zsh_action(argument.complete)}")
    return specs


def _zsh(text: str) -> str:
    verbs = "\n".join(f"        {_single(f'{verb.name}:{verb.summary}')}" for verb in _TYPED)
    session = "\n".join(
        f"        {_single(spec)}" for spec in _zsh_specs(Verb("", "", options=SESSION))
    )
    arms = []
    quiet = []
    for verb in _TYPED:
        specs = _zsh_specs(verb)
        if not specs:
            quiet.append(verb.name)
            continue
        lines = " \\\n            ".join(_single(spec) for spec in specs)
        arms.append(f"        {verb.name}) __mfaenv_arguments \\\n            {lines} ;;")
    arms.append(f"        {'|'.join(quiet)}) ;;")
    return (
        text.replace("        @VERBS@", verbs)
        .replace("@SHELL_ONLY@", "|".join(_SHELL_ONLY))
        .replace("        @SESSION@", session)
        .replace("        @VERB_ARMS@", "\n".join(arms))
    )


# --- fish ---------------------------------------------------------------------------------


def _fish_values(values: tuple[str, ...] | str) -> str:
    if values == PROFILES:
        return " -x -a '(__mfaenv_profiles)'"
    if values == VERB_NAMES:
        return ' -x -a "$__mfaenv_names"'
    words = _words_of(values)
    return f" -x -a {_fish_single(' '.join(words))}" if words else " -x"


def _fish_lines(verb: Verb, when: str) -> list[str]:
    lines = []
    for option in verb.options:
        values = _fish_values(option.complete) if option.takes_value else ""
        help_text = _fish_single(_capital(option.help))
        lines.append(f"-n {when} -l {option.flag[2:]}{values} -d {help_text}")
    for argument in verb.arguments:
        if argument.rest:
            continue
        at_first = f'{when[:-1]}; and test (builtin count (commandline -opc)) -eq 2"'
        lines.append(f"-n {at_first}{_fish_values(argument.complete)}")
    return lines


def _fish(text: str) -> str:
    verbs = " \\\n    ".join(
        _fish_single(f"{verb.name}:{_capital(verb.summary)}") for verb in _TYPED
    )
    lines = []
    for verb in _TYPED:
        rest = any(argument.rest for argument in verb.arguments)
        when = f'"__fish_seen_subcommand_from {verb.name}'
        when += '; and not contains -- -- (commandline -opc)"' if rest else '"'
        lines += _fish_lines(verb, when)
    session = _fish_lines(Verb("", "", options=SESSION), '"$__mfaenv_no_verb"')
    body = "\n".join(f"    builtin complete -c $__mfaenv_command {line}" for line in lines)
    mfa_only = "\n".join(f"builtin complete -c mfa {line}" for line in session)
    return (
        text.replace("@VERBS@", verbs)
        .replace("@SHELL_ONLY@", " ".join(_SHELL_ONLY))
        .replace("    @VERB_LINES@", body)
        .replace("@SESSION_LINES@", mfa_only)
    )


RENDER: dict[str, Callable[[str], str]] = {"bash": _bash, "zsh": _zsh, "fish": _fish}


def render(shell: str, template: str) -> str:
    """The completion file of ``shell`` with the table's words filled in."""
    return RENDER[shell](template)


def filled(shell: Shell) -> str:
    """The completion file of ``shell``, filled in."""
    path = os.path.join(completions_dir(), shell.completion_file)
    with open(path, encoding="utf-8") as handle:
        return render(shell.name, handle.read())


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0] not in RENDER:
        sys.stderr.write("mfaenv: usage: python -m mfaenv.completion bash|zsh|fish\n")
        return 2
    sys.stdout.write(filled(get_shell(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
