"""Shared helpers for the lint rules: references across objects, PDBs, repository paths, strings.

The reading of workloads themselves (containers, selectors, autoscalers) is :mod:`gitops_gen.k8s.workloads`.

Everything here is type-safe on arbitrary YAML (a field may be missing, ``null``, a string where
a number belongs, ...): helpers return ``None`` / empty results rather than raising. Cross-object
lookups are built once per run through :meth:`Context.memo` (indexes by namespace and by label),
so rules never loop over all pairs of objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from msgspec import Struct, field

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import (
    SCALABLE_KINDS,
    PodTemplate,
    Scaler,
    Selector,
    as_dict,
    compile_selector,
    dig,
    guaranteed_replicas,
    has_subst,
    int_or_percent,
    scaled,
    workload_index,
)
from gitops_gen.lint.model import Context, Severity
from gitops_gen.lint.projection import merge, pod_template

#: what ``k8s.workloads.scaler_of`` reads of the autoscalers
SCALER_READS = {
    "HorizontalPodAutoscaler": ("spec.scaleTargetRef", "spec.minReplicas", "spec.maxReplicas"),
    "ScaledObject": ("spec.scaleTargetRef", "spec.minReplicaCount", "spec.maxReplicaCount"),
}
#: what the helpers here read of the objects of phase 2 (``gitops_gen.lint.projection``): the pod labels
#: and replicas of workloads (PDBs, selectors), the autoscalers, the PDBs, the HelmReleases' namespaces
WORKLOAD_READS = merge(
    pod_template("metadata.labels"),
    {kind: ("spec.replicas",) for kind in sorted(SCALABLE_KINDS)},
    SCALER_READS,
    {"PodDisruptionBudget": ("spec",), "HelmRelease": ("spec.targetNamespace",)},
)

# ------------------------------------------------------------------- references across objects


def helm_namespaces(ctx: Context) -> frozenset[str]:
    """Namespaces where a HelmRelease installs a chart: its objects are not among the linted files."""

    def build() -> frozenset[str]:
        out: set[str] = set()
        for hr in ctx.by_kind.get("HelmRelease", ()):
            target = dig(hr.body, "spec", "targetNamespace")
            out.add(target if isinstance(target, str) and target else hr.namespace)
        return frozenset(out)

    result: frozenset[str] = ctx.memo("workloads.helm_namespaces", build)
    return result


def absence_severity(ctx: Context, namespace: str, kinds: Iterable[str]) -> Severity | None:
    """How sure we are that an object of ``kinds`` that is not among the linted ones is missing.

    * ``None`` (say nothing): a HelmRelease installs into that namespace (the chart may create
      the object) or the namespace is an unresolved ``${VAR}``;
    * ``ERROR``: other objects of these kinds in that namespace were linted, so the input covers
      the namespace and the reference is most likely a typo;
    * ``WARNING``: nothing of these kinds in that namespace was linted (a partial input, or the
      object lives in another repository).
    """
    if has_subst(namespace) or namespace in helm_namespaces(ctx):
        return None
    if ctx.in_namespace(namespace, *kinds):
        return Severity.ERROR
    return Severity.WARNING


# ------------------------------------------------------------------------ disruption budgets


class PdbAnalysis(Struct, eq=False):
    """What a PodDisruptionBudget selects and whether it lets any pod be evicted."""

    pdb: Resource
    selector: Selector | None
    matched: list[PodTemplate] = field(default_factory=list)
    expected: int | None = None  # pods at minimum scale of everything selected
    sources: list[str] = field(default_factory=list)  # where `expected` comes from
    scalers: list[Scaler] = field(default_factory=list)
    min_available: tuple[int, bool] | None = None
    max_unavailable: tuple[int, bool] | None = None
    allowed: int | None = None  # disruptions allowed at minimum scale
    blocking: str = ""  # why no eviction is ever possible ("" when some are)
    blocking_path: FieldPath = ()


def analyse_pdb(ctx: Context, pdb: Resource) -> PdbAnalysis:
    cache: dict[int, PdbAnalysis] = ctx.memo("workloads.pdb_analysis", dict)
    hit = cache.get(id(pdb))
    if hit is None:
        hit = cache[id(pdb)] = _analyse_pdb(ctx, pdb)
    return hit


def _analyse_pdb(ctx: Context, pdb: Resource) -> PdbAnalysis:
    spec = as_dict(pdb.body.get("spec"))
    raw_sel = spec.get("selector")
    sel = compile_selector(raw_sel)
    if sel is not None and sel.empty and pdb.api_version == "policy/v1beta1":
        sel = None  # in policy/v1beta1 an empty selector selects nothing; treat as unknown
    a = PdbAnalysis(pdb, sel)
    a.min_available = int_or_percent(spec.get("minAvailable"))
    a.max_unavailable = int_or_percent(spec.get("maxUnavailable"))
    if sel is not None:
        a.matched = workload_index(ctx).select(pdb.namespace, sel)
    if a.max_unavailable is not None and a.max_unavailable[0] == 0:
        a.blocking = "maxUnavailable is 0: no pod may ever be evicted"
        a.blocking_path = ("spec", "maxUnavailable")
    elif a.min_available == (100, True):
        a.blocking = "minAvailable is 100%: no pod may ever be evicted"
        a.blocking_path = ("spec", "minAvailable")
    if not a.matched:
        return a
    total = 0
    for w in a.matched:
        rep = guaranteed_replicas(ctx, w.resource)
        if rep.scaler is not None:
            a.scalers.append(rep.scaler)
        if rep.count is None:
            return a
        total += rep.count
        a.sources.append(f"{w.resource.kind} {w.resource.name}: {rep.count} ({rep.source})")
    a.expected = total
    if a.min_available is not None:
        a.allowed = total - scaled(a.min_available, total)
    elif a.max_unavailable is not None:
        a.allowed = scaled(a.max_unavailable, total)
    if not a.blocking and a.allowed is not None and a.allowed <= 0 and total > 0:
        key = "minAvailable" if a.min_available is not None else "maxUnavailable"
        raw = spec.get(key)
        a.blocking = (
            f"{key} {raw} >= the {total} pod(s) guaranteed at minimum scale: no pod may ever be evicted"
        )
        a.blocking_path = ("spec", key)
    return a


def pdbs_by_workload(ctx: Context) -> dict[int, list[PdbAnalysis]]:
    """PDB analyses for each workload (keyed by ``id(workload resource)``)."""

    def build() -> dict[int, list[PdbAnalysis]]:
        out: dict[int, list[PdbAnalysis]] = defaultdict(list)
        for pdb in ctx.by_kind.get("PodDisruptionBudget", ()):
            a = analyse_pdb(ctx, pdb)
            for w in a.matched:
                out[id(w.resource)].append(a)
        return out

    idx: dict[int, list[PdbAnalysis]] = ctx.memo("workloads.pdbs_by_workload", build)
    return idx


# --------------------------------------------------------------------------------- repository


def path_exists_under(ctx: Context, start: Path, rel: str) -> bool | None:
    """Does ``rel`` exist as a directory under the repository that holds ``start``?

    Tried relative to ``start``'s ancestors up to ``ctx.options.repo_root`` (so a Flux repository
    nested inside another checkout, as in a corpus of repositories, still resolves). ``None``
    when the repository root is unknown or ``start`` is outside it.
    """
    root = ctx.options.repo_root
    if root is None:
        return None
    cache: dict[tuple[str, str], bool | None] = ctx.memo("workloads.path_exists", dict)
    key = (str(start), rel)
    if key in cache:
        return cache[key]
    try:
        root_r = root.resolve()
        cur = start.resolve()
        if cur != root_r and root_r not in cur.parents:
            cache[key] = None
            return None
        clean = rel.strip().lstrip("/")
        result = False
        while True:
            if (cur / clean).is_dir():
                result = True
                break
            if cur == root_r or cur.parent == cur:
                break
            cur = cur.parent
    except (OSError, ValueError):
        cache[key] = None
        return None
    cache[key] = result
    return result


def walk_strings(value: object, path: FieldPath, depth: int = 0) -> Iterator[tuple[FieldPath, str, str]]:
    """Yield ``(path, key, string value)`` for every string under a mapping key, depth-first.

    ``{name: X, value: Y}`` list items (env-var style) are reported with ``X`` as the key.
    """
    if depth > 64:
        return
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str) and isinstance(value.get("value"), str):
            yield (*path, "value"), name, value["value"]
        for k, v in value.items():
            if isinstance(v, str):
                if isinstance(k, str) and not (k == "value" and isinstance(name, str)):
                    yield (*path, k), k, v
            elif isinstance(v, (dict, list)):
                yield from walk_strings(v, (*path, str(k)), depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, (dict, list)):
                yield from walk_strings(v, (*path, i), depth + 1)
