"""Every pod's CPU request fits the nodes: no pod stays Pending for CPU.

**What.** The same capacity model and scheduling simulation as ``memory-budget`` (chart-aware:
HelmRelease pods from chart profiles or ``helm template``; HPA targets at ``maxReplicas``;
DaemonSets once per node; K3s add-ons), reporting the pods that would stay Pending because no node
has enough CPU left: error at steady state (``0/1 nodes are available: 1 Insufficient cpu.``, with
the HelmRelease or workload, its request, the node and the path to change), warning for the extra
pods of a rolling update or a Job/hook.

**Why.** CPU requests are reserved whether or not they are used: a 4-CPU node fills up with
requests long before it is busy, and the next pod waits forever.

**What we chose.** Only requests count (CPU limits only throttle; their overcommit is shown by
``gitops-gen budget``). A pod short of both CPU and memory is reported by both rules. Nothing is
checked when no node size is known.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.lint.model import Context, Hit

ID = "cpu-budget"
SEVERITY = "error"
SCOPE = "cluster"


def check(ctx: Context) -> Iterator[Hit]:
    if ctx.options.cluster is None:
        return  # no node size known: nothing to check, and the capacity model is not even imported
    from gitops_gen.lint.rules._capacity import hits

    yield from hits(ctx, "cpu")
