"""Rule ``monitoring``: monitors select a Service/pod with the named port, Prometheus selects them,
dashboards carry the sidecar label."""

from __future__ import annotations

from rules_helpers import resources_of, run

from gitops_gen.lint.model import Severity

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: ghcr.io/org/web:1.0.0, ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: web, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090, targetPort: metrics}]
"""

KPS = """
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kube-prometheus-stack, namespace: monitoring}
spec:
  chart: {spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: pc}}}
  values: {}
"""

SM = """
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: web, labels: {release: kube-prometheus-stack}}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: metrics, path: /metrics}]
"""


def found(text: str) -> list[tuple[str, str, Severity]]:
    return [(f.ref, f.message, f.severity) for f in run("monitoring", resources_of(text))]


def test_wired_service_monitor_is_clean() -> None:
    assert found(APP + KPS + SM) == []


def test_port_name_the_service_lacks() -> None:
    [(ref, message, sev)] = found(APP + KPS + SM.replace("port: metrics", "port: prom"))
    assert ref == "ServiceMonitor/web/web" and sev == Severity.ERROR
    assert "'prom' is not a port name" in message and "http, metrics" in message


def test_selects_no_service() -> None:
    [(_, message, sev)] = found(
        APP + KPS + SM.replace("{app: web}}\n  endpoints", "{app: api}}\n  endpoints")
    )
    assert "selects no Service in namespace(s) web" in message and sev == Severity.WARNING


def test_prometheus_release_label_missing() -> None:
    [(_, message, sev)] = found(APP + KPS + SM.replace(", labels: {release: kube-prometheus-stack}", ""))
    assert "HelmRelease/monitoring/kube-prometheus-stack does not select it" in message
    assert "release: kube-prometheus-stack" in message and sev == Severity.ERROR


def test_nil_uses_helm_values_false_selects_everything() -> None:
    kps = KPS.replace(
        "values: {}",
        "values: {prometheus: {prometheusSpec: {serviceMonitorSelectorNilUsesHelmValues: false}}}",
    )
    assert found(APP + kps + SM.replace(", labels: {release: kube-prometheus-stack}", "")) == []


def test_prometheus_rule_selector() -> None:
    rule = """
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: web, namespace: web, labels: {team: web}}
spec: {groups: [{name: web, rules: [{alert: Down, expr: up == 0}]}]}
"""
    kps = KPS.replace(
        "values: {}", "values: {prometheus: {prometheusSpec: {ruleSelector: {matchLabels: {team: ops}}}}}"
    )
    [(ref, message, _)] = found(APP + kps + SM + rule)
    assert ref == "PrometheusRule/web/web" and "ruleSelector wants labels team: ops" in message


def test_pod_monitor_port() -> None:
    pm = """
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: web, namespace: web, labels: {release: kube-prometheus-stack}}
spec:
  selector: {matchLabels: {app: web}}
  podMetricsEndpoints: [{port: metric}]
"""
    [(_, message, _)] = found(APP + KPS + pm)
    assert "'metric' is not a container port name" in message


def test_dashboard_without_sidecar_label() -> None:
    cm = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-dashboard, namespace: monitoring, annotations: {grafana_folder: Apps}}
data: {web.json: '{"title": "web", "panels": []}'}
"""
    [(_, message, sev)] = found(APP + KPS + cm)
    assert "lacks the label 'grafana_dashboard'" in message and sev == Severity.WARNING
    labelled = cm.replace("annotations:", 'labels: {grafana_dashboard: "1"}, annotations:')
    assert found(APP + KPS + labelled) == []


def test_operator_resource_next_to_the_monitor_is_not_judged() -> None:
    # home-ops' litellm: the LiteLLMProxy operator creates the Service the ServiceMonitor selects
    cr = """
---
apiVersion: litellm.home-operations.com/v1alpha1
kind: LiteLLMProxy
metadata: {name: litellm, namespace: web}
spec: {replicas: 1}
"""
    no_service = SM.replace("{app: web}}\n  endpoints", "{app: litellm}}\n  endpoints")
    assert found(APP + KPS + no_service + cr) == []
