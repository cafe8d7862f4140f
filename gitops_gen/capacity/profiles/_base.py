"""What every chart profile shares: merged values, the release, and the footprint it returns.

A profile module has::

    CHART = "loki"                 # chart name as in HelmRelease spec.chart.spec.chart
    VERSION = "6.55.0"             # the chart version the facts were read from
    SOURCE = "grafana/loki @ helm-loki-6.55.0 ..."   # where (see ../shared/design/chart-defaults.md)
    SPEC_COMPONENT = "logging.loki"                  # the platform spec component that renders it
    DEFAULTS = {...}               # the chart's default values that decide workloads (cited)
    def footprint(values: Values, release: Release) -> Footprint

``footprint`` gets the chart defaults deep-merged with the HelmRelease's values (Helm's rules: maps
merge, a ``null`` deletes a default) and returns the workloads the chart will create.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct, field

from gitops_gen.capacity.model import Container, Owner, Res, Workload, parse_resources
from gitops_gen.k8s.workloads import as_count
from gitops_gen.values import get_path


class Values:
    """Read access to merged values by dotted path (``chunksCache.allocatedMemory``)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []

    def get(self, path: str, default: Any = None) -> Any:
        return get_path(self.data, path, default)

    def enabled(self, path: str, default: bool = False) -> bool:
        value = self.get(path, default)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "yes", "1", "on")
        return bool(value)

    def integer(self, path: str, default: int) -> int:
        value = self.get(path, None)
        if value is None:
            return default
        n = as_count(value)
        if n is None:
            self.problems.append(f"values.{path}: {value!r} is not a non-negative integer; using {default}")
            return default
        return n

    def text(self, path: str, default: str = "") -> str:
        value = self.get(path, default)
        return str(value) if value is not None else default

    def truthy(self, path: str) -> bool:
        """Go template truthiness: empty map/list/string, 0, false and null are false."""
        return bool(self.get(path, None))

    def container(self, name: str, path: str, *, init: bool = False) -> Container:
        """A container whose resources are the mapping at ``path`` (``controller.resources``)."""
        req, lim, problems = parse_resources(self.get(path, None))
        for p in problems:
            self.problems.append(f"values.{path}: {p}; treated as unset")
        return Container(name, req, lim, path, init=init)


class Release(Struct, frozen=True):
    """A Helm release as Flux will install it."""

    name: str  # helm release name
    namespace: str  # where the chart's objects go
    chart: str
    version: str
    owner: Owner

    def fullname(self, values: Values, chart_name: str | None = None) -> str:
        """The chart's ``<chart>.fullname`` helper as almost every chart defines it."""
        override = values.text("fullnameOverride")
        if override:
            return override[:63].rstrip("-")
        name = values.text("nameOverride") or chart_name or self.chart
        if name in self.name:
            return self.name[:63].rstrip("-")
        return f"{self.name}-{name}"[:63].rstrip("-")


class LoadBalancer(Struct, frozen=True):
    """A Service of type LoadBalancer (served on K3s by a svclb DaemonSet binding its ports)."""

    name: str
    namespace: str
    ports: tuple[tuple[int, str], ...]
    owner: Owner
    path: str = ""  # values path / field that makes it a LoadBalancer


class Footprint(Struct):
    """What a chart creates: its workloads, load balancers and notes."""

    workloads: list[Workload] = field(default_factory=list)
    load_balancers: list[LoadBalancer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def workload(
    release: Release,
    values: Values,
    *,
    component: str,
    kind: str,
    name: str,
    containers: list[Container],
    replicas: int = 1,
    replicas_path: str = "",
    max_replicas: int | None = None,
    transient: bool = False,
    fix: str = "",
    host_ports: tuple[tuple[int, str], ...] = (),
    surge: int | None = None,
    notes: list[str] | None = None,
) -> Workload:
    """A workload of a chart, with the default RollingUpdate surge for Deployments (25%)."""
    if surge is None:
        surge = 0
        if kind == "Deployment" and not transient:
            top = max_replicas if max_replicas is not None else replicas
            surge = -(-25 * top // 100) if top else 0
    return Workload(
        name=name,
        component=component,
        kind=kind,
        namespace=release.namespace,
        owner=release.owner,
        containers=containers,
        replicas=replicas,
        max_replicas=max_replicas,
        surge=surge,
        transient=transient,
        host_ports=host_ports,
        replicas_path=replicas_path,
        fix=fix,
        notes=list(notes or ()),
    )


def operator_memory_default(container: Container, default_bytes: int, note: str) -> Container:
    """A container whose memory request an operator fills in when the user leaves it unset."""
    if container.requests.memory is not None:
        return container
    return Container(
        container.name,
        Res(container.requests.cpu, default_bytes),
        container.limits,
        container.path + f" ({note})",
        container.init,
        container.sidecar,
    )


MI = 2**20
