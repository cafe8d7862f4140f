"""Scheduling simulation: place every pod by its requests, as the scheduler's filters would.

A node fits a pod when (the scheduler's Filter plugins, in their order): the pod is not pinned to
another node (DaemonSet pods are, by node affinity), its host ports are free (NodePorts), and its
CPU and memory requests fit in what the node's allocatable leaves after the pods already there, with
fewer than ``maxPods`` pods (NodeResourcesFit). A pod no node fits stays Pending with the scheduler's
own message, e.g. ``0/1 nodes are available: 1 Insufficient memory.``

Order (Flux applies a whole repository at once, so the real queue order is arbitrary):

1. the distribution's add-ons (K3s: they run before anything else), then DaemonSet pods, one pinned
   to each node;
2. the steady replicas of every other workload, **largest first** (first-fit decreasing, onto the
   fitting node with the most free memory). When the pods of this step cannot all run, the largest
   ones are left Pending: the pods that run are chosen smallest first against the free CPU and
   memory (the most pods that fit), because a big pod is the one that finds no room among the
   others (the Loki chunks cache in the reference cluster);
3. the replicas an HPA may add up to ``maxReplicas``, the same way.

Then, each on its own against that steady state: the extra pods of one rolling update (``maxSurge``)
and the pods of each Job/hook. Those that do not fit are reported as transient: the rollout stalls,
the hook never runs.

Cost: the nodes are kept sorted best first (most free memory, then CPU), so a pod that fits costs a
few nodes' checks and a re-sort of one; O(nodes) for a pod that fits nowhere; a pod at least as large as one that fitted nowhere is
not tried again (until a trial placement is taken back), and identical failures share one reading
of the nodes' reasons.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter

from msgspec import Struct, field

from gitops_gen.capacity.model import Workload
from gitops_gen.capacity.nodes import Cluster, Node

AFFINITY = "node(s) didn't match Pod's node affinity/selector"
PORTS = "node(s) didn't have free ports for the requested pod ports"
TOO_MANY = "Too many pods"
NO_CPU = "Insufficient cpu"
NO_MEMORY = "Insufficient memory"


class NodeState(Struct):
    """One node during the simulation: what the pods placed on it request."""

    node: Node
    cpu: int = 0  # requested
    memory: int = 0
    pods: int = 0
    ports: set[tuple[int, str]] = field(default_factory=set)
    placed: Counter[int] = field(default_factory=Counter)  # workload index -> pods
    free_cpu: int = 0
    free_memory: int = 0
    max_pods: int = 0

    def __post_init__(self) -> None:
        self.free_cpu = self.node.allocatable_cpu - self.cpu
        self.free_memory = self.node.allocatable_memory - self.memory
        self.max_pods = self.node.max_pods


class Pending(Struct):
    """Pods of one workload that stay Pending (grouped: identical pods get the same message)."""

    workload: Workload
    count: int
    total: int  # pods of the workload in this phase
    reasons: dict[str, int]  # scheduler reason -> number of nodes
    message: str  # "0/1 nodes are available: 1 Insufficient memory."
    phase: str  # "steady" | "autoscaling" | "rollout" | "job"
    cpu: int  # requests of one pod
    memory: int
    best_free: tuple[str, int, int] = ("", 0, 0)  # node with the most free memory: name, cpu, memory

    @property
    def resources(self) -> set[str]:
        return {r.split()[-1] for r in self.reasons if r.startswith("Insufficient")}


class Simulation(Struct):
    """The outcome of placing every pod on the nodes: per node, and the pods left pending."""

    nodes: list[NodeState]
    pending: list[Pending]  # steady state (phases steady/autoscaling)
    transient: list[Pending]  # rollouts and jobs, each on its own


class _Pod(Struct):
    """One pod to place: its workload, requests and host ports."""

    w: int  # workload index
    cpu: int
    memory: int
    ports: tuple[tuple[int, str], ...]
    pin: int  # node index, -1 = any
    phase: str


class _States(list[NodeState]):
    """The nodes, and what is already known about them.

    ``unfit``: (CPU, memory, host ports) of pods no node fitted. Placing pods only fills nodes, so a
    pod at least as large, with at least those ports, fits nowhere either; taking a pod back (a
    trial placement) forgets them. Every placement drops the memo of the scheduler's reasons, so that identical failures (one per rollout of a full
    cluster) cost one pass over the nodes, not one each.
    """

    def __init__(self, nodes: list[NodeState]) -> None:
        super().__init__(nodes)
        self.unfit: list[tuple[int, int, frozenset[tuple[int, str]]]] = []
        self.memo_reasons: dict[tuple[int, int, tuple[tuple[int, str], ...], int], dict[str, int]] = {}
        # the nodes best first: most free memory, then CPU, then lowest index (what _best prefers)
        self.order = sorted((-s.free_memory, -s.free_cpu, i) for i, s in enumerate(nodes))

    def place(self, ni: int, pod: _Pod, sign: int = 1) -> None:
        """:func:`_place`, keeping ``order`` sorted."""
        s = self[ni]
        del self.order[bisect_left(self.order, (-s.free_memory, -s.free_cpu, ni))]
        _place(s, pod, sign)
        insort(self.order, (-s.free_memory, -s.free_cpu, ni))
        self.changed(removed=sign < 0)

    def changed(self, removed: bool) -> None:
        self.memo_reasons.clear()
        if removed:
            self.unfit.clear()

    def reasons(self, pod: _Pod) -> dict[str, int]:
        key = (pod.cpu, pod.memory, pod.ports, pod.pin)
        got = self.memo_reasons.get(key)
        if got is None:
            got = self.memo_reasons[key] = _reasons(self, pod)
        return dict(got)

    def freest(self) -> NodeState | None:
        return self[self.order[0][2]] if self.order else None


def _fits(state: NodeState, pod: _Pod) -> bool:
    return (
        state.pods < state.max_pods
        and pod.cpu <= state.free_cpu
        and pod.memory <= state.free_memory
        and not (pod.ports and any(p in state.ports for p in pod.ports))
    )


def _place(state: NodeState, pod: _Pod, sign: int = 1) -> None:
    """Bind ``pod`` to the node (``sign=-1``: take it back, for trial placements)."""
    state.cpu += sign * pod.cpu
    state.memory += sign * pod.memory
    state.free_cpu -= sign * pod.cpu
    state.free_memory -= sign * pod.memory
    state.pods += sign
    if sign > 0:
        state.ports.update(pod.ports)
    else:
        state.ports.difference_update(pod.ports)
    state.placed[pod.w] += sign


def _reasons(states: list[NodeState], pod: _Pod) -> dict[str, int]:
    """Per node, the first failing filter's reasons (NodeResourcesFit reports all of its own)."""
    hist: Counter[str] = Counter()
    for i, s in enumerate(states):
        if pod.pin >= 0 and pod.pin != i:
            hist[AFFINITY] += 1
            continue
        if any(p in s.ports for p in pod.ports):
            hist[PORTS] += 1
            continue
        if s.pods >= s.max_pods:
            hist[TOO_MANY] += 1
        if pod.cpu > s.free_cpu:
            hist[NO_CPU] += 1
        if pod.memory > s.free_memory:
            hist[NO_MEMORY] += 1
    return dict(hist)


def scheduler_message(node_count: int, reasons: dict[str, int]) -> str:
    """kube-scheduler's FitError text: reasons as "<count> <reason>", sorted, comma-joined."""
    parts = sorted(f"{n} {r}" for r, n in reasons.items())
    text = f"0/{node_count} nodes are available"
    return f"{text}: {', '.join(parts)}." if parts else f"{text}."


def _best(states: _States, pod: _Pod) -> int:
    """The fitting node with the most free memory (then CPU); -1 when none fits."""
    if pod.pin >= 0:
        return pod.pin if _fits(states[pod.pin], pod) else -1
    best = -1
    cpu, mem, ports = pod.cpu, pod.memory, pod.ports
    for c, m, p in states.unfit:
        if c <= cpu and m <= mem and p.issubset(ports):
            return -1
    for neg_mem, _neg_cpu, i in states.order:  # best first: the first node that fits is the answer
        if -neg_mem < mem:
            break  # no node further down has the memory
        s = states[i]
        if s.pods < s.max_pods and cpu <= s.free_cpu and not (ports and any(p in s.ports for p in ports)):
            best = i
            break
    if best < 0:
        states.unfit.append((cpu, mem, frozenset(ports)))
    return best


def simulate(workloads: list[Workload], cluster: Cluster) -> Simulation:
    states = _States([NodeState(n) for n in cluster.nodes])
    n_nodes = len(states)
    req = [w.requests for w in workloads]
    size = [(r.cpu or 0, r.memory or 0) for r in req]
    failed: list[_Pod] = []
    # more pods than all nodes can hold (maxPods) cannot run anyway: simulate one more than that
    # and count the rest straight as Pending, so `replicas: 1000000000` costs nothing
    cap = sum(s.max_pods for s in states) + 1
    excess: Counter[tuple[int, str]] = Counter()

    def bounded(wi: int, phase: str, n: int) -> int:
        if n > cap:
            excess[(wi, phase)] += n - cap
            return cap
        return max(n, 0)

    # 1. add-ons, then DaemonSets pinned to each node
    first: list[_Pod] = []
    for wi, w in enumerate(workloads):
        if w.transient:
            continue
        if w.per_node:
            for ni in range(n_nodes):
                first.append(_Pod(wi, *size[wi], w.host_ports, ni, "steady"))
        elif w.system:
            first.extend(
                _Pod(wi, *size[wi], w.host_ports, -1, "steady")
                for _ in range(bounded(wi, "steady", w.steady_replicas))
            )
    first.sort(key=lambda p: (not workloads[p.w].system, p.pin < 0))
    failed.extend(_place_each(states, first))

    # 2. steady replicas, 3. autoscaling replicas
    total_cpu = max(cluster.allocatable_cpu, 1)
    total_mem = max(cluster.allocatable_memory, 1)
    for phase in ("steady", "autoscaling"):
        tier: list[_Pod] = []
        for wi, w in enumerate(workloads):
            if w.transient or w.per_node or w.system:
                continue
            n = w.replicas if phase == "steady" else w.steady_replicas - w.replicas
            tier.extend(_Pod(wi, *size[wi], w.host_ports, -1, phase) for _ in range(bounded(wi, phase, n)))
        tier.sort(key=lambda p: (-max(p.cpu / total_cpu, p.memory / total_mem), -p.memory, -p.cpu, p.w))
        failed.extend(_place_tier(states, tier))

    pending = _group(workloads, states, failed, excess)
    transient = _transients(workloads, states, size, cap)
    return Simulation(states, pending, transient)


def _place_tier(states: _States, tier: list[_Pod]) -> list[_Pod]:
    """Place ``tier`` (sorted largest first); when it cannot all run, the largest pods give way.

    The pods that run are chosen smallest first against the free CPU and memory of all nodes (the
    most pods that fit), then placed largest first; the others are tried last, largest first.
    """
    failed: list[_Pod] = []
    candidates: list[_Pod] = []
    for pod in tier:
        (candidates if _best(states, pod) >= 0 else failed).append(pod)
    free_cpu = sum(max(s.free_cpu, 0) for s in states)
    free_mem = sum(max(s.free_memory, 0) for s in states)
    admitted = [False] * len(candidates)
    for i in range(len(candidates) - 1, -1, -1):
        pod = candidates[i]
        if pod.cpu <= free_cpu and pod.memory <= free_mem:
            admitted[i] = True
            free_cpu -= pod.cpu
            free_mem -= pod.memory
    later = [pod for i, pod in enumerate(candidates) if not admitted[i] or _place_each(states, [pod])]
    return failed + _place_each(states, later)


def _place_each(
    states: _States, pods: list[_Pod], placed: list[tuple[int, _Pod]] | None = None
) -> list[_Pod]:
    """Place each pod, in order, on its best node; the pods that fit nowhere.

    ``placed`` (when given) receives ``(node index, pod)`` of each pod placed, so a caller can take them back.
    """
    failed: list[_Pod] = []
    for pod in pods:
        ni = _best(states, pod)
        if ni < 0:
            failed.append(pod)
        else:
            states.place(ni, pod)
            if placed is not None:
                placed.append((ni, pod))
    return failed


def _group(
    workloads: list[Workload], states: _States, failed: list[_Pod], excess: Counter[tuple[int, str]]
) -> list[Pending]:
    by_key: dict[tuple[int, str], list[_Pod]] = {}
    for pod in failed:
        by_key.setdefault((pod.w, pod.phase), []).append(pod)
    out: list[Pending] = []
    for (wi, phase), pods in sorted(by_key.items()):
        w = workloads[wi]
        pod = pods[0]
        reasons = states.reasons(pod)
        if phase == "steady":
            total = len(states) if w.per_node else (w.steady_replicas if w.system else w.replicas)
        else:
            total = w.steady_replicas - w.replicas
        out.append(
            _pending(w, len(pods) + excess[(wi, phase)], total, reasons, len(states), phase, pod, states)
        )
    return out


def _pending(
    w: Workload,
    count: int,
    total: int,
    reasons: dict[str, int],
    n_nodes: int,
    phase: str,
    pod: _Pod,
    states: _States,
) -> Pending:
    best = states.freest()
    best_free = (best.node.name, best.free_cpu, best.free_memory) if best is not None else ("", 0, 0)
    return Pending(
        w, count, total, reasons, scheduler_message(n_nodes, reasons), phase, pod.cpu, pod.memory, best_free
    )


def _transients(
    workloads: list[Workload], states: _States, size: list[tuple[int, int]], cap: int
) -> list[Pending]:
    """Each rollout / Job on its own against the steady state (placed, then taken back)."""
    out: list[Pending] = []
    for wi, w in enumerate(workloads):
        if w.system:
            continue
        if w.transient:
            total = max(w.replicas, 1)
            pods = [_Pod(wi, *size[wi], w.host_ports, -1, "job") for _ in range(min(total, cap))]
        elif w.surge > 0:
            if w.per_node:
                total = len(states)
                pods = [_Pod(wi, *size[wi], w.host_ports, ni, "rollout") for ni in range(len(states))]
            else:
                # a surge pod runs next to the old ones, so it needs its own host ports too
                total = w.surge
                pods = [_Pod(wi, *size[wi], w.host_ports, -1, "rollout") for _ in range(min(total, cap))]
        else:
            continue
        placed: list[tuple[int, _Pod]] = []
        failed = _place_each(states, pods, placed)
        if failed:
            reasons = states.reasons(failed[0])
            out.append(
                _pending(
                    w,
                    len(failed) + total - len(pods),
                    total,
                    reasons,
                    len(states),
                    failed[0].phase,
                    failed[0],
                    states,
                )
            )
        for ni, pod in placed:
            states.place(ni, pod, -1)
            if states[ni].placed[pod.w] == 0:
                del states[ni].placed[pod.w]
    return out
