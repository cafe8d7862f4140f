"""Hand-written manifests in extras/ directories are listed in the generated kustomizations (so Flux
applies them, before what needs them) and render reports hand-written files nothing applies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops_gen.render.api import run_render
from gitops_gen.render.engine import render_tree
from gitops_gen.render.extras import find_extras, unapplied
from gitops_gen.spec.loader import load_specs

KUBECTL = shutil.which("kubectl")
SEALED = (
    "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
    "spec:\n  encryptedData:\n    token: FAKE\n"
)


def test_bundled_example_places_the_seed_secrets_where_flux_applies_them(repo_root: Path) -> None:
    out = repo_root / "output"
    extras = find_extras(out)
    assert extras == {
        "apps/vps/lingua-app/extras": ("ghcr-creds.yaml",),
        "clusters/vps/extras": ("grafana-admin.yaml",),
    }
    files = render_tree(load_specs(repo_root / "specs"), "output", extras)
    app = yaml.safe_load(files["apps/vps/lingua-app/kustomization.yaml"])["resources"]
    # the pull secret comes after the Namespace it lives in and before the Deployment that pulls with it
    assert app.index("namespace.yaml") < app.index("extras/ghcr-creds.yaml") < app.index("deployment.yaml")
    cluster = yaml.safe_load(files["clusters/vps/extras/kustomization.yaml"])["resources"]
    assert cluster == ["grafana-admin.yaml"]
    docs = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(files["clusters/vps/infrastructure.yaml"]) if d
    }
    assert docs["infra-extras"]["spec"]["path"] == "./output/clusters/vps/extras"
    assert "dependsOn" not in docs["infra-extras"]["spec"]  # never deadlocked behind what waits for it
    apps = yaml.safe_load(files["clusters/vps/apps.yaml"])
    assert {d["name"] for d in apps["spec"]["dependsOn"]} == {"infra-configs", "infra-extras"}
    assert unapplied(out, files) == []
    # the committed secrets are sealed, never plain Secrets
    for rel in ("apps/vps/lingua-app/extras/ghcr-creds.yaml", "clusters/vps/extras/grafana-admin.yaml"):
        doc = yaml.safe_load((out / rel).read_text())
        assert doc["kind"] == "SealedSecret" and "FAKE" in str(doc["spec"]["encryptedData"])


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (needed for `kubectl kustomize`)")
def test_extras_are_in_what_kubectl_kustomize_builds(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(repo_root / "output", out)
    files = render_tree(load_specs(repo_root / "specs"), "", find_extras(out))
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    built: dict[str, list[tuple[str, str]]] = {}
    for path in ("apps/vps", "clusters/vps/extras"):
        proc = subprocess.run(
            [KUBECTL or "kubectl", "kustomize", str(out / path)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
        built[path] = [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(proc.stdout) if d]
    assert ("SealedSecret", "ghcr-creds") in built["apps/vps"]
    assert built["clusters/vps/extras"] == [("SealedSecret", "grafana-admin")]


def test_render_lists_new_extras_and_reports_a_file_nothing_applies(
    repo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    specs = repo_root / "specs"
    assert run_render(specs, out) == 0
    (out / "apps/vps/lingua-app/extras").mkdir()
    (out / "apps/vps/lingua-app/extras/db.yaml").write_text(SEALED.format(name="db", ns="lingua-app"))
    (out / "apps/vps/lingua-app/extras/notes.txt").write_text("not a manifest\n")
    (out / "apps/vps/lingua-app/stray.yaml").write_text(SEALED.format(name="stray", ns="lingua-app"))
    (out / "infrastructure/extras").mkdir()
    (out / "infrastructure/extras/lost.yaml").write_text(SEALED.format(name="lost", ns="default"))
    capsys.readouterr()
    assert run_render(specs, out) == 0
    captured = capsys.readouterr()
    kust = yaml.safe_load((out / "apps/vps/lingua-app/kustomization.yaml").read_text())["resources"]
    assert "extras/db.yaml" in kust and "extras/notes.txt" not in kust
    assert "apps/vps/lingua-app/stray.yaml: warning: hand-written manifest" in captured.err
    assert "infrastructure/extras/lost.yaml: warning" in captured.err
    assert "db.yaml" not in captured.err
    for kept in (
        "apps/vps/lingua-app/stray.yaml",
        "infrastructure/extras/lost.yaml",
        "apps/vps/lingua-app/extras/db.yaml",
    ):
        assert (out / kept).is_file()  # reported, never deleted
    # --check agrees with what was written, and reports the same file
    assert run_render(specs, out, check=True) == 0
    assert "stray.yaml: warning" in capsys.readouterr().err


def test_find_extras_skips_generated_files_symlinks_and_misplaced_directories(tmp_path: Path) -> None:
    d = tmp_path / "apps/vps/web/extras"
    d.mkdir(parents=True)
    (d / "b.yaml").write_text(SEALED.format(name="b", ns="web"))
    (d / "a.yml").write_text(SEALED.format(name="a", ns="web"))
    (d / "kustomization.yaml").write_text("resources: []\n")
    (d / "gen.yaml").write_text("# Generated by gitops-gen from x; do not edit.\nkind: X\n")
    (d / "link.yaml").symlink_to(d / "b.yaml")
    (tmp_path / "apps/base/web/extras").mkdir(parents=True)
    (tmp_path / "apps/base/web/extras/x.yaml").write_text("kind: X\n")
    (tmp_path / "clusters/vps/extras").mkdir(parents=True)
    (tmp_path / "clusters/vps/extras/s.yaml").write_text("kind: X\n")
    assert find_extras(tmp_path) == {
        "apps/vps/web/extras": ("a.yml", "b.yaml"),
        "clusters/vps/extras": ("s.yaml",),
    }
    assert find_extras(tmp_path / "missing") == {}
