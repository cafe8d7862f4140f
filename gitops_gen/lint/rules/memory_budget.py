"""Every pod's memory request fits the nodes: no pod stays Pending for memory.

**What.** The capacity model (``gitops-gen budget``, docs/capacity.md) counts what the manifests
will run: the pods each HelmRelease's chart creates (chart profile on the chart defaults merged
with the release's values, or ``helm template`` with ``--chart-dir``), plain workloads (HPA targets
at ``maxReplicas``, DaemonSets once per node) and the distribution's add-ons (K3s: CoreDNS,
metrics-server, ...), and places them on the nodes the way the scheduler filters: largest first, by
requests, against each node's allocatable (capacity - reserved - hard eviction threshold).

* error: the nodes cannot hold the pods at steady state. **One finding per overflowing node (per
  cluster when it has several nodes)**, at the workload whose requests push it over, with the amount
  missing (``is short of 1606Mi memory``), the top consumers, the scheduler's own message
  (``0/1 nodes are available: 1 Insufficient memory.``) and every pod left Pending, of whatever object
  — those are *listed in this finding*, not reported as findings of their own;
* error, per workload: pods no node takes for another reason than room — host ports already bound
  (K3s's Traefik svclb holds 80/443, so an ingress-nginx LoadBalancer's svclb pods stay Pending) or
  node affinity;
* warning: the steady state fits but the extra pods of a rolling update (``maxSurge``) or a Job/hook
  find no room — one finding, the same way; a chart workload without a memory request (the budget
  counts 0; it is evicted first); on K3s, requests that leave less than ~896M for the K3s server
  process, which Allocatable does not set aside;
* info: a HelmRelease whose chart has no profile (unknown footprint, not counted as zero).

**Why.** Charts create pods that are in no file of the repository: Loki's chart runs a 9830Mi
memcached chunks cache by default, which stays Pending on a 12 GB node, and nothing but
``kubectl get pods`` tells.

**What we chose.** Requests, not limits, decide scheduling (limits overcommit is shown by
``gitops-gen budget``, not reported). *Blame the cause, not the victims*: the simulation, like the
scheduler, leaves the largest pods Pending, which are often not the ones that filled the node (one
app's ``maxReplicas: 500`` leaves Grafana's and Flux's rollouts without room). So the finding is
placed on

1. a workload with a pod larger than any node's allocatable (it fits nowhere, whatever else runs);
2. else the largest consumers of the missing resource (requests × pods at steady state, HPAs at
   ``maxReplicas``, DaemonSets once per node), as many as it takes to cover the amount missing:
   without them the rest fits, and they are where the most can be saved;
3. in ``gitops-gen diff``, the workloads whose requests the change grew the most, the same way: the
   overflow is attributed to the change, not to what was already there.

When the cause is scaled by an HPA (or KEDA ScaledObject) above its minimum, the finding sits on the
autoscaler's ``maxReplicas`` (the count is the lever); otherwise at the cause's resources (the Helm
values path, e.g. ``spec.values.chunksCache``). One overflow is one finding: ``cpu-budget`` reports it
when the scheduler says only ``Insufficient cpu``, this rule otherwise (memory, pod slots, or both
CPU and memory), naming every resource that is short. Nothing is checked when no node size is known
(platform spec ``nodes``, or ``--node-memory``/``--node-cpu``/``--nodes``).
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.lint.model import Context, Hit
from gitops_gen.lint.rules.cpu_budget import READS as READS  # one capacity model for both rules

ID = "memory-budget"
SEVERITY = "error"
SCOPE = "cluster"
OWN_PROCESS = True  # the capacity simulation runs beside the other rules on a large input


def check(ctx: Context) -> Iterator[Hit]:
    if ctx.options.cluster is None:
        return  # no node size known: nothing to check, and the capacity model is not even imported
    from gitops_gen.lint.rules._capacity import hits

    yield from hits(ctx, "memory")
