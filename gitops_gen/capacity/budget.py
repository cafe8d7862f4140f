"""The budget: every workload the manifests will run, their requests and limits against allocatable.

:func:`analyze` is the one entry point shared by ``gitops-gen budget`` and the ``memory-budget`` /
``cpu-budget`` lint rules. It looks at each object once:

* HelmRelease -> ``helm template`` of a local chart when one is given (:mod:`.helm`), else the
  chart's profile (:mod:`.profiles`) on the defaults merged with the release's values, else an
  *unknown footprint* row (never zero);
* Deployment, StatefulSet, DaemonSet, ... -> :mod:`.manifests` (HPA targets at ``maxReplicas``);
* Services of type LoadBalancer -> K3s ServiceLB DaemonSets (host ports);
* the distribution's add-ons (:mod:`.nodes`), and Flux's own controllers when the inputs sync
  from ``flux-system`` but ``flux bootstrap`` has not committed them yet (:mod:`.profiles.flux`),

then runs the scheduling simulation (:mod:`.simulate`) when the nodes are known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct, field

from gitops_gen.capacity import manifests
from gitops_gen.capacity.model import Container, Owner, Res, Workload
from gitops_gen.capacity.nodes import Cluster, svclb_workload, system_workloads
from gitops_gen.capacity.profiles import evaluate, profile_for, supports
from gitops_gen.capacity.profiles._base import LoadBalancer
from gitops_gen.capacity.profiles.flux import bootstrap_workloads
from gitops_gen.capacity.releases import Lookup, ReleaseInfo, describe
from gitops_gen.capacity.simulate import Simulation, simulate
from gitops_gen.charts.backend import SDK
from gitops_gen.charts.sources import ChartRef, chart_ref
from gitops_gen.k8s import app_template
from gitops_gen.k8s.model import ObjectIndex, Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, scalers_by_target

if TYPE_CHECKING:
    from gitops_gen.capacity.helm import ChartSource
    from gitops_gen.spec.facts import PlatformFacts

RELEASE_KINDS = ("HelmRelease",)
UNKNOWN = "unknown footprint"


class ReleaseReport(Struct):
    """How one HelmRelease's footprint was found (chart profile, ``helm template``, or unknown) and what to note about it."""

    info: ReleaseInfo
    source: str  # "profile loki 6.55.0" | "helm template DIR" | "unknown footprint"
    notes: list[str] = field(default_factory=list)


class Analysis(Struct):
    """What the capacity model found in one input: its workloads, load balancers, Helm releases, and the scheduling simulation on the cluster's nodes (when known)."""

    workloads: list[Workload]
    load_balancers: list[LoadBalancer]
    releases: list[ReleaseReport]
    cluster: Cluster | None
    simulation: Simulation | None
    notes: list[str] = field(default_factory=list)

    @property
    def not_counted(self) -> list[ReleaseReport]:
        """HelmReleases whose pods are not in the totals (unknown footprint)."""
        return [r for r in self.releases if r.source == UNKNOWN]

    def counted_phrase(self) -> str:
        """``"37 of 79 HelmReleases not counted"`` (``""`` when every release is counted)."""
        n, m = len(self.not_counted), len(self.releases)
        return f"{n} of {m} HelmRelease{'s' if m != 1 else ''} not counted" if n else ""

    @property
    def node_count(self) -> int:
        return len(self.cluster.nodes) if self.cluster is not None else 1

    def totals(self, *, include_system: bool = True) -> Totals:
        t = Totals()
        n = self.node_count
        for w in self.workloads:
            if w.transient or (w.system and not include_system):
                continue
            pods = w.pods(n)
            if w.unknown:
                t.unknown.append(w.owner.label)
                continue
            r, lim = w.requests, w.limits
            t.pods += pods
            t.cpu += pods * (r.cpu or 0)
            t.memory += pods * (r.memory or 0)
            if lim.cpu is None:
                t.cpu_unlimited += pods
            else:
                t.cpu_limit += pods * lim.cpu
            if lim.memory is None:
                t.memory_unlimited += pods
            else:
                t.memory_limit += pods * lim.memory
            if w.unbounded and pods:
                t.unbounded.append(w)
            if w.surge and not w.system:
                surge = w.surge * (n if w.per_node else 1)
                if surge * (r.memory or 0) >= t.surge_memory:
                    t.surge_memory = surge * (r.memory or 0)
                    t.surge_cpu = surge * (r.cpu or 0)
                    t.surge_workload = w
        return t


class Totals(Struct):
    """Sums over workloads: pods, requests and limits (millicores, bytes), and what could not be counted."""

    pods: int = 0
    cpu: int = 0
    memory: int = 0
    cpu_limit: int = 0
    memory_limit: int = 0
    cpu_unlimited: int = 0  # pods with a container without a CPU limit
    memory_unlimited: int = 0
    unbounded: list[Workload] = field(default_factory=list)  # no memory request somewhere
    unknown: list[str] = field(default_factory=list)
    surge_cpu: int = 0  # the largest single rollout's extra pods
    surge_memory: int = 0
    surge_workload: Workload | None = None


def analyze(
    resources: list[Resource],
    cluster: Cluster | None,
    *,
    platform: PlatformFacts | None = None,
    charts: ChartSource | None = None,
    index: ObjectIndex | None = None,
) -> Analysis:
    """Everything the capacity model knows about ``resources`` (partial objects excluded).

    ``charts``: a :class:`gitops_gen.capacity.helm.ChartSource` for ``helm template``, or None.
    ``index``: an index already built over ``resources`` (lint's Context), not built again.
    """
    resources = [r for r in resources if not r.partial]
    index = index if index is not None else ObjectIndex(resources)
    workloads: list[Workload] = []
    lbs: list[LoadBalancer] = []
    releases: list[ReleaseReport] = []
    notes: list[str] = []
    if cluster is not None:
        sys_w, sys_lbs = system_workloads(cluster)
        workloads.extend(sys_w)
        lbs.extend(sys_lbs)
    for r in resources:
        kind = r.kind
        if kind in POD_TEMPLATE_KINDS or kind in manifests.OPERATOR_KINDS:
            w = manifests.workload_of(r, index)
            if w is not None:
                workloads.append(w)
        elif kind == "HelmRelease":
            rep, wl, rl = _release(r, index.find, platform, charts, cluster)
            releases.append(rep)
            _external_autoscalers(wl, index)
            workloads.extend(wl)
            lbs.extend(rl)
        elif kind == "Service":
            lb = manifests.load_balancer_of(r)
            if lb is not None:
                lbs.append(lb)
    workloads.extend(bootstrap_workloads(resources))  # Flux's controllers, before `flux bootstrap` wrote them
    if cluster is not None and cluster.k3s:
        if cluster.servicelb:
            workloads.extend(svclb_workload(lb) for lb in lbs)
        elif any(lb.owner.resource is not None for lb in lbs):
            notes.append(
                "K3s ServiceLB is disabled: LoadBalancer Services get no external IP unless "
                "another load balancer (e.g. MetalLB) serves them"
            )
    sim = simulate(workloads, cluster) if cluster is not None and cluster.nodes else None
    return Analysis(workloads, lbs, releases, cluster, sim, notes)


def _release(
    hr: Resource,
    lookup: Lookup,
    platform: PlatformFacts | None,
    charts: ChartSource | None,
    cluster: Cluster | None,
) -> tuple[ReleaseReport, list[Workload], list[LoadBalancer]]:
    """One HelmRelease, by the first of: ``helm template`` of its chart (cache or ``--chart-dir``),
    the chart's profile, app-template's layout (chart not identified), else an unknown footprint."""
    info = describe(hr, lookup, platform)
    notes = list(info.notes)
    if info.chart and charts is not None:
        ref, _ = chart_ref(hr, lookup)
        chart_dir = charts.find(info.chart, info.version, ref)
        if chart_dir is not None:
            from gitops_gen.capacity import helm

            try:
                wl, lbs = helm.footprint(info, chart_dir, cluster, charts.helm)
            except helm.HelmError as exc:
                notes.append(f"helm template failed, falling back: {exc}")
            else:
                label = str(chart_dir)
                if charts.cache is not None and chart_dir.is_relative_to(charts.cache.root):
                    label = f"{info.chart} {_cached_version(charts, ref)} (chart cache)"
                if charts.helm == SDK:
                    notes.append(
                        f"rendered by {SDK} (no helm binary): templates that depend on the Kubernetes "
                        "version saw Helm's default, not the cluster's"
                    )
                return ReleaseReport(info, f"helm template {label}", notes), wl, lbs
        elif charts.cache is not None:
            notes.append(
                f"chart {info.chart} {info.version} is not in the chart cache (run `gitops-gen charts pull`)"
            )
    profile = profile_for(info.chart) if info.chart else None
    if profile is None and app_template.looks_like(info.values) and not info.chart:
        profile = profile_for("app-template")
        notes.append(
            "chart not identified, but the values follow app-template's layout: read as app-template"
        )
    if profile is None:
        what = f"chart {info.chart!r}" if info.chart else "its chart"
        w = Workload(
            name=hr.name,
            component="(unknown footprint)",
            kind="HelmRelease",
            namespace=info.release.namespace,
            owner=info.release.owner,
            unknown=True,
            containers=[Container("?", Res(), Res())],
            notes=[
                f"no profile for {what}: footprint unknown (not counted as zero); "
                "run `gitops-gen charts pull` (or pass --chart-dir NAME=DIR) to render it with helm"
            ],
        )
        return ReleaseReport(info, UNKNOWN, notes), [w], []
    if info.version and not supports(profile, info.version):
        notes.append(
            f"chart version {info.version} differs from the profiled "
            f"{getattr(profile, 'VERSIONS', profile.VERSION)}: its defaults may differ "
            "(run `gitops-gen charts pull` to use the real chart)"
        )
    fp, problems = evaluate(profile, info.values, info.release)
    notes.extend(problems)
    notes.extend(fp.notes)
    if profile.CHART == "app-template":
        source = f"app-template values ({info.version or 'version unknown'})"
    else:
        source = f"profile {profile.CHART} {profile.VERSION}"
    return ReleaseReport(info, source, notes), fp.workloads, fp.load_balancers


def _external_autoscalers(workloads: list[Workload], index: ObjectIndex) -> None:
    """A chart's Deployment/StatefulSet scaled by an HPA (or KEDA ScaledObject) of the inputs, not the
    chart's (app-template's ``replicas: null`` idiom, §2.5): counted at the autoscaler's maximum."""
    targets = scalers_by_target(index)
    for w in workloads:
        if w.max_replicas is not None or w.kind not in ("Deployment", "StatefulSet") or w.unknown:
            continue
        found = targets.get((w.namespace, w.kind, w.name)) or targets.get(("", w.kind, w.name))
        if not found or found[0].max_replicas is None:
            continue
        s, top = found[0], found[0].max_replicas
        w.replicas = s.min_replicas if s.min_replicas is not None else w.replicas
        w.max_replicas = top
        w.scaler = s.resource
        if w.surge:  # RollingUpdate: 25% of the largest count, rounded up
            w.surge = -(-25 * top // 100)
        w.notes = [n for n in w.notes if "replicas is null" not in n]
        w.notes.append(
            f"scaled by {s.resource.kind} {s.resource.name} of the inputs: {w.replicas}-{s.max_replicas}"
        )


def _cached_version(charts: ChartSource, ref: ChartRef | None) -> str:
    hit = charts.cache.lookup(ref) if ref is not None and charts.cache is not None else None
    return str(hit[1].version) if hit is not None else ""


def group_rows(analysis: Analysis) -> list[tuple[Owner, list[Workload]]]:
    """Workloads grouped by owner, in a stable order (add-ons first, then by owner label)."""
    groups: dict[str, tuple[Owner, list[Workload]]] = {}
    for w in analysis.workloads:
        groups.setdefault(w.owner.key, (w.owner, []))[1].append(w)
    return sorted(groups.values(), key=lambda g: (g[0].resource is not None, g[1][0].namespace, g[0].key))


def workload_key(w: Workload) -> str:
    """A workload's identity across two analyses (``diff``): owner, kind, namespace and name."""
    return f"{w.owner.label}: {w.kind} {w.namespace}/{w.name}"


def demands(a: Analysis) -> dict[str, tuple[int, int, int]]:
    """Per workload (:func:`workload_key`): the CPU (millicores), memory (bytes) and pods its steady
    state requests (HPA at maxReplicas, DaemonSets once per node); transient and unknown ones left out."""
    n = a.node_count
    out: dict[str, tuple[int, int, int]] = {}
    for w in a.workloads:
        if w.transient or w.unknown:
            continue
        pods, r = w.pods(n), w.requests
        out[workload_key(w)] = (pods * (r.cpu or 0), pods * (r.memory or 0), pods)
    return out
