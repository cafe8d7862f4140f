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

from collections.abc import Iterable
from typing import Any

from gitops_gen.capacity.model import (
    Container,
    Owner,
    Res,
    Workload,
    int_or,
    parse_resources,
    resolve_int_or_percent,
)
from gitops_gen.capacity.profiles._base import MI, LoadBalancer
from gitops_gen.lint.model import Resource
from gitops_gen.lint.workloads import as_dict, as_list

CONTROLLER_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "Job",
    "CronJob",
)
OPERATOR_KINDS = ("Prometheus", "Alertmanager", "ThanosRuler")
OPERATOR_MEMORY_DEFAULT = 200 * MI


def autoscaler_index(resources: Iterable[Resource]) -> dict[tuple[str, str, str], tuple[int, int, Resource]]:
    """(namespace, kind, name) of a scale target -> (minReplicas, maxReplicas, autoscaler)."""
    out: dict[tuple[str, str, str], tuple[int, int, Resource]] = {}
    for r in resources:
        spec = as_dict(r.body.get("spec"))
        ref = as_dict(spec.get("scaleTargetRef"))
        if r.kind == "HorizontalPodAutoscaler":
            kind, lo, hi = (
                ref.get("kind"),
                int_or(spec.get("minReplicas"), 1),
                int_or(spec.get("maxReplicas"), -1),
            )
        else:  # KEDA ScaledObject
            kind = ref.get("kind") or "Deployment"
            lo, hi = int_or(spec.get("minReplicaCount"), 0), int_or(spec.get("maxReplicaCount"), 100)
        name = ref.get("name")
        if isinstance(kind, str) and isinstance(name, str) and hi >= 0:
            out[(r.namespace, kind, name)] = (lo, max(hi, lo), r)
    return out


def pod_containers(pod_spec: dict[str, Any], base: str) -> tuple[list[Container], list[str]]:
    """Containers of a pod spec with their effective requests/limits (API defaulting applied)."""
    out: list[Container] = []
    problems: list[str] = []
    for key, init in (("containers", False), ("initContainers", True)):
        for i, c in enumerate(as_list(pod_spec.get(key))):
            if not isinstance(c, dict):
                continue
            name = c.get("name") if isinstance(c.get("name"), str) else f"#{i}"
            path = f"{base}.{key}[{i}].resources"
            req, lim, probs = parse_resources(c.get("resources"))
            problems.extend(f"{path}: {p}" for p in probs)
            out.append(
                Container(
                    str(name), req, lim, path, init=init, sidecar=init and c.get("restartPolicy") == "Always"
                )
            )
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


def workload_of(
    r: Resource, scalers: dict[tuple[str, str, str], tuple[int, int, Resource]]
) -> Workload | None:
    """The workload of one controller object, or None (not a workload, or owned by another object)."""
    kind = r.kind
    body = r.body
    spec = as_dict(body.get("spec"))
    meta = as_dict(body.get("metadata"))
    if kind in ("Pod", "ReplicaSet", "Job") and as_list(meta.get("ownerReferences")):
        return None  # created by a controller that is itself in the input
    namespace = r.namespace or "default"
    owner = Owner(label=f"{kind} {namespace}/{r.name}", resource=r, group=f"{kind} {namespace}/{r.name}")
    if kind in OPERATOR_KINDS:
        return _operator_workload(r, spec, namespace, owner)
    if kind == "Pod":
        ps, base = spec, "spec"
    elif kind == "CronJob":
        ps = as_dict(
            as_dict(as_dict(as_dict(spec.get("jobTemplate")).get("spec")).get("template")).get("spec")
        )
        base = "spec.jobTemplate.spec.template.spec"
    else:
        ps = as_dict(as_dict(spec.get("template")).get("spec"))
        base = "spec.template.spec"
    if not ps:
        return None
    containers, problems = pod_containers(ps, base)
    if not containers:
        return None
    w = Workload(
        name=r.name,
        component=r.name,
        kind=kind,
        namespace=namespace,
        owner=owner,
        containers=containers,
        host_ports=host_ports(ps),
        priority_class=str(ps.get("priorityClassName") or ""),
    )
    w.notes.extend(problems)
    if kind in ("Job", "CronJob"):
        job_spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec")) if kind == "CronJob" else spec
        w.kind = "Job"
        w.transient = True
        w.replicas = max(int_or(job_spec.get("parallelism"), 1), 1)
        w.replicas_path = "spec.jobTemplate.spec.parallelism" if kind == "CronJob" else "spec.parallelism"
        return w
    if kind == "Pod":
        w.replicas = 1
        return w
    if kind == "DaemonSet":
        strategy = as_dict(spec.get("updateStrategy"))
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            surge = as_dict(strategy.get("rollingUpdate")).get("maxSurge")
            w.surge = 1 if resolve_int_or_percent(surge, 1, round_up=True, default="0") > 0 else 0
        return w
    w.replicas = int_or(spec.get("replicas"), 1)
    w.replicas_path = "spec.replicas"
    scaler = scalers.get((r.namespace, kind, r.name))
    if scaler is not None:
        lo, hi, hpa = scaler
        w.replicas = lo
        w.max_replicas = hi
        w.replicas_path = f"{hpa.kind} {hpa.namespace or namespace}/{hpa.name} spec.maxReplicas"
    if kind == "Deployment":
        strategy = as_dict(spec.get("strategy"))
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            top = w.steady_replicas
            w.surge = resolve_int_or_percent(
                as_dict(strategy.get("rollingUpdate")).get("maxSurge"), top, round_up=True, default="25%"
            )
    return w


def _operator_workload(r: Resource, spec: dict[str, Any], namespace: str, owner: Owner) -> Workload:
    kind = r.kind
    req, lim, problems = parse_resources(spec.get("resources"))
    main = {"Prometheus": "prometheus", "Alertmanager": "alertmanager", "ThanosRuler": "thanos-ruler"}[kind]
    path = "spec.resources"
    if kind != "Prometheus" and req.memory is None:
        req = Res(req.cpu, OPERATOR_MEMORY_DEFAULT)
        path += " (memory 200Mi set by the operator)"
    replicas = int_or(spec.get("replicas"), 1)
    if kind == "Prometheus":
        replicas *= max(int_or(spec.get("shards"), 1), 1)
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
