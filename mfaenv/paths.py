"""Where mfaenv keeps things: the cache (``$XDG_CACHE_HOME/mfaenv``) and the config
(``$XDG_CONFIG_HOME/mfaenv/config.toml``), as platformdirs names them.

On Linux and the BSDs they are the XDG directories, computed here without importing
platformdirs, so the hot paths (``init`` looks for the config) stay light; elsewhere
platformdirs answers. ``MFAENV_CACHE`` and ``MFAENV_CONFIG`` move them (the sandbox keeps
its own).
"""

from __future__ import annotations

import os
import sys

APP = "mfaenv"


def _xdg(variable: str, fallback: str) -> str:
    """An XDG base directory: the variable when it names an absolute path; a relative one
    is invalid and ignored, as the XDG Base Directory Specification says."""
    value = os.environ.get(variable, "").strip()
    return value if os.path.isabs(value) else os.path.expanduser(fallback)


def xdg_platform() -> bool:
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))


def cache_dir() -> str:
    """``$MFAENV_CACHE`` if set (the sandbox keeps its cache to itself so), else
    ``$XDG_CACHE_HOME/mfaenv`` (``~/.cache/mfaenv``); platformdirs' answer elsewhere."""
    override = os.environ.get("MFAENV_CACHE", "")
    return override if override else home_cache_dir()


def home_cache_dir() -> str:
    """``$XDG_CACHE_HOME/mfaenv`` (``~/.cache/mfaenv``); platformdirs' answer elsewhere."""
    if xdg_platform():
        return os.path.join(_xdg("XDG_CACHE_HOME", "~/.cache"), APP)
    from platformdirs import user_cache_dir

    return user_cache_dir(APP, appauthor=False)


def config_dir() -> str:
    """``$XDG_CONFIG_HOME/mfaenv`` (``~/.config/mfaenv``); platformdirs' answer elsewhere."""
    if xdg_platform():
        return os.path.join(_xdg("XDG_CONFIG_HOME", "~/.config"), APP)
    from platformdirs import user_config_dir

    return user_config_dir(APP, appauthor=False)


def config_path() -> str:
    """``$MFAENV_CONFIG`` if set (the sandbox's own config), else ``config.toml`` in
    ``config_dir()``."""
    override = os.environ.get("MFAENV_CONFIG", "")
    return override if override else os.path.join(config_dir(), "config.toml")
