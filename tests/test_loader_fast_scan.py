"""The loader's per-chunk scans (first content line, Go YAML's refused characters) read the chunk
itself instead of the file's lines; they must agree with the line-based reading on any text."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_gen.k8s import loader

PIECES = [
    "---",
    "--- ",
    "--- {a: 1}",
    "--- |",
    "...",
    "# c",
    "  # c",
    "%YAML 1.2",
    "",
    " ",
    "\t",
    "\r",
    "a: 1",
    "  b: 2",
    "\tc: 3",
    "- x",
    "kind: Pod",
    "k: \x07",
    "k: \x85v",
    "k: \u2028",
    "k: é",
    "k: \x7f",
    "k: \x1c",
    "k: \ufeff",
]


def _reference(text: str) -> list[tuple[int, int, int, int, bool]]:
    """(line, column, start, end, refused) of every chunk with content, read line by line."""
    lines = text.split("\n")
    out = []
    for start, end, chunk in loader.split_chunks(text):
        if not chunk.strip():
            continue
        first = loader._first_content(lines, start, min(end, len(lines)))
        if first is not None:
            refused = loader._non_printable_re().search(chunk) is not None
            out.append((first[0], first[1], start, end, refused))
    return out


def _fast(text: str) -> list[tuple[int, int, int, int, bool]]:
    lines = text.split("\n")
    out = []
    for start, end, chunk in loader.split_chunks(text):
        if not chunk.strip():
            continue
        first = loader._first_content_of(chunk, start)
        if first == (-1, -1):
            first = loader._first_content(lines, start, min(end, len(lines)))
        if first is not None:
            out.append((first[0], first[1], start, end, loader._non_printable(chunk) is not None))
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_fast_scan_agrees_with_line_scan(pieces: list[str], eol: str) -> None:
    text = eol.join(pieces)
    assert _fast(text) == _reference(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\r\n#%-.abk:{}\x07\x85\u2028é\x7f")), max_size=80))
def test_fast_scan_agrees_on_any_text(text: str) -> None:
    assert _fast(text) == _reference(text)


def test_marker_line_content_keeps_the_marker_column() -> None:
    """``--- {a: 1}``: the document starts on the marker line, at the marker's column (as before)."""
    parsed = loader.parse_text("a: 0\n--- {a: 1}\n")
    assert [(d.line, d.column) for d in parsed.documents] == [(1, 1), (2, 1)]


def test_refused_character_in_ascii_and_unicode_chunks(tmp_path: Path) -> None:
    for text in ("a: b\x07\n", "a: é\x07\n", "a: é\n---\nb: \x1b\n"):
        parsed = loader.parse_text(text)
        assert parsed.problems and "control character" in parsed.problems[0].message, text
    nel = loader.parse_text("a: é\x85b: 1\n")  # NEL: a line break to Go YAML, not refused
    assert not nel.problems and nel.documents[0].body == {"a": "é", "b": 1}


_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)  # the document markers, as a regex


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("-. \t\r\n#a:")), max_size=60))
def test_marker_search_agrees_with_the_regex(text: str) -> None:
    assert loader.marker_lines(text) == [(m.start(), m.group(0)) for m in _MARKER.finditer(text)]
