"""Rule ``alerting``: Alertmanager routes name receivers that exist."""

from __future__ import annotations

from rules_helpers import resources_of, run

KPS = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: kube-prometheus-stack, namespace: monitoring}
spec:
  chart: {spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: pc}}}
  values:
    alertmanager:
      config:
        route:
          receiver: slack
          routes: [{receiver: email, matchers: [severity="critical"]}, {receiver: "null", matchers: [alertname="Watchdog"]}]
        receivers:
          - {name: "null"}
          - {name: slack, slack_configs: [{channel: '#alerts', api_url_file: /etc/alertmanager/secrets/am/slack}]}
          - {name: email, email_configs: [{to: ops@example.com, auth_password_file: /etc/alertmanager/secrets/am/smtp}]}
"""


def test_routes_to_defined_receivers() -> None:
    assert run("alerting", resources_of(KPS)) == []


def test_route_to_missing_receiver() -> None:
    [f] = run("alerting", resources_of(KPS.replace("{receiver: email,", "{receiver: pager,")))
    assert "receiver 'pager', which is not defined" in f.message and "email, null, slack" in f.message
    assert f.path == ("spec", "values", "alertmanager", "config", "route", "routes", 0, "receiver")


def test_root_route_without_receiver() -> None:
    [f] = run("alerting", resources_of(KPS.replace("          receiver: slack\n", "")))
    assert "root route names no receiver" in f.message


def test_alertmanager_config() -> None:
    text = """
apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata: {name: web, namespace: web}
spec:
  route: {receiver: team, routes: [{receiver: oncall}]}
  receivers: [{name: team}]
"""
    [f] = run("alerting", resources_of(text))
    assert "'oncall'" in f.message and f.path == ("spec", "route", "routes", 0, "receiver")
