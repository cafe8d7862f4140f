"""Day-2 objects of an app and a cluster: NetworkPolicies, ServiceMonitor/PodMonitor, PrometheusRule,
and the Flux notification Provider + Alert (issue 16 items 1-3).

Everything here is off unless the spec asks for it:

* ``Platform.spec.networkPolicy: default-deny`` - every app namespace gets ``default-deny`` (no
  ingress, no egress), ``allow-dns`` (egress to CoreDNS in kube-system, K3s and kubeadm both label
  it ``k8s-app: kube-dns``, UDP and TCP 53) and, with a certificate issuer, ``allow-acme-solver``
  (cert-manager's HTTP-01 solver pods reachable from the ingress controller on 8089); each app gets
  ``<app>-allow``: ingress from the ingress controller's namespace on the app port (when it has an
  Ingress), from the monitoring namespace on the metrics port (``metrics``), from the apps that
  list it in ``network.egress``, and egress to its own ``network.egress`` (apps, CIDRs).
* ``App.spec.metrics`` - a ServiceMonitor (web, statefulset) or PodMonitor (worker) labelled
  ``release: kube-prometheus-stack``.
* ``App.spec.alerts`` - a PrometheusRule: restarts, CPU, memory near the limit, PVC space, error
  rate when a request counter is named.
* ``Platform.spec.notifications`` - ``clusters/<c>/notifications.yaml``: a Provider reading its
  address from a Secret and an Alert on every Flux Kustomization and HelmRelease of the cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gitops_gen.render import yamlemit

if TYPE_CHECKING:
    from gitops_gen.render.components import HelmComponent
    from gitops_gen.spec.models import AlertRouting, App, Platform, SecretKey

NS_LABEL = "kubernetes.io/metadata.name"
SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
SOLVER_PORT = 8089
PROMETHEUS_RELEASE_LABEL = {"release": "kube-prometheus-stack"}
NP_API = "networking.k8s.io/v1"
MON_API = "monitoring.coreos.com/v1"


def _doc(body: dict[str, Any]) -> str:
    return yamlemit.dump(body)


def _np(name: str, namespace: str, spec: dict[str, Any]) -> str:
    return _doc(
        {
            "apiVersion": NP_API,
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def _from_ns(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NS_LABEL: namespace}}}


def ingress_controller_namespace(platform: Platform, components: list[HelmComponent]) -> str | None:
    """Where the ingress controller's pods run: ingress-nginx's namespace, K3s Traefik's kube-system."""
    from gitops_gen.render.components import ingress_class_of

    for c in components:
        if c.chart == "ingress-nginx":
            return c.namespace
    if ingress_class_of(platform) == "traefik" and platform.spec.distribution == "k3s":
        return "kube-system"
    return None


def monitoring_namespace(components: list[HelmComponent]) -> str | None:
    return next((c.namespace for c in components if c.chart == "kube-prometheus-stack"), None)


def app_port(app: App) -> int | None:
    s = app.spec
    if s.workload in ("web", "statefulset"):
        return s.port or 8080
    return s.port


def namespace_policies(namespace: str, *, ingress_ns: str | None, acme: bool) -> list[str]:
    """The policies of one app namespace (rendered by the app that owns the namespace)."""
    docs = [
        _np("default-deny", namespace, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _np(
            "allow-dns",
            namespace,
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                **_from_ns("kube-system"),
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]
    if acme and ingress_ns is not None:
        docs.append(
            _np(
                "allow-acme-solver",
                namespace,
                {
                    "podSelector": {"matchLabels": {SOLVER_LABEL: "true"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {"from": [_from_ns(ingress_ns)], "ports": [{"protocol": "TCP", "port": SOLVER_PORT}]}
                    ],
                },
            )
        )
    return docs


def app_policy(app: App, apps: list[App], *, ingress_ns: str | None, monitoring_ns: str | None) -> str | None:
    """``<app>-allow``: the traffic this app's spec (and the apps depending on it) implies."""
    from gitops_gen.render.workloads import labels_of

    helm = app.spec.workload == "helm"
    selector: dict[str, Any] = {} if helm else {"matchLabels": labels_of(app)}
    port = app_port(app)
    ingress: list[dict[str, Any]] = []
    egress: list[dict[str, Any]] = []
    if ingress_ns is not None and (app.spec.ingress is not None or helm):
        rule: dict[str, Any] = {"from": [_from_ns(ingress_ns)]}
        if port is not None and not helm:
            rule["ports"] = [{"protocol": "TCP", "port": port}]
        ingress.append(rule)
    if monitoring_ns is not None and (app.spec.metrics is not None or helm):
        rule = {"from": [_from_ns(monitoring_ns)]}
        if app.spec.metrics is not None and not helm:
            rule["ports"] = [{"protocol": "TCP", "port": app.spec.metrics.port}]
        ingress.append(rule)
    by_name = {a.metadata.name: a for a in apps}
    for other in apps:
        net = other.spec.network
        if net is not None and any(p.app == app.metadata.name for p in net.egress) and port is not None:
            peer: dict[str, Any] = _from_ns(other.namespace)
            if other.spec.workload != "helm":
                peer = {**peer, "podSelector": {"matchLabels": labels_of(other)}}
            ingress.append({"from": [peer], "ports": [{"protocol": "TCP", "port": port}]})
    for p in app.spec.network.egress if app.spec.network is not None else []:
        if p.cidr is not None:
            rule = {"to": [{"ipBlock": {"cidr": p.cidr}}]}
            if p.ports:
                rule["ports"] = [{"protocol": "TCP", "port": n} for n in p.ports]
            egress.append(rule)
        elif p.app in by_name:
            target = by_name[p.app]
            peer = _from_ns(target.namespace)
            if target.spec.workload != "helm":
                peer = {**peer, "podSelector": {"matchLabels": labels_of(target)}}
            rule = {"to": [peer]}
            tport = app_port(target)
            if tport is not None and target.spec.workload != "helm":
                rule["ports"] = [{"protocol": "TCP", "port": tport}]
            egress.append(rule)
    if not ingress and not egress:
        return None
    spec: dict[str, Any] = {"podSelector": selector, "policyTypes": []}
    if ingress:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = ingress
    if egress:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress
    return _np(f"{app.metadata.name}-allow", app.namespace, spec)


def _port_name(app: App, number: int) -> str:
    if number == app_port(app):
        return "http"
    return next(p.name for p in app.spec.ports if p.port == number)


def monitor(app: App) -> tuple[str, str] | None:
    """``(file name, document)`` of the app's ServiceMonitor or PodMonitor."""
    from gitops_gen.render.workloads import labels_of

    m = app.spec.metrics
    if m is None:
        return None
    endpoint = {"port": _port_name(app, m.port), "path": m.path, "interval": m.interval}
    meta = {
        "name": app.metadata.name,
        "namespace": app.namespace,
        "labels": {**labels_of(app), **PROMETHEUS_RELEASE_LABEL},
    }
    if app.spec.workload == "worker":
        body = {
            "apiVersion": MON_API,
            "kind": "PodMonitor",
            "metadata": meta,
            "spec": {"selector": {"matchLabels": labels_of(app)}, "podMetricsEndpoints": [endpoint]},
        }
        return "podmonitor.yaml", _doc(body)
    body = {
        "apiVersion": MON_API,
        "kind": "ServiceMonitor",
        "metadata": meta,
        "spec": {"selector": {"matchLabels": labels_of(app)}, "endpoints": [endpoint]},
    }
    return "servicemonitor.yaml", _doc(body)


def alert_rules(app: App) -> str | None:
    """The app's PrometheusRule (``spec.alerts``)."""
    from gitops_gen.render.workloads import labels_of

    a = app.spec.alerts
    if a is None:
        return None
    name, ns = app.metadata.name, app.namespace
    sel = f'namespace="{ns}"' if app.spec.workload == "helm" else f'namespace="{ns}", container="{name}"'
    title = f"{name} ({ns})"
    rules: list[dict[str, Any]] = [
        _rule(
            f"{_camel(name)}PodRestarting",
            f"increase(kube_pod_container_status_restarts_total{{{sel}}}[15m]) > {a.restarts - 1}",
            "5m",
            f"{title}: a container restarted {a.restarts} or more times in 15 minutes",
        ),
        _rule(
            f"{_camel(name)}HighCPU",
            f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{sel}}}[5m]))"
            f' / sum by (pod) (kube_pod_container_resource_limits{{{sel}, resource="cpu"}}'
            f' or kube_pod_container_resource_requests{{{sel}, resource="cpu"}}) > {a.cpuPercent / 100:g}',
            "15m",
            f"{title}: CPU above {a.cpuPercent}% of its limit (or request) for 15 minutes",
        ),
        _rule(
            f"{_camel(name)}MemoryNearLimit",
            f"sum by (pod) (container_memory_working_set_bytes{{{sel}}})"
            f' / sum by (pod) (kube_pod_container_resource_limits{{{sel}, resource="memory"}})'
            f" > {a.memoryPercent / 100:g}",
            "10m",
            f"{title}: memory above {a.memoryPercent}% of its limit (OOM kill ahead)",
        ),
    ]
    if app.spec.persistence:
        claims = f'namespace="{ns}", persistentvolumeclaim=~"{name}-.*|.*-{name}-[0-9]+"'
        rules.append(
            _rule(
                f"{_camel(name)}DiskFilling",
                f"1 - kubelet_volume_stats_available_bytes{{{claims}}}"
                f" / kubelet_volume_stats_capacity_bytes{{{claims}}} > {a.diskPercent / 100:g}",
                "10m",
                f"{title}: a volume is more than {a.diskPercent}% full",
            )
        )
    if a.errorRate is not None:
        e = a.errorRate
        total = f'sum(rate({e.metric}{{namespace="{ns}"}}[5m]))'
        errors = f'sum(rate({e.metric}{{namespace="{ns}", {e.label}=~"5.."}}[5m]))'
        rules.append(
            _rule(
                f"{_camel(name)}HighErrorRate",
                f"{errors} / {total} > {e.percent / 100:g}",
                "10m",
                f"{title}: more than {e.percent}% of requests fail with 5xx",
            )
        )
    body = {
        "apiVersion": MON_API,
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": ns, "labels": {**labels_of(app), **PROMETHEUS_RELEASE_LABEL}},
        "spec": {"groups": [{"name": name, "rules": rules}]},
    }
    return _doc(body)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _rule(alert: str, expr: str, for_: str, summary: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": {"severity": "warning"},
        "annotations": {"summary": summary},
    }


def notifications(platform: Platform, namespaces: list[str]) -> list[str]:
    """``clusters/<c>/notifications.yaml``: Provider + Alert on every Flux Kustomization and the
    HelmReleases of ``namespaces``; none when the spec does not ask for it."""
    n = platform.spec.notifications
    if n is None:
        return []
    provider: dict[str, Any] = {"type": n.type}
    if n.channel is not None:
        provider["channel"] = n.channel
    provider["secretRef"] = {"name": n.secretRef}
    sources: list[dict[str, Any]] = [
        {"kind": "GitRepository", "name": "*", "namespace": "flux-system"},
        {"kind": "Kustomization", "name": "*", "namespace": "flux-system"},
    ]
    sources += [{"kind": "HelmRelease", "name": "*", "namespace": ns} for ns in sorted(set(namespaces))]
    docs = [
        {
            "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
            "kind": "Provider",
            "metadata": {"name": "ops", "namespace": "flux-system"},
            "spec": provider,
        },
        {
            "apiVersion": "notification.toolkit.fluxcd.io/v1beta3",
            "kind": "Alert",
            "metadata": {"name": "reconciliation", "namespace": "flux-system"},
            "spec": {"providerRef": {"name": "ops"}, "eventSeverity": n.severity, "eventSources": sources},
        },
    ]
    return [_doc(d) for d in docs]


SECRETS_DIR = "/etc/alertmanager/secrets"  # where the operator mounts alertmanagerSpec.secrets


def _secret_file(ref: SecretKey) -> str:
    return f"{SECRETS_DIR}/{ref.name}/{ref.key}"


def alertmanager_values(routing: AlertRouting) -> dict[str, Any]:
    """kube-prometheus-stack values for Alertmanager: receivers reading their URLs and passwords from
    files of mounted Secrets (``*_file``), never inline; Watchdog goes to a ``null`` receiver."""
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    secrets: set[str] = set()
    for r in routing.receivers:
        entry: dict[str, Any] = {"name": r.name}
        if r.slack is not None:
            secrets.add(r.slack.urlSecret.name)
            entry["slack_configs"] = [
                {
                    "channel": r.slack.channel,
                    "api_url_file": _secret_file(r.slack.urlSecret),
                    "send_resolved": True,
                }
            ]
        if r.email is not None:
            mail: dict[str, Any] = {"to": r.email.to, "from": r.email.sender, "smarthost": r.email.smarthost}
            if r.email.username is not None:
                mail["auth_username"] = r.email.username
            if r.email.passwordSecret is not None:
                secrets.add(r.email.passwordSecret.name)
                mail["auth_password_file"] = _secret_file(r.email.passwordSecret)
            entry["email_configs"] = [mail]
        if r.webhook is not None:
            secrets.add(r.webhook.urlSecret.name)
            entry["webhook_configs"] = [
                {"url_file": _secret_file(r.webhook.urlSecret), "send_resolved": True}
            ]
        receivers.append(entry)
    routes: list[dict[str, Any]] = [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}]
    if routing.critical is not None:
        routes.append({"receiver": routing.critical, "matchers": ['severity = "critical"']})
    return {
        "config": {
            "route": {
                "receiver": routing.receiver,
                "group_by": ["alertname", "namespace"],
                "group_wait": "30s",
                "group_interval": "5m",
                "repeat_interval": "12h",
                "routes": routes,
            },
            "receivers": receivers,
        },
        "alertmanagerSpec": {"secrets": sorted(secrets)},
    }


DASHBOARD_LABEL = "grafana_dashboard"
FOLDER_ANNOTATION = "grafana_folder"
# kube-prometheus-stack's Grafana sidecar, set explicitly when an app ships a dashboard
SIDECAR_VALUES: dict[str, Any] = {
    "grafana": {
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": "1",
                "searchNamespace": "ALL",
                "folderAnnotation": FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True},
            }
        }
    }
}


def dashboard(app: App) -> str | None:
    """The app's Grafana dashboard as a ConfigMap the sidecar loads (label + folder annotation)."""
    import json

    from gitops_gen.render.workloads import labels_of

    d = app.spec.dashboards
    if d is None:
        return None
    name, ns = app.metadata.name, app.namespace
    sel = f'namespace="{ns}"' if app.spec.workload == "helm" else f'namespace="{ns}", container="{name}"'
    targets: list[tuple[str, str, str]] = [
        ("CPU (cores)", f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{sel}}}[5m]))", "short"),
        ("Memory (working set)", f"sum by (pod) (container_memory_working_set_bytes{{{sel}}})", "bytes"),
        (
            "Restarts (1h)",
            f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{sel}}}[1h]))",
            "short",
        ),
    ]
    alerts = app.spec.alerts
    if alerts is not None and alerts.errorRate is not None:
        e = alerts.errorRate
        targets.insert(0, ("Requests/s", f'sum(rate({e.metric}{{namespace="{ns}"}}[5m]))', "reqps"))
        targets.insert(
            1,
            (
                "Error rate (5xx)",
                f'sum(rate({e.metric}{{namespace="{ns}", {e.label}=~"5.."}}[5m])) / sum(rate({e.metric}{{namespace="{ns}"}}[5m]))',
                "percentunit",
            ),
        )
    panels = [
        {
            "id": i + 1,
            "title": title,
            "type": "timeseries",
            "datasource": {"type": "prometheus", "uid": "prometheus"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"refId": "A", "expr": expr}],
        }
        for i, (title, expr, unit) in enumerate(targets)
    ]
    board = {
        "title": f"{name} ({ns})",
        "uid": f"gitops-gen-{ns}-{name}"[:40],
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{name}-dashboard",
            "namespace": ns,
            "labels": {**labels_of(app), DASHBOARD_LABEL: "1"},
            "annotations": {FOLDER_ANNOTATION: d.folder},
        },
        "data": {f"{name}.json": json.dumps(board, indent=2, sort_keys=True) + "\n"},
    }
    return _doc(body)
