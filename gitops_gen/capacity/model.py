"""The capacity model's data: containers, workloads and who owns them.

A :class:`Workload` is what the scheduler will be asked to place: N identical pods (or one per node
for a DaemonSet), each with the effective requests of its containers. Workloads come from three
places — chart profiles (a HelmRelease), plain manifests (Deployment, StatefulSet, ...) and the
distribution's own add-ons (K3s) — and each remembers its :class:`Owner`, so that a finding can
say which object to change and which field or Helm values path does it.

Units: CPU in millicores, memory in bytes; ``None`` means "not set" (which is not zero: a container
without a memory request is *unbounded* and the budget says so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.quantity import QuantityError, cpu_millis, memory_bytes

if TYPE_CHECKING:
    from gitops_gen.k8s.model import Resource


class Res(Struct, frozen=True):
    """CPU (millicores) and memory (bytes); ``None`` = unset."""

    cpu: int | None = None
    memory: int | None = None


class Container(Struct, frozen=True):
    """One container's requests and limits, and the values or manifest path they come from."""

    name: str
    requests: Res = Res()
    limits: Res = Res()
    path: str = ""  # where the resources come from: a Helm values path or a manifest field path
    init: bool = False  # an init container (runs before the others)
    sidecar: bool = False  # a restartable init container (restartPolicy: Always): runs alongside


class Owner(Struct, frozen=True):
    """The object a workload belongs to, and how to talk about it in a finding."""

    label: str  # "HelmRelease logging/loki", "Deployment lingua-app/lingua-app", "K3s add-on"
    resource: Resource | None = None  # None for K3s add-ons
    chart: str = ""  # "loki 6.55.0" for HelmReleases
    values_root: str = ""  # "values." for a HelmRelease: prefix of every values path in messages
    spec_path: str = ""  # "spec.components.logging.loki" when the HelmRelease comes from a gitops-gen spec
    group: str = ""  # grouping key in the budget table (one per owner)

    @property
    def key(self) -> str:
        return self.group or self.label


class Workload(Struct):
    """Identical pods of one controller."""

    name: str  # object name, e.g. "loki-chunks-cache"
    component: str  # what a user calls it, e.g. "chunks-cache"
    kind: str  # Deployment | StatefulSet | DaemonSet | ReplicaSet | Pod | Job
    namespace: str
    owner: Owner
    containers: list[Container] = field(default_factory=list)
    replicas: int = 1  # steady replicas (HPA: minReplicas); DaemonSet: ignored (one per node)
    max_replicas: int | None = None  # HPA maxReplicas, when an autoscaler manages it
    surge: int = 0  # extra pods during a rolling update (at max replicas); DaemonSet: per node
    transient: bool = False  # Job / hook / on-demand pod: not part of the steady state
    host_ports: tuple[tuple[int, str], ...] = ()  # (port, protocol) bound on the node
    replicas_path: str = ""  # values path / field that sets the replica count
    fix: str = ""  # how to shrink it (beyond the resources path), e.g. the spec toggle
    system: bool = False  # a distribution add-on (K3s), placed before everything else
    unknown: bool = False  # a HelmRelease without a profile: footprint unknown, not zero
    notes: list[str] = field(default_factory=list)
    priority_class: str = ""
    scaler: Resource | None = None  # the HPA / ScaledObject whose maximum sets max_replicas

    # ------------------------------------------------------------------ derived values
    @property
    def per_node(self) -> bool:
        return self.kind == "DaemonSet"

    @property
    def steady_replicas(self) -> int:
        """Pods at the budget's worst steady state (HPA at maxReplicas)."""
        if self.max_replicas is not None:
            return max(self.max_replicas, self.replicas)
        return self.replicas

    def pods(self, node_count: int) -> int:
        if self.transient:
            return 0
        return node_count if self.per_node else self.steady_replicas

    @property
    def requests(self) -> Res:
        return _effective(self.containers, "requests")

    @property
    def limits(self) -> Res:
        """Pod limits; a resource is ``None`` when any container leaves it unlimited."""
        return _effective(self.containers, "limits", none_if_any_missing=True)

    @property
    def unbounded(self) -> list[str]:
        """Names of running containers without a memory request (not for distribution add-ons)."""
        if self.system or self.unknown:
            return []
        return [c.name for c in self.containers if (not c.init or c.sidecar) and c.requests.memory is None]

    @property
    def main_container(self) -> Container | None:
        """The container with the largest memory (then CPU) request."""
        return max(
            (c for c in self.containers if not c.init or c.sidecar),
            default=None,
            key=lambda c: (c.requests.memory or 0, c.requests.cpu or 0),
        )

    @property
    def resources_path(self) -> str:
        """The values/field path that sets the biggest container's resources."""
        best = self.main_container
        return best.path if best is not None else ""


def _effective(containers: list[Container], which: str, *, none_if_any_missing: bool = False) -> Res:
    """The pod's effective requests/limits, as the scheduler computes them.

    max(sum of app containers + restartable init (sidecar) containers, largest init container
    plus the sidecars started before it).
    """
    out: list[int | None] = []
    for attr in ("cpu", "memory"):
        total = 0
        sidecars = 0
        init_peak = 0
        missing = False
        for c in containers:
            value = getattr(getattr(c, which), attr)
            if value is None:
                if not c.init or c.sidecar:
                    missing = True
                value = 0
            if c.sidecar:
                sidecars += value
            elif c.init:
                init_peak = max(init_peak, value + sidecars)
            else:
                total += value
        if missing and none_if_any_missing:
            out.append(None)
        else:
            out.append(max(total + sidecars, init_peak))
    return Res(out[0], out[1])


# ------------------------------------------------------------------------------------- parsing
def parse_resources(raw: Any) -> tuple[Res, Res, list[str]]:
    """``{requests: {...}, limits: {...}}`` -> (requests, limits, problems).

    Applies the API server's defaulting: a resource with a limit but no request gets the limit as
    its request. Values that are not quantities are reported and treated as unset.
    """
    problems: list[str] = []
    if not isinstance(raw, dict):
        if raw not in (None, "", {}):
            problems.append(f"resources is a {type(raw).__name__}, not a mapping")
        return Res(), Res(), problems
    req = _res(raw.get("requests"), "requests", problems)
    lim = _res(raw.get("limits"), "limits", problems)
    req = Res(
        req.cpu if req.cpu is not None else lim.cpu, req.memory if req.memory is not None else lim.memory
    )
    return req, lim, problems


def _res(raw: Any, where: str, problems: list[str]) -> Res:
    if not isinstance(raw, dict):
        if raw not in (None, "", {}):
            problems.append(f"{where} is a {type(raw).__name__}, not a mapping")
        return Res()
    cpu = _quantity(raw.get("cpu"), cpu_millis, f"{where}.cpu", problems)
    mem = _quantity(raw.get("memory"), memory_bytes, f"{where}.memory", problems)
    return Res(cpu, mem)


_PARSED: dict[tuple[Any, str], int | None] = {}  # the same few quantities repeat across thousands of objects


def _quantity(value: Any, conv: Any, where: str, problems: list[str]) -> int | None:
    if value is None or value == "":
        return None
    key = (conv, value) if isinstance(value, str) and len(value) < 64 else None
    if key is not None and key in _PARSED:
        n: int | None = _PARSED[key]
    else:
        try:
            n = int(conv(value))
        except (QuantityError, ValueError, OverflowError, ZeroDivisionError, TypeError):
            n = None
        if key is not None and len(_PARSED) < 100_000:
            _PARSED[key] = n
    if n is None:
        problems.append(f"{where} {value!r} is not a quantity")
        return None
    if n < 0:
        problems.append(f"{where} {value!r} is negative")
        return None
    return n
