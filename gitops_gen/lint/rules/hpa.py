"""A HorizontalPodAutoscaler has a target it can scale, sane bounds, and the requests it needs.

**What.**

* ``scaleTargetRef`` names a Deployment, StatefulSet, ReplicaSet or ReplicationController that
  exists in the HPA's namespace. Missing: error when other objects of that kind in the
  namespace were linted (a typo), warning when none were (a partial input), nothing when a
  HelmRelease installs into that namespace (the chart may create it). Other target kinds
  (Argo Rollouts, custom resources with a scale subresource) are not checked.
* ``minReplicas`` (default 1) <= ``maxReplicas``.
* Two HPAs on the same target: error (they fight; the controller refuses to act).
* Every *utilization* metric of a resource (``cpu``/``memory``) needs a request for that
  resource on every container of the target: ``autoscaling/v2`` and ``v2beta2``
  ``type: Resource`` with ``target.type: Utilization``, ``v2beta1``
  ``targetAverageUtilization``, ``autoscaling/v1`` ``targetCPUUtilizationPercentage``, and
  the *implicit* 80 % CPU target of an HPA without metrics. A ``ContainerResource`` metric only
  needs the named container's request (and the container must exist). ``AverageValue``
  targets need no requests. A limit without a request counts (the request defaults to it).
* The target also setting ``spec.replicas``: error, reported on the target's ``spec.replicas``.
* A PodDisruptionBudget with ``minAvailable`` >= this HPA's ``minReplicas`` over the target:
  error (reported here and, by the ``pdb`` rule, on the PDB).

**Why.** Without a request the HPA cannot compute utilization and stops scaling
(``FailedGetResourceMetric``). Under GitOps, ``spec.replicas`` in the manifest is re-applied
by Flux at every reconciliation, so the workload jumps back to that count after each scale
up or down. A PDB that needs as many pods as the HPA's minimum blocks every node drain at night,
when the HPA has scaled down.

**What we chose.** ``spec.replicas`` under an HPA is an *error*, but only when the manifest sets
it explicitly - even ``replicas: 1`` (kube-score flags it too; kube-linter does not check it);
removing the field hands the count to the HPA. Flux's own docs recommend omitting it. For the
PDB conflict we use ``>=`` (Polaris uses ``>``): with ``minAvailable == minReplicas`` zero
disruptions are allowed at minimum scale. Sidecar init containers are not required to have
requests for utilization metrics (the HPA sums only regular containers).
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import (
    ContainerRef,
    as_dict,
    as_int,
    as_list,
    as_str,
    containers,
    has_subst,
    scalers_by_target,
)
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.projection import merge, pod_template
from gitops_gen.lint.workloads import WORKLOAD_READS, absence_severity, pdbs_by_workload

ID = "hpa"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"HorizontalPodAutoscaler"})

TARGET_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
READS = merge(
    WORKLOAD_READS,
    pod_template("spec.containers.*.name", "spec.containers.*.resources", kinds=TARGET_KINDS),
    {
        "HorizontalPodAutoscaler": (
            "spec.targetCPUUtilizationPercentage",
            "spec.metrics.*.type",
            *(
                f"spec.metrics.*.{source}.{field}"
                for source in ("resource", "containerResource")
                for field in (
                    "name",
                    "container",
                    "target.type",
                    "target.averageUtilization",
                    "targetAverageUtilization",
                )
            ),
        )
    },
)


def _utilization_metrics(resource: Resource) -> Iterator[tuple[str, str | None, FieldPath]]:
    """``(resource name, container or None, path)`` for each utilization metric."""
    spec = as_dict(resource.body.get("spec"))
    if resource.api_version == "autoscaling/v1" or "targetCPUUtilizationPercentage" in spec:
        path: FieldPath = (
            ("spec", "targetCPUUtilizationPercentage")
            if "targetCPUUtilizationPercentage" in spec
            else ("spec",)
        )
        yield "cpu", None, path
        return
    metrics = spec.get("metrics")
    if metrics is None or metrics == []:
        yield "cpu", None, ("spec",)  # the default target: 80 % average CPU utilization
        return
    for i, m in enumerate(as_list(metrics)):
        if not isinstance(m, dict):
            continue
        mtype = m.get("type")
        if mtype == "Resource":
            body = as_dict(m.get("resource"))
            container = None
        elif mtype == "ContainerResource":
            body = as_dict(m.get("containerResource"))
            container = as_str(body.get("container"))
            if not container or has_subst(container):
                continue
        else:
            continue
        name = body.get("name")
        if not isinstance(name, str) or has_subst(name):
            continue
        target = as_dict(body.get("target"))
        utilization = (
            target.get("type") == "Utilization"
            or ("averageUtilization" in target and "type" not in target)
            or "targetAverageUtilization" in body
        )
        if utilization:
            yield name, container, ("spec", "metrics", i)


def _has_request(c: ContainerRef, name: str) -> bool:
    res = as_dict(c.container.get("resources"))
    return (
        as_dict(res.get("requests")).get(name) is not None or as_dict(res.get("limits")).get(name) is not None
    )


def _check_metrics(resource: Resource, target: Resource) -> Iterator[Hit]:
    regular = containers(target, init=False)
    if not regular:
        return
    for name, container, path in _utilization_metrics(resource):
        if container is not None:
            found = [c for c in regular if c.container.get("name") == container]
            if not found:
                yield Hit(
                    resource,
                    f"ContainerResource metric names container {container!r}, which "
                    f"{target.kind} {target.name} does not have",
                    "name one of the target's containers",
                    path,
                )
                continue
            scope = found
        else:
            scope = regular
        missing = [c for c in scope if not _has_request(c, name)]
        if missing:
            names = ", ".join(c.label for c in missing)
            yield Hit(
                resource,
                f"scales on {name} utilization, but in {target.kind} {target.name} "
                f"{names} {'has' if len(missing) == 1 else 'have'} no {name} request: "
                "the HPA cannot compute utilization and stops scaling",
                f"set resources.requests.{name} on every container of {target.kind} "
                f"{target.name}, or use an AverageValue target",
                path,
            )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    spec = as_dict(resource.body.get("spec"))
    min_r = as_int(spec.get("minReplicas", 1))
    max_r = as_int(spec.get("maxReplicas"))
    if min_r is not None and max_r is not None and min_r > max_r:
        yield Hit(
            resource,
            f"minReplicas {min_r} is above maxReplicas {max_r}",
            "set minReplicas <= maxReplicas",
            ("spec", "minReplicas"),
        )
    ref = as_dict(spec.get("scaleTargetRef"))
    kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
    if kind not in TARGET_KINDS or not name or has_subst(name) or has_subst(resource.namespace):
        return
    ns = resource.namespace
    rivals = [
        s
        for s in scalers_by_target(ctx).get((ns, kind, name), [])
        if s.resource is not resource and s.resource.kind == "HorizontalPodAutoscaler"
    ]
    if rivals:
        yield Hit(
            resource,
            f"{kind} {name} is also targeted by HPA "
            f"{', '.join(s.resource.name for s in rivals)}: they fight over its replicas",
            "keep one HPA per workload (list several metrics in it instead)",
            ("spec", "scaleTargetRef"),
        )
    target = ctx.find(kind, ns, name)
    if target is None:
        sev = absence_severity(ctx, ns, (kind,))
        if sev is not None:
            extra = "" if sev == Severity.ERROR else " among the linted files"
            yield Hit(
                resource,
                f"scaleTargetRef {kind} {name} does not exist in namespace {ns or '(unset)'}{extra}",
                "point scaleTargetRef at an existing workload in the same namespace",
                ("spec", "scaleTargetRef", "name"),
                severity=sev,
            )
        return
    yield from _check_metrics(resource, target)
    tspec = as_dict(target.body.get("spec"))
    first = next(
        (
            s
            for s in scalers_by_target(ctx).get((ns, kind, name), [])
            if s.resource.kind == "HorizontalPodAutoscaler"
        ),
        None,
    )
    if tspec.get("replicas") is not None and (first is None or first.resource is resource):
        yield Hit(
            target,
            f"sets spec.replicas ({tspec.get('replicas')}) but HPA {resource.name} "
            "scales it: Flux re-applies this count at every reconciliation, undoing the HPA",
            "delete spec.replicas from the manifest and let the HPA own the replica count",
            ("spec", "replicas"),
        )
    for pa in pdbs_by_workload(ctx).get(id(target), []):
        if not pa.blocking or pa.min_available is None:
            continue
        if not any(s.resource is resource for s in pa.scalers):
            continue
        raw = as_dict(pa.pdb.body.get("spec")).get("minAvailable")
        yield Hit(
            resource,
            f"PodDisruptionBudget {pa.pdb.name} requires minAvailable {raw} but "
            f"this HPA may scale down to {min_r if min_r is not None else '?'} "
            f"replica(s): at minimum scale no pod can be evicted and node drains hang",
            "raise minReplicas above the PDB's minAvailable, or lower the PDB (e.g. maxUnavailable: 1)",
            ("spec", "minReplicas") if "minReplicas" in spec else ("spec",),
        )
