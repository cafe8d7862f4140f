"""`gitops-gen budget` fits the terminal (issue 14 item 4): columns dropped by priority (limits, then
shares, then the namespace), names and notes wrapped, every line within the width; `--wide`, a pipe or
a file get every column; markdown and JSON do not depend on the width. (The terminal is simulated by
giving run_budget the width a terminal of that size reports.)"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.capacity.api import terminal_width
from gitops_gen.capacity.report import DROP_ORDER, HEADERS
from gitops_gen.cli import main

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (REPO / "output").is_dir(), reason="output/ has not been rendered")


def budget(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["budget", str(REPO / "output"), "--specs", str(REPO / "specs"), *args])
    assert exc.value.code == 0
    return capsys.readouterr().out


def _table(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("COMPONENT"))
    return lines[start : lines.index("", start)]


def _header(text: str) -> list[str]:
    return re.split(r"\s{2,}", _table(text)[0].strip())


def _terminal(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    monkeypatch.setattr("gitops_gen.capacity.api.terminal_width", lambda: width)


def test_wide_and_piped_output_have_every_column(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "60")  # a pipe: exported COLUMNS or not, every column
    piped = budget(capsys)
    assert _header(piped) == list(HEADERS)
    _terminal(monkeypatch, 60)
    assert budget(capsys, "--wide") == piped


@pytest.mark.parametrize("width", [200, 160, 120, 100, 80, 60])
def test_every_line_fits_and_columns_go_in_priority_order(capsys, monkeypatch, width: int) -> None:  # type: ignore[no-untyped-def]
    wide = budget(capsys)
    _terminal(monkeypatch, width)
    text = budget(capsys)
    assert max(len(line) for line in text.splitlines()) <= width
    header = _header(text)
    dropped = [h for h in HEADERS if h not in header]
    assert set(dropped) == set(DROP_ORDER[: len(dropped)])  # what goes, goes in that order
    assert {"COMPONENT", "PODS", "CPU REQ", "MEM REQ", "NOTES"} <= set(header)
    assert bool(dropped) == (width < 200)  # the full table needs about 165 columns
    # nothing kept is lost: every letter of the names and notes is there, only wrapped
    assert _letters(text) == _letters(wide) - _namespace_letters(wide, header)

    def rest(t: str) -> str:  # the words after the table
        lines = t.splitlines()
        start = next(i for i, ln in enumerate(lines) if ln.startswith("COMPONENT"))
        return " ".join(" ".join(lines[lines.index("", start) :]).split())

    assert rest(text) == rest(wide)  # the summary and simulation lines, re-wrapped, say the same


def _letters(text: str) -> Counter[str]:
    """The letters of the table's text cells (names, namespaces, notes), not of its figures."""
    cells = [w for row in _table(text)[1:] for w in row.split() if not re.match(r"^(\(?\d|-$)", w)]
    return Counter(c for w in cells for c in w if c.isalpha())


def _namespace_letters(wide: str, header: list[str]) -> Counter[str]:
    """What the NAMESPACE column holds, when this width dropped it."""
    if "NAMESPACE" in header:
        return Counter()
    cells = [re.split(r"\s{2,}", r.strip()) for r in _table(wide)[1:]]
    return Counter(
        c for row in cells if len(row) > 2 and not re.match(r"^[(\d]", row[1]) for c in row[1] if c.isalpha()
    )


def test_markdown_does_not_depend_on_the_width(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    full = budget(capsys, "--format", "markdown")
    _terminal(monkeypatch, 60)
    assert budget(capsys, "--format", "markdown") == full
    assert "| COMPONENT | NAMESPACE | PODS | CPU REQ | CPU LIM |" in full


def test_terminal_width_only_on_a_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    monkeypatch.setenv("COLUMNS", "93")
    assert terminal_width() is None  # a pipe or a file
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "77")  # shutil.get_terminal_size honours COLUMNS first
    assert terminal_width() == 77


def test_the_plain_layout_is_the_one_rich_prints() -> None:
    """Tables where nothing wraps are laid out without ``rich`` (it measured every cell: seconds for a
    budget of 10,000 objects); random tables of plain cells, with and without a width, give the same
    lines either way, and cells ``rich`` would strip or wrap go to ``rich``."""
    import random
    import string

    from gitops_gen.capacity import report

    rnd = random.Random(7)

    def cell() -> str:
        text = "".join(
            rnd.choice(string.ascii_letters + string.digits + " -./%()")
            for _ in range(rnd.choice([0, 1, 4, 12, 30]))
        )
        return ("  " if rnd.random() < 0.3 else "") + text.strip() + ("é" if rnd.random() < 0.01 else "")

    used = 0
    plain = report._plain_table
    for _ in range(150):
        rows = [[cell() for _ in report.HEADERS] for _ in range(rnd.randint(0, 8))]
        for width in (None, 60, 120, 400):
            calls: list[bool] = []

            def spy(*args: Any, calls: list[bool] = calls) -> Any:
                out = plain(*args)
                calls.append(out is not None)
                return out

            report._plain_table = spy
            try:
                fast = report.text_table(rows, width)
                report._plain_table = lambda *args: None
                assert fast == report.text_table(rows, width), (rows, width)
            finally:
                report._plain_table = plain
            used += any(calls)
    assert used > 30, "the plain layout was tried"
