"""Chart profiles against the chart facts they encode (../shared/design/chart-defaults.md).

Each chart: its default workloads, replicas and requests, and what the values paths change. The
citation test checks that every line reference a profile makes appears in chart-defaults.md with
the value the profile uses.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.capacity.model import Owner, Workload
from gitops_gen.capacity.profiles import PROFILES, Profile, evaluate, profile_for, same_version
from gitops_gen.capacity.profiles._base import Footprint, Release
from gitops_gen.capacity.profiles.loki import memcached_memory_mi
from gitops_gen.values import deep_merge

MI = 2**20


def run(
    chart: str, values: dict[str, Any] | None = None, release: str | None = None, namespace: str = "ns"
) -> tuple[Footprint, dict[str, Workload], list[str]]:
    profile = profile_for(chart)
    assert profile is not None
    owner = Owner(label=f"HelmRelease {namespace}/{release or chart}", values_root="values.")
    rel = Release(release or chart, namespace, chart, profile.VERSION, owner)
    fp, problems = evaluate(profile, values or {}, rel)
    return fp, {w.component: w for w in fp.workloads}, problems


# ------------------------------------------------------------------------------------- loki
S3_SCHEMA = {"loki": {"storage": {"type": "s3"}}}


def test_loki_defaults_simple_scalable() -> None:
    fp, w, problems = run("loki", S3_SCHEMA)
    assert not problems
    # SimpleScalable: write/read/backend x3, all without requests (chart-defaults §1)
    for comp, kind in (("write", "StatefulSet"), ("read", "Deployment"), ("backend", "StatefulSet")):
        assert w[comp].kind == kind and w[comp].replicas == 3
        assert w[comp].requests.memory == 0 and w[comp].unbounded
    assert [c.name for c in w["backend"].containers] == ["loki", "loki-sc-rules"]
    assert w["gateway"].kind == "Deployment" and w["gateway"].replicas == 1
    assert w["canary"].kind == "DaemonSet"
    assert "single-binary" not in w
    # memcached caches: computed request = limit, cpu = allocatedCPU, no cpu limit
    chunks = w["chunks-cache"].containers[0]
    assert (chunks.requests.memory, chunks.limits.memory) == (9830 * MI, 9830 * MI)
    assert (chunks.requests.cpu, chunks.limits.cpu) == (500, None)
    assert chunks.path == "chunksCache.allocatedMemory"
    results = w["results-cache"].containers[0]
    assert (results.requests.memory, results.requests.cpu) == (1229 * MI, 500)
    assert [c.name for c in w["chunks-cache"].containers] == ["memcached", "exporter"]
    # the whole default requested footprint is the two caches: 11059Mi and 1000m
    total_mem = sum((x.requests.memory or 0) * x.replicas for x in fp.workloads if not x.per_node)
    assert total_mem == 11059 * MI
    assert w["chunks-cache"].name == "loki-chunks-cache"


@pytest.mark.parametrize(
    ("allocated", "expected"), [(8192, 9830), (1024, 1229), (1, 1), (5, 6), (100, 120), (2048, 2458)]
)
def test_loki_memcached_formula(allocated: int, expected: int) -> None:
    # div (add (mul .allocatedMemory 12) 5) 10 : round(allocatedMemory * 1.2) with integer division
    assert memcached_memory_mi(allocated) == expected
    _, w, _ = run("loki", {"chunksCache": {"allocatedMemory": allocated, "allocatedCPU": "250m"}})
    c = w["chunks-cache"].containers[0]
    assert c.requests.memory == c.limits.memory == expected * MI
    assert c.requests.cpu == 250


def test_loki_cache_resources_replace_the_computation() -> None:
    _, w, _ = run("loki", {"chunksCache": {"resources": {"requests": {"memory": "1Gi", "cpu": "100m"}}}})
    c = w["chunks-cache"].containers[0]
    assert (c.requests.memory, c.requests.cpu, c.limits.memory) == (1024 * MI, 100, None)
    assert c.path == "chunksCache.resources"
    # an empty map is falsy in a Go template: the computation still applies
    _, w, _ = run("loki", {"chunksCache": {"resources": {}}})
    assert w["chunks-cache"].containers[0].requests.memory == 9830 * MI


def test_loki_single_binary_and_cache_toggles() -> None:
    values = {
        "deploymentMode": "SingleBinary",
        "loki": {"storage": {"type": "filesystem"}},
        "singleBinary": {"replicas": 3, "resources": {"requests": {"memory": "512Mi"}}},
        "chunksCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "memcachedExporter": {"enabled": False},
    }
    _, w, _ = run("loki", values)
    # loki.singleBinaryReplicas: 1 without object storage, whatever singleBinary.replicas says
    assert w["single-binary"].replicas == 1
    assert w["single-binary"].requests.memory == 512 * MI
    assert "write" not in w and "chunks-cache" not in w and "canary" not in w
    assert [c.name for c in w["results-cache"].containers] == ["memcached"]
    # caches are not gated by the mode, only by memcached.enabled
    _, w, _ = run("loki", {**values, "memcached": {"enabled": False}})
    assert "results-cache" not in w


def test_loki_fix_mentions_the_spec_when_rendered_from_it() -> None:
    profile = profile_for("loki")
    assert profile is not None
    owner = Owner(
        label="HelmRelease logging/loki", values_root="values.", spec_path="spec.components.logging.loki"
    )
    fp, _ = evaluate(profile, {}, Release("loki", "logging", "loki", "6.55.0", owner))
    chunks = next(w for w in fp.workloads if w.component == "chunks-cache")
    assert "spec.components.logging.loki.chunksCache: false" in chunks.fix
    assert "values.chunksCache.allocatedMemory" in chunks.fix


# ---------------------------------------------------------------------- kube-prometheus-stack
def test_kube_prometheus_stack_defaults() -> None:
    _, w, problems = run("kube-prometheus-stack")
    assert not problems
    # only the Alertmanager container gets a request: 200Mi, injected by the operator
    am = w["alertmanager"]
    assert am.containers[0].requests.memory == 200 * MI
    assert "operator" in am.containers[0].path
    requested = {k: x.requests.memory for k, x in w.items() if not x.transient and x.requests.memory}
    assert requested == {"alertmanager": 200 * MI}
    assert w["operator"].kind == "Deployment" and w["operator"].replicas == 1
    assert w["prometheus"].kind == "StatefulSet" and w["prometheus"].replicas == 1
    assert [c.name for c in w["grafana"].containers] == [
        "grafana",
        "grafana-sc-dashboard",
        "grafana-sc-datasources",
    ]
    assert w["kube-state-metrics"].kind == "Deployment"
    ne = w["node-exporter"]
    assert ne.kind == "DaemonSet" and ne.host_ports == ((9100, "TCP"),)
    assert w["admission-create"].transient and w["admission-patch"].transient
    assert "thanos-ruler" not in w


def test_kube_prometheus_stack_values_paths() -> None:
    values = {
        "alertmanager": {"alertmanagerSpec": {"replicas": 2, "resources": {"requests": {"memory": "64Mi"}}}},
        "prometheus": {
            "prometheusSpec": {
                "replicas": 2,
                "shards": 2,
                "resources": {"requests": {"memory": "1Gi", "cpu": "250m"}},
            }
        },
        "grafana": {"enabled": False},
        "nodeExporter": {"enabled": False},
        "thanosRuler": {"enabled": True},
    }
    _, w, _ = run("kube-prometheus-stack", values)
    assert w["alertmanager"].replicas == 2 and w["alertmanager"].requests.memory == 64 * MI
    assert w["prometheus"].replicas == 4 and w["prometheus"].requests.memory == 1024 * MI
    assert w["prometheus"].resources_path == "prometheus.prometheusSpec.resources"
    assert "grafana" not in w and "node-exporter" not in w
    assert w["thanos-ruler"].requests.memory == 200 * MI


# -------------------------------------------------------------------------------- ingress-nginx
def test_ingress_nginx_defaults() -> None:
    fp, w, _ = run("ingress-nginx")
    c = w["controller"]
    assert c.kind == "Deployment" and c.replicas == 1
    assert (c.requests.cpu, c.requests.memory) == (100, 90 * MI)
    assert c.limits.memory is None and c.limits.cpu is None  # "Ideally, there should be no limits."
    assert [lb.ports for lb in fp.load_balancers] == [((80, "TCP"), (443, "TCP"))]
    assert w["admission-create"].transient and w["admission-patch"].transient
    assert "default-backend" not in w


def test_ingress_nginx_values() -> None:
    fp, w, _ = run(
        "ingress-nginx",
        {
            "controller": {
                "kind": "DaemonSet",
                "service": {"type": "NodePort"},
                "hostPort": {"enabled": True},
            },
            "defaultBackend": {"enabled": True},
        },
    )
    assert w["controller"].kind == "DaemonSet" and w["controller"].host_ports == ((80, "TCP"), (443, "TCP"))
    assert not fp.load_balancers
    assert "default-backend" in w
    _, w, _ = run("ingress-nginx", {"controller": {"autoscaling": {"enabled": True, "maxReplicas": 4}}})
    assert (w["controller"].replicas, w["controller"].max_replicas) == (1, 4)


# -------------------------------------------------------------------------------- cert-manager
def test_cert_manager_defaults() -> None:
    _, w, _ = run("cert-manager")
    for comp in ("controller", "webhook", "cainjector"):
        assert w[comp].kind == "Deployment" and w[comp].replicas == 1 and w[comp].unbounded
    assert w["startupapicheck"].transient
    solver = w["acme-solver"].containers[0]
    assert w["acme-solver"].transient
    assert (solver.requests.cpu, solver.requests.memory, solver.limits.cpu, solver.limits.memory) == (
        10,
        64 * MI,
        100,
        64 * MI,
    )
    _, w, _ = run(
        "cert-manager",
        {"cainjector": {"enabled": False}, "replicaCount": 2, "startupapicheck": {"enabled": False}},
    )
    assert "cainjector" not in w and "startupapicheck" not in w and w["controller"].replicas == 2


# -------------------------------------------------------------------------------- sealed-secrets
def test_sealed_secrets_defaults() -> None:
    _, w, _ = run("sealed-secrets", release="sealed-secrets")
    c = w["controller"]
    assert c.kind == "Deployment" and c.replicas == 1 and c.unbounded
    assert c.name == "sealed-secrets"
    # replicas are hard-coded: no values key changes them
    _, w, _ = run("sealed-secrets", {"replicaCount": 3, "fullnameOverride": "sealed-secrets-controller"})
    assert w["controller"].replicas == 1 and w["controller"].name == "sealed-secrets-controller"
    _, w, _ = run("sealed-secrets", {"createController": False})
    assert not w


# -------------------------------------------------------------------------------- promtail
def test_promtail_defaults() -> None:
    fp, _, _ = run("promtail")
    assert [(x.kind, x.unbounded) for x in fp.workloads] == [("DaemonSet", ["promtail"])]
    fp, _, _ = run(
        "promtail",
        {
            "daemonset": {"enabled": False},
            "deployment": {"enabled": True, "replicaCount": 2},
            "resources": {"requests": {"memory": "128Mi"}},
            "sidecar": {"configReloader": {"enabled": True}},
        },
    )
    [dep] = fp.workloads
    assert dep.kind == "Deployment" and dep.replicas == 2 and dep.requests.memory == 128 * MI
    assert [c.name for c in dep.containers] == ["promtail", "config-reloader"]


# ------------------------------------------------------------------------------------- common
def test_values_merge_like_helm() -> None:
    merged = deep_merge({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 5}, "d": None}, null_deletes=True)
    assert merged == {"a": {"b": 5, "c": 2}}
    _, w, problems = run("loki", {"chunksCache": {"allocatedMemory": "lots"}})
    assert problems and "allocatedMemory" in problems[0]
    _, w, problems = run("ingress-nginx", {"controller": {"resources": {"requests": {"memory": "ninety"}}}})
    assert any("controller.resources" in p for p in problems)
    assert w["controller"].containers[0].requests.memory is None


def test_version_tolerance() -> None:
    assert same_version("v1.21.1", "1.21.1") and same_version("6.55.0", "v6.55.0")
    assert not same_version("6.55.0", "6.x")


def _facts(shared_dir: Path) -> str:
    path = shared_dir / "design" / "chart-defaults.md"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    # the day-2 charts (velero, external-secrets) are not in chart-defaults.md: their facts are ours
    day2 = Path(__file__).resolve().parents[1] / "docs" / "chart-facts-day2.md"
    return path.read_text(encoding="utf-8") + "\n" + day2.read_text(encoding="utf-8")


def _leaves(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        out: list[tuple[str, Any]] = []
        for k, v in node.items():
            out += _leaves(v, f"{prefix}.{k}" if prefix else k)
        return out
    return [(prefix, node)]


#: profiles of charts with defaults (chart-defaults.md); app-template's facts are in app-template.md
SEED_PROFILES = sorted(c for c in PROFILES if c != "app-template")


@pytest.mark.parametrize("chart", SEED_PROFILES)
def test_profile_cites_the_chart_facts(chart: str, shared_dir: Path) -> None:
    """The version and commit of each profile, and each `# L<n>` citation, are in chart-defaults.md."""
    facts = _facts(shared_dir)
    profile: Profile = PROFILES[chart]
    module = importlib.import_module(f"gitops_gen.capacity.profiles.{chart.replace('-', '_')}")
    assert re.search(rf"^\|[ └]*{re.escape(chart)}[^|]*\|[^|]*{re.escape(profile.VERSION)}", facts, re.M), (
        f"{chart} {profile.VERSION} is not in the sources table of chart-defaults.md"
    )
    commit = re.search(r"\(([0-9a-f]{7,})\)", profile.SOURCE)
    assert commit is not None and commit.group(1) in facts, (
        f"{chart}: commit of {profile.SOURCE} not in the facts"
    )
    assert profile.VERSION in (module.__doc__ or ""), "the module docstring names the chart version"
    source = Path(module.__file__).read_text(encoding="utf-8")
    cited = set(re.findall(r"\bL(\d+)\b", source))
    assert cited, f"{chart}: the profile cites no values.yaml lines"
    for ref in cited:
        assert f"L{ref}" in facts, f"{chart}: cites L{ref}, which chart-defaults.md does not mention"
    # the numbers the profile uses are the ones the facts give
    if chart == "loki":
        assert "L3789 `allocatedMemory: 8192`" in facts and "L3672 `allocatedMemory: 1024`" in facts
        assert profile.DEFAULTS["chunksCache"]["allocatedMemory"] == 8192  # type: ignore[index]
        assert "9830Mi" in facts and "1229Mi" in facts
    if chart == "ingress-nginx":
        assert "`cpu: 100m` / `memory: 90Mi`" in facts
        assert profile.DEFAULTS["controller"]["resources"] == {  # type: ignore[index]
            "requests": {"cpu": "100m", "memory": "90Mi"}
        }
    if chart == "kube-prometheus-stack":
        assert 'resource.MustParse("200Mi")' in facts


def test_app_template_profile_cites_its_design_note(shared_dir: Path) -> None:
    note = shared_dir / "design" / "app-template.md"
    if not note.is_file():
        pytest.skip(f"{note} is not present")
    text = note.read_text(encoding="utf-8")
    profile = PROFILES["app-template"]
    assert "app-template.md" in profile.SOURCE
    for version in ("3.7.3", "4.1.1", "5.1.0"):
        assert version in text and version in profile.VERSIONS  # type: ignore[attr-defined]


def test_every_profile_module_is_complete() -> None:
    for chart in SEED_PROFILES:
        profile = PROFILES[chart]
        assert chart == profile.CHART
        assert profile.SOURCE and profile.SPEC_COMPONENT and isinstance(profile.DEFAULTS, dict)
        assert all(path for path, _ in _leaves(profile.DEFAULTS))
        owner = Owner(label="x")
        fp, problems = evaluate(profile, {}, Release(chart, "ns", chart, profile.VERSION, owner))
        assert fp.workloads and not problems


def test_every_profile_module_is_listed_and_loaded_on_demand() -> None:
    """A profile module is imported when its chart is met (a lint without HelmReleases loads none):
    each module of the package is in ``CHARTS`` under its chart name, and is what ``profile_for`` loads."""
    import importlib
    import pkgutil

    from gitops_gen.capacity import profiles

    names = {m.name for m in pkgutil.iter_modules(profiles.__path__)} - {"_base", "flux"}
    assert {c.replace("-", "_") for c in profiles.CHARTS} == names
    for chart in profiles.CHARTS:
        module = importlib.import_module(f"gitops_gen.capacity.profiles.{chart.replace('-', '_')}")
        assert profile_for(chart) is module and chart == module.CHART
    assert profile_for("no-such-chart") is None and profile_for("_base") is None
