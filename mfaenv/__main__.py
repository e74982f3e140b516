from __future__ import annotations

from mfaenv.cli import run

run()
