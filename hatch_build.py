"""Build hook: the man page, mfaenv(1), made from the parsers when the wheel is built.

It is installed as ``share/man/man1/mfaenv.1``: pipx links it into ``~/.local/share/man``,
and ``man`` finds a virtual environment's through the ``bin`` on PATH. Made at build
time, it never falls behind ``--help``; ``python -m mfaenv.manpage`` prints it too.
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
            from mfaenv.manpage import render
        finally:
            sys.path.remove(self.root)
        self._made = tempfile.mkdtemp(prefix="mfaenv-man-")
        page = Path(self._made, "mfaenv.1")
        page.write_text(render(), encoding="utf-8")
        build_data["shared_data"][str(page)] = "share/man/man1/mfaenv.1"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        shutil.rmtree(self._made, ignore_errors=True)
