"""Day-2 operations from the spec (issue 16 items 4-6): image automation, Velero backups and
external secrets render valid, build with kustomize, fit the budget, and their lint rules
(``image-automation``, ``backups``) fire on the broken wiring and stay quiet on the right one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from lint_helpers import by_rule
from lint_helpers import run as lint_run
from rules_helpers import only, resources_of, run

from gitops_gen.capacity.api import run_budget
from gitops_gen.errors import UserError
from gitops_gen.lint.model import Severity
from gitops_gen.lint.schema.embedded import EmbeddedValidator
from gitops_gen.render.engine import render_tree
from gitops_gen.render.extras import find_extras
from gitops_gen.spec.loader import load_specs


def _objects(files: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (rel, doc)
        for rel, text in files.items()
        for doc in yaml.safe_load_all(text)
        if doc and not str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io/")
    ]


@pytest.fixture(scope="module")
def day2(repo_root: Path) -> dict[str, str]:
    return render_tree(load_specs(repo_root / "examples/day2/specs"), "output")


def test_everything_renders_strictly_valid(day2: dict[str, str], shared_dir: Path) -> None:
    validator = EmbeddedValidator(kubernetes_version="1.34", crd_dirs=[shared_dir / "crds"])
    objects = _objects(day2)
    kinds = {o["kind"] for _, o in objects}
    assert {
        "ImageRepository",
        "ImagePolicy",
        "ImageUpdateAutomation",
        "BackupStorageLocation",
        "Schedule",
        "ClusterSecretStore",
        "ExternalSecret",
    } <= kinds
    for rel, body in objects:
        assert validator.has_schema(body["apiVersion"], body["kind"]), (rel, body["kind"])
        assert validator.validate(body) == [], (rel, body["kind"])


def test_the_validation_catches_a_wrong_day2_field(day2: dict[str, str], shared_dir: Path) -> None:
    validator = EmbeddedValidator(kubernetes_version="1.34", crd_dirs=[shared_dir / "crds"])
    for _, body in _objects(day2):
        if body["kind"] in ("Schedule", "ImagePolicy", "ExternalSecret"):
            body["spec"]["unknownField"] = 1
            assert validator.validate(body) != [], body["kind"]


def test_setter_marker_sits_on_the_image_line(day2: dict[str, str]) -> None:
    deployment = day2["apps/vps/lingua-app/deployment.yaml"]
    lines = [ln for ln in deployment.splitlines() if "$imagepolicy" in ln]
    assert lines == [
        '          image: ghcr.io/mvulcu/lingua-app:1.4.2 # {"$imagepolicy": "flux-system:lingua-app"}'
    ]
    automation = yaml.safe_load(day2["infrastructure/configs/image-update-automation.yaml"])
    assert automation["spec"]["git"]["push"]["branch"] == "master"  # the spec's git.branch
    assert automation["metadata"]["namespace"] == "flux-system"  # where the ImagePolicies are
    [policy] = [o for _, o in _objects(day2) if o["kind"] == "ImagePolicy"]
    assert policy["spec"]["policy"]["semver"]["range"] == ">=1.4.0 <2"


def test_backups_and_secrets_wiring(day2: dict[str, str]) -> None:
    objs = {(o["kind"], o["metadata"]["name"]): o for _, o in _objects(day2)}
    bsl = objs[("BackupStorageLocation", "default")]
    assert bsl["spec"]["credential"] == {"name": "velero-credentials", "key": "cloud"}
    app = objs[("Schedule", "lingua-app-lingua-app")]["spec"]["template"]
    assert app["includedNamespaces"] == ["lingua-app"] and app["ttl"] == "168h"
    assert app["defaultVolumesToFsBackup"] is True
    es = objs[("ExternalSecret", "lingua-app-api")]
    assert es["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    release = yaml.safe_load(day2["infrastructure/controllers/velero/release.yaml"].split("\n---\n")[-1])
    values = release["spec"]["values"]
    assert (
        values["credentials"]["existingSecret"] == "velero-credentials" and values["deployNodeAgent"] is True
    )
    assert "aws_secret_access_key" not in "".join(day2.values())


def test_features_are_off_unless_asked(repo_root: Path) -> None:
    files = render_tree(load_specs(repo_root / "specs"), "output")
    kinds = {o["kind"] for _, o in _objects(files)}
    assert not kinds & {
        "ImageRepository",
        "ImagePolicy",
        "ImageUpdateAutomation",
        "Schedule",
        "ExternalSecret",
    }
    assert "$imagepolicy" not in "".join(files.values())
    assert not any("velero" in rel or "external-secrets" in rel for rel in files)


def test_example_output_is_up_to_date(repo_root: Path) -> None:
    out = repo_root / "examples/day2/output"  # rendered with the hand-written extras copied in
    for rel, text in render_tree(
        load_specs(repo_root / "examples/day2/specs"), "examples/day2/output", find_extras(out)
    ).items():
        assert (out / rel).read_text(encoding="utf-8") == text, rel


@pytest.mark.slow
def test_kustomize_builds(day2: dict[str, str], tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl must be on PATH"
    for rel, text in day2.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    for d in ("infrastructure/configs", "infrastructure/controllers", "apps/vps"):
        built = subprocess.run(
            [kubectl, "kustomize", str(tmp_path / d)], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        if d == "apps/vps":
            # (kustomize drops comments: the automation edits the marker in git, not the build)
            assert "kind: ImagePolicy" in built
            assert "kind: ExternalSecret" in built and "kind: Schedule" in built


def test_lints_clean_and_fits_the_budget(
    repo_root: Path, shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = repo_root / "examples/day2/output"
    result = lint_run([out], crd_dirs=[shared_dir / "crds"])
    assert [f for f in result.findings if f.severity >= Severity.WARNING] == []
    code = run_budget([out], specs_dir=repo_root / "examples/day2/specs")
    text = capsys.readouterr().out
    assert code == 0, text
    assert "HelmRelease velero/velero [velero 12.1.0]" in text and "node-agent (DaemonSet)" in text
    assert "HelmRelease external-secrets/external-secrets [external-secrets 2.9.0]" in text
    assert "unknown footprint" not in text.split("Notes:")[0].replace("(unknown footprint, not zero)", "")
    assert "every pod fits" in text


@pytest.mark.parametrize(
    ("platform_patch", "app_patch", "where", "says"),
    [
        ({"velero": None}, {}, "spec.backup", "has no Velero"),
        ({"externalSecrets": None}, {}, "spec.externalSecrets", "does not run"),
        (
            {},
            {"backup": {"storageLocation": "offsite"}},
            "spec.backup.storageLocation",
            "no BackupStorageLocation",
        ),
        (
            {},
            {"image": "ghcr.io/mvulcu/lingua-app@sha256:" + "a" * 64},
            "spec.autoUpdate",
            "pinned by digest",
        ),
    ],
)
def test_spec_mistakes_are_located(
    repo_root: Path,
    tmp_path: Path,
    platform_patch: dict[str, Any],
    app_patch: dict[str, Any],
    where: str,
    says: str,
) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(repo_root / "examples/day2/specs", specs)
    plat = yaml.safe_load((specs / "platform.yaml").read_text())
    for k, v in platform_patch.items():
        if v is None:
            del plat["spec"]["components"][k]
    (specs / "platform.yaml").write_text(yaml.safe_dump(plat))
    app = yaml.safe_load((specs / "apps/lingua-app.yaml").read_text())
    app["spec"].update(app_patch)
    (specs / "apps/lingua-app.yaml").write_text(yaml.safe_dump(app))
    with pytest.raises(UserError) as exc:
        render_tree(load_specs(specs), "output")
    text = str(exc.value)
    assert says in text and "lingua-app.yaml:" in text, text


# --------------------------------------------------------------------------- rule image-automation

POLICY = """
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: web, namespace: flux-system}
spec: {image: ghcr.io/org/web, interval: 5m}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: web, namespace: flux-system}
spec:
  imageRepositoryRef: {name: web}
  policy: {semver: {range: ">=1.0.0"}}
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: IMAGE # {"$imagepolicy": "MARKER"}
"""


def _marker_findings(tmp_path: Path, image: str, marker: str, with_policy: bool = True) -> list[Any]:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT.replace("IMAGE", image).replace("MARKER", marker))
    if with_policy:
        (tmp_path / "policy.yaml").write_text(POLICY)
    return by_rule(lint_run([tmp_path]), "image-automation")


def test_marker_naming_a_missing_policy_is_an_error(tmp_path: Path) -> None:
    [f] = _marker_findings(tmp_path, "ghcr.io/org/web:1.2.3", "flux-system:wbe")
    assert f.severity == Severity.ERROR and "ImagePolicy flux-system/wbe, which does not exist" in f.message
    assert f.line == 12  # the image line, where the marker is


def test_marker_without_any_policy_linted_is_a_warning(tmp_path: Path) -> None:
    [f] = _marker_findings(tmp_path, "ghcr.io/org/web:1.2.3", "flux-system:web", with_policy=False)
    assert f.severity == Severity.WARNING and "among the linted files" in f.message


def test_marker_on_another_image_than_the_policy_follows(tmp_path: Path) -> None:
    [f] = _marker_findings(tmp_path, "ghcr.io/org/api:1.2.3", "flux-system:web")
    assert (
        f.severity == Severity.ERROR and "ghcr.io/org/api" in f.message and "(ghcr.io/org/web)" in f.message
    )


@pytest.mark.parametrize(
    ("image", "marker"),
    [("ghcr.io/org/web:1.2.3", "flux-system:web"), ("ghcr.io/org/web:1.2.3", "flux-system:web:tag")],
)
def test_correct_markers_are_quiet(tmp_path: Path, image: str, marker: str) -> None:
    assert _marker_findings(tmp_path, image, marker) == []


def test_docker_hub_short_names_are_the_same_repository(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.replace("ghcr.io/org/web", "docker.io/library/nginx"))
    (tmp_path / "deploy.yaml").write_text(
        DEPLOYMENT.replace("IMAGE", "nginx:1.27").replace("MARKER", "flux-system:web")
    )
    assert by_rule(lint_run([tmp_path]), "image-automation") == []


# ---------------------------------------------------------------------------------- rule backups

BSL = """
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {name: default, namespace: velero}
spec: {provider: aws, objectStorage: {bucket: b}, credential: {name: c, key: cloud}}
"""


def _schedule(location: str = "default", namespaces: str = "[db]") -> str:
    return f"""
apiVersion: velero.io/v1
kind: Schedule
metadata: {{name: nightly, namespace: velero}}
spec:
  schedule: "0 3 * * *"
  template: {{includedNamespaces: {namespaces}, storageLocation: {location}, ttl: 168h}}
"""


STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: db}
spec:
  serviceName: pg
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec: {containers: [{name: pg, image: postgres:17.2}]}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""


def _backups(*docs: str) -> list[Any]:
    return run("backups", resources_of("\n---\n".join(docs)))


def test_schedule_to_a_missing_location_is_an_error() -> None:
    f = only(_backups(BSL, _schedule("offsite"), STATEFULSET), contains="'offsite', which does not exist")
    assert f.severity == Severity.ERROR and "(defined: default)" in f.message
    assert f.path == ("spec", "template", "storageLocation")


def test_location_from_the_velero_chart_values_counts() -> None:
    release = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: velero, namespace: velero}
spec:
  chart: {spec: {chart: velero, sourceRef: {kind: HelmRepository, name: vmware}}}
  values: {configuration: {backupStorageLocation: [{name: offsite, bucket: b, provider: aws}]}}
"""
    assert _backups(release, _schedule("offsite"), STATEFULSET) == []


def test_pvc_backed_app_no_schedule_covers_is_a_warning() -> None:
    f = only(_backups(BSL, _schedule(namespaces="[web]"), STATEFULSET), contains="keeps data in data")
    assert f.severity == Severity.WARNING and f.ref == "StatefulSet/db/pg" and "namespace db" in f.message


def test_pvc_volume_of_a_deployment_counts_as_data() -> None:
    deploy = DEPLOYMENT.replace("IMAGE", "ghcr.io/org/web:1.0").replace(' # {"$imagepolicy": "MARKER"}', "")
    deploy += "      volumes: [{name: d, persistentVolumeClaim: {claimName: web-data}}]\n"
    f = only(_backups(BSL, _schedule(namespaces="[db]"), deploy), contains="web-data")
    assert f.ref == "Deployment/shop/web"


@pytest.mark.parametrize("namespaces", ["[db]", "['*']", "[]"])
def test_covered_app_and_existing_location_are_quiet(namespaces: str) -> None:
    assert _backups(BSL, _schedule(namespaces=namespaces), STATEFULSET) == []


def test_label_selector_that_misses_the_pods_does_not_cover() -> None:
    sched = _schedule().replace("ttl: 168h}", "ttl: 168h, labelSelector: {matchLabels: {app: other}}}")
    assert only(_backups(BSL, sched, STATEFULSET), contains="no Velero Schedule").severity == Severity.WARNING


def test_no_schedule_at_all_says_nothing_about_volumes() -> None:
    assert _backups(STATEFULSET) == []


def test_docs_carry_the_rule_docstrings(repo_root: Path) -> None:
    import inspect

    from gitops_gen.lint.rules import backups, image_automation

    text = (repo_root / "docs/rules.md").read_text(encoding="utf-8")
    for rule_id, mod in (("image-automation", image_automation), ("backups", backups)):
        assert f"## {rule_id}\n" in text and (inspect.getdoc(mod) or "").strip() in text, rule_id


@pytest.mark.slow
def test_fleet_gets_the_marker_in_the_base_and_one_automation_per_cluster(
    repo_root: Path, tmp_path: Path
) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(repo_root / "examples/fleet/specs", specs)
    with (specs / "apps/cache.yaml").open("a") as fh:
        fh.write('  autoUpdate:\n    semver: "~8.1"\n')
    files = render_tree(load_specs(specs), "output")
    assert '# {"$imagepolicy": "flux-system:cache"}' in files["apps/base/cache/statefulset.yaml"]
    out = tmp_path / "out"
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    for cluster in ("production", "staging"):
        built = subprocess.run(
            ["kubectl", "kustomize", str(out / f"infrastructure/{cluster}/configs")],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert built.count("kind: ImageUpdateAutomation") == 1, cluster
        apps = subprocess.run(
            ["kubectl", "kustomize", str(out / f"apps/{cluster}")],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert "kind: ImagePolicy" in apps and "range: ~8.1" in apps, cluster


def test_cached_relint_sees_a_schedule_change(tmp_path: Path) -> None:
    """Schedules cover other namespaces: editing one re-checks the workloads it covered."""
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    (repo / "db.yaml").write_text(STATEFULSET)
    (repo / "velero.yaml").write_text(BSL + "---" + _schedule(namespaces="[db]"))
    assert by_rule(lint_run([repo], cache_dir=cache), "backups") == []
    (repo / "velero.yaml").write_text(BSL + "---" + _schedule(namespaces="[web]"))
    [f] = by_rule(lint_run([repo], cache_dir=cache), "backups")
    assert f.severity == Severity.WARNING and f.resource == "StatefulSet/db/pg"


def test_helmrelease_name_marker_and_substituted_marker(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    release = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: web, namespace: shop}
spec:
  chart: {spec: {chart: web, sourceRef: {kind: HelmRepository, name: r}}}
  values:
    image:
      repository: ghcr.io/org/REPO # {"$imagepolicy": "flux-system:web:name"}
      tag: 1.2.3 # {"$imagepolicy": "${NS}:web:tag"}
"""
    (tmp_path / "release.yaml").write_text(release.replace("REPO", "web"))
    assert by_rule(lint_run([tmp_path]), "image-automation") == []
    (tmp_path / "release.yaml").write_text(release.replace("REPO", "api"))
    [f] = by_rule(lint_run([tmp_path]), "image-automation")
    assert "ghcr.io/org/api" in f.message and f.line == 9


def test_a_literal_token_in_the_store_provider_is_refused(repo_root: Path, tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(repo_root / "examples/day2/specs", specs)
    text = (specs / "platform.yaml").read_text()
    (specs / "platform.yaml").write_text(
        text.replace(
            "                key: token\n",
            "                key: token\n              token: hvs.CAESIJ0abcdefghijk\n",
        )
    )
    with pytest.raises(UserError) as exc:
        load_specs(specs)
    assert "literal credential in the secret store's provider ('token')" in str(exc.value)
    assert "hvs.CAESIJ0abcdefghijk" not in str(exc.value)  # never printed
