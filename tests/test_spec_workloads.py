"""Spec errors of the workload kinds, overrides and several clusters: file:line:col, key path, hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gitops_gen.errors import UserError
from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import Specs, load_specs

PLATFORM = """\
apiVersion: gitops-gen/v1
kind: Platform
metadata:
  name: {name}
spec:
  git:
    url: https://github.com/org/repo
  nodes:
    - {{name: n1, cpu: "4", memory: 8Gi}}
  components:
    certManager:
      version: v1.21.1
      acme: {{email: ops@example.com}}
{extra}"""

WEB = """\
apiVersion: gitops-gen/v1
kind: App
metadata:
  name: {name}
spec:
  image: ghcr.io/org/{name}:1.0.0
  resources:
    requests: {{cpu: 10m, memory: 32Mi}}
    limits: {{memory: 64Mi}}
{extra}"""


def _specs(tmp_path: Path, apps: dict[str, str], platforms: dict[str, str] | None = None) -> Path:
    root = tmp_path / "specs"
    (root / "apps").mkdir(parents=True)
    for name, extra in (platforms or {"prod": ""}).items():
        (root / f"{name}.yaml").write_text(PLATFORM.format(name=name, extra=textwrap.indent(extra, "  ")))
    for name, text in apps.items():
        (root / "apps" / f"{name}.yaml").write_text(text)
    return root


def _web(name: str, extra: str = "") -> str:
    return WEB.format(name=name, extra=textwrap.indent(extra, "  "))


def _problems(root: Path) -> list[str]:
    with pytest.raises(UserError) as info:
        load_specs(root, display_root=root.parent)
    return [str(p) for p in info.value.problems]


def _load(root: Path) -> Specs:
    return load_specs(root, display_root=root.parent)


def test_a_field_the_workload_kind_does_not_take_is_refused_at_its_line(tmp_path: Path) -> None:
    text = _web(
        "q",
        "workload: worker\nprobes:\n  liveness: {command: [/bin/true]}\ningress:\n  host: q.example.com\n",
    )
    (problem,) = _problems(_specs(tmp_path, {"q": text}))
    assert problem.startswith("specs/apps/q.yaml:13:3: spec.ingress: ingress does not apply to a worker app")
    assert "set spec.workload" in problem


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("ghcr.io/org/q:latest", "mutable 'latest' tag"),
        ("ghcr.io/org/q", "has no tag"),
        ("localhost:5000/q", "no tag"),
    ],
)
def test_unpinned_images_are_refused_at_the_spec_line(tmp_path: Path, image: str, why: str) -> None:
    text = _web("q").replace("ghcr.io/org/q:1.0.0", image)
    (problem,) = _problems(_specs(tmp_path, {"q": text}))
    assert problem.startswith("specs/apps/q.yaml:6:3: spec.image: ")
    assert why in problem and "pin a released version tag" in problem


def test_a_digest_pins_even_latest(tmp_path: Path) -> None:
    text = _web("q").replace(":1.0.0", ":latest@sha256:" + "a" * 64)
    assert _load(_specs(tmp_path, {"q": text})).apps[0].spec.image


def test_worker_needs_a_liveness_check_and_http_probes_need_a_port(tmp_path: Path) -> None:
    problems = _problems(_specs(tmp_path, {"w": _web("w", "workload: worker\n")}))
    assert problems == [
        "specs/apps/w.yaml:10:3: spec.workload: a worker has no port to check: it needs probes.liveness; "
        "add probes.liveness.command (an exec check, e.g. [test, -f, /tmp/alive]) or a port and probes.liveness.path"
    ]
    http = _web("w", "workload: worker\nprobes:\n  liveness: {path: /health}\n")
    (problem,) = _problems(_specs(tmp_path / "b", {"w": http}))
    assert "spec.probes.liveness: probes.liveness is an HTTP check but the worker has no port" in problem


def test_cronjob_needs_its_schedule_and_a_valid_one(tmp_path: Path) -> None:
    (problem,) = _problems(_specs(tmp_path, {"c": _web("c", "workload: cronjob\n")}))
    assert problem == "specs/apps/c.yaml:5:1: spec: a cronjob app needs spec.cronjob; add 'cronjob:'"
    bad = _web("c", "workload: cronjob\ncronjob:\n  schedule: every day\n")
    (problem,) = _problems(_specs(tmp_path / "b", {"c": bad}))
    assert problem.startswith(
        "specs/apps/c.yaml:12:15: spec.cronjob.schedule: 'every day' is not a cron schedule"
    )


def test_env_takes_exactly_one_source_and_probe_one_handler(tmp_path: Path) -> None:
    env = "env:\n  - {name: A, value: x, configMapKeyRef: {name: m, key: k}}\n"
    (problem,) = _problems(_specs(tmp_path, {"e": _web("e", env)}))
    assert "spec.env[0]" in problem and "set exactly one of value, secretKeyRef or configMapKeyRef" in problem
    probe = "probes:\n  liveness: {command: [x], path: /}\n"
    (problem,) = _problems(_specs(tmp_path / "b", {"e": _web("e", probe)}))
    assert "spec.probes.liveness" in problem and "either command (exec) or path/port" in problem


def test_an_empty_spec_file_is_an_error_naming_it(tmp_path: Path) -> None:
    root = _specs(tmp_path, {"a": _web("a"), "gone": "# the app was here\n"})
    (problem,) = _problems(root)
    assert problem.startswith("specs/apps/gone.yaml:1:1: empty spec file; ")
    assert "delete the file" in problem


def test_two_apps_on_one_host_and_path_are_refused(tmp_path: Path) -> None:
    ing = "ingress: {host: shop.example.com, path: /}\n"
    specs = _load(_specs(tmp_path, {"a": _web("a", ing), "b": _web("b", ing)}))
    with pytest.raises(UserError) as info:
        render_tree(specs)
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith(
        "specs/apps/b.yaml:10:13: spec.ingress.host: app 'a' already serves shop.example.com/"
    )
    other = _web("b", "ingress: {host: shop.example.com, path: /api}\n")
    assert render_tree(_load(_specs(tmp_path / "ok", {"a": _web("a", ing), "b": other})))


def test_cluster_overrides_are_checked_against_the_apps(tmp_path: Path) -> None:
    platforms = {
        "prod": "apps:\n  shop: {replicas: 3}\n  shpo: {}\n",
        "staging": "apps:\n  shop: {host: s.example.com}\n",
    }
    problems = _problems(_specs(tmp_path, {"shop": _web("shop")}, platforms))
    assert problems == [
        "specs/prod.yaml:16:5: spec.apps.shpo: no App named 'shpo'; did you mean 'shop'?",
        "specs/staging.yaml:15:5: spec.apps.shop: app 'shop' has no ingress whose host this cluster could set; "
        "remove the override",
    ]


def test_an_override_that_makes_the_app_invalid_names_the_override(tmp_path: Path) -> None:
    app = _web("shop", "replicas: 3\ndisruptionBudget: {minAvailable: 2}\n")
    platforms = {"prod": "apps:\n  shop: {replicas: 2}\n", "staging": ""}
    (problem,) = _problems(_specs(tmp_path, {"shop": app}, platforms))
    assert problem.startswith(
        "specs/prod.yaml:15:5: spec.apps.shop: with this cluster's overrides, app 'shop' is invalid"
    )
    assert "minAvailable (2) must be less than the guaranteed replicas (2)" in problem
    latest = {"prod": "apps:\n  shop: {tag: latest}\n", "staging": ""}
    (problem,) = _problems(_specs(tmp_path / "b", {"shop": _web("shop")}, latest))
    assert "spec.apps.shop" in problem and "'latest' tag" in problem


def test_app_cluster_must_name_a_platform_and_disabled_apps_do_not_run(tmp_path: Path) -> None:
    platforms = {"prod": "", "staging": "apps:\n  a: {enabled: false}\n  b: {}\n"}
    (problem,) = _problems(_specs(tmp_path, {"a": _web("a", "cluster: qa\n")}, platforms))
    assert problem.startswith("specs/apps/a.yaml:10:3: spec.cluster: cluster 'qa' is not a platform")
    specs = _load(
        _specs(tmp_path / "b", {"a": _web("a"), "b": _web("b"), "c": _web("c", "cluster: prod\n")}, platforms)
    )
    assert [a.metadata.name for a in specs.cluster_apps["prod"]] == ["a", "b", "c"]
    assert [a.metadata.name for a in specs.cluster_apps["staging"]] == ["b"]
    files = render_tree(specs)
    assert "apps/staging/a/kustomization.yaml" not in files and "apps/base/a/deployment.yaml" in files


def test_duplicate_platform_names_are_refused(tmp_path: Path) -> None:
    root = _specs(tmp_path, {"a": _web("a")}, {"prod": ""})
    (root / "again.yaml").write_text(PLATFORM.format(name="prod", extra=""))
    (problem,) = _problems(root)
    assert problem.startswith(
        "specs/prod.yaml:4:3: metadata.name: Platform 'prod' is also defined in specs/again.yaml"
    )


def test_oci_chart_source_only_where_upstream_publishes_one(tmp_path: Path) -> None:
    root = _specs(tmp_path, {"a": _web("a")})
    text = (
        (root / "prod.yaml")
        .read_text()
        .replace("  components:\n", "  components:\n    ingressNginx: {version: 4.15.1, chartSource: oci}\n")
    )
    (root / "prod.yaml").write_text(text)
    with pytest.raises(UserError) as info:
        render_tree(_load(root))
    (problem,) = [str(p) for p in info.value.problems]
    assert problem.startswith("specs/prod.yaml:11:") and "spec.components.ingressNginx.chartSource" in problem
    assert "ingress-nginx has no OCI chart" in problem


def test_component_release_policy_and_oci_source_are_rendered(tmp_path: Path) -> None:
    root = _specs(tmp_path, {"a": _web("a")})
    text = (
        (root / "prod.yaml")
        .read_text()
        .replace(
            "      version: v1.21.1\n",
            "      version: v1.21.1\n      chartSource: oci\n      driftDetection: warn\n"
            "      installStrategy: RetryOnFailure\n      upgradeRemediation: uninstall\n"
            "      valuesFrom: [{kind: Secret, name: cm-values, valuesKey: extra.yaml}]\n",
        )
    )
    (root / "prod.yaml").write_text(text)
    files = render_tree(_load(root))
    repo = files["infrastructure/controllers/cert-manager/repository.yaml"]
    assert "kind: OCIRepository" in repo and "url: oci://quay.io/jetstack/charts/cert-manager" in repo
    assert "tag: v1.21.1" in repo
    release = files["infrastructure/controllers/cert-manager/release.yaml"]
    for needle in (
        "chartRef:\n    kind: OCIRepository\n    name: cert-manager",
        "driftDetection:\n    mode: warn",
        "strategy:\n      name: RetryOnFailure",
        "strategy: uninstall",
        "valuesFrom:\n    - kind: Secret\n      name: cm-values\n      valuesKey: extra.yaml",
    ):
        assert needle in release
    assert "chart:\n    spec:" not in release


@pytest.mark.parametrize(
    ("extra_spec", "components", "klass"),
    [
        ("distribution: k3s\n", "", "traefik"),  # K3s's bundled Traefik serves ingresses
        ("distribution: k3s\n", "    ingressNginx: {version: 4.15.1}\n", "nginx"),
        ("ingressClass: haproxy\n", "", "haproxy"),
    ],
)
def test_issuer_grafana_and_app_ingresses_follow_the_ingress_controller(
    tmp_path: Path, extra_spec: str, components: str, klass: str
) -> None:
    root = _specs(tmp_path, {"a": _web("a", "ingress: {host: a.example.com}\n")})
    text = (
        (root / "prod.yaml").read_text().replace("spec:\n", "spec:\n" + textwrap.indent(extra_spec, "  "), 1)
    )
    text = text.replace(
        "  components:\n",
        "  components:\n"
        + components
        + "    monitoring: {version: 88.5.3, grafana: {host: g.example.com, adminSecret: grafana-admin}}\n",
    )
    (root / "prod.yaml").write_text(text)
    files = render_tree(_load(root))
    assert f"ingressClassName: {klass}" in files["infrastructure/configs/cluster-issuer.yaml"]
    assert (
        f"ingressClassName: {klass}" in files["infrastructure/controllers/kube-prometheus-stack/release.yaml"]
    )
    assert f"ingressClassName: {klass}" in files["apps/prod/a/ingress.yaml"]


def test_config_files_with_a_password_in_a_url_are_refused(tmp_path: Path) -> None:
    files = (
        "configFiles:\n  mountPath: /etc/a\n  files:\n    db.conf: 'url = postgres://app:hunter2@db/app'\n"
    )
    (problem,) = _problems(_specs(tmp_path, {"a": _web("a", files)}))
    assert problem.startswith(
        "specs/apps/a.yaml:13:7: spec.configFiles.files.db.conf: URL with a literal password"
    )
    assert "hunter2" not in problem and "SealedSecrets" in problem
    ok = "configFiles:\n  mountPath: /etc/a\n  files:\n    db.conf: 'url = postgres://app@db/app'\n"
    assert _load(_specs(tmp_path / "ok", {"a": _web("a", ok)})).apps
