"""Promtail (chart ``promtail`` 6.17.x, grafana/helm-charts) — deprecated upstream.

The chart's ``Chart.yaml`` says ``deprecated: true`` and its README says Promtail "will no longer
receive updates or support"; Grafana Alloy replaces it. The reference platform still runs it, so
we render it and say so in the rendered file.

Workloads (chart-defaults.md §3): the DaemonSet (``resources``; no defaults) and, only when
enabled, the config-reloader sidecar (``sidecar.configReloader.resources``). Promtail pushes to the
rendered Loki's gateway (``config.clients``), so the URL always matches the Loki release's Service.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, loki, resources
from gitops_gen.spec.models import Platform

DIR = "promtail"
RELEASE = "promtail"
NAMESPACE = loki.NAMESPACE  # shares the logging namespace and the grafana HelmRepository with Loki
CHART = "promtail"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, loki.REPO_NAME, loki.REPO_URL)

RESOURCES = {
    "resources": resources("50m", "96Mi", "200m", "192Mi"),
    "sidecar.configReloader.resources": resources("10m", "32Mi", "100m", "64Mi"),
}

NOTES = (
    "Promtail is deprecated upstream (the chart says deprecated: true; no more updates or",
    "support). It is kept because the reference platform uses it; Grafana Alloy replaces it.",
)


def build(platform: Platform) -> HelmComponent | None:
    logging = platform.spec.components.logging
    if logging is None or not logging.enabled or not logging.promtail.enabled:
        return None
    spec = logging.promtail
    values: dict[str, Any] = {"config": {"clients": [{"url": loki.push_url()}]}}
    apply_resources(values, RESOURCES)
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.logging.promtail",
        owns_namespace=False,
        depends_on=((loki.RELEASE, loki.NAMESPACE),),
        notes=(*NOTES, f"Pushes to the rendered Loki: {loki.push_url()}"),
    )
