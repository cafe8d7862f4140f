"""Every path a Flux Kustomization points at builds with the real `kubectl kustomize`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs

KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (needed for `kubectl kustomize`)"
)

# `flux bootstrap` writes the Flux controllers to flux-system/gotk-components.yaml; gitops-gen does
# not. Stand in for it with the Namespace it would contain, as a bootstrapped repository has it.
BOOTSTRAP_STUB = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"


def _write(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def _flux_paths(files: dict[str, str]) -> dict[str, str]:
    paths = {}
    for text in files.values():
        for doc in yaml.safe_load_all(text):
            if doc and doc.get("apiVersion", "").startswith("kustomize.toolkit.fluxcd.io/"):
                paths[doc["metadata"]["name"]] = doc["spec"]["path"]
    return paths


@pytest.mark.parametrize("specs_rel", ["specs", "shared"])
def test_every_flux_kustomization_path_builds(
    repo_root: Path, tmp_path: Path, specs_rel: str, request: pytest.FixtureRequest
) -> None:
    if specs_rel == "shared":
        specs_dir = request.getfixturevalue("shared_dir") / "design" / "reference-specs"
    else:
        specs_dir = repo_root / specs_rel
    files = render_tree(load_specs(specs_dir), "output")
    repo = tmp_path / "repo"
    _write(files, repo / "output")
    clusters = [
        rel.split("/")[1] for rel in files if rel.startswith("clusters/") and rel.endswith("gotk-sync.yaml")
    ]
    for cluster in clusters:
        (repo / "output/clusters" / cluster / "flux-system/gotk-components.yaml").write_text(BOOTSTRAP_STUB)
    paths = _flux_paths(files)
    assert set(paths) == {"flux-system", "infra-controllers", "infra-configs", "apps"}
    built_kinds: dict[str, set[str]] = {}
    for name, path in sorted(paths.items()):
        assert path.startswith("./output/"), path
        target = repo / path
        assert target.is_dir(), f"{name}: {path} does not exist"
        proc = subprocess.run(
            [KUBECTL or "kubectl", "kustomize", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, f"{name}: kubectl kustomize {path} failed:\n{proc.stderr}"
        built_kinds[name] = {d["kind"] for d in yaml.safe_load_all(proc.stdout) if d}
    assert {"HelmRelease", "HelmRepository", "Namespace"} <= built_kinds["infra-controllers"]
    assert built_kinds["infra-configs"] == {"ClusterIssuer"}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    } <= built_kinds["apps"]
    assert {"GitRepository", "Kustomization"} <= built_kinds["flux-system"]


def test_flux_system_directory_needs_bootstrap_and_says_so(repo_root: Path, tmp_path: Path) -> None:
    """Without gotk-components.yaml the root does not build: the rendered comment tells why."""
    files = render_tree(load_specs(repo_root / "specs"), "output")
    text = files["clusters/vps/flux-system/kustomization.yaml"]
    assert "flux bootstrap" in text
    assert "- gotk-components.yaml" in text and "- gotk-sync.yaml" in text
    assert "clusters/vps/flux-system/gotk-components.yaml" not in files
