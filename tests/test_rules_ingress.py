"""Rule ``ingress``: TLS host coverage, cert-manager issuers, backend Services and ports."""

from __future__ import annotations

import pytest
from rules_helpers import fixture, only, resources_of, run

from gitops_gen.lint.model import Severity
from gitops_gen.lint.rules.ingress import host_covered

B = ("spec", "rules")


def test_bad_fixture() -> None:
    found = fixture("ingress", "bad.yaml")
    f = only(found, contains="host 'api.eu.shop.example.com' is not covered")
    assert f.severity == Severity.ERROR and f.path == (*B, 1, "host") and f.ref == "Ingress/shop/shop"
    f = only(found, contains="ClusterIssuer 'letsencrypt-production' does not exist")
    assert f.path == ("metadata", "annotations", "cert-manager.io/cluster-issuer")
    f = only(found, contains="backend port 8080 is not a port of Service 'web'")
    assert f.path == (*B, 0, "http", "paths", 0, "backend", "service", "port", "number")
    f = only(found, contains="backend Service 'api' does not exist")
    assert f.severity == Severity.ERROR
    assert f.path == (*B, 1, "http", "paths", 0, "backend", "service", "name")
    assert len(found) == 4


def test_good_fixture() -> None:
    assert fixture("ingress", "good.yaml") == []


@pytest.mark.parametrize(
    ("host", "tls", "expected"),
    [
        ("a.example.com", ["a.example.com"], True),
        ("A.Example.com", ["a.example.com"], True),
        ("a.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], False),
        ("example.com", ["*.example.com"], False),
        ("*.example.com", ["*.example.com"], True),
        ("b.example.com", ["a.example.com"], False),
    ],
)
def test_host_covered(host: str, tls: list[str], expected: bool) -> None:
    assert host_covered(host, tls) is expected


def test_issuer_annotation_without_tls_and_unlinted_issuers() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: i
  namespace: n
  annotations: {cert-manager.io/issuer: letsencrypt}
spec:
  rules: [{host: a.example.com}]
"""
    found = run("ingress", resources_of(text))
    assert [(f.severity, f.message.split(":")[0]) for f in found] == [
        (Severity.WARNING, "has the cert-manager.io/issuer annotation but no spec.tls")
    ]


def test_legacy_backend_and_partial_input() -> None:
    text = """
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: i, namespace: n}
spec:
  backend: {serviceName: web, servicePort: 80}
"""
    found = run("ingress", resources_of(text))
    assert [(f.severity, f.path) for f in found] == [(Severity.WARNING, ("spec", "backend", "serviceName"))]
    svc = "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: n}\nspec: {ports: [{port: 8080}]}\n"
    found = run("ingress", resources_of(text + svc))
    assert [(f.severity, f.path) for f in found] == [(Severity.ERROR, ("spec", "backend", "servicePort"))]
