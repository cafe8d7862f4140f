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
* What Flux resolves when it reconciles: an Alert's ``providerRef`` Provider, an ImagePolicy's
  ``imageRepositoryRef`` ImageRepository and an ImageUpdateAutomation's ``sourceRef`` GitRepository
  exist (error or warning as below); the ConfigMaps and Secrets of a HelmRelease's ``valuesFrom``
  and of a Kustomization's ``postBuild.substituteFrom`` (unless ``optional: true``), and the
  ``secretRef`` (and ``certSecretRef``) Secret of a Provider or Receiver, have a producer in the
  object's namespace: a Secret, SealedSecret, ExternalSecret, cert-manager Certificate or kustomize
  generator (a warning when none is linted: the Secret may be created by hand).
* A Kustomization that applies a SOPS-encrypted file (the deepest Kustomization whose ``spec.path``
  holds the file) has ``spec.decryption``: error, kustomize-controller cannot apply it otherwise.
  Not reported when a Flux Kustomization patches ``decryption`` into the ones it applies.

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
from gitops_gen.lint.producers import CONFIGMAP_PRODUCERS, PRODUCER_READS, SECRET_PRODUCERS, missing
from gitops_gen.lint.projection import ANY_KIND, merge
from gitops_gen.lint.workloads import path_exists_under
from gitops_gen.values import dotted

ID = "flux-refs"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset(
    {"Kustomization", "HelmRelease", "Alert", "Provider", "Receiver", "ImagePolicy", "ImageUpdateAutomation"}
)  # the Flux kinds whose references are resolved


def _sops_mark(value: object) -> object:
    """An object's ``sops`` metadata as :func:`_sops_objects` reads it: whether it is a mapping."""
    return {} if isinstance(value, dict) else None


READS = merge(
    PRODUCER_READS,
    {kind: ("spec",) for kind in sorted(KINDS)},
    {"ArtifactGenerator": ("spec.artifacts",), ANY_KIND: (("sops", _sops_mark),)},
)

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


def _does_not_exist(
    ctx: Context,
    r: Resource,
    kind: str,
    subject: str,
    ns: str,
    name: str,
    remediation: str,
    path: tuple[str | int, ...],
    consequence: str = "",
) -> Hit:
    """The finding for a reference ``subject`` (e.g. ``spec.sourceRef GitRepository``) to a ``kind``
    ``ns/name`` that is not in the linted files: error when other objects of that kind were linted,
    else a warning that says "among the linted files" (see *Severity of a missing object*)."""
    sev = _missing_severity(ctx, kind, r)
    extra = "" if sev == Severity.ERROR else " among the linted files"
    return Hit(
        r,
        f"{subject} {ns + '/' if ns else ''}{name} does not exist{extra}{consequence}",
        remediation,
        path,
        severity=sev,
    )


def _ref_does_not_exist(
    ctx: Context, r: Resource, kind: str, ns: str, name: str, path: tuple[str, ...]
) -> Hit:
    """:func:`_does_not_exist` for the reference object at ``path`` (its ``name`` field is pointed at)."""
    return _does_not_exist(
        ctx,
        r,
        kind,
        f"{dotted(path)} {kind}",
        ns,
        name,
        f"create the {kind} or fix the reference's name/namespace",
        (*path, "name"),
    )


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
    yield _ref_does_not_exist(ctx, r, kind, ns, name, path)


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
            yield _does_not_exist(
                ctx,
                r,
                r.kind,
                f"dependsOn {r.kind}",
                ns,
                name,
                "fix the name/namespace, or remove the dependency",
                ("spec", "dependsOn", i),
                ": Flux waits for it forever",
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


# ------------------------------------------------------- references resolved at reconcile time


def _check_data_refs(ctx: Context, r: Resource, refs: object, path: tuple[str | int, ...]) -> Iterator[Hit]:
    """``valuesFrom`` / ``postBuild.substituteFrom``: ConfigMaps and Secrets of the object's namespace."""
    for i, ref in enumerate(as_list(refs)):
        ref = as_dict(ref)
        kind, name = as_str(ref.get("kind")), as_str(ref.get("name"))
        if kind not in ("ConfigMap", "Secret") or ref.get("optional") is True:
            continue
        if missing(ctx, kind, r.namespace, name, helm_exempt=False) is None:
            continue
        producers = SECRET_PRODUCERS if kind == "Secret" else CONFIGMAP_PRODUCERS
        yield Hit(
            r,
            f"{dotted(path)}[{i}] {kind} {name!r} has no producer in namespace "
            f"{r.namespace or '(unset)'} among the linted files: Flux fails the reconciliation until it exists",
            f"add {producers} named {name!r} in this namespace, fix the name, or set optional: true",
            (*path, i, "name"),
            severity=Severity.WARNING,
        )


def _check_secret(ctx: Context, r: Resource, path: tuple[str, ...]) -> Iterator[Hit]:
    name = as_str(dig(r.body, *path, "name"))
    if not name or missing(ctx, "Secret", r.namespace, name, helm_exempt=False) is None:
        return
    yield Hit(
        r,
        f"{dotted(path)} Secret {name!r} has no producer in namespace {r.namespace or '(unset)'} among "
        f"the linted files: the {r.kind} is not ready until it exists",
        f"add {SECRET_PRODUCERS} named {name!r} in this namespace, or fix the name",
        (*path, "name"),
        severity=Severity.WARNING,
    )


def _check_flux_ref(
    ctx: Context, r: Resource, kind: str, ref: object, path: tuple[str, ...], cross_ns: bool
) -> Iterator[Hit]:
    """A reference to another Flux object by name (and namespace when ``cross_ns``)."""
    ref = as_dict(ref)
    name = as_str(ref.get("name"))
    ns = as_str(ref.get("namespace")) if cross_ns else ""
    ns = ns or r.namespace
    if not name or has_subst(name) or has_subst(ns):
        return
    if kind == "GitRepository" and name == _BOOTSTRAP and ns in (_BOOTSTRAP, ""):
        return
    if ctx.find(kind, ns, name, group=_FLUX) is not None:
        return
    yield _ref_does_not_exist(ctx, r, kind, ns, name, path)


def _sops_objects(ctx: Context) -> list[Resource]:
    found: list[Resource] = ctx.memo(
        "flux_refs.sops", lambda: [x for x in ctx.resources if isinstance(x.body.get("sops"), dict)]
    )
    return found


def _decryption_patched(ctx: Context) -> bool:
    """A Flux Kustomization patches ``decryption`` into the Kustomizations it applies (a common pattern)."""

    def build() -> bool:
        for k in ctx.by_kind.get("Kustomization", ()):
            if k.group.endswith(_FLUX) and "decryption" in repr(dig(k.body, "spec", "patches") or ""):
                return True
        return False

    patched: bool = ctx.memo("flux_refs.decryption_patched", build)
    return patched


def _applied_dir(ctx: Context, r: Resource, spec: dict[str, Any]) -> Path | None:
    """The directory a Kustomization of the bootstrap source applies, resolved in this checkout."""
    raw = spec.get("path")
    src = _ref_fields(spec.get("sourceRef"), r.namespace)
    root = ctx.options.repo_root
    if not isinstance(raw, str) or has_subst(raw) or root is None or src is None:
        return None
    if src[2] != _BOOTSTRAP or src[0] not in ("GitRepository", "OCIRepository"):
        return None
    try:
        root_r, cur = root.resolve(), Path(r.file).resolve().parent
        if cur != root_r and root_r not in cur.parents:
            return None
        clean = raw.strip()
        while clean.startswith("./"):
            clean = clean[2:]
        clean = "" if clean == "." else clean.lstrip("/")
        while True:
            if (cur / clean).is_dir():
                return (cur / clean).resolve()
            if cur == root_r or cur.parent == cur:
                return None
            cur = cur.parent
    except (OSError, ValueError):
        return None


def _check_sops(ctx: Context, r: Resource, spec: dict[str, Any]) -> Iterator[Hit]:
    """SOPS-encrypted files applied by this Kustomization (the deepest one whose path holds them)."""
    if isinstance(spec.get("decryption"), dict) or not _sops_objects(ctx) or _decryption_patched(ctx):
        return
    here = _applied_dir(ctx, r, spec)
    if here is None:
        return
    dirs: dict[int, Path | None] = ctx.memo("flux_refs.applied_dirs", dict)
    mine: list[Resource] = []
    for obj in _sops_objects(ctx):
        f = Path(obj.file).resolve()
        if here not in f.parents:
            continue
        deeper = False
        for k in ctx.by_kind.get("Kustomization", ()):
            if k is r or not k.group.endswith(_FLUX):
                continue
            if id(k) not in dirs:
                dirs[id(k)] = _applied_dir(ctx, k, as_dict(k.body.get("spec")))
            d = dirs[id(k)]
            if d is not None and d != here and here in d.parents and d in f.parents:
                deeper = True
                break
        if not deeper:
            mine.append(obj)
    if mine:
        first = mine[0]
        more = f" (and {len(mine) - 1} more)" if len(mine) > 1 else ""
        yield Hit(
            r,
            f"applies the SOPS-encrypted {first.kind} {first.name} ({first.file}){more} but has no "
            "spec.decryption: kustomize-controller fails to apply it",
            "add spec.decryption (provider: sops, secretRef: the age/GPG key Secret)",
            ("spec",),
        )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if not resource.group.endswith(_FLUX):
        return
    spec = resource.body.get("spec")
    if not isinstance(spec, dict):
        return
    kind = resource.kind
    if kind == "Alert":
        yield from _check_flux_ref(
            ctx, resource, "Provider", spec.get("providerRef"), ("spec", "providerRef"), False
        )
    elif kind in ("Provider", "Receiver"):
        yield from _check_secret(ctx, resource, ("spec", "secretRef"))
        if kind == "Provider":
            yield from _check_secret(ctx, resource, ("spec", "certSecretRef"))
    elif kind == "ImagePolicy":
        yield from _check_flux_ref(
            ctx,
            resource,
            "ImageRepository",
            spec.get("imageRepositoryRef"),
            ("spec", "imageRepositoryRef"),
            True,
        )
    elif kind == "ImageUpdateAutomation":
        ref = as_dict(spec.get("sourceRef"))
        if as_str(ref.get("kind")) in ("", "GitRepository"):
            yield from _check_flux_ref(ctx, resource, "GitRepository", ref, ("spec", "sourceRef"), True)
    if kind == "Kustomization":
        yield from _check_source(ctx, resource, spec.get("sourceRef"), _KS_SOURCES, ("spec", "sourceRef"))
        yield from _check_depends(ctx, resource)
        yield from _check_path(ctx, resource, spec)
        yield from _check_data_refs(
            ctx, resource, dig(spec, "postBuild", "substituteFrom"), ("spec", "postBuild", "substituteFrom")
        )
        yield from _check_sops(ctx, resource, spec)
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
        yield from _check_data_refs(ctx, resource, spec.get("valuesFrom"), ("spec", "valuesFrom"))
