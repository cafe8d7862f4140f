"""The capacity model as lint hits, for the ``memory-budget`` and ``cpu-budget`` rules (the adapter
from :mod:`gitops_gen.capacity` results to lint hits lives here, with the rules: capacity knows no lint).

One analysis per lint run (``ctx.memo``), shared by both rules. Nothing is reported when no node
size is known (no platform spec nodes, no ``--node-memory``/``--node-cpu``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops_gen.capacity.budget import Analysis, analyze
from gitops_gen.capacity.model import Workload
from gitops_gen.capacity.nodes import K3S_SERVER_OVERHEAD
from gitops_gen.capacity.report import fix_text, fmt_mem, pending_text, values_path
from gitops_gen.capacity.simulate import NO_CPU, NO_MEMORY, Pending
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.lint.model import Context, Hit, Severity

_INDEX = re.compile(r"\[(\d+)\]")


def analysis_for(ctx: Context) -> Analysis | None:
    def build() -> Analysis | None:
        cluster = ctx.options.cluster
        if cluster is None or not cluster.nodes:
            return None
        charts = _charts(getattr(ctx.options, "chart_dirs", None) or ())  # --chart-dir, and the chart cache
        return analyze(ctx.resources, cluster, platform=ctx.options.platform, charts=charts)

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
    for p in sim.pending:
        if _belongs(p, resource):
            yield from _hit(ctx, a, p, None)
    for p in sim.transient:
        if _belongs(p, resource):
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


def _belongs(p: Pending, resource: str) -> bool:
    reasons = set(p.reasons)
    if resource == "cpu":
        return NO_CPU in reasons
    # memory-budget owns memory and every non-resource reason (host ports, pod count, affinity)
    return NO_MEMORY in reasons or NO_CPU not in reasons


def _hit(ctx: Context, a: Analysis, p: Pending, severity: Severity | None) -> Iterator[Hit]:
    w = p.workload
    anchor = _anchor(ctx, w)
    if anchor is None:
        return
    text = pending_text(p, a)
    if p.phase == "rollout":
        text += " The rollout stalls until room is made (unless maxUnavailable lets old pods go first)."
    elif p.phase == "job":
        text += " The Job/hook cannot run."
    path = field_path(w, w.resources_path)
    if w.owner.resource is None:
        text = f"(no manifest: {w.owner.label}) " + text
        path = ()
    yield Hit(anchor, text, fix_text(w, p), path, severity)
