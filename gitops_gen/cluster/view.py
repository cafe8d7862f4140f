"""Follow Flux's graph offline: what each cluster of a repository applies.

A cluster starts at ``<dir>/flux-system/gotk-sync.yaml`` (the cluster is ``<dir>``'s name): the sync
``Kustomization`` and its ``GitRepository`` written by ``flux bootstrap`` (a placeholder file means the
bootstrap default, ``path: ./<dir>``), at a Flux Operator ``FluxInstance`` with ``spec.sync`` (the
source and Kustomization the operator generates from it) or a HelmRelease of the ``flux-instance``
chart that installs one (``values.instance.sync``), or at a directory named with ``--cluster``. From there every
Flux ``Kustomization`` whose source is this repository (the sync ``GitRepository``, one with the same
URL, or an ``ExternalArtifact`` an ``ArtifactGenerator`` copies from it) is built as
kustomize-controller builds it (:mod:`gitops_gen.cluster.kustomize`), in ``dependsOn`` order, with its
``postBuild`` substitution and ``commonMetadata``; the Kustomizations found in its output (the ``ks.yaml``
per app pattern) are followed in turn, with the parent's patches and substitution already applied.

An unbuildable Kustomization is one error at its own line; the others are still built.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from typing import Any

from msgspec import Struct, field

from gitops_gen.cluster import envsubst
from gitops_gen.cluster.kustomize import Builder, BuildError, Files, FluxOverrides
from gitops_gen.cluster.model import ClusterView, KustomizationInfo, Obj, Origin, Problem
from gitops_gen.paths import Walk

KS_GROUP = "kustomize.toolkit.fluxcd.io"
SYNC_NAMES = ("gotk-sync.yaml", "gotk-sync.yml")


class Entry(Struct):
    """Where a cluster starts."""

    name: str
    sync_file: str | None  # .../flux-system/gotk-sync.yaml, or None for --cluster DIR without one
    directory: str  # the cluster directory (absolute)
    root: str = ""  # the repository root (Flux's artifact root: spec.path is relative to it)


def find_entries(top: str, walk: Walk = os.walk) -> list[Entry]:
    """Every ``*/flux-system/gotk-sync.yaml`` under ``top``, and every Flux Operator ``FluxInstance``
    with a ``spec.sync`` whose path is in the tree (hidden directories skipped); ``walk``: how ``top`` is
    walked (``diff``: its tree's :class:`~gitops_gen.paths.KnownTree`)."""
    out: list[Entry] = []
    instances: list[Entry] = []
    for dirpath, dirs, names in walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        synced = False
        if os.path.basename(dirpath) == "flux-system":
            for n in SYNC_NAMES:
                if n in names:
                    cluster_dir = os.path.dirname(os.path.abspath(dirpath))
                    sync = os.path.join(os.path.abspath(dirpath), n)
                    out.append(Entry(os.path.basename(cluster_dir), sync, cluster_dir, _root_of(sync, top)))
                    synced = True
                    break
        if not synced:
            instances.extend(_instance_entries(dirpath, names, top))
    # an instance inside a bootstrapped cluster's directory (a migration under way), or a release
    # syncing that directory, is that cluster; two instances syncing one directory are one cluster
    booted = [e.directory + os.sep for e in out]
    seen = {(e.root, e.directory) for e in out}
    for i in instances:
        if (i.root, i.directory) in seen or any((i.sync_file or "").startswith(b) for b in booted):
            continue
        seen.add((i.root, i.directory))
        out.append(i)
    return sorted(out, key=lambda e: (e.root, e.name, e.directory))


def _instance_entries(dirpath: str, names: list[str], top: str) -> list[Entry]:
    """The ``FluxInstance`` objects (``fluxcd.controlplane.io``) with a ``spec.sync``, and the
    ``flux-instance`` chart's HelmReleases with ``values.instance.sync``, in the YAML files of
    ``dirpath``: every file of a ``flux-system/`` or ``clusters/<name>/`` directory, elsewhere the files
    named ``*flux*`` or ``*instance*`` or in a directory (or its parent) so named, as the ``ks.yaml``
    per app layout puts ``flux-instance/app/helmrelease.yaml`` (reading every file of a large repository
    costs more than the rest of a warm re-lint). A ``FluxInstance``'s cluster is named after its
    directory (its parent for ``flux-system/``, as for gotk-sync); a release's, which lives among the
    apps it installs, after the directory it syncs (the name ``--cluster`` on that directory gives). The
    repository root is the nearest directory at or above it (not above the git root or ``top``'s) that
    holds the sync path. A sync path found nowhere is another repository's."""
    from gitops_gen.k8s.loader import parse_text, read_file

    out: list[Entry] = []
    here = os.path.abspath(dirpath)
    everywhere = (
        os.path.basename(here) == "flux-system" or os.path.basename(os.path.dirname(here)) == "clusters"
    )
    named = _flux_named(os.path.basename(here)) or _flux_named(os.path.basename(os.path.dirname(here)))
    for n in sorted(names):
        if not n.endswith((".yaml", ".yml")) or not (everywhere or named or _flux_named(n)):
            continue
        path = os.path.join(here, n)
        try:
            if os.path.getsize(path) > INSTANCE_SCAN_BYTES:
                continue
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        if not any(m in data for m in (b"FluxInstance", b"flux-instance", b"distribution:")):
            continue
        text, _problem = read_file(path, path)
        for doc in parse_text(text or "").documents:
            sync = instance_sync(doc.body)
            if sync is not None:
                cluster_dir = here
                if os.path.basename(cluster_dir) == "flux-system":
                    cluster_dir = os.path.dirname(cluster_dir)
                root = _root_holding(cluster_dir, str(sync.get("path") or ""), top)
                if root is not None:
                    out.append(Entry(os.path.basename(cluster_dir), path, cluster_dir, root))
                break
            release = release_sync(doc.body)
            if release is not None:
                sync_path = str(release[1]["path"])
                root = _root_holding(here, sync_path, top)
                if root is not None:
                    synced = os.path.normpath(os.path.join(root, sync_path.lstrip("/")))
                    out.append(Entry(os.path.basename(synced), path, synced, root))
                break
    return out


def _flux_named(name: str) -> bool:
    return "flux" in name or "instance" in name


INSTANCE_SCAN_BYTES = 1024 * 1024  # a FluxInstance is a small hand-written file
SYNC_KINDS = ("GitRepository", "OCIRepository", "Bucket")


def instance_sync(body: object) -> dict[str, Any] | None:
    """``spec.sync`` of a Flux Operator ``FluxInstance`` (None: not one, or it syncs nothing)."""
    if not (
        isinstance(body, dict)
        and body.get("kind") == "FluxInstance"
        and str(body.get("apiVersion", "")).startswith("fluxcd.controlplane.io/")
    ):
        return None
    sync = _spec(body).get("sync")
    if isinstance(sync, dict) and str(sync.get("kind") or "") in SYNC_KINDS:
        return sync
    return None


INSTANCE_CHART = "flux-instance"


def release_sync(body: object) -> tuple[str, dict[str, Any]] | None:
    """``(release namespace, sync)`` of a HelmRelease of the Flux Operator's ``flux-instance`` chart
    whose ``values.instance.sync`` has a ``url`` (the chart writes ``spec.sync`` only then) and a
    ``path``: the FluxInstance it installs, in the release namespace (``spec.targetNamespace``, else
    the release's own, else ``flux-system``), syncs that. The chart is ``spec.chart.spec.chart``
    ``flux-instance``, or a ``spec.chartRef`` (an OCIRepository of the chart) named ``*flux-instance*``
    or whose values have the chart's ``instance.distribution``. Values given through ``valuesFrom``
    are not read. None: not such a release."""
    if not (
        isinstance(body, dict)
        and body.get("kind") == "HelmRelease"
        and str(body.get("apiVersion", "")).startswith("helm.toolkit.fluxcd.io/")
    ):
        return None
    spec = _spec(body)
    values = spec.get("values")
    inst = values.get("instance") if isinstance(values, dict) else None
    sync = inst.get("sync") if isinstance(inst, dict) else None
    if not isinstance(inst, dict) or not isinstance(sync, dict):
        return None
    chart = spec.get("chart")
    tmpl = chart.get("spec") if isinstance(chart, dict) else None
    ref = spec.get("chartRef")
    if isinstance(tmpl, dict):
        ours = str(tmpl.get("chart") or "").rstrip("/").rsplit("/", 1)[-1] == INSTANCE_CHART
    elif isinstance(ref, dict):
        ours = INSTANCE_CHART in str(ref.get("name") or "") or isinstance(inst.get("distribution"), dict)
    else:
        ours = False
    kind = str(sync.get("kind") or "GitRepository")  # the chart's default
    url, path = sync.get("url"), sync.get("path")
    if not (ours and kind in SYNC_KINDS and isinstance(url, str) and url and isinstance(path, str) and path):
        return None
    ns = str(spec.get("targetNamespace") or _meta(body).get("namespace") or "flux-system")
    name = sync.get("name")
    out: dict[str, Any] = {"kind": kind, "url": url, "path": path}
    if isinstance(name, str) and name:
        out["name"] = name
    return ns, out


def _root_holding(start: str, sync_path: str, top: str) -> str | None:
    """The nearest directory at or above ``start`` holding the directory ``sync_path``, up to the git
    root (or ``top``'s parent directories when there is no git root); None when none does."""
    from gitops_gen.paths import git_root

    rel = os.path.normpath(sync_path.lstrip("/")) if sync_path.strip("./") else "."
    limit = git_root(top)
    d = os.path.normpath(os.path.abspath(start))
    while True:
        if os.path.isdir(os.path.join(d, rel)):
            return d
        parent = os.path.dirname(d)
        if parent == d or (limit is not None and d == os.path.normpath(str(limit))):
            return None
        d = parent


def entry_for_dir(d: str, root: str) -> Entry:
    """``--cluster DIR``: its ``flux-system/gotk-sync.yaml`` when there is one, else a ``FluxInstance``
    in it or in its ``flux-system/``, else the directory."""
    d = os.path.abspath(d)
    for n in SYNC_NAMES:
        p = os.path.join(d, "flux-system", n)
        if os.path.isfile(p):
            return Entry(os.path.basename(d), p, d, os.path.abspath(root))
    for sub in (d, os.path.join(d, "flux-system")):
        if os.path.isdir(sub):
            found = _instance_entries(sub, os.listdir(sub), root)
            if found:
                return Entry(os.path.basename(d), found[0].sync_file, d, os.path.abspath(root))
    return Entry(os.path.basename(d), None, d, os.path.abspath(root))


def _root_of(sync_file: str, top: str) -> str:
    """The repository root of a bootstrap: the cluster directory minus the sync ``spec.path`` when
    the path names it (``./output/clusters/vps`` -> three levels up, even above ``top``); otherwise
    (a placeholder file) the parent of ``clusters/``, never above ``top`` (the directory given)."""
    from gitops_gen.k8s.loader import parse_text, read_file

    top = os.path.normpath(os.path.abspath(top))
    cluster_dir = os.path.dirname(os.path.dirname(sync_file))
    text, _problem = read_file(sync_file, sync_file)
    for doc in parse_text(text or "").documents:
        b = doc.body
        if isinstance(b, dict) and is_flux_kustomization(b) and isinstance(_spec(b).get("path"), str):
            parts = [
                x
                for x in os.path.normpath(str(_spec(b)["path"]).lstrip("/")).split(os.sep)
                if x not in (".", "")
            ]
            if parts and cluster_dir.split(os.sep)[-len(parts) :] == parts:
                return os.sep.join(cluster_dir.split(os.sep)[: -len(parts)]) or os.sep
            break
    depth = 2 if os.path.basename(os.path.dirname(cluster_dir)) == "clusters" else 1
    root = cluster_dir
    for _ in range(depth):
        if root == top or not root.startswith(top + os.sep):
            break
        root = os.path.dirname(root)
    return root


def is_flux_kustomization(body: dict[str, Any]) -> bool:
    return body.get("kind") == "Kustomization" and str(body.get("apiVersion", "")).startswith(KS_GROUP + "/")


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    s = body.get("spec")
    return s if isinstance(s, dict) else {}


def _meta(body: dict[str, Any]) -> dict[str, Any]:
    m = body.get("metadata")
    return m if isinstance(m, dict) else {}


class _Sources(Struct):
    """The sources that are this repository: GitRepositories and ExternalArtifacts copied from it."""

    git: set[tuple[str, str]] = field(default_factory=set)  # (namespace, name)
    other: set[tuple[str, str, str]] = field(default_factory=set)  # (kind, namespace, name): OCI, Bucket
    urls: set[str] = field(default_factory=set)
    artifacts: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)  # -> (to, from)

    def add_generator(self, body: dict[str, Any]) -> None:
        spec, ns = _spec(body), str(_meta(body).get("namespace") or "flux-system")
        aliases = set()
        for s in spec.get("sources") or []:
            if (
                isinstance(s, dict)
                and s.get("kind") == "GitRepository"
                and (str(s.get("namespace") or ns), str(s.get("name"))) in self.git
            ):
                aliases.add(str(s.get("alias")))
        for art in spec.get("artifacts") or []:
            if not isinstance(art, dict):
                continue
            rules: list[tuple[str, str]] = []
            for c in art.get("copy") or []:
                if not isinstance(c, dict):
                    continue
                src, dst = str(c.get("from", "")), str(c.get("to", ""))
                alias, _, rest = src.lstrip("@").partition("/")
                if alias not in aliases or not dst.startswith("@artifact"):
                    continue
                rules.append((_dir_prefix(dst[len("@artifact") :]), _dir_prefix(rest)))
            if rules:
                self.artifacts[(ns, str(art.get("name")))] = rules

    def path_in_repo(self, kind: str, ns: str, name: str, path: str) -> str | None:
        """``spec.path`` as a repository path, or None when the source is not this repository."""
        if (kind == "GitRepository" and (ns, name) in self.git) or (kind, ns, name) in self.other:
            return path
        if kind == "ExternalArtifact" and (ns, name) in self.artifacts:
            p = _dir_prefix(path)
            for dst, src in self.artifacts[(ns, name)]:
                if p.startswith(dst):
                    return src + p[len(dst) :]
        return None


def _dir_prefix(p: str) -> str:
    """``/apps/base/**`` -> ``apps/base/``; ``./staging`` -> ``staging/``; ``""`` -> ``""``."""
    p = p.replace("**", "").replace("*", "").strip("/")
    p = os.path.normpath(p).lstrip("./") if p not in ("", ".") else ""
    return f"{p}/" if p and p != "." else ""


class ClusterBuilder:
    """Builds the view of one cluster."""

    def __init__(self, entry: Entry, files: Files) -> None:
        self.root = os.path.normpath(os.path.abspath(entry.root))
        self.entry = entry
        self.builder = Builder(self.root, files)
        self.view = ClusterView(entry.name, entry.sync_file or entry.directory)
        self.sources = _Sources()

    def _root_kustomization(self) -> Obj:
        e = self.entry
        if e.sync_file is not None:
            objs = self.builder._load_file(e.sync_file)
            for o in objs:
                sync = instance_sync(o.body)
                if sync is not None:
                    return self._instance_kustomization(o, o.namespace or "flux-system", sync)
                release = release_sync(o.body)
                if release is not None:
                    return self._instance_kustomization(o, *release)
            repos = [o for o in objs if o.kind == "GitRepository"]
            for r in repos:
                self.sources.git.add((r.namespace or "flux-system", r.name))
                url = _spec(r.body).get("url")
                if isinstance(url, str):
                    self.sources.urls.add(url.rstrip("/").removesuffix(".git"))
            for o in objs:
                if is_flux_kustomization(o.body):
                    ref = _spec(o.body).get("sourceRef")
                    if (
                        isinstance(ref, dict)
                        and (
                            str(ref.get("namespace") or o.namespace or "flux-system"),
                            str(ref.get("name")),
                        )
                        in self.sources.git
                    ):
                        return o
        # the bootstrap default: GitRepository flux-system, path ./<cluster dir>
        self.sources.git.add(("flux-system", "flux-system"))
        rel = os.path.relpath(self.entry.directory, self.root)
        origin = Origin(e.sync_file or self.entry.directory, 1, 1)
        body = {
            "apiVersion": f"{KS_GROUP}/v1",
            "kind": "Kustomization",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {"path": f"./{rel}", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        }
        return Obj(body, origin, "flux-system", "flux-system")

    def _instance_kustomization(self, instance: Obj, ns: str, sync: dict[str, Any]) -> Obj:
        """The source and Kustomization the Flux Operator generates for a ``FluxInstance``'s
        ``spec.sync`` (or a flux-instance release's ``values.instance.sync``): both named
        ``spec.sync.name``, else the instance's namespace ``ns`` (as bootstrap)."""
        name = str(sync.get("name") or ns)
        kind = str(sync.get("kind"))
        if kind == "GitRepository":
            self.sources.git.add((ns, name))
            url = sync.get("url")
            if isinstance(url, str):
                self.sources.urls.add(url.rstrip("/").removesuffix(".git"))
        else:  # an OCI artifact or bucket pushed from this repository (`flux push artifact`)
            self.sources.other.add((kind, ns, name))
        body = {
            "apiVersion": f"{KS_GROUP}/v1",
            "kind": "Kustomization",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"path": str(sync.get("path") or "."), "sourceRef": {"kind": kind, "name": name}},
        }
        return Obj(body, instance.origin, name, ns)

    def build(self) -> ClusterView:
        try:
            first = self._root_kustomization()
        except BuildError as exc:  # the entry point itself cannot be read: nothing else can be followed
            self.view.problems.append(
                Problem(
                    "error",
                    exc.file,
                    exc.line,
                    exc.column,
                    f"cluster {self.view.name}: its entry point cannot be read: {exc.message}",
                    exc.hint or "fix the YAML of the sync file",
                )
            )
            self.view.files.add(exc.file)
            return self.view
        pending: list[Obj] = [first]
        known: dict[tuple[str, str], Obj] = {(first.namespace or "flux-system", first.name): first}
        done: set[tuple[str, str]] = set()
        while pending:
            ks = self._next(pending, known, done)
            key = (ks.namespace or "flux-system", ks.name)
            done.add(key)
            built = self._apply(ks)
            for o in built:
                if o.kind == "GitRepository" and o.api_version.startswith("source.toolkit.fluxcd.io"):
                    url = _spec(o.body).get("url")
                    if isinstance(url, str) and url.rstrip("/").removesuffix(".git") in self.sources.urls:
                        self.sources.git.add((o.namespace or key[0], o.name))
                if o.kind == "ArtifactGenerator":
                    self.sources.add_generator(o.body)
            for o in built:
                if is_flux_kustomization(o.body):
                    child = (o.namespace or key[0], o.name)
                    if child not in known:
                        known[child] = o
                        pending.append(o)
        self.view.files |= self.builder.read
        self.view.problems.extend(self.builder.problems)
        return self.view

    @staticmethod
    def _next(pending: list[Obj], known: dict[tuple[str, str], Obj], done: set[tuple[str, str]]) -> Obj:
        """The first pending Kustomization whose known dependencies are built (else the first)."""
        for i, ks in enumerate(pending):
            ns = ks.namespace or "flux-system"
            deps = _spec(ks.body).get("dependsOn")
            ready = True
            for d in deps if isinstance(deps, list) else []:
                if isinstance(d, dict):
                    dk = (str(d.get("namespace") or ns), str(d.get("name")))
                    if dk in known and dk not in done:
                        ready = False
                        break
            if ready:
                return pending.pop(i)
        return pending.pop(0)

    def _problem(self, severity: str, origin: Origin, message: str, hint: str = "") -> None:
        self.view.problems.append(Problem(severity, origin.file, origin.line, origin.column, message, hint))

    def _apply(self, ks: Obj) -> list[Obj]:
        """Build one Flux Kustomization; add its objects to the view. Returns them."""
        spec = _spec(ks.body)
        ns = ks.namespace or "flux-system"
        info = KustomizationInfo(ns, ks.name, str(spec.get("path") or ""), ks.origin)
        self.view.kustomizations.append(info)
        if spec.get("suspend") is True:
            info.followed, info.reason = False, "suspended"
            return []
        ref = spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else {}
        assert isinstance(ref, dict)
        kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        path = self.sources.path_in_repo(
            kind, str(ref.get("namespace") or ns), name, str(spec.get("path") or "")
        )
        if path is None:
            info.followed, info.reason = False, f"source {kind}/{name} is not this repository"
            return []
        if "${" in path:
            info.followed, info.reason = False, "spec.path has an unresolved ${VAR}"
            self._problem(
                "warning",
                ks.origin,
                f"Flux Kustomization {ns}/{ks.name}: spec.path {path!r} has an unresolved variable; not followed",
                "set the variable in the parent Kustomization's postBuild.substitute",
            )
            return []
        overrides = FluxOverrides(
            target_namespace=str(spec.get("targetNamespace") or ""),
            name_prefix=str(spec.get("namePrefix") or ""),
            name_suffix=str(spec.get("nameSuffix") or ""),
            patches=[p for p in spec.get("patches") or [] if isinstance(p, dict)],
            components=[c for c in spec.get("components") or [] if isinstance(c, str)],
            images=[i for i in spec.get("images") or [] if isinstance(i, dict)],
            ignore_missing_components=spec.get("ignoreMissingComponents") is True,
            origin=ks.origin,
        )
        try:
            objs = self.builder.build_flux_path(path, overrides)
        except BuildError as exc:
            info.followed, info.reason = False, exc.message
            where = f" ({self._rel(exc.file)}:{exc.line}:{exc.column})" if exc.file != ks.origin.file else ""
            self._problem(
                "error",
                ks.origin,
                f"Flux Kustomization {ns}/{ks.name} cannot be built: {exc.message}{where}",
                exc.hint
                or "fix the kustomization; `kubectl kustomize --load-restrictor LoadRestrictionsNone` shows it",
            )
            return []
        objs = self._post_build(ks, objs)
        info.objects = len(objs)
        self.view.objects.extend(objs)
        return objs

    def _rel(self, path: str) -> str:
        return os.path.relpath(path, self.root) if path.startswith(self.root) else path

    def _post_build(self, ks: Obj, objs: list[Obj]) -> list[Obj]:
        spec = _spec(ks.body)
        ns = ks.namespace or "flux-system"
        decryption = isinstance(spec.get("decryption"), dict)
        for o in objs:
            if o.kind == "Secret" and "sops" in o.body and not decryption:
                ann = _meta(o.body).get("annotations")
                if not (
                    isinstance(ann, dict) and str(ann.get(f"{KS_GROUP}/decrypt", "")).lower() == "disabled"
                ):
                    self._problem(
                        "error",
                        o.origin,
                        f"Secret {o.namespace}/{o.name} is SOPS-encrypted but Flux Kustomization {ns}/{ks.name} "
                        "has no spec.decryption: the reconcile fails",
                        "add spec.decryption (provider: sops) to the Kustomization",
                    )
        post = spec.get("postBuild")
        if isinstance(post, dict):
            env = self._variables(ks, post)
            if env or post.get("substituteStrategy") == "Always":
                bad = [n for n in env.values if not envsubst.VAR_NAME.match(n)]
                if bad:
                    self._problem(
                        "error",
                        ks.origin,
                        f"Flux Kustomization {ns}/{ks.name}: variable name {bad[0]!r} is invalid "
                        "(letters, digits and _ only): every object of the build fails",
                        "rename the key in substitute / the ConfigMap or Secret",
                    )
                else:
                    for o in objs:
                        if envsubst.disabled(o.body):
                            continue
                        try:
                            o.body = envsubst.substitute(o.body, env)
                        except envsubst.SubstitutionError as exc:
                            self._problem(
                                "error",
                                o.origin,
                                f"{o.kind} {o.name}: post-build substitution of Flux Kustomization "
                                f"{ns}/{ks.name} fails: {exc}",
                                "define the variable in postBuild.substitute(From), give it a default "
                                "(${VAR:=value}), or escape it ($${VAR})",
                            )
        cm = spec.get("commonMetadata")
        if isinstance(cm, dict):
            for key in ("labels", "annotations"):
                extra = cm.get(key)
                if isinstance(extra, dict) and extra:
                    for o in objs:
                        m = o.meta.setdefault(key, {})
                        if isinstance(m, dict):
                            m.update({str(a): str(b) for a, b in extra.items()})
        return objs

    def _variables(self, ks: Obj, post: dict[str, Any]) -> envsubst.Variables:
        env = envsubst.Variables()
        ns = ks.namespace or "flux-system"
        for ref in post.get("substituteFrom") or []:
            if not isinstance(ref, dict):
                continue
            kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
            hit = next(
                (
                    o
                    for o in reversed(self.view.objects)
                    if o.kind == kind and o.name == name and (o.namespace or ns) == ns
                ),
                None,
            )
            if hit is None:
                if ref.get("optional") is not True:
                    env.complete = False
                    self._problem(
                        "warning",
                        ks.origin,
                        f"Flux Kustomization {ns}/{ks.name}: substituteFrom {kind} {ns}/{name} is not applied by "
                        f"cluster {self.view.name} before it (dependsOn); variables from it are not checked",
                        "apply it from a Kustomization this one depends on, or mark the reference optional",
                    )
                continue
            env.values.update(_data_of(hit, env))
        subst = post.get("substitute")
        if isinstance(subst, dict):
            for k, v in subst.items():
                env.values[str(k)] = str(v).replace("\n", "") if v is not None else ""
                env.opaque.discard(str(k))
        return env


def _data_of(o: Obj, env: envsubst.Variables) -> dict[str, str]:
    out: dict[str, str] = {}
    sops = "sops" in o.body
    for key in ("data", "stringData"):
        data = o.body.get(key)
        if not isinstance(data, dict):
            continue
        for k, v in data.items():
            name = str(k)
            if sops or not isinstance(v, str | int | float | bool):
                env.opaque.add(name)
                out.pop(name, None)
                continue
            text = str(v)
            if o.kind == "Secret" and key == "data":
                try:
                    text = base64.b64decode(text, validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    env.opaque.add(name)
                    continue
            env.opaque.discard(name)
            out[name] = text.replace("\n", "")
    return out


def build_views(entries: Iterable[Entry], files: Files | None = None) -> list[ClusterView]:
    """The view of every cluster in ``entries``, sharing one parsed-file cache, named as
    :func:`view_names` names them."""
    files = files or Files()
    entries = list(entries)
    views = []
    for e, name in zip(entries, view_names(entries), strict=True):
        v = ClusterBuilder(e, files).build()
        v.name = name
        views.append(v)
    return views


def view_names(entries: list[Entry]) -> list[str]:
    """Each cluster's name: its directory's, or ``<repository dir>/<cluster>`` when the entries come
    from several repositories."""
    several = len({e.root for e in entries}) > 1
    return [f"{os.path.basename(e.root)}/{e.name}" if several else e.name for e in entries]


def not_applied_reason(path: str, views: list[ClusterView], root: str) -> str:
    """Why no cluster applies ``path`` (absolute): the kustomization that omits it, or its directory."""
    read = set().union(*(v.files for v in views)) if views else set()
    d = os.path.dirname(path)
    root = os.path.normpath(os.path.abspath(root))
    while d.startswith(root):
        for n in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            k = os.path.join(d, n)
            if k in read:
                return f"not listed in {os.path.relpath(k, root)}"
        if d == root:
            break
        d = os.path.dirname(d)
    names = ", ".join(v.name for v in views)
    return f"no Flux Kustomization builds its directory (clusters: {names})"
