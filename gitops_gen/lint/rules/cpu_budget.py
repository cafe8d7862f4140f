"""Every pod's CPU request fits the nodes: no pod stays Pending for CPU.

**What.** The same capacity model and scheduling simulation as ``memory-budget`` (chart-aware:
HelmRelease pods from chart profiles or ``helm template``; HPA targets at ``maxReplicas``;
DaemonSets once per node; K3s add-ons), reporting an overflow of CPU: error when the steady state does not fit (``0/1 nodes are available: 1
Insufficient cpu.``), warning when only the extra pods of a rolling update or a Job/hook find no room.
One finding per overflowing node (per cluster when it has several), at the workload whose requests
push it over (an HPA's ``maxReplicas`` when the replica count is the lever), with the CPU missing,
the top consumers and every pod left Pending or rollout that would stall, of whatever object.

**Why.** CPU requests are reserved whether or not they are used: a 4-CPU node fills up with
requests long before it is busy, and the next pod waits forever.

**What we chose.** Only requests count (CPU limits only throttle; their overcommit is shown by
``gitops-gen budget``). The cause is chosen as ``memory-budget`` says (a pod too large for any node;
else the largest consumers covering the amount missing; in ``diff``, what the change grew). An
overflow where the scheduler also reports memory or pod slots is one ``memory-budget`` finding, not
two. Nothing is checked when no node size is known.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.lint.model import Context, Hit

ID = "cpu-budget"
SEVERITY = "error"
SCOPE = "cluster"
OWN_PROCESS = True  # the capacity simulation runs beside the other rules on a large input


def check(ctx: Context) -> Iterator[Hit]:
    if ctx.options.cluster is None:
        return  # no node size known: nothing to check, and the capacity model is not even imported
    from gitops_gen.lint.rules._capacity import hits

    yield from hits(ctx, "cpu")
