"""The text output at repository scale (issue 14 item 1, issue 13 item 20): one clickable
``path:line:col: severity rule: message`` line per finding, no path headers, each fix once, findings of
one shape folded, a summary by rule, info and 'no schema' hidden unless --verbose, allowed values never
cut, and nothing from a manifest able to write a line (or a colour) of its own.

The golden files are the exact output on ``fixtures/lint/many`` (16 probe findings over 8 Deployments,
a misspelt enum value, a hostile key, a kind with no schema)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from lint_helpers import FIXTURES, run

from gitops_gen.cli import cli
from gitops_gen.lint.output import render
from gitops_gen.textsafe import escape_control

GOLDEN = FIXTURES / "many"
LINE = re.compile(r"^(\S+):(\d+):(\d+): (error|warning|info) ([a-z-]+): (.+)$")


@functools.cache
def _lint_text(*args: str) -> tuple[int, str]:
    """``gitops-gen lint many ARGS`` from the fixtures directory (paths shown relative to it; no
    ./specs/ there, so no node model), once per argument list."""
    before = Path.cwd()
    os.chdir(FIXTURES)
    try:
        result = CliRunner().invoke(cli, ["lint", "--no-cache", "many", *args])
    finally:
        os.chdir(before)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)


@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
def test_text_output_matches_the_golden_file(in_fixtures: None, verbose: bool) -> None:
    code, text = _lint_text(*(["--verbose"] if verbose else []))
    golden = GOLDEN.with_name("many.verbose.txt" if verbose else "many.txt")
    assert code == 1
    assert text == golden.read_text(encoding="utf-8")


def test_every_finding_is_one_clickable_line_and_no_path_header(in_fixtures: None) -> None:
    _, text = _lint_text("--verbose")
    lines = text.splitlines()
    findings = [m for m in map(LINE.match, lines) if m]
    assert len(findings) == 20  # 16 probes + 2 schema errors + 1 'no schema' warning + 1 info
    paths = {m.group(1) for m in findings}
    assert not any(ln in paths for ln in lines), "a bare path header line"
    for m in findings:  # the line:col points into the file at a real line
        assert 1 <= int(m.group(2)) <= len((FIXTURES / m.group(1)).read_text().splitlines())


def test_each_fix_is_printed_once(in_fixtures: None) -> None:
    _, text = _lint_text("--verbose")
    fixes = [ln for ln in text.splitlines() if ln.startswith("    fix: ")]
    assert fixes and len(fixes) == len(set(fixes))
    assert sum("livenessProbe" in f for f in fixes) == 1  # 8 findings share it


def test_same_shape_findings_fold_and_verbose_lists_them(in_fixtures: None) -> None:
    _, text = _lint_text()
    liveness = [ln for ln in text.splitlines() if "has no liveness probe" in ln]
    assert len(liveness) == 3  # of 8
    assert "    ... and 5 more probes findings like this in 3 files (--verbose lists them)" in text
    _, full = _lint_text("--verbose")
    assert sum("has no liveness probe" in ln for ln in full.splitlines()) == 8
    assert "more probes findings like this" not in full


def test_summary_by_rule_counts_hidden_findings(in_fixtures: None) -> None:
    _, text = _lint_text()
    lines = text.splitlines()
    assert "no schema for" not in text and " info yaml" not in text
    table = lines[lines.index("by rule:") + 1 : -1]
    assert [re.split(r"\s+", row.strip(), maxsplit=1)[0] for row in table] == ["probes", "schema", "yaml"]
    assert table[1].split() == ["schema", "2", "errors,", "1", "warning", "(1", "not", "shown)"]
    assert table[2].split() == ["yaml", "1", "info", "(1", "not", "shown)"]
    assert lines[-1].startswith("18 errors, 1 warning, 1 info in 12 resources, 7 files; 2 not shown")


def test_enum_message_lists_nearest_allowed_values_untruncated(in_fixtures: None) -> None:
    _, text = _lint_text()
    (line,) = [ln for ln in text.splitlines() if "spec.color" in ln]
    assert '"Purpel" is not one of "Purple", ' in line and line.count('"') == 12
    assert "(7 more)" in line and "..." not in line


def test_a_hostile_key_cannot_write_a_line_or_an_escape_sequence(in_fixtures: None) -> None:
    for args in ((), ("--format", "github")):
        _, text = _lint_text(*args)
        assert "\x1b" not in text
        summaries = [ln for ln in text.splitlines() if re.match(r"\d+ errors?, \d+ warnings?", ln)]
        assert len(summaries) == 1 and summaries[0] == text.splitlines()[-1]
        assert "0 errors, 0 warnings in 1 resource" not in text.splitlines()[-1]
    assert "size\\x1b[2J\\x1b[H\\n0 errors" in _lint_text()[1]


def test_colour_only_when_asked_and_never_from_the_input(in_fixtures: None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gitops_gen.lint.api import _color

    result = run([Path("many")])
    plain, coloured = render(result, "text"), render(result, "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m" in coloured  # errors in red
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain  # colour adds nothing else
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _color("text") and not _color("json")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _color("text")


def test_one_line_escaping_covers_controls_and_bidi_and_keeps_text() -> None:
    def printable(text: str) -> str:
        return escape_control(text, keep_newlines=False)

    assert printable("plain ü 日本 — ok") == "plain ü 日本 — ok"
    assert printable("a\nb\r\tc\x00\x7f") == "a\\nb\\x0d\\tc\\x00\\x7f"
    assert printable("\x1b[2J\x9b31m") == "\\x1b[2J\\x9b31m"
    assert printable("evil\u202etxt.exe\u2028x\u200f") == "evil\\u202etxt.exe\\u2028x\\u200f"
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        assert chr(code) not in printable(f"x{chr(code)}y")


def test_errors_and_budget_escape_what_they_echo(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gitops_gen.cli import main

    monkeypatch.chdir(tmp_path)
    for command in ("lint", "budget"):
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from gitops_gen.cli import main; main()",
                command,
                "no\x1b[2Jpe\n0 errors",
            ],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2
        assert "\x1b" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
        assert "no\\x1b[2Jpe\\n0 errors" in proc.stderr
    assert main  # imported: the entry point the subprocess runs


def test_escape_control_skips_only_text_with_nothing_to_escape() -> None:
    """Printable text is returned as it is without the regex: exact only because every character the
    regex escapes is one str.isprintable() refuses, checked here for every code point."""
    from gitops_gen import textsafe

    unsafe = re.compile(textsafe._UNSAFE_ALL)
    assert not [c for c in map(chr, range(0x110000)) if c.isprintable() and unsafe.match(c)]
    for text in ("plain ascii", "naïve 日本 ✓", "a\tb", "a\nb", "\x1b[2K0 errors", "\u202eevil", "\udcff"):
        for keep in (True, False):
            want = re.compile(textsafe._UNSAFE if keep else textsafe._UNSAFE_ALL).sub(textsafe._escape, text)
            assert escape_control(text, keep_newlines=keep) == want
    assert escape_control("a\nb") == "a\nb" and escape_control("a\nb", keep_newlines=False) == "a\\nb"


def test_json_output_escapes_lone_surrogates_only() -> None:
    """A non-UTF-8 file name (held as a lone surrogate) is written as its JSON escape; any other text
    is json.dumps' own output."""
    import json

    from gitops_gen.lint.output import _json_text

    doc = {"file": "manifests/caf\udce9.yaml", "message": "naïve ✓"}
    text = _json_text(doc)
    text.encode("utf-8")  # writable
    assert "caf\\udce9.yaml" in text and json.loads(text) == doc
    clean = {"file": "a.yaml", "message": "naïve ✓ \\u00e9"}
    assert _json_text(clean) == json.dumps(clean, indent=2, ensure_ascii=False) + "\n"
