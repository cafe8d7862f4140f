"""Flux Operator entry points installed through the ``flux-instance`` Helm chart (the home-ops
layout: ``kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml``): the release's
``values.instance.sync`` becomes the FluxInstance's ``spec.sync``, so the cluster starts at
``values.instance.sync.path``. The source and Kustomization the operator creates are named
``sync.name``, else the release namespace (``spec.targetNamespace``, else the release's own)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cluster_helpers import DEPLOY, flux_ks, sync, write
from lint_helpers import SHARED, run

from gitops_gen.cluster.view import build_views, entry_for_dir, find_entries, release_sync
from gitops_gen.lint.engine import LintResult
from gitops_gen.lint.model import Severity

OCI_CHART = """
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata:
      name: flux-instance
    spec:
      interval: 15m
      ref:
        tag: 0.58.1
      url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance
    """


def release(
    sync_values: str, chart: str = "chartRef:\n  kind: OCIRepository\n  name: flux-instance\n"
) -> str:
    head = textwrap.dedent(
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata:
          name: flux-instance
        spec:
          interval: 30m
        """
    ).lstrip("\n")
    values = "values:\n  instance:\n    distribution:\n      version: 2.x\n    sync:\n"
    values += textwrap.indent(textwrap.dedent(sync_values).lstrip("\n"), "      ")
    return head + textwrap.indent(chart + values, "  ")


SYNC = """
    kind: GitRepository
    url: https://example.com/org/home-ops.git
    ref: refs/heads/main
    path: kubernetes/flux/cluster
    """

SETTINGS = """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cluster-settings
      namespace: flux-system
    data:
      REPLICAS: "2"
    """


def home_ops(tmp_path: Path, sync_values: str = SYNC, chart: str | None = None) -> Path:
    """One cluster: the sync path holds the apps Kustomization and the settings its apps substitute;
    the release that installs the instance is one of the apps."""
    hr = release(sync_values) if chart is None else release(sync_values, chart)
    subst = "postBuild:\n  substituteFrom:\n    - kind: ConfigMap\n      name: cluster-settings\n"
    return write(
        tmp_path / "home-ops",
        {
            "kubernetes/flux/cluster/ks.yaml": flux_ks("cluster-apps", "./kubernetes/apps"),
            "kubernetes/flux/cluster/settings.yaml": SETTINGS,
            "kubernetes/apps/kustomization.yaml": "resources:\n"
            "  - ./flux-system/flux-instance/ks.yaml\n  - ./web/ks.yaml\n",
            "kubernetes/apps/flux-system/flux-instance/ks.yaml": flux_ks(
                "flux-instance",
                "./kubernetes/apps/flux-system/flux-instance/app",
                "targetNamespace: flux-system\n",
            ),
            "kubernetes/apps/flux-system/flux-instance/app/kustomization.yaml": "resources:\n"
            "  - ./ocirepository.yaml\n  - ./helmrelease.yaml\n",
            "kubernetes/apps/flux-system/flux-instance/app/ocirepository.yaml": OCI_CHART,
            "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml": hr,
            "kubernetes/apps/web/ks.yaml": flux_ks(
                "web", "./kubernetes/apps/web/app", "targetNamespace: web\n" + subst
            ),
            "kubernetes/apps/web/app/deploy.yaml": DEPLOY,
            "kubernetes/apps/old/deploy.yaml": DEPLOY,  # listed nowhere
        },
    )


def test_the_release_is_an_entry_point_named_after_the_directory_it_syncs(tmp_path: Path) -> None:
    root = home_ops(tmp_path)
    [entry] = find_entries(str(root))
    assert entry.name == "cluster" and entry.root == str(root)
    assert entry.directory == str(root / "kubernetes/flux/cluster")
    assert entry.sync_file == str(root / "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml")
    # --cluster on the synced directory names the same cluster
    assert entry_for_dir(entry.directory, str(root)).name == entry.name
    [view] = build_views([entry])
    assert not view.problems
    assert [(k.namespace, k.name) for k in view.kustomizations if k.followed] == [
        ("flux-system", "flux-system"),
        ("flux-system", "cluster-apps"),
        ("flux-system", "flux-instance"),
        ("flux-system", "web"),
    ]
    [deploy] = [o for o in view.objects if o.kind == "Deployment"]
    # the namespace of the web Kustomization, REPLICAS from the cluster-settings ConfigMap
    assert deploy.namespace == "web" and deploy.body["spec"]["replicas"] == 2


def test_lint_follows_the_release_and_reports_what_it_does_not_apply(tmp_path: Path) -> None:
    root = home_ops(tmp_path)
    result = run([root])
    live = [f for f in result.findings if f.file.endswith("apps/web/app/deploy.yaml")]
    assert live and {f.cluster for f in live} == {"cluster"}
    assert all(f.resource == "Deployment/web/web" for f in live)
    [orphan] = [f for f in result.findings if f.rule == "not-applied"]
    assert orphan.file.endswith("apps/old/deploy.yaml")
    assert not [
        f for f in result.findings if str(f.severity) == "error" and f.rule in ("flux-build", "schema")
    ]


def test_sync_name_and_target_namespace_name_the_source(tmp_path: Path) -> None:
    """A HelmRepository chart, installed into ``flux-ops`` by ``spec.targetNamespace``, syncing as
    ``home``: the apps Kustomization must name that source to be followed."""
    chart = (
        "targetNamespace: flux-ops\n"
        "chart:\n  spec:\n    chart: flux-instance\n    sourceRef:\n      kind: HelmRepository\n"
        "      name: controlplane\n"
    )
    root = home_ops(tmp_path, SYNC + "name: home\n", chart)
    ks = root / "kubernetes/flux/cluster/ks.yaml"
    ref = "    kind: GitRepository\n    name: "
    ks.write_text(
        ks.read_text().replace(ref + "flux-system", ref + "home\n    namespace: flux-ops"), encoding="utf-8"
    )
    [view] = build_views(find_entries(str(root)))
    first, apps = view.kustomizations[:2]
    assert (first.namespace, first.name, first.path) == ("flux-ops", "home", "kubernetes/flux/cluster")
    assert apps.name == "cluster-apps" and apps.followed


def test_the_source_is_only_this_repository_under_the_operators_name(tmp_path: Path) -> None:
    """Without ``sync.name`` the operator's GitRepository is named after the namespace: a
    Kustomization naming another source is not followed."""
    root = home_ops(tmp_path, SYNC + "name: home\n")
    [view] = build_views(find_entries(str(root)))
    apps = next(k for k in view.kustomizations if k.name == "cluster-apps")
    assert not apps.followed and "not this repository" in apps.reason


def test_what_the_chart_would_not_sync_is_no_entry_point(tmp_path: Path) -> None:
    # no url: the chart writes no spec.sync
    root = home_ops(tmp_path / "a", SYNC.replace("url: https://example.com/org/home-ops.git", 'url: ""'))
    assert find_entries(str(root)) == []
    # a path not in the tree: another repository's
    root = home_ops(tmp_path / "b", SYNC.replace("kubernetes/flux/cluster", "clusters/other"))
    assert find_entries(str(root)) == []
    # another chart with an `instance.sync` value
    other = "chart:\n  spec:\n    chart: podinfo\n    sourceRef:\n      kind: HelmRepository\n      name: p\n"
    root = home_ops(tmp_path / "c", SYNC, other)
    assert find_entries(str(root)) == []


def test_release_sync_reads_the_chart_values() -> None:
    body = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "flux", "namespace": "flux-system"},
        "spec": {
            "chart": {"spec": {"chart": "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-instance"}},
            "values": {
                "instance": {"sync": {"url": "oci://r/fleet", "path": "./c", "kind": "OCIRepository"}}
            },
        },
    }
    assert release_sync(body) == (
        "flux-system",
        {"kind": "OCIRepository", "url": "oci://r/fleet", "path": "./c"},
    )
    body["spec"]["values"]["instance"]["sync"]["kind"] = "HelmRepository"  # type: ignore[index]
    assert release_sync(body) is None


def test_a_release_syncing_a_bootstrapped_directory_is_that_cluster(tmp_path: Path) -> None:
    root = home_ops(tmp_path)
    gotk = sync("x").replace("./clusters/x", "./kubernetes/flux/cluster")
    write(root, {"kubernetes/flux/cluster/flux-system/gotk-sync.yaml": gotk})
    [entry] = find_entries(str(root))
    assert entry.sync_file is not None and entry.sync_file.endswith("gotk-sync.yaml")


HOME_OPS = SHARED / "corpus" / "bjw-s-labs__home-ops"
# kustomize generator inputs of home-ops that the YAML-only corpus does not hold (they are in the
# upstream repository): the only Kustomizations that cannot be built
NOT_IN_CORPUS = {
    "envoy-gateway-gateway": "block-user-agents.lua",
    "searxng": "limiter.toml",
    "webhook": "radarr-pushover.sh",
}


@pytest.mark.slow
def test_home_ops_lints_per_cluster_with_no_false_error() -> None:
    if not HOME_OPS.is_dir():
        pytest.skip("reference corpus is absent")
    [entry] = find_entries(str(HOME_OPS))
    assert entry.name == "cluster" and entry.sync_file is not None
    assert entry.sync_file.endswith("kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml")
    [view] = build_views([entry])
    unbuilt = {k.name: k.reason for k in view.kustomizations if not k.followed}
    assert set(unbuilt) == set(NOT_IN_CORPUS)
    assert all(NOT_IN_CORPUS[n] in r and "cannot read" in r for n, r in unbuilt.items())
    assert len(view.kustomizations) == 94 and len(view.objects) > 550
    assert all(p.severity == "error" and "cannot be built" in p.message for p in view.problems)

    def errors(result: LintResult) -> set[tuple[str, str, int]]:
        return {(f.rule, f.file, f.line) for f in result.findings if f.severity == Severity.ERROR}

    per_cluster, plain = run([HOME_OPS], jobs=2), run([HOME_OPS], jobs=2, plain=True)
    assert {f.cluster for f in per_cluster.findings if f.cluster} == {"cluster"}
    built = {e for e in errors(per_cluster) if e[0] != "flux-build"}
    # the same true errors as file by file (a component's `${APP}` now substituted), plus the three
    assert built == errors(plain) and len(built) >= 20
    assert len(errors(per_cluster) - built) == 3


def test_a_chart_ref_under_another_name_is_known_by_the_instance_values(tmp_path: Path) -> None:
    chart = "chartRef:\n  kind: OCIRepository\n  name: operator-sync\n"
    root = home_ops(tmp_path, SYNC, chart)
    [entry] = find_entries(str(root))
    assert entry.name == "cluster"
    # without the chart's distribution values, such a release is some other chart's
    hr = root / "kubernetes/apps/flux-system/flux-instance/app/helmrelease.yaml"
    hr.write_text(hr.read_text().replace("distribution:\n        version: 2.x\n", ""), encoding="utf-8")
    assert find_entries(str(root)) == []
