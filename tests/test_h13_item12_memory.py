"""Issue 13 item 12 (and issue 15 item 1): the main process's memory does not grow with the sum of all bodies.

Phase 2 needs every object (workloads, Services, PDBs, HPAs, Flux objects), so the main process keeps
something of each after phase 1. It used to keep whole bodies: 3 files of 8 MB took 1.1-1.3 GB, 6 took
2.2 GB. Phase 1 now sends back each object cut to what phase 2 reads of its kind
(``gitops_gen.lint.projection``): a dashboard ConfigMap keeps its name and its "panels" mark, a CRD its
group and kind, a Deployment its pod labels, ports and requests. So peak memory is the largest file's
parse plus those summaries: twice the files must not take anywhere near twice the memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from lint_helpers import bulky_deployment

from gitops_gen.k8s.loader import parse_text
from gitops_gen.lint import engine
from gitops_gen.lint.run import RunSettings, lint_paths, plain_tasks


def _dashboard(f: int, i: int) -> dict[str, Any]:
    panels = [
        {"id": p, "type": "timeseries", "targets": [{"expr": f"sum(rate(x_{p}[5m]))"}]} for p in range(60)
    ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"dash-{f}-{i}",
            "namespace": "monitoring",
            "labels": {"grafana_dashboard": "1"},
        },
        "data": {f"dash-{f}-{i}.json": json.dumps({"title": f"d{i}", "panels": panels}, indent=2)},
    }


def _crd(f: int, i: int) -> dict[str, Any]:
    def props(depth: int) -> dict[str, Any]:
        if depth == 0:
            return {"type": "string", "description": "a leaf field of the custom resource"}
        return {"type": "object", "properties": {f"field{k}": props(depth - 1) for k in range(6)}}

    plural = f"widgets{f}x{i}"
    version = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": props(4)}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": f"Widget{f}x{i}", "plural": plural},
            "scope": "Namespaced",
            "versions": [version],
        },
    }


def _files(tmp_path: Path, n: int) -> list[Path]:
    """``n`` files of ~1.2 MB: dashboards, CRDs and a List of Deployments (bench/memory.py, smaller)."""
    out = []
    for f in range(n):
        p = tmp_path / f"big-{f}.yaml"
        items = [bulky_deployment(f"app-{f}-{i}", latest=i == 7) for i in range(100)]
        docs = [_dashboard(f, i) for i in range(20)] + [_crd(f, i) for i in range(4)]
        docs.append({"apiVersion": "v1", "kind": "List", "items": items})
        p.write_text("---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs), encoding="utf-8")
        out.append(p)
    return out


_MEASURE = """
import gc, sys, tracemalloc
from pathlib import Path
from gitops_gen.lint.run import RunSettings, lint_paths
paths = [Path(p) for p in sys.argv[1:]]
lint_paths(paths[:1], RunSettings(jobs=1))  # schemas and caches loaded once, outside the measure
gc.collect()
tracemalloc.start()
found = lint_paths(paths[1:], RunSettings(jobs=1))
print(tracemalloc.get_traced_memory()[1], len(found.findings))
"""


def _peak(warm: Path, files: list[Path]) -> tuple[int, int]:
    """Peak traced memory of a whole lint of ``files`` in one process (phase 1 included, after a lint
    of ``warm``), and the findings: in a fresh interpreter, so that nothing another test left counts."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(warm), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak, found = out.stdout.split()
    return int(peak), int(found)


@pytest.mark.slow
def test_item12_memory_does_not_grow_with_the_sum_of_bodies(tmp_path: Path) -> None:
    files = _files(tmp_path, 7)
    three, found3 = _peak(files[0], files[1:4])
    six, found6 = _peak(files[0], files[1:7])
    added = sum(p.stat().st_size for p in files[4:7])
    print(
        f"peak {three / 1e6:.1f} MB for 3 files, {six / 1e6:.1f} MB for 6 ({added / 1e6:.1f} MB of YAML added)"
    )
    # the peak is one file's parse plus what is kept of every file: 3 more files may add their summaries,
    # not their bodies. Whole bodies kept added ~1.9x the added YAML (6 files: 1.3x the peak of 3);
    # summaries add ~0.4x (1.08x)
    assert six - three < 0.8 * added, f"6 files peak at {six / 1e6:.1f} MB, 3 at {three / 1e6:.1f} MB"
    assert six < 1.2 * three
    assert found6 > found3 > 0  # the same rules ran on both (the :latest image of each file, ...)


def test_item12_phase1_keeps_what_phase2_reads(tmp_path: Path) -> None:
    files = _files(tmp_path, 2)
    tasks = plain_tasks([str(p) for p in files], tmp_path)
    results = engine.run_phase1(tasks, RunSettings(jobs=1).options, 1)
    parsed = [d.body for d in parse_text(files[0].read_text(encoding="utf-8")).documents]
    got = results[0].objects
    dash, crd, deploy = got[0].body, got[20].body, got[24].body
    assert dash["metadata"]["labels"] == {"grafana_dashboard": "1"}
    assert dash["data"] == {"dash-0-0.json": '"panels"'}  # the mark, not the dashboard
    assert crd["spec"] == {"group": "example.com", "names": {"kind": "Widget0x0"}}
    # a Deployment keeps its pod labels and requests; of its env entries, only the list's length (so that
    # findings name the same items): none reads a Secret
    want = parsed[-1]["items"][0]
    assert deploy["spec"]["template"]["metadata"] == want["spec"]["template"]["metadata"]
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"] == want["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert "image" not in c and c["env"] == [None] * 12
    # keys are shared across objects and files (one string object, not one per object)
    first, second = results[0].objects[24].body, results[1].objects[29].body
    k1 = next(k for k in first if k == "metadata")
    k2 = next(k for k in second if k == "metadata")
    assert k1 is k2
    # the whole body is still there for a reader that needs it (read again from the file)
    from gitops_gen.lint.engine import assemble

    asm = assemble(tasks, results)
    assert asm.resources[24].whole == want and asm.resources[0].whole == parsed[0]


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


def test_pool_workers_take_their_tasks_from_the_fork_not_from_pickles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's workers inherit the run's tasks as they are forked (their initializer's arguments): a
    chunk goes to a worker as two indexes, so the tasks (a cluster's carry all their objects) are never
    pickled; the findings are those of one process."""
    for i in range(6):
        doc = bulky_deployment(f"app{i}", latest=i % 2 == 0)
        (tmp_path / f"app{i}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    one = lint_paths([tmp_path], RunSettings(jobs=1, plain=True))

    def refuse(self: object, protocol: object) -> object:
        raise AssertionError("a task was pickled")

    monkeypatch.setattr(engine.Task, "__reduce_ex__", refuse, raising=False)
    two = lint_paths([tmp_path], RunSettings(jobs=2, plain=True))
    assert one.findings and two.findings == one.findings
    assert engine._TASKS == []  # this process holds no run's tasks: only the workers had them
