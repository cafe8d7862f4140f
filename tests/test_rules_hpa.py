"""Rule ``hpa``: targets, bounds, requests for utilization metrics, spec.replicas, PDB conflicts."""

from __future__ import annotations

from rules_helpers import fixture, only, resources_of, run

from gitops_gen.lint.model import Severity


def test_target_sets_replicas() -> None:
    f = only(fixture("hpa", "bad-replicas.yaml"), contains="sets spec.replicas (2)")
    assert f.severity == Severity.ERROR and f.ref == "Deployment/shop/web"
    assert f.path == ("spec", "replicas") and "Flux re-applies" in f.message
    assert "delete spec.replicas" in f.remediation


def test_utilization_needs_requests() -> None:
    found = fixture("hpa", "bad-requests.yaml")
    f = only(found, contains="memory utilization")
    assert f.ref == "HorizontalPodAutoscaler/shop/api" and 'container "proxy"' in f.message
    assert f.path == ("spec", "metrics", 0)
    f = only(found, contains="names container 'app'")
    assert f.path == ("spec", "metrics", 1)
    f = only(found, contains='container "worker" has no cpu request')
    assert f.path == ("spec", "targetCPUUtilizationPercentage")
    assert len(found) == 3


def test_missing_target_and_bounds() -> None:
    found = fixture("hpa", "bad-target.yaml")
    f = only(found, contains="minReplicas 5 is above maxReplicas 3")
    assert f.path == ("spec", "minReplicas")
    f = only(found, contains="scaleTargetRef Deployment webb does not exist")
    assert f.severity == Severity.ERROR and f.path == ("spec", "scaleTargetRef", "name")


def test_pdb_min_available_equals_min_replicas() -> None:
    f = only(fixture("hpa", "bad-pdb.yaml"), contains="PodDisruptionBudget api requires minAvailable 2")
    assert f.severity == Severity.ERROR and f.path == ("spec", "minReplicas")
    assert f.ref == "HorizontalPodAutoscaler/shop/api"


def test_good_fixture() -> None:
    assert fixture("hpa", "good.yaml") == []


HPA = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}, namespace: shop}}
spec:
  scaleTargetRef: {{kind: Deployment, name: web}}
  maxReplicas: 3
"""
DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: c, image: x:1}]
"""


def test_no_metrics_means_default_cpu_target() -> None:
    found = run("hpa", resources_of(HPA.format(name="a") + "---" + DEPLOY))
    assert len(found) == 1 and "scales on cpu utilization" in found[0].message
    assert found[0].path == ("spec",)


def test_two_hpas_fight() -> None:
    found = run(
        "hpa",
        resources_of(
            HPA.format(name="a")
            + "---"
            + HPA.format(name="b")
            + "---"
            + DEPLOY.replace(
                "[{name: c, image: x:1}]", "[{name: c, image: x:1, resources: {requests: {cpu: 1}}}]"
            )
        ),
    )
    assert sorted(f.message for f in found) == [
        "Deployment web is also targeted by HPA a: they fight over its replicas",
        "Deployment web is also targeted by HPA b: they fight over its replicas",
    ]


def test_partial_input_is_a_warning() -> None:
    found = run("hpa", resources_of(HPA.format(name="a")))
    assert [(f.severity, f.message) for f in found] == [
        (
            Severity.WARNING,
            "scaleTargetRef Deployment web does not exist in namespace shop among the linted files",
        )
    ]
