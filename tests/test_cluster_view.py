"""The cluster view (gitops_gen.cluster) and lint per cluster, on small repositories built here.

Each repository is a real Flux layout (``clusters/<name>/flux-system/gotk-sync.yaml`` and Flux
Kustomizations); the assertions are what kustomize-controller would apply and what lint reports.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from cluster_helpers import DEPLOY, flux_ks, sync, two_clusters, write
from lint_helpers import SHARED, run

from gitops_gen.capacity.nodes import resolve_cluster
from gitops_gen.cluster import envsubst
from gitops_gen.cluster.view import build_views, entry_for_dir, find_entries
from gitops_gen.k8s.loader import parse_text
from gitops_gen.lint.model import LintOptions, Severity
from gitops_gen.lint.run import RunSettings, lint_paths

FLUX_CRDS = SHARED / "crds" / "fluxcd"


def views_of(root: Path) -> dict[str, object]:
    return {v.name: v for v in build_views(find_entries(str(root)))}


# ------------------------------------------------------------------------------------ the view
def test_two_clusters_share_a_base_with_their_own_namespace_and_substitution(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    views = {v.name: v for v in build_views(find_entries(str(root)))}
    assert sorted(views) == ["production", "staging"]
    for name, ns, replicas in (("staging", "web-staging", 1), ("production", "web", 6)):
        deploy = [o for o in views[name].objects if o.kind == "Deployment"]
        assert len(deploy) == 1
        d = deploy[0]
        assert d.namespace == ns and d.body["spec"]["replicas"] == replicas  # an int, as Flux reads it back
        assert d.origin.file == str(root / "apps/base/deploy.yaml") and d.origin.line == 1
        assert not views[name].problems


def test_lint_reports_only_the_cluster_that_overflows_at_the_base_files_line(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    opts = LintOptions(kubernetes_version="1.34", cluster=resolve_cluster(None, "4Gi", "2", 1))
    result = lint_paths([root], RunSettings(options=opts, jobs=1))
    budget = [f for f in result.findings if f.rule == "memory-budget" and f.severity == Severity.ERROR]
    assert budget and {f.cluster for f in budget} == {"production"}
    assert {f.file for f in budget} == {str(root / "apps/base/deploy.yaml")}
    assert all(f.resource == "Deployment/web/web" for f in budget)
    # plain file mode sees one Deployment with an unresolved ${REPLICAS}: nothing to count
    plain = lint_paths([root], RunSettings(options=opts, jobs=1, plain=True))
    assert not [f for f in plain.findings if f.rule == "memory-budget" and f.severity == Severity.ERROR]


def test_parent_patches_supply_required_fields_of_child_kustomizations(tmp_path: Path) -> None:
    if not FLUX_CRDS.is_dir():
        pytest.skip("shared Flux CRDs are absent")
    patch = """
        patches:
          - target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}
            patch: |
              apiVersion: kustomize.toolkit.fluxcd.io/v1
              kind: Kustomization
              metadata:
                name: _
              spec:
                interval: 1h
                prune: true
                sourceRef:
                  kind: GitRepository
                  name: flux-system
                  namespace: flux-system
        """
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/apps.yaml": flux_ks("apps", "./apps", patch),
            "apps/kustomization.yaml": "resources: [web/ks.yaml]\n",
            "apps/web/ks.yaml": """
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata:
                  name: web
                  namespace: flux-system
                spec:
                  path: ./apps/web/app
                """,
            "apps/web/app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\n",
        },
    )
    result = run([root], crd_dirs=[FLUX_CRDS])
    assert [f for f in result.findings if f.rule == "schema" and f.severity == Severity.ERROR] == []
    view = views_of(root)["home"]
    assert any(o.kind == "ConfigMap" and o.name == "web" for o in view.objects)  # the child was followed
    # the same file linted as written misses sourceRef, interval and prune
    plain = run([root], crd_dirs=[FLUX_CRDS], plain=True)
    assert any(f.rule == "schema" and f.file.endswith("apps/web/ks.yaml") for f in plain.findings)


def test_target_namespace_lands_in_findings(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/apps.yaml": flux_ks("apps", "./apps", "targetNamespace: team-a\n"),
            "apps/kustomization.yaml": "namespace: ignored\nresources: [deploy.yaml]\n",
            "apps/deploy.yaml": DEPLOY.replace("${REPLICAS}", "1").replace("nginx:1.27.0", "nginx:latest"),
        },
    )
    result = run([root])
    image = [f for f in result.findings if f.rule == "image"]
    assert image and image[0].resource == "Deployment/team-a/web" and image[0].cluster == "home"
    assert image[0].file == str(root / "apps/deploy.yaml") and image[0].line > 1  # the image field's line


def test_orphan_file_is_one_not_applied_warning_and_not_linted(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    write(root, {"apps/base/old.yaml": DEPLOY.replace("${REPLICAS}", "1").replace("nginx:1.27.0", "nginx")})
    result = run([root])
    orphan = [f for f in result.findings if f.file.endswith("apps/base/old.yaml")]
    assert [(f.rule, f.severity) for f in orphan] == [("not-applied", Severity.WARNING)]
    assert "not listed in apps/base/kustomization.yaml" in orphan[0].message
    # --all-files lints it too (the mutable tag is reported, without a cluster)
    more = run([root], all_files=True)
    assert any(f.rule == "image" and f.file.endswith("old.yaml") and not f.cluster for f in more.findings)


def test_resource_outside_the_kustomization_dir_builds(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/apps.yaml": flux_ks("apps", "./apps/overlay"),
            "apps/base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n  namespace: default\n",
            "apps/overlay/kustomization.yaml": "resources: [../base/cm.yaml]\n",
        },
    )
    result = run([root])
    assert result.errors == 0
    view = views_of(root)["home"]
    assert [(o.kind, o.name) for o in view.objects if o.kind == "ConfigMap"] == [("ConfigMap", "shared")]


def test_broken_kustomization_is_an_error_at_its_line_and_others_are_still_linted(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    write(
        root,
        {
            "clusters/staging/broken.yaml": "# a Kustomization whose path is gone\n"
            + textwrap.dedent(flux_ks("broken", "./apps/gone")).lstrip("\n"),
        },
    )
    result = run([root])
    broken = [f for f in result.findings if f.rule == "flux-build"]
    assert len(broken) == 1 and broken[0].severity == Severity.ERROR and broken[0].cluster == "staging"
    assert broken[0].file == str(root / "clusters/staging/broken.yaml") and broken[0].line == 2
    assert "kustomization path not found: apps/gone" in broken[0].message
    views = views_of(root)
    assert any(o.kind == "Deployment" for o in views["staging"].objects)  # apps still built


def test_remote_base_is_a_warning_on_the_kustomization_naming_it(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/apps.yaml": flux_ks("apps", "./apps"),
            "apps/kustomization.yaml": "resources:\n  - cm.yaml\n  - https://github.com/org/repo//base?ref=v1\n",
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n",
        },
    )
    result = run([root])
    remote = [f for f in result.findings if f.rule == "remote-base"]
    assert len(remote) == 1 and remote[0].severity == Severity.WARNING
    assert remote[0].file == str(root / "apps/kustomization.yaml") and remote[0].line == 3
    assert result.errors == 0 and result.resources >= 1


def test_merge_keys_resolve_like_go_yaml() -> None:
    text = textwrap.dedent(
        """
        base: &b {a: 1, b: 2}
        other: &o {b: 3, c: 4}
        one:
          <<: *b
          a: 9
        both:
          <<: [*b, *o]
        """
    )
    body = parse_text(text).documents[0].body
    assert body["one"] == {"a": 9, "b": 2}  # a key written in the mapping wins
    assert body["both"] == {"a": 1, "b": 2, "c": 4}  # the earlier map wins
    assert parse_text("a:\n  <<: 5\n").problems  # Go YAML refuses a scalar merge


def test_merge_keys_reach_the_rules(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/apps.yaml": flux_ks("apps", "./apps"),
            "apps/deploy.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  namespace: default
                x-defaults: &res
                  requests: {cpu: 100m, memory: 64Mi}
                  limits: {memory: 64Mi}
                spec:
                  replicas: 1
                  selector:
                    matchLabels: {app: web}
                  template:
                    metadata:
                      labels: {app: web}
                    spec:
                      containers:
                        - name: web
                          image: nginx:1.27.0
                          resources:
                            <<: *res
                """,
        },
    )
    assert "<<: *res" in (root / "apps/deploy.yaml").read_text()
    result = run([root])
    assert not [f for f in result.findings if f.rule == "resources"]
    view = views_of(root)["home"]
    d = next(o for o in view.objects if o.kind == "Deployment")
    assert d.body["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"memory": "64Mi"}


def test_findings_carry_their_cluster_in_json_and_sarif(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    (root / "apps/base/deploy.yaml").write_text(
        textwrap.dedent(DEPLOY).replace("nginx:1.27.0", "nginx:latest"), encoding="utf-8"
    )
    from gitops_gen.lint.output import to_json, to_sarif, to_text

    result = run([root])
    doc = json.loads(to_json(result))
    clusters = {f.get("cluster") for f in doc["findings"] if f["rule"] == "image"}
    assert clusters == {"staging", "production"}
    sarif = json.loads(to_sarif(result))
    assert {r.get("properties", {}).get("cluster") for r in sarif["runs"][0]["results"]} >= {
        "staging",
        "production",
    }
    assert "(cluster production)" in to_text(result)


def test_explicit_files_stay_in_plain_file_mode(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    result = run([root / "apps/base/deploy.yaml"])
    assert all(not f.cluster for f in result.findings)
    assert not [f for f in result.findings if f.rule == "not-applied"]


def test_cluster_dir_option_names_one_cluster(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    result = run([root], clusters=[root / "clusters/staging"])
    assert {f.cluster for f in result.findings if f.cluster} <= {"staging"}
    view = build_views([entry_for_dir(str(root / "clusters/staging"), str(root))])[0]
    assert view.name == "staging" and any(o.kind == "Deployment" for o in view.objects)


# ------------------------------------------------------------------------------------ substitution
def test_substitution_rules() -> None:
    env = envsubst.Variables({"A": "1", "E": ""})
    assert envsubst.expand("${A}-${B:=z}-${E:-d}-$${A}-$A-pa$$w", env) == "1-z-d-${A}-$A-pa$w"
    with pytest.raises(envsubst.SubstitutionError, match="strict"):
        envsubst.expand("${B}", env)
    assert envsubst.expand("${B}", env, strict=False) == ""
    body = {"replicas": "${A}", "note": "v${A}", "on": "${T}", "key-${A}": "x"}
    out = envsubst.substitute(body, envsubst.Variables({"A": "3", "T": "true"}))
    assert out == {"replicas": 3, "note": "v3", "on": True, "key-3": "x"}
    opaque = envsubst.Variables({"A": "1"}, opaque={"S"})
    assert envsubst.expand("${S}/${A}", opaque) == "${S}/1"  # unknown offline: left as written
    assert envsubst.disabled({"metadata": {"annotations": {envsubst.DISABLED: "disabled"}}})
    assert not envsubst.disabled({"metadata": {"annotations": {envsubst.DISABLED: "Disabled"}}})


def test_substitute_from_configmap_and_strict_error_at_the_objects_line(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n"
            "  namespace: flux-system\ndata:\n  REPLICAS: '2'\n",
            "clusters/home/apps.yaml": flux_ks(
                "apps", "./apps", "postBuild:\n  substituteFrom:\n    - kind: ConfigMap\n      name: vars\n"
            ),
            "apps/deploy.yaml": DEPLOY,
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n"
            "data:\n  a: ${UNSET}\n  b: $${ESCAPED}\n",
            "apps/off.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: off\n  namespace: default\n"
            "  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  a: ${UNSET}\n",
        },
    )
    view = views_of(root)["home"]
    d = next(o for o in view.objects if o.kind == "Deployment")
    assert d.body["spec"]["replicas"] == 2
    [p] = [p for p in view.problems if p.severity == "error"]
    assert p.file == str(root / "apps/cm.yaml") and p.line == 1 and "UNSET" in p.message
    off = next(o for o in view.objects if o.name == "off")
    assert off.body["data"]["a"] == "${UNSET}"


def test_nested_kustomization_gets_the_parents_substitution(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/apps.yaml": flux_ks(
                "apps", "./apps", "postBuild:\n  substitute:\n    ENV: prod\n"
            ),
            "apps/ks.yaml": """
                apiVersion: kustomize.toolkit.fluxcd.io/v1
                kind: Kustomization
                metadata:
                  name: child
                  namespace: flux-system
                spec:
                  interval: 1h
                  prune: true
                  path: ./envs/${ENV}
                  sourceRef: {kind: GitRepository, name: flux-system}
                  postBuild:
                    substitute:
                      APP: web
                """,
            "envs/prod/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${APP}\n  namespace: default\n",
        },
    )
    view = views_of(root)["home"]
    assert [k.name for k in view.kustomizations if k.followed] == ["flux-system", "apps", "child"]
    assert any(o.kind == "ConfigMap" and o.name == "web" for o in view.objects)
    assert not view.problems


def test_sops_secret_values_are_opaque_placeholders(tmp_path: Path) -> None:
    root = write(
        tmp_path / "fleet",
        {
            "clusters/home/flux-system/gotk-sync.yaml": sync("home"),
            "clusters/home/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
            "  namespace: flux-system\nstringData:\n  TOKEN: ENC[AES256_GCM,data:abc,type:str]\n"
            "sops:\n  mac: ENC[x]\n",
            "clusters/home/apps.yaml": flux_ks(
                "apps",
                "./apps",
                "decryption: {provider: sops}\npostBuild:\n  substituteFrom:\n    - kind: Secret\n      name: s\n",
            ),
            "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n"
            "data:\n  t: ${TOKEN}\n",
        },
    )
    view = views_of(root)["home"]
    cm = next(o for o in view.objects if o.kind == "ConfigMap")
    assert cm.body["data"]["t"] == "${TOKEN}"
    # the root Kustomization applies the encrypted Secret without decryption: Flux fails it
    assert [p.file for p in view.problems if p.severity == "error"] == [
        str(root / "clusters/home/secret.yaml")
    ]


# ------------------------------------------------------------------------------------ the corpus
CORPUS = SHARED / "corpus"


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("fluxcd__flux2-kustomize-helm-example", {"staging": 16, "production": 16}),
        ("fluxcd__flux2-multi-tenancy", {"staging": 12, "production": 12}),
    ],
)
def test_corpus_lints_per_cluster_without_errors(repo: str, expected: dict[str, int]) -> None:
    root = CORPUS / repo
    if not root.is_dir():
        pytest.skip("reference corpus is absent")
    views = {v.name: v for v in build_views(find_entries(str(root)))}
    assert {n: len(v.objects) for n, v in views.items()} == expected
    assert all(not v.problems for v in views.values())
    result = run([root], crd_dirs=[SHARED / "crds"])
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    # the one error of multi-tenancy is true: OCIRepository v1beta2 is no longer served
    assert all("v1beta2 is not served" in f.message for f in errors)
    assert {f.cluster for f in result.findings} <= set(expected)
    assert not [f for f in result.findings if f.rule == "not-applied"]


def test_corpus_staging_patch_applies_to_the_cluster_issuer() -> None:
    root = CORPUS / "fluxcd__flux2-kustomize-helm-example"
    if not root.is_dir():
        pytest.skip("reference corpus is absent")
    views = {v.name: v for v in build_views(find_entries(str(root)))}
    servers = {
        n: next(o for o in v.objects if o.kind == "ClusterIssuer").body["spec"]["acme"]["server"]
        for n, v in views.items()
    }
    assert "staging" in servers["staging"] and "staging" not in servers["production"]
    release = next(o for o in views["staging"].objects if o.kind == "HelmRelease" and o.name == "podinfo")
    assert release.namespace == "podinfo" and release.origin.file.endswith("apps/base/podinfo/release.yaml")
    assert release.body["spec"]["values"]["httpRoute"]["hostnames"] == ["podinfo.staging"]


def test_not_applied_reason_names_the_omitting_kustomization(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    write(root, {"stray/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"})
    result = run([root])
    [f] = [f for f in result.findings if f.rule == "not-applied"]
    assert f.file == os.path.join(str(root), "stray/x.yaml")
    assert "no Flux Kustomization builds its directory" in f.message


def test_result_cache_in_cluster_mode_follows_what_the_graph_brings_in(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    deploy = root / "apps/base/deploy.yaml"
    deploy.write_text(deploy.read_text().replace("nginx:1.27.0", "nginx:${TAG:=1.27.0}"), encoding="utf-8")
    apps = root / "clusters/production/apps.yaml"
    apps.write_text(apps.read_text() + "      TAG: latest\n", encoding="utf-8")
    cache = tmp_path / "cache"

    def lint(cache_dir: Path | None) -> list[tuple[object, ...]]:
        result = run([root], cache_dir=cache_dir)
        return [(f.rule, f.file, f.line, f.message, f.cluster) for f in result.findings]

    base = lint(None)
    assert [f[4] for f in base if f[0] == "image"] == ["production"]  # the mutable tag, substituted
    assert lint(cache) == base  # cold
    assert lint(cache) == base  # warm
    # only the substitution changes (apps/base/deploy.yaml is untouched): the cached result must not serve
    apps.write_text(apps.read_text().replace("TAG: latest", "TAG: 1.27.1"), encoding="utf-8")
    os.utime(apps, ns=(1, 1))
    fresh = lint(None)
    assert not [f for f in fresh if f[0] == "image"]
    assert lint(cache) == fresh


def test_budget_prints_one_analysis_per_cluster_with_its_namespaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitops_gen.capacity.api import run_budget

    root = two_clusters(tmp_path)
    monkeypatch.chdir(root)
    code = run_budget([Path(".")], fmt="json", node_memory="4Gi", node_cpu="2")
    doc = json.loads(capsys.readouterr().out)
    by_name = {c["cluster"]: c for c in doc["clusters"]}
    assert sorted(by_name) == ["production", "staging"] and code == 1
    assert [(p["namespace"], p["of"]) for p in by_name["production"]["pending"]] == [("web", 6)]
    assert by_name["staging"]["pending"] == []
    namespaces = {
        w["namespace"] for c in by_name["staging"]["components"] for w in c["workloads"] if w["name"] == "web"
    }
    assert namespaces == {"web-staging"}
    assert run_budget([Path(".")], fmt="text", node_memory="64Gi", node_cpu="8") == 0
    text = capsys.readouterr().out
    assert "== cluster production ==" in text and "== cluster staging ==" in text


def test_unreadable_entry_point_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = two_clusters(tmp_path)
    sync_file = root / "clusters/staging/flux-system/gotk-sync.yaml"
    sync_file.write_text(sync_file.read_text().replace("  name: flux-system\n", "\t name: flux-system\n", 1))
    result = run([root])
    [f] = [f for f in result.findings if f.rule == "flux-build"]
    assert f.file == str(sync_file) and f.line == 4 and f.cluster == "staging" and "invalid YAML" in f.message
    assert any(f.cluster == "production" for f in result.findings) or result.resources > 0


def test_budget_per_cluster_honours_fail_on_unknown_and_the_terminal_width(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rendered fleet is budgeted per cluster; --fail-on-unknown and the terminal's width apply there
    as for a single input (both were dropped on the per-cluster path)."""
    from gitops_gen.capacity.api import run_budget

    fleet = repo_root / "examples/fleet/output"
    monkeypatch.setattr("gitops_gen.capacity.api.terminal_width", lambda: 70)
    empty_cache = tmp_path / "charts"
    big = {"node_memory": "256Gi", "node_cpu": "64"}
    assert run_budget([fleet], fmt="text", chart_cache=empty_cache, **big) == 0
    captured = capsys.readouterr()
    assert max(len(line) for line in captured.out.splitlines()) <= 70
    code = run_budget([fleet], fmt="text", chart_cache=empty_cache, fail_on_unknown=True, **big)
    err = capsys.readouterr().err
    assert code == 1 and "error: cluster production:" in err and "(--fail-on-unknown)" in err
