"""Phase 2 gives the same findings on projected bodies as on whole ones (issue 15 item 1, issue 13 item 12).

Phase 1 sends back each object cut to what phase 2 reads of its kind (``gitops_gen.lint.projection``,
declared by each non-local rule's ``READS``). This test is what keeps that safe when a rule changes: it
runs phase 2 (the input-CRD recheck, every cross-object rule, the budget rules with node sizes, and the
positions of their findings) once on whole bodies and once on projected ones, over the rule fixtures,
the lint fixtures, the examples' rendered trees, every repository of the public corpus and a generated
bench corpus, and names the rule whose findings differ.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, SHARED_DIR

from gitops_gen.capacity.nodes import from_sizes
from gitops_gen.k8s.loader import discover_names
from gitops_gen.lint import engine
from gitops_gen.lint.model import LintOptions
from gitops_gen.lint.projection import CORE_READS, Projection
from gitops_gen.lint.run import plain_tasks, whole_input_schema


def _phase2(tasks: list[engine.Task], results: list[engine.FileResult], options: LintOptions) -> list[Any]:
    asm = engine.assemble(tasks, results)
    raw, extra = whole_input_schema(tasks, asm, asm.raw, options)
    found = raw + engine.run_phase2(tasks, asm, options, extra)
    return sorted((ti, *f[:-1], repr(f.path)) for ti, f in found)


def _compare(paths: list[Path], options: LintOptions, monkeypatch: pytest.MonkeyPatch) -> int:
    """Phase 2 on whole and on projected bodies of ``paths``: the number of findings (asserted equal)."""
    tasks = plain_tasks(discover_names(paths, []), Path.cwd())
    keep = engine.projection(options)
    with monkeypatch.context() as m:
        m.setattr(engine, "projection", lambda _options: engine._whole)
        whole = engine.run_phase1(tasks, options, 1)
    cut = [r._replace(objects=[o._replace(body=keep(o.body)) for o in r.objects]) for r in whole]
    on_whole = _phase2(tasks, whole, options)
    on_cut = _phase2(tasks, cut, options)
    if on_whole != on_cut:
        by_rule: dict[str, list[str]] = defaultdict(list)
        for f in sorted(set(on_whole) ^ set(on_cut)):
            side = "whole only" if f in set(on_whole) else "projected only"
            by_rule[f[1]].append(f"{side}: {tasks[f[0]].display}:{f[3]}:{f[4]} {f[6]} {f[8]}")
        report = "\n".join(
            f"rule {rid!r} read a field its READS does not declare (or a reducer lost it):\n  "
            + "\n  ".join(lines[:5])
            for rid, lines in sorted(by_rule.items())
        )
        pytest.fail(f"phase 2 differs on projected bodies of {[str(p) for p in paths]}:\n{report}")
    return len(on_whole)


def _with_nodes(options: LintOptions) -> LintOptions:
    return dataclasses.replace(options, cluster=from_sizes("16Gi", "4", 3))


INPUTS = [
    # each rule fixture alone (together, one file's objects would answer another's references)
    *sorted(p for p in (REPO_ROOT / "tests" / "fixtures" / "rules").rglob("*.yaml")),
    *sorted(p for p in (REPO_ROOT / "tests" / "fixtures" / "rules").iterdir() if p.is_dir()),
    *sorted(p for p in (REPO_ROOT / "tests" / "fixtures" / "lint").iterdir() if p.is_dir()),
    *sorted(REPO_ROOT.glob("examples/*/output")),
]


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_projection_keeps_findings_of_fixtures_and_examples(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _compare([path], LintOptions(), monkeypatch)
    _compare([path], _with_nodes(LintOptions()), monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize(
    "repo", sorted(p.name for p in (SHARED_DIR / "corpus").glob("*") if p.is_dir()) or ["absent"]
)
def test_projection_keeps_findings_of_the_corpus(repo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = SHARED_DIR / "corpus" / repo
    if not path.is_dir():
        pytest.skip(f"the public corpus {SHARED_DIR / 'corpus'} is absent")
    options = LintOptions(repo_root=path)
    assert _compare([path], options, monkeypatch) > 0
    _compare([path], _with_nodes(options), monkeypatch)


@pytest.mark.slow
def test_projection_keeps_findings_of_a_bench_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "gen_corpus.py"),
            "-n",
            "1500",
            "--defects",
            "0.2",
            "--out",
            str(tmp_path / "c"),
        ],
        check=True,
        capture_output=True,
    )
    assert _compare([tmp_path / "c"], _with_nodes(LintOptions()), monkeypatch) > 50


def test_projection_keeps_declared_paths_and_shapes() -> None:
    reads = {
        "Deployment": ("spec.template.spec.containers.*.name", ("data", sorted), "metadata.labels"),
    }
    project = Projection([CORE_READS, reads]).project
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "n", "labels": {"x": "1"}, "managedFields": [{"big": 1}]},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "c", "env": [1]}, {"image": "i"}], "volumes": []}},
        },
        "data": {"b": 1, "a": 2},
    }
    out = project(body)
    assert out == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "n", "labels": {"x": "1"}},
        # a mapping left with no read key keeps its first key (emptiness tests answer the same)
        "spec": {"template": {"spec": {"containers": [{"name": "c"}, {"image": None}]}}},
        "data": ["a", "b"],
    }
    assert out["metadata"]["labels"] == body["metadata"]["labels"]
    # another kind keeps only what every kind is read for
    assert project({**body, "kind": "Widget"}) == {
        "apiVersion": "apps/v1",
        "kind": "Widget",
        "metadata": {"name": "a", "namespace": "n"},
    }
