"""Text that is safe to print to a terminal or a log.

Manifest keys and values, spec values and file names reach our messages. A control character in
them (an ANSI escape ``\\x1b[2K``, a carriage return, a backspace) could rewrite what a terminal
shows (a fake ``0 errors`` line); a file name that is not UTF-8 (held by Python as a lone
surrogate) cannot be encoded for output at all. :func:`escape_control` makes both visible and
harmless: ``\\x1b`` -> ``\\x1b`` spelled out, a lone surrogate ``\\udcff`` -> ``\\xff`` (the byte of
the file name). Tab and newline are kept unless ``keep_newlines`` is false (then ``\\n``, ``\\t``).
"""

from __future__ import annotations

import functools
import re

__all__ = ["escape_control"]

# C0 and C1 controls, DEL, line/paragraph separators, bidi marks, overrides and isolates (which reorder
# what a terminal shows), lone surrogates (undecodable bytes of a file name); each is a character that
# str.isprintable() refuses (a test checks every code point), so printable text needs no regex
_UNSAFE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_UNSAFE_ALL = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


@functools.cache
def _unsafe(keep_newlines: bool) -> re.Pattern[str]:
    """Compiled when first needed (~2 ms for both, which most runs never need)."""
    return re.compile(_UNSAFE if keep_newlines else _UNSAFE_ALL)


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte of a non-UTF-8 file name
        return f"\\x{code - 0xDC00:02x}"
    if ch == "\n":
        return "\\n"
    if ch == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every control character (and undecodable byte) spelled out as an escape."""
    if text.isprintable():
        return text
    return _unsafe(keep_newlines).sub(_escape, text)
