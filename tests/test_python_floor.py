"""The Python floor the package declares (requires-python = ">=3.10") is checked on the
code by vermin, as ruff's target-version and mypy's python_version check it in their ways."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import need

ROOT = Path(__file__).resolve().parent.parent


def _vermin(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    # The test environment's own vermin (the test extra), beside its Python.
    vermin = need(str(Path(sys.executable).with_name("vermin")))
    argv = [vermin, "-t=3.10-", "--no-tips", "--violations", "--eval-annotations"]
    argv += map(str, paths)
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


def test_no_code_needs_a_python_newer_than_the_floor() -> None:
    result = _vermin(*(ROOT / name for name in ("mfaenv", "tests", "benchmarks", "hatch_build.py")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_for_a_newer_python_is_caught(tmp_path: Path) -> None:
    (tmp_path / "newer.py").write_text("import tomllib\n")
    result = _vermin(tmp_path)
    assert result.returncode != 0
    assert "'tomllib' module requires !2, 3.11" in result.stdout
