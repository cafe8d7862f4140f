"""Each seed chart profile agrees with `helm template` of a chart archive built for the test.

The real charts are not shipped (and the tests never reach the internet), so each chart here is a
**small synthetic chart** that mimics the real one where the budget looks: the same values paths and
defaults (as ../shared/design/chart-defaults.md cites them), the same enable switches, object names
(the usual ``<chart>.fullname`` helper), replica counts and where each container's resources come from,
including computed ones (Loki's memcached ``allocatedMemory`` x 1.2). Each is packaged with
`helm package` and rendered by the real `helm template`; the budget then counts the release once from
the profile and once from the rendered chart, and both must agree on every steady workload both
describe: kind, name, replicas (HPA maximum included) and each container's requests and limits.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gitops_gen.capacity.budget import analyze
from gitops_gen.capacity.helm import ChartSource
from gitops_gen.capacity.model import Workload
from gitops_gen.capacity.profiles import PROFILES
from gitops_gen.charts.backend import SDK, sdk_installed
from gitops_gen.k8s.model import Resource

HELM = shutil.which("helm")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(HELM is None, reason="helm is not on PATH (.ci/install-tools.sh installs it)"),
]

HELPERS = textwrap.dedent(
    """\
    {{- define "fullname" -}}
    {{- if .Values.fullnameOverride -}}
    {{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
    {{- else -}}
    {{- $name := default .Chart.Name .Values.nameOverride -}}
    {{- if contains $name .Release.Name -}}
    {{- .Release.Name | trunc 63 | trimSuffix "-" -}}
    {{- else -}}
    {{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
    {{- end -}}
    {{- end -}}
    {{- end -}}
    """
)


def wl(
    kind: str,
    name: str,
    containers: list[tuple[str, str]],
    *,
    replicas: str = "",
    gate: str = "",
    init: list[tuple[str, str]] | None = None,
    api: str = "apps/v1",
) -> str:
    """A workload template: ``name``/``replicas`` are template text, containers are (name, resources expr)."""
    lines = [f"apiVersion: {api}", f"kind: {kind}", "metadata:", f"  name: {name}", "spec:"]
    if replicas:
        lines.append(f"  replicas: {replicas}")
    lines += [
        "  selector: {matchLabels: {app: x}}",
        "  template:",
        "    metadata: {labels: {app: x}}",
        "    spec:",
    ]
    for section, items in (("containers", containers), ("initContainers", init or [])):
        if items:
            lines.append(f"      {section}:")
        for cname, res in items:
            lines += [
                f"        - name: {cname}",
                "          image: example/x:1",
                "          resources: {{- toYaml (" + res + ") | nindent 12 }}",
            ]
    body = "\n".join(lines) + "\n"
    return "{{- if " + gate + " }}\n" + body + "{{- end }}\n" if gate else body


def hpa(target: str, gate: str, lo: str, hi: str) -> str:
    return (
        "{{- if " + gate + " }}\n"
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        f"metadata:\n  name: {target}\nspec:\n"
        f"  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n"
        f"  minReplicas: {lo}\n  maxReplicas: {hi}\n"
        "{{- end }}\n"
    )


@dataclass
class Chart:
    name: str
    version: str
    values: str  # values.yaml: the defaults chart-defaults.md cites
    templates: dict[str, str]
    scenarios: list[dict[str, Any]] = field(default_factory=list)  # HelmRelease values to compare on
    release: str = ""


FULL = '{{ include "fullname" . }}'

CHARTS = [
    Chart(
        "cert-manager",
        "v1.21.1",
        """\
        replicaCount: 1
        resources: {}
        webhook: {replicaCount: 1, resources: {}}
        cainjector: {enabled: true, replicaCount: 1, resources: {}}
        """,
        {
            "controller.yaml": wl(
                "Deployment",
                FULL,
                [("cert-manager-controller", ".Values.resources")],
                replicas="{{ .Values.replicaCount }}",
            ),
            "webhook.yaml": wl(
                "Deployment",
                FULL + "-webhook",
                [("cert-manager-webhook", ".Values.webhook.resources")],
                replicas="{{ .Values.webhook.replicaCount }}",
            ),
            "cainjector.yaml": wl(
                "Deployment",
                FULL + "-cainjector",
                [("cert-manager-cainjector", ".Values.cainjector.resources")],
                replicas="{{ .Values.cainjector.replicaCount }}",
                gate=".Values.cainjector.enabled",
            ),
        },
        [
            {},
            {
                "replicaCount": 2,
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "webhook": {"replicaCount": 3},
                "cainjector": {"enabled": False},
            },
        ],
    ),
    Chart(
        "sealed-secrets",
        "2.18.5",
        """\
        fullnameOverride: ""
        createController: true
        resources: {limits: {}, requests: {}}
        """,
        {
            "deployment.yaml": wl(
                "Deployment",
                FULL,
                [("controller", ".Values.resources")],
                replicas="1",
                gate=".Values.createController",
            )
        },
        [
            {},
            {"fullnameOverride": "sealed-secrets-controller", "resources": {"requests": {"memory": "32Mi"}}},
        ],
    ),
    Chart(  # day-2: docs/chart-facts-day2.md
        "velero",
        "12.1.0",
        """\
        resources: {}
        initContainers:
        upgradeCRDs: true
        kubectl: {resources: {}}
        deployNodeAgent: false
        nodeAgent: {resources: {}}
        """,
        {
            "deployment.yaml": wl(
                "Deployment", FULL, [("velero", ".Values.resources")], replicas="1"
            ).replace(
                "      containers:\n",
                "      {{- with .Values.initContainers }}\n      initContainers: {{- toYaml . | nindent 8 }}\n"
                "      {{- end }}\n      containers:\n",
            ),
            "node-agent.yaml": wl(
                "DaemonSet",
                "node-agent",
                [("node-agent", ".Values.nodeAgent.resources")],
                gate=".Values.deployNodeAgent",
            ),
        },
        [
            {},
            {
                "deployNodeAgent": True,
                "nodeAgent": {"resources": {"requests": {"cpu": "50m", "memory": "128Mi"}}},
                "initContainers": [
                    {"name": "plugin", "image": "p:1", "resources": {"requests": {"memory": "32Mi"}}}
                ],
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
            },
        ],
    ),
    Chart(  # day-2: docs/chart-facts-day2.md
        "external-secrets",
        "2.9.0",
        """\
        replicaCount: 1
        createOperator: true
        resources: {}
        webhook: {create: true, replicaCount: 1, resources: {}}
        certController: {create: true, replicaCount: 1, resources: {}}
        """,
        {
            "controller.yaml": wl(
                "Deployment",
                FULL,
                [("controller", ".Values.resources")],
                replicas="{{ .Values.replicaCount }}",
                gate=".Values.createOperator",
            ),
            "webhook.yaml": wl(
                "Deployment",
                FULL + "-webhook",
                [("webhook", ".Values.webhook.resources")],
                replicas="{{ .Values.webhook.replicaCount }}",
                gate=".Values.webhook.create",
            ),
            "cert-controller.yaml": wl(
                "Deployment",
                FULL + "-cert-controller",
                [("cert-controller", ".Values.certController.resources")],
                replicas="{{ .Values.certController.replicaCount }}",
                gate=".Values.certController.create",
            ),
        },
        [
            {},
            {"replicaCount": 2, "webhook": {"create": False}, "resources": {"requests": {"memory": "64Mi"}}},
        ],
    ),
    Chart(
        "promtail",
        "6.17.1",
        """\
        daemonset: {enabled: true}
        deployment: {enabled: false, replicaCount: 1, autoscaling: {enabled: false, minReplicas: 1, maxReplicas: 10}}
        resources: {}
        sidecar: {configReloader: {enabled: false, resources: {}}}
        """,
        {
            "daemonset.yaml": "{{- if .Values.daemonset.enabled }}\n"
            + wl(
                "DaemonSet",
                FULL,
                [("promtail", ".Values.resources")],
            ).replace(
                "          resources: {{- toYaml (.Values.resources) | nindent 12 }}\n",
                "          resources: {{- toYaml (.Values.resources) | nindent 12 }}\n"
                "        {{- if .Values.sidecar.configReloader.enabled }}\n"
                "        - name: config-reloader\n          image: example/x:1\n"
                "          resources: {{- toYaml .Values.sidecar.configReloader.resources | nindent 12 }}\n"
                "        {{- end }}\n",
            )
            + "{{- end }}\n",
            "deployment.yaml": wl(
                "Deployment",
                FULL,
                [("promtail", ".Values.resources")],
                replicas="{{ .Values.deployment.replicaCount }}",
                gate=".Values.deployment.enabled",
            ),
            "hpa.yaml": hpa(
                FULL,
                "and .Values.deployment.enabled .Values.deployment.autoscaling.enabled",
                "{{ .Values.deployment.autoscaling.minReplicas }}",
                "{{ .Values.deployment.autoscaling.maxReplicas }}",
            ),
        },
        [
            {},
            {"sidecar": {"configReloader": {"enabled": True, "resources": {"requests": {"cpu": "5m"}}}}},
            {
                "daemonset": {"enabled": False},
                "deployment": {
                    "enabled": True,
                    "replicaCount": 2,
                    "autoscaling": {"enabled": True, "maxReplicas": 4},
                },
                "resources": {"requests": {"cpu": "50m", "memory": "100Mi"}, "limits": {"memory": "200Mi"}},
            },
        ],
    ),
    Chart(
        "ingress-nginx",
        "4.15.1",
        """\
        controller:
          kind: Deployment
          replicaCount: 1
          resources: {requests: {cpu: 100m, memory: 90Mi}}
          autoscaling: {enabled: false, minReplicas: 1, maxReplicas: 11}
        defaultBackend: {enabled: false, replicaCount: 1, resources: {}}
        """,
        {
            "controller-deployment.yaml": wl(
                "Deployment",
                FULL + "-controller",
                [("controller", ".Values.controller.resources")],
                replicas="{{ .Values.controller.replicaCount }}",
                gate='or (eq .Values.controller.kind "Deployment") (eq .Values.controller.kind "Both")',
            ).replace(
                "  replicas: {{ .Values.controller.replicaCount }}\n",
                "  {{- if not .Values.controller.autoscaling.enabled }}\n"
                "  replicas: {{ .Values.controller.replicaCount }}\n  {{- end }}\n",
            ),
            "controller-daemonset.yaml": wl(
                "DaemonSet",
                FULL + "-controller",
                [("controller", ".Values.controller.resources")],
                gate='or (eq .Values.controller.kind "DaemonSet") (eq .Values.controller.kind "Both")',
            ),
            "controller-hpa.yaml": hpa(
                FULL + "-controller",
                'and .Values.controller.autoscaling.enabled (ne .Values.controller.kind "DaemonSet")',
                "{{ .Values.controller.autoscaling.minReplicas }}",
                "{{ .Values.controller.autoscaling.maxReplicas }}",
            ),
            "default-backend.yaml": wl(
                "Deployment",
                FULL + "-defaultbackend",
                [("default-backend", ".Values.defaultBackend.resources")],
                replicas="{{ .Values.defaultBackend.replicaCount }}",
                gate=".Values.defaultBackend.enabled",
            ),
        },
        [
            {},
            {"controller": {"kind": "DaemonSet", "resources": {"requests": {"cpu": "200m"}}}},
            {"controller": {"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 5}}},
            {"defaultBackend": {"enabled": True, "replicaCount": 2}},
        ],
    ),
    Chart(
        "loki",
        "6.55.0",
        """\
        deploymentMode: SimpleScalable
        loki: {storage: {type: s3}}
        write: {replicas: 3, resources: {}}
        read: {replicas: 3, resources: {}}
        backend: {replicas: 3, resources: {}}
        singleBinary: {replicas: 0, resources: {}}
        gateway: {enabled: true, replicas: 1, resources: {}}
        lokiCanary: {enabled: true, kind: DaemonSet, resources: {}}
        sidecar: {resources: {}, rules: {enabled: true}}
        memcached: {enabled: true}
        memcachedExporter: {enabled: true, resources: {requests: {}, limits: {}}}
        resultsCache: {enabled: true, replicas: 1, allocatedMemory: 1024, allocatedCPU: 500m, resources: null}
        chunksCache: {enabled: true, replicas: 1, allocatedMemory: 8192, allocatedCPU: 500m, resources: null}
        """,
        {
            "single-binary.yaml": wl(
                "StatefulSet",
                FULL,
                [("loki", ".Values.singleBinary.resources"), ("loki-sc-rules", ".Values.sidecar.resources")],
                replicas='{{ if and (gt (int .Values.singleBinary.replicas) 1) (ne .Values.loki.storage.type "filesystem") }}'
                "{{ .Values.singleBinary.replicas }}{{ else }}1{{ end }}",
                gate='eq .Values.deploymentMode "SingleBinary"',
            ),
            "write.yaml": wl(
                "StatefulSet",
                FULL + "-write",
                [("loki", ".Values.write.resources")],
                replicas="{{ .Values.write.replicas }}",
                gate='eq .Values.deploymentMode "SimpleScalable"',
            ),
            "read.yaml": wl(
                "Deployment",
                FULL + "-read",
                [("loki", ".Values.read.resources")],
                replicas="{{ .Values.read.replicas }}",
                gate='eq .Values.deploymentMode "SimpleScalable"',
            ),
            "backend.yaml": wl(
                "StatefulSet",
                FULL + "-backend",
                [("loki", ".Values.backend.resources"), ("loki-sc-rules", ".Values.sidecar.resources")],
                replicas="{{ .Values.backend.replicas }}",
                gate='eq .Values.deploymentMode "SimpleScalable"',
            ),
            "gateway.yaml": wl(
                "Deployment",
                FULL + "-gateway",
                [("nginx", ".Values.gateway.resources")],
                replicas="{{ .Values.gateway.replicas }}",
                gate=".Values.gateway.enabled",
            ),
            "canary.yaml": wl(
                "DaemonSet",
                FULL + "-canary",
                [("loki-canary", ".Values.lokiCanary.resources")],
                gate=".Values.lokiCanary.enabled",
            ),
            **{
                f"{comp}.yaml": wl(
                    "StatefulSet",
                    FULL + f"-{comp}",
                    [
                        (
                            "memcached",
                            f'default (dict "requests" (dict "cpu" .Values.{key}.allocatedCPU "memory" '
                            f'(printf "%dMi" (div (add (mul (int .Values.{key}.allocatedMemory) 12) 5) 10))) '
                            f'"limits" (dict "memory" (printf "%dMi" (div (add (mul (int .Values.{key}.allocatedMemory) 12) 5) 10)))) '
                            f".Values.{key}.resources",
                        ),
                        ("exporter", ".Values.memcachedExporter.resources"),
                    ],
                    replicas=f"{{{{ .Values.{key}.replicas }}}}",
                    gate=f"and .Values.memcached.enabled .Values.{key}.enabled",
                )
                for key, comp in (("chunksCache", "chunks-cache"), ("resultsCache", "results-cache"))
            },
        },
        [
            {},
            {
                "deploymentMode": "SingleBinary",
                "loki": {"storage": {"type": "filesystem"}},
                "chunksCache": {"allocatedMemory": 1024},
            },
            {
                "chunksCache": {"resources": {"requests": {"cpu": "100m", "memory": "512Mi"}}},
                "resultsCache": {"enabled": False},
            },
        ],
    ),
    Chart(
        "kube-prometheus-stack",
        "88.5.3",
        """\
        prometheusOperator: {enabled: true, resources: {}}
        grafana:
          enabled: true
          replicas: 1
          resources: {}
          sidecar: {resources: {}, dashboards: {enabled: true}, datasources: {enabled: true}}
        kubeStateMetrics: {enabled: true}
        kube-state-metrics: {replicas: 1, resources: {}}
        nodeExporter: {enabled: true}
        prometheus-node-exporter: {resources: {}}
        prometheus: {enabled: true, prometheusSpec: {replicas: 1, shards: 1, resources: {}}}
        alertmanager: {enabled: true, alertmanagerSpec: {replicas: 1, resources: {}}}
        """,
        {
            **{
                f"{kind.lower()}.yaml": (
                    "{{- if .Values." + key + ".enabled }}\n"
                    f"apiVersion: monitoring.coreos.com/v1\nkind: {kind}\nmetadata:\n"
                    '  name: {{ include "fullname" . | trunc 26 | trimSuffix "-" }}-' + key + "\n"
                    "spec:\n  replicas: {{ .Values."
                    + spec
                    + ".replicas }}\n"
                    + ("  shards: {{ .Values." + spec + ".shards }}\n" if kind == "Prometheus" else "")
                    + "  resources: {{- toYaml .Values."
                    + spec
                    + ".resources | nindent 4 }}\n{{- end }}\n"
                )
                for kind, key, spec in (
                    ("Prometheus", "prometheus", "prometheus.prometheusSpec"),
                    ("Alertmanager", "alertmanager", "alertmanager.alertmanagerSpec"),
                )
            },
            "operator.yaml": wl(
                "Deployment",
                '{{ include "fullname" . | trunc 26 | trimSuffix "-" }}-operator',
                [("kube-prometheus-stack", ".Values.prometheusOperator.resources")],
                replicas="1",
                gate=".Values.prometheusOperator.enabled",
            ),
            "grafana.yaml": wl(
                "Deployment",
                "{{ .Release.Name }}-grafana",
                [
                    ("grafana", ".Values.grafana.resources"),
                    ("grafana-sc-dashboard", ".Values.grafana.sidecar.resources"),
                    ("grafana-sc-datasources", ".Values.grafana.sidecar.resources"),
                ],
                replicas="{{ .Values.grafana.replicas }}",
                gate=".Values.grafana.enabled",
            ),
            "ksm.yaml": wl(
                "Deployment",
                "{{ .Release.Name }}-kube-state-metrics",
                [("kube-state-metrics", 'index .Values "kube-state-metrics" "resources"')],
                replicas='{{ index .Values "kube-state-metrics" "replicas" }}',
                gate=".Values.kubeStateMetrics.enabled",
            ),
            "node-exporter.yaml": wl(
                "DaemonSet",
                "{{ .Release.Name }}-prometheus-node-exporter",
                [("node-exporter", 'index .Values "prometheus-node-exporter" "resources"')],
                gate=".Values.nodeExporter.enabled",
            ),
        },
        [
            {},
            {
                "grafana": {"replicas": 2, "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}}},
                "kube-state-metrics": {
                    "resources": {"requests": {"memory": "64Mi"}, "limits": {"memory": "128Mi"}}
                },
                "nodeExporter": {"enabled": False},
                "prometheus": {
                    "prometheusSpec": {
                        "replicas": 2,
                        "shards": 2,
                        "resources": {"requests": {"memory": "1Gi"}},
                    }
                },
                "alertmanager": {"alertmanagerSpec": {"resources": {"limits": {"memory": "100Mi"}}}},
            },
        ],
        release="kps",
    ),
]


def _build(chart: Chart, root: Path) -> Path:
    src = root / "src" / chart.name
    (src / "templates").mkdir(parents=True)
    (src / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {chart.name}\nversion: {chart.version.lstrip('v')}\n"
    )
    (src / "values.yaml").write_text(textwrap.dedent(chart.values), encoding="utf-8")
    (src / "templates" / "_helpers.tpl").write_text(HELPERS, encoding="utf-8")
    for name, text in chart.templates.items():
        (src / "templates" / name).write_text(text, encoding="utf-8")
    assert HELM is not None
    proc = subprocess.run(
        [HELM, "package", str(src), "--destination", str(root)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return root / f"{chart.name}-{chart.version.lstrip('v')}.tgz"


def _release(chart: Chart, values: dict[str, Any]) -> Resource:
    body = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": chart.release or chart.name, "namespace": "apps"},
        "spec": {"chart": {"spec": {"chart": chart.name, "version": chart.version}}, "values": values},
    }
    return Resource(body, "release.yaml", 1)


#: a Prometheus/Alertmanager object read from manifests counts its main container only (the operator
#: adds config-reloader containers that the manifest does not show); the profile counts those too
OPERATOR_MAIN = {"prometheus", "alertmanager"}


def _steady(
    workloads: list[Workload], only: dict[tuple[str, str], str] | None = None
) -> dict[tuple[str, str], tuple[Any, ...]]:
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    for w in workloads:
        if w.transient or w.system or w.unknown:
            continue
        keep = (only or {}).get((w.kind, w.name))
        containers = sorted(
            (c.name, c.init, c.requests, c.limits) for c in w.containers if keep in (None, c.name)
        )
        out[(w.kind, w.name)] = (w.steady_replicas if not w.per_node else "per-node", containers)
    return out


def test_every_seed_profile_is_covered() -> None:
    assert sorted(c.name for c in CHARTS) == sorted(c for c in PROFILES if c != "app-template")


@pytest.mark.parametrize("renderer", ["binary", "sdk"])
@pytest.mark.parametrize("chart", CHARTS, ids=[c.name for c in CHARTS])
def test_profile_and_helm_template_agree(chart: Chart, renderer: str, tmp_path: Path) -> None:
    assert HELM is not None
    if renderer == "sdk" and not sdk_installed():
        pytest.skip("helm-python-sdk is not installed (pip install 'gitops-gen[helm]')")
    archive = _build(chart, tmp_path)
    charts = ChartSource(HELM if renderer == "binary" else SDK, named={chart.name: archive})
    for values in chart.scenarios:
        hr = _release(chart, values)
        by_profile = analyze([hr], None)
        by_helm = analyze([hr], None, charts=charts)
        [p_rep], [h_rep] = by_profile.releases, by_helm.releases
        assert p_rep.source.startswith("profile ") and h_rep.source.startswith("helm template"), h_rep.notes
        helm = _steady(by_helm.workloads)
        only = {k: v[1][0][0] for k, v in helm.items() if len(v[1]) == 1 and v[1][0][0] in OPERATOR_MAIN}
        profile = _steady(by_profile.workloads, only)
        assert helm, f"{chart.name} {values}: the chart rendered no workload"
        # every workload the chart renders is one the profile describes, with the same numbers
        assert set(helm) <= set(profile), f"{chart.name} {values}: only in helm: {set(helm) - set(profile)}"
        for key, numbers in helm.items():
            assert profile[key] == numbers, f"{chart.name} {values} {key}"
        missing = set(profile) - set(helm)
        assert not missing, f"{chart.name} {values}: the profile counts {missing}, the synthetic chart not"
