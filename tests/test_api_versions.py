"""Removed and deprecated API versions by Kubernetes version, and Flux API versions by Flux release."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import by_rule, run

from gitops_gen.cli import main
from gitops_gen.lint.model import Severity

OBJECTS = {
    "ingress": "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a, namespace: b}\nspec: {}\n",
    "hpa": (
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a, namespace: b}\n"
        "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}, maxReplicas: 2}\n"
    ),
    "flowschema": (
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata: {name: a}\n"
        "spec: {priorityLevelConfiguration: {name: x}}\n"
    ),
    "cronjob": (
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: a, namespace: b}\n"
        "spec: {schedule: '* * * * *', jobTemplate: {spec: {template: {spec: {containers: []}}}}}\n"
    ),
}


def schema_findings(tmp_path: Path, what: str, version: str) -> list[tuple[Severity, str]]:
    f = tmp_path / f"{what}.yaml"
    f.write_text(OBJECTS[what], encoding="utf-8")
    return [
        (x.severity, x.message)
        for x in by_rule(run([f], kubernetes_version=version), "schema")
        if "apiVersion" in x.message or "Kubernetes" in x.message
    ]


@pytest.mark.parametrize("version", ["1.25", "1.30", "1.37"])
def test_removed_before_the_range_is_an_error_with_replacement_and_release(
    tmp_path: Path, version: str
) -> None:
    assert schema_findings(tmp_path, "ingress", version) == [
        (
            Severity.ERROR,
            "Ingress extensions/v1beta1 was removed in Kubernetes 1.22; use networking.k8s.io/v1",
        )
    ]
    assert schema_findings(tmp_path, "cronjob", version) == [
        (Severity.ERROR, "CronJob batch/v1beta1 was removed in Kubernetes 1.25; use batch/v1")
    ]


@pytest.mark.parametrize(
    ("version", "severity", "text"),
    [
        (
            "1.25",
            Severity.WARNING,
            "is deprecated since Kubernetes 1.23 and removed in 1.26; use autoscaling/v2",
        ),
        ("1.26", Severity.ERROR, "was removed in Kubernetes 1.26; use autoscaling/v2"),
        ("1.34", Severity.ERROR, "was removed in Kubernetes 1.26; use autoscaling/v2"),
    ],
)
def test_hpa_v2beta2_deprecated_then_removed(
    tmp_path: Path, version: str, severity: Severity, text: str
) -> None:
    assert schema_findings(tmp_path, "hpa", version) == [
        (severity, f"HorizontalPodAutoscaler autoscaling/v2beta2 {text}")
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.28", []),  # served, not yet deprecated
        ("1.29", [(Severity.WARNING, "deprecated since Kubernetes 1.29 and removed in 1.32")]),
        ("1.31", [(Severity.WARNING, "deprecated since Kubernetes 1.29 and removed in 1.32")]),
        ("1.32", [(Severity.ERROR, "was removed in Kubernetes 1.32")]),
    ],
)
def test_flowcontrol_v1beta3_across_versions(
    tmp_path: Path, version: str, expected: list[tuple[Severity, str]]
) -> None:
    found = schema_findings(tmp_path, "flowschema", version)
    assert [(s, any(e in m for _s, e in expected)) for s, m in found] == [(s, True) for s, _e in expected]


def test_current_apis_are_quiet(tmp_path: Path) -> None:
    f = tmp_path / "hpa.yaml"
    f.write_text(OBJECTS["hpa"].replace("autoscaling/v2beta2", "autoscaling/v2"), encoding="utf-8")
    for version in ("1.25", "1.34", "1.37"):
        assert by_rule(run([f], kubernetes_version=version), "schema") == []


@pytest.mark.parametrize(
    ("api", "kind", "release", "replacement"),
    [
        ("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", "2.7", "helm.toolkit.fluxcd.io/v2"),
        ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease", "2.8", "helm.toolkit.fluxcd.io/v2"),
        ("source.toolkit.fluxcd.io/v1beta2", "GitRepository", "2.8", "source.toolkit.fluxcd.io/v1"),
        ("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization", "2.8", "kustomize.toolkit.fluxcd.io/v1"),
        ("notification.toolkit.fluxcd.io/v1beta2", "Alert", "2.9", "notification.toolkit.fluxcd.io/v1beta3"),
        ("notification.toolkit.fluxcd.io/v1beta2", "Receiver", "2.9", "notification.toolkit.fluxcd.io/v1"),
    ],
)
def test_flux_api_versions_removed_by_release(
    tmp_path: Path, api: str, kind: str, release: str, replacement: str
) -> None:
    f = tmp_path / "flux.yaml"
    f.write_text(
        f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: a, namespace: b}}\nspec: {{}}\n", "utf-8"
    )
    found = by_rule(run([f]), "schema")
    assert [(x.severity, x.line) for x in found] == [(Severity.ERROR, 1)]
    assert f"{kind} {api} was removed in Flux {release}" in found[0].message
    assert f"use {replacement}" in found[0].message and "--crd-dir" in found[0].message


@pytest.mark.parametrize("version", ["1.24", "1.38", "2.0"])
def test_kubernetes_version_outside_the_bundled_range_is_refused(
    tmp_path: Path, version: str, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["lint", str(f), "--no-cache", "--kubernetes-version", version])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "outside the bundled schemas (1.25 .. 1.37)" in err and "Traceback" not in err
