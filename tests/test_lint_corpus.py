"""Real public Flux repositories (../shared/corpus): lint without a crash; valid upstream objects give no
schema errors; the fast position locator agrees with ruamel.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lint_helpers import SHARED, by_rule, run

from gitops_gen.k8s.loader import parse_text
from gitops_gen.lint.positions import LineIndex, event_positions, locate
from gitops_gen.yamlio import iter_paths, load_positioned, position_of

CORPUS = SHARED / "corpus"
CRDS = SHARED / "crds"

# Schema errors in the corpus that are real, checked by hand against the upstream CRDs:
KNOWN_REAL_ERRORS = {
    # (home-ops' Alert names a FluxInstance, which notification-controller's own CRD rejects; the
    # repository installs the Flux Operator, whose CRDs accept it, so it is not reported)
    # source-controller v1.9 no longer serves OCIRepository v1beta2 (the repository predates it).
    ("OCIRepository/flux-system/kyverno-controller", "apiVersion"),
}


def need(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"reference data {path} is absent")
    return path


def test_corpus_lints_without_crash_and_no_false_schema_errors() -> None:
    result = run([need(CORPUS)], crd_dirs=[need(CRDS)], jobs=2)
    assert result.resources > 400 and result.files > 500
    assert not [f for f in result.findings if "internal error" in f.message]
    errors = {
        (f.resource, f.message.split(":")[0] if not f.message.startswith("OCIRepository") else "apiVersion")
        for f in by_rule(result, "schema")
        if str(f.severity) == "error"
    }
    assert errors == KNOWN_REAL_ERRORS
    assert not [f for f in by_rule(result, "yaml") if str(f.severity) == "error"]


def _sample_files() -> list[Path]:
    files = sorted(need(CORPUS).rglob("*.yaml"))
    return files[:: max(1, len(files) // 60)]


def test_locator_matches_ruamel_on_real_files() -> None:
    checked = 0
    for path in _sample_files():
        text = path.read_text(encoding="utf-8")
        parsed = parse_text(text)
        if parsed.problems:
            continue
        idx = LineIndex(text.split("\n"))
        docs = [d for d in load_positioned(text, str(path)) if d is not None]
        assert len(docs) == len(parsed.documents), path
        for doc, rdoc in zip(parsed.documents, docs, strict=True):
            paths = {leaf[:i] for leaf, _value in iter_paths(rdoc) for i in range(1, len(leaf) + 1)}
            for field_path in sorted(paths, key=lambda p: [str(x) for x in p]):
                line, col, depth = locate(idx, doc.start, doc.end, field_path)
                if depth < len(field_path):
                    continue  # flow style: the engine falls back to ruamel for these
                assert (line, col) == position_of(rdoc, field_path), (path, field_path)
                checked += 1
    assert checked > 1000


def _all_paths(doc: object) -> set[tuple[str | int, ...]]:
    """Every path of ``doc``, with one missing key and one index past the end below each container."""
    out: set[tuple[str | int, ...]] = set()

    def walk(node: object, prefix: tuple[str | int, ...]) -> None:
        out.add(prefix)
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str):
                    walk(v, (*prefix, k))
            out.add((*prefix, "no-such-key"))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*prefix, i))
            out.add((*prefix, len(node) + 3))

    walk(doc, ())
    return out


@pytest.mark.parametrize("form", ["as written", "as JSON"])
def test_event_positions_match_ruamel_on_real_files(form: str) -> None:
    """The one-pass libyaml locator gives ruamel's position for every path, block style (anchors and
    aliases included: those it leaves to ruamel) and flow style (each document re-written as JSON)."""
    checked = 0
    for path in _sample_files():
        for chunk in path.read_text(encoding="utf-8").split("\n---"):
            try:
                docs = [d for d in load_positioned(chunk, str(path)) if d is not None]
            except Exception:
                continue
            if not docs:
                continue
            text = chunk
            if form == "as JSON":
                text = json.dumps(docs[0], indent=1 + checked % 2)  # compact and indented forms
                docs = load_positioned(text, str(path))
            paths = _all_paths(docs[0])
            found = event_positions(text, paths)
            assert found is not None, path
            for field_path in paths:
                if field_path in found:
                    assert found[field_path] == position_of(docs[0], field_path), (path, field_path)
                    checked += 1
    assert checked > 1000
