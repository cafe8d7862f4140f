"""Text for a terminal: values read from manifests and specs are shown, never obeyed.

A key or value may hold a newline (which would start a line of its own, e.g. a fake
``0 errors, 0 warnings`` summary), an ANSI escape sequence (colours, cursor moves, clearing
the screen, setting the window title), or a bidirectional override that reorders what is shown.
:func:`printable` turns each such character into a visible escape (``\\n``, ``\\x1b``, ``\\u202e``)
so that every line we print is one we wrote.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidirectional marks, embeddings,
# overrides and isolates: everything that moves the cursor or changes how the rest reads.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control or bidirectional character written as a visible escape."""
    return _UNSAFE.sub(_escape, text)
