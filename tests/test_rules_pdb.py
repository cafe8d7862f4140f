"""Rule ``pdb``: a PodDisruptionBudget selects pods and still allows evictions."""

from __future__ import annotations

import pytest
from rules_helpers import fixture, only, resources_of, run

from gitops_gen.k8s.workloads import int_or_percent, scaled, selector_matches
from gitops_gen.lint.model import Severity


def test_min_available_equal_to_replicas() -> None:
    f = only(fixture("pdb", "bad-min-available.yaml"), contains="minAvailable 2 >= the 2 pod(s)")
    assert f.severity == Severity.ERROR and f.ref == "PodDisruptionBudget/shop/web"
    assert f.path == ("spec", "minAvailable") and "drains hang" in f.message
    assert "maxUnavailable: 1" in f.remediation


def test_max_unavailable_zero_percent() -> None:
    f = only(fixture("pdb", "bad-max-unavailable.yaml"), contains="maxUnavailable is 0")
    assert f.severity == Severity.ERROR and f.path == ("spec", "maxUnavailable")


def test_percentage_resolved_against_hpa_minimum() -> None:
    f = only(fixture("pdb", "bad-hpa.yaml"), contains="minAvailable 50%")
    assert "HorizontalPodAutoscaler api minReplicas" in f.message and f.severity == Severity.ERROR


def test_selects_nothing() -> None:
    f = only(fixture("pdb", "bad-selects-nothing.yaml"), contains="selects no workload")
    assert f.severity == Severity.ERROR and f.path == ("spec", "selector")


def test_single_replica_warning() -> None:
    f = only(fixture("pdb", "bad-single-replica.yaml"), contains="single guaranteed pod")
    assert f.severity == Severity.WARNING


def test_good_fixture() -> None:
    assert fixture("pdb", "good.yaml") == []


PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: p, namespace: {ns}}}
spec:
  minAvailable: 1
  selector: {{matchLabels: {{app: web}}}}
"""


def test_nothing_linted_in_namespace_is_a_warning_and_helm_namespace_is_silent() -> None:
    found = run("pdb", resources_of(PDB.format(ns="shop")))
    assert [(f.severity, f.message) for f in found] == [
        (Severity.WARNING, "selects no workload in namespace shop among the linted files")
    ]
    hr = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: flux-system}
spec: {targetNamespace: shop, chart: {spec: {chart: web}}}
"""
    assert run("pdb", resources_of(PDB.format(ns="shop") + "---" + hr)) == []


def test_missing_selector_and_policy() -> None:
    text = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {}\n"
    found = run("pdb", resources_of(text))
    assert {f.message.split(",")[0] for f in found} == {
        "has no selector",
        "sets neither minAvailable nor maxUnavailable: it protects nothing",
    }


def test_daemonset_only_checked_for_zero() -> None:
    text = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: a:1}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: agent, namespace: ops}
spec: {minAvailable: 5, selector: {matchLabels: {app: agent}}}
"""
    assert run("pdb", resources_of(text)) == []


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"b": "1"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"b": "1"}, True),
        ({}, {"x": "y"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, {"a": "1"}, None),
        ({"matchLabels": "a=1"}, {"a": "1"}, None),
    ],
)
def test_selector_matches(selector: object, labels: dict[str, str], expected: bool | None) -> None:
    assert selector_matches(selector, labels) is expected


@pytest.mark.parametrize(
    ("value", "total", "expected"),
    [
        (2, 5, 2),
        ("50%", 1, 1),
        ("50%", 3, 2),
        ("0%", 4, 0),
        ("100%", 7, 7),
        ("34%", 3, 2),
    ],
)
def test_int_or_percent_rounds_up(value: object, total: int, expected: int) -> None:
    parsed = int_or_percent(value)
    assert parsed is not None and scaled(parsed, total) == expected
