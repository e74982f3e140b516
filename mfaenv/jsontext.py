"""JSON for the hot paths, through CPython's own C accelerator without ``import json``.

``import json`` imports ``re`` (and with it enum, functools and collections): about as
much time as Python takes to start, on every ``mfa`` that reuses a cached session, every
``mfa off`` and every ``credential-process``. The module ``json`` itself parses with the
C scanner of ``_json`` and quotes strings with ``_json.encode_basestring_ascii``; so do
these functions, and they give exactly what ``json.loads`` and ``json.dumps`` give. Where
``_json`` is missing (another Python), they are ``json``'s own functions.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_WHITESPACE = " \t\n\r"

try:
    import _json
except ImportError:  # pragma: no cover - every CPython has it
    _json = None  # type: ignore[assignment]


class _Context:
    """What ``_json.make_scanner`` reads from a decoder: json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict[str, str] = {}  # noqa: RUF012 - the scanner's own memo, emptied after a scan

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def loads(text: str) -> Any:
    """``json.loads(text)``; ValueError (json.JSONDecodeError) for text that is not JSON."""
    if _json is None:  # pragma: no cover
        import json

        return json.loads(text)
    scanner = _json.make_scanner(_Context)  # type: ignore[arg-type]
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = scanner(text, start)
    except StopIteration:
        import json

        return json.loads(text)  # raises the same error json.loads raises
    finally:
        _Context.memo.clear()
    if text[end:].strip(_WHITESPACE):
        import json

        return json.loads(text)  # "Extra data": the same error
    return value


def dumps(
    value: Any, *, sort_keys: bool = False, separators: tuple[str, str] = (", ", ": ")
) -> str:
    """``json.dumps(value, sort_keys=..., separators=...)`` for dicts, lists, strings, ints,
    booleans and None (ASCII output, as json.dumps gives by default)."""
    if _json is None:  # pragma: no cover
        import json

        return json.dumps(value, sort_keys=sort_keys, separators=separators)
    item, key = separators
    quote = _json.encode_basestring_ascii

    def write(node: Any) -> str:
        if isinstance(node, str):
            return str(quote(node))
        if node is None:
            return "null"
        if node is True:
            return "true"
        if node is False:
            return "false"
        if isinstance(node, int):
            return int.__repr__(node)
        if isinstance(node, dict):
            pairs = sorted(node.items()) if sort_keys else node.items()
            for name, _ in pairs:
                if not isinstance(name, str):
                    raise TypeError("keys must be strings")
            return "{" + item.join(quote(name) + key + write(val) for name, val in pairs) + "}"
        if isinstance(node, (list, tuple)):
            return "[" + item.join(write(val) for val in node) + "]"
        raise TypeError(f"not JSON: {type(node).__name__}")

    return write(value)
