"""Every rendered object passes strict schema validation (unknown fields rejected).

Kubernetes kinds: the kubernetes-validate strict schemas of the platform spec's Kubernetes version.
Flux, cert-manager, sealed-secrets and prometheus-operator kinds: the upstream CRDs in ../shared/crds.
Validation goes through the linter's embedded validator, so render and lint agree on "valid".
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.lint.schema.embedded import EmbeddedValidator
from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs

CUSTOM_GROUPS = ("toolkit.fluxcd.io", "cert-manager.io", "bitnami.com", "monitoring.coreos.com")


def _objects(files: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for rel, text in files.items():
        for doc in yaml.safe_load_all(text):
            if doc and not str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io/"):
                out.append((rel, doc))
    return out


@pytest.fixture(scope="module")
def rendered(repo_root: Path) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    specs = load_specs(repo_root / "specs")
    return specs.platform.spec.kubernetesVersion, _objects(render_tree(specs, "output"))


def _is_custom(body: dict[str, Any]) -> bool:
    group = str(body["apiVersion"]).split("/")[0]
    return any(group.endswith(g) for g in CUSTOM_GROUPS)


def test_kubernetes_kinds_pass_strict_schemas(rendered: tuple[str, list[tuple[str, dict[str, Any]]]]) -> None:
    version, objects = rendered
    validator = EmbeddedValidator(kubernetes_version=version)
    builtin = [(rel, o) for rel, o in objects if not _is_custom(o)]
    kinds = {o["kind"] for _, o in builtin}
    assert {
        "Namespace",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    } <= kinds
    for rel, body in builtin:
        assert validator.has_schema(body["apiVersion"], body["kind"]), (rel, body["kind"])
        issues = validator.validate(body)
        assert issues == [], f"{rel} {body['kind']}: {issues}"


def test_custom_kinds_pass_the_upstream_crds(
    rendered: tuple[str, list[tuple[str, dict[str, Any]]]], shared_dir: Path
) -> None:
    version, objects = rendered
    validator = EmbeddedValidator(kubernetes_version=version, crd_dirs=[shared_dir / "crds"])
    custom = [(rel, o) for rel, o in objects if _is_custom(o)]
    kinds = {o["kind"] for _, o in custom}
    assert {"GitRepository", "Kustomization", "HelmRepository", "HelmRelease", "ClusterIssuer"} <= kinds
    for rel, body in custom:
        assert validator.has_schema(body["apiVersion"], body["kind"]), (rel, body["kind"])
        issues = validator.validate(body)
        assert issues == [], f"{rel} {body['kind']}: {issues}"


def test_the_validation_is_strict_enough_to_catch_a_rendering_mistake(
    rendered: tuple[str, list[tuple[str, dict[str, Any]]]], shared_dir: Path
) -> None:
    """Guard against a validator that accepts anything: typical template slips must be rejected."""
    version, objects = rendered
    validator = EmbeddedValidator(kubernetes_version=version, crd_dirs=[shared_dir / "crds"])
    by_kind = {o["kind"]: o for _, o in objects}
    deployment = copy.deepcopy(by_kind["Deployment"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert validator.validate(deployment)
    release = copy.deepcopy(by_kind["HelmRelease"])
    release["spec"]["install"]["crd"] = "Create"
    assert validator.validate(release)
    ks = copy.deepcopy(by_kind["Kustomization"])
    ks["spec"]["prune"] = "yes"
    assert validator.validate(ks)


def test_reference_specs_render_valid_objects_for_their_kubernetes_version(shared_dir: Path) -> None:
    specs = load_specs(shared_dir / "design" / "reference-specs")
    objects = _objects(render_tree(specs, "output"))
    validator = EmbeddedValidator(
        kubernetes_version=specs.platform.spec.kubernetesVersion, crd_dirs=[shared_dir / "crds"]
    )
    for rel, body in objects:
        assert validator.validate(body) == [], rel


@pytest.mark.parametrize("minor", ["1.25", "1.30", "1.37"])
def test_kubernetes_kinds_are_valid_for_the_version_the_spec_names(
    repo_root: Path, tmp_path: Path, minor: str
) -> None:
    """Fields that only exist in newer Kubernetes (PDB unhealthyPodEvictionPolicy) follow the version."""
    specs_dir = tmp_path / "specs"
    (specs_dir / "apps").mkdir(parents=True)
    platform = (
        (repo_root / "specs/platform.yaml")
        .read_text()
        .replace('kubernetesVersion: "1.34"', f'kubernetesVersion: "{minor}"')
    )
    (specs_dir / "platform.yaml").write_text(platform)
    (specs_dir / "apps/lingua-app.yaml").write_text((repo_root / "specs/apps/lingua-app.yaml").read_text())
    objects = _objects(render_tree(load_specs(specs_dir), "output"))
    validator = EmbeddedValidator(kubernetes_version=minor)
    for rel, body in objects:
        if not _is_custom(body):
            assert validator.validate(body) == [], (minor, rel)
