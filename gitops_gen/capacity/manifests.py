"""Workloads of plain manifests: what each controller object will run.

* Deployment / StatefulSet / ReplicaSet / ReplicationController: ``spec.replicas`` (default 1); under
  an HPA (or KEDA ScaledObject) the budget counts ``maxReplicas``. A Deployment with the
  RollingUpdate strategy (the default) runs ``maxSurge`` (default 25%, rounded up) extra pods while
  it rolls out; Recreate runs none.
* DaemonSet: one pod per node (plus one per node during a rollout when ``maxSurge`` > 0).
* Pod: one. Job / CronJob: ``parallelism`` pods, transient (not part of the steady state, but they
  must fit when they run).
* prometheus-operator's ``Prometheus`` / ``Alertmanager`` / ``ThanosRuler``: the StatefulSet the
  operator makes (replicas × shards); Alertmanager and ThanosRuler get the operator's 200Mi memory
  request when none is set.
* Services of type LoadBalancer: on K3s, ServiceLB runs a ``svclb-<name>`` DaemonSet binding the ports.

Every object is looked at once; autoscalers are indexed by target (no pairwise loops).
"""

from __future__ import annotations

from typing import Any

from gitops_gen.capacity.model import Container, Owner, Res, Workload, parse_resources
from gitops_gen.capacity.profiles._base import MI, LoadBalancer
from gitops_gen.k8s.model import ObjectIndex, Resource
from gitops_gen.k8s.workloads import (
    as_count,
    as_dict,
    as_list,
    containers,
    int_or_percent,
    pod_spec_of,
    scaled,
    scalers_of,
)
from gitops_gen.values import dotted

OPERATOR_KINDS = ("Prometheus", "Alertmanager", "ThanosRuler")
OPERATOR_MEMORY_DEFAULT = 200 * MI


def count(value: object, default: int) -> int:
    """A count field (see :func:`~gitops_gen.k8s.workloads.as_count`), ``default`` when unknown."""
    n = as_count(value)
    return default if n is None else n


def surge(value: object, total: int, default: str) -> int:
    """Extra pods of a rollout: an int-or-percent of ``total``, rounded up (unset: ``default``)."""
    parsed = int_or_percent(default if value is None else value)
    return max(scaled(parsed, total), 0) if parsed is not None else 0


def pod_containers(r: Resource) -> tuple[list[Container], list[str]]:
    """Containers of a workload with their effective requests/limits (API defaulting applied)."""
    out: list[Container] = []
    problems: list[str] = []
    for ref in containers(r):
        path = dotted((*ref.path, "resources"))
        req, lim, probs = parse_resources(ref.container.get("resources"))
        problems.extend(f"{path}: {p}" for p in probs)
        out.append(Container(ref.name, req, lim, path, init=ref.init, sidecar=ref.sidecar))
    return out, problems


def host_ports(pod_spec: dict[str, Any]) -> tuple[tuple[int, str], ...]:
    """Ports a pod binds on its node: hostPort, or every containerPort with hostNetwork."""
    host_network = pod_spec.get("hostNetwork") is True
    seen: dict[tuple[int, str], None] = {}
    for key in ("containers", "initContainers"):
        for c in as_list(pod_spec.get(key)):
            for p in as_list(as_dict(c).get("ports")):
                p = as_dict(p)
                port = p.get("hostPort")
                if host_network and port is None:
                    port = p.get("containerPort")
                proto = str(p["protocol"]) if isinstance(p.get("protocol"), str) else "TCP"
                if isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
                    seen[(port, proto)] = None
    return tuple(seen)


def workload_of(r: Resource, index: ObjectIndex) -> Workload | None:
    """The workload of one controller object, or None (not a workload, or owned by another object).

    ``index`` holds the autoscalers of the same input (an HPA or ScaledObject targeting ``r``)."""
    kind = r.kind
    spec = as_dict(r.body.get("spec"))
    if kind in ("Pod", "ReplicaSet", "Job") and as_list(r.metadata.get("ownerReferences")):
        return None  # created by a controller that is itself in the input
    namespace = r.namespace or "default"
    owner = Owner(label=f"{kind} {namespace}/{r.name}", resource=r, group=f"{kind} {namespace}/{r.name}")
    if kind in OPERATOR_KINDS:
        return _operator_workload(r, spec, namespace, owner)
    found = pod_spec_of(r)
    if found is None or not found[0]:
        return None
    ps = found[0]
    pod, problems = pod_containers(r)
    if not pod:
        return None
    w = Workload(
        name=r.name,
        component=r.name,
        kind=kind,
        namespace=namespace,
        owner=owner,
        containers=pod,
        host_ports=host_ports(ps),
        priority_class=str(ps.get("priorityClassName") or ""),
    )
    w.notes.extend(problems)
    if kind in ("Job", "CronJob"):
        job_spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec")) if kind == "CronJob" else spec
        w.kind = "Job"
        w.transient = True
        w.replicas = max(count(job_spec.get("parallelism"), 1), 1)
        w.replicas_path = "spec.jobTemplate.spec.parallelism" if kind == "CronJob" else "spec.parallelism"
        return w
    if kind == "Pod":
        w.replicas = 1
        return w
    if kind == "DaemonSet":
        strategy = as_dict(spec.get("updateStrategy"))
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            w.surge = 1 if surge(as_dict(strategy.get("rollingUpdate")).get("maxSurge"), 1, "0") > 0 else 0
        return w
    w.replicas = count(spec.get("replicas"), 1)
    w.replicas_path = "spec.replicas"
    scalers = scalers_of(index, r)
    if scalers:
        s = scalers[0]
        default_min = 1 if s.resource.kind == "HorizontalPodAutoscaler" else 0
        lo = default_min if s.min_replicas is None else max(s.min_replicas, 0)
        if s.max_replicas is not None and s.max_replicas >= 0:
            w.replicas = lo
            w.max_replicas = max(s.max_replicas, lo)
            hpa = w.scaler = s.resource
            w.replicas_path = f"{hpa.kind} {hpa.namespace or namespace}/{hpa.name} spec.maxReplicas"
    if kind == "Deployment":
        strategy = as_dict(spec.get("strategy"))
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            w.surge = surge(as_dict(strategy.get("rollingUpdate")).get("maxSurge"), w.steady_replicas, "25%")
    elif kind == "Rollout":  # Argo Rollouts: a canary surges like a Deployment; blue-green runs a preview set
        strategy = as_dict(spec.get("strategy"))
        if "blueGreen" in strategy:
            preview = as_dict(strategy.get("blueGreen")).get("previewReplicaCount")
            w.surge = count(preview, w.steady_replicas)
        else:
            w.surge = surge(as_dict(strategy.get("canary")).get("maxSurge"), w.steady_replicas, "25%")
    return w


def _operator_workload(r: Resource, spec: dict[str, Any], namespace: str, owner: Owner) -> Workload:
    kind = r.kind
    req, lim, problems = parse_resources(spec.get("resources"))
    main = {"Prometheus": "prometheus", "Alertmanager": "alertmanager", "ThanosRuler": "thanos-ruler"}[kind]
    path = "spec.resources"
    if kind != "Prometheus" and req.memory is None:
        req = Res(req.cpu, OPERATOR_MEMORY_DEFAULT)
        path += " (memory 200Mi set by the operator)"
    replicas = count(spec.get("replicas"), 1)
    if kind == "Prometheus":
        replicas *= max(count(spec.get("shards"), 1), 1)
    prefix = {"Prometheus": "prometheus", "Alertmanager": "alertmanager", "ThanosRuler": "thanos-ruler"}[kind]
    w = Workload(
        name=f"{prefix}-{r.name}",
        component=r.name,
        kind="StatefulSet",
        namespace=namespace,
        owner=owner,
        containers=[Container(main, req, lim, path)],
        replicas=replicas,
        replicas_path="spec.replicas",
    )
    w.notes.extend(f"spec.resources: {p}" for p in problems)
    w.notes.append(
        f"StatefulSet made by prometheus-operator from {kind} {namespace}/{r.name}; "
        "its config-reloader sidecar is not counted"
    )
    return w


def load_balancer_of(r: Resource) -> LoadBalancer | None:
    spec = as_dict(r.body.get("spec"))
    if spec.get("type") != "LoadBalancer":
        return None
    ports: list[tuple[int, str]] = []
    for p in as_list(spec.get("ports")):
        p = as_dict(p)
        port = p.get("port")
        if isinstance(port, int) and not isinstance(port, bool):
            proto = str(p["protocol"]) if isinstance(p.get("protocol"), str) else "TCP"
            ports.append((port, proto))
    if not ports:
        return None
    namespace = r.namespace or "default"
    owner = Owner(label=f"Service {namespace}/{r.name}", resource=r, group=f"Service {namespace}/{r.name}")
    return LoadBalancer(r.name, namespace, tuple(ports), owner, "spec.type")
