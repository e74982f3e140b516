"""A real X desktop for the dialog tests: Xvfb, the real zenity, driven by xdotool."""

from __future__ import annotations

import os
import select
import subprocess
import time

SCREEN = ("-screen", "0", "1024x768x24")


class Desktop:
    """An Xvfb server on a free display; ``xdotool`` finds, types into and clicks the
    dialogs shown on it (the window named ``mfaenv``)."""

    def __init__(self, xvfb: str, xdotool: str) -> None:
        self.xdotool = xdotool
        read, write = os.pipe()
        self.server = subprocess.Popen(
            # -noreset: no reset as the last client (an xdotool call) leaves, which would
            # turn a dialog starting at that moment away.
            [xvfb, "-displayfd", str(write), "-nolisten", "tcp", "-noreset", *SCREEN],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        number = b""
        deadline = time.monotonic() + 30
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(read, 16) if ready else b""
            if not chunk:
                self.server.kill()
                raise AssertionError("Xvfb did not start")
            number += chunk
        os.close(read)
        self.display = f":{number.decode().strip()}"

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)

    def _xdotool(self, *argv: str, timeout: float = 30) -> str:
        result = subprocess.run(
            [self.xdotool, *argv],
            env=dict(os.environ, DISPLAY=self.display),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return result.stdout

    def dialogs(self) -> list[str]:
        """The dialogs showing now."""
        return self._xdotool("search", "--onlyvisible", "--name", "^mfaenv$").split()

    def wait_for_dialog(
        self, asker: subprocess.Popen[str] | None = None, timeout: float = 30
    ) -> str:
        """The dialog, once shown; ``asker``: the process that should show it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.dialogs()
            if shown:
                return shown[0]
            if asker is not None and asker.poll() is not None:
                raise AssertionError(f"no dialog; it ended: {asker.communicate()}")
            time.sleep(0.1)
        raise AssertionError("no dialog was shown")

    def pid(self, window: str) -> int:
        return int(self._xdotool("getwindowpid", window))

    def type_code(self, window: str, code: str) -> None:
        """Type ``code`` into the dialog and press Enter, as a user would."""
        self._xdotool("windowfocus", "--sync", window)
        self._xdotool("type", "--delay", "30", code)
        self._xdotool("key", "Return")

    def click_cancel(self, window: str) -> None:
        """Click the dialog's Cancel button: left of OK, at the bottom right (zenity's
        entry dialog lays them out so on an X server with no window manager)."""
        geometry = dict(
            line.split("=", 1)
            for line in self._xdotool("getwindowgeometry", "--shell", window).split()
        )
        x, y = int(geometry["WIDTH"]) - 141, int(geometry["HEIGHT"]) - 25
        self._xdotool("mousemove", "--window", window, str(x), str(y), "click", "1")
