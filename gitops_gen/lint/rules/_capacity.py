"""The capacity model as lint hits, for the ``memory-budget`` and ``cpu-budget`` rules (the adapter
from :mod:`gitops_gen.capacity` results to lint hits lives here, with the rules: capacity knows no lint).

One analysis per lint run (``ctx.memo``), shared by both rules. Nothing is reported when no node
size is known (no platform spec nodes, no ``--node-memory``/``--node-cpu``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from msgspec import Struct

from gitops_gen.capacity.budget import Analysis, analyze, workload_key
from gitops_gen.capacity.model import Workload
from gitops_gen.capacity.nodes import K3S_SERVER_OVERHEAD
from gitops_gen.capacity.report import container_detail, fix_text, fmt_mem, pending_text, values_path
from gitops_gen.capacity.simulate import NO_CPU, NO_MEMORY, TOO_MANY, Pending
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.quantity import format_cpu

_INDEX = re.compile(r"\[(\d+)\]")


def analysis_for(ctx: Context) -> Analysis | None:
    def build() -> Analysis | None:
        cluster = ctx.options.cluster
        if cluster is None or not cluster.nodes:
            return None
        # --chart-dir and the chart cache, which only HelmReleases read (opening them looks for helm on
        # PATH and imports the chart modules: a one-file lint of a Deployment need not)
        charts = (
            _charts(getattr(ctx.options, "chart_dirs", None) or ())
            if ctx.of_kinds(("HelmRelease",))
            else None
        )
        return analyze(ctx.resources, cluster, platform=ctx.options.platform, charts=charts, index=ctx)

    result: Analysis | None = ctx.memo("capacity.analysis", build)
    return result


def _charts(chart_dirs: Any) -> Any:
    from gitops_gen.capacity.helm import ChartSource

    return ChartSource.from_options(chart_dirs, strict=False)


def field_path(w: Workload, path: str) -> FieldPath:
    """A values path (``chunksCache.allocatedMemory``) or manifest field path as a field path."""
    path = path.split(" (", 1)[0].strip()
    if not path or " " in path or path.startswith("("):
        return ("spec", "values") if w.owner.values_root else ()
    parts: list[str | int] = []
    for piece in path.split("."):
        name = _INDEX.sub("", piece)
        if name:
            parts.append(name)
        parts.extend(int(i) for i in _INDEX.findall(piece))
    return ("spec", "values", *parts) if w.owner.values_root else tuple(parts)


def _anchor(ctx: Context, w: Workload) -> Resource | None:
    if w.owner.resource is not None:
        return w.owner.resource
    return ctx.resources[0] if ctx.resources else None


def hits(ctx: Context, resource: str) -> Iterator[Hit]:
    """Hits for ``resource`` ("memory" or "cpu")."""
    a = analysis_for(ctx)
    if a is None or a.simulation is None:
        return
    sim = a.simulation
    steady = [p for p in sim.pending if _capacity(p)]
    moving = [p for p in sim.transient if _capacity(p)]
    if steady or moving:
        # one finding: an error when the steady state overflows (its stalled rollouts and jobs
        # listed in it), a warning when only rollouts/jobs find no room
        # one overflow for both rules (each asks which resource it belongs to)
        over: _Overflow = ctx.memo(
            "capacity.overflow", lambda: _overflow(a, steady, moving, ctx.options.capacity_baseline)
        )
        if over.rule_resource == resource:
            yield from _overflow_hit(ctx, a, over, None if steady else Severity.WARNING)
    if resource == "memory":  # Pending for another cause than room (host ports, node affinity)
        for p in sim.pending:
            if not _capacity(p):
                yield from _hit(ctx, a, p, None)
        for p in sim.transient:
            if not _capacity(p):
                yield from _hit(ctx, a, p, Severity.WARNING)
    if resource != "memory":
        return
    cl = a.cluster
    if cl is not None and cl.k3s and cl.nodes and not sim.pending:
        first = sim.nodes[0]
        left = first.free_memory
        if left < K3S_SERVER_OVERHEAD and ctx.resources:
            biggest = max(
                (w for w in a.workloads if w.owner.resource is not None and not w.transient),
                key=lambda w: (w.requests.memory or 0) * w.pods(len(cl.nodes)),
                default=None,
            )
            if biggest is not None and biggest.owner.resource is not None:
                yield Hit(
                    biggest.owner.resource,
                    f"pods request all but {fmt_mem(max(left, 0))} of {first.node.name}'s allocatable "
                    f"memory ({fmt_mem(first.node.allocatable_memory)}); the K3s server process "
                    f"needs about {fmt_mem(K3S_SERVER_OVERHEAD)} outside pods (K3s reserves none), "
                    "so the node will run out of memory before the scheduler notices",
                    f"lower requests (largest: {biggest.owner.label}: {biggest.component}), or reserve "
                    "memory for K3s in the platform spec (nodes[].reserved.memory) so the budget shows it",
                    field_path(biggest, biggest.resources_path),
                    Severity.WARNING,
                )
    for w in a.workloads:
        if w.unknown and w.owner.resource is not None:
            yield Hit(
                w.owner.resource,
                f"{w.owner.label}: no capacity profile for chart {w.owner.chart or '(unidentified)'}: "
                "its pods are not in the memory/CPU budget (unknown footprint, not zero)",
                "run `gitops-gen charts pull` (or pass --chart-dir NAME=DIR; needs helm on PATH) to budget "
                "it from the real chart",
                ("spec", "chart"),
                Severity.INFO,
            )
        elif w.owner.values_root and w.unbounded and not w.transient and w.owner.resource is not None:
            yield Hit(
                w.owner.resource,
                f"{w.owner.label}: {w.component} ({w.kind} {w.name}) runs "
                f"{'containers' if len(w.unbounded) > 1 else 'a container'} without a memory request "
                f"({', '.join(w.unbounded)}): the chart sets none, so the budget counts 0 and the pod "
                "is the first to be OOM-killed or evicted",
                f"set requests.memory at {values_path(w, w.resources_path) or 'its resources values'}",
                field_path(w, w.resources_path),
                Severity.WARNING,
            )


def _capacity(p: Pending) -> bool:
    """Pending for want of room (CPU, memory, pod slots), not for ports or affinity."""
    return bool({NO_CPU, NO_MEMORY, TOO_MANY} & set(p.reasons))


class _Overflow(Struct):
    """One node (or cluster) that cannot hold its pods: what is missing, who pushes it over."""

    missing: dict[str, int]  # "memory" | "cpu" | "pods" -> amount short (> 0), the primary first
    steady: list[Pending]  # pods left Pending at steady state
    transient: list[Pending]  # rollouts and jobs that stall
    causes: list[Workload]  # the workloads whose requests push it over, largest first
    consumers: list[tuple[Workload, int]]  # top consumers of the primary resource, with their demand
    by_change: bool  # causes chosen by their growth against ``diff``'s base

    @property
    def primary(self) -> str:
        return next(iter(self.missing), "memory")

    @property
    def rule_resource(self) -> str:
        """``cpu`` when the scheduler says only "Insufficient cpu", else ``memory`` (memory-budget
        owns memory, pod slots and mixed shortages)."""
        reasons = {r for p in (*self.steady, *self.transient) if _capacity(p) for r in p.reasons}
        return "cpu" if NO_CPU in reasons and not ({NO_MEMORY, TOO_MANY} & reasons) else "memory"


_RESOURCES = {"memory": NO_MEMORY, "cpu": NO_CPU, "pods": TOO_MANY}


def _one(p: Pending, what: str) -> int:
    return p.memory if what == "memory" else p.cpu if what == "cpu" else 1


def _demand(w: Workload, what: str, nodes: int) -> int:
    if w.transient or w.unknown:
        return 0
    pods = w.pods(nodes)
    r = w.requests
    return pods * {"cpu": r.cpu or 0, "memory": r.memory or 0, "pods": 1}[what]


def _overflow(
    a: Analysis,
    steady: list[Pending],
    transient: list[Pending],
    baseline: Mapping[str, tuple[int, int, int]] | None,
) -> _Overflow:
    sim = a.simulation
    assert sim is not None
    n = a.node_count
    free = {
        "cpu": [max(s.free_cpu, 0) for s in sim.nodes],
        "memory": [max(s.free_memory, 0) for s in sim.nodes],
        "pods": [max(s.max_pods - s.pods, 0) for s in sim.nodes],
    }
    stuck = [p for p in (*steady, *transient) if _capacity(p)]
    reasons = {r for p in stuck for r in p.reasons}
    missing: dict[str, int] = {}
    order = sorted(_RESOURCES, key=lambda x: _RESOURCES[x] not in reasons)  # the scheduler's reasons first
    for what in order:
        reason = _RESOURCES[what]
        # the steady pods all need room at once; a rollout or job needs room for its largest pod
        total = sum(p.count * _one(p, what) for p in steady) - sum(free[what])
        largest = max((_one(p, what) for p in stuck if reason in p.reasons), default=0)
        largest -= max(free[what], default=0)
        if total > 0 or (reason in reasons and largest > 0):
            missing[what] = max(total, largest)
    if not missing:  # room in sum and on a node, yet Pending (spread, pinned pods): say which resource
        missing[next((x for x in order if _RESOURCES[x] in reasons), "memory")] = 0
    primary = next(iter(missing))
    demands = [(w, _demand(w, primary, n)) for w in a.workloads]
    consumers = sorted(
        ((w, d) for w, d in demands if d > 0), key=lambda wd: (-wd[1], wd[0].owner.label, wd[0].name)
    )
    ranked = [w for w, _d in consumers]
    causes, by_change = _causes(a, stuck, ranked, primary, missing[primary], baseline)
    return _Overflow(missing, steady, transient, causes, consumers, by_change)


def _causes(
    a: Analysis,
    stuck: list[Pending],
    ranked: list[Workload],
    primary: str,
    missing: int,
    baseline: Mapping[str, tuple[int, int, int]] | None,
) -> tuple[list[Workload], bool]:
    """The workloads whose requests push the nodes over, and whether ``diff``'s change chose them.

    A pod larger than any node's allocatable fits nowhere whatever else runs: its workload is the
    cause. Otherwise the largest consumers of the missing resource, as many as it takes to cover the
    missing amount (without them, the rest fits); with a ``diff`` base, the workloads whose
    requests grew the most, the same way."""
    cl = a.cluster
    if cl is not None and cl.nodes:
        top_cpu = max(x.allocatable_cpu for x in cl.nodes)
        top_mem = max(x.allocatable_memory for x in cl.nodes)
        never = _unique(p.workload for p in stuck if p.cpu > top_cpu or p.memory > top_mem)
        if never:
            return never, False
    n = a.node_count
    index = {"cpu": 0, "memory": 1, "pods": 2}[primary]
    if baseline is not None:
        grown = [
            (w, _demand(w, primary, n) - baseline.get(workload_key(w), (0, 0, 0))[index]) for w in ranked
        ]
        grown = sorted((g for g in grown if g[1] > 0), key=lambda g: -g[1])
        if grown:
            return _cover(grown, missing), True
    return _cover([(w, _demand(w, primary, n)) for w in ranked], missing), False


def _cover(weighted: list[tuple[Workload, int]], missing: int) -> list[Workload]:
    out: list[Workload] = []
    got = 0
    for w, amount in weighted:
        out.append(w)
        got += amount
        if got >= missing:
            break
    return out


def _unique(ws: Iterable[Workload]) -> list[Workload]:
    seen: list[Workload] = []
    for w in ws:
        if not any(w is s for s in seen):
            seen.append(w)
    return seen


def _overflow_hit(ctx: Context, a: Analysis, over: _Overflow, severity: Severity | None) -> Iterator[Hit]:
    cause = next((w for w in over.causes if w.owner.resource is not None), None)
    anchor = (
        cause.owner.resource if cause is not None else _anchor(ctx, over.causes[0]) if over.causes else None
    )
    if anchor is None:
        anchor = ctx.resources[0] if ctx.resources else None
    if anchor is None:
        return
    n = a.node_count
    cl = a.cluster
    nodes = cl.nodes if cl is not None else []
    if len(nodes) == 1:
        where = f"Node {nodes[0].describe()}"
    else:
        where = (
            f"The {len(nodes)} nodes (allocatable {_cpu(cl.allocatable_cpu if cl else 0)} CPU, "
            f"{fmt_mem(cl.allocatable_memory if cl else 0)} memory)"
        )
    amounts = [_amount(k, v) for k, v in over.missing.items() if v > 0]
    short = ", ".join(amounts[:-1]) + " and " + amounts[-1] if len(amounts) > 1 else "".join(amounts)
    phase = "at steady state" if over.steady else "for a rolling update or job"
    be, have = ("is", "has") if len(nodes) == 1 else ("are", "have")
    head = f"{where} {be + ' short of ' + short if short else have + ' no room'} {phase}"
    who = "; ".join(_describe(w, n) for w in over.causes[:_NAMED])
    if len(over.causes) > _NAMED:
        rest = over.causes[_NAMED:]
        who += f" and {len(rest)} more ({', '.join(_who(w) for w in rest)})"
    verb = "pushes" if len(over.causes) == 1 else "push"
    blame = f"this change's growth of {who} {verb} it over" if over.by_change else f"{who} {verb} it over"
    primary = over.primary
    top = ", ".join(f"{_who(w)} {_amount(primary, d)}" for w, d in over.consumers[:_NAMED]) + (
        f" ({len(over.consumers) - _NAMED} more)" if len(over.consumers) > _NAMED else ""
    )
    parts = [f"{head}: {blame}."]
    if any(not any(w is c for c in over.causes) for w, _ in over.consumers[:_NAMED]):
        parts.append(f"Top consumers of {_UNIT[primary]}: {top}.")
    parts.extend(_listed("Left Pending", over.steady))
    parts.extend(_listed("Would stall", over.transient))
    if a.not_counted:
        parts.append(f"At least this much: {a.counted_phrase()} (unknown footprint).")
    path: FieldPath = ()
    target = anchor
    fix = "add node capacity"
    if cause is not None:
        cause_pending = next((p for p in (*over.steady, *over.transient) if p.workload is cause), None)
        fix = fix_text(cause, cause_pending)
        path = field_path(cause, cause.resources_path)
        scaler = cause.scaler
        if scaler is not None and cause.max_replicas is not None and cause.max_replicas > cause.replicas:
            # the count is the lever: point at the autoscaler's maximum
            target = scaler
            path = ("spec", "maxReplicas" if scaler.kind == "HorizontalPodAutoscaler" else "maxReplicaCount")
    elif over.causes:
        w = over.causes[0]
        parts[0] = f"(no manifest: {w.owner.label}) " + parts[0]
    yield Hit(target, " ".join(parts), fix, path, severity)


_UNIT = {"memory": "memory", "cpu": "CPU", "pods": "pod slots"}
_NAMED = 3  # causes described in full, top consumers named


def _who(w: Workload) -> str:
    """``Deployment shop/api`` for a manifest's own workload, ``HelmRelease logging/loki: chunks-cache``."""
    own = w.owner.resource is not None and w.owner.label == f"{w.kind} {w.namespace}/{w.name}"
    return w.owner.label if own else f"{w.owner.label}: {w.component}"


def _describe(w: Workload, nodes: int) -> str:
    r = w.requests
    pods = w.pods(nodes)
    count = f"{pods} pod{'s' if pods != 1 else ''}"
    if w.max_replicas is not None and w.max_replicas > w.replicas:
        count += " at maxReplicas"
    each = f"{_cpu(r.cpu or 0)} CPU, {fmt_mem(r.memory or 0)} memory"
    detail = container_detail(w) if w.owner.values_root else ""
    return f"{_who(w)} ({count} × {each}{detail})"


def _listed(title: str, pending: list[Pending]) -> list[str]:
    """``Left Pending (0/1 nodes are available: 1 Insufficient cpu.): 476 of 498 pods of ...``, one
    sentence per scheduler message."""
    by_message: dict[str, list[str]] = {}
    for p in pending:
        what = {"steady": "", "autoscaling": " added by the HPA at maxReplicas"}.get(p.phase, "")
        if p.phase == "job":
            what = " (Job/hook)"
        pods = f"{p.count} of {p.total} pods of " if p.phase != "rollout" and p.total > 1 else ""
        by_message.setdefault(p.message, []).append(f"{pods}{_who(p.workload)}{what}")
    return [f"{title} ({message}): {'; '.join(items)}." for message, items in by_message.items()]


def _cpu(millis: int) -> str:
    """``50``, ``260m``, ``47.515`` (CPUs)."""
    if millis < 1000 or millis % 1000 == 0:
        return format_cpu(millis)
    return f"{millis / 1000:.3f}".rstrip("0").rstrip(".")


def _amount(what: str, value: int) -> str:
    if what == "memory":
        return f"{fmt_mem(value)} memory"
    if what == "cpu":
        return f"{_cpu(value)} CPU"
    return f"{value} pod slot{'s' if value != 1 else ''}"


def _hit(ctx: Context, a: Analysis, p: Pending, severity: Severity | None) -> Iterator[Hit]:
    """A workload Pending for its own reason (host ports taken, node affinity), not for room."""
    w = p.workload
    anchor = _anchor(ctx, w)
    if anchor is None:
        return
    text = pending_text(p, a)
    if p.phase == "rollout":
        text += " The rollout stalls until room is made (unless maxUnavailable lets old pods go first)."
    elif p.phase == "job":
        text += " The Job/hook cannot run."
    path = field_path(w, w.resources_path) if not w.system else ()  # K3s's svclb: no values path
    if w.owner.resource is None:
        text = f"(no manifest: {w.owner.label}) " + text
        path = ()
    yield Hit(anchor, text, fix_text(w, p), path, severity)
