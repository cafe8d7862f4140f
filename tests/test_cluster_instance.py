"""Flux Operator entry points: a cluster whose Flux is managed by a ``FluxInstance``
(``fluxcd.controlplane.io/v1``) has no gotk-sync.yaml; the operator generates the sync source and
Kustomization from ``spec.sync`` (both named after the instance's namespace, or ``spec.sync.name``).
The Flux Operator's CRDs are not used (AGPL): the instance is read as plain YAML."""

from __future__ import annotations

from pathlib import Path

from cluster_helpers import DEPLOY, flux_ks, sync, write
from lint_helpers import run

from gitops_gen.cluster.view import build_views, entry_for_dir, find_entries


def instance(path: str, kind: str = "GitRepository", extra: str = "") -> str:
    return f"""
        apiVersion: fluxcd.controlplane.io/v1
        kind: FluxInstance
        metadata:
          name: flux
          namespace: flux-system
        spec:
          distribution:
            version: "2.x"
            registry: ghcr.io/fluxcd
          sync:
            kind: {kind}
            url: https://example.com/org/fleet.git
            ref: refs/heads/main
            path: {path}
{extra}
        """


def operator_repo(
    tmp_path: Path, kind: str = "GitRepository", extra: str = "", source: str = "flux-system"
) -> Path:
    ks = flux_ks("apps", "./apps/edge", "postBuild:\n  substitute:\n    REPLICAS: '3'\n")
    return write(
        tmp_path / "repo",
        {
            "clusters/edge/flux-system/flux-instance.yaml": instance("clusters/edge", kind, extra),
            "clusters/edge/apps.yaml": ks.replace(
                "kind: GitRepository\n    name: flux-system", f"kind: {kind}\n    name: {source}"
            ),
            "apps/edge/kustomization.yaml": "namespace: web\nresources: [deploy.yaml]\n",
            "apps/edge/deploy.yaml": DEPLOY,
            "apps/old/deploy.yaml": DEPLOY,  # listed nowhere
        },
    )


def test_flux_instance_is_an_entry_point_named_after_its_cluster_directory(tmp_path: Path) -> None:
    root = operator_repo(tmp_path)
    [entry] = find_entries(str(root))
    assert entry.name == "edge" and entry.root == str(root)
    assert entry.sync_file == str(root / "clusters/edge/flux-system/flux-instance.yaml")
    [view] = build_views([entry])
    assert not view.problems
    [deploy] = [o for o in view.objects if o.kind == "Deployment"]
    assert deploy.namespace == "web" and deploy.body["spec"]["replicas"] == 3
    assert [k.name for k in view.kustomizations if k.followed] == ["flux-system", "apps"]


def test_lint_follows_the_instance_and_reports_what_it_does_not_apply(tmp_path: Path) -> None:
    root = operator_repo(tmp_path)
    result = run([root])
    clusters = {f.cluster for f in result.findings if f.file.endswith("apps/edge/deploy.yaml")}
    assert clusters == {"edge"}
    [orphan] = [f for f in result.findings if f.rule == "not-applied"]
    assert orphan.file.endswith("apps/old/deploy.yaml")
    assert not [f for f in result.findings if f.rule == "flux-build"]


def test_oci_sync_with_its_own_name(tmp_path: Path) -> None:
    extra = "            name: fleet\n"
    root = operator_repo(tmp_path, "OCIRepository", extra, source="fleet")
    [view] = build_views(find_entries(str(root)))
    assert not view.problems
    assert [o.name for o in view.objects if o.kind == "Deployment"] == ["web"]
    assert [(k.name, k.followed) for k in view.kustomizations] == [("fleet", True), ("apps", True)]


def test_a_sync_path_not_in_the_tree_is_another_repositorys(tmp_path: Path) -> None:
    root = operator_repo(tmp_path)
    f = root / "clusters/edge/flux-system/flux-instance.yaml"
    f.write_text(f.read_text().replace("path: clusters/edge", "path: clusters/elsewhere"), encoding="utf-8")
    assert find_entries(str(root)) == []


def test_cluster_option_finds_the_instance_in_the_directory(tmp_path: Path) -> None:
    root = operator_repo(tmp_path)
    e = entry_for_dir(str(root / "clusters/edge"), str(root))
    assert e.sync_file is not None and e.sync_file.endswith("flux-instance.yaml")
    [view] = build_views([e])
    assert [o.name for o in view.objects if o.kind == "Deployment"] == ["web"]


def test_an_instance_beside_a_bootstrap_is_the_same_cluster(tmp_path: Path) -> None:
    root = operator_repo(tmp_path)
    write(root, {"clusters/edge/flux-system/gotk-sync.yaml": sync("edge")})
    [entry] = find_entries(str(root))
    assert entry.sync_file is not None and entry.sync_file.endswith("gotk-sync.yaml")
