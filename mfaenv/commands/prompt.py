"""``mfa prompt``: the prompt segment (aws:PROFILE 11h42m), or nothing."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.prompt import segment

    text = segment(os.environ, clock.now())
    if text:
        print(text)
    return 0
