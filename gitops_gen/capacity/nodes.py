"""Node model: what the scheduler can place on each node, and the distribution's own pods.

``allocatable = capacity - reserved (kube-reserved + system-reserved) - hard eviction threshold``
(memory; CPU has no eviction threshold), as the kubelet computes Node Allocatable.

Defaults (``../shared/design/k3s-facts.md``):

* K3s sets no kube-reserved or system-reserved (§2); from v1.32 its kubelet config drop-in keeps the
  kubelet's default ``memory.available<100Mi`` hard-eviction threshold, before v1.32 the
  ``--eviction-hard`` flag replaced the whole map and left no memory threshold (0).
* upstream kubelet (``distribution: kubernetes``): no reservations by default, ``memory.available<100Mi``.
* Both are overridden per node by the platform spec (``nodes[].reserved``,
  ``nodes[].evictionHardMemory``).
* The K3s server process (apiserver, kine/etcd, containerd, kubelet) is not a pod; it uses about
  768-896M (k3s-facts §3), which Allocatable does not set aside. The budget warns when requests
  leave less than that.

K3s add-ons (k3s-facts §1), each skipped when listed in ``spec.k3s.disable``: CoreDNS (100m / 70Mi,
limit 170Mi), metrics-server (100m / 70Mi), Traefik (no requests; its LoadBalancer Service on 80/443
is served by a ``svclb-traefik`` DaemonSet binding host ports 80 and 443 on every node unless
``servicelb`` is disabled), local-path-provisioner (no requests).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field

from gitops_gen.capacity.model import Container, Owner, Res, Workload
from gitops_gen.capacity.profiles._base import MI, LoadBalancer
from gitops_gen.errors import UserError
from gitops_gen.quantity import QuantityError, cpu_millis, format_cpu, format_memory, memory_bytes

if TYPE_CHECKING:
    from gitops_gen.spec.facts import PlatformFacts

DEFAULT_EVICTION = 100 * MI
K3S_SERVER_OVERHEAD = 896 * 10**6  # k3s-facts §3: "K3s server with a workload", embedded etcd: 896 M
MAX_PODS = 110  # kubelet default maxPods (K3s keeps it)
MAX_NODES = 5000  # Kubernetes' largest supported cluster; 10**11 nodes would hang the simulation


class Node(Struct, frozen=True):
    """One node: its capacity, what the system reserves and evicts at (millicores, bytes), and its pod limit."""

    name: str
    cpu: int  # capacity, millicores
    memory: int  # capacity, bytes
    reserved_cpu: int = 0
    reserved_memory: int = 0
    eviction_memory: int = 0
    max_pods: int = MAX_PODS

    @property
    def allocatable_cpu(self) -> int:
        return max(self.cpu - self.reserved_cpu, 0)

    @property
    def allocatable_memory(self) -> int:
        return max(self.memory - self.reserved_memory - self.eviction_memory, 0)

    def describe(self) -> str:
        return (
            f"{self.name} ({format_cpu(self.cpu)} CPU, {format_memory(self.memory)}; allocatable "
            f"{format_cpu(self.allocatable_cpu)} CPU, {format_memory(self.allocatable_memory)})"
        )


class Cluster(Struct):
    """The nodes a cluster schedules onto, its distribution and Kubernetes version."""

    nodes: list[Node]
    distribution: str = "kubernetes"  # "k3s" | "kubernetes"
    kubernetes_version: str = "1.34"
    k3s_disable: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    source: str = ""  # where the node sizes come from

    @property
    def allocatable_cpu(self) -> int:
        return sum(n.allocatable_cpu for n in self.nodes)

    @property
    def allocatable_memory(self) -> int:
        return sum(n.allocatable_memory for n in self.nodes)

    @property
    def k3s(self) -> bool:
        return self.distribution == "k3s"

    @property
    def servicelb(self) -> bool:
        return self.k3s and "servicelb" not in self.k3s_disable


def default_eviction(distribution: str, kubernetes_version: str) -> int:
    if distribution == "k3s" and _minor(kubernetes_version) < 32:
        return 0
    return DEFAULT_EVICTION


def _minor(version: str) -> int:
    m = re.match(r"^v?1\.(\d+)", str(version))
    return int(m.group(1)) if m else 99


def from_platform(platform: PlatformFacts, *, source: str = "platform spec") -> Cluster:
    distribution = platform.distribution
    version = platform.kubernetes_version
    eviction = default_eviction(distribution, version)
    nodes: list[Node] = []
    for n in platform.nodes:
        nodes.append(
            Node(
                name=n.name,
                cpu=cpu_millis(n.cpu),
                memory=memory_bytes(n.memory),
                reserved_cpu=cpu_millis(n.reserved_cpu) if n.reserved_cpu is not None else 0,
                reserved_memory=memory_bytes(n.reserved_memory) if n.reserved_memory is not None else 0,
                eviction_memory=memory_bytes(n.eviction_hard_memory)
                if n.eviction_hard_memory is not None
                else eviction,
            )
        )
    cluster = Cluster(nodes, distribution, version, frozenset(platform.k3s_disable), source=source)
    _explain_defaults(cluster, explicit=platform.explicit_reservations)
    return cluster


def from_sizes(
    memory: str | None,
    cpu: str | None,
    count: int | None,
    *,
    base: Cluster | None = None,
    distribution: str = "kubernetes",
    kubernetes_version: str = "1.34",
) -> Cluster:
    """Nodes given on the command line (``--node-memory 12Gi --node-cpu 4 --nodes 2``).

    Sizes not given are taken from ``base`` (the platform spec) when there is one.
    """
    if base is not None:
        distribution, kubernetes_version = base.distribution, base.kubernetes_version
    mem = _parse(memory, memory_bytes, "--node-memory", "12Gi") if memory is not None else None
    cpus = _parse(cpu, cpu_millis, "--node-cpu", "4") if cpu is not None else None
    if count is not None and not 1 <= count <= MAX_NODES:
        raise UserError.at(
            "--nodes",
            f"{count} is not a node count",
            hint=f"give 1 to {MAX_NODES:,} (Kubernetes' largest supported cluster)",
        )
    template = base.nodes[0] if base is not None and base.nodes else None
    if mem is None:
        if template is None:
            raise UserError.at(
                "--node-memory",
                "node memory is unknown",
                hint="pass --node-memory (e.g. 12Gi) or --specs with nodes in the platform spec",
            )
        mem = template.memory
    if cpus is None:
        if template is None:
            raise UserError.at(
                "--node-cpu",
                "node CPU is unknown",
                hint="pass --node-cpu (e.g. 4) or --specs with nodes in the platform spec",
            )
        cpus = template.cpu
    n = count if count is not None else (len(base.nodes) if base is not None and base.nodes else 1)
    eviction = template.eviction_memory if template else default_eviction(distribution, kubernetes_version)
    nodes = [
        Node(
            f"node-{i + 1}",
            cpus,
            mem,
            template.reserved_cpu if template else 0,
            template.reserved_memory if template else 0,
            eviction,
        )
        for i in range(n)
    ]
    cluster = Cluster(
        nodes,
        distribution,
        kubernetes_version,
        base.k3s_disable if base is not None else frozenset(),
        source="command line",
    )
    _explain_defaults(cluster, explicit=False)
    return cluster


def resolve_cluster(
    platform: PlatformFacts | None,
    memory: str | None = None,
    cpu: str | None = None,
    count: int | None = None,
    *,
    kubernetes_version: str = "1.34",
) -> Cluster | None:
    """The nodes of ``gitops-gen lint`` and ``gitops-gen budget`` (one semantics for both commands).

    * No node option: the platform spec's nodes (sizes, reservations, eviction threshold), or
      ``None`` when there is no spec (the budget has no nodes to compare with).
    * ``--node-memory`` / ``--node-cpu`` override the spec's node size (an option not given keeps
      the spec's first node's value, and its reservations); the spec's node *count* is kept.
    * ``--nodes N``: N nodes of that size. Without a spec, both sizes must be given, and the count
      defaults to 1.

    ``kubernetes_version`` (lint's ``--kubernetes-version``) decides the default eviction threshold
    when there is no platform spec.
    """
    base = from_platform(platform) if platform is not None else None
    if memory is not None or cpu is not None or count is not None:
        return from_sizes(memory, cpu, count, base=base, kubernetes_version=kubernetes_version)
    if base is not None and base.nodes:
        return base
    return None


class NodeSizes(Struct, frozen=True):
    """Node sizes given outside a platform spec (flags, a config file); ``None``: not given."""

    memory: str | None = None
    cpu: str | None = None
    count: int | None = None

    def over(self, under: NodeSizes) -> NodeSizes:
        """These sizes, each one not given taken from ``under``."""
        return NodeSizes(
            self.memory if self.memory is not None else under.memory,
            self.cpu if self.cpu is not None else under.cpu,
            self.count if self.count is not None else under.count,
        )

    @property
    def given(self) -> bool:
        return self.memory is not None or self.cpu is not None or self.count is not None


class NodePlan(Struct):
    """The nodes of each cluster of a run (lint's budget rules, ``budget``, ``diff``).

    For the cluster named ``name``, each size is taken from the first that gives it: the flags
    (``--node-*``: every cluster), the config's ``clusters.<name>.nodes``, the config's ``nodes``
    (every cluster); the rest, and the node count, reservations and distribution, come from the
    cluster's platform spec (:func:`resolve_cluster`). A specs directory with one Platform describes
    every cluster; with several (a fleet), each cluster gets the Platform named like it (its
    ``clusters/<name>/`` directory), and a cluster with none gets only the sizes given.
    """

    platforms: tuple[PlatformFacts, ...] = ()
    flags: NodeSizes = NodeSizes()
    config: NodeSizes = NodeSizes()
    per_cluster: dict[str, NodeSizes] = field(default_factory=dict)
    kubernetes_version: str = "1.34"
    config_file: str = ""  # where ``clusters:`` is written (as shown), and each name's (line, column)
    config_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    config_dir: str = ""  # the directory of the config file (absolute)

    def platform_for(self, name: str) -> PlatformFacts | None:
        if len(self.platforms) == 1:
            return self.platforms[0]
        short = name.rsplit("/", 1)[-1]  # "<repository>/<cluster>" when several repositories
        named = {p.name: p for p in self.platforms}
        return named.get(name) or named.get(short)

    def sizes_for(self, name: str) -> NodeSizes:
        mine = self.per_cluster.get(name) or self.per_cluster.get(name.rsplit("/", 1)[-1]) or NodeSizes()
        return self.flags.over(mine.over(self.config))

    def for_cluster(self, name: str) -> tuple[Cluster | None, PlatformFacts | None]:
        """The nodes of cluster ``name`` (None: no size known) and its platform spec."""
        platform = self.platform_for(name)
        s = self.sizes_for(name)
        cluster = resolve_cluster(
            platform, s.memory, s.cpu, s.count, kubernetes_version=self.kubernetes_version
        )
        return cluster, platform

    def check_names(self, names: list[str], paths: list[Path]) -> None:
        """Refuse a ``clusters:`` name that is none of ``names`` (the clusters found under ``paths``): a
        typo would silently budget that cluster on other nodes. Only when a path holds the config's
        directory (the whole repository): a run on part of it does not see every cluster."""
        import difflib

        if not self.per_cluster or not self.config_dir:
            return
        whole = Path(self.config_dir)
        if not any(p.resolve() == whole or p.resolve() in whole.parents for p in paths):
            return
        known = set(names) | {n.rsplit("/", 1)[-1] for n in names}
        for name in sorted(n for n in self.per_cluster if n not in known):
            close = difflib.get_close_matches(name, sorted(known), n=1)
            line, col = self.config_at.get(name, (1, 1))
            raise UserError.at(
                self.config_file or "clusters",
                f"clusters.{name}: no cluster {name!r} here (clusters: {', '.join(names) or 'none'})",
                line=line,
                column=col,
                hint=f"did you mean {close[0]!r}?"
                if close
                else "name a cluster directory (clusters/<name>/)",
            )


def _parse(value: str, conv: Any, flag: str, example: str) -> int:
    try:
        n = int(conv(value))
    except QuantityError:
        raise UserError.at(flag, f"{value!r} is not a quantity", hint=f"e.g. {flag} {example}") from None
    if n <= 0:
        raise UserError.at(flag, f"{value!r} must be positive", hint=f"e.g. {flag} {example}")
    return n


def _explain_defaults(cluster: Cluster, *, explicit: bool) -> None:
    if cluster.k3s:
        if _minor(cluster.kubernetes_version) < 32:
            what = "K3s < v1.32: no kube/system reservations and no memory eviction threshold"
        else:
            what = "K3s >= v1.32: no kube/system reservations, memory.available<100Mi hard eviction"
        cluster.notes.append(
            f"allocatable = capacity - reserved - eviction threshold ({what}"
            + ("; spec values where set" if explicit else "")
            + "). The K3s server process itself "
            "(~768-896M) is not a pod and is not set aside: keep that much free."
        )
    else:
        cluster.notes.append(
            "allocatable = capacity - reserved - eviction threshold (kubelet defaults: "
            "no reservations, memory.available<100Mi"
            + ("; spec values where set" if explicit else "")
            + "). System pods "
            "(CNI, kube-proxy, CoreDNS) of the distribution are not counted."
        )


K3S_OWNER = Owner(label="K3s add-on", group="K3s add-ons (kube-system)")


def system_workloads(cluster: Cluster) -> tuple[list[Workload], list[LoadBalancer]]:
    """K3s's packaged add-ons that run as pods (unless disabled) and Traefik's LoadBalancer."""
    if not cluster.k3s:
        return [], []
    off = cluster.k3s_disable
    out: list[Workload] = []
    lbs: list[LoadBalancer] = []

    def add(name: str, req: Res, lim: Res, flag: str) -> None:
        out.append(
            Workload(
                name=name,
                component=name,
                kind="Deployment",
                namespace="kube-system",
                owner=K3S_OWNER,
                containers=[Container(name, req, lim, "K3s manifest")],
                replicas=1,
                system=True,
                fix=f"start K3s with --disable={flag}",
                priority_class="system-cluster-critical",
            )
        )

    if "coredns" not in off:
        add("coredns", Res(100, 70 * MI), Res(None, 170 * MI), "coredns")
    if "metrics-server" not in off:
        add("metrics-server", Res(100, 70 * MI), Res(), "metrics-server")
    if "local-storage" not in off:
        add("local-path-provisioner", Res(), Res(), "local-storage")
    if "traefik" not in off:
        add("traefik", Res(), Res(), "traefik")
        lbs.append(LoadBalancer("traefik", "kube-system", ((80, "TCP"), (443, "TCP")), K3S_OWNER, ""))
    return out, lbs


def svclb_workload(lb: LoadBalancer) -> Workload:
    """K3s ServiceLB's DaemonSet for one LoadBalancer Service: hostPort = each service port."""
    containers = [
        Container(f"lb-{proto.lower()}-{port}", Res(), Res(), "ServiceLB (klipper-lb)")
        for port, proto in lb.ports
    ]
    fix = ""
    if lb.owner is not K3S_OWNER:
        fix = "disable K3s's Traefik (`--disable=traefik`, platform spec `spec.k3s.disable: [traefik]`) or use other ports"
    return Workload(
        name=f"svclb-{lb.name}",
        component=f"svclb-{lb.name}",
        kind="DaemonSet",
        namespace="kube-system",
        owner=lb.owner,
        containers=containers,
        host_ports=lb.ports,
        replicas_path=lb.path,
        system=True,
        fix=fix,
        priority_class="system-node-critical",
        notes=[f"K3s ServiceLB pods for the LoadBalancer Service {lb.namespace}/{lb.name}"],
    )
