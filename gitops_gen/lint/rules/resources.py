"""Every container declares CPU and memory requests and a memory limit; requests <= limits.

**What.** For every container, init container and sidecar (an init container with
``restartPolicy: Always``) of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or
CronJob, and of every controller in a HelmRelease's values in bjw-s app-template's layout (reported
at the values' lines, ``defaultContainerOptions`` applied as the chart applies them):

* ``resources.requests.cpu`` and ``resources.requests.memory`` are set;
* ``resources.limits.memory`` is set;
* every quantity parses (``100m``, ``0.5``, ``128Mi``, ``1Gi``) and is not negative;
* a request is not above its limit (the API server rejects such a pod).

**Why.** On a small cluster the scheduler only knows what requests say: a pod without requests
is placed on a full node and starves its neighbours, and one without a memory limit can leak
until the kernel's OOM killer picks a victim - often not the culprit. Memory cannot be
reclaimed from a process, so the limit is the only bound.

**What we chose.**

* *CPU limits are not required* (kube-score requires them; Polaris warns; kube-linter only
  checks requests). CPU is compressible: a limit only throttles a container even while the
  node's CPU is idle, which costs latency and liveness-probe timeouts for no gain. The CPU
  request already guarantees each container its share. A CPU limit that is set is still
  checked (parses, not below the request).
* *A request that is missing while the limit is set* is a **warning**, not an error: the API
  server copies the limit into the request, so the pod is bounded, but the intent is implicit.
* Init containers are included (kube-score and kube-linter do too): they run before the app
  and the pod's effective request is the larger of the init and app requests.
* Values with unresolved Flux ``${VAR}`` substitutions are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from gitops_gen.k8s.app_template import helmrelease_controllers
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, ContainerRef, as_dict, containers, has_subst
from gitops_gen.lint.chart_values import in_values
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.quantity import QuantityError, parse_quantity

ID = "resources"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True  # reads only its object: runs per file (process pool, cache)
KINDS = POD_TEMPLATE_KINDS | {"HelmRelease"}  # HelmRelease: bjw-s app-template values

_EXAMPLE = {"cpu": "100m", "memory": "128Mi"}


def _deepest(c: ContainerRef, *keys: str) -> FieldPath:
    """The path of the deepest existing node along ``resources.<keys>`` of a container."""
    walked: list[str] = []
    node: object = c.container
    for k in ("resources", *keys):
        if not isinstance(node, dict) or k not in node:
            break
        node = node[k]
        walked.append(k)
    return c.at(*walked)


def _parse(
    r: Resource, c: ContainerRef, section: str, res: str, value: object
) -> tuple[Fraction | None, Hit | None]:
    if value is None or has_subst(value):
        return None, None
    path = c.at("resources", section, res)
    try:
        q = parse_quantity(value)
    except QuantityError as exc:
        return None, Hit(
            r,
            f"{c.label}: {section}.{res} {value!r} is not a quantity ({exc})",
            f"write a Kubernetes quantity, e.g. {res}: {_EXAMPLE.get(res, '1')}",
            path,
        )
    if q < 0:
        return None, Hit(
            r,
            f"{c.label}: {section}.{res} {value!r} is negative",
            f"use a positive quantity, e.g. {_EXAMPLE.get(res, '1')}",
            path,
        )
    return q, None


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "HelmRelease":
        for ctrl in helmrelease_controllers(resource):
            yield from in_values(ctrl, _check(resource, ctrl.container_refs()))
        return
    yield from _check(resource, containers(resource))


def _check(resource: Resource, refs: list[ContainerRef]) -> Iterator[Hit]:
    for c in refs:
        res = as_dict(c.container.get("resources"))
        requests = as_dict(res.get("requests"))
        limits = as_dict(res.get("limits"))
        for name in ("cpu", "memory"):
            req_raw, lim_raw = requests.get(name), limits.get(name)
            req, hit1 = _parse(resource, c, "requests", name, req_raw)
            lim, hit2 = _parse(resource, c, "limits", name, lim_raw)
            for h in (hit1, hit2):
                if h is not None:
                    yield h
            if req_raw is None:
                if lim_raw is not None:
                    yield Hit(
                        resource,
                        f"{c.label} has no {name} request (it defaults to the {name} limit {lim_raw})",
                        f"set resources.requests.{name} explicitly (usually below the limit)",
                        _deepest(c, "requests"),
                        severity=Severity.WARNING,
                    )
                else:
                    what = (
                        "the scheduler cannot account for it"
                        if name == "cpu"
                        else "the scheduler may place it on a node without room"
                    )
                    yield Hit(
                        resource,
                        f"{c.label} has no {name} request: {what}",
                        f"set resources.requests.{name} (e.g. {_EXAMPLE[name]}) to what it "
                        "needs at steady state",
                        _deepest(c, "requests"),
                    )
            if name == "memory" and lim_raw is None:
                yield Hit(
                    resource,
                    f"{c.label} has no memory limit: a leak can exhaust the node",
                    "set resources.limits.memory (e.g. the observed peak plus headroom)",
                    _deepest(c, "limits"),
                )
            if req is not None and lim is not None and req > lim:
                yield Hit(
                    resource,
                    f"{c.label}: {name} request {req_raw} is above its limit "
                    f"{lim_raw} (the API server rejects the pod)",
                    f"lower requests.{name} or raise limits.{name}",
                    c.at("resources", "requests", name),
                )
