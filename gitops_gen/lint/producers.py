"""Which Secrets and ConfigMaps the linted input produces, by namespace and name.

A Secret named ``db`` exists in namespace ``apps`` when the input holds one of its producers:

* a ``Secret`` (plain or SOPS-encrypted) or a ``SealedSecret`` of that name;
* an ``ExternalSecret`` whose ``spec.target.name`` (default: its own name) is ``db``, or a
  ``ClusterExternalSecret`` (any namespace it selects);
* a cert-manager ``Certificate`` with ``spec.secretName: db``;
* a kustomize ``secretGenerator`` (``configMapGenerator`` for ConfigMaps) of that name.

Objects and generators without a namespace (set later by a kustomization or Flux) match any
namespace, like :meth:`~gitops_gen.k8s.model.ObjectIndex.find`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitops_gen.k8s.workloads import as_dict, as_list, as_str, dig, has_subst
from gitops_gen.lint.model import Context, Severity
from gitops_gen.lint.workloads import helm_namespaces

#: what the producers of Secrets and ConfigMaps read (``gitops_gen.lint.projection``); the objects'
#: names are read by every rule
PRODUCER_READS = {
    "HelmRelease": ("spec.targetNamespace",),
    "SealedSecret": ("spec.template.metadata.name",),
    "ExternalSecret": ("spec.target.name",),
    "ClusterExternalSecret": ("spec.externalSecretName", "spec.externalSecretSpec.target.name"),
    "Certificate": ("spec.secretName",),
}

SECRET_PRODUCERS = (
    "a Secret (SOPS-encrypted), SealedSecret, ExternalSecret, cert-manager Certificate (spec.secretName) "
    "or kustomize secretGenerator"
)
CONFIGMAP_PRODUCERS = "a ConfigMap or kustomize configMapGenerator"

_Names = dict[str, set[str]]  # name -> namespaces ("" = any)


def _add(out: _Names, name: object, namespace: str) -> None:
    if isinstance(name, str) and name:
        out.setdefault(name, set()).add(namespace)


def _kustomizations(ctx: Context) -> list[dict[str, Any]]:
    """The kustomization.yaml files in the directories of the linted objects and their parents (up to
    the repository root): the engine reads them for roles only, they are not objects."""

    def build() -> list[dict[str, Any]]:
        from gitops_gen.k8s.loader import KUSTOMIZATION_NAMES, is_kustomize_config, parse_text, read_file

        root = ctx.options.repo_root.resolve() if ctx.options.repo_root is not None else None
        dirs: set[Path] = set()
        for r in ctx.resources:
            d = Path(r.file).resolve().parent
            while d not in dirs:
                dirs.add(d)
                if root is None or d == root or d.parent == d or root not in d.parents:
                    break
                d = d.parent
        out: list[dict[str, Any]] = []
        for d in sorted(dirs):
            for name in KUSTOMIZATION_NAMES:
                f = d / name
                if not f.is_file():
                    continue
                text, problem = read_file(f, str(f))
                docs = parse_text(text).documents if text is not None and not problem else []
                if docs and is_kustomize_config(docs[0].body, name):
                    out.append(docs[0].body)
                break
        return out

    found: list[dict[str, Any]] = ctx.memo("producers.kustomizations", build)
    return found


def _generated(ctx: Context, key: str, out: _Names) -> None:
    for k in _kustomizations(ctx):
        default_ns = as_str(k.get("namespace"))
        for gen in as_list(k.get(key)):
            g = as_dict(gen)
            _add(out, g.get("name"), as_str(g.get("namespace")) or default_ns)


def secret_names(ctx: Context) -> _Names:
    def build() -> _Names:
        out: _Names = {}
        for kind in ("Secret", "SealedSecret"):
            for r in ctx.by_kind.get(kind, ()):
                _add(out, r.name, r.namespace)
                if kind == "SealedSecret":
                    _add(out, dig(r.body, "spec", "template", "metadata", "name"), r.namespace)
        for r in ctx.by_kind.get("ExternalSecret", ()):
            _add(out, as_str(dig(r.body, "spec", "target", "name")) or r.name, r.namespace)
        for r in ctx.by_kind.get("ClusterExternalSecret", ()):
            target = dig(r.body, "spec", "externalSecretSpec", "target", "name")
            _add(out, as_str(dig(r.body, "spec", "externalSecretName")) or as_str(target) or r.name, "")
        for r in ctx.by_kind.get("Certificate", ()):
            _add(out, dig(r.body, "spec", "secretName"), r.namespace)
        _generated(ctx, "secretGenerator", out)
        return out

    names: _Names = ctx.memo("producers.secrets", build)
    return names


def configmap_names(ctx: Context) -> _Names:
    def build() -> _Names:
        out: _Names = {}
        for r in ctx.by_kind.get("ConfigMap", ()):
            _add(out, r.name, r.namespace)
        _generated(ctx, "configMapGenerator", out)
        return out

    names: _Names = ctx.memo("producers.configmaps", build)
    return names


def missing(ctx: Context, kind: str, namespace: str, name: str, helm_exempt: bool = True) -> Severity | None:
    """WARNING when no producer of Secret/ConfigMap ``name`` is linted for ``namespace``, else None.

    None as well when the name or namespace is an unresolved ``${VAR}``, or (``helm_exempt``) a
    HelmRelease installs into the namespace (its chart may create the object). Only a warning: the
    object may be created by hand or by a controller we do not know.
    """
    if not name or has_subst(name) or has_subst(namespace):
        return None
    if helm_exempt and namespace in helm_namespaces(ctx):
        return None
    names = secret_names(ctx) if kind == "Secret" else configmap_names(ctx)
    found = names.get(name)
    if found is not None and ("" in found or not namespace or namespace in found):
        return None
    return Severity.WARNING
