"""Issue 13 item 12: the object bodies the main process keeps for the cross-object rules.

Phase 2 needs every object (workloads, Services, PDBs, HPAs, Flux objects), so the main process
keeps their bodies after phase 1. A YAML parser makes a new string for every key and value, so a
list of Deployments held ~3x its YAML size in memory, mostly as copies of ``metadata``, ``name``,
``app``, ``100m``. Phase 1 now shares (interns) keys and short strings: the retained bodies are
measured (tracemalloc) against the YAML size, and the findings are the same as the parse gives.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
import yaml
from lint_helpers import bulky_deployment

from gitops_gen.k8s.loader import parse_text
from gitops_gen.lint import engine
from gitops_gen.lint.run import RunSettings, lint_paths, plain_tasks


def _files(tmp_path: Path, n: int) -> list[Path]:
    out = []
    for f in range(n):
        p = tmp_path / f"list-{f}.yaml"
        items = [bulky_deployment(f"app-{f}-{i}", latest=i == 7) for i in range(150)]
        p.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8")
        out.append(p)
    return out


@pytest.mark.slow
def test_item12_retained_bodies_are_shared_and_bounded(tmp_path: Path) -> None:
    files = _files(tmp_path, 3)
    size = sum(p.stat().st_size for p in files)
    tasks = plain_tasks([str(p) for p in files], tmp_path)
    options = RunSettings(jobs=1).options
    engine.run_phase1(plain_tasks([str(files[0])], tmp_path), options, 1)  # schemas, caches: loaded once
    gc.collect()
    tracemalloc.start()
    try:
        before, _peak = tracemalloc.get_traced_memory()
        results = engine.run_phase1(tasks, options, 1)
        gc.collect()
        after, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    retained = after - before
    print(f"retained {retained / 1e6:.2f} MB for {size / 1e6:.2f} MB of YAML")
    # parsed as is, these results take ~8x their YAML (5.4 MB for 0.67 MB); with shared strings ~4.8x
    assert retained < 6 * size, f"retained {retained / 1e6:.2f} MB for {size / 1e6:.2f} MB of YAML"
    # the bodies are the parser's, value for value
    for p, r in zip(files, results, strict=True):
        parsed = parse_text(p.read_text(encoding="utf-8")).documents[0].body
        assert [o.body for o in r.objects] == parsed["items"]
    # keys are shared across objects (one string object, not one per object)
    first, second = results[0].objects[0].body, results[1].objects[5].body
    k1 = next(k for k in first if k == "metadata")
    k2 = next(k for k in second if k == "metadata")
    assert k1 is k2


def test_item12_shared_strings_keeps_values(tmp_path: Path) -> None:
    body = {"a": ["x" * 10, "y" * 100, 3, 2.5, None, True, {"b": {1: "c"}}], "d": {}}
    out = engine.shared_strings(body)
    assert out == body and type(out["a"][5]) is bool and out["a"][1] is body["a"][1]
    # findings (with their positions) of lint with the pool and without are the same
    files = _files(tmp_path, 2)
    one = lint_paths(files, RunSettings(jobs=1))
    two = lint_paths(files, RunSettings(jobs=2))
    assert [f.sort_key() for f in one.findings] == [f.sort_key() for f in two.findings]
    assert any(f.rule == "image" and "latest" in f.message for f in one.findings)
