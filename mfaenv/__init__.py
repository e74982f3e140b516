"""mfaenv: MFA-protected AWS access keys in one word of shell."""

from __future__ import annotations

__version__ = "0.1.0"
