"""Build hook: the man pages, mfaenv(1) and mfaenv-config(5), and the completion files
filled in from the table of verbs, made when the wheel is built.

They are installed as ``share/man/man1/mfaenv.1`` and ``share/man/man5/mfaenv-config.5``:
pipx links them into ``~/.local/share/man``, and ``man`` finds a virtual environment's
through the ``bin`` on PATH. Made at build time from the parsers and mfaenv.reference,
they never fall behind ``--help`` or the code; ``python -m mfaenv.manpage [--config]``
prints them too. The completions go where bash-completion, zsh (a prefix's
site-functions) and fish (vendor_completions.d) look in an installation's ``share``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import (  # type: ignore[import-not-found,unused-ignore]
    BuildHookInterface,
)


class ManPage(BuildHookInterface):  # type: ignore[misc,unused-ignore]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        sys.path.insert(0, self.root)
        try:
            from mfaenv.completion import filled
            from mfaenv.manpage import render, render_config
            from mfaenv.shells import SHELLS
        finally:
            sys.path.remove(self.root)
        self._made = tempfile.mkdtemp(prefix="mfaenv-man-")
        for name, section, text in (("mfaenv", 1, render()), ("mfaenv-config", 5, render_config())):
            page = Path(self._made, f"{name}.{section}")
            page.write_text(text, encoding="utf-8")
            build_data["shared_data"][str(page)] = f"share/man/man{section}/{name}.{section}"
        places = {
            "bash": "bash-completion/completions/mfa",
            "zsh": "zsh/site-functions/_mfa",
            "fish": "fish/vendor_completions.d/mfa.fish",
        }
        for shell, place in places.items():
            page = Path(self._made, f"completion.{shell}")
            page.write_text(filled(SHELLS[shell]), encoding="utf-8")
            build_data["shared_data"][str(page)] = f"share/{place}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(self._made, ignore_errors=True)
