"""Secrets never reach git in plain text.

* Specs: a credential-looking field with a literal value is refused at load time (exit 2,
  ``file:line:col``, pointing to SealedSecrets / ``secretKeyRef`` / ``existingSecret``).
* Render: over random valid specs, the output never holds a plain ``Secret`` with data, and the
  lint ``secrets`` rule finds nothing in it (the two heuristics agree on what the loader let through).
* Lint: credentials in HelmRelease values, ConfigMaps, env and plain Secrets are reported end to end.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hardening_helpers import APP, FUZZ, PLATFORM, assert_clean, dump_yaml, run_cli, write_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_gen.errors import UserError
from gitops_gen.spec.loader import load_specs
from gitops_gen.spec.secrets import is_credential_key

CREDENTIAL_KEYS = [
    "password",
    "adminPassword",
    "DB_PASSWORD",
    "API_TOKEN",
    "STRIPE_SECRET_KEY",
    "APIKEY",
    "apiKey",
    "secretAccessKey",
    "bearer_token",
    "smtp_auth_password",
    "SMTP_PASS",
    "clientSecret",
    "privateKey",
    "GITHUB_TOKEN",
    "rootPassword",
    "AWS_SECRET_ACCESS_KEY",
    "JWT_SECRET",
    "SECRET_KEY_BASE",
    "api-key",
    "webhookSecret",
    "credentials",
]
REFERENCE_KEYS = [
    "existingSecret",
    "secretName",
    "passwordKey",
    "adminPasswordKey",
    "userKey",
    "tokenFile",
    "PASSWORD_FILE",
    "key",
    "secretKeyRef",
    "tokenSecretRef",
    "AWS_ACCESS_KEY_ID",
    "SECRET_NAME",
    "imagePullSecrets",
    "sortKey",
    "passwordSecret",
    "tokenTTL",
    "host",
    "secretMounts",
    "existingSecretPasswordKey",
    "TOKEN_URL",
    "replicas",
    "LOG_LEVEL",
]


@pytest.mark.parametrize("key", CREDENTIAL_KEYS)
def test_credential_keys(key: str) -> None:
    assert is_credential_key(key)


@pytest.mark.parametrize("key", REFERENCE_KEYS)
def test_reference_keys_are_not_credentials(key: str) -> None:
    assert not is_credential_key(key)


def _refused(tmp_path: Path, platform: Any = PLATFORM, app: Any = APP) -> str:
    specs = write_specs(tmp_path, platform=platform, apps=[app])
    with pytest.raises(UserError) as info:
        load_specs(specs)
    return str(info.value)


def test_env_literal_password_refused_with_location(tmp_path: Path) -> None:
    app = copy.deepcopy(APP)
    app["spec"]["env"].append({"name": "DB_PASSWORD_2", "value": "hunter2"})
    message = _refused(tmp_path, app=app)
    text = dump_yaml(app).splitlines()
    line = next(i for i, t in enumerate(text, 1) if "hunter2" in t)
    assert f"app0.yaml:{line}:" in message
    assert "spec.env[2].value" in message and "secretKeyRef" in message and "SealedSecrets" in message
    assert "hunter2" not in message  # never echo the secret


def test_url_with_password_refused(tmp_path: Path) -> None:
    app = copy.deepcopy(APP)
    app["spec"]["env"].append({"name": "DATABASE_URL", "value": "postgres://shop:s3cret@db:5432/shop"})
    message = _refused(tmp_path, app=app)
    assert "URL with a literal password" in message and "s3cret" not in message


@pytest.mark.parametrize("component", ["monitoring", "ingressNginx", "certManager", "sealedSecrets"])
def test_component_values_credential_refused(tmp_path: Path, component: str) -> None:
    platform = copy.deepcopy(PLATFORM)
    platform["spec"]["components"][component]["values"] = {
        "grafana": {"adminPassword": "correct-horse"},
        "admin": {"existingSecret": "grafana-creds"},
    }
    message = _refused(tmp_path, platform=platform)
    assert f"spec.components.{component}.values.grafana.adminPassword" in message
    assert "existingSecret" in message and "platform.yaml:" in message


def test_loki_values_credential_refused(tmp_path: Path) -> None:
    platform = copy.deepcopy(PLATFORM)
    platform["spec"]["components"]["logging"]["loki"]["values"] = {
        "loki": {"storage": {"s3": {"accessKeyId": "AKIA123", "secretAccessKey": "abc/def+ghi"}}}
    }
    message = _refused(tmp_path, platform=platform)
    assert "secretAccessKey" in message and "accessKeyId" not in message


@pytest.mark.parametrize("value", ["", "${GRAFANA_PASSWORD}", "$(PASSWORD)", "{{ .Values.pw }}"])
def test_placeholders_and_empty_values_load(tmp_path: Path, value: str) -> None:
    platform = copy.deepcopy(PLATFORM)
    platform["spec"]["components"]["monitoring"]["values"] = {"grafana": {"adminPassword": value}}
    app = copy.deepcopy(APP)
    app["spec"]["env"].append({"name": "API_TOKEN", "value": value})
    assert load_specs(write_specs(tmp_path, platform=platform, apps=[app])).apps


def test_every_credential_reported_at_once(tmp_path: Path) -> None:
    app = copy.deepcopy(APP)
    app["spec"]["env"] += [{"name": "A_TOKEN", "value": "x1"}, {"name": "B_SECRET", "value": "x2"}]
    platform = copy.deepcopy(PLATFORM)
    platform["spec"]["components"]["monitoring"]["values"] = {"x": {"token": "t"}, "y": [{"password": "p"}]}
    message = _refused(tmp_path, platform=platform, app=app)
    assert message.count("literal credential") == 4


# ------------------------------------------------------------------------------------ render property
KEYS = st.sampled_from(CREDENTIAL_KEYS + REFERENCE_KEYS + ["enabled", "size", "url", "image", "token", "tls"])
LITERALS = st.one_of(
    st.sampled_from(
        [
            "hunter2",
            "",
            "${PW}",
            "grafana-creds",
            "https://a:b@host/x",
            "https://host/x",
            "Zm9vYmFy",
            "s3cr3t!",
            "admin",
        ]
    ),
    st.text(max_size=8),
    st.integers(0, 100),
    st.booleans(),
)
HELM_VALUES = st.recursive(
    st.dictionaries(KEYS, LITERALS, max_size=3),
    lambda inner: st.dictionaries(KEYS, st.one_of(inner, st.lists(inner, max_size=2)), max_size=3),
    max_leaves=8,
)
DNS = st.from_regex(r"\A[a-z]([a-z0-9-]{0,10}[a-z0-9])?\Z")


@st.composite
def valid_specs(draw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    platform = copy.deepcopy(PLATFORM)
    comps = platform["spec"]["components"]
    for name in ("ingressNginx", "certManager", "sealedSecrets", "monitoring", "logging"):
        comps[name]["enabled"] = draw(st.booleans())
    for name in ("ingressNginx", "certManager", "sealedSecrets", "monitoring"):
        if draw(st.booleans()):
            comps[name]["values"] = draw(HELM_VALUES)
    if draw(st.booleans()):
        comps["logging"]["loki"]["values"] = draw(HELM_VALUES)
    if draw(st.booleans()):
        platform["spec"]["git"]["url"] = "ssh://git@git.example.org/ops/fleet"
    apps = []
    for name in draw(st.lists(DNS, min_size=0, max_size=3, unique=True)):
        app = copy.deepcopy(APP)
        app["metadata"]["name"] = name
        app["spec"]["ingress"]["host"] = f"{name}.example.org"
        env = []
        for env_name in draw(
            st.lists(st.sampled_from(CREDENTIAL_KEYS + REFERENCE_KEYS), max_size=4, unique=True)
        ):
            if env_name.replace("-", "_").replace("_", "").isalnum() and not env_name[0].isdigit():
                if draw(st.booleans()):
                    env.append(
                        {
                            "name": env_name.replace("-", "_"),
                            "value": draw(
                                st.sampled_from(["hunter2", "", "${X}", "debug", "postgres://u:p@db/x"])
                            ),
                        }
                    )
                else:
                    env.append(
                        {
                            "name": env_name.replace("-", "_"),
                            "secretKeyRef": {"name": "app-secrets", "key": "value"},
                        }
                    )
        app["spec"]["env"] = env
        apps.append(app)
    return platform, apps


@pytest.mark.slow
@settings(FUZZ, max_examples=FUZZ.max_examples)
@given(valid_specs())
def test_render_never_emits_plain_secrets(spec: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    from gitops_gen.k8s.loader import parse_text
    from gitops_gen.render.engine import render_tree

    platform, apps = spec
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            specs = load_specs(write_specs(root, platform=platform, apps=apps))
            files = render_tree(specs, "")
        except UserError as exc:  # refused spec (a credential, or an inconsistency render checks)
            for problem in exc.problems:
                assert problem.location.line >= 1, str(problem)
            return
        for rel, text in files.items():
            for doc in parse_text(text).documents:
                body = doc.body
                assert not (
                    isinstance(body, dict)
                    and body.get("kind") == "Secret"
                    and (body.get("data") or body.get("stringData"))
                ), rel
            assert ":p@db" not in text and "a:b@host" not in text, rel  # URL passwords never pass
        out = root / "out"
        out.mkdir()
        # the secrets rule reads one object at a time: lint only the objects that carry values or env
        for rel, text in files.items():
            if "kind: HelmRelease" not in text and "kind: Deployment" not in text:
                continue
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text(text, encoding="utf-8")
        outcome = run_cli(["lint", str(out), "--no-cache", "--format", "json"], timeout=60, cwd=root)
        assert_clean(outcome, allowed=(0, 1))
        leaks = [f for f in json.loads(outcome.out)["findings"] if f["rule"] == "secrets"]
        assert not leaks, leaks


# ------------------------------------------------------------------------------------ lint end to end
LEAKY = {
    "helmrelease.yaml": """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: grafana, namespace: monitoring}
spec:
  interval: 10m
  chart:
    spec: {chart: grafana, version: 8.0.0, sourceRef: {kind: HelmRepository, name: grafana}}
  values:
    adminPassword: correct-horse-battery
    admin: {existingSecret: grafana-admin, passwordKey: admin-password}
""",
    "configmap.yaml": """apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: shop}
data:
  DB_PASSWORD: hunter2
  LOG_LEVEL: info
""",
    "secret.yaml": """apiVersion: v1
kind: Secret
metadata: {name: plain, namespace: shop}
type: Opaque
data:
  token: aHVudGVyMg==
""",
    "sealed.yaml": """apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: sealed, namespace: shop}
spec:
  encryptedData:
    token: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq
""",
}


def test_lint_reports_credentials_end_to_end(tmp_path: Path) -> None:
    for name, text in LEAKY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    outcome = run_cli(["lint", str(tmp_path), "--no-cache", "--format", "json"], timeout=60, cwd=tmp_path)
    assert_clean(outcome, allowed=(1,))
    findings = [f for f in json.loads(outcome.out)["findings"] if f["rule"] == "secrets"]
    by_file = {Path(f["file"]).name: f for f in findings}
    assert set(by_file) == {"helmrelease.yaml", "configmap.yaml", "secret.yaml"}, findings
    assert (
        by_file["helmrelease.yaml"]["line"] == 9 and "adminPassword" in by_file["helmrelease.yaml"]["message"]
    )
    assert by_file["configmap.yaml"]["line"] == 5
    assert all(f["severity"] == "error" for f in findings)
    for leaked in ("correct-horse-battery", "hunter2", "aHVudGVyMg=="):  # findings name keys, never values
        assert leaked not in outcome.out
