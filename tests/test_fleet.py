"""examples/fleet: two clusters (staging, production) sharing apps of every workload kind.

What must hold for a rendered fleet: the committed output is a fresh render; every object passes
strict schema validation (Kubernetes + the upstream CRDs); every Flux Kustomization path builds with
the real `kubectl kustomize`; an overlay builds exactly what its cluster rendered alone would get;
no app manifest is copied per cluster; every hand-written manifest is reachable from its cluster's
entry point; lint finds no errors.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.lint.schema.embedded import EmbeddedValidator
from gitops_gen.render.engine import render_cluster, render_tree
from gitops_gen.render.extras import find_extras, unapplied
from gitops_gen.render.paths import derive_prefix
from gitops_gen.render.writer import check_tree
from gitops_gen.spec.loader import Specs, load_specs

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
BOOTSTRAP_STUB = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"
CLUSTERS = ("production", "staging")
CUSTOM_GROUPS = ("toolkit.fluxcd.io", "cert-manager.io", "bitnami.com", "monitoring.coreos.com")
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "CronJob", "HelmRelease", "Service", "Ingress", "ConfigMap"}


@pytest.fixture(scope="module")
def fleet(repo_root: Path) -> tuple[Specs, Path, dict[str, str]]:
    specs = load_specs(repo_root / "examples/fleet/specs")
    out = repo_root / "examples/fleet/output"
    return specs, out, render_tree(specs, derive_prefix(out), find_extras(out))


@pytest.fixture(scope="module")
def built_repo(fleet: tuple[Specs, Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed fleet output in a scratch repository, with bootstrap's file stood in for."""
    _, out, _ = fleet
    repo = tmp_path_factory.mktemp("repo")
    shutil.copytree(out, repo / "examples/fleet/output")
    for cluster in CLUSTERS:
        stub = repo / f"examples/fleet/output/clusters/{cluster}/flux-system/gotk-components.yaml"
        stub.write_text(BOOTSTRAP_STUB)
    return repo


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def _build(path: Path) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [KUBECTL or "kubectl", "kustomize", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"kubectl kustomize {path} failed:\n{proc.stderr}"
    return _docs(proc.stdout)


def _key(doc: dict[str, Any]) -> tuple[str, str, str]:
    meta = doc.get("metadata") or {}
    return (doc["kind"], meta.get("namespace", ""), meta["name"])


def test_specs_describe_two_clusters_sharing_every_workload_kind(
    fleet: tuple[Specs, Path, dict[str, str]],
) -> None:
    specs, _, _ = fleet
    assert [p.metadata.name for p in specs.platforms] == list(CLUSTERS)
    kinds = {a.spec.workload for a in specs.apps}
    assert kinds == {"web", "worker", "cronjob", "statefulset", "helm"}
    for cluster in CLUSTERS:
        assert {a.metadata.name for a in specs.cluster_apps[cluster]} == {a.metadata.name for a in specs.apps}
    helm = next(a for a in specs.apps if a.spec.workload == "helm")
    assert helm.spec.chart is not None and helm.spec.chart.repository.startswith("oci://")


def test_committed_output_is_a_fresh_render(fleet: tuple[Specs, Path, dict[str, str]]) -> None:
    _, out, files = fleet
    report = check_tree(out, files)
    assert report.clean, (
        f"examples/fleet/output is stale: {report}; run "
        "`gitops-gen render --specs examples/fleet/specs --out examples/fleet/output`"
    )


def test_every_object_passes_strict_schemas(
    fleet: tuple[Specs, Path, dict[str, str]], shared_dir: Path
) -> None:
    specs, out, files = fleet
    validator = EmbeddedValidator(
        kubernetes_version=specs.platform.spec.kubernetesVersion, crd_dirs=[shared_dir / "crds"]
    )
    texts = dict(files)
    for directory, names in find_extras(out).items():
        for name in names:
            texts[f"{directory}/{name}"] = (out / directory / name).read_text()
    seen: set[str] = set()
    for rel, text in sorted(texts.items()):
        if rel.endswith("kustomization.yaml"):
            continue
        for body in _docs(text):
            assert validator.has_schema(body["apiVersion"], body["kind"]), (rel, body["kind"])
            assert validator.validate(body) == [], f"{rel} {body['kind']}"
            seen.add(body["kind"])
    assert {"StatefulSet", "CronJob", "OCIRepository", "SealedSecret", "ConfigMap", "HelmRelease"} <= seen
    # the overlay patches are objects too once applied: checked by the build tests below


@needs_kubectl
def test_every_flux_kustomization_path_builds(
    fleet: tuple[Specs, Path, dict[str, str]], built_repo: Path
) -> None:
    _, _, files = fleet
    paths: dict[tuple[str, str], str] = {}
    for rel, text in files.items():
        if rel.startswith("clusters/") and not rel.endswith("kustomization.yaml"):
            for doc in _docs(text):
                if doc["apiVersion"].startswith("kustomize.toolkit.fluxcd.io/"):
                    paths[(rel.split("/")[1], doc["metadata"]["name"])] = doc["spec"]["path"]
    assert set(paths) >= {(c, n) for c in CLUSTERS for n in ("flux-system", "infra-controllers", "apps")}
    assert ("production", "infra-extras") in paths  # production has a cluster-wide SealedSecret
    for (_cluster, name), path in sorted(paths.items()):
        assert path.startswith("./examples/fleet/output/"), path
        objects = _build(built_repo / path)
        if name == "apps":
            kinds = {d["kind"] for d in objects}
            assert {
                "Deployment",
                "StatefulSet",
                "CronJob",
                "HelmRelease",
                "OCIRepository",
                "SealedSecret",
            } <= kinds
            assert all(d.get("metadata", {}).get("namespace") for d in objects if d["kind"] != "Namespace")


@needs_kubectl
def test_each_overlay_builds_what_its_cluster_alone_renders(
    fleet: tuple[Specs, Path, dict[str, str]], built_repo: Path
) -> None:
    """The bases and patches are a faithful factoring: no override is lost or leaks to the other cluster."""
    specs, out, _ = fleet
    extras = find_extras(out)
    root = built_repo / "examples/fleet/output"
    for platform in specs.platforms:
        cluster = platform.metadata.name
        alone = render_cluster(specs, platform, "", extras)
        scratch = built_repo / f"alone-{cluster}"
        for rel, text in alone.items():
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            (scratch / rel).write_text(text)
        for directory, names in extras.items():
            for name in names:
                (scratch / directory).mkdir(parents=True, exist_ok=True)
                shutil.copy(out / directory / name, scratch / directory / name)
        for overlay, single in (
            (f"apps/{cluster}", f"apps/{cluster}"),
            (f"infrastructure/{cluster}/controllers", "infrastructure/controllers"),
            (f"infrastructure/{cluster}/configs", "infrastructure/configs"),
        ):
            got = {_key(d): d for d in _build(root / overlay)}
            want = {_key(d): d for d in _build(scratch / single)}
            assert sorted(got) == sorted(want), overlay
            for key in want:
                assert got[key] == want[key], (overlay, key)


def test_no_app_manifest_is_copied_per_cluster(fleet: tuple[Specs, Path, dict[str, str]]) -> None:
    _, _, files = fleet
    for rel, text in files.items():
        parts = rel.split("/")
        if parts[0] == "apps" and parts[1] in CLUSTERS and not rel.endswith("kustomization.yaml"):
            kinds = {d["kind"] for d in _docs(text)}
            assert not kinds & WORKLOAD_KINDS, (
                f"{rel} copies {kinds & WORKLOAD_KINDS}; overlays must patch the base"
            )
    for cluster in CLUSTERS:
        overlay = yaml.safe_load(files[f"apps/{cluster}/shop/kustomization.yaml"])
        assert "../../base/shop" in overlay["resources"]
    # the overrides are patches: staging's tag and host, production's resources
    assert "2.4.0-rc.1" in files["apps/staging/shop/kustomization.yaml"]
    assert "shop.staging.example.com" in files["apps/staging/shop/kustomization.yaml"]
    assert "2.4.0-rc.1" not in files["apps/base/shop/deployment.yaml"]


@needs_kubectl
def test_every_hand_written_manifest_is_reachable_from_its_cluster(
    fleet: tuple[Specs, Path, dict[str, str]], built_repo: Path
) -> None:
    _, out, files = fleet
    assert unapplied(out, files) == []
    root = built_repo / "examples/fleet/output"
    extras = find_extras(out)
    assert len([n for names in extras.values() for n in names]) == 9
    for directory, names in extras.items():
        cluster = directory.split("/")[1]
        # from the cluster's entry point: the Flux Kustomizations in clusters/<cluster>/*.yaml
        built: set[tuple[str, str, str]] = set()
        for rel, text in files.items():
            if rel.startswith(f"clusters/{cluster}/") and rel.count("/") == 2 and "kustomization" not in rel:
                for doc in _docs(text):
                    path = doc["spec"]["path"].removeprefix("./examples/fleet/output/")
                    built |= {_key(d) for d in _build(root / path)}
        for name in names:
            for doc in _docs((out / directory / name).read_text()):
                assert _key(doc) in built, f"{directory}/{name} is not applied on cluster {cluster}"


def test_lint_passes_the_rendered_fleet(repo_root: Path, shared_dir: Path) -> None:
    from lint_helpers import run

    from gitops_gen.lint.model import Severity

    result = run([repo_root / "examples/fleet/output"], crd_dirs=[shared_dir / "crds"])
    # no warning either: every Secret the apps use has its SealedSecret among the hand-written extras
    assert [f for f in result.findings if f.severity >= Severity.WARNING] == []


def test_staging_ingress_and_issuer_follow_traefik(fleet: tuple[Specs, Path, dict[str, str]]) -> None:
    _, _, files = fleet
    # staging has no ingress-nginx: K3s's Traefik serves its Ingresses and the HTTP-01 challenges
    staging = files["infrastructure/staging/configs/kustomization.yaml"]
    assert "ingressClassName: traefik" in (
        files.get("infrastructure/staging/configs/cluster-issuer.yaml") or staging
    )
    assert "value: traefik" in files["apps/staging/shop/kustomization.yaml"]
    assert "ingressClassName: nginx" in files["apps/base/shop/ingress.yaml"]


def test_fleet_specs_validate_against_the_committed_json_schema(repo_root: Path) -> None:
    import json

    import jsonschema

    schema = json.loads((repo_root / "specs/schema.json").read_text())
    files = sorted((repo_root / "examples/fleet/specs").rglob("*.yaml"))
    assert len(files) == 7
    for path in files:
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=../../../../specs/schema.json\n"), path
        for doc in yaml.safe_load_all(text):
            jsonschema.validate(doc, schema)
