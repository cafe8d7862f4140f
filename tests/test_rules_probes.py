"""Rule ``probes``: readiness and liveness on long-running containers, probe ports, hair triggers."""

from __future__ import annotations

from rules_helpers import fixture, only, resources_of, run

from gitops_gen.lint.model import Severity

C = ("spec", "template", "spec", "containers")


def test_bad_fixture() -> None:
    found = fixture("probes", "bad.yaml")
    f = only(found, contains='container "api" has no liveness probe')
    assert f.severity == Severity.ERROR and f.path == (*C, 0) and f.ref == "Deployment/shop/api"
    f = only(found, contains="port name 'admin'")
    assert f.severity == Severity.ERROR
    assert f.path == (*C, 1, "readinessProbe", "tcpSocket", "port")
    f = only(found, contains="probes port 9091")
    assert f.path == (*C, 1, "livenessProbe", "httpGet", "port") and "9090" in f.message
    f = only(found, contains="same check as the readiness probe")
    assert f.severity == Severity.WARNING and "hair trigger" in f.message
    assert f.path == (*C, 2, "livenessProbe")
    assert len(found) == 4


def test_good_fixture() -> None:
    assert fixture("probes", "good.yaml") == []


def _deploy(kind: str, container: str) -> str:
    return f"""
apiVersion: apps/v1
kind: {kind}
metadata: {{name: w}}
spec:
  template:
    spec:
      initContainers:
        - {{name: init, image: x:1}}
      containers:
        - {container}
"""


def test_missing_both_probes_on_daemonset_but_not_init_containers() -> None:
    found = run("probes", resources_of(_deploy("DaemonSet", "{name: c, image: x:1}")))
    assert sorted(f.message.split(":")[0] for f in found) == [
        'container "c" has no liveness probe',
        'container "c" has no readiness probe',
    ]


def test_jobs_and_pods_are_exempt_but_ports_still_checked() -> None:
    job = _deploy("Job", "{name: c, image: x:1, livenessProbe: {httpGet: {port: web}}}").replace(
        "apps/v1", "batch/v1"
    )
    found = run("probes", resources_of(job))
    assert len(found) == 1 and "port name 'web'" in found[0].message


def test_numeric_port_without_declared_ports_is_a_warning() -> None:
    c = "{name: c, image: x:1, readinessProbe: {tcpSocket: {port: 80}}, livenessProbe: {exec: {command: [true]}}}"
    found = run("probes", resources_of(_deploy("Deployment", c)))
    assert [(f.severity, "declares no ports" in f.message) for f in found] == [(Severity.WARNING, True)]


def test_identical_probes_by_name_and_number_are_compared() -> None:
    c = (
        "{name: c, image: x:1, ports: [{name: http, containerPort: 80}], "
        "readinessProbe: {httpGet: {path: /h, port: http}}, livenessProbe: {httpGet: {path: /h, port: 80}}}"
    )
    found = run("probes", resources_of(_deploy("Deployment", c)))
    assert len(found) == 1 and "gives up no later (30s vs 30s)" in found[0].message
    tolerant = c.replace("port: 80}}", "port: 80}, failureThreshold: 6}")
    assert run("probes", resources_of(_deploy("Deployment", tolerant))) == []
