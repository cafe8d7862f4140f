"""Flux objects point at things that exist: dependencies, sources and paths.

**What.**

* Every ``dependsOn`` entry of a Flux ``Kustomization`` (or ``HelmRelease``) names an object of
  the same kind that exists; its namespace defaults to the referrer's own.
* ``dependsOn`` forms no cycle (Flux would wait forever): each cycle is reported once, on
  one of its members, with the whole loop in the message.
* The ``sourceRef`` of a Kustomization (``GitRepository``, ``OCIRepository``, ``Bucket``,
  ``ExternalArtifact`` - the latter produced by an ``ArtifactGenerator``), the
  ``spec.chart.spec.sourceRef`` of a HelmRelease (``HelmRepository``, ``GitRepository``,
  ``Bucket``) and its ``spec.chartRef`` (``OCIRepository``, ``HelmChart``) exist.
* A Kustomization's ``spec.path`` exists, as a directory, in the repository being linted.

**Why.** Flux reports none of these until the cluster tries: a missing dependency or a cycle
leaves Kustomizations "dependency not ready" forever, a missing source or path fails the
reconciliation - after the merge, on the cluster, instead of in review.

**Severity of a missing object.** Error when other objects of that kind were linted (the input
covers them, so the name is most likely a typo); warning when none were (a partial input, or
the object comes from elsewhere).

**What we chose.**

* The bootstrap source - ``GitRepository`` (or ``OCIRepository``) ``flux-system`` in namespace
  ``flux-system`` - is created by ``flux bootstrap`` (``gotk-sync.yaml``) or by the Flux
  Operator's ``FluxInstance``, and is routinely absent from the files being linted: a
  reference to it is never reported.
* ``spec.path`` is only checked for Kustomizations whose source is that bootstrap source (the
  repository being linted); a path into another repository or into an artifact cannot be
  checked here. It is resolved against the repository root (``--repo-root`` / the git root),
  trying each directory from the Kustomization's file up to the root, so a Flux repository
  nested inside another checkout still resolves. Unknown root: not checked.
* Names, namespaces and paths with unresolved ``${VAR}`` post-build substitutions are skipped
  rather than reported.
* Objects without ``metadata.namespace`` (namespace set later by kustomize) match a reference
  from any namespace, so a kustomize-managed tree produces no false "missing" findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import as_dict, as_list, as_str, dig, has_subst
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.workloads import path_exists_under

ID = "flux-refs"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"Kustomization", "HelmRelease"})

_FLUX = "toolkit.fluxcd.io"
_KS_SOURCES = frozenset({"GitRepository", "OCIRepository", "Bucket", "ExternalArtifact"})
_HR_SOURCES = frozenset({"HelmRepository", "GitRepository", "Bucket"})
_HR_CHARTREFS = frozenset({"OCIRepository", "HelmChart", "ExternalArtifact"})
_BOOTSTRAP = "flux-system"


def _artifacts(ctx: Context) -> dict[tuple[str, str], Resource]:
    """ExternalArtifacts produced by ArtifactGenerators: ``(namespace, name) -> generator``."""

    def build() -> dict[tuple[str, str], Resource]:
        out: dict[tuple[str, str], Resource] = {}
        for gen in ctx.by_kind.get("ArtifactGenerator", ()):
            for a in as_list(dig(gen.body, "spec", "artifacts")):
                name = as_str(as_dict(a).get("name"))
                if name:
                    out.setdefault((gen.namespace, name), gen)
        return out

    idx: dict[tuple[str, str], Resource] = ctx.memo("flux_refs.artifacts", build)
    return idx


def _find_source(ctx: Context, kind: str, ns: str, name: str) -> Resource | None:
    hit = ctx.find(kind, ns, name)
    if hit is not None or kind != "ExternalArtifact":
        return hit
    arts = _artifacts(ctx)
    if (ns, name) in arts:
        return arts[(ns, name)]
    if not ns:
        return next((g for (_, n), g in arts.items() if n == name), None)
    return arts.get(("", name))


def _missing_severity(ctx: Context, kind: str, referrer: Resource) -> Severity:
    others = [
        r
        for r in ctx.by_kind.get(kind, ())
        if r is not referrer and (kind not in KINDS or r.group.endswith(_FLUX))
    ]
    if kind == "ExternalArtifact":
        others = others or list(ctx.by_kind.get("ArtifactGenerator", ()))
    return Severity.ERROR if others else Severity.WARNING


def _ref_fields(ref: object, default_ns: str) -> tuple[str, str, str] | None:
    """``(kind, namespace, name)`` of a reference, or None when incomplete or templated."""
    if not isinstance(ref, dict):
        return None
    kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
    ns = ref.get("namespace")
    namespace = ns if isinstance(ns, str) and ns else default_ns
    if not kind or not name or has_subst(kind) or has_subst(name) or has_subst(namespace):
        return None
    return kind, namespace, name


def _check_source(
    ctx: Context, r: Resource, ref: object, allowed: frozenset[str], path: tuple[str, ...]
) -> Iterator[Hit]:
    fields = _ref_fields(ref, r.namespace)
    if fields is None:
        return
    kind, ns, name = fields
    if kind not in allowed:
        return  # another kind: the schema rule reports invalid enums
    if name == _BOOTSTRAP and kind in ("GitRepository", "OCIRepository") and ns in (_BOOTSTRAP, ""):
        return  # created by flux bootstrap / FluxInstance; routinely not in the linted files
    if _find_source(ctx, kind, ns, name) is not None:
        return
    sev = _missing_severity(ctx, kind, r)
    extra = "" if sev == Severity.ERROR else " among the linted files"
    yield Hit(
        r,
        f"{'.'.join(path)} {kind} {ns + '/' if ns else ''}{name} does not exist{extra}",
        f"create the {kind} or fix the reference's name/namespace",
        (*path, "name"),
        severity=sev,
    )


# ------------------------------------------------------------------------------ dependencies


def _deps(ctx: Context, r: Resource) -> list[tuple[int, str, str, Resource | None]]:
    """``(index, namespace, name, resolved target)`` of each dependsOn entry."""
    out: list[tuple[int, str, str, Resource | None]] = []
    for i, d in enumerate(as_list(dig(r.body, "spec", "dependsOn"))):
        if isinstance(d, str):
            d = {"name": d}
        fields = _ref_fields({**as_dict(d), "kind": r.kind}, r.namespace)
        if fields is None:
            continue
        _, ns, name = fields
        out.append((i, ns, name, ctx.find(r.kind, ns, name, group=_FLUX)))
    return out


def _cycles(ctx: Context, kind: str) -> dict[int, list[Resource]]:
    """For each dependsOn cycle among Flux objects of ``kind``: reporter id -> the loop."""

    def build() -> dict[int, list[Resource]]:
        nodes = [r for r in ctx.by_kind.get(kind, ()) if r.group.endswith(_FLUX)]
        edges: dict[int, list[Resource]] = {}
        for r in nodes:
            edges[id(r)] = [t for (_, _, _, t) in _deps(ctx, r) if t is not None]
        return {id(loop[0]): loop for loop in _find_cycles(nodes, edges)}

    result: dict[int, list[Resource]] = ctx.memo(f"flux_refs.cycles.{kind}", build)
    return result


def _find_cycles(nodes: list[Resource], edges: dict[int, list[Resource]]) -> list[list[Resource]]:
    """Strongly connected components with a loop (Tarjan, iterative); one loop per component."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[Resource] = []
    counter = 0
    loops: list[list[Resource]] = []
    for root in nodes:
        if id(root) in index:
            continue
        work: list[tuple[Resource, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            nid = id(node)
            if i == 0:
                index[nid] = low[nid] = counter
                counter += 1
                stack.append(node)
                on_stack.add(nid)
            succ = edges.get(nid, [])
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if id(nxt) not in index:
                    work.append((nxt, 0))
                elif id(nxt) in on_stack:
                    low[nid] = min(low[nid], index[id(nxt)])
                continue
            if work:
                parent = id(work[-1][0])
                low[parent] = min(low[parent], low[nid])
            if low[nid] == index[nid]:
                comp: list[Resource] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(id(w))
                    comp.append(w)
                    if w is node:
                        break
                self_loop = any(t is node for t in edges.get(nid, []))
                if len(comp) > 1 or self_loop:
                    loops.append(_loop_order(comp, edges))
    return loops


def _loop_order(comp: list[Resource], edges: dict[int, list[Resource]]) -> list[Resource]:
    """A closed walk through the component, starting at its first member in file order."""
    members = {id(r) for r in comp}
    start = min(comp, key=lambda r: (r.file, r.line, r.column))
    # breadth-first search for the shortest path start -> ... -> start inside the component
    prev: dict[int, Resource] = {}
    frontier = [start]
    seen: set[int] = set()
    while frontier:
        nxt_frontier: list[Resource] = []
        for node in frontier:
            for t in edges.get(id(node), []):
                if id(t) not in members:
                    continue
                if t is start:
                    path = [node]
                    while path[-1] is not start:
                        path.append(prev[id(path[-1])])
                    return list(reversed(path))
                if id(t) not in seen:
                    seen.add(id(t))
                    prev[id(t)] = node
                    nxt_frontier.append(t)
        frontier = nxt_frontier
    return [start]


def _check_depends(ctx: Context, r: Resource) -> Iterator[Hit]:
    deps = _deps(ctx, r)
    for i, ns, name, target in deps:
        if target is None:
            sev = _missing_severity(ctx, r.kind, r)
            extra = "" if sev == Severity.ERROR else " among the linted files"
            yield Hit(
                r,
                f"dependsOn {r.kind} {ns + '/' if ns else ''}{name} does not exist{extra}: "
                "Flux waits for it forever",
                "fix the name/namespace, or remove the dependency",
                ("spec", "dependsOn", i),
                severity=sev,
            )
    loop = _cycles(ctx, r.kind).get(id(r))
    if loop:
        names = " -> ".join(x.name for x in [*loop, loop[0]])
        yield Hit(
            r,
            f"dependsOn cycle: {names}; none of them will ever reconcile",
            "remove one dependsOn edge of the loop",
            ("spec", "dependsOn"),
        )


# ------------------------------------------------------------------------------------ paths


def _check_path(ctx: Context, r: Resource, spec: dict[str, Any]) -> Iterator[Hit]:
    raw = spec.get("path")
    if not isinstance(raw, str) or not raw.strip() or has_subst(raw):
        return
    src = _ref_fields(spec.get("sourceRef"), r.namespace)
    if src is None or src[2] != _BOOTSTRAP or src[0] not in ("GitRepository", "OCIRepository"):
        return
    start = Path(r.file)
    try:
        if start.is_file():
            start = start.parent
        elif not start.is_dir():
            return
    except OSError:
        return
    exists = path_exists_under(ctx, start, raw)
    if exists is False:
        yield Hit(
            r,
            f"spec.path {raw!r} does not exist in the repository: the Kustomization fails to build",
            "point spec.path at a directory of the repository (relative to its root)",
            ("spec", "path"),
        )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if not resource.group.endswith(_FLUX):
        return
    spec = resource.body.get("spec")
    if not isinstance(spec, dict):
        return
    if resource.kind == "Kustomization":
        yield from _check_source(ctx, resource, spec.get("sourceRef"), _KS_SOURCES, ("spec", "sourceRef"))
        yield from _check_depends(ctx, resource)
        yield from _check_path(ctx, resource, spec)
    elif resource.kind == "HelmRelease":
        yield from _check_source(
            ctx,
            resource,
            dig(spec, "chart", "spec", "sourceRef"),
            _HR_SOURCES,
            ("spec", "chart", "spec", "sourceRef"),
        )
        yield from _check_source(ctx, resource, spec.get("chartRef"), _HR_CHARTREFS, ("spec", "chartRef"))
        yield from _check_depends(ctx, resource)
