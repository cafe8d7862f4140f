"""Rule ``flux-refs``: dependsOn targets and cycles, sources, Kustomization paths."""

from __future__ import annotations

from pathlib import Path

from rules_helpers import FIXTURES, fixture, only, resources_of, run

from gitops_gen.lint.model import LintOptions, Severity

ROOT = FIXTURES / "flux-refs"


def test_missing_dependency_and_cycle_reported_once() -> None:
    found = fixture("flux-refs", "bad-depends.yaml", LintOptions(repo_root=ROOT))
    f = only(found, contains="dependsOn cycle")
    assert f.severity == Severity.ERROR and f.ref == "Kustomization/flux-system/a"
    assert "a -> b -> c -> a" in f.message and f.path == ("spec", "dependsOn")
    f = only(found, contains="infra-controlers does not exist")
    assert f.severity == Severity.ERROR and f.path == ("spec", "dependsOn", 1)
    assert len(found) == 2


def test_sources_and_path() -> None:
    found = fixture("flux-refs", "bad-sources.yaml", LintOptions(repo_root=ROOT))
    f = only(found, contains="GitRepository tenants/tenant-b does not exist")
    assert f.severity == Severity.ERROR and f.path == ("spec", "sourceRef", "name")
    f = only(found, contains="HelmRepository podinfo/podinfo")
    assert f.severity == Severity.WARNING and f.path == ("spec", "chart", "spec", "sourceRef", "name")
    f = only(found, contains="OCIRepository cert-manager/cert-manager")
    assert f.severity == Severity.WARNING and f.path == ("spec", "chartRef", "name")
    f = only(found, contains="spec.path './apps/prodution' does not exist")
    assert f.severity == Severity.ERROR and f.path == ("spec", "path")
    assert len(found) == 4


def test_good_fixture() -> None:
    assert fixture("flux-refs", "good.yaml", LintOptions(repo_root=ROOT)) == []


def test_path_unchecked_without_repo_root_or_other_source() -> None:
    found = fixture("flux-refs", "bad-sources.yaml", LintOptions(repo_root=None))
    assert not any("spec.path" in f.message for f in found)


def test_path_found_from_a_nested_repository(tmp_path: Path) -> None:
    repo = tmp_path / "corpus" / "some-repo"
    (repo / "apps" / "prod").mkdir(parents=True)
    (repo / "clusters").mkdir()
    ks = repo / "clusters" / "apps.yaml"
    ks.write_text("""
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {path: ./apps/prod, sourceRef: {kind: GitRepository, name: flux-system}}
""")
    resources = resources_of(ks.read_text(), str(ks))
    assert run("flux-refs", resources, LintOptions(repo_root=tmp_path)) == []
    ks.write_text(ks.read_text().replace("./apps/prod", "./apps/staging"))
    resources = resources_of(ks.read_text(), str(ks))
    assert len(run("flux-refs", resources, LintOptions(repo_root=tmp_path))) == 1


def test_namespace_less_objects_match_any_namespace() -> None:
    text = """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app}
spec:
  dependsOn: [{name: db, namespace: data}]
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: db}
spec:
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
"""
    assert run("flux-refs", resources_of(text)) == []


def test_helmrelease_cycle_and_self_dependency() -> None:
    text = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: x, namespace: n}
spec: {dependsOn: [{name: x}], chartRef: {kind: OCIRepository, name: x}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: x, namespace: n}
spec: {url: oci://example.com/x}
"""
    found = run("flux-refs", resources_of(text))
    assert [f.message for f in found] == ["dependsOn cycle: x -> x; none of them will ever reconcile"]


def test_kustomize_config_kustomization_ignored() -> None:
    text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    assert run("flux-refs", resources_of(text)) == []
