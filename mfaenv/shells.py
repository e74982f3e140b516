"""One ``Shell`` per supported shell, all of the same shape.

Each turns a ``Change`` into code its shell evals, and renders the integration
file from ``shell/``. Nothing else in mfaenv knows a shell's syntax.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

from mfaenv.errors import MfaEnvError
from mfaenv.printable import INVISIBLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import ClassVar

    from mfaenv.env import Change


def _check_name(name: str) -> str:
    if not (name.isascii() and name.isidentifier()):
        raise ValueError(f"not a variable name: {name!r}")
    return name


class Shell(ABC):
    name: ClassVar[str]
    completion_file: ClassVar[str]

    @abstractmethod
    def quote(self, value: str) -> str:
        """``value`` as one word of this shell's code, taken literally."""

    @abstractmethod
    def export(self, name: str, value: str) -> str: ...

    @abstractmethod
    def unset(self, name: str) -> str: ...

    @abstractmethod
    def set_shell_var(self, name: str, value: str) -> str:
        """A global variable of the shell that its children do not see."""

    @abstractmethod
    def unset_shell_var(self, name: str) -> str: ...

    @abstractmethod
    def alternatives(self, words: Sequence[str]) -> str:
        """The words as the verb list of the integration's dispatch."""

    @abstractmethod
    def invisible_table(self) -> str:
        """``INVISIBLE`` as the words the prompt code loops over to show names as
        ``mfaenv.printable.printable`` does."""

    @abstractmethod
    def invisible_class(self) -> str:
        """``INVISIBLE`` as what goes between the brackets of this shell's pattern
        ``[...]``: a quick test of whether a name has any of them."""

    def template(self) -> str:
        """This shell's file of ``shell/``, before anything is filled in."""
        return _read(os.path.join(shell_dir(), f"mfaenv.{self.name}"))

    def render(self, change: Change) -> str:
        lines: list[str] = []
        for name, value in change.env.items():
            _check_name(name)
            lines.append(self.unset(name) if value is None else self.export(name, value))
        for name, value in change.shell_vars.items():
            _check_name(name)
            lines.append(
                self.unset_shell_var(name) if value is None else self.set_shell_var(name, value)
            )
        return "".join(line + "\n" for line in lines)

    def words(self, argv: Sequence[str]) -> str:
        return " ".join(self.quote(arg) for arg in argv)

    @abstractmethod
    def stale_check(self, stamp: str) -> str:
        """Code for a rendered file: when sourced, it warns if mfaenv was installed after
        the file was rendered (``stamp``, a file of the package, is newer); no process."""

    def render_init(
        self,
        command: Sequence[str],
        passthrough: Sequence[str],
        eval_verbs: Sequence[str],
        completions: str,
        stamp: str | None = None,
        epoch: int | None = None,
    ) -> str:
        """The integration file for this shell, with mfaenv's own command filled in,
        followed by ``completions`` (mfaenv.completion.filled), and the check of
        ``stale_check`` when ``stamp``.
        ``epoch``: the time now, for a shell without a clock of its own (bash 3.2) when
        the code is evaluated at once; None when it is rendered into a file."""
        template = self.template().replace("@EPOCH@", "" if epoch is None else str(int(epoch)))
        integration = (
            template.replace("@MFAENV@", self.words(command))
            .replace("@PASSTHROUGH@", self.alternatives(passthrough))
            .replace("@EVAL_VERBS@", self.alternatives(eval_verbs))
        )
        integration = integration.replace("@INVISIBLE_CLASS@", self.invisible_class()).replace(
            "@INVISIBLE@", self.invisible_table()
        )
        check = self.stale_check(stamp) if stamp is not None else ""
        return f"{integration}\n{completions}{check}"


class _Posix(Shell):
    def quote(self, value: str) -> str:
        # Inside single quotes nothing is special but the quote itself.
        return "'" + value.replace("'", "'\\''") + "'"

    # \builtin: a function or alias of the user named export or unset takes no part.
    def export(self, name: str, value: str) -> str:
        return f"\\builtin export {name}={self.quote(value)}"

    def unset(self, name: str) -> str:
        return f"\\builtin unset -v {name}"

    def unset_shell_var(self, name: str) -> str:
        return f"\\builtin unset -v {name}"

    def alternatives(self, words: Sequence[str]) -> str:
        return "|".join(self.quote(word) for word in words)

    # What starts each function of shell/mfaenv.sh: zsh's defaults, whatever is set.
    emulate: ClassVar[str]

    def template(self) -> str:
        # bash and zsh share the function mfa and more word for word: shell/mfaenv.sh.
        shared = _read(os.path.join(shell_dir(), "mfaenv.sh")).replace("@SHELL@", self.name)
        if self.emulate:
            shared = shared.replace("@EMULATE@", self.emulate)
        else:
            shared = shared.replace("    @EMULATE@\n", "")
        return super().template().replace("@POSIX@", shared)

    @staticmethod
    def _utf8(text: str) -> str:
        # Its UTF-8 bytes: the same characters in a UTF-8 locale, the same bytes in C.
        return "$'" + "".join(f"\\x{byte:02x}" for byte in text.encode()) + "'"

    def invisible_table(self) -> str:
        # CHAR=ESCAPE words.
        return " ".join(
            self._utf8(char) + self.quote("=" + shown) for char, shown in INVISIBLE.items()
        )

    def invisible_class(self) -> str:
        # In the C locale any of their bytes matches: then the table runs, to no effect.
        return self._utf8("".join(INVISIBLE))


_STALE = (
    "mfaenv: %s was rendered before this mfaenv was installed; "
    "render it again: mfaenv init {shell} > %s"
)


class Bash(_Posix):
    name = "bash"
    completion_file = "mfa.bash"
    emulate = ""  # bash has no such thing: its code depends on no option instead

    def stale_check(self, stamp: str) -> str:
        message = self.quote(_STALE.format(shell=self.name) + "\n")
        return (
            "\n# Rendered to a file (mfaenv init bash > FILE): is it older than mfaenv?\n"
            "if [[ -n ${BASH_SOURCE[0]-} && ${BASH_SOURCE[0]} -ot "
            f"{self.quote(stamp)} ]]; then\n"
            f'    \\builtin printf {message} "${{BASH_SOURCE[0]}}" "${{BASH_SOURCE[0]}}" >&2\n'
            "fi\n"
        )

    def set_shell_var(self, name: str, value: str) -> str:
        # A plain assignment inside a function is global in bash (3.2 has no declare -g);
        # `set -a` would export it, so the export attribute is taken off at once.
        return f"{name}={self.quote(value)}; \\builtin export -n {name}"


class Zsh(_Posix):
    name = "zsh"
    completion_file = "_mfa"
    emulate = "\\builtin emulate -L zsh"

    def stale_check(self, stamp: str) -> str:
        message = self.quote(_STALE.format(shell=self.name) + "\n")
        return (
            "\n# Rendered to a file (mfaenv init zsh > FILE): is it older than mfaenv?\n"
            f"if [[ -n ${{(%):-%x}} && ${{(%):-%x}} -ot {self.quote(stamp)} ]]; then\n"
            f'    \\builtin printf {message} "${{(%):-%x}}" "${{(%):-%x}}" >&2\n'
            "fi\n"
        )

    def set_shell_var(self, name: str, value: str) -> str:
        # ALL_EXPORT would export it: the export attribute is taken off at once.
        return f"\\builtin typeset -g {name}={self.quote(value)}; \\builtin typeset -g +x {name}"


class Fish(Shell):
    name = "fish"
    completion_file = "mfa.fish"

    def stale_check(self, stamp: str) -> str:
        message = self.quote(_STALE.format(shell=self.name) + "\n")
        return (
            "\n# Rendered to a file (mfaenv init fish > FILE): is it older than mfaenv?\n"
            "set -l __mfaenv_file (status current-filename)\n"
            'if test -f "$__mfaenv_file"\n'
            "    and test (builtin path mtime -- $__mfaenv_file) -lt "
            f"(builtin path mtime -- {self.quote(stamp)})\n"
            f"    builtin printf {message} $__mfaenv_file $__mfaenv_file >&2\n"
            "end\n"
        )

    def quote(self, value: str) -> str:
        # In fish single quotes only \\ and \' are escapes.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def export(self, name: str, value: str) -> str:
        return f"set -gx {name} {self.quote(value)}"

    def unset(self, name: str) -> str:
        return f"set -e -g {name}"

    def set_shell_var(self, name: str, value: str) -> str:
        return f"set -g {name} {self.quote(value)}"

    def unset_shell_var(self, name: str) -> str:
        return f"set -e -g {name}"

    def alternatives(self, words: Sequence[str]) -> str:
        return " ".join(self.quote(word) for word in words)

    def invisible_class(self) -> str:
        # A PCRE class, for `string match -r`.
        return self.quote("[" + "".join(f"\\x{{{ord(char):x}}}" for char in INVISIBLE) + "]")

    def invisible_table(self) -> str:
        # Only the characters (fish holds text as characters in any locale): fish escapes
        # them as printable does, one by one, and only those a name has (a pair split per
        # character costs a substitution each).
        return " ".join(f"\\u{ord(char):04x}" for char in INVISIBLE)


SHELLS: dict[str, Shell] = {shell.name: shell for shell in (Bash(), Zsh(), Fish())}


def get_shell(name: str) -> Shell:
    try:
        return SHELLS[name]
    except KeyError:
        known = ", ".join(SHELLS)
        raise MfaEnvError(f"unsupported shell {name!r}: use one of {known}") from None


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _data_dir(name: str) -> str:
    """``shell/`` or ``completions/``: inside the installed package, or beside it in a checkout."""
    here = os.path.dirname(os.path.realpath(__file__))
    for candidate in (os.path.join(here, name), os.path.join(os.path.dirname(here), name)):
        if os.path.isdir(candidate):
            return candidate
    raise MfaEnvError(f"the {name}/ files of mfaenv are missing from {here}; reinstall mfaenv")


def shell_dir() -> str:
    return _data_dir("shell")


def completions_dir() -> str:
    return _data_dir("completions")
