"""kube-prometheus-stack (chart 88.5.x, prometheus-community) with its Grafana, kube-state-metrics
and prometheus-node-exporter sub-charts.

Workloads and where their resources live (chart-defaults.md §2; none has default requests except
what the operator injects into Alertmanager):

* prometheus-operator Deployment — ``prometheusOperator.resources``
* admission-webhook certificate Jobs (hooks) — ``prometheusOperator.admissionWebhooks.patch.resources``
* config-reloader sidecars of Prometheus and Alertmanager — ``prometheusOperator.prometheusConfigReloader.resources``
  (the chart passes them to the operator as flags; ``{}`` would mean "no requests")
* Prometheus StatefulSet — ``prometheus.prometheusSpec.resources``
* Alertmanager StatefulSet — ``alertmanager.alertmanagerSpec.resources``
* Grafana Deployment — ``grafana.resources``; its dashboard and datasource sidecars — ``grafana.sidecar.resources``;
  its init-chown-data init container (only with persistence) — ``grafana.initChownData.resources``
* kube-state-metrics Deployment — ``kube-state-metrics.resources``
* node-exporter DaemonSet — ``prometheus-node-exporter.resources``

The chart ships its CRDs in a ``crds/`` directory: Flux creates and replaces them (``CreateReplace``).
Grafana's admin user comes from an existing Secret (``grafana.admin.existingSecret``), never from values;
without ``monitoring.grafana`` in the spec Grafana is disabled rather than left on the chart's
default password.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.render.components import (
    ChartRef,
    HelmComponent,
    apply_resources,
    ingress_class_of,
    issuer_of,
    loki,
    resources,
)
from gitops_gen.spec.models import Platform

DIR = "kube-prometheus-stack"
RELEASE = "kube-prometheus-stack"
NAMESPACE = "monitoring"
CHART = "kube-prometheus-stack"
REPO_NAME = "prometheus-community"
REPO_URL = "https://prometheus-community.github.io/helm-charts"
REF = ChartRef(DIR, RELEASE, NAMESPACE, CHART, REPO_NAME, REPO_URL)
# the upstream also publishes the chart as an OCI artifact (chartSource: oci)
OCI_URL = "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack"

RESOURCES = {
    "prometheusOperator.resources": resources("50m", "128Mi", "200m", "256Mi"),
    "prometheusOperator.admissionWebhooks.patch.resources": resources("10m", "32Mi", "100m", "64Mi"),
    "prometheusOperator.prometheusConfigReloader.resources": resources("10m", "32Mi", "100m", "64Mi"),
    "prometheus.prometheusSpec.resources": resources("250m", "1Gi", "1", "2Gi"),
    "alertmanager.alertmanagerSpec.resources": resources("25m", "64Mi", "100m", "128Mi"),
    "grafana.resources": resources("100m", "256Mi", "500m", "512Mi"),
    "grafana.sidecar.resources": resources("10m", "64Mi", "100m", "128Mi"),
    "grafana.initChownData.resources": resources("10m", "16Mi", "50m", "32Mi"),
    "kube-state-metrics.resources": resources("10m", "64Mi", "100m", "128Mi"),
    "prometheus-node-exporter.resources": resources("10m", "32Mi", "200m", "64Mi"),
}

# Control-plane components K3s runs inside its own process: the chart's Services for them would
# select no pods, and their "down" alerts would fire forever.
K3S_EMBEDDED = ("kubeControllerManager", "kubeEtcd", "kubeProxy", "kubeScheduler")


def build(platform: Platform) -> HelmComponent | None:
    spec = platform.spec.components.monitoring
    if spec is None or not spec.enabled:
        return None
    values: dict[str, Any] = {
        "crds": {"enabled": True},
        "prometheus": {
            "prometheusSpec": {
                "retention": spec.retention,
                # pick up ServiceMonitors/PodMonitors/rules of every release, not only this one's
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
            }
        },
        "grafana": {"enabled": True, "testFramework": {"enabled": False}},
    }
    notes: list[str] = []
    grafana = spec.grafana
    if grafana is None:
        # without an admin Secret Grafana would start with the chart's well-known default password
        values["grafana"] = {"enabled": False}
        notes.append("Grafana is off: set monitoring.grafana.adminSecret (an existing Secret) to turn it on.")
    else:
        values["grafana"]["admin"] = {
            "existingSecret": grafana.adminSecret,
            "userKey": "admin-user",
            "passwordKey": "admin-password",
        }
        notes.append(
            f"Grafana's admin credentials come from the Secret {grafana.adminSecret!r} "
            f"(keys admin-user, admin-password) in namespace {NAMESPACE}: commit it as a SealedSecret."
        )
        if grafana.host is not None:
            annotations: dict[str, str] = {}
            issuer = issuer_of(platform)
            if issuer is not None:
                annotations["cert-manager.io/cluster-issuer"] = issuer.name
            values["grafana"]["ingress"] = {
                "enabled": True,
                "ingressClassName": ingress_class_of(platform),
                "annotations": annotations,
                "hosts": [grafana.host],
                "path": "/",
                "tls": [{"secretName": "grafana-tls", "hosts": [grafana.host]}],
            }
    if grafana is not None and loki.enabled(platform):
        values["grafana"]["additionalDataSources"] = [
            {"name": "Loki", "type": "loki", "access": "proxy", "url": loki.gateway_url()}
        ]
    if spec.alerting is not None:
        from gitops_gen.render.day2net import alertmanager_values

        values["alertmanager"] = alertmanager_values(spec.alerting)
        notes.append(
            "Alertmanager reads webhook URLs and passwords from the Secrets "
            f"{', '.join(values['alertmanager']['alertmanagerSpec']['secrets'])} in namespace {NAMESPACE}: "
            "commit them as SealedSecrets."
        )
    if platform.spec.distribution == "k3s":
        for key in K3S_EMBEDDED:
            values[key] = {"enabled": False}
        notes.append(
            "K3s runs the controller-manager, scheduler, proxy and etcd inside its own process: "
            "their scrape targets are disabled."
        )
    apply_resources(
        values,
        {
            path: block
            for path, block in RESOURCES.items()
            if grafana is not None or not path.startswith("grafana.")
        },
    )
    return REF.component(
        spec.version,
        values,
        spec.values,
        "spec.components.monitoring",
        crds="CreateReplace",
        timeout="10m",
        notes=tuple(notes),
    )
