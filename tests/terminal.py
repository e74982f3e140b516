"""A real shell on a pseudo-terminal: type keys, read the screen's byte stream."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import time
from pathlib import Path


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.output = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child
            os.execvpe(argv[0], argv, env)  # noqa: S606

    def read_until(self, pattern: str, timeout: float = 20.0) -> str:
        """Read until ``pattern`` (a regex over the text seen so far) matches."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} never appeared in:\n{self.text[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    break
        return self.text

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 20.0) -> int:
        """Read what is left until the program ends by itself; its exit status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):
                    self.output += os.read(self.fd, 65536)
        raise AssertionError(f"the program did not end within {timeout}s:\n{self.text[-2000:]}")

    def close(self) -> None:
        if not self.pid:  # it ended, and wait() has had it
            os.close(self.fd)
            return
        # Every process of the terminal's session, not only the first: a shell run by
        # strace (or any wrapper) would outlive its wrapper, reading a closed terminal.
        for pid in session_members(self.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def session_members(session: int) -> list[int]:
    """The processes of ``session`` (the pty's child leads it), from /proc; the leader
    alone where there is no /proc."""
    members = [session]
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == session:
                continue
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            # pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses
            fields = stat[stat.rfind(b")") + 2 :].split()
            if len(fields) > 3 and int(fields[3]) == session:
                members.append(int(entry.name))
    return members
