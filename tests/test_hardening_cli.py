"""Hostile options and configuration: every command answers with exit 0/1/2 and a clear message.

Regressions: ``--nodes 99999999999`` (or ``nodes.count`` in the config) built one node object per
node and hung lint and budget; it is now bounded to Kubernetes' largest supported cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hardening_helpers import assert_clean, laughs, run_cli

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.org/web:1.0.0
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "deploy.yaml").write_text(DEPLOY, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["--nodes", "99999999999", "--node-memory", "1Gi", "--node-cpu", "1"],
        ["--nodes", "-1", "--node-memory", "1Gi", "--node-cpu", "1"],
        ["--node-memory", "1e99999", "--node-cpu", "1"],
        ["--node-memory", "-12Gi", "--node-cpu", "4"],
        ["--node-memory", "１２Gi", "--node-cpu", "4"],
        ["--node-memory", "9" * 5000, "--node-cpu", "4"],
        ["--node-cpu", "1Ei", "--node-memory", "1E"],
        ["--kubernetes-version", "../../etc"],
        ["--kubernetes-version", "1.99"],
        ["--schema-dir", "/nonexistent"],
        ["--crd-dir", "/dev/null"],
        ["--jobs", "-5"],
        ["--jobs", "100000"],
        ["--config", "/nonexistent.yaml"],
        ["--config", "/dev/zero"],
        ["--cache-dir", "/dev/null/x"],
    ],
)
def test_lint_hostile_options(manifests: Path, args: list[str]) -> None:
    outcome = run_cli(["lint", str(manifests), *args], timeout=60, cwd=manifests)
    assert_clean(outcome, path_level=True, dirs=("gitops-gen", "--nodes", "--node-memory", "--node-cpu"))


@pytest.mark.parametrize(
    "args",
    [
        ["--nodes", "99999999999", "--node-memory", "1Gi", "--node-cpu", "1"],
        ["--nodes", "0", "--node-memory", "1Gi", "--node-cpu", "1"],
        ["--node-memory", "1e99999", "--node-cpu", "1"],
        ["--node-cpu", "1Ei", "--node-memory", "1E"],
    ],
)
def test_budget_hostile_options(manifests: Path, args: list[str]) -> None:
    outcome = run_cli(["budget", str(manifests), *args], timeout=60, cwd=manifests)
    assert_clean(outcome, path_level=True, dirs=("gitops-gen", "--nodes", "--node-memory", "--node-cpu"))


@pytest.mark.parametrize(
    "config",
    [
        "[1, 2]",
        "rules: 5",
        "disable: 5",
        "exclude: {a: 1}",
        "severity: {probes: [x]}",
        laughs(9),
        "a: !!int x",
        "kubernetes-version: [1]",
        "schema-dirs: [5]",
        "nodes: {memory: 1Ei, cpu: 1E, count: 99999999999}",
        "nodes: {memory: 1Gi, cpu: 1, count: -1}",
        "nodes: [{memory: 1e99999, cpu: x}]",
        "fail-on: 5",
        "validator: x",
        "disable: [nope]",
        "\t- x",
        "exclude: ['[']",
    ],
)
def test_lint_hostile_config(manifests: Path, config: str) -> None:
    (manifests / ".gitops-gen.yaml").write_text(config + "\n", encoding="utf-8")
    outcome = run_cli(["lint", str(manifests), "--no-cache"], timeout=60, cwd=manifests)
    assert_clean(outcome, dirs=("gitops-gen",))
    if outcome.code == 2 and "gitops-gen:" not in outcome.err:
        assert ".gitops-gen.yaml:" in outcome.err, outcome.err


def test_lint_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    outcome = run_cli(["lint", str(tmp_path / "nope")], timeout=60, cwd=tmp_path)
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "no such file or directory" in outcome.err


def test_an_unwritable_output_path_is_a_usage_error_not_a_bug(tmp_path: Path) -> None:
    # OSErrors about a path (here: `schema --out` into a missing directory) name the path, exit 2
    outcome = run_cli(
        ["schema", "--out", str(tmp_path / "missing" / "schema.json")], timeout=60, cwd=tmp_path
    )
    assert_clean(outcome, allowed=(2,), path_level=True)
    assert "missing/schema.json" in outcome.err
