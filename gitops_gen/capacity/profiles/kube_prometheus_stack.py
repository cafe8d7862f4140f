"""kube-prometheus-stack chart 88.5.3 (prometheus-operator v0.93.1) and its sub-charts.

Facts from ``../shared/design/chart-defaults.md`` §2 (values.yaml at tag
``kube-prometheus-stack-88.5.3``, commit ea930ba; sub-charts grafana 12.11.1, kube-state-metrics
8.4.0, prometheus-node-exporter 4.56.1):

* prometheus-operator Deployment, replicas hard-coded 1 (templates/prometheus-operator/deployment.yaml
  L19); ``prometheusOperator.enabled`` L2826, ``prometheusOperator.resources`` L3412 ``{}``.
* admission-webhook patch Jobs ×2 (pre-install/pre-upgrade hooks): ``…admissionWebhooks.patch.enabled``
  L3128, ``…patch.resources`` L3135 ``{}``; webhook server Deployment off
  (``…admissionWebhooks.deployment.enabled`` L2900 false, ``…deployment.resources`` L3055).
* Prometheus StatefulSet made by the operator: ``prometheus.enabled`` L3615,
  ``prometheus.prometheusSpec.replicas`` L4589 1, ``shards`` L4601 1, ``resources`` L4668 ``{}``.
  The config-reloader sidecar and init container get ``prometheusOperator.prometheusConfigReloader.resources``
  (L3561 ``{}``): the chart then passes 0 to the operator, i.e. no request.
* Alertmanager StatefulSet: ``alertmanager.enabled`` L402, ``alertmanagerSpec.replicas`` L1116 1,
  ``alertmanagerSpec.resources`` L1165 ``{}`` — **the operator injects requests.memory 200Mi** when
  memory is unset (prometheus-operator v0.93.0 pkg/alertmanager/statefulset.go L106-107).
* ThanosRuler off (``thanosRuler.enabled`` L5307); the operator would inject 200Mi too.
* grafana sub-chart Deployment: ``grafana.enabled`` L1378, ``grafana.replicas`` (sub-chart L51) 1,
  ``grafana.resources`` (sub-chart L427) ``{}``; sidecars grafana-sc-dashboard and
  grafana-sc-datasources on in kps (L1538, L1558) with ``grafana.sidecar.resources`` (sub-chart L1048);
  init-chown-data only with ``grafana.persistence.enabled`` (sub-chart L491 false).
* kube-state-metrics Deployment: ``kubeStateMetrics.enabled`` L2680, ``kube-state-metrics.replicas``
  (sub-chart L43) 1, ``kube-state-metrics.resources`` (sub-chart L515) ``{}``.
* prometheus-node-exporter DaemonSet: ``nodeExporter.enabled`` L2712,
  ``prometheus-node-exporter.resources`` (sub-chart L334) ``{}``, ``hostNetwork: true`` (sub-chart
  L382), so it binds its port (9100, ``prometheus-node-exporter.service.port``) on every node.
"""

from __future__ import annotations

from gitops_gen.capacity.profiles._base import (
    MI,
    Footprint,
    Release,
    Values,
    operator_memory_default,
    workload,
)

CHART = "kube-prometheus-stack"
VERSION = "88.5.3"
SOURCE = (
    "prometheus-community/helm-charts @ kube-prometheus-stack-88.5.3 (ea930bae), "
    "charts/kube-prometheus-stack/values.yaml"
)
SPEC_COMPONENT = "monitoring"

OPERATOR_MEMORY_DEFAULT = (
    200 * MI
)  # pkg/alertmanager/statefulset.go L106-107, pkg/thanos/statefulset.go L65-66

DEFAULTS: dict[str, object] = {
    "prometheusOperator": {
        "enabled": True,  # L2826
        "resources": {},  # L3412
        "prometheusConfigReloader": {"resources": {}},  # L3561
        "admissionWebhooks": {
            "enabled": True,
            "patch": {"enabled": True, "resources": {}},  # L3128, L3135
            "deployment": {"enabled": False, "replicas": 1, "resources": {}},  # L2900, L3055
        },
    },
    "prometheus": {
        "enabled": True,  # L3615
        "prometheusSpec": {"replicas": 1, "shards": 1, "resources": {}},
    },  # L4589, L4601, L4668
    "alertmanager": {
        "enabled": True,  # L402
        "alertmanagerSpec": {"replicas": 1, "resources": {}},
    },  # L1116, L1165
    "thanosRuler": {
        "enabled": False,  # L5307
        "thanosRulerSpec": {"replicas": 1, "resources": {}},
    },  # L5719
    "grafana": {
        "enabled": True,
        "replicas": 1,
        "resources": {},  # kps L1378; sub-chart L51, L427
        "sidecar": {
            "resources": {},  # sub-chart L1048
            "dashboards": {"enabled": True},  # kps L1538
            "datasources": {"enabled": True},
        },  # kps L1558
        "persistence": {"enabled": False},  # sub-chart L491
        "initChownData": {"enabled": True, "resources": {}},
    },  # sub-chart L535
    "kubeStateMetrics": {"enabled": True},  # L2680
    "kube-state-metrics": {"replicas": 1, "resources": {}},  # sub-chart L43, L515
    "nodeExporter": {"enabled": True},  # L2712
    "prometheus-node-exporter": {
        "resources": {},
        "hostNetwork": True,  # sub-chart L334, L382
        "service": {"port": 9100},
    },
}


def footprint(v: Values, rel: Release) -> Footprint:
    fp = Footprint()
    # the chart's own fullname helper truncates to 26 characters
    full = rel.fullname(v, "kube-prometheus-stack")[:26].rstrip("-")
    reloader = "prometheusOperator.prometheusConfigReloader.resources"

    if v.enabled("prometheusOperator.enabled", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="operator",
                kind="Deployment",
                name=f"{full}-operator",
                containers=[v.container("kube-prometheus-stack", "prometheusOperator.resources")],
                replicas=1,
                replicas_path="(hard-coded 1)",
            )
        )
        hooks = "prometheusOperator.admissionWebhooks"
        if v.enabled(f"{hooks}.enabled", True) and v.enabled(f"{hooks}.patch.enabled", True):
            for job in ("admission-create", "admission-patch"):
                fp.workloads.append(
                    workload(
                        rel,
                        v,
                        component=job,
                        kind="Job",
                        name=f"{full}-{job}",
                        containers=[v.container(job.split("-")[1], f"{hooks}.patch.resources")],
                        transient=True,
                        replicas_path=f"{hooks}.patch.enabled",
                    )
                )
        if v.enabled(f"{hooks}.enabled", True) and v.enabled(f"{hooks}.deployment.enabled"):
            fp.workloads.append(
                workload(
                    rel,
                    v,
                    component="admission-webhook",
                    kind="Deployment",
                    name=f"{full}-webhook",
                    containers=[v.container("webhook", f"{hooks}.deployment.resources")],
                    replicas=v.integer(f"{hooks}.deployment.replicas", 1),
                    replicas_path=f"{hooks}.deployment.replicas",
                )
            )

    if v.enabled("prometheus.enabled", True):
        spec = "prometheus.prometheusSpec"
        replicas = v.integer(f"{spec}.replicas", 1) * max(v.integer(f"{spec}.shards", 1), 1)
        fp.workloads.append(
            workload(
                rel,
                v,
                component="prometheus",
                kind="StatefulSet",
                name=f"prometheus-{full}-prometheus",
                containers=[
                    v.container("prometheus", f"{spec}.resources"),
                    v.container("config-reloader", reloader),
                    v.container("init-config-reloader", reloader, init=True),
                ],
                replicas=replicas,
                replicas_path=f"{spec}.replicas",
            )
        )

    if v.enabled("alertmanager.enabled", True):
        spec = "alertmanager.alertmanagerSpec"
        am = operator_memory_default(
            v.container("alertmanager", f"{spec}.resources"),
            OPERATOR_MEMORY_DEFAULT,
            "memory 200Mi set by the operator",
        )
        fp.workloads.append(
            workload(
                rel,
                v,
                component="alertmanager",
                kind="StatefulSet",
                name=f"alertmanager-{full}-alertmanager",
                containers=[
                    am,
                    v.container("config-reloader", reloader),
                    v.container("init-config-reloader", reloader, init=True),
                ],
                replicas=v.integer(f"{spec}.replicas", 1),
                replicas_path=f"{spec}.replicas",
            )
        )

    if v.enabled("thanosRuler.enabled"):
        spec = "thanosRuler.thanosRulerSpec"
        tr = operator_memory_default(
            v.container("thanos-ruler", f"{spec}.resources"),
            OPERATOR_MEMORY_DEFAULT,
            "memory 200Mi set by the operator",
        )
        fp.workloads.append(
            workload(
                rel,
                v,
                component="thanos-ruler",
                kind="StatefulSet",
                name=f"thanos-ruler-{full}-thanos-ruler",
                containers=[tr, v.container("config-reloader", reloader)],
                replicas=v.integer(f"{spec}.replicas", 1),
                replicas_path=f"{spec}.replicas",
            )
        )

    if v.enabled("grafana.enabled", True):
        containers = [v.container("grafana", "grafana.resources")]
        if v.enabled("grafana.sidecar.dashboards.enabled", True):
            containers.append(v.container("grafana-sc-dashboard", "grafana.sidecar.resources"))
        if v.enabled("grafana.sidecar.datasources.enabled", True):
            containers.append(v.container("grafana-sc-datasources", "grafana.sidecar.resources"))
        if v.enabled("grafana.persistence.enabled") and v.enabled("grafana.initChownData.enabled", True):
            containers.append(v.container("init-chown-data", "grafana.initChownData.resources", init=True))
        fp.workloads.append(
            workload(
                rel,
                v,
                component="grafana",
                kind="Deployment",
                name=f"{rel.name}-grafana",
                containers=containers,
                replicas=v.integer("grafana.replicas", 1),
                replicas_path="grafana.replicas",
                max_replicas=_hpa_max(v, "grafana"),
            )
        )

    if v.enabled("kubeStateMetrics.enabled", True):
        fp.workloads.append(
            workload(
                rel,
                v,
                component="kube-state-metrics",
                kind="Deployment",
                name=f"{rel.name}-kube-state-metrics",
                containers=[v.container("kube-state-metrics", "kube-state-metrics.resources")],
                replicas=v.integer("kube-state-metrics.replicas", 1),
                replicas_path="kube-state-metrics.replicas",
            )
        )

    if v.enabled("nodeExporter.enabled", True):
        ports: tuple[tuple[int, str], ...] = ()
        if v.enabled("prometheus-node-exporter.hostNetwork", True):
            ports = ((v.integer("prometheus-node-exporter.service.port", 9100), "TCP"),)
        fp.workloads.append(
            workload(
                rel,
                v,
                component="node-exporter",
                kind="DaemonSet",
                name=f"{rel.name}-prometheus-node-exporter",
                containers=[v.container("node-exporter", "prometheus-node-exporter.resources")],
                host_ports=ports,
                replicas_path="nodeExporter.enabled",
            )
        )
    return fp


def _hpa_max(v: Values, key: str) -> int | None:
    if not v.enabled(f"{key}.autoscaling.enabled"):
        return None
    return v.integer(f"{key}.autoscaling.maxReplicas", 5)
