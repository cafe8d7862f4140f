"""The capacity rules run in a forked process beside the other phase-2 rules on a large input with
node sizes (``OWN_PROCESS``): the findings must be the same, in the same order, as when every rule
runs in one process (``--jobs 1``), and a child that dies must cost nothing but time."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gitops_gen.cli import cli
from gitops_gen.lint import engine
from gitops_gen.lint.registry import rules

BENCH = Path(__file__).resolve().parents[1] / "bench"
NODES = ["--node-cpu", "2", "--node-memory", "3Gi", "--nodes", "2"]  # small: the budget overflows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("bench_gen_corpus_beside", BENCH / "gen_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    root = tmp_path_factory.mktemp("beside") / "c"
    mod.write_corpus(root, 300, seed=3, defects=0.3)
    return root


def _lint(corpus: Path, jobs: str) -> tuple[int, Any]:
    result = CliRunner().invoke(
        cli, ["lint", str(corpus), "--no-cache", "--format", "json", "--jobs", jobs, *NODES]
    )
    return result.exit_code, json.loads(result.stdout)


def test_capacity_rules_are_marked_own_process() -> None:
    assert {r.id for r in rules().values() if r.own_process} == {"cpu-budget", "memory-budget"}


def _count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Forks from the first object on; each start of a process beside records its number of rules."""
    monkeypatch.setattr(engine, "BESIDE_MIN_OBJECTS", 1)
    started: list[int] = []
    real_start = engine._Beside.start

    def spy(rules_: Any, *args: Any) -> Any:
        started.append(len(rules_))
        return real_start(rules_, *args)

    monkeypatch.setattr(engine._Beside, "start", spy)
    return started


def test_beside_gives_the_findings_of_one_process(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = _count_forks(monkeypatch)
    one = _lint(corpus, "1")
    assert not started, "--jobs 1 runs every rule in this process"
    two = _lint(corpus, "2")
    assert started == [2], "the two capacity rules ran in a process of their own"
    assert two == one
    assert any(f["rule"] in ("cpu-budget", "memory-budget") for f in one[1]["findings"])


def test_a_child_that_dies_is_replaced_by_running_the_rules_here(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _lint(corpus, "1")
    monkeypatch.setattr(engine, "BESIDE_MIN_OBJECTS", 1)
    monkeypatch.setattr(engine, "_beside_main", lambda *a: os._exit(3))
    assert _lint(corpus, "2") == expected


def test_no_fork_above_the_size_where_it_would_double_the_memory(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fork maps every resident page of the parent in the child: above BESIDE_MAX_OBJECTS the
    capacity rules run here, after the others (same findings)."""
    started = _count_forks(monkeypatch)
    monkeypatch.setattr(engine, "BESIDE_MAX_OBJECTS", 1)
    big = _lint(corpus, "2")
    assert not started, "too many objects for a fork"
    monkeypatch.setattr(engine, "BESIDE_MAX_OBJECTS", 10**9)
    assert _lint(corpus, "2") == big and started == [2]


def test_the_process_beside_starts_before_the_whole_input_checks_and_stops_when_they_fail(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The capacity process is forked as soon as the objects are assembled (it is phase 2's longest
    part); when the checks of the whole input then fail, it is stopped, not left behind."""
    from gitops_gen import forked
    from gitops_gen.lint import run

    started = _count_forks(monkeypatch)
    children: list[Any] = []
    real_fork = forked.start

    def kept(fn: Any) -> Any:
        child = real_fork(fn)
        children.append(child)
        return child

    monkeypatch.setattr(forked, "start", kept)
    seen: list[int] = []

    def failing(*_a: Any) -> Any:
        seen.append(len(started))
        raise RuntimeError("whole-input check failed")

    monkeypatch.setattr(run, "whole_input_schema", failing)
    monkeypatch.setattr(engine, "_beside_main", lambda *a: time.sleep(120))  # still at work when it fails
    with pytest.raises(RuntimeError, match="whole-input check failed"):
        run.lint_paths(
            [corpus],
            run.RunSettings(options=run.LintOptions(cluster=_cluster()), cache_dir=None, jobs=2, plain=True),
        )
    assert seen == [1], "the process beside was started before the whole-input checks"
    assert len(children) == 1 and children[0] is not None
    with pytest.raises(ChildProcessError):  # the process beside was stopped (and reaped)
        os.waitpid(children[0]._pid, os.WNOHANG)


def _cluster() -> Any:
    from gitops_gen.capacity.nodes import resolve_cluster

    return resolve_cluster(None, "3Gi", "2", 2, kubernetes_version="1.34.0")
