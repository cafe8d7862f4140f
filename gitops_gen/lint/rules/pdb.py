"""A PodDisruptionBudget selects pods and still lets nodes drain.

**What.**

* The PDB must have a selector (error) that matches the pod template of at least one workload
  in its namespace (error). When no workload of that namespace was linted at all, it is a
  warning (the input may be partial); when a HelmRelease installs into that namespace, the
  chart may create the pods and nothing is said.
* ``maxUnavailable: 0`` (or ``"0%"``) and ``minAvailable: 100%`` allow no eviction, ever: error.
* ``minAvailable`` >= the pods the selected workloads are *guaranteed* to run: error. The
  guaranteed count is the HPA's ``minReplicas`` (or KEDA's ``minReplicaCount``, at least 1)
  when an autoscaler targets the workload, else ``spec.replicas`` (default 1), summed over
  everything the PDB selects. Percentages are resolved against that count and rounded up, as
  the disruption controller does (``minAvailable: 50%`` of 1 pod is 1).
* A PDB that sets neither ``minAvailable`` nor ``maxUnavailable``: warning (it protects nothing).
* A PDB over a single guaranteed pod that still allows its eviction: warning - it cannot both
  protect the pod and let a node drain; run 2 replicas or drop the PDB.

**Why.** ``kubectl drain`` (and every node upgrade of k3s, kured, Cluster API...) evicts pods
through the eviction API, which refuses any eviction that would break a PDB. A PDB that can
never be satisfied makes the drain hang forever; one that selects nothing gives a false sense
of safety.

**What we chose.** ``minAvailable`` *equal to* the replica count is already an error (Polaris
only flags ``>``): with N pods and ``minAvailable: N`` the allowed disruptions are 0. We compare
with the *minimum* scale (HPA ``minReplicas``), not ``maxReplicas`` or the current count,
because that is where the cluster sits at night when the drains run. DaemonSets, Jobs and bare
Pods have no fixed replica count, so only the selector and the 0/100% cases are checked for
them. The same PDB/HPA conflict is also reported on the HPA by the ``hpa`` rule, since either
object may be the one to change.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, as_dict, has_subst
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.workloads import WORKLOAD_READS, absence_severity, analyse_pdb

ID = "pdb"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"PodDisruptionBudget"})
READS = WORKLOAD_READS


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    spec = as_dict(resource.body.get("spec"))
    raw_sel = spec.get("selector")
    a = analyse_pdb(ctx, resource)
    if raw_sel is None:
        yield Hit(
            resource,
            "has no selector, so it selects no pods",
            "add spec.selector.matchLabels matching the pod template labels of the workload",
            ("spec",) if "spec" in resource.body else (),
        )
    if a.blocking:
        detail = f" ({'; '.join(a.sources)})" if a.sources else ""
        yield Hit(
            resource,
            f"{a.blocking}{detail}; node drains hang",
            "allow at least one disruption: maxUnavailable: 1, or a minAvailable below the "
            "guaranteed replica count (or raise replicas / HPA minReplicas)",
            a.blocking_path,
        )
    if "minAvailable" not in spec and "maxUnavailable" not in spec:
        yield Hit(
            resource,
            "sets neither minAvailable nor maxUnavailable: it protects nothing",
            "set maxUnavailable: 1 (or a minAvailable below the replica count)",
            ("spec",) if "spec" in resource.body else (),
            severity=Severity.WARNING,
        )
    if a.selector is not None and not a.matched and not has_subst(resource.namespace):
        sev = absence_severity(ctx, resource.namespace, POD_TEMPLATE_KINDS)
        if sev is not None:
            where = f"namespace {resource.namespace}" if resource.namespace else "its namespace"
            extra = "" if sev == Severity.ERROR else " among the linted files"
            yield Hit(
                resource,
                f"selects no workload in {where}{extra}",
                "make spec.selector match the pod template labels of a Deployment/StatefulSet "
                "in the same namespace, or delete the PDB",
                ("spec", "selector"),
                severity=sev,
            )
    if not a.blocking and a.expected == 1 and a.allowed is not None and a.allowed >= 1:
        yield Hit(
            resource,
            f"covers a single guaranteed pod ({'; '.join(a.sources)}): it still "
            "allows that pod's eviction, so it cannot prevent an outage",
            "run at least 2 replicas (spec.replicas or HPA minReplicas), or drop the PDB",
            ("spec",),
            severity=Severity.WARNING,
        )
