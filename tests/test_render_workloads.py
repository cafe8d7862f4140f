"""What each workload kind renders (render/workloads.py), on the examples/fleet apps and small specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.render.engine import render_cluster
from gitops_gen.spec.loader import Specs, load_specs


@pytest.fixture(scope="module")
def clusters(repo_root: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """cluster -> file -> objects, each cluster rendered on its own."""
    specs: Specs = load_specs(repo_root / "examples/fleet/specs")
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for platform in specs.platforms:
        files = render_cluster(specs, platform, "", {})
        out[platform.metadata.name] = {
            rel: [d for d in yaml.safe_load_all(text) if d] for rel, text in files.items()
        }
    return out


def _one(files: dict[str, list[dict[str, Any]]], rel: str) -> dict[str, Any]:
    (doc,) = files[rel]
    return doc


def test_worker_has_no_service_no_port_and_an_exec_liveness(clusters: dict[str, Any]) -> None:
    prod = clusters["production"]
    assert not any(rel.startswith("apps/production/queue-worker/service") for rel in prod)
    pod = _one(prod, "apps/production/queue-worker/deployment.yaml")["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert "ports" not in c
    assert c["livenessProbe"]["exec"]["command"] == ["test", "-f", "/tmp/heartbeat"]
    # readiness gates rollouts on the same check, without liveness's tolerance
    assert c["readinessProbe"]["exec"] == c["livenessProbe"]["exec"]
    assert c["readinessProbe"]["failureThreshold"] == 1 < c["livenessProbe"]["failureThreshold"]
    assert c["command"] == ["/app/worker"] and c["args"] == ["--queues", "orders,emails"]
    assert c["envFrom"] == [
        {"secretRef": {"name": "queue-credentials"}},
        {"prefix": "FLAG_", "configMapRef": {"name": "shop-flags"}},
    ]


def test_pods_spread_over_nodes_only_where_there_are_several(clusters: dict[str, Any]) -> None:
    for cluster, spread in (("production", True), ("staging", False)):
        pod = _one(clusters[cluster], f"apps/{cluster}/queue-worker/deployment.yaml")["spec"]["template"][
            "spec"
        ]
        assert ("topologySpreadConstraints" in pod) is spread
    pod = _one(clusters["production"], "apps/production/queue-worker/deployment.yaml")["spec"]["template"][
        "spec"
    ]
    (tsc,) = pod["topologySpreadConstraints"]
    assert tsc["topologyKey"] == "kubernetes.io/hostname" and tsc["whenUnsatisfiable"] == "ScheduleAnyway"


def test_cronjob(clusters: dict[str, Any]) -> None:
    cj = _one(clusters["staging"], "apps/staging/nightly-report/cronjob.yaml")
    assert cj["apiVersion"] == "batch/v1"
    spec = cj["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == (
        "30 2 * * *",
        "Europe/Paris",
        "Forbid",
    )
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 3600
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 1
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "OnFailure"
    (c,) = pod["containers"]
    assert not {"livenessProbe", "readinessProbe", "ports"} & set(c)
    assert c["securityContext"]["allowPrivilegeEscalation"] is False


def test_statefulset_has_claims_and_a_headless_service(clusters: dict[str, Any]) -> None:
    files = clusters["staging"]
    sts = _one(files, "apps/staging/cache/statefulset.yaml")["spec"]
    assert sts["serviceName"] == "cache"
    (claim,) = sts["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"
    (c,) = sts["template"]["spec"]["containers"]
    assert {"name": "data", "mountPath": "/data"} in c["volumeMounts"]
    assert "volumes" not in sts["template"]["spec"]  # the claims are the volumes
    svc = _one(files, "apps/staging/cache/service.yaml")["spec"]
    assert svc["clusterIP"] == "None"
    assert sts["template"]["spec"]["securityContext"]["fsGroup"] == 999


def test_config_files_are_a_configmap_whose_checksum_rolls_the_pods(repo_root: Path, tmp_path: Path) -> None:
    specs = load_specs(repo_root / "examples/fleet/specs")
    files = render_cluster(specs, specs.platforms[0], "", {})
    cm = yaml.safe_load(files["apps/production/shop/configmap.yaml"])
    assert cm["metadata"]["name"] == "shop-config" and "currency: EUR" in cm["data"]["shop.yaml"]
    dep = yaml.safe_load(files["apps/production/shop/deployment.yaml"])
    checksum = dep["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    kust = yaml.safe_load(files["apps/production/shop/kustomization.yaml"])["resources"]
    assert kust.index("configmap.yaml") < kust.index("deployment.yaml")
    # another file content gives another checksum
    shop = (repo_root / "examples/fleet/specs/apps/shop.yaml").read_text().replace("EUR", "USD")
    copy = tmp_path / "specs"
    for p in (repo_root / "examples/fleet/specs").rglob("*.yaml"):
        (copy / p.relative_to(repo_root / "examples/fleet/specs")).parent.mkdir(parents=True, exist_ok=True)
        (copy / p.relative_to(repo_root / "examples/fleet/specs")).write_text(p.read_text())
    (copy / "apps/shop.yaml").write_text(shop)
    again = load_specs(copy)
    dep2 = yaml.safe_load(
        render_cluster(again, again.platforms[0], "", {})["apps/production/shop/deployment.yaml"]
    )
    assert dep2["spec"]["template"]["metadata"]["annotations"]["checksum/config"] != checksum


def test_helm_app_from_oci(clusters: dict[str, Any]) -> None:
    files = clusters["production"]
    repo = _one(files, "apps/production/podinfo/repository.yaml")
    assert repo["kind"] == "OCIRepository"
    assert repo["spec"]["url"] == "oci://ghcr.io/stefanprodan/charts/podinfo"
    assert repo["spec"]["ref"] == {"tag": "6.9.2"}
    release = _one(files, "apps/production/podinfo/release.yaml")["spec"]
    assert release["chartRef"] == {"kind": "OCIRepository", "name": "podinfo", "namespace": "podinfo"}
    assert release["valuesFrom"][0]["name"] == "podinfo-values"
    ns = _one(files, "apps/production/podinfo/namespace.yaml")
    assert ns["metadata"]["labels"] == {"pod-security.kubernetes.io/warn": "restricted"}


def test_default_probes_are_not_identical_liveness_and_readiness(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "platform.yaml").write_text(
        "apiVersion: gitops-gen/v1\nkind: Platform\nmetadata: {name: p}\n"
        "spec: {git: {url: 'https://example.com/r'}}\n"
    )
    (tmp_path / "apps/a.yaml").write_text(
        "apiVersion: gitops-gen/v1\nkind: App\nmetadata: {name: a}\nspec:\n  image: x/a:1.0.0\n"
        "  resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}\n"
        "  persistence: [{name: data, mountPath: /data, size: 1Gi}]\n"
    )
    specs = load_specs(tmp_path)
    files = render_cluster(specs, specs.platform, "", {})
    dep = yaml.safe_load(files["apps/p/a/deployment.yaml"])
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    live, ready = c["livenessProbe"], c["readinessProbe"]
    assert (
        live["failureThreshold"] * live["periodSeconds"] > ready["failureThreshold"] * ready["periodSeconds"]
    )
    # a ReadWriteOnce volume cannot be mounted by a surge pod on another node
    assert dep["spec"]["strategy"] == {"type": "Recreate"}
    pvc = yaml.safe_load(files["apps/p/a/pvc-data.yaml"])
    assert pvc["metadata"]["name"] == "a-data"
