"""mfaenv: MFA-protected AWS access keys in one word of shell.

The package itself holds only the version: every hot path loads this module, so it
imports nothing. The verbs, their options and the parsed command line live in
``mfaenv.verbs``.
"""

from __future__ import annotations

__version__ = "0.1.0"
