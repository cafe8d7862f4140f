"""Every pod's memory request fits the nodes: no pod stays Pending for memory.

**What.** The capacity model (``gitops-gen budget``, docs/capacity.md) counts what the manifests
will run: the pods each HelmRelease's chart creates (chart profile on the chart defaults merged
with the release's values, or ``helm template`` with ``--chart-dir``), plain workloads (HPA targets
at ``maxReplicas``, DaemonSets once per node) and the distribution's add-ons (K3s: CoreDNS,
metrics-server, ...), and places them on the nodes the way the scheduler filters: largest first, by
requests, against each node's allocatable (capacity - reserved - hard eviction threshold).

* error: a pod that would stay Pending for memory at steady state, with the scheduler's own
  message (``0/1 nodes are available: 1 Insufficient memory.``), the HelmRelease or workload, the
  request, the node and the values path or spec setting to change. This rule also reports pods no
  node can take for other reasons than CPU — host ports already bound (K3s's Traefik svclb holds
  80/443, so an ingress-nginx LoadBalancer's svclb pods stay Pending), ``Too many pods``;
* warning: the extra pods of a rolling update (``maxSurge``) or a Job/hook that would not fit;
  a chart workload without a memory request (the budget counts 0; it is evicted first); on K3s,
  requests that leave less than ~896M for the K3s server process, which Allocatable does not
  set aside;
* info: a HelmRelease whose chart has no profile (unknown footprint, not counted as zero).

**Why.** Charts create pods that are in no file of the repository: Loki's chart runs a 9830Mi
memcached chunks cache by default, which stays Pending on a 12 GB node, and nothing but
``kubectl get pods`` tells.

**What we chose.** Requests, not limits, decide scheduling (limits overcommit is shown by
``gitops-gen budget``, not reported). When not all pods fit, the largest ones are reported Pending
(a big pod is the one that finds no room among the others). Nothing is checked when no node size
is known (platform spec ``nodes``, or ``--node-memory``/``--node-cpu``/``--nodes``).
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.lint.model import Context, Hit

ID = "memory-budget"
SEVERITY = "error"
SCOPE = "cluster"


def check(ctx: Context) -> Iterator[Hit]:
    if ctx.options.cluster is None:
        return  # no node size known: nothing to check, and the capacity model is not even imported
    from gitops_gen.lint.rules._capacity import hits

    yield from hits(ctx, "memory")
