"""Memory and time of lint on large files (issue 13 item 12; issue 15): bounded, not timed.

A large flow-style document (``kubectl get -o json`` output: one ``kind: List``) used to have each
finding's field located by a ruamel re-parse of the whole document: minutes and gigabytes for a few MB.
Peak traced memory is checked against a generous bound proportional to the file, so the test fails on
a per-finding re-parse without depending on the machine's speed.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from lint_helpers import bulky_deployment

from gitops_gen.lint.run import RunSettings, lint_paths


@pytest.mark.slow
def test_large_json_list_lints_in_bounded_memory(tmp_path: Path) -> None:
    items = [bulky_deployment(f"app-{i}", latest=i % 200 == 0) for i in range(600)]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=1)
    target = tmp_path / "list.yaml"
    target.write_text(text, encoding="utf-8")
    size = len(text)
    assert size > 1_000_000
    tracemalloc.start()
    try:
        result = lint_paths([target], RunSettings(jobs=1))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.resources == 600
    images = [f for f in result.findings if f.rule == "image" and "latest" in f.message]
    assert len(images) == 3  # items 0, 200, 400
    lines = text.split("\n")
    for f in images:  # each finding points at its own container's image field
        assert lines[f.line - 1].lstrip().startswith('"image"'), (f.line, lines[f.line - 1])
    # the file, its parsed objects and the findings: a few dozen times the file, never a node tree per finding
    print(f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.1f} MB file")
    assert peak < 40 * size, f"peak {peak / 1e6:.0f} MB for a {size / 1e6:.1f} MB file"
