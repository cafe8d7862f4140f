"""References that Flux (and the kubelet) resolve only in the cluster: each one's error and its quiet
correct case; the Secret producers of workloads; and the precision items of issue 11."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lint_helpers import SHARED, by_rule
from lint_helpers import run as lint
from rules_helpers import resources_of, run

from gitops_gen.lint.model import LintOptions, Severity


def refs(
    text: str, options: LintOptions | None = None, file: str = "test.yaml"
) -> list[tuple[Severity, str]]:
    return [(f.severity, f.message) for f in run("flux-refs", resources_of(text, file), options)]


HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: app, namespace: apps}
spec:
  interval: 5m
  chartRef: {kind: OCIRepository, name: app}
  valuesFrom:
    - {kind: ConfigMap, name: app-values}
    - {kind: Secret, name: app-secret, valuesKey: values.yaml}
    - {kind: Secret, name: maybe, optional: true}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app, namespace: apps}
spec: {interval: 5m, url: oci://ghcr.io/x/app, ref: {tag: "1"}}
"""
PRODUCERS = """\
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-values, namespace: apps}
data: {values.yaml: "a: 1"}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: from-store, namespace: apps}
spec: {target: {name: app-secret}, data: []}
"""


def test_values_from_needs_a_producer_unless_optional() -> None:
    found = refs(HR)
    assert sorted(m.split(" has no")[0] for _s, m in found) == [
        "spec.valuesFrom[0] ConfigMap 'app-values'",
        "spec.valuesFrom[1] Secret 'app-secret'",
    ]
    assert {s for s, _m in found} == {Severity.WARNING}
    assert refs(HR + PRODUCERS) == []


KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substituteFrom:
      - {kind: ConfigMap, name: cluster-settings}
      - {kind: Secret, name: cluster-secrets}
      - {kind: Secret, name: extra, optional: true}
"""


def test_substitute_from_needs_a_producer_sealed_or_generated(tmp_path: Path) -> None:
    found = refs(KS)
    assert sorted(m.split(" has no")[0] for _s, m in found) == [
        "spec.postBuild.substituteFrom[0] ConfigMap 'cluster-settings'",
        "spec.postBuild.substituteFrom[1] Secret 'cluster-secrets'",
    ]
    # a SealedSecret and a configMapGenerator of a kustomization.yaml next to the object produce them
    (tmp_path / "apps").mkdir()
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: flux-system\n"
        "resources: [ks.yaml, sealed.yaml]\nconfigMapGenerator:\n  - name: cluster-settings\n"
        "    literals: [DOMAIN=example.com]\n",
        encoding="utf-8",
    )
    sealed = (
        "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
        "metadata: {name: cluster-secrets, namespace: flux-system}\nspec: {encryptedData: {a: AgB}}\n"
    )
    opts = LintOptions(repo_root=tmp_path)
    assert refs(KS + sealed, opts, file=str(tmp_path / "ks.yaml")) == []


NOTIFY = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: slack, namespace: flux-system}
spec:
  providerRef: {name: slack}
  eventSources: [{kind: Kustomization, name: "*"}]
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: github, namespace: flux-system}
spec:
  type: github
  resources: [{kind: GitRepository, name: flux-system}]
  secretRef: {name: webhook-token}
"""
PROVIDER = """\
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: slack, namespace: flux-system}
spec: {type: slack, secretRef: {name: slack-url}}
"""


def test_alert_provider_receiver_and_their_secrets() -> None:
    found = refs(NOTIFY)
    assert (
        Severity.WARNING,
        "spec.providerRef Provider flux-system/slack does not exist among the linted files",
    ) in found
    assert any("spec.secretRef Secret 'webhook-token' has no producer" in m for _s, m in found)
    assert len(found) == 2
    # with a Provider whose own Secret is missing; and another Provider linted: a typo is an error
    found = refs(NOTIFY.replace("name: slack}", "name: slak}") + PROVIDER)
    assert (Severity.ERROR, "spec.providerRef Provider flux-system/slak does not exist") in found
    assert any("Secret 'slack-url' has no producer" in m and "Provider" in m for _s, m in found)
    sops_secrets = """\
---
apiVersion: v1
kind: Secret
metadata: {name: slack-url, namespace: flux-system}
stringData: {address: "ENC[AES256_GCM,data:x,type:str]"}
sops: {mac: "ENC[x]", version: 3.8.1}
---
apiVersion: v1
kind: Secret
metadata: {name: webhook-token, namespace: flux-system}
stringData: {token: "ENC[AES256_GCM,data:y,type:str]"}
sops: {mac: "ENC[y]", version: 3.8.1}
"""
    assert refs(NOTIFY + PROVIDER + sops_secrets) == []


IMAGES = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: ">=1.0.0"}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: app, namespace: flux-system}
spec:
  interval: 30m
  sourceRef: {kind: GitRepository, name: apps-repo}
  git: {commit: {author: {name: bot, email: bot@example.com}}}
"""


def test_image_policy_and_update_automation_targets() -> None:
    found = refs(IMAGES)
    assert sorted(m for _s, m in found) == [
        "spec.imageRepositoryRef ImageRepository flux-system/app does not exist among the linted files",
        "spec.sourceRef GitRepository flux-system/apps-repo does not exist among the linted files",
    ]
    targets = """\
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: ghcr.io/x/app, interval: 5m}
"""
    bootstrap = IMAGES.replace("name: apps-repo", "name: flux-system")
    assert refs(bootstrap + targets) == []


def test_sops_file_under_a_kustomization_without_decryption(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    apps.mkdir()
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\n"
        'stringData: {password: "ENC[AES256_GCM,data:x,type:str]"}\nsops: {mac: "ENC[x]", version: 3.8.1}\n'
    )
    (apps / "secret.sops.yaml").write_text(secret, encoding="utf-8")
    ks = KS.split("  postBuild:")[0]
    opts_root = LintOptions(repo_root=tmp_path)
    res = resources_of(ks, str(tmp_path / "ks.yaml")) + resources_of(secret, str(apps / "secret.sops.yaml"))
    found = [(f.severity, f.message) for f in run("flux-refs", res, opts_root)]
    assert len(found) == 1 and found[0][0] == Severity.ERROR
    assert "applies the SOPS-encrypted Secret db" in found[0][1] and "no spec.decryption" in found[0][1]
    with_decryption = ks + "  decryption: {provider: sops, secretRef: {name: sops-age}}\n"
    res = resources_of(with_decryption, str(tmp_path / "ks.yaml")) + resources_of(
        secret, str(apps / "secret.sops.yaml")
    )
    assert run("flux-refs", res, opts_root) == []


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      imagePullSecrets: [{name: registry}]
      containers:
        - name: web
          image: ghcr.io/x/web:1.0
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
            - name: OPTIONAL
              valueFrom: {secretKeyRef: {name: maybe, key: x, optional: true}}
          envFrom: [{secretRef: {name: web-env}}]
      volumes:
        - {name: tls, secret: {secretName: web-tls}}
"""


def secret_refs(text: str) -> list[tuple[Severity, str, tuple[object, ...]]]:
    return [(f.severity, f.message.split("'")[1], f.path) for f in run("secret-refs", resources_of(text))]


def test_workload_secrets_need_a_producer() -> None:
    found = secret_refs(DEPLOY)
    assert [(s, n) for s, n, _p in found] == [
        (Severity.WARNING, "registry"),
        (Severity.WARNING, "db"),
        (Severity.WARNING, "web-env"),
        (Severity.WARNING, "web-tls"),
    ]
    assert found[1][2] == (
        "spec",
        "template",
        "spec",
        "containers",
        0,
        "env",
        0,
        "valueFrom",
        "secretKeyRef",
        "name",
    )
    producers = """\
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: registry, namespace: apps}
spec: {encryptedData: {.dockerconfigjson: AgB}}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: apps}
spec: {data: []}
---
apiVersion: v1
kind: Secret
metadata: {name: web-env, namespace: apps}
stringData: {A: "ENC[AES256_GCM,data:x,type:str]"}
sops: {mac: "ENC[x]", version: 3.8.1}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: apps}
spec: {secretName: web-tls, dnsNames: [web.example.com], issuerRef: {name: le, kind: ClusterIssuer}}
"""
    assert secret_refs(DEPLOY + producers) == []
    # another namespace's Secret does not count
    assert len(secret_refs(DEPLOY + producers.replace("namespace: apps", "namespace: other"))) == 4
    # a HelmRelease installing into the namespace may create them: nothing said
    helm = "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x, namespace: apps}\nspec: {}\n"
    assert secret_refs(DEPLOY + helm) == []


ALERT_OPERATOR = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: a, namespace: flux-system}
spec:
  providerRef: {name: p}
  eventSources:
    - {kind: FluxInstance, name: "*"}
    - {kind: NotAKind, name: "*"}
"""
FLUX_INSTANCE = """\
---
apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata: {name: flux, namespace: flux-system}
spec: {distribution: {version: 2.x, registry: ghcr.io/fluxcd}}
"""


def test_flux_operator_kinds_accepted_where_the_operator_manages_flux(tmp_path: Path) -> None:
    f = tmp_path / "alert.yaml"
    f.write_text(ALERT_OPERATOR, encoding="utf-8")
    found = [(x.line, x.remediation) for x in by_rule(lint([f]), "schema") if x.severity == Severity.ERROR]
    assert [line for line, _r in found] == [7, 8]
    assert "Flux Operator" in found[0][1] and "Flux Operator" not in found[1][1]
    f.write_text(ALERT_OPERATOR + FLUX_INSTANCE, encoding="utf-8")
    errors = [x.line for x in by_rule(lint([f]), "schema") if x.severity == Severity.ERROR]
    assert errors == [8]  # NotAKind is still wrong


def test_flux_services_exist_when_flux_is_installed() -> None:
    ingress = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: flux-webhook, namespace: flux-system}
spec:
  rules:
    - host: flux.example.com
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: webhook-receiver, port: {number: 80}}}}
"""
    found = [f.message for f in run("ingress", resources_of(ingress))]
    assert len(found) == 1 and found[0].startswith("backend Service 'webhook-receiver'")
    assert run("ingress", resources_of(ingress + "---\n" + KS)) == []


def test_yaml_tags_in_embedded_config_are_references() -> None:
    cm = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: ha, namespace: home}
data:
  configuration.yaml: |
    mqtt:
      password: !env_var MQTT_PASSWORD
      token: !secret api_token
    http:
      api_key: hunter2hunter2
"""
    found = [f.message for f in run("secrets", resources_of(cm))]
    assert len(found) == 1 and "'api_key'" in found[0]


def test_non_kubernetes_yaml_with_tags_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
        encoding="utf-8",
    )
    found = by_rule(lint([tmp_path / "mkdocs.yml"]), "yaml")
    assert [(f.severity, "not a Kubernetes manifest" in f.message) for f in found] == [(Severity.INFO, True)]
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nx: !!python/name:y\n", "utf-8")
    assert [f.severity for f in by_rule(lint([tmp_path / "broken.yaml"]), "yaml")] == [Severity.ERROR]


KUBECONFORM = SHARED / "tools" / "bin" / "kubeconform"


@pytest.mark.skipif(not KUBECONFORM.is_file(), reason="../shared/tools/bin/kubeconform is absent")
def test_kubeconform_back_end_treats_sops_and_substitutions_like_the_embedded_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{KUBECONFORM.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    assert shutil.which("kubeconform")
    f = tmp_path / "objects.yaml"
    f.write_text(
        """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: b}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: "x:1"}]}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: b}
stringData: {a: "ENC[AES256_GCM,data:abc,type:str]"}
sops: {mac: "ENC[x]", version: 3.8.1}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: x, namespace: b}
spec: {interval: 5m, chartRef: {kind: OCIRepository, name: c}, bogus: 1}
""",
        encoding="utf-8",
    )
    for validator in ("embedded", "kubeconform"):
        found = [(x.line, x.severity) for x in by_rule(lint([f], validator=validator), "schema")]
        assert found == [(20, Severity.ERROR)], (validator, found)  # only the unknown field, via bundled
