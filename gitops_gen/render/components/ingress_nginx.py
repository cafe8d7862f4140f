"""ingress-nginx (chart ``ingress-nginx`` 4.15.x, controller 1.15).

Workloads (../shared/design/chart-defaults.md §6): the controller Deployment
(``controller.resources``; chart default requests 100m/90Mi, no limits) and the two admission-webhook
hook Jobs (``controller.admissionWebhooks.createSecretJob.resources`` and ``.patchWebhookJob.resources``;
no defaults). The default backend is off and stays off.

Upstream retired ingress-nginx in March 2026 (best-effort maintenance ended then): the reference
platform still uses it, so we render it, and say so in the rendered file.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, resources
from gitops_gen.spec.models import Platform

DIR = "ingress-nginx"
RELEASE = "ingress-nginx"
NAMESPACE = "ingress-nginx"
CHART = "ingress-nginx"
REPO_NAME = "ingress-nginx"
REPO_URL = "https://kubernetes.github.io/ingress-nginx"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)
INGRESS_CLASS = "nginx"

RESOURCES = {
    "controller.resources": resources("100m", "128Mi", "500m", "256Mi"),
    "controller.admissionWebhooks.createSecretJob.resources": resources("10m", "32Mi", "100m", "64Mi"),
    "controller.admissionWebhooks.patchWebhookJob.resources": resources("10m", "32Mi", "100m", "64Mi"),
}

NOTES = (
    "ingress-nginx was retired upstream in March 2026: no more releases or security fixes.",
    "It is kept because the reference platform uses it; plan a move to a maintained controller",
    "(e.g. a Gateway API implementation) and change the ClusterIssuer's HTTP-01 solver with it.",
)


def build(platform: Platform) -> HelmComponent | None:
    spec = platform.spec.components.ingressNginx
    if spec is None or not spec.enabled:
        return None
    values: dict[str, Any] = {
        "controller": {
            "replicaCount": spec.replicas,
            "ingressClassResource": {"name": INGRESS_CLASS, "default": True},
            "service": {"type": spec.serviceType},
            "admissionWebhooks": {"enabled": True},
        },
        "defaultBackend": {"enabled": False},
    }
    if spec.replicas > 1:
        values["controller"]["minAvailable"] = 1
    apply_resources(values, RESOURCES)
    notes: tuple[str, ...] = NOTES
    if (
        platform.spec.distribution == "k3s"
        and "traefik" not in platform.spec.k3s.disable
        and spec.serviceType == "LoadBalancer"
    ):
        notes = (
            *notes,
            "WARNING: K3s runs Traefik, whose svclb already binds ports 80/443: this",
            "LoadBalancer Service stays Pending unless K3s runs with --disable traefik",
            "(set spec.k3s.disable: [traefik] in the platform spec once it does).",
        )
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.ingressNginx",
        notes=notes,
    )
