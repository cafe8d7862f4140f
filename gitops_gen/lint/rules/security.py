"""Containers do not run as root, cannot escalate privileges, and are not privileged.

**What.** For every container, init container and sidecar of any workload (and of every controller
of a HelmRelease's values in bjw-s app-template's layout: ``defaultPodOptions`` / ``pod`` are the pod's
securityContext, reported at the values' lines):

* *Not root*: the effective ``runAsUser`` (the container's ``securityContext`` overrides the
  pod's) is a non-zero UID, or, when no UID is set, the effective ``runAsNonRoot`` is ``true``
  (the kubelet then refuses to start an image whose user is root). ``runAsUser: 0`` is an error
  even with ``runAsNonRoot: true`` - that pod can never start (``CreateContainerConfigError``).
* *No privilege escalation*: ``allowPrivilegeEscalation: true`` is an error; leaving it unset is
  a warning, because Kubernetes then allows escalation (setuid binaries, ``no_new_privs`` not
  set), and the Pod Security Standard "restricted" requires an explicit ``false``.
* *Not privileged*: ``privileged: true`` is an error (it is root on the node).

**Why.** A compromised process running as root inside a container is one kernel bug away from
the node; a privileged container is already there. These three settings cost nothing for
almost every application.

**What we chose.** kube-linter's ``privilege-escalation-container`` only flags an explicit
``true``; kubeaudit and Pod Security "restricted" also reject the unset default. We report the
explicit ``true`` as an error and the unset default as a warning, so manifests that predate
the field are told without failing CI. ``runAsNonRoot`` *or* a non-zero ``runAsUser`` satisfies
the root check (kube-linter ``run-as-non-root`` agrees); kube-score's preference for UIDs above
10000 is not enforced. Windows pods (``spec.os.name: windows``) skip the UID checks. UIDs given
as ``${VAR}`` are not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_gen.k8s.app_template import helmrelease_controllers
from gitops_gen.k8s.model import FieldPath, Resource
from gitops_gen.k8s.workloads import (
    POD_TEMPLATE_KINDS,
    ContainerRef,
    as_dict,
    as_int,
    containers,
    dig,
    has_subst,
    pod_spec_of,
)
from gitops_gen.lint.chart_values import in_values
from gitops_gen.lint.model import Context, Hit, Severity

ID = "security"
SEVERITY = "error"
SCOPE = "object"
LOCAL = True  # reads only its object: runs per file (process pool, cache)
KINDS = POD_TEMPLATE_KINDS | {"HelmRelease"}  # HelmRelease: bjw-s app-template values


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "HelmRelease":
        for ctrl in helmrelease_controllers(resource):
            sc_path = ctrl.pod_origins.get("securityContext", (*ctrl.path, "pod", "securityContext"))
            yield from in_values(ctrl, _check(resource, ctrl.pod, sc_path, ctrl.container_refs()))
        return
    found = pod_spec_of(resource)
    if found is None:
        return
    spec, spec_path = found
    yield from _check(resource, spec, (*spec_path, "securityContext"), containers(resource))


def _check(
    resource: Resource, spec: dict[str, Any], pod_sc_path: FieldPath, refs: list[ContainerRef]
) -> Iterator[Hit]:
    """``spec``: the pod spec (or app-template's pod options); ``pod_sc_path``: where its
    securityContext is written."""
    pod_sc = as_dict(spec.get("securityContext"))
    windows = dig(spec, "os", "name") == "windows"
    for c in refs:
        raw_sc = c.container.get("securityContext")
        sc = as_dict(raw_sc)
        sc_path: FieldPath = c.at("securityContext") if isinstance(raw_sc, dict) else c.path

        if sc.get("privileged") is True:
            yield Hit(
                resource,
                f"{c.label} is privileged: it has root access to the node",
                "remove securityContext.privileged (grant only the capabilities it needs)",
                c.at("securityContext", "privileged"),
            )

        ape = sc.get("allowPrivilegeEscalation")
        if ape is True:
            yield Hit(
                resource,
                f"{c.label} allows privilege escalation",
                "set securityContext.allowPrivilegeEscalation: false",
                c.at("securityContext", "allowPrivilegeEscalation"),
            )
        elif ape is None and sc.get("privileged") is not True:
            yield Hit(
                resource,
                f"{c.label} does not set allowPrivilegeEscalation, which defaults to allowed",
                "set securityContext.allowPrivilegeEscalation: false",
                sc_path,
                severity=Severity.WARNING,
            )

        if windows:
            continue
        if sc.get("runAsUser") is not None:
            uid_raw, uid_path = sc.get("runAsUser"), c.at("securityContext", "runAsUser")
        else:
            uid_raw, uid_path = pod_sc.get("runAsUser"), (*pod_sc_path, "runAsUser")
        nonroot = sc.get("runAsNonRoot")
        if nonroot is None:
            nonroot = pod_sc.get("runAsNonRoot")
        if has_subst(uid_raw) or has_subst(nonroot):
            continue
        uid = as_int(uid_raw)
        if uid == 0:
            extra = " and runAsNonRoot: true, so the kubelet refuses to start it" if nonroot is True else ""
            yield Hit(
                resource,
                f"{c.label} runs as root (runAsUser: 0){extra}",
                "run as a non-zero UID (e.g. runAsUser: 65532) with runAsNonRoot: true",
                uid_path,
            )
        elif uid is None and nonroot is not True:
            why = "runAsNonRoot is false" if nonroot is False else "neither runAsNonRoot nor runAsUser is set"
            yield Hit(
                resource,
                f"{c.label} may run as root: {why}",
                "set securityContext.runAsNonRoot: true (pod or container level), or a non-zero runAsUser",
                sc_path,
            )
