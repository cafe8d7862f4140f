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

from gitops_gen.k8s.workloads import SCALABLE_KINDS
from gitops_gen.lint.model import Context, Hit
from gitops_gen.lint.projection import merge, pod_template
from gitops_gen.lint.workloads import SCALER_READS

ID = "cpu-budget"
SEVERITY = "error"
SCOPE = "cluster"
OWN_PROCESS = True  # the capacity simulation runs beside the other rules on a large input

#: what the capacity model (``gitops_gen.capacity``: manifests, releases, chart sources, the Flux
#: bootstrap profile) reads of the objects (``gitops_gen.lint.projection``); the values a HelmRelease takes
#: from a ConfigMap or Secret (``valuesFrom``) are read from that object's whole body (``Resource.whole``)
READS = merge(
    pod_template(
        "spec.hostNetwork",
        "spec.priorityClassName",
        *(
            f"spec.{group}.*.{field}"
            for group in ("containers", "initContainers")
            for field in ("name", "resources", "ports", "restartPolicy")
        ),
    ),
    {kind: ("spec.replicas",) for kind in sorted(SCALABLE_KINDS)},
    SCALER_READS,
    {
        "Deployment": ("spec.strategy",),
        "Rollout": ("spec.strategy",),
        "DaemonSet": ("spec.updateStrategy",),
        "Job": ("spec.parallelism", "metadata.ownerReferences"),
        "CronJob": ("spec.jobTemplate.spec.parallelism",),
        "Pod": ("metadata.ownerReferences",),
        "ReplicaSet": ("metadata.ownerReferences",),
        "Prometheus": ("spec.resources", "spec.replicas", "spec.shards"),
        "Alertmanager": ("spec.resources", "spec.replicas"),
        "ThanosRuler": ("spec.resources", "spec.replicas"),
        "Service": ("spec.type", "spec.ports"),
        "HelmRelease": ("spec",),
        **{
            kind: ("spec",)
            for kind in ("OCIRepository", "HelmChart", "HelmRepository", "GitRepository", "Bucket")
        },
    },
)


def check(ctx: Context) -> Iterator[Hit]:
    if ctx.options.cluster is None:
        return  # no node size known: nothing to check, and the capacity model is not even imported
    from gitops_gen.lint.rules._capacity import hits

    yield from hits(ctx, "cpu")
