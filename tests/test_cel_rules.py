"""CEL validation rules (x-kubernetes-validations) of the bundled CRDs, one test per rule family, and
what happens to rules that cannot be evaluated."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lint_helpers import by_rule, run

from gitops_gen.cli import cli
from gitops_gen.lint.model import Severity
from gitops_gen.lint.schema.cel import CelRules

HR = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo, namespace: apps}
spec:
  interval: 10m
%s
"""
CHART = "  chart: {spec: {chart: podinfo, sourceRef: {kind: HelmRepository, name: podinfo}}}"
CHARTREF = "  chartRef: {kind: OCIRepository, name: podinfo}"


def cel(tmp_path: Path, text: str, name: str = "obj.yaml") -> list[tuple[int, str, Severity]]:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return [(x.line, x.message, x.severity) for x in by_rule(run([f]), "cel")]


def test_helmrelease_chart_xor_chartref(tmp_path: Path) -> None:
    assert cel(tmp_path, HR % CHART) == []
    assert cel(tmp_path, HR % CHARTREF) == []
    both = cel(tmp_path, HR % (CHART + "\n" + CHARTREF))
    assert both == [(4, "spec: either chart or chartRef must be set", Severity.ERROR)]
    assert cel(tmp_path, HR % "  timeout: 5m")[0][1] == "spec: either chart or chartRef must be set"


def test_helmrelease_strategy_retry_interval(tmp_path: Path) -> None:
    ok = "  upgrade: {strategy: {name: RetryOnFailure, retryInterval: 5m}}"
    assert cel(tmp_path, HR % (CHART + "\n" + ok)) == []
    bad = "  upgrade:\n    strategy:\n      name: UninstallOnFailure\n      retryInterval: 5m"
    assert cel(tmp_path, HR % (CHART + "\n" + bad)) == [
        (
            8,
            "spec.upgrade.strategy: .retryInterval can only be set when .name is 'RetryOnFailure'",
            Severity.ERROR,
        )
    ]
    install = "  install: {strategy: {name: RemediateOnFailure, retryInterval: 1m}}"
    assert (
        "cannot be set when .name is 'RemediateOnFailure'"
        in cel(tmp_path, HR % (CHART + "\n" + install))[0][1]
    )


BUCKET = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: b, namespace: flux-system}
spec:
  interval: 5m
  bucketName: podinfo
  endpoint: minio.example.com
%s
"""


def test_bucket_provider_rules_use_schema_defaults(tmp_path: Path) -> None:
    # provider defaults to "generic": the API server defaults before it validates, so do we
    assert cel(tmp_path, BUCKET % "  serviceAccountName: sa") == [
        (4, "spec: ServiceAccountName is not supported for the 'generic' Bucket provider", Severity.ERROR)
    ]
    assert cel(tmp_path, BUCKET % "  provider: aws\n  serviceAccountName: sa") == []
    both = BUCKET % "  provider: aws\n  serviceAccountName: sa\n  secretRef: {name: s}"
    assert [m for _l, m, _s in cel(tmp_path, both)] == [
        "spec: cannot set both .spec.secretRef and .spec.serviceAccountName"
    ]
    sts = BUCKET % "  provider: aws\n  sts: {provider: ldap, endpoint: https://sts.example.com}"
    assert [m for _l, m, _s in cel(tmp_path, sts)] == [
        "spec: 'aws' is the only supported STS provider for the 'aws' Bucket provider"
    ]


def test_gitrepository_provider_rule(tmp_path: Path) -> None:
    git = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: g, namespace: flux-system}
spec:
  interval: 5m
  url: https://github.com/stefanprodan/podinfo
  serviceAccountName: sa
%s"""
    assert [m for _l, m, _s in cel(tmp_path, git % "")] == [
        "spec: serviceAccountName can only be set when provider is 'azure' or 'aws'"
    ]
    assert cel(tmp_path, git % "  provider: azure\n") == []


def test_cert_manager_venafi_exactly_one(tmp_path: Path) -> None:
    issuer = """\
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: venafi, namespace: apps}
spec:
  venafi:
    zone: "My Zone"
%s"""
    tpp = "    tpp: {url: https://tpp.example.com/vedsdk, credentialsRef: {name: tpp-secret}}\n"
    cloud = "    cloud: {apiTokenSecretRef: {name: cloud-secret, key: apikey}}\n"
    assert cel(tmp_path, issuer % tpp) == []
    assert cel(tmp_path, issuer % (tpp + cloud)) == [
        (5, "spec.venafi: exactly one of tpp, cloud, or ngts must be configured", Severity.ERROR)
    ]
    assert cel(tmp_path, issuer % "")[0][1].endswith("exactly one of tpp, cloud, or ngts must be configured")


def test_receiver_rules(tmp_path: Path) -> None:
    receiver = """\
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: r, namespace: flux-system}
spec:
  resources: [{kind: GitRepository, name: flux-system}]
%s"""
    assert cel(tmp_path, receiver % "  type: github\n  secretRef: {name: token}\n") == []
    assert [m for _l, m, _s in cel(tmp_path, receiver % "  type: github\n")] == [
        "spec: secretRef is required when type is not generic-oidc"
    ]
    oidc = cel(tmp_path, receiver % "  type: generic-oidc\n  secretRef: {name: token}\n")
    assert sorted(m for _l, m, _s in oidc) == [
        "spec: generic-oidc receivers must define at least one oidcProvider",
        "spec: secretRef cannot be set when type is generic-oidc",
    ]


def test_gateway_api_rule_on_list_items(tmp_path: Path) -> None:
    route = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: apps}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /api}}]
      backendRefs: [{name: api, port: 80}]
    - matches: [{path: {type: PathPrefix, value: "api/v2"}}]
      backendRefs: [{name: api, port: 80}]
"""
    found = cel(tmp_path, route)
    assert found and all(line == 9 for line, _m, _s in found), found
    assert any("must be an absolute path" in m for _l, m, _s in found), found


def test_substituted_values_and_transition_rules_are_skipped_not_failed() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "x-kubernetes-validations": [
                    {"rule": "self.replicas <= 10", "message": "too many"},
                    {"rule": "self.replicas >= oldSelf.replicas", "message": "no scale down"},
                    {"rule": "self.name.reverse() == 'x'", "message": "unknown function"},
                    {"rule": "self.name.startsWith(", "message": "unparsable"},
                    {"rule": "self.missing == 1", "message": "missing key"},
                    {"rule": "size(self.name) < 3", "messageExpression": "'name ' + self.name + ' too long'"},
                    {"rule": "self.replicas < 5", "fieldPath": ".replicas"},
                ],
                "properties": {"replicas": {"type": "integer"}, "name": {"type": "string"}},
            }
        },
    }
    rules = CelRules(schema)
    failures, skips = rules.evaluate({"spec": {"replicas": 20, "name": "long"}})
    assert [(f.path, f.message) for f in failures] == [
        (("spec",), "too many"),
        (("spec",), "name long too long"),
        (("spec", "replicas"), "failed rule: self.replicas < 5"),
    ]
    reasons = sorted(s.reason.split(":")[0].split(" ")[0] for s in skips)
    assert len(skips) == 3 and "no" in reasons and "cannot" in reasons, skips  # never oldSelf
    failures, skips = rules.evaluate({"spec": {"replicas": "${REPLICAS}", "name": "ab"}})
    assert failures == [] and any("post-build substitution" in s.reason for s in skips)


def test_kubernetes_library_functions() -> None:
    schema = {
        "type": "object",
        "properties": {
            "hosts": {
                "type": "array",
                "items": {"type": "string"},
                "x-kubernetes-validations": [
                    {"rule": "self.all(h, !isIP(h))", "message": "no IPs"},
                    {"rule": "self.all(h, h.lowerAscii() == h)", "message": "lower case"},
                    {"rule": "self.all(h, h.split('.').size() >= 2)", "message": "dotted"},
                ],
            }
        },
    }
    rules = CelRules(schema)
    assert rules.evaluate({"hosts": ["a.example.com"]}) == ([], [])
    failures, skips = rules.evaluate({"hosts": ["10.0.0.1", "Upper.Example.com", "local"]})
    assert sorted(f.message for f in failures) == ["dotted", "lower case", "no IPs"] and not skips


UNEVALUABLE_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties: {size: {type: string}}
              x-kubernetes-validations:
                - rule: "quantity(self.size).isGreaterThan(quantity('1Gi'))"
                  message: at least 1Gi
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: apps}
spec: {size: 2Gi}
"""


def test_unevaluable_rule_is_counted_and_listed_with_verbose(tmp_path: Path) -> None:
    f = tmp_path / "widget.yaml"
    f.write_text(UNEVALUABLE_CRD, encoding="utf-8")
    found = by_rule(run([f]), "cel")
    assert [(x.severity, x.line) for x in found] == [(Severity.INFO, 26)]
    assert "CEL rule not evaluated" in found[0].message and "quantity" in found[0].message
    quiet = CliRunner().invoke(cli, ["lint", str(f), "--no-cache"])
    assert quiet.exit_code == 0 and "CEL rule not evaluated" not in quiet.stdout
    assert "1 CEL rule evaluation(s) skipped" in quiet.stderr
    loud = CliRunner().invoke(cli, ["lint", str(f), "--no-cache", "--verbose"])
    assert loud.exit_code == 0 and "CEL rule not evaluated" in loud.stdout


def test_sops_encrypted_custom_object_is_not_evaluated(tmp_path: Path) -> None:
    text = HR % (CHART + "\n" + CHARTREF) + "sops:\n  mac: ENC[x]\n  version: 3.8.1\n"
    found = cel(tmp_path, text)
    assert [(s, "SOPS-encrypted" in m) for _l, m, s in found] == [(Severity.INFO, True)]


@pytest.mark.parametrize("kind", ["Kustomization", "HelmRelease"])
def test_rules_compile_once_per_process(kind: str) -> None:
    from gitops_gen.lint.schema import cel as celmod
    from gitops_gen.lint.schema.bundle import group_versions

    group = "kustomize.toolkit.fluxcd.io" if kind == "Kustomization" else "helm.toolkit.fluxcd.io"
    cv = next(c for c in group_versions(group) if c.kind == kind)
    rules = CelRules(cv.raw or {})
    body = {"spec": {"interval": "5m", "kubeConfig": {"secretRef": {"name": "k"}}}}
    rules.evaluate(body)
    before = celmod._compile.cache_info()
    rules.evaluate(body)
    after = celmod._compile.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
