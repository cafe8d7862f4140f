"""Real Helm: `--chart-dir` makes the budget take a HelmRelease's pods from `helm template`.

Uses the small chart in tests/charts/tiny. Skips when no helm binary is available (CI installs one
into .ci/bin with .ci/install-tools.sh and puts it on PATH).
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from gitops_gen.capacity.budget import analyze
from gitops_gen.capacity.helm import ChartSource
from gitops_gen.capacity.nodes import Cluster, Node
from gitops_gen.cli import main
from gitops_gen.k8s.loader import parse_text
from gitops_gen.k8s.model import Resource

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "tests" / "charts" / "tiny"
MI = 2**20


@pytest.fixture(autouse=True)
def helm_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("helm"):
        return
    local = REPO / ".ci" / "bin" / "helm"
    if local.is_file() and os.access(local, os.X_OK):
        monkeypatch.setenv("PATH", f"{local.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        return
    pytest.skip("no helm binary: not on PATH and not in .ci/bin (run .ci/install-tools.sh)")


def release(values: str, chart: str = "tiny", name: str = "demo") -> list[Resource]:
    text = textwrap.dedent(f"""
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {{name: {name}, namespace: apps}}
        spec:
          chart: {{spec: {{chart: {chart}, version: 0.1.0, sourceRef: {{kind: HelmRepository, name: r}}}}}}
          values: {values}
        """)
    return [Resource(d.body, "hr.yaml", d.line, d.column, d.index) for d in parse_text(text).documents]


def k3s(memory_gi: int = 8, *disable: str) -> Cluster:
    return Cluster(
        [Node("n1", 4000, memory_gi * 2**30, eviction_memory=100 * MI)], "k3s", "1.34", frozenset(disable)
    )


def test_helm_template_replaces_the_unknown_footprint() -> None:
    objs = release("{replicaCount: 3, autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 5}}")
    a = analyze(objs, k3s(8, "traefik"), charts=None)
    assert [w.unknown for w in a.workloads if w.owner.resource is not None] == [True]
    charts = ChartSource.from_options([f"tiny={CHART}"])
    a = analyze(objs, k3s(8, "traefik"), charts=charts)
    [rep] = a.releases
    assert rep.source.startswith("helm template")
    mine = {w.component: w for w in a.workloads if w.owner.label == "HelmRelease apps/demo"}
    assert set(mine) == {"web", "agent"}  # the helm test hook pod (10Gi) is not run by Flux by default
    web = mine["web"]
    assert (web.kind, web.replicas, web.max_replicas) == ("Deployment", 2, 5)
    assert (web.requests.memory, web.limits.memory, web.requests.cpu) == (256 * MI, 512 * MI, 100)
    assert mine["agent"].per_node and mine["agent"].requests.memory == 64 * MI
    assert web.namespace == "apps"
    t = a.totals(include_system=False)
    assert t.memory == 5 * 256 * MI + 64 * MI


def test_chart_cache_dir_and_values_change_the_result() -> None:
    charts = ChartSource.from_options([str(CHART.parent)])
    assert charts is not None and charts.find("tiny", "0.1.0") == CHART
    a = analyze(
        release("{agent: {enabled: false}, replicaCount: 1, resources: {requests: {memory: 9Gi}}}"),
        k3s(8, "traefik"),
        charts=charts,
    )
    assert a.simulation is not None
    [p] = a.simulation.pending
    assert p.workload.component == "web" and p.message == "0/1 nodes are available: 1 Insufficient memory."


def test_helm_failure_falls_back_to_the_profile() -> None:
    charts = ChartSource.from_options([f"loki={CHART}"])
    a = analyze(release("{failMe: true}", chart="loki", name="loki"), k3s(16, "traefik"), charts=charts)
    [rep] = a.releases
    assert rep.source == "profile loki 6.55.0"
    assert any("helm template failed" in n and "failMe is set" in n for n in rep.notes)
    assert any(w.component == "chunks-cache" for w in a.workloads)


def test_helm_load_balancer_conflicts_with_traefik() -> None:
    charts = ChartSource.from_options([f"tiny={CHART}"])
    a = analyze(release("{service: {type: LoadBalancer}}"), k3s(8), charts=charts)
    assert a.simulation is not None
    [p] = a.simulation.pending
    assert p.workload.name == "svclb-demo-web"
    assert "didn't have free ports" in p.message


def test_lint_and_budget_cli_use_chart_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hr.yaml").write_text(
        textwrap.dedent("""
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: demo, namespace: apps}
        spec:
          interval: 10m
          chart: {spec: {chart: tiny, version: 0.1.0, sourceRef: {kind: HelmRepository, name: r}}}
          values: {replicaCount: 4, resources: {requests: {memory: 3Gi, cpu: 100m}}}
        """),
        encoding="utf-8",
    )
    argv = [
        str(tmp_path / "hr.yaml"),
        "--node-memory",
        "8Gi",
        "--node-cpu",
        "4",
        "--chart-dir",
        f"tiny={CHART}",
    ]
    with pytest.raises(SystemExit) as exc:
        main(["budget", *argv, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1
    [p] = data["pending"]
    assert (p["component"], p["pods"], p["of"]) == ("web", 2, 4)
    with pytest.raises(SystemExit) as exc:
        main(["lint", *argv, "--format", "json", "--no-cache"])
    findings = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule"] == "memory-budget"]
    assert exc.value.code == 1
    assert any("2 of 4 pods" in f["message"] and f["severity"] == "error" for f in findings), findings
