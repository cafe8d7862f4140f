"""lint and the budget read workloads one way (gitops_gen.k8s.workloads): every pod-template kind is
checked by the lint rules *and* counted by the budget, and an Argo Rollout that cannot fit is caught."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.capacity.budget import analyze
from gitops_gen.capacity.nodes import resolve_cluster
from gitops_gen.k8s.loader import parse_text
from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, containers
from gitops_gen.lint.model import LintOptions
from gitops_gen.lint.run import RunSettings, lint_paths

API = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "ReplicationController": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Pod": "v1",
    "Rollout": "argoproj.io/v1alpha1",
}


def manifest(kind: str, replicas: int = 3, strategy: dict[str, Any] | None = None) -> str:
    """A workload of ``kind`` whose pods request 10Gi (JSON is YAML: the loader reads it as such)."""
    pod: dict[str, Any] = {
        "metadata": {"labels": {"app": "w"}},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example/app:1.0.0",
                    "resources": {"requests": {"cpu": "100m", "memory": "10Gi"}},
                }
            ]
        },
    }
    spec: dict[str, Any]
    if kind == "Pod":
        spec = pod["spec"]
    elif kind == "Job":
        spec = {"template": pod}
    elif kind == "CronJob":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": pod}}}
    elif kind == "DaemonSet":
        spec = {"selector": {"matchLabels": {"app": "w"}}, "template": pod}
    else:
        spec = {"replicas": replicas, "selector": {"matchLabels": {"app": "w"}}, "template": pod}
    if strategy is not None:
        spec["strategy"] = strategy
    body = {
        "apiVersion": API[kind],
        "kind": kind,
        "metadata": {"name": "w", "namespace": "apps"},
        "spec": spec,
    }
    return json.dumps(body, indent=2) + "\n"


def resources_of(text: str) -> list[Resource]:
    return [Resource(d.body, "w.yaml", d.line, d.column, d.index) for d in parse_text(text).documents]


@pytest.mark.parametrize("kind", sorted(POD_TEMPLATE_KINDS))
def test_every_pod_template_kind_is_read_by_lint_and_budget(kind: str) -> None:
    [r] = resources_of(manifest(kind))
    assert [c.name for c in containers(r)] == ["main"]  # what the lint rules check
    cluster = resolve_cluster(None, "64Gi", "16", 1)
    analysis = analyze([r], cluster)
    counted = [w for w in analysis.workloads if w.owner.resource is r]
    assert len(counted) == 1, f"the budget does not count a {kind}"
    w = counted[0]
    assert w.containers[0].requests.memory == 10 * 2**30
    expected = {"DaemonSet": 1, "Job": 1, "CronJob": 1, "Pod": 1}.get(kind, 3)
    assert (w.steady_replicas if not w.per_node else 1) == expected


def test_rollout_that_cannot_fit_is_counted_and_caught(tmp_path: Path) -> None:
    (tmp_path / "rollout.yaml").write_text(manifest("Rollout"), encoding="utf-8")
    [r] = resources_of(manifest("Rollout"))
    analysis = analyze([r], resolve_cluster(None, "12Gi", "4", 1))
    [w] = [w for w in analysis.workloads if w.owner.resource is r]
    assert w.steady_replicas == 3
    assert analysis.simulation is not None and analysis.simulation.pending

    options = LintOptions(cluster=resolve_cluster(None, "12Gi", "4", 1))
    result = lint_paths([tmp_path], RunSettings(options=options, jobs=1))
    budget = [f for f in result.findings if f.rule == "memory-budget"]
    assert budget and budget[0].resource == "Rollout/apps/w"
    assert "Insufficient memory" in budget[0].message


def test_rollout_surge_follows_its_strategy() -> None:
    canary = manifest("Rollout", 4, {"canary": {"maxSurge": 1}})
    blue_green = manifest("Rollout", 4, {"blueGreen": {}})
    cluster = resolve_cluster(None, "640Gi", "64", 1)
    for text, surge in ((canary, 1), (blue_green, 4), (manifest("Rollout"), 1)):  # default canary: 25% of 3
        [r] = resources_of(text)
        [w] = [w for w in analyze([r], cluster).workloads if w.owner.resource is r]
        assert w.surge == surge
