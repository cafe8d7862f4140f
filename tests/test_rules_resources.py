"""Rule ``resources``: requests and memory limits on every container, quantities, request <= limit."""

from __future__ import annotations

from rules_helpers import errors, fixture, only, resources_of, run

from gitops_gen.lint.model import Severity

BASE = ("spec", "template", "spec")


def test_bad_fixture() -> None:
    found = fixture("resources", "bad.yaml")
    assert {f.rule for f in found} == {"resources"}
    f = only(found, contains='container "app" has no cpu request')
    assert f.severity == Severity.ERROR and f.ref == "Deployment/shop/web"
    assert f.path == (*BASE, "containers", 0, "resources", "requests")
    assert "requests.cpu" in f.remediation
    f = only(found, contains='container "app" has no memory limit')
    assert f.path == (*BASE, "containers", 0, "resources")
    f = only(found, contains="cpu request 500m is above its limit 250m")
    assert f.path == (*BASE, "containers", 1, "resources", "requests", "cpu")
    only(found, contains="memory request 1Gi is above its limit 512Mi")
    f = only(found, contains="'lots' is not a quantity")
    assert f.path == (*BASE, "containers", 2, "resources", "requests", "cpu")
    init = [x for x in found if 'init container "migrate"' in x.message]
    assert len(init) == 3 and all(x.path == (*BASE, "initContainers", 0) for x in init)
    assert len(found) == 8


def test_good_fixture_needs_no_cpu_limit() -> None:
    assert fixture("resources", "good.yaml") == []


def _pod(resources: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: p}}
spec:
  containers:
    - name: c
      image: x:1
      resources: {resources}
"""


def test_missing_request_with_limit_is_a_warning() -> None:
    found = run("resources", resources_of(_pod("{limits: {cpu: 1, memory: 1Gi}}")))
    assert {f.severity for f in found} == {Severity.WARNING}
    assert len(found) == 2 and "defaults to the cpu limit 1" in found[0].message


def test_sidecar_init_container_included() -> None:
    text = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
        - {name: side, image: x:1, restartPolicy: Always}
      containers:
        - name: c
          image: x:1
          resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {memory: 1Mi}}
"""
    found = errors(run("resources", resources_of(text)))
    assert found and all('sidecar container "side"' in f.message for f in found)


def test_negative_and_exotic_quantities() -> None:
    found = run("resources", resources_of(_pod("{requests: {cpu: -1, memory: 1e3}, limits: {memory: 2Ki}}")))
    assert [f.message for f in found] == ['container "c": requests.cpu -1 is negative']
    assert (
        run(
            "resources",
            resources_of(_pod("{requests: {cpu: '${CPU}', memory: 1Gi}, limits: {memory: '${MEM}'}}")),
        )
        == []
    )
