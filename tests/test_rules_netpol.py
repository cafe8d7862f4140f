"""Rule ``netpol``: static reachability of ingress, scrape and ACME solver paths under NetworkPolicies."""

from __future__ import annotations

from rules_helpers import resources_of, run

from gitops_gen.lint.model import Severity

BASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: ingress-nginx, namespace: ingress-nginx}
spec: {chart: {spec: {chart: ingress-nginx, sourceRef: {kind: HelmRepository, name: ingress-nginx}}}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kube-prometheus-stack, namespace: monitoring}
spec: {chart: {spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: pc}}}}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt-prod}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: le}
    solvers: [{http01: {ingress: {ingressClassName: nginx}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/org/web:1.0.0
          ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: web, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090, targetPort: metrics}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: web
  annotations: {cert-manager.io/cluster-issuer: letsencrypt-prod}
spec:
  ingressClassName: nginx
  tls: [{hosts: [web.example.com], secretName: web-tls}]
  rules:
    - host: web.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: web, labels: {release: kube-prometheus-stack}}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: metrics, path: /metrics}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""

ALLOW_APP = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-app, namespace: web}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
      ports: [{port: http}]
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
      ports: [{port: 9090}]
"""

ALLOW_SOLVER = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-acme, namespace: web}
spec:
  podSelector: {matchLabels: {acme.cert-manager.io/http01-solver: "true"}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]
      ports: [{port: 8089}]
"""


def messages(text: str) -> list[str]:
    return [f.message for f in run("netpol", resources_of(text))]


def test_default_deny_blocks_every_path() -> None:
    found = run("netpol", resources_of(BASE))
    assert len(found) == 3 and all(f.severity == Severity.ERROR for f in found)
    by_ref = {(f.ref, f.path): f for f in found}
    ing = by_ref[("Ingress/web/web", ("spec", "rules", 0, "http", "paths", 0, "backend"))]
    assert "from the ingress controller (HelmRelease/ingress-nginx/ingress-nginx)" in ing.message
    assert "port http/8080" in ing.message and "NetworkPolicy/web/default-deny (test.yaml:" in ing.message
    assert "kubernetes.io/metadata.name: ingress-nginx" in ing.remediation
    solver = by_ref[("Ingress/web/web", ("spec", "tls"))]
    assert "ACME HTTP-01 solver of ClusterIssuer/letsencrypt-prod" in solver.message
    sm = by_ref[("ServiceMonitor/web/web", ("spec", "endpoints", 0, "port"))]
    assert "from Prometheus" in sm.message and "port metrics/9090" in sm.message


def test_app_allow_leaves_the_acme_solver_blocked() -> None:
    found = messages(BASE + ALLOW_APP)
    assert len(found) == 1 and "ACME HTTP-01 solver" in found[0] and "port 8089" in found[0]


def test_all_paths_open() -> None:
    assert messages(BASE + ALLOW_APP + ALLOW_SOLVER) == []


def test_wrong_port_is_blocked() -> None:
    found = messages(BASE + ALLOW_APP.replace("port: http}", "port: 3000}") + ALLOW_SOLVER)
    assert len(found) == 1 and "Service web" in found[0] and "allow-app" in found[0]


def test_unknown_namespace_labels_are_not_judged() -> None:
    # a selector on labels of a Namespace that was not linted may match: no finding
    text = BASE + ALLOW_SOLVER + ALLOW_APP.replace("kubernetes.io/metadata.name: ingress-nginx", "team: edge")
    assert not any("ingress controller" in m and "Service web" in m for m in messages(text))


def test_policy_selecting_no_pod_is_a_warning() -> None:
    text = (
        BASE
        + ALLOW_APP
        + ALLOW_SOLVER
        + ALLOW_SOLVER.replace("allow-acme", "stale").replace(
            'acme.cert-manager.io/http01-solver: "true"', "app: gone"
        )
    )
    found = run("netpol", resources_of(text))
    assert [(f.ref, f.severity) for f in found] == [("NetworkPolicy/web/stale", Severity.WARNING)]
    assert "selects no pod" in found[0].message


def test_no_policies_no_findings() -> None:
    text = BASE.split("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy")[0]
    assert messages(text) == []
