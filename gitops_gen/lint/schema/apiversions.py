"""Removed and deprecated API versions: Kubernetes releases and Flux releases.

Kubernetes: from the Kubernetes deprecated API migration guide
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/). An ``apiVersion`` of a kind
removed at or before the linted Kubernetes version is an error naming the replacement and the release
that removed it; one that is deprecated but still served is a warning with its removal release.

Flux: the API versions each Flux release stopped serving (the Flux roadmap's "Remove deprecated APIs in
group ..." items, and the commits of the controllers' repositories; see ``../shared/crds/README.md``).
The bundled CRDs are Flux v2.9's, which serve only these versions' replacements.
"""

from __future__ import annotations

from msgspec import Struct


class ApiChange(Struct, frozen=True):
    api_version: str
    kinds: tuple[str, ...]  # () = every kind of the group version
    deprecated: tuple[int, int] | None  # Kubernetes release that deprecated it
    removed: tuple[int, int]  # the release that stopped serving it
    replacement: str  # "" = no replacement


def _k(api: str, kinds: str, deprecated: str | None, removed: str, replacement: str) -> ApiChange:
    def v(text: str) -> tuple[int, int]:
        major, minor = text.split(".")
        return int(major), int(minor)

    return ApiChange(
        api, tuple(kinds.split()), v(deprecated) if deprecated else None, v(removed), replacement
    )


KUBERNETES: tuple[ApiChange, ...] = (
    _k("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", "1.9", "1.16", "apps/v1"),
    _k("apps/v1beta1", "Deployment StatefulSet ReplicaSet DaemonSet", "1.9", "1.16", "apps/v1"),
    _k("apps/v1beta2", "Deployment StatefulSet ReplicaSet DaemonSet", "1.9", "1.16", "apps/v1"),
    _k("extensions/v1beta1", "NetworkPolicy", "1.9", "1.16", "networking.k8s.io/v1"),
    _k("extensions/v1beta1", "PodSecurityPolicy", "1.10", "1.16", ""),
    _k("extensions/v1beta1", "Ingress", "1.14", "1.22", "networking.k8s.io/v1"),
    _k("networking.k8s.io/v1beta1", "Ingress IngressClass", "1.19", "1.22", "networking.k8s.io/v1"),
    _k(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
        "1.16",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    _k("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.16", "1.22", "apiextensions.k8s.io/v1"),
    _k("apiregistration.k8s.io/v1beta1", "APIService", "1.19", "1.22", "apiregistration.k8s.io/v1"),
    _k("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.19", "1.22", "certificates.k8s.io/v1"),
    _k("coordination.k8s.io/v1beta1", "Lease", "1.19", "1.22", "coordination.k8s.io/v1"),
    _k(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole ClusterRoleBinding Role RoleBinding",
        "1.17",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    _k("scheduling.k8s.io/v1beta1", "PriorityClass", "1.14", "1.22", "scheduling.k8s.io/v1"),
    _k(
        "storage.k8s.io/v1beta1",
        "CSIDriver CSINode StorageClass VolumeAttachment",
        "1.19",
        "1.22",
        "storage.k8s.io/v1",
    ),
    _k("batch/v1beta1", "CronJob", "1.21", "1.25", "batch/v1"),
    _k("discovery.k8s.io/v1beta1", "EndpointSlice", "1.21", "1.25", "discovery.k8s.io/v1"),
    _k("events.k8s.io/v1beta1", "Event", "1.21", "1.25", "events.k8s.io/v1"),
    _k("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.22", "1.25", "autoscaling/v2"),
    _k("policy/v1beta1", "PodDisruptionBudget", "1.21", "1.25", "policy/v1"),
    _k("policy/v1beta1", "PodSecurityPolicy", "1.21", "1.25", ""),
    _k("node.k8s.io/v1beta1", "RuntimeClass", "1.20", "1.25", "node.k8s.io/v1"),
    _k(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema PriorityLevelConfiguration",
        "1.23",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    _k("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.23", "1.26", "autoscaling/v2"),
    _k("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.24", "1.27", "storage.k8s.io/v1"),
    _k(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema PriorityLevelConfiguration",
        "1.26",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    _k(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema PriorityLevelConfiguration",
        "1.29",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
)

# apiVersion -> (Flux release that removed it, replacement) for the Flux API groups
FLUX_REMOVED: dict[str, tuple[str, str]] = {
    "source.toolkit.fluxcd.io/v1beta1": ("2.7", "source.toolkit.fluxcd.io/v1"),
    "source.toolkit.fluxcd.io/v1beta2": ("2.8", "source.toolkit.fluxcd.io/v1"),
    "kustomize.toolkit.fluxcd.io/v1beta1": ("2.7", "kustomize.toolkit.fluxcd.io/v1"),
    "kustomize.toolkit.fluxcd.io/v1beta2": ("2.8", "kustomize.toolkit.fluxcd.io/v1"),
    "helm.toolkit.fluxcd.io/v2beta1": ("2.7", "helm.toolkit.fluxcd.io/v2"),
    "helm.toolkit.fluxcd.io/v2beta2": ("2.8", "helm.toolkit.fluxcd.io/v2"),
    "notification.toolkit.fluxcd.io/v1beta1": ("2.7", "notification.toolkit.fluxcd.io/v1beta3"),
    "notification.toolkit.fluxcd.io/v1beta2": ("2.9", "notification.toolkit.fluxcd.io/v1beta3"),
}


_BY_API: dict[str, list[ApiChange]] = {}
for _c in KUBERNETES:
    _BY_API.setdefault(_c.api_version, []).append(_c)


def kubernetes_change(api_version: str, kind: str, version: str) -> tuple[str, bool] | None:
    """(message, removed) for a removed or deprecated Kubernetes ``apiVersion``, else None."""
    changes = _BY_API.get(api_version)
    if changes is None:  # the hot path: a current apiVersion
        return None
    major, _, minor = version.partition(".")
    current = (int(major), int(minor))
    for c in changes:
        if c.kinds and kind not in c.kinds:
            continue
        removed = f"{c.removed[0]}.{c.removed[1]}"
        move = f"use {c.replacement}" if c.replacement else "it has no replacement: remove the object"
        if current >= c.removed:
            return f"{kind} {api_version} was removed in Kubernetes {removed}; {move}", True
        if c.deprecated is not None and current >= c.deprecated:
            since = f"{c.deprecated[0]}.{c.deprecated[1]}"
            return (
                f"{kind} {api_version} is deprecated since Kubernetes {since} and removed in {removed}; {move}",
                False,
            )
    return None


def flux_change(api_version: str, kind: str) -> str | None:
    """Why a Flux ``apiVersion`` is not served by the bundled Flux, with its replacement."""
    found = FLUX_REMOVED.get(api_version)
    if found is None:
        return None
    release, replacement = found
    if kind == "Receiver" and replacement.startswith("notification."):
        replacement = "notification.toolkit.fluxcd.io/v1"
    return (
        f"{kind} {api_version} was removed in Flux {release} (gitops-gen bundles Flux 2.9's CRDs); "
        f"use {replacement}, or pass your Flux version's CRDs with --crd-dir"
    )
