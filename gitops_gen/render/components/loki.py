"""Loki (chart ``loki`` 6.55.x from grafana/helm-charts, the last OSS release of grafana/loki's chart).

Rendered as ``deploymentMode: SingleBinary`` with filesystem storage: one StatefulSet, no object
store, which is what a single small node can run (chart-defaults.md §1: the chart's default
SimpleScalable mode needs object storage and runs 3+3+3 pods). ``loki.schemaConfig`` is required
by the chart (tsdb, schema v13). The simple-scalable targets are set to 0 replicas explicitly.

Workloads and the values paths of their resources:

* single binary StatefulSet — ``singleBinary.resources``; its ``loki-sc-rules`` sidecar — ``sidecar.resources``
* gateway (nginx) Deployment — ``gateway.resources``
* loki-canary DaemonSet — ``lokiCanary.resources``
* chunks-cache / results-cache memcached StatefulSets, only when the spec enables them
  (``logging.loki.chunksCache`` / ``resultsCache``). Their requests are computed by the chart from
  ``<cache>.allocatedMemory`` (request = limit = round(1.2 x allocatedMemory) Mi: 9830Mi for the chunks
  cache) and ``allocatedCPU``; gitops-gen leaves that computation alone so a budget check sees what the
  chart will really ask for. Their exporter sidecars — ``memcachedExporter.resources``.

The Helm test pod is disabled (Flux does not run Helm tests unless asked to).
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import ChartRef, HelmComponent, apply_resources, resources
from gitops_gen.spec.models import Platform

DIR = "loki"
RELEASE = "loki"  # the chart names its Services after the release: loki-gateway, loki, ...
NAMESPACE = "logging"
CHART = "loki"
REPO_NAME = "grafana"
REPO_URL = "https://grafana.github.io/helm-charts"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)
GATEWAY_SERVICE = f"{RELEASE}-gateway"  # templates/gateway/service-gateway.yaml: <fullname>-gateway, port 80

RESOURCES = {
    "singleBinary.resources": resources("200m", "512Mi", "1", "1Gi"),
    "sidecar.resources": resources("10m", "32Mi", "100m", "64Mi"),
    "gateway.resources": resources("25m", "32Mi", "200m", "64Mi"),
    "lokiCanary.resources": resources("10m", "32Mi", "100m", "64Mi"),
    "memcachedExporter.resources": resources("10m", "32Mi", "100m", "64Mi"),
}


def gateway_url() -> str:
    """Base URL of the rendered Loki (its gateway Service), for Grafana and the log shippers."""
    return f"http://{GATEWAY_SERVICE}.{NAMESPACE}.svc.cluster.local"


def push_url() -> str:
    """Loki's push endpoint, through the gateway."""
    return gateway_url() + "/loki/api/v1/push"


def enabled(platform: Platform) -> bool:
    logging = platform.spec.components.logging
    return logging is not None and logging.enabled


def build(platform: Platform) -> HelmComponent | None:
    logging = platform.spec.components.logging
    if logging is None or not logging.enabled:
        return None
    spec = logging.loki
    loki_cfg: dict[str, Any] = {
        "auth_enabled": False,
        "commonConfig": {"replication_factor": 1},
        "storage": {"type": "filesystem"},
        "schemaConfig": {
            "configs": [
                {
                    "from": "2024-04-01",
                    "store": "tsdb",
                    "object_store": "filesystem",
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": "24h"},
                }
            ]
        },
    }
    if spec.retention is not None:
        loki_cfg["limits_config"] = {"retention_period": spec.retention}
        loki_cfg["compactor"] = {"retention_enabled": True, "delete_request_store": "filesystem"}
    values: dict[str, Any] = {
        "deploymentMode": "SingleBinary",
        "loki": loki_cfg,
        "singleBinary": {"replicas": 1},
        "backend": {"replicas": 0},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "gateway": {"enabled": True},
        "lokiCanary": {"enabled": True},
        "test": {"enabled": False},
        "chunksCache": {"enabled": spec.chunksCache},
        "resultsCache": {"enabled": spec.resultsCache},
    }
    apply_resources(values, RESOURCES)
    notes = [f"Log shippers push to {push_url()}."]
    if spec.chunksCache:
        notes.append(
            "chunksCache is on: the chart requests round(1.2 x allocatedMemory) Mi for it "
            "(9830Mi by default)."
        )
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.logging.loki",
        timeout="10m",
        notes=tuple(notes),
    )
