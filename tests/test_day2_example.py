"""examples/day2: the reference platform with default-deny network policies, app metrics, alerts and
Flux notifications. It renders, passes strict schemas (Kubernetes + upstream CRDs), every Flux
Kustomization path builds with the real `kubectl kustomize`, and lint is clean - with the
reachability check (rule ``netpol``) seeing the ingress -> app, Prometheus -> metrics and ACME
solver paths open under default-deny (taking any one allow away blocks its path)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.lint.model import Severity
from gitops_gen.lint.schema.embedded import EmbeddedValidator
from gitops_gen.render.engine import render_tree
from gitops_gen.render.extras import find_extras
from gitops_gen.render.writer import MARKER, write_tree
from gitops_gen.spec.loader import Specs, load_specs

KUBECTL = shutil.which("kubectl")
BOOTSTRAP_STUB = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"
APP_POLICIES = "apps/vps/lingua-app/networkpolicy.yaml"


@pytest.fixture(scope="module")
def rendered(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Specs, Path, dict[str, str]]:
    specs = load_specs(repo_root / "examples/day2/specs")
    repo = tmp_path_factory.mktemp("day2")
    shutil.copytree(repo_root / "examples/day2/extras", repo / "output")  # the hand-written SealedSecrets
    (repo / "output" / MARKER).touch()
    files = render_tree(specs, "output", find_extras(repo / "output"))
    write_tree(repo / "output", files)
    (repo / "output/clusters/vps/flux-system/gotk-components.yaml").write_text(BOOTSTRAP_STUB)
    return specs, repo, files


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def _lint(path: Path, shared_dir: Path) -> list[Any]:
    from lint_helpers import run

    return run([path], crd_dirs=[shared_dir / "crds"]).findings


def test_renders_the_day2_objects(rendered: tuple[Specs, Path, dict[str, str]]) -> None:
    _, _, files = rendered
    kinds = {(d["kind"], d.get("metadata", {}).get("name")) for t in files.values() for d in _docs(t)}
    for want in [
        ("NetworkPolicy", "default-deny"),
        ("NetworkPolicy", "allow-dns"),
        ("NetworkPolicy", "allow-acme-solver"),
        ("NetworkPolicy", "lingua-app-allow"),
        ("NetworkPolicy", "lingua-db-allow"),
        ("ServiceMonitor", "lingua-app"),
        ("PrometheusRule", "lingua-app"),
        ("PrometheusRule", "lingua-db"),
        ("Provider", "ops"),
        ("Alert", "reconciliation"),
        ("ConfigMap", "lingua-app-dashboard"),
    ]:
        assert want in kinds
    # the database namespace has no TLS ingress: no solver policy there
    db = [d["metadata"]["name"] for d in _docs(files["apps/vps/lingua-db/networkpolicy.yaml"])]
    assert "allow-acme-solver" not in db
    rules = {
        r["alert"]
        for d in _docs(files["apps/vps/lingua-db/prometheusrule.yaml"])
        for g in d["spec"]["groups"]
        for r in g["rules"]
    }
    assert rules == {
        "LinguaDbPodRestarting",
        "LinguaDbHighCPU",
        "LinguaDbMemoryNearLimit",
        "LinguaDbDiskFilling",
    }
    [board] = _docs(files["apps/vps/lingua-app/dashboard.yaml"])
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert board["metadata"]["annotations"] == {"grafana_folder": "Lingua"}
    titles = [p["title"] for p in json.loads(board["data"]["lingua-app.json"])["panels"]]
    assert titles[:2] == ["Requests/s", "Error rate (5xx)"] and "Memory (working set)" in titles
    [kps] = _docs(files["infrastructure/controllers/kube-prometheus-stack/release.yaml"])
    sidecar = kps["spec"]["values"]["grafana"]["sidecar"]["dashboards"]
    assert sidecar["label"] == "grafana_dashboard" and sidecar["folderAnnotation"] == "grafana_folder"
    assert sidecar["searchNamespace"] == "ALL"
    assert "clusters/vps/notifications.yaml" in files
    assert "notifications.yaml" in files["clusters/vps/kustomization.yaml"]


def test_the_reference_platform_renders_none_of_it(repo_root: Path) -> None:
    files = render_tree(load_specs(repo_root / "specs"), "output")
    kinds = {d["kind"] for t in files.values() for d in _docs(t)}
    assert not kinds & {
        "NetworkPolicy",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "Provider",
        "Alert",
    }


def test_every_object_passes_strict_schemas(
    rendered: tuple[Specs, Path, dict[str, str]], shared_dir: Path
) -> None:
    specs, repo, rendered_files = rendered
    files = dict(rendered_files)
    for directory, names in find_extras(repo / "output").items():
        for name in names:
            files[f"{directory}/{name}"] = (repo / "output" / directory / name).read_text()
    validator = EmbeddedValidator(
        kubernetes_version=specs.platform.spec.kubernetesVersion, crd_dirs=[shared_dir / "crds"]
    )
    seen: set[str] = set()
    for rel, text in sorted(files.items()):
        if rel.endswith("kustomization.yaml"):
            continue
        for body in _docs(text):
            assert validator.has_schema(body["apiVersion"], body["kind"]), (rel, body["kind"])
            assert validator.validate(body) == [], f"{rel} {body['kind']}"
            seen.add(body["kind"])
    assert {"NetworkPolicy", "ServiceMonitor", "PrometheusRule", "Provider", "Alert", "SealedSecret"} <= seen


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_every_flux_kustomization_path_builds(rendered: tuple[Specs, Path, dict[str, str]]) -> None:
    _, repo, files = rendered
    built: set[str] = set()
    for rel, text in files.items():
        if not rel.startswith("clusters/") or rel.endswith("kustomization.yaml"):
            continue
        for doc in _docs(text):
            if doc["apiVersion"].startswith("kustomize.toolkit.fluxcd.io/"):
                proc = subprocess.run(
                    [KUBECTL or "kubectl", "kustomize", str(repo / doc["spec"]["path"])],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                assert proc.returncode == 0, proc.stderr
                built |= {d["kind"] for d in _docs(proc.stdout)}
    assert {"NetworkPolicy", "ServiceMonitor", "PrometheusRule", "Provider", "Alert"} <= built


def test_lint_is_clean(rendered: tuple[Specs, Path, dict[str, str]], shared_dir: Path) -> None:
    _, repo, _ = rendered
    findings = _lint(repo / "output", shared_dir)
    assert [f for f in findings if f.severity >= Severity.WARNING] == []


@pytest.mark.parametrize(
    ("policy", "path"),
    [
        ("allow-acme-solver", "the ACME HTTP-01 solver of ClusterIssuer/letsencrypt-prod"),
        ("lingua-app-allow", "the ingress controller (HelmRelease/ingress-nginx/ingress-nginx)"),
    ],
)
def test_each_allow_opens_its_path(
    rendered: tuple[Specs, Path, dict[str, str]], shared_dir: Path, tmp_path: Path, policy: str, path: str
) -> None:
    """Taking one allow away under default-deny blocks exactly the paths it opened."""
    _, repo, files = rendered
    out = tmp_path / "output"
    shutil.copytree(repo / "output", out)
    kept = [d for d in _docs(files[APP_POLICIES]) if d["metadata"]["name"] != policy]
    (out / APP_POLICIES).write_text(yaml.safe_dump_all(kept, sort_keys=False))
    blocked = [f for f in _lint(out, shared_dir) if f.rule == "netpol"]
    assert blocked and all(f.severity == Severity.ERROR for f in blocked)
    assert any(path in f.message and "default-deny" in f.message for f in blocked)
    if policy == "lingua-app-allow":  # it also opened Prometheus -> metrics
        assert any("from Prometheus" in f.message and "metrics/9100" in f.message for f in blocked)


def test_alert_to_a_missing_provider(
    rendered: tuple[Specs, Path, dict[str, str]], shared_dir: Path, tmp_path: Path
) -> None:
    _, repo, files = rendered
    out = tmp_path / "output"
    shutil.copytree(repo / "output", out)
    rel = "clusters/vps/notifications.yaml"
    kept = [d for d in _docs(files[rel]) if d["kind"] != "Provider"]
    (out / rel).write_text(yaml.safe_dump_all(kept, sort_keys=False))
    found = [f for f in _lint(out, shared_dir) if f.severity >= Severity.WARNING]
    assert any(f.rule == "flux-refs" and "Provider" in f.message and "ops" in f.message for f in found), found


def test_render_is_deterministic(repo_root: Path, rendered: tuple[Specs, Path, dict[str, str]]) -> None:
    _, repo, files = rendered
    again = render_tree(load_specs(repo_root / "examples/day2/specs"), "output", find_extras(repo / "output"))
    assert again == files
