"""Capacity model: pod requests, plain workloads, HelmReleases, nodes and the scheduling simulation."""

from __future__ import annotations

import textwrap

import pytest

from gitops_gen.capacity.budget import Analysis, analyze
from gitops_gen.capacity.manifests import workload_of
from gitops_gen.capacity.model import Container, Owner, Res, Workload, parse_resources
from gitops_gen.capacity.nodes import Cluster, Node, default_eviction, from_sizes
from gitops_gen.capacity.simulate import scheduler_message, simulate
from gitops_gen.errors import UserError
from gitops_gen.k8s.loader import parse_text
from gitops_gen.k8s.model import ObjectIndex, Resource
from gitops_gen.k8s.workloads import int_or_percent, scaled

MI = 2**20
GI = 2**30


def resources(text: str) -> list[Resource]:
    parsed = parse_text(textwrap.dedent(text))
    assert not parsed.problems
    return [Resource(d.body, "test.yaml", d.line, d.column, d.index) for d in parsed.documents]


def deployment(
    name: str,
    *,
    replicas: int | None = 1,
    cpu: str = "100m",
    memory: str = "128Mi",
    namespace: str = "apps",
    extra: str = "",
) -> str:
    rep = f"\n  replicas: {replicas}" if replicas is not None else ""
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:{rep}{extra}
  template:
    spec:
      containers:
        - name: app
          resources: {{requests: {{cpu: {cpu}, memory: {memory}}}}}
"""


def cluster(
    *nodes: tuple[str, str],
    distribution: str = "kubernetes",
    disable: frozenset[str] = frozenset(),
    version: str = "1.34",
) -> Cluster:
    from gitops_gen.quantity import cpu_millis, memory_bytes

    evict = default_eviction(distribution, version)
    return Cluster(
        [
            Node(f"n{i + 1}", cpu_millis(c), memory_bytes(m), eviction_memory=evict)
            for i, (c, m) in enumerate(nodes)
        ],
        distribution,
        version,
        disable,
    )


# ---------------------------------------------------------------------------------- pod requests
def test_effective_pod_requests_follow_the_scheduler() -> None:
    w = Workload(
        "w",
        "w",
        "Deployment",
        "ns",
        Owner("x"),
        containers=[
            Container("a", Res(100, 100 * MI)),
            Container("b", Res(50, 50 * MI)),
            Container("init-big", Res(500, 10 * MI), init=True),
            Container("sidecar", Res(10, 20 * MI), init=True, sidecar=True),
        ],
    )
    # cpu: max(100+50+10, 500+10 (sidecar started before? no: it is listed after)) ; memory: 170Mi
    assert w.requests == Res(500, 170 * MI)
    # a container with a limit but no request gets the limit as request (API defaulting)
    req, lim, problems = parse_resources({"limits": {"cpu": "1", "memory": "1Gi"}})
    assert (req, lim, problems) == (Res(1000, GI), Res(1000, GI), [])
    _, _, problems = parse_resources({"requests": {"memory": "lots"}})
    assert problems == ["requests.memory 'lots' is not a quantity"]
    # limits: unlimited when any container has none
    assert w.limits == Res(None, None)


@pytest.mark.parametrize(
    ("value", "total", "up", "expected"),
    [
        (None, 5, True, 2),
        ("25%", 4, True, 1),
        ("25%", 1, True, 1),
        ("25%", 1, False, 0),
        (2, 9, True, 2),
        ("50%", 5, False, 2),
        ("x", 5, True, 0),
    ],
)
def test_int_or_percent(value: object, total: int, up: bool, expected: int) -> None:
    parsed = int_or_percent("25%" if value is None else value)
    assert (max(scaled(parsed, total, round_up=up), 0) if parsed is not None else 0) == expected


# ---------------------------------------------------------------------------------- manifests
def test_plain_workloads() -> None:
    objs = resources(
        deployment("web", replicas=None)
        + """
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: apps}
spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 5}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: apps}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: a, ports: [{containerPort: 9100}], resources: {limits: {memory: 64Mi}}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: apps}
spec:
  jobTemplate:
    spec:
      parallelism: 2
      template: {spec: {containers: [{name: b, resources: {requests: {memory: 1Gi}}}]}}
---
apiVersion: v1
kind: Pod
metadata: {name: owned, namespace: apps, ownerReferences: [{kind: ReplicaSet, name: x}]}
spec: {containers: [{name: c}]}
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: main, namespace: mon}
spec: {replicas: 2}
"""
    )
    index = ObjectIndex(objs)
    ws = {r.name: workload_of(r, index) for r in objs if r.kind != "HorizontalPodAutoscaler"}
    web = ws["web"]
    assert web is not None and (web.replicas, web.max_replicas, web.steady_replicas) == (2, 5, 5)
    assert web.surge == 2  # 25% of 5, rounded up
    agent = ws["agent"]
    assert agent is not None and agent.per_node and agent.host_ports == ((9100, "TCP"),)
    assert agent.requests.memory == 64 * MI and agent.surge == 0
    backup = ws["backup"]
    assert backup is not None and backup.transient and backup.replicas == 2
    assert ws["owned"] is None
    am = ws["main"]
    assert am is not None and am.kind == "StatefulSet" and am.replicas == 2 and am.requests.memory == 200 * MI


def test_recreate_has_no_surge_and_bad_fields_do_not_crash() -> None:
    objs = resources(
        deployment("a", replicas=3, extra="\n  strategy: {type: Recreate}")
        + """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b}
spec: {replicas: "many", template: {spec: {containers: [{name: c, resources: {requests: {cpu: [1]}}}, 7]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: c}
spec: {template: {spec: {containers: "nope"}}}
"""
    )
    ws = [workload_of(r, ObjectIndex(objs)) for r in objs]
    assert ws[0] is not None and ws[0].surge == 0 and ws[0].replicas == 3
    assert ws[1] is not None and ws[1].replicas == 1 and ws[1].notes
    assert ws[2] is None


# ---------------------------------------------------------------------------------- HelmReleases
HR = """
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: {name}, namespace: {ns}}}
spec:
  chart: {{spec: {{chart: {chart}, version: "{version}", sourceRef: {{kind: HelmRepository, name: r}}}}}}
  values: {values}
"""


def hr(name: str, chart: str, version: str, values: str = "{}", ns: str = "logging") -> str:
    return HR.format(name=name, chart=chart, version=version, values=values, ns=ns)


def test_helmrelease_profile_unknown_and_version_warning() -> None:
    objs = resources(
        hr("loki", "loki", "6.x", "{chunksCache: {allocatedMemory: 1024}}")
        + hr("podinfo", "podinfo", "6.5.0", ns="apps")
    )
    a = analyze(objs, cluster(("4", "12Gi")))
    chunks = next(w for w in a.workloads if w.component == "chunks-cache")
    assert chunks.requests.memory == 1229 * MI
    assert chunks.owner.label == "HelmRelease logging/loki"
    unknown = [w for w in a.workloads if w.unknown]
    assert [w.owner.label for w in unknown] == ["HelmRelease apps/podinfo"]
    assert a.totals().unknown == ["HelmRelease apps/podinfo"]
    notes = {rep.info.chart: rep.notes for rep in a.releases}
    assert any("6.x differs from the profiled 6.55.0" in n for n in notes["loki"])


def test_helmrelease_values_from_configmap_and_oci_chart_ref() -> None:
    objs = resources("""
---
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata: {name: loki-chart, namespace: logging}
spec: {url: "oci://ghcr.io/grafana/helm-charts/loki", ref: {tag: 6.55.0}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: loki-values, namespace: logging}
data:
  values.yaml: |
    chunksCache:
      allocatedMemory: 2048
    resultsCache:
      enabled: false
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: logs, namespace: logging}
spec:
  chartRef: {kind: OCIRepository, name: loki-chart}
  targetNamespace: observability
  valuesFrom:
    - {kind: ConfigMap, name: loki-values}
    - {kind: Secret, name: missing}
  values: {chunksCache: {replicas: 2}}
""")
    a = analyze(objs, None)
    [rep] = a.releases
    assert (rep.info.chart, rep.info.version) == ("loki", "6.55.0")
    assert rep.info.release.name == "observability-logs" and rep.info.release.namespace == "observability"
    chunks = next(w for w in a.workloads if w.component == "chunks-cache")
    assert chunks.requests.memory == (2458 + 0) * MI and chunks.replicas == 2
    assert chunks.namespace == "observability"
    assert not any(w.component == "results-cache" for w in a.workloads)
    assert any("Secret logging/missing is not among the inputs" in n for n in rep.notes)


def test_helmrelease_values_from_a_secrets_base64_data() -> None:
    """A Secret's ``data`` is base64: decoded before its values are merged; a value that is not base64
    (or not UTF-8 once decoded) is said in a note, not a crash, and its values are left out."""
    import base64

    good = base64.b64encode(b"chunksCache:\n  allocatedMemory: 4096\n").decode()
    binary = base64.b64encode(b"\xff\xfe").decode()
    secret = f"""
---
apiVersion: v1
kind: Secret
metadata: {{name: loki-values, namespace: logging}}
data: {{values.yaml: {good}, broken: "%%%not-base64", binary: {binary}}}
"""
    release = """
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: {name}, namespace: logging}}
spec:
  chart: {{spec: {{chart: loki, version: "6.55.0", sourceRef: {{kind: HelmRepository, name: r}}}}}}
  valuesFrom: [{{kind: Secret, name: loki-values, valuesKey: {key}}}]
"""
    a = analyze(resources(secret + release.format(name="loki", key="values.yaml")), None)
    chunks = next(w for w in a.workloads if w.component == "chunks-cache")
    assert chunks.requests.memory == 4915 * MI  # 4096 MiB allocated, + the chart's 20%
    for key in ("broken", "binary"):
        [rep] = analyze(resources(secret + release.format(name=key, key=key)), None).releases
        assert any(f"has no key {key!r}" in n for n in rep.notes), rep.notes


# ---------------------------------------------------------------------------------- nodes
def test_node_allocatable_defaults_and_flags() -> None:
    assert default_eviction("k3s", "1.34") == 100 * MI
    assert default_eviction("k3s", "v1.31") == 0
    assert default_eviction("kubernetes", "1.20") == 100 * MI
    n = Node("a", 4000, 12 * GI, reserved_cpu=500, reserved_memory=GI, eviction_memory=100 * MI)
    assert (n.allocatable_cpu, n.allocatable_memory) == (3500, 11 * GI - 100 * MI)
    c = from_sizes("8Gi", "2", 3)
    assert [x.allocatable_memory for x in c.nodes] == [8 * GI - 100 * MI] * 3
    with pytest.raises(UserError):
        from_sizes("eight", "2", 1)
    with pytest.raises(UserError):
        from_sizes("8Gi", None, 1)


def test_k3s_add_ons_and_disable() -> None:
    a = analyze([], cluster(("4", "12Gi"), distribution="k3s"))
    names = sorted(w.name for w in a.workloads)
    assert names == ["coredns", "local-path-provisioner", "metrics-server", "svclb-traefik", "traefik"]
    t = a.totals()
    assert (t.cpu, t.memory) == (200, 140 * MI)  # CoreDNS + metrics-server (k3s-facts §1)
    a = analyze(
        [],
        cluster(
            ("4", "12Gi"),
            distribution="k3s",
            disable=frozenset({"traefik", "metrics-server", "coredns", "local-storage"}),
        ),
    )
    assert not a.workloads


def test_traefik_svclb_holds_80_443_so_ingress_nginx_lb_stays_pending() -> None:
    objs = resources(hr("ingress-nginx", "ingress-nginx", "4.15.1", ns="ingress-nginx"))
    a = analyze(objs, cluster(("4", "12Gi"), distribution="k3s"))
    assert a.simulation is not None
    [p] = a.simulation.pending
    assert p.workload.name == "svclb-ingress-nginx-controller"
    assert (
        p.message == "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports."
    )
    assert "--disable=traefik" in p.workload.fix
    # a port conflict is worded as one: the ports, and only the ports fix (no "lower the requests")
    from gitops_gen.capacity.report import fix_text, pending_text

    text = pending_text(p, a)
    assert "host port(s) 80/TCP, 443/TCP" in text and "Each requests" not in text
    assert fix_text(p.workload, p) == p.workload.fix
    assert "lower the requests" not in fix_text(p.workload, p)
    # with Traefik disabled, the ingress-nginx svclb binds 80/443
    a = analyze(objs, cluster(("4", "12Gi"), distribution="k3s", disable=frozenset({"traefik"})))
    assert a.simulation is not None and not a.simulation.pending
    # with ServiceLB disabled, nothing binds the ports, but the Service gets no external IP
    a = analyze(objs, cluster(("4", "12Gi"), distribution="k3s", disable=frozenset({"servicelb"})))
    assert a.simulation is not None and not a.simulation.pending
    assert any("ServiceLB is disabled" in n for n in a.notes)


# ---------------------------------------------------------------------------------- simulation
def test_scheduler_message_format() -> None:
    assert (
        scheduler_message(1, {"Insufficient memory": 1}) == "0/1 nodes are available: 1 Insufficient memory."
    )
    assert scheduler_message(
        3,
        {
            "Insufficient memory": 2,
            "Insufficient cpu": 1,
            "node(s) didn't match Pod's node affinity/selector": 1,
        },
    ) == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, "
        "2 Insufficient memory."
    )


def test_two_nodes_sum_fits_but_one_pod_fits_no_node() -> None:
    objs = resources(
        deployment("big", memory="9Gi", cpu="100m") + deployment("small", replicas=6, memory="1Gi")
    )
    cl = cluster(("4", "8Gi"), ("4", "8Gi"))
    a = analyze(objs, cl)
    t = a.totals()
    assert t.memory == 15 * GI < cl.allocatable_memory  # the sum fits ...
    assert a.simulation is not None
    [p] = a.simulation.pending  # ... but the 9Gi pod fits on no node
    assert (p.workload.name, p.count, p.total) == ("big", 1, 1)
    assert p.message == "0/2 nodes are available: 2 Insufficient memory."
    placed = [s.placed for s in a.simulation.nodes]
    assert sum(sum(c.values()) for c in placed) == 6


def test_single_node_overflow_leaves_the_largest_pod_pending() -> None:
    objs = resources(
        deployment("cache", memory="9830Mi", cpu="500m") + deployment("app", replicas=8, memory="400Mi")
    )
    a = analyze(objs, cluster(("4", "12Gi")))
    assert a.simulation is not None
    [p] = a.simulation.pending
    assert p.workload.name == "cache" and p.message == "0/1 nodes are available: 1 Insufficient memory."


def test_largest_first_packs_what_fits_and_reports_cpu() -> None:
    objs = resources(
        deployment("a", replicas=3, cpu="1500m", memory="1Gi")
        + deployment("b", replicas=2, cpu="900m", memory="1Gi")
    )
    a = analyze(objs, cluster(("2", "8Gi"), ("2", "8Gi")))
    assert a.simulation is not None
    # 4 CPU in all: the most pods that fit are b, b and one a (3.3 CPU); the other two 1500m pods give way
    assert {(p.workload.name, p.count) for p in a.simulation.pending} == {("a", 2)}
    assert a.simulation.pending[0].message == "0/2 nodes are available: 2 Insufficient cpu."
    assert sorted(s.cpu for s in a.simulation.nodes) == [1500, 1800]


def test_daemonsets_per_node_and_hpa_and_rollouts() -> None:
    objs = resources(
        deployment("web", replicas=None, memory="1Gi")
        + """
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: apps}
spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 6}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: apps}
spec: {template: {spec: {containers: [{name: a, resources: {requests: {memory: 512Mi}}}]}}}
"""
    )
    a = analyze(objs, cluster(("2", "4Gi"), ("2", "4Gi")))
    t = a.totals()
    assert t.pods == 6 + 2 and t.memory == 6 * GI + 2 * 512 * MI
    assert a.simulation is not None
    # 2 x (4Gi - 100Mi - 512Mi) = 2 x 3484Mi: 3 pods of 1Gi per node fit, the HPA's 6 all run
    assert not a.simulation.pending
    # the rollout surge (2 more pods at 6 replicas) does not fit: transient, not steady
    [tp] = a.simulation.transient
    assert tp.phase == "rollout" and tp.workload.name == "web" and tp.count == 2


def test_hpa_extra_replicas_reported_as_autoscaling_phase() -> None:
    objs = resources(
        deployment("web", replicas=None, memory="2Gi")
        + """
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: apps}
spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 2, maxReplicas: 10}
"""
    )
    a = analyze(objs, cluster(("4", "8Gi")))
    assert a.simulation is not None
    [p] = a.simulation.pending
    assert p.phase == "autoscaling" and p.count == 7 and p.total == 8


def test_pod_count_limit() -> None:
    objs = resources(deployment("many", replicas=120, memory="1Mi", cpu="1m"))
    a = analyze(objs, cluster(("64", "512Gi")))
    assert a.simulation is not None
    [p] = a.simulation.pending
    assert p.count == 10 and p.message == "0/1 nodes are available: 1 Too many pods."


def test_simulation_cost_is_linear_in_pods() -> None:
    """10,000 small workloads on 3 nodes: one pass each (no pairwise loops), identical results twice."""
    objs = resources("".join(deployment(f"d{i}", memory="1Mi", cpu="1m") for i in range(300)))
    cl = cluster(("8", "32Gi"), ("8", "32Gi"), ("8", "32Gi"))
    a1, a2 = analyze(objs, cl), analyze(objs, cl)
    assert a1.simulation is not None and a2.simulation is not None
    assert [s.pods for s in a1.simulation.nodes] == [s.pods for s in a2.simulation.nodes]
    assert sum(s.pods for s in a1.simulation.nodes) == 300


def _first_pending(a: Analysis) -> str:
    assert a.simulation is not None
    return a.simulation.pending[0].message if a.simulation.pending else ""


def test_pinned_daemonset_pod_reports_affinity_on_other_nodes() -> None:
    objs = resources("""
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: huge, namespace: x}
spec: {template: {spec: {containers: [{name: a, resources: {requests: {memory: 20Gi}}}]}}}
""")
    a = analyze(objs, cluster(("2", "8Gi"), ("2", "8Gi")))
    assert _first_pending(a) == (
        "0/2 nodes are available: 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector."
    )
    assert a.simulation is not None and a.simulation.pending[0].count == 2


def test_simulate_without_nodes_is_skipped() -> None:
    a = analyze(resources(deployment("x")), None)
    assert a.simulation is None
    assert simulate([], Cluster([])).pending == []


def test_hostile_replica_counts_are_bounded() -> None:
    """A billion replicas, a huge maxSurge or parallelism: counted, not simulated one by one."""
    objs = resources(
        deployment("huge", replicas=1_000_000_000, memory="1Mi", cpu="1m")
        + """
---
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: apps}
spec: {parallelism: 5000000, template: {spec: {containers: [{name: a}]}}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: loki}
spec:
  chart: {spec: {chart: loki}}
  valuesFrom: "oops"
  values: {chunksCache: {replicas: 99999999999, resources: [1, 2]}, singleBinary: "x", deploymentMode: [1]}
"""
    )
    a = analyze(objs, cluster(("2", "8Gi")))
    assert a.simulation is not None
    huge = next(p for p in a.simulation.pending if p.workload.name == "huge")
    assert huge.message == "0/1 nodes are available: 1 Too many pods."
    assert a.simulation.nodes[0].pods == 110  # the node is full (kubelet maxPods) ...
    assert 1_000_000_000 - 110 <= huge.count < 1_000_000_000  # ... and every other replica is counted
    job = next(p for p in a.simulation.transient if p.workload.name == "j")
    assert job.count == 5_000_000 - 0 and job.total == 5_000_000
    [rep] = a.releases
    assert any("resources is a list" in n for n in rep.notes)


def test_a_report_sums_the_nodes_once_not_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget of 1,000 nodes costs about what one of 10 does: the cluster's allocatable (a sum over its
    nodes) is taken once per report, not once per workload row (it was 1.6 million node reads for 1,618
    workloads on 1,000 nodes)."""
    from gitops_gen.capacity import nodes, report
    from gitops_gen.capacity.budget import analyze
    from gitops_gen.k8s.loader import parse_text
    from gitops_gen.k8s.model import Resource

    deploy = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{i}, namespace: ns}}\n"
        "spec:\n  replicas: 2\n  selector: {{matchLabels: {{app: w{i}}}}}\n"
        "  template:\n    metadata: {{labels: {{app: w{i}}}}}\n    spec:\n      containers:\n"
        "        - {{name: c, image: nginx:1.27, resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}\n"
    )
    resources = [
        Resource(d.body, "x.yaml", d.line, d.column, 0)
        for i in range(40)
        for d in parse_text(deploy.format(i=i)).documents
    ]
    cluster = nodes.from_sizes("16Gi", "4", 50)
    reads = {"n": 0}
    per_node = nodes.Node.allocatable_cpu

    def counted(self: nodes.Node) -> int:
        reads["n"] += 1
        return per_node.fget(self)  # type: ignore[misc]

    monkeypatch.setattr(nodes.Node, "allocatable_cpu", property(counted))
    a = analyze(resources, cluster)
    reads["n"] = 0
    for fmt in ("json", "text"):
        report.render(a, fmt)
    assert sum(1 for w in a.workloads if w.name.startswith("w")) == 40
    assert reads["n"] <= 10 * len(cluster.nodes), reads  # a few sums of the 50 nodes, not one per row
