"""Property: for random fleets (random apps of every kind, random per-cluster overrides, components,
node counts and ingress controllers), every cluster's overlays build with the real `kubectl
kustomize` into exactly what that cluster rendered alone would be, and no workload manifest is
written outside the bases."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_strategies import app_spec

from gitops_gen.render.engine import render_cluster, render_tree
from gitops_gen.spec.loader import load_specs

KUBECTL = shutil.which("kubectl")


@st.composite
def _cluster(draw: st.DrawFn, name: str, apps: list[dict[str, Any]]) -> dict[str, Any]:
    components: dict[str, Any] = {
        "certManager": {
            "version": draw(st.sampled_from(["v1.21.1", "v1.20.0"])),
            "chartSource": draw(st.sampled_from(["helm", "oci"])),
            "acme": {"email": "ops@example.com", "issuer": draw(st.sampled_from(["le-prod", "le-staging"]))},
        },
        "sealedSecrets": {"version": "2.18.5"},
    }
    if draw(st.booleans()):
        components["ingressNginx"] = {"version": "4.15.1", "replicas": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        components["monitoring"] = {"version": "88.5.3", "retention": draw(st.sampled_from(["7d", "15d"]))}
    spec: dict[str, Any] = {
        "distribution": draw(st.sampled_from(["k3s", "kubernetes"])),
        "git": {"url": "https://github.com/org/fleet"},
        "nodes": [
            {"name": f"{name}-{i}", "cpu": "8", "memory": "32Gi"} for i in range(draw(st.integers(1, 3)))
        ],
        "components": components,
    }
    if draw(st.booleans()):
        overrides: dict[str, Any] = {}
        for app in apps:
            app_spec = app["spec"]
            if not draw(st.booleans()):
                continue
            o: dict[str, Any] = {}
            if app_spec["workload"] != "helm":
                if app_spec["workload"] != "cronjob" and draw(st.booleans()):
                    o["replicas"] = draw(st.integers(1, 5))
                if draw(st.booleans()):
                    o["tag"] = draw(st.sampled_from(["3.0.0", "3.1.0-rc.1"]))
                if "ingress" in app_spec and draw(st.booleans()):
                    o["host"] = f"{name}-{app['metadata']['name']}.example.com"
                if draw(st.booleans()):
                    o["env"] = [{"name": "CLUSTER", "value": name}]
            if draw(st.integers(0, 5)) == 0:
                o = {"enabled": False}
            overrides[app["metadata"]["name"]] = o
        spec["apps"] = overrides
    return {"apiVersion": "gitops-gen/v1", "kind": "Platform", "metadata": {"name": name}, "spec": spec}


@st.composite
def _fleet(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    apps = [draw(app_spec(f"app{i}", f"app{i}.example.com")) for i in range(draw(st.integers(1, 3)))]
    clusters = [draw(_cluster(n, apps)) for n in ("alpha", "beta", "gamma")[: draw(st.integers(2, 3))]]
    return clusters, apps


def _build(path: Path) -> dict[tuple[str, str, str], Any]:
    proc = subprocess.run(
        [KUBECTL or "kubectl", "kustomize", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    return {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in docs}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.mark.slow
@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
@settings(
    max_examples=int(os.environ.get("GITOPS_GEN_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_fleet())
def test_overlays_build_what_each_cluster_renders_alone(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    clusters, apps = data
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for doc in clusters + apps:
            (root / "specs" / f"{doc['kind']}-{doc['metadata']['name']}.yaml").parent.mkdir(exist_ok=True)
            (root / "specs" / f"{doc['kind']}-{doc['metadata']['name']}.yaml").write_text(yaml.safe_dump(doc))
        specs = load_specs(root / "specs")
        files = render_tree(specs)
        _write(root / "fleet", files)
        for rel, text in files.items():
            kinds = {d["kind"] for d in yaml.safe_load_all(text) if d}
            if rel.startswith("apps/") and not rel.startswith("apps/base/"):
                assert not kinds & {"Deployment", "StatefulSet", "CronJob", "HelmRelease"}, rel
        for platform in specs.platforms:
            cluster = platform.metadata.name
            alone = root / f"alone-{cluster}"
            _write(alone, render_cluster(specs, platform, "", {}))
            for overlay, single in (
                (f"apps/{cluster}", f"apps/{cluster}"),
                (f"infrastructure/{cluster}/controllers", "infrastructure/controllers"),
                (f"infrastructure/{cluster}/configs", "infrastructure/configs"),
            ):
                assert _build(root / "fleet" / overlay) == _build(alone / single), (cluster, overlay)
