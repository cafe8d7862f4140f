"""Phase 2 gives the same findings on projected bodies as on whole ones (issue 15 item 1, issue 13 item 12).

Phase 1 sends back each object cut to what phase 2 reads of its kind (``gitops_gen.lint.projection``,
declared by each non-local rule's ``READS``). This test is what keeps that safe when a rule changes: it
runs phase 2 (the input-CRD recheck, every cross-object rule, the budget rules with node sizes, and the
positions of their findings) once on whole bodies and once on projected ones, over the rule fixtures,
the lint fixtures, the examples' rendered trees, every repository of the public corpus and a generated
bench corpus, and names the rule whose findings differ. And, since an input may simply lack the field
a rule reads without declaring it, it runs each rule on bodies that record every path read, and names
the rule and the path that its ``READS`` does not declare (absent paths included).
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import msgspec.structs
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
    return msgspec.structs.replace(options, cluster=from_sizes("16Gi", "4", 3))


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
    assert _undeclared_reads([path], _with_nodes(options), monkeypatch) == []


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
    assert _undeclared_reads([tmp_path / "c"], _with_nodes(LintOptions()), monkeypatch) == []


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


# ------------------------------------------------------------------ every read a rule makes is declared
class _Reads(dict):  # type: ignore[type-arg]
    """A body that records the paths read of it: ``(kind, path, entire)`` into ``log``."""

    def __init__(self, value: dict[str, Any], kind: str, path: tuple[str, ...], log: set[Any]) -> None:
        super().__init__(value)
        self.at = (kind, path, log)

    def _note(self, path: tuple[str, ...], entire: bool = False) -> None:
        kind, _path, log = self.at
        log.add((kind, path, entire))

    def _child(self, key: Any) -> Any:
        kind, path, log = self.at
        step = (*path, str(key))
        self._note(step)
        return _seen(dict.__getitem__(self, key), kind, step, log)

    def __getitem__(self, key: Any) -> Any:
        if not dict.__contains__(self, key):
            self._note((*self.at[1], str(key)))
            raise KeyError(key)
        return self._child(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if not dict.__contains__(self, key):
            self._note((*self.at[1], str(key)))
            return default
        return self._child(key)

    def __contains__(self, key: object) -> bool:
        self._note((*self.at[1], str(key)))
        return dict.__contains__(self, key)

    def _entire(self) -> None:
        self._note(self.at[1], entire=True)

    def __iter__(self) -> Any:
        self._entire()
        return iter(list(dict.keys(self)))

    def keys(self) -> Any:
        self._entire()
        return dict.keys(self)

    def items(self) -> Any:
        self._entire()
        kind, path, log = self.at
        return [(k, _seen(v, kind, (*path, str(k)), log)) for k, v in dict.items(self)]

    def values(self) -> Any:
        return [v for _k, v in self.items()]

    def __eq__(self, other: object) -> bool:
        self._entire()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._entire()
        return dict.__repr__(self)

    def copy(self) -> dict[str, Any]:
        self._entire()
        return dict(dict.items(self))


class _ReadsList(list):  # type: ignore[type-arg]
    def __init__(self, value: list[Any], kind: str, path: tuple[str, ...], log: set[Any]) -> None:
        super().__init__(value)
        self.at = (kind, path, log)

    def __getitem__(self, i: Any) -> Any:
        kind, path, log = self.at
        got = list.__getitem__(self, i)
        if isinstance(i, slice):
            return [_seen(v, kind, (*path, "*"), log) for v in got]
        return _seen(got, kind, (*path, "*"), log)

    def __iter__(self) -> Any:
        kind, path, log = self.at
        return (_seen(v, kind, (*path, "*"), log) for v in list.__iter__(self))

    def _entire(self) -> None:
        kind, path, log = self.at
        log.add((kind, path, True))

    def __contains__(self, x: object) -> bool:
        self._entire()
        return list.__contains__(self, x)

    def __eq__(self, other: object) -> bool:
        if other == []:  # an emptiness test: the projection keeps every list's length
            kind, path, log = self.at
            log.add((kind, path, False))
        else:
            self._entire()
        return list.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        self._entire()
        return list.__repr__(self)


def _seen(value: Any, kind: str, path: tuple[str, ...], log: set[Any]) -> Any:
    if type(value) is dict:
        return _Reads(value, kind, path, log)
    if type(value) is list:
        return _ReadsList(value, kind, path, log)
    return value


def _undeclared_reads(paths: list[Path], options: LintOptions, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each cross-object rule reads of the objects of ``paths`` beyond its ``READS`` (and the
    engine's own reads): run one rule at a time on whole bodies that record every path read."""
    from gitops_gen.lint.engine import ENGINE_READS, _rule_hits
    from gitops_gen.lint.model import Context
    from gitops_gen.lint.registry import rules

    tasks = plain_tasks(discover_names(paths, []), Path.cwd())
    with monkeypatch.context() as m:
        m.setattr(engine, "projection", lambda _options: engine._whole)
        results = engine.run_phase1(tasks, options, 1)
    asm = engine.assemble(tasks, results)
    problems: set[str] = set()
    bodies = [r.body for r in asm.resources]
    for rule in rules().values():
        if rule.local or rule.reads is None:
            continue
        log: set[Any] = set()
        for r, body in zip(asm.resources, bodies, strict=True):
            r.body = _seen(body, r.kind, (), log)
        _rule_hits(rule, Context(asm.resources, options))
        declared = Projection([CORE_READS, ENGINE_READS, rule.reads])
        for kind, path, entire in log:
            if not declared.covers(kind, path, entire):
                what = "all of" if entire else "the value at"
                problems.add(
                    f"rule {rule.id!r} read {what} {kind} {'.'.join(path) or '(the object)'}, "
                    "which its READS does not declare"
                )
    return sorted(problems)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_rules_read_only_what_they_declare(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for options in (LintOptions(), _with_nodes(LintOptions())):
        assert _undeclared_reads([path], options, monkeypatch) == []
