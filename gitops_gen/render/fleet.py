"""Several clusters in one specs directory, in the flux2-kustomize-helm-example layout.

With more than one ``Platform`` the tree is::

    clusters/<cluster>/                      flux-system/, infrastructure.yaml, apps.yaml (as for one
                                             cluster; the Flux Kustomizations point at the overlays)
    infrastructure/controllers/<component>/  shared base: Namespace, HelmRepository, HelmRelease
    infrastructure/configs/                  shared base: ClusterIssuer
    infrastructure/<cluster>/controllers/    overlay: the cluster's components + patches
    infrastructure/<cluster>/configs/        overlay: the configs + patches
    apps/base/<app>/                         shared base: every object of the app
    apps/<cluster>/<app>/                    overlay: ../../base/<app>, extras/, patches

Each cluster is first rendered on its own (:func:`~gitops_gen.render.engine.render_cluster`, with
its overrides), then every object is compared with the base: an object that differs becomes a
JSON 6902 patch in the overlay's kustomization.yaml (``replace``/``add``/``remove`` at the exact
fields), an object the cluster lacks becomes a ``$patch: delete``, an object only the cluster has
is written into the overlay directory. So no manifest is copied per cluster, and ``kubectl
kustomize apps/<cluster>`` builds exactly what the cluster would get rendered on its own.

A base is the app or component exactly as the first cluster (by name) that runs it gets it, so
each base is itself a valid render (lint reads it as one); the other clusters' overlays patch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from gitops_gen.render import yamlemit
from gitops_gen.render.extras import EXTRAS_DIR, Extras

if TYPE_CHECKING:
    from gitops_gen.spec.loader import Specs

KUSTOMIZATION = "kustomization.yaml"
ObjectKey = tuple[str, str, str]  # (kind, namespace, name)


def render_fleet(specs: Specs, path_prefix: str, extras: Extras) -> dict[str, str]:
    from gitops_gen.render.engine import render_cluster

    files: dict[str, str] = {}
    trees: dict[str, dict[str, str]] = {}
    for platform in specs.platforms:
        cluster = platform.metadata.name
        tree = render_cluster(specs, platform, path_prefix, extras, fleet=True)
        trees[cluster] = tree
        files.update({rel: text for rel, text in tree.items() if rel.startswith(f"clusters/{cluster}/")})
    files.update(_infrastructure(specs, trees))
    files.update(_apps(specs, trees, extras))
    return dict(sorted(files.items()))


# ------------------------------------------------------------------------------- infrastructure


def _infrastructure(specs: Specs, trees: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    from gitops_gen.render.engine import _doc, _file

    files: dict[str, str] = {}
    owner: dict[str, str] = {}  # base directory -> first cluster that renders it
    for cluster in sorted(trees):
        for d in _component_dirs(trees[cluster]):
            owner.setdefault(d, cluster)
        if "infrastructure/configs/cluster-issuer.yaml" in trees[cluster]:
            owner.setdefault("infrastructure/configs", cluster)
    for d, cluster in sorted(owner.items()):
        files.update(_in_dir(trees[cluster], d, keep_kustomization=True))
    for cluster, tree in sorted(trees.items()):
        psrc = specs.name_of("Platform", cluster)
        overlay = f"infrastructure/{cluster}/controllers"
        resources: list[str] = []
        patches: list[dict[str, Any]] = []
        for d in _component_dirs(tree):
            component = d.rsplit("/", 1)[1]
            resources.append(f"../../controllers/{component}")
            p, added = _diff(_in_dir(files, d), _in_dir(tree, d))
            patches += p
            for name, text in added.items():
                files[f"{overlay}/{component}-{name}"] = text
                resources.append(f"{component}-{name}")
        files[f"{overlay}/{KUSTOMIZATION}"] = _file(
            [psrc],
            [_doc("kustomization", resources=resources, patches=patches)],
            notes=[f"The platform components of cluster {cluster}: shared bases, patched for this cluster."],
        )
        configs = "infrastructure/configs"
        resources, patches = [], []
        if "infrastructure/configs/cluster-issuer.yaml" in tree:
            resources.append("../../configs")
            p, added = _diff(_in_dir(files, configs), _in_dir(tree, configs))
            patches += p
            for name, text in added.items():
                files[f"infrastructure/{cluster}/configs/{name}"] = text
                resources.append(name)
        files[f"infrastructure/{cluster}/configs/{KUSTOMIZATION}"] = _file(
            [psrc], [_doc("kustomization", resources=resources, patches=patches)]
        )
    return files


def _component_dirs(tree: Mapping[str, str]) -> list[str]:
    return sorted(
        {
            rel.rsplit("/", 1)[0]
            for rel in tree
            if rel.startswith("infrastructure/controllers/") and rel.count("/") == 3
        }
    )


def _in_dir(tree: Mapping[str, str], d: str, *, keep_kustomization: bool = False) -> dict[str, str]:
    """The files directly in ``d`` (not in its subdirectories), by path."""
    return {
        rel: text
        for rel, text in tree.items()
        if rel.rsplit("/", 1)[0] == d and (keep_kustomization or not rel.endswith("/" + KUSTOMIZATION))
    }


# ------------------------------------------------------------------------------------------ apps


def _apps(specs: Specs, trees: Mapping[str, Mapping[str, str]], extras: Extras) -> dict[str, str]:
    from gitops_gen.render.components import issuer_of
    from gitops_gen.render.engine import _doc, _file, _one_app, namespace_owners

    files: dict[str, str] = {}
    platforms = {p.metadata.name: p for p in specs.platforms}
    based: set[str] = set()
    owners = {c: namespace_owners(specs.cluster_apps[c]) for c in trees}
    for cluster in sorted(trees):  # the first cluster running an app renders its base
        for app in specs.cluster_apps[cluster]:
            name = app.metadata.name
            if name in based:
                continue
            based.add(name)
            platform = platforms[cluster]
            files.update(
                _one_app(
                    app,
                    f"apps/base/{name}",
                    specs.name_of("App", name),
                    platform,
                    issuer_of(platform),
                    name in owners[cluster],
                )
            )
    for cluster, tree in sorted(trees.items()):
        psrc = specs.name_of("Platform", cluster)
        files[f"apps/{cluster}/{KUSTOMIZATION}"] = tree[f"apps/{cluster}/{KUSTOMIZATION}"]
        for app in specs.cluster_apps[cluster]:
            name = app.metadata.name
            d = f"apps/{cluster}/{name}"
            app_extras = [f"{EXTRAS_DIR}/{f}" for f in extras.get(f"{d}/{EXTRAS_DIR}", ())]
            patches, added = _diff(_in_dir(files, f"apps/base/{name}"), _in_dir(tree, d))
            resources = [*app_extras, f"../../base/{name}", *added]
            for file_name, text in added.items():
                files[f"{d}/{file_name}"] = text
            files[f"{d}/{KUSTOMIZATION}"] = _file(
                [psrc, specs.name_of("App", name)],
                [_doc("kustomization", resources=resources, patches=patches)],
                notes=[_overlay_note(name, cluster, bool(app_extras), bool(patches or added))],
            )
    return files


def _overlay_note(app: str, cluster: str, extras: bool, differs: bool) -> str:
    parts = ["../../base/" + app]
    if extras:
        parts.append("the hand-written manifests in extras/")
    if differs:
        parts.append("patches for what differs on this cluster (spec.apps overrides, nodes, ingress class)")
    return (
        f"App {app} on cluster {cluster}: "
        + ", ".join(parts[:-1])
        + (" and " if len(parts) > 1 else "")
        + parts[-1]
        + "."
    )


# ------------------------------------------------------------------------------------ diffing


def _objects(files: Mapping[str, str]) -> dict[ObjectKey, tuple[str, dict[str, Any]]]:
    """Every object of ``files`` by (kind, namespace, name), with the file name it is in."""
    import yaml_rs

    out: dict[ObjectKey, tuple[str, dict[str, Any]]] = {}
    for rel, text in sorted(files.items()):
        for chunk in ("\n" + text).split("\n---\n"):
            body = yaml_rs.loads(chunk, parse_datetime=False)
            if isinstance(body, dict) and "kind" in body:
                meta = body.get("metadata") or {}
                key = (str(body["kind"]), str(meta.get("namespace", "")), str(meta.get("name", "")))
                out[key] = (rel.rsplit("/", 1)[-1], body)
    return out


def _diff(base: Mapping[str, str], cluster: Mapping[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Kustomize ``patches`` that turn the ``base`` files' objects into the ``cluster`` files'
    objects, and the cluster files whose objects the base does not have at all."""
    from gitops_gen.render.engine import _file

    old, new = _objects(base), _objects(cluster)
    patches: list[dict[str, Any]] = []
    added_files: dict[str, list[dict[str, Any]]] = {}
    for key, (file_name, body) in new.items():
        if key not in old:
            added_files.setdefault(file_name, []).append(body)
            continue
        ops = json_patch(old[key][1], body)
        if ops:
            patches.append({"target": _target(key), "patch": yamlemit.dump(ops).rstrip("\n")})
    for key, (_, body) in old.items():
        if key not in new:
            deletion: dict[str, Any] = {"$patch": "delete", "apiVersion": body["apiVersion"], "kind": key[0]}
            deletion["metadata"] = {"name": key[2], **({"namespace": key[1]} if key[1] else {})}
            patches.append({"patch": yamlemit.dump(deletion).rstrip("\n")})
    header_sources = _sources(cluster.values())
    added = {
        name: _file(header_sources, [yamlemit.dump(b) for b in bodies])
        for name, bodies in sorted(added_files.items())
    }
    return patches, added


def _sources(texts: Iterable[str]) -> list[str]:
    """The spec files named in the headers of ``texts``."""
    from gitops_gen.render.engine import HEADER_PREFIX

    out: set[str] = set()
    for text in texts:
        first = text.split("\n", 1)[0]
        if first.startswith(HEADER_PREFIX + " from "):
            out.update(first[len(HEADER_PREFIX + " from ") :].removesuffix("; do not edit.").split(", "))
    return sorted(out)


def _target(key: ObjectKey) -> dict[str, str]:
    kind, namespace, name = key
    target = {"kind": kind, "name": name}
    if namespace:
        target["namespace"] = namespace
    return target


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def json_patch(old: Any, new: Any, path: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """RFC 6902 operations turning ``old`` into ``new``: mappings key by key, lists of the same
    length item by item, anything else (scalars, lists that grow or shrink) replaced whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[dict[str, Any]] = []
        for k in old:
            if k not in new:
                ops.append({"op": "remove", "path": _pointer((*path, k))})
        for k, v in new.items():
            if k not in old:
                ops.append({"op": "add", "path": _pointer((*path, k)), "value": v})
            elif old[k] != v:
                ops.extend(json_patch(old[k], v, (*path, k)))
        return ops
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        # same length (the same containers, ports, env...): patch the items that differ, in place
        return [
            op for i, (a, b) in enumerate(zip(old, new, strict=True)) for op in json_patch(a, b, (*path, i))
        ]
    if old != new or type(old) is not type(new):
        return [{"op": "replace", "path": _pointer(path), "value": new}]
    return []
