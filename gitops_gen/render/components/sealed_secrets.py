"""sealed-secrets (chart ``sealed-secrets`` 2.18.x, bitnami-labs).

One workload (chart-defaults.md §5): the controller Deployment (``resources``; no defaults; one
replica, hard-coded). The chart ships its CRD in ``crds/``, so Flux's CRD policy applies.

``fullnameOverride: sealed-secrets-controller`` names the controller the way ``kubeseal`` expects;
with the controller in its own namespace, call ``kubeseal --controller-namespace sealed-secrets``.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, resources
from gitops_gen.spec.models import Platform

DIR = "sealed-secrets"
RELEASE = "sealed-secrets"
NAMESPACE = "sealed-secrets"
CHART = "sealed-secrets"
REPO_NAME = "sealed-secrets"
REPO_URL = "https://bitnami-labs.github.io/sealed-secrets"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)
CONTROLLER_NAME = "sealed-secrets-controller"

RESOURCES = {
    "resources": resources("25m", "64Mi", "200m", "128Mi"),
}


def build(platform: Platform) -> HelmComponent | None:
    spec = platform.spec.components.sealedSecrets
    if spec is None or not spec.enabled:
        return None
    values: dict[str, Any] = {"fullnameOverride": CONTROLLER_NAME}
    apply_resources(values, RESOURCES)
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.sealedSecrets",
        crds="CreateReplace",
        notes=(
            f"kubeseal finds this controller with: kubeseal --controller-name {CONTROLLER_NAME} "
            f"--controller-namespace {NAMESPACE}",
        ),
    )
