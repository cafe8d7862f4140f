"""One reading of workloads for everyone: pod-template kinds, containers, label selectors, autoscalers,
replica counts and int-or-percent values.

Everything here is type-safe on arbitrary YAML (a field may be missing, ``null``, a string where
a number belongs, ...): helpers return ``None`` / empty results rather than raising. Cross-object
lookups are built once per :class:`~gitops_gen.k8s.model.ObjectIndex` through its ``memo`` (indexes by
namespace and by label), so callers never loop over all pairs of objects.

**Pod-template kinds** (decided once, for lint and the budget alike): the built-in controllers
(Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob), a bare Pod, and
Argo Rollouts' ``Rollout`` (``spec.template`` like a Deployment, replicas and HPA like a Deployment).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from msgspec import Struct, field

from gitops_gen.k8s.model import FieldPath, ObjectIndex, Resource

# --------------------------------------------------------------------------------------- basics


def has_subst(value: object) -> bool:
    """True for a string with an unresolved Flux ``${VAR}`` (or kubelet ``$(VAR)``) substitution."""
    return isinstance(value, str) and ("${" in value or "$(" in value)


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: object) -> str:
    return value if isinstance(value, str) else ""


#: Kubernetes' integer fields are int32 or int64 (their OpenAPI formats): a larger number is no value of
#: one (and a number of thousands of digits cannot even be printed: Python's int-to-text limit)
INT64_MAX = 2**63 - 1
#: counts (replicas, parallelism, a PDB's minAvailable) are int32
COUNT_MAX = 2**31 - 1


def as_int(value: object) -> int | None:
    """An integer field (``3``, ``3.0``) within int64; ``None`` for anything else (bools, strings,
    ``${VAR}``, ``1e300``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        return None
    return n if -INT64_MAX - 1 <= n <= INT64_MAX else None


def as_decimal(text: str) -> int | None:
    """A string of ASCII digits as an int64 (``"8080"``, a quoted count); ``None`` for anything else:
    other digits (``"²"``, ``"١٢"``: ``str.isdigit`` says yes), a sign, more than 19 digits."""
    text = text.strip()
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return None
    n = int(text)
    return n if n <= INT64_MAX else None


def dig(value: object, *keys: str | int) -> Any:
    """``value[k1][k2]...`` or ``None`` when any step is missing or of the wrong type."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return None
            value = value[key]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
    return value


def label_str(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def label_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): label_str(v) for k, v in value.items()}


# ----------------------------------------------------------------------------------- containers

#: kinds whose pods we know how to find (``spec.template`` or the Pod itself)
POD_TEMPLATE_KINDS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
        "Pod",
        "Rollout",
    }
)
#: long-running controllers whose replicas a PDB or an HPA reasons about
SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"})


def template_path(resource: Resource) -> FieldPath | None:
    """Path of the pod template (``metadata`` + ``spec``) of a workload; ``()`` for a Pod."""
    kind = resource.kind
    if kind not in POD_TEMPLATE_KINDS:
        return None
    if kind == "Pod":
        return ()
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template")
    return ("spec", "template")


def pod_spec_of(resource: Resource) -> tuple[dict[str, Any], FieldPath] | None:
    """The pod spec of a workload and its field path, or ``None``."""
    tp = template_path(resource)
    if tp is None:
        return None
    spec = dig(resource.body, *tp, "spec")
    if not isinstance(spec, dict):
        return None
    return spec, (*tp, "spec")


def pod_labels(resource: Resource) -> dict[str, str]:
    tp = template_path(resource)
    if tp is None:
        return {}
    return label_map(dig(resource.body, *tp, "metadata", "labels"))


class ContainerRef(Struct):
    """A container of a pod spec with its field path."""

    container: dict[str, Any]
    path: FieldPath
    index: int
    init: bool = False  # listed under initContainers
    sidecar: bool = False  # an init container with restartPolicy: Always (runs for the pod's life)
    #: where a field of ``container`` is written when not at ``path + (field,)`` (chart values, e.g.
    #: app-template's ``defaultContainerOptions.resources``, ``image.tag``); see :meth:`at`
    origins: dict[str, FieldPath] = field(default_factory=dict)

    def at(self, *keys: str | int) -> FieldPath:
        """Field path of ``container[keys[0]][keys[1]]...`` in the object the container comes from."""
        if keys and isinstance(keys[0], str) and keys[0] in self.origins:
            base = self.origins[keys[0]]
            if keys[0] == "image":  # rendered from values (repository, tag): point at the values
                return base
            return (*base, *keys[1:])
        return (*self.path, *keys)

    @property
    def name(self) -> str:
        n = self.container.get("name")
        return n if isinstance(n, str) and n else f"#{self.index}"

    @property
    def label(self) -> str:
        """How a message names it: ``container "app"`` / ``init container "setup"``."""
        if self.sidecar:
            return f'sidecar container "{self.name}"'
        if self.init:
            return f'init container "{self.name}"'
        return f'container "{self.name}"'


def containers(resource: Resource, *, init: bool = True) -> list[ContainerRef]:
    """Containers (then init containers, when ``init``) of a workload; ephemeral ones are skipped."""
    found = pod_spec_of(resource)
    if found is None:
        return []
    spec, base = found
    out: list[ContainerRef] = []
    for i, c in enumerate(as_list(spec.get("containers"))):
        if isinstance(c, dict):
            out.append(ContainerRef(c, (*base, "containers", i), i))
    if init:
        for i, c in enumerate(as_list(spec.get("initContainers"))):
            if isinstance(c, dict):
                out.append(
                    ContainerRef(
                        c,
                        (*base, "initContainers", i),
                        i,
                        init=True,
                        sidecar=c.get("restartPolicy") == "Always",
                    )
                )
    return out


# ------------------------------------------------------------------------------ label selectors


class Selector(Struct, frozen=True):
    """A compiled ``metav1.LabelSelector`` (``matchLabels`` and ``matchExpressions``)."""

    match_labels: tuple[tuple[str, str], ...]
    expressions: tuple[tuple[str, str, frozenset[str]], ...]

    @property
    def empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: dict[str, str]) -> bool:
        for k, v in self.match_labels:
            if labels.get(k) != v:
                return False
        for key, op, values in self.expressions:
            present = key in labels
            if op == "In":
                if not present or labels[key] not in values:
                    return False
            elif op == "NotIn":
                if present and labels[key] in values:
                    return False
            elif op == "Exists":
                if not present:
                    return False
            elif op == "DoesNotExist" and present:
                return False
        return True


_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


def compile_selector(value: object) -> Selector | None:
    """Compile a label selector; ``None`` when it is not a valid selector (or uses ``${VAR}``)."""
    if not isinstance(value, dict):
        return None
    ml = value.get("matchLabels")
    if ml is not None and not isinstance(ml, dict):
        return None
    pairs: list[tuple[str, str]] = []
    for k, v in as_dict(ml).items():
        if has_subst(k) or has_subst(v) or isinstance(v, (dict, list)):
            return None
        pairs.append((str(k), label_str(v)))
    exprs: list[tuple[str, str, frozenset[str]]] = []
    me = value.get("matchExpressions")
    if me is not None and not isinstance(me, list):
        return None
    for e in as_list(me):
        if not isinstance(e, dict):
            return None
        key, op = e.get("key"), e.get("operator")
        if not isinstance(key, str) or op not in _OPERATORS or has_subst(key):
            return None
        raw = e.get("values")
        if raw is not None and not isinstance(raw, list):
            return None
        values = [label_str(x) for x in as_list(raw)]
        if any(has_subst(x) for x in values):
            return None
        if op in ("In", "NotIn") and not values:
            return None  # the API server rejects it
        exprs.append((key, str(op), frozenset(values)))
    return Selector(tuple(pairs), tuple(exprs))


def selector_matches(selector: object, labels: dict[str, str]) -> bool | None:
    """Does a (raw) label selector match these labels? ``None`` when the selector is invalid."""
    compiled = compile_selector(selector)
    return None if compiled is None else compiled.matches(labels)


# ------------------------------------------------------------------------------------ workloads


class PodTemplate(Struct, eq=False):
    """The pod template of a workload object and its labels."""

    resource: Resource
    labels: dict[str, str]  # pod template labels

    @property
    def namespace(self) -> str:
        return self.resource.namespace


class WorkloadIndex:
    """Workloads by namespace and by ``(namespace, label key, label value)`` of their pods."""

    def __init__(self, index: ObjectIndex) -> None:
        self.by_ns: dict[str, list[PodTemplate]] = defaultdict(list)
        self.by_label: dict[tuple[str, str, str], list[PodTemplate]] = defaultdict(list)
        self.by_resource: dict[int, PodTemplate] = {}
        for kind in sorted(POD_TEMPLATE_KINDS):
            for r in index.by_kind.get(kind, ()):
                if template_path(r) is None:
                    continue
                w = PodTemplate(r, pod_labels(r))
                ns = r.namespace
                self.by_ns[ns].append(w)
                self.by_resource[id(r)] = w
                for k, v in w.labels.items():
                    self.by_label[(ns, k, v)].append(w)

    def select(self, namespace: str, selector: Selector) -> list[PodTemplate]:
        """Workloads in ``namespace`` whose pods the selector matches (empty selector: all)."""
        candidates: Iterable[PodTemplate]
        if selector.match_labels:
            best: list[PodTemplate] | None = None
            for k, v in selector.match_labels:
                bucket = self.by_label.get((namespace, k, v), [])
                if best is None or len(bucket) < len(best):
                    best = bucket
            candidates = best or []
        else:
            ins = [e for e in selector.expressions if e[1] == "In"]
            if ins:
                key, _, values = ins[0]
                seen: dict[int, PodTemplate] = {}
                for v in sorted(values):
                    for w in self.by_label.get((namespace, key, v), ()):
                        seen.setdefault(id(w), w)
                candidates = seen.values()
            else:
                candidates = self.by_ns.get(namespace, ())
        return [w for w in candidates if selector.matches(w.labels)]

    def get(self, resource: Resource) -> PodTemplate | None:
        return self.by_resource.get(id(resource))


def workload_index(index: ObjectIndex) -> WorkloadIndex:
    idx: WorkloadIndex = index.memo("workloads.index", lambda: WorkloadIndex(index))
    return idx


# -------------------------------------------------------------------------------- autoscalers


class Scaler(Struct):
    """An HPA (or a KEDA ScaledObject, which creates one) and the replica range it enforces."""

    resource: Resource
    target_kind: str
    target_name: str
    min_replicas: int | None  # None: unknown (``${VAR}``, wrong type)
    max_replicas: int | None


def scaler_of(resource: Resource) -> Scaler | None:
    spec = as_dict(resource.body.get("spec"))
    ref = as_dict(spec.get("scaleTargetRef"))
    if resource.kind == "HorizontalPodAutoscaler":
        kind = as_str(ref.get("kind"))
        raw_min = spec.get("minReplicas", 1)
        raw_max = spec.get("maxReplicas")
    elif resource.kind == "ScaledObject":
        kind = as_str(ref.get("kind")) or "Deployment"
        raw_min = spec.get("minReplicaCount", 0)
        raw_max = spec.get("maxReplicaCount", 100)
    else:
        return None
    name = as_str(ref.get("name"))
    if not kind or not name or has_subst(name):
        return None
    return Scaler(resource, kind, name, as_int(raw_min), as_int(raw_max))


def scalers_by_target(index: ObjectIndex) -> dict[tuple[str, str, str], list[Scaler]]:
    """Autoscalers by ``(namespace, target kind, target name)``."""

    def build() -> dict[tuple[str, str, str], list[Scaler]]:
        out: dict[tuple[str, str, str], list[Scaler]] = defaultdict(list)
        for r in index.kinds("HorizontalPodAutoscaler", "ScaledObject"):
            s = scaler_of(r)
            if s is not None:
                out[(r.namespace, s.target_kind, s.target_name)].append(s)
        return out

    idx: dict[tuple[str, str, str], list[Scaler]] = index.memo("workloads.scalers", build)
    return idx


def scalers_of(index: ObjectIndex, resource: Resource) -> list[Scaler]:
    return scalers_by_target(index).get((resource.namespace, resource.kind, resource.name), [])


class Replicas(Struct):
    """The fewest pods a workload is guaranteed to run, and where that number comes from."""

    count: int | None  # None: not knowable from the manifests (DaemonSet, Job, ``${VAR}``, ...)
    source: str  # "spec.replicas", "default", "HPA <name> minReplicas", ...
    scaler: Scaler | None = None


def guaranteed_replicas(index: ObjectIndex, resource: Resource) -> Replicas:
    """Replicas a workload keeps at its minimum scale: the HPA's minReplicas when an autoscaler
    targets it (a scale-to-zero minimum counts as 1: when pods exist there is at least one),
    else ``spec.replicas`` (default 1)."""
    if resource.kind not in SCALABLE_KINDS:
        return Replicas(None, f"a {resource.kind} has no fixed replica count")
    scalers = scalers_of(index, resource)
    if scalers:
        s = scalers[0]
        what = f"{s.resource.kind} {s.resource.name} " + (
            "minReplicas" if s.resource.kind == "HorizontalPodAutoscaler" else "minReplicaCount"
        )
        if s.min_replicas is None:
            return Replicas(None, what, s)
        return Replicas(max(s.min_replicas, 1), what, s)
    spec = as_dict(resource.body.get("spec"))
    if "replicas" not in spec or spec.get("replicas") is None:
        return Replicas(1, "spec.replicas (default 1)")
    return Replicas(as_count(spec.get("replicas")), "spec.replicas")


# ---------------------------------------------------------------------- int-or-percent values

_PERCENT = re.compile(r"^\s*([0-9]+)\s*%\s*$")


def int_or_percent(value: object) -> tuple[int, bool] | None:
    """``3`` -> (3, False), ``"50%"`` -> (50, True); ``None`` for anything else."""
    n = as_int(value)
    if n is not None:
        return (n, False) if abs(n) <= COUNT_MAX else None
    if isinstance(value, str):
        m = _PERCENT.match(value)
        pct = as_decimal(m.group(1)) if m else None
        if pct is not None:
            return (pct, True) if pct <= COUNT_MAX else None
        n = as_decimal(value)
        if n is not None:
            return (n, False) if n <= COUNT_MAX else None
    return None


def scaled(value: tuple[int, bool], total: int, *, round_up: bool = True) -> int:
    """Resolve an int-or-percent against ``total``. Percentages round up by default, as the
    disruption controller and a Deployment's ``maxSurge`` do; ``maxUnavailable`` rounds down."""
    n, pct = value
    if not pct:
        return n
    return -(-n * total // 100) if round_up else n * total // 100


def as_count(value: object) -> int | None:
    """A count (replicas, parallelism, shards, a chart's ``replicaCount``): an integer, an integral
    float or a string of ASCII digits (Helm values often quote numbers); negatives count as 0.
    ``None`` for anything else (``${VAR}``, booleans, text, more than int32 holds)."""
    n = as_int(value)
    if n is None and isinstance(value, str):
        n = as_decimal(value)
    return None if n is None or n > COUNT_MAX else max(n, 0)
