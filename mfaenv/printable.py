"""What may reach the user's terminal: every character it would act on rather than
show (controls, bidirectional and zero-width characters) as its escape. Every message
and every name mfaenv shows goes through here; every hot path loads it."""

from __future__ import annotations

# Characters a terminal does not show but that change what it shows: C1 controls (some
# terminals act on them), bidirectional controls (a name that reads backwards, or hides
# its end), zero-width characters and line separators. ``printable`` shows each as its
# escape; the prompt code of each shell gets this same table from ``mfaenv init``.
INVISIBLE: dict[str, str] = {
    chr(point): f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"
    for point in (
        *range(0x80, 0xA0),
        0x061C,
        *range(0x200B, 0x2010),
        *range(0x2028, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x2070),
        0xFEFF,
    )
}


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: each control character (C0, DEL) as
    ``\\xNN``, each character of ``INVISIBLE`` as its escape, and each byte that was not
    UTF-8 (a surrogate escape) as ``\\xNN`` too. A profile named ``a\\x1b[2Jb`` then
    clears no screen and sets no title, and ``dev\\u202eorp`` does not read ``dev-prod``."""
    if text.isprintable():  # every character of INVISIBLE is not
        return text
    out = []
    for char in text:
        point = ord(char)
        if point < 0x20 or point == 0x7F:
            out.append(f"\\x{point:02x}")
        elif char in INVISIBLE:
            out.append(INVISIBLE[char])
        elif 0xDC80 <= point <= 0xDCFF:  # a byte os.environ could not decode
            out.append(f"\\x{point - 0xDC00:02x}")
        elif 0xD800 <= point <= 0xDFFF:
            out.append(f"\\u{point:04x}")
        else:
            out.append(char)
    return "".join(out)


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks (an AWS message may have some) become
    spaces, other control characters are escaped."""
    return printable(" ".join(text.split("\n")).replace("\r", ""))
