"""ServiceMonitors, PodMonitors, rules and dashboards are picked up by what should read them.

**What.**

* A ``ServiceMonitor`` selects at least one Service (in its ``namespaceSelector`` namespaces, by
  default its own): warning, silent when a HelmRelease installs into the namespace or a custom
  resource of an operator sits next to the monitor (same directory or namespace: the operator
  may create the Service); each endpoint's ``port`` is a port *name* of
  the selected Services (error). A ``PodMonitor`` endpoint's ``port`` names a container port of
  the selected pods (error).
* The Prometheus of a kube-prometheus-stack HelmRelease selects them: with the chart's default
  ``serviceMonitorSelectorNilUsesHelmValues`` / ``podMonitorSelectorNilUsesHelmValues`` /
  ``ruleSelectorNilUsesHelmValues`` (``true``) and no explicit selector, Prometheus reads only
  objects labelled ``release: <release name>``; an explicit ``*Selector`` in the values must
  match the object's labels. A monitor or ``PrometheusRule`` that no Prometheus selects: error.
* A dashboard ConfigMap (annotation ``grafana_folder`` or a ``*.json`` key holding ``"panels"``)
  carries the Grafana sidecar's label (``grafana.sidecar.dashboards.label``, default
  ``grafana_dashboard``) when kube-prometheus-stack is linted: warning.

**Why.** Each of these fails silently: the target never appears in Prometheus, the alert never
fires, the dashboard never shows - nothing is red anywhere.

**What we chose.** Prometheus selection is judged only when exactly one kube-prometheus-stack
HelmRelease is linted and its values come inline (``valuesFrom`` may change the selector);
``Prometheus`` objects and the namespace selectors of Prometheus (``*NamespaceSelector``) are not
judged, nor monitors selecting other namespaces than their own: the rule reads only the object's
namespace and cluster-wide objects, so an incremental lint gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msgspec import Struct

from gitops_gen.k8s.model import Resource
from gitops_gen.k8s.workloads import (
    Selector,
    as_dict,
    as_list,
    as_str,
    compile_selector,
    containers,
    dig,
    has_subst,
    workload_index,
)
from gitops_gen.lint.model import Context, Hit, Severity
from gitops_gen.lint.projection import merge, pod_template
from gitops_gen.lint.workloads import absence_severity

ID = "monitoring"
SEVERITY = "error"
SCOPE = "object"
KINDS = frozenset({"ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap"})


def _dashboard_marks(data: object) -> object:
    """A ConfigMap's ``data`` as :func:`_dashboard` reads it: the ``*.json`` keys whose value holds
    ``"panels"``, each with just that mark (not the dashboard)."""
    if not isinstance(data, dict):
        return data
    return {
        k: '"panels"'
        for k, v in data.items()
        if str(k).endswith(".json") and isinstance(v, str) and '"panels"' in v
    }


READS = merge(
    pod_template("metadata.labels", "spec.containers.*.ports"),
    {
        "ServiceMonitor": ("spec", "metadata.labels"),
        "PodMonitor": ("spec", "metadata.labels"),
        "PrometheusRule": ("spec", "metadata.labels"),
        "Service": ("spec", "metadata.labels"),
        "ConfigMap": (("data", _dashboard_marks), "metadata.labels", "metadata.annotations"),
        "HelmRelease": (
            "spec.chart.spec.chart",
            "spec.chartRef.name",
            "spec.valuesFrom",
            "spec.targetNamespace",
            "spec.releaseName",
            "spec.values.prometheus.prometheusSpec",
            "spec.values.grafana.enabled",
            "spec.values.grafana.sidecar.dashboards.label",
        ),
    },
)

_SELECTOR = {
    "ServiceMonitor": "serviceMonitorSelector",
    "PodMonitor": "podMonitorSelector",
    "PrometheusRule": "ruleSelector",
}
DASHBOARD_LABEL = "grafana_dashboard"


class Stack(Struct, frozen=True):
    """The one kube-prometheus-stack of the input: who it is and its selector per kind (None: any object)."""

    who: str
    selectors: dict[str, object]
    dashboard_label: str | None  # None: no Grafana sidecar known


def _stack(ctx: Context) -> Stack | None:
    def build() -> Stack | None:
        found: list[Stack] = []
        for hr in ctx.by_kind.get("HelmRelease", ()):
            chart = as_str(dig(hr.body, "spec", "chart", "spec", "chart")) or as_str(
                dig(hr.body, "spec", "chartRef", "name")
            )
            if chart != "kube-prometheus-stack":
                continue
            if dig(hr.body, "spec", "valuesFrom"):
                return None
            values = as_dict(dig(hr.body, "spec", "values"))
            spec = as_dict(dig(values, "prometheus", "prometheusSpec"))
            target = as_str(dig(hr.body, "spec", "targetNamespace"))
            release = as_str(dig(hr.body, "spec", "releaseName")) or (
                f"{target}-{hr.name}" if target else hr.name
            )
            selectors: dict[str, object] = {}
            for kind, key in _SELECTOR.items():
                if spec.get(key) is not None:
                    selectors[kind] = spec[key]
                elif spec.get(f"{key}NilUsesHelmValues", True) is not False:
                    selectors[kind] = {"matchLabels": {"release": release}}
            label = dig(values, "grafana", "sidecar", "dashboards", "label")
            grafana_on = dig(values, "grafana", "enabled") is not False
            found.append(Stack(hr.ref, selectors, (as_str(label) or DASHBOARD_LABEL) if grafana_on else None))
        return found[0] if len(found) == 1 else None

    result: Stack | None = ctx.memo("monitoring.stack", build)
    return result


def _selected_by_prometheus(resource: Resource, ctx: Context) -> Iterator[Hit]:
    stack = _stack(ctx)
    if stack is None or resource.kind not in stack.selectors:
        return
    selector = stack.selectors[resource.kind]
    compiled = compile_selector(selector)
    if compiled is None or has_subst(selector) or compiled.matches(resource.labels):
        return
    key = _SELECTOR[resource.kind]
    want = ", ".join(f"{k}: {v}" for k, v in compiled.match_labels) or "its matchExpressions"
    yield Hit(
        resource,
        f"{stack.who} does not select it: its {key} wants labels {want}",
        f"add the label(s) {want} to metadata.labels, or widen {key} "
        f"(kube-prometheus-stack: prometheus.prometheusSpec.{key}NilUsesHelmValues: false)",
        ("metadata", "labels") if "labels" in resource.metadata else ("metadata",),
    )


def _scope(resource: Resource, spec: dict[str, Any]) -> tuple[Selector, list[str]] | None:
    """A monitor's compiled ``spec.selector`` and the namespaces it selects in, or None when the rule
    does not judge it: a selector it cannot read, ``${...}`` in the namespaces, ``namespaceSelector.any``,
    or other namespaces than the monitor's own (not what an incremental, per-namespace lint sees with
    this object)."""
    sel = compile_selector(spec.get("selector") if spec.get("selector") is not None else {})
    nss = spec.get("namespaceSelector")
    if sel is None or has_subst(nss) or dig(nss, "any") is True or has_subst(resource.namespace):
        return None
    names = [as_str(n) for n in as_list(dig(nss, "matchNames"))] or [resource.namespace]
    if names != [resource.namespace]:
        return None
    return sel, names


def _service_monitor(resource: Resource, ctx: Context, spec: dict[str, Any]) -> Iterator[Hit]:
    scope = _scope(resource, spec)
    if scope is None:
        return
    sel, names = scope
    services = [s for ns in names for s in ctx.in_namespace(ns, "Service") if sel.matches(s.labels)]
    if not services:
        # warning at most: operators (and charts) create Services from custom resources
        if not _operator_nearby(resource, ctx, names) and all(
            absence_severity(ctx, ns, ["Service"]) is not None for ns in names
        ):
            yield Hit(
                resource,
                f"selects no Service in namespace(s) {', '.join(names)}",
                "make spec.selector match the labels of the app's Service (metadata.labels, not its "
                "pod selector), or set spec.namespaceSelector.matchNames",
                ("spec", "selector"),
                severity=Severity.WARNING,
            )
        return
    for i, ep in enumerate(as_list(spec.get("endpoints"))):
        port = dig(ep, "port")
        if not isinstance(port, str) or not port or has_subst(port):
            continue
        have = {as_str(dig(p, "name")) for s in services for p in as_list(dig(s.body, "spec", "ports"))}
        if port not in have:
            shown = ", ".join(sorted(n for n in have if n)) or "no named ports"
            yield Hit(
                resource,
                f"endpoint port {port!r} is not a port name of the selected Service(s) "
                f"{', '.join(s.ref for s in services)} (they have: {shown})",
                "name the Service port (spec.ports[].name) and use that name in endpoints[].port "
                "(a ServiceMonitor's port is a Service port name, not a number)",
                ("spec", "endpoints", i, "port"),
            )


# API groups whose objects create no Services (anything else with a dot may be an operator's)
_PASSIVE_GROUPS = (
    "k8s.io",
    "toolkit.fluxcd.io",
    "monitoring.coreos.com",
    "bitnami.com",
    "external-secrets.io",
    "cert-manager.io",
)


def _operator_nearby(resource: Resource, ctx: Context, namespaces: list[str]) -> bool:
    """A custom resource of an operator next to the monitor (same directory or namespace): the
    operator may create the Service it selects (e.g. a LiteLLMProxy, a CloudNativePG Cluster)."""
    from pathlib import PurePath

    here = PurePath(resource.file).parent

    def operator(r: Resource) -> bool:
        g = r.group
        return "." in g and not g.endswith(_PASSIVE_GROUPS)

    for r in ctx.resources:
        if operator(r) and (PurePath(r.file).parent == here or (r.namespace and r.namespace in namespaces)):
            return True
    return False


def _pod_monitor(resource: Resource, ctx: Context, spec: dict[str, Any]) -> Iterator[Hit]:
    scope = _scope(resource, spec)
    if scope is None:
        return
    sel, names = scope
    pods = [w for ns in names for w in workload_index(ctx).select(ns, sel)]
    if not pods:
        return  # the pdb/ingress rules' absence logic would apply; a PodMonitor often targets charts
    have = {
        as_str(dig(p, "name"))
        for w in pods
        for c in containers(w.resource, init=False)
        for p in as_list(c.container.get("ports"))
    }
    for i, ep in enumerate(as_list(spec.get("podMetricsEndpoints"))):
        port = dig(ep, "port")
        if isinstance(port, str) and port and not has_subst(port) and port not in have:
            yield Hit(
                resource,
                f"endpoint port {port!r} is not a container port name of the selected pods "
                f"({', '.join(w.resource.ref for w in pods)})",
                "name the container port (ports[].name) and use that name in podMetricsEndpoints[].port",
                ("spec", "podMetricsEndpoints", i, "port"),
            )


def _dashboard(resource: Resource, ctx: Context) -> Iterator[Hit]:
    data = as_dict(resource.body.get("data"))
    looks = "grafana_folder" in resource.annotations or any(
        str(k).endswith(".json") and isinstance(v, str) and '"panels"' in v for k, v in data.items()
    )
    stack = _stack(ctx)
    if not looks or stack is None or stack.dashboard_label is None:
        return
    if stack.dashboard_label not in resource.labels:
        yield Hit(
            resource,
            f"looks like a Grafana dashboard but lacks the label {stack.dashboard_label!r} that the "
            f"Grafana sidecar of {stack.who} watches, so Grafana never loads it",
            f'add metadata.labels.{stack.dashboard_label}: "1"',
            ("metadata",),
            severity=Severity.WARNING,
        )


def check(resource: Resource, ctx: Context) -> Iterator[Hit]:
    if resource.kind == "ConfigMap":
        yield from _dashboard(resource, ctx)
        return
    spec = as_dict(resource.body.get("spec"))
    if not resource.group.startswith("monitoring.coreos.com"):
        return
    if resource.kind == "ServiceMonitor":
        yield from _service_monitor(resource, ctx, spec)
    elif resource.kind == "PodMonitor":
        yield from _pod_monitor(resource, ctx, spec)
    yield from _selected_by_prometheus(resource, ctx)
