"""Rule ``secrets``: plain Secrets and literal credentials in HelmRelease values and ConfigMaps."""

from __future__ import annotations

import pytest
from rules_helpers import fixture, only, resources_of, run

from gitops_gen.lint.model import Severity
from gitops_gen.lint.rules.secrets import is_literal_credential


def test_plain_secret() -> None:
    found = fixture("secrets", "bad-secret.yaml")
    assert len(found) == 1
    f = found[0]
    assert f.severity == Severity.ERROR and f.ref == "Secret/shop/db-credentials"
    assert "plain Secret with literal stringData (username, password)" in f.message
    assert f.path == ("stringData", "username") and "SealedSecret" in f.remediation
    assert "hunter2" not in f.message  # never echo the secret


def test_helmrelease_values() -> None:
    found = fixture("secrets", "bad-helmrelease.yaml")
    assert {f.path for f in found} == {
        ("spec", "values", "adminPassword"),
        ("spec", "values", "env", 0, "value"),
        ("spec", "values", "datasources", "loki", "apiKey"),
    }
    f = only(found, contains="GF_SMTP_PASSWORD")
    assert f.severity == Severity.ERROR and "existingSecret" in f.remediation
    assert all("s3cr3t" not in x.message and "mailpass" not in x.message for x in found)


def test_configmap_and_env() -> None:
    found = fixture("secrets", "bad-configmap.yaml")
    f = only(found, contains="'DB_PASSWORD'")
    assert f.severity == Severity.ERROR and f.path == ("data", "DB_PASSWORD")
    f = only(found, contains="embeds a literal 'password'")
    assert f.severity == Severity.WARNING and f.path == ("data", "app.ini")
    f = only(found, contains="env var SLACK_TOKEN")
    assert f.path == ("spec", "template", "spec", "containers", 0, "env", 0, "value")


def test_good_fixture() -> None:
    assert fixture("secrets", "good.yaml") == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("password", "hunter2", True),
        ("adminPassword", "x", True),
        ("postgres-password", "changeme", True),
        ("existingSecret", "my-secret", False),
        ("existingSecretPasswordKey", "password", False),
        ("secretName", "tls", False),
        ("passwordSecretRef", "x", False),
        ("password", "", False),
        ("password", "${DB_PASSWORD}", False),
        ("token", "op://vault/item/field", False),
        ("apiKey", "vault:secret/data/x#key", False),
        ("clientSecret", "oauth-client-secret", False),
        ("clientSecret", "Zx81_kQ9vPn2", True),
        ("api_key", "0123456789abcdef0123", True),
        ("tokenFile", "/var/run/token", False),
        ("password", "ENC[AES256_GCM,data:x]", False),
        ("enabled", "true", False),
        ("githubToken", "ghp_abcdefghijklmnop", True),
        ("passwordSecret", "hunter2", False),
        ("externalSecret", "hunter2", False),
        ("user_password", "hunter2", True),
        ("USER_TOKEN", "abc123XYZ", True),
        ("adminTokenSecret", "x1", False),
        ("webhookSecret", "Zx81_kQ9vPn2", True),
    ],
)
def test_classifier(key: str, value: str, expected: bool) -> None:
    assert is_literal_credential(key, value) is expected


def test_kustomize_secret_generator_literal() -> None:
    text = """
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
secretGenerator:
  - name: db
    literals: [username=app, password=hunter2]
"""
    found = run("secrets", resources_of(text))
    assert [f.path for f in found] == [("secretGenerator", 0, "literals", 1)]


def test_slack_webhook_url_in_helm_values() -> None:
    from rules_helpers import resources_of, run

    text = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kube-prometheus-stack, namespace: monitoring}
spec:
  chart: {spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: pc}}}
  values:
    alertmanager:
      config:
        receivers:
          - name: slack
            slack_configs: [{channel: '#alerts', api_url: https://hooks.slack.com/services/T0/B0/abcdef}]
"""
    [f] = [f for f in run("secrets", resources_of(text)) if "webhook" in f.message]
    assert "Slack webhook URL" in f.message and "api_url_file" in f.remediation
    assert f.path[-1] == "api_url" and "hooks.slack.com" not in f.message
