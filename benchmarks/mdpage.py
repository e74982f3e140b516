"""Write a benchmark's tables into a Markdown page (docs/speed.md), between its markers.

Each benchmark owns one block of the page::

    <!-- benchmark:NAME -->
    ... replaced on each run with --markdown PAGE ...
    <!-- /benchmark:NAME -->

so a figure lives where its benchmark writes it, with the machine and the date beside it;
every other page links there instead of repeating it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
from collections.abc import Sequence
from pathlib import Path


def today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def cpus() -> tuple[int | None, str]:
    """How many CPUs this process may use, and their model name."""
    cpu = "unknown cpu"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return nproc, cpu


def machine() -> str:
    """One line: the date, the system, the CPUs and the load, as the run saw them."""
    nproc, cpu = cpus()
    return (
        f"Run on {today()}: {platform.system()} {platform.release()} {platform.machine()}, "
        f"{nproc} CPUs ({cpu}), load average {os.getloadavg()[0]:.2f}, "
        f"Python {platform.python_version()}."
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; numbers (every column but the first) aligned right."""
    align = ["---"] + ["---:"] * (len(headers) - 1)
    return [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


def write_block(page: Path, name: str, lines: Sequence[str]) -> None:
    """Replace the block ``name`` of ``page`` with ``lines``; the markers must be there."""
    start, end = f"<!-- benchmark:{name} -->", f"<!-- /benchmark:{name} -->"
    text = page.read_text(encoding="utf-8")
    head, found, rest = text.partition(start + "\n")
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise SystemExit(f"{page} has no {start} ... {end} block")
    body = "\n".join(lines).strip("\n")
    page.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")
