"""The in-process kustomize build against the real one (``kubectl kustomize --load-restrictor
LoadRestrictionsNone``, what Flux runs): same objects, same bodies, on the corpus and on a
repository built here that uses every transformer the build models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from lint_helpers import SHARED

from gitops_gen.cluster.kustomize import Builder, BuildError, FluxOverrides, kustomization_file
from gitops_gen.k8s.loader import parse_text

KUBECTL = shutil.which("kubectl")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")]

Key = tuple[str, str, str]


def kubectl_build(d: Path) -> dict[Key, Any] | None:
    assert KUBECTL is not None
    proc = subprocess.run(
        [KUBECTL, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(d)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return {_key(doc.body): doc.body for doc in parse_text(proc.stdout).documents}


def _key(body: dict[str, Any]) -> Key:
    meta = body.get("metadata") or {}
    return (str(body.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def mine(root: Path, d: Path) -> dict[Key, Any] | None:
    try:
        return {_key(o.body): o.body for o in Builder(str(root)).build_dir(str(d))}
    except BuildError:
        return None


def _octal(v: Any) -> Any:
    """Go YAML 1.1 reads ``0400`` as octal (256); YAML 1.2 loaders read 400. Not the build's doing."""
    if isinstance(v, dict):
        return {k: _octal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_octal(x) for x in v]
    return v


def compare(root: Path, d: Path) -> str:
    want, got = kubectl_build(d), mine(root, d)
    if want is None or got is None:
        return "" if want is None and got is None else f"{d}: one build fails (kubectl: {want is not None})"
    if set(want) != set(got):
        return f"{d}: objects differ: {sorted(set(want) ^ set(got))[:4]}"
    for k in want:
        if json.dumps(want[k], sort_keys=True, default=str) != json.dumps(
            got[k], sort_keys=True, default=str
        ):
            return f"{d}: {k} differs"
    return ""


@pytest.mark.parametrize(
    "repo",
    [
        "fluxcd__flux2-kustomize-helm-example",
        "fluxcd__flux2-multi-tenancy",
        "fluxcd__flux2-monitoring-example",
    ],
)
def test_every_corpus_kustomization_builds_like_kubectl(repo: str) -> None:
    root = SHARED / "corpus" / repo
    if not root.is_dir():
        pytest.skip("reference corpus is absent")
    dirs = [Path(dp) for dp, _d, _f in os.walk(root) if kustomization_file(dp)]
    assert dirs
    assert [msg for d in sorted(dirs) if (msg := compare(root, d))] == []


FEATURES = {
    "base/kustomization.yaml": """
        resources: [deploy.yaml, svc.yaml, rbac.yaml, hpa.yaml]
        configMapGenerator:
          - name: settings
            literals: [MODE=fast, LEVEL=2]
        secretGenerator:
          - name: creds
            literals: [user=admin]
        """,
    "base/deploy.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 1
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              serviceAccountName: web
              containers:
                - name: web
                  image: nginx:1.25
                  envFrom:
                    - configMapRef: {name: settings}
                  env:
                    - name: U
                      valueFrom:
                        secretKeyRef: {name: creds, key: user}
                  ports:
                    - containerPort: 80
                - name: sidecar
                  image: busybox
        """,
    "base/svc.yaml": """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector: {app: web}
          ports:
            - port: 80
        """,
    "base/rbac.yaml": """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: web
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: web
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: web}
        subjects:
          - {kind: ServiceAccount, name: default}
          - {kind: ServiceAccount, name: web, namespace: other}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: web
        rules: []
        """,
    "base/hpa.yaml": """
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: web
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          minReplicas: 1
          maxReplicas: 3
        """,
    "comp/kustomization.yaml": """
        apiVersion: kustomize.config.k8s.io/v1alpha1
        kind: Component
        resources: [pdb.yaml]
        patches:
          - target: {kind: Deployment}
            patch: |
              - op: add
                path: /metadata/annotations
                value: {component: "yes"}
        """,
    "comp/pdb.yaml": """
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: web
        spec:
          minAvailable: 1
          selector:
            matchLabels: {app: web}
        """,
    "overlay/kustomization.yaml": """
        namespace: shop
        namePrefix: prod-
        nameSuffix: -v1
        commonLabels: {team: a}
        labels:
          - pairs: {tier: front}
        commonAnnotations: {owner: me}
        resources: [../base, ../extra/cm.yaml]
        components: [../comp]
        replicas:
          - {name: web, count: 3}
        images:
          - {name: nginx, newName: registry.example/nginx, newTag: "1.27"}
          - {name: busybox, digest: "sha256:0123456789012345678901234567890123456789012345678901234567890123"}
        patches:
          - path: patch-resources.yaml
          - target: {kind: Service, name: web}
            patch: |
              - op: replace
                path: /spec/ports/0/port
                value: 8080
          - target: {labelSelector: "app=web", kind: Deployment}
            patch: |
              apiVersion: apps/v1
              kind: Deployment
              metadata:
                name: not-used
              spec:
                template:
                  spec:
                    containers:
                      - name: web
                        env:
                          - name: EXTRA
                            value: "1"
        configMapGenerator:
          - name: settings
            behavior: merge
            literals: [LEVEL=3]
        """,
    "overlay/patch-resources.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: web
                  resources:
                    requests: {memory: 64Mi}
        """,
    "extra/cm.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: extra
        data: {k: v}
        """,
}


def test_transformers_build_like_kubectl(tmp_path: Path) -> None:
    for rel, text in FEATURES.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    for d in ("base", "overlay"):
        assert compare(tmp_path, tmp_path / d) == ""
    got = mine(tmp_path, tmp_path / "overlay")
    assert got is not None
    deploy = got[("Deployment", "shop", "prod-web-v1")]
    assert deploy["spec"]["replicas"] == 3  # checks the comparison is not vacuous
    cm_ref = deploy["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"]
    assert cm_ref.startswith("prod-settings-v1-") and ("ConfigMap", "shop", cm_ref) in got


def test_objects_keep_the_position_of_their_base_document(tmp_path: Path) -> None:
    for rel, text in FEATURES.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    objs = {(o.kind, o.name): o for o in Builder(str(tmp_path)).build_dir(str(tmp_path / "overlay"))}
    role = objs[("Role", "prod-web-v1")]
    assert role.origin.file == str(tmp_path / "base/rbac.yaml") and role.origin.line == 15
    assert objs[("PodDisruptionBudget", "prod-web-v1")].origin.file == str(tmp_path / "comp/pdb.yaml")


def test_flux_overrides_replace_namespace_and_prefix_and_append_patches(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/kustomization.yaml").write_text("namespace: a\nnamePrefix: x-\nresources: [cm.yaml]\n")
    (tmp_path / "app/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
    (tmp_path / "app/ns.yaml").write_text("not: a manifest\n")  # listed nowhere: never read
    flux = FluxOverrides(
        target_namespace="b",
        name_prefix="y-",
        patches=[{"target": {"kind": "ConfigMap"}, "patch": "- op: add\n  path: /data\n  value: {k: v}\n"}],
    )
    [cm] = Builder(str(tmp_path)).build_flux_path("./app", flux)
    assert (cm.namespace, cm.name, cm.body["data"]) == ("b", "y-cm", {"k": "v"})


def test_generated_kustomization_walks_the_path_like_flux(tmp_path: Path) -> None:
    (tmp_path / "apps/sub").mkdir(parents=True)
    (tmp_path / "apps/base").mkdir(parents=True)
    (tmp_path / "apps/a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    (tmp_path / "apps/sub/b.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n")
    (tmp_path / "apps/sub/c.json").write_text("{}")
    (tmp_path / "apps/base/kustomization.yaml").write_text("resources: [d.yaml]\n")
    (tmp_path / "apps/base/d.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n")
    (tmp_path / "apps/base/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e\n")
    names = sorted(o.name for o in Builder(str(tmp_path)).build_flux_path("apps", FluxOverrides()))
    assert names == ["a", "b", "d"]  # design note §9 #1, #2
    (tmp_path / "apps/.yamllint.yaml").write_text("rules: {}\n")
    with pytest.raises(BuildError, match="failed to decode Kubernetes YAML"):
        Builder(str(tmp_path)).build_flux_path("apps", FluxOverrides())


def test_rendered_fleet_builds_like_kubectl() -> None:
    """The example fleet (bases + per-cluster overlays, ``$patch: delete``, JSON 6902 replaces)."""
    root = Path(__file__).resolve().parents[1] / "examples" / "fleet" / "output"
    if not root.is_dir():
        pytest.skip("examples/fleet/output is absent")
    # clusters/<name> lists gotk-components.yaml, which `flux bootstrap` writes: kubectl fails there
    dirs = [Path(dp) for dp, _d, _f in os.walk(root) if kustomization_file(dp) and "clusters" not in dp]
    assert len(dirs) > 20
    assert [msg for d in sorted(dirs) if (msg := compare(root, d))] == []


def test_builds_sharing_parsed_files_never_see_each_others_changes(tmp_path: Path) -> None:
    """Builds hand each object its own documents (a file is parsed again for its next reader once a
    build took it to change it in place): two overlays of one base in one build, and the same overlays
    built again with the same parsed files, each get the base as the file says, transformed their way."""
    from gitops_gen.cluster.kustomize import Files

    deploy = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: nginx:1.0}]}
        """
    files = {
        "base/deploy.yaml": deploy,
        "base/kustomization.yaml": "resources: [deploy.yaml]\n",
        "a/kustomization.yaml": """
            namespace: a
            namePrefix: a-
            commonLabels: {side: a}
            resources: [../base]
            patches:
              - target: {kind: Deployment}
                patch: '[{"op": "replace", "path": "/spec/replicas", "value": 3}]'
            """,
        "b/kustomization.yaml": """
            namespace: b
            namePrefix: b-
            resources: [../base]
            images: [{name: nginx, newTag: "2.0"}]
            """,
        "both/kustomization.yaml": "resources: [../a, ../b]\n",
    }
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def seen(objs: list[Any]) -> dict[str, tuple[Any, ...]]:
        out = {}
        for o in objs:
            c = o.body["spec"]["template"]["spec"]["containers"][0]
            out[o.name] = (
                o.namespace,
                o.body["spec"]["replicas"],
                c["image"],
                o.body["metadata"].get("labels"),
            )
        return out

    want = {
        "a-web": ("a", 3, "nginx:1.0", {"app": "web", "side": "a"}),
        "b-web": ("b", 1, "nginx:2.0", {"app": "web"}),
    }
    parsed = Files()
    for _ in range(2):
        assert seen(Builder(str(tmp_path), parsed).build_dir(str(tmp_path / "both"))) == want
        assert seen(Builder(str(tmp_path), parsed).build_dir(str(tmp_path / "a"))) == {"a-web": want["a-web"]}
    base = parsed.parsed(str(tmp_path / "base/deploy.yaml")).documents[0].body
    assert base["metadata"] == {"name": "web", "labels": {"app": "web"}} and base["spec"]["replicas"] == 1


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"


@pytest.mark.parametrize(
    ("files", "needle", "where"),
    [
        ({"a/kustomization.yaml": "resources:\n- ''\n- cm.yaml\n"}, "empty entry", (2, 3)),
        ({"a/kustomization.yaml": "resources:\n- cm.yaml\n- .\n"}, "cycle", (3, 3)),
        (
            {
                "a/kustomization.yaml": "resources:\n- cm.yaml\n- ../b\n",
                "b/kustomization.yaml": "resources: [../a]\n",
            },
            "cycle",
            (1, 13),
        ),
        (
            {
                "a/kustomization.yaml": "resources: [cm.yaml]\ncomponents: [../c]\n",
                "c/kustomization.yaml": "kind: Component\ncomponents: [../c]\n",
            },
            "cycle",
            (2, 14),
        ),
    ],
)
def test_an_empty_entry_or_a_cycle_is_a_located_error(
    tmp_path: Path, files: dict[str, str], needle: str, where: tuple[int, int]
) -> None:
    """kustomize stops on these ('new root cannot be empty', 'cycle detected'); the builder said nothing
    and recursed until Python's limit (found by the lint fuzz test: exit 2 without a location)."""
    for rel, text in {**files, "a/cm.yaml": CM.format("a")}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as info:
        Builder(str(tmp_path)).build_dir(str(tmp_path / "a"))
    assert needle in info.value.message
    assert (info.value.line, info.value.column) == where, info.value.file
    if shutil.which("kubectl"):
        proc = subprocess.run(["kubectl", "kustomize", str(tmp_path / "a")], capture_output=True, timeout=60)
        assert proc.returncode != 0  # kustomize refuses it too


def test_files_a_caller_wrote_are_known_without_asking_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Files.written`` (diff's scratch trees) answers isfile / isdir / kustomization_file and gives
    the parser the text for those paths; every other path is asked of the disk, so a build reads the
    same objects either way, and a kustomization file the disk has first still wins."""
    from gitops_gen.cluster.kustomize import Files, parse_file

    texts = {
        "app/kustomization.yaml": "resources: [deploy.yaml]\n",
        "app/deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
    }
    for rel, text in texts.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "other").mkdir()
    (tmp_path / "other/Kustomization").write_text("resources: []\n")
    (tmp_path / "both").mkdir()
    (tmp_path / "both/kustomization.yaml").write_text("resources: []\n")  # not written by the caller
    (tmp_path / "both/kustomization.yml").write_text("resources: []\n")
    written = {str(tmp_path / rel): text for rel, text in texts.items()}
    written[str(tmp_path / "both/kustomization.yml")] = "resources: []\n"

    plain = Builder(str(tmp_path)).build_dir(str(tmp_path / "app"))
    files = Files(lambda p: parse_file(p, None, files.written.get(p)))
    files.written = written
    asked: list[str] = []
    isfile, isdir = os.path.isfile, os.path.isdir
    monkeypatch.setattr(os.path, "isfile", lambda p: asked.append(p) or isfile(p))
    monkeypatch.setattr(os.path, "isdir", lambda p: asked.append(p) or isdir(p))
    known = Builder(str(tmp_path), files).build_dir(str(tmp_path / "app"))
    assert [o.body for o in known] == [o.body for o in plain] and known
    assert not [p for p in asked if p in written or p == str(tmp_path / "app")], asked
    assert files.isfile(str(tmp_path / "app/deploy.yaml")) and files.isdir(str(tmp_path / "app"))
    assert not files.isfile(str(tmp_path / "app")) and not files.isdir(str(tmp_path / "app/deploy.yaml"))
    assert not [p for p in asked if p in written or p == str(tmp_path / "app")], asked
    assert files.isdir(str(tmp_path / "other")) and not files.isfile(str(tmp_path / "nothing.yaml"))
    assert files.kustomization_file(str(tmp_path / "other")) == str(tmp_path / "other/Kustomization")
    assert files.kustomization_file(str(tmp_path / "both")) == str(tmp_path / "both/kustomization.yaml")
    assert files.kustomization_file(str(tmp_path / "nothing")) is None


@pytest.mark.parametrize(
    "data",
    [
        b"a: 1\n",
        b"\xef\xbb\xbfa: 1\n",  # a byte order mark
        b"a: 1\x00\n",  # binary
        "caf\u00e9: \u2603\n".encode(),
        b"x" * 20_001,  # over the limit below
        "é".encode() * 9_000,  # under it in characters, over it in bytes
        b"",
        b"a: 1\n" * 2_000 + b"\x00",  # a NUL past the bytes looked at
        "é".encode() * 5_000 + b"\x00",  # the same, past them in bytes, not in characters
    ],
)
def test_a_written_text_is_checked_as_reading_its_file_would(tmp_path: Path, data: bytes) -> None:
    from gitops_gen.k8s.loader import check_text, read_file
    from gitops_gen.yamlio import Limits

    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    limits = Limits(max_file_bytes=20_000)
    assert check_text(data.decode("utf-8"), str(path), limits=limits) == read_file(
        path, str(path), limits=limits
    )
