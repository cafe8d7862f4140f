"""external-secrets (chart ``external-secrets`` 2.9.x, external-secrets/external-secrets).

Three Deployments (deploy/charts/external-secrets/values.yaml at tag ``helm-chart-2.9.0``): the
controller (``replicaCount`` L36, ``resources`` L287), the webhook (``webhook.create`` L495,
``webhook.replicaCount`` L500, ``webhook.resources`` L744) and the cert-controller that rotates
the webhook's certificate (``certController.create`` L765, ``certController.replicaCount`` L767,
``certController.resources`` L956); no defaults for any ``resources``. The chart installs its
CRDs from templates (``installCRDs`` L57 true).

The ClusterSecretStore is rendered under ``infrastructure/configs/``; each app's
``externalSecrets`` become ExternalSecrets in its namespace.
"""

from __future__ import annotations

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, resources
from gitops_gen.spec.models import Platform

DIR = "external-secrets"
RELEASE = "external-secrets"
NAMESPACE = "external-secrets"
CHART = "external-secrets"
REPO_NAME = "external-secrets"
REPO_URL = "https://charts.external-secrets.io"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)

RESOURCES = {
    "resources": resources("10m", "64Mi", "200m", "256Mi"),
    "webhook.resources": resources("10m", "32Mi", "100m", "128Mi"),
    "certController.resources": resources("10m", "64Mi", "100m", "256Mi"),
}


def build(platform: Platform) -> HelmComponent | None:
    spec = platform.spec.components.externalSecrets
    if spec is None or not spec.enabled:
        return None
    values: dict[str, object] = {"installCRDs": True}
    apply_resources(values, RESOURCES)
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.externalSecrets",
        notes=(f"Apps read their secrets through the ClusterSecretStore {spec.store.name}.",),
    )
