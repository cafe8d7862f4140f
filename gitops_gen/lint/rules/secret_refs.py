"""Secrets that workloads use have a producer in the same namespace.

**What.** Each Secret a pod template names (``imagePullSecrets``, ``env[].valueFrom.secretKeyRef``,
``envFrom[].secretRef``, ``volumes[].secret``, projected volume sources) must be produced by an
object of the same namespace among the linted files: a ``Secret`` (plain or SOPS-encrypted), a
``SealedSecret``, an ``ExternalSecret`` (``spec.target.name``), a cert-manager ``Certificate``
(``spec.secretName``) or a kustomize ``secretGenerator``. References marked ``optional: true`` are
not checked.

**Why.** The pod stays in ``CreateContainerConfigError`` (or ``ImagePullBackOff``) until the Secret
appears; nothing in CI notices.

**What we chose.** A warning, not an error: the Secret may be created by hand, by ``flux bootstrap``
or by a controller we do not know. Nothing is reported in a namespace where a HelmRelease installs a
chart (the chart may create the Secret), nor for names or namespaces with ``${VAR}`` substitutions.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import POD_TEMPLATE_KINDS, as_dict, as_list, as_str, containers, pod_spec_of
from gitops_gen.lint.model import Context, Hit
from gitops_gen.lint.producers import PRODUCER_READS, SECRET_PRODUCERS, missing
from gitops_gen.lint.projection import merge, pod_template

ID = "secret-refs"
SEVERITY = "warning"
SCOPE = "object"


def _secret_env(env: object) -> object:
    """A container's ``env`` as :func:`_refs` reads it: each entry's ``valueFrom.secretKeyRef``, the
    others as ``None`` (the list keeps its length: findings name entries by index)."""
    if not isinstance(env, list):
        return env
    return [
        {"valueFrom": {"secretKeyRef": ref}}
        if isinstance(e, dict)
        and isinstance(e.get("valueFrom"), dict)
        and (ref := e["valueFrom"].get("secretKeyRef")) is not None
        else None
        for e in env
    ]


READS = merge(
    PRODUCER_READS,
    pod_template(
        "spec.imagePullSecrets",
        "spec.volumes.*.secret",
        "spec.volumes.*.projected.sources.*.secret",
        *(
            f"spec.{group}.*.{field}"
            for group in ("containers", "initContainers")
            for field in ("envFrom", "restartPolicy", "name")
        ),
    ),
    {
        kind: tuple((f"{path}.{group}.*.env", _secret_env) for group in ("containers", "initContainers"))
        for kind, (path,) in pod_template("spec").items()
    },
)


def _refs(resource: Resource) -> Iterator[tuple[str, FieldPath]]:
    found = pod_spec_of(resource)
    if found is None:
        return
    spec, path = found
    for i, s in enumerate(as_list(spec.get("imagePullSecrets"))):
        yield as_str(as_dict(s).get("name")), (*path, "imagePullSecrets", i, "name")
    for c in containers(resource):
        for i, e in enumerate(as_list(c.container.get("env"))):
            ref = as_dict(as_dict(as_dict(e).get("valueFrom")).get("secretKeyRef"))
            if ref and ref.get("optional") is not True:
                yield as_str(ref.get("name")), (*c.path, "env", i, "valueFrom", "secretKeyRef", "name")
        for i, e in enumerate(as_list(c.container.get("envFrom"))):
            ref = as_dict(as_dict(e).get("secretRef"))
            if ref and ref.get("optional") is not True:
                yield as_str(ref.get("name")), (*c.path, "envFrom", i, "secretRef", "name")
    for i, v in enumerate(as_list(spec.get("volumes"))):
        vol = as_dict(v)
        sec = as_dict(vol.get("secret"))
        if sec and sec.get("optional") is not True:
            yield as_str(sec.get("secretName")), (*path, "volumes", i, "secret", "secretName")
        for j, src in enumerate(as_list(as_dict(vol.get("projected")).get("sources"))):
            ref = as_dict(as_dict(src).get("secret"))
            if ref and ref.get("optional") is not True:
                yield (
                    as_str(ref.get("name")),
                    (*path, "volumes", i, "projected", "sources", j, "secret", "name"),
                )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind not in POD_TEMPLATE_KINDS:
        return
    seen: set[str] = set()
    for name, path in _refs(resource):
        if not name or name in seen:
            continue
        seen.add(name)
        sev = missing(ctx, "Secret", resource.namespace, name)
        if sev is None:
            continue
        yield Hit(
            resource,
            f"Secret {name!r} has no producer in namespace {resource.namespace or '(unset)'} among the "
            "linted files: the pod does not start until it exists",
            f"add {SECRET_PRODUCERS} named {name!r} in this namespace, or fix the name "
            "(ignore this if the Secret is created by hand)",
            path,
            severity=sev,
        )
