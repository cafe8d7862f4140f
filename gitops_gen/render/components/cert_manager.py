"""cert-manager (chart ``cert-manager`` v1.21.x, from charts.jetstack.io).

Workloads (chart-defaults.md §4), none with default requests: the controller (``resources``), the
webhook (``webhook.resources``), the cainjector (``cainjector.resources``) and the post-install
``startupapicheck`` Job (``startupapicheck.resources``). ACME HTTP-01 solver pods are created at run
time with the controller's flag defaults (10m/64Mi).

The chart installs no CRDs unless ``crds.enabled: true`` (its CRDs are templates, not a ``crds/``
directory, so Flux's CRD policy does not apply); ``crds.keep: true`` keeps them (and every Certificate)
when the release is uninstalled.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, resources
from gitops_gen.spec.models import Platform

DIR = "cert-manager"
RELEASE = "cert-manager"
NAMESPACE = "cert-manager"
CHART = "cert-manager"
REPO_NAME = "jetstack"
REPO_URL = "https://charts.jetstack.io"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)
# the upstream also publishes the chart as an OCI artifact (chartSource: oci)
OCI_URL = "oci://quay.io/jetstack/charts/cert-manager"

RESOURCES = {
    "resources": resources("25m", "96Mi", "200m", "256Mi"),
    "webhook.resources": resources("10m", "48Mi", "100m", "128Mi"),
    "cainjector.resources": resources("25m", "96Mi", "200m", "256Mi"),
    "startupapicheck.resources": resources("10m", "32Mi", "100m", "64Mi"),
}


def build(platform: Platform) -> HelmComponent | None:
    spec = platform.spec.components.certManager
    if spec is None or not spec.enabled:
        return None
    values: dict[str, Any] = {"crds": {"enabled": True, "keep": True}}
    apply_resources(values, RESOURCES)
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.certManager",
        notes=(
            "CRDs are chart templates here: crds.enabled installs them, crds.keep keeps them",
            "(and every Certificate) if this HelmRelease is ever deleted.",
        ),
    )
