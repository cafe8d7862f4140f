"""The day-2 spec fields (issue 16 items 1-3): networkPolicy, network.egress, metrics, alerts,
notifications and monitoring.alerting - what each renders, and bad values refused at their line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.errors import UserError
from gitops_gen.render.engine import render_tree
from gitops_gen.spec.loader import load_specs


@pytest.fixture()
def specs_dir(repo_root: Path, tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(repo_root / "examples/day2/specs", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def _error(specs: Path) -> str:
    with pytest.raises(UserError) as info:
        render_tree(load_specs(specs), "output")
    return str(info.value)


def test_metrics_port_must_be_a_port_of_the_app(specs_dir: Path) -> None:
    app = specs_dir / "apps/lingua-app.yaml"
    _edit(app, "metrics: {port: 9100", "metrics: {port: 9200")
    message = _error(specs_dir)
    assert re.search(r"lingua-app\.yaml:\d+:\d+: spec\.metrics\.port", message), message
    assert "9200 is not a port of the app" in message


def test_egress_to_an_app_not_on_the_cluster(specs_dir: Path) -> None:
    _edit(specs_dir / "apps/lingua-app.yaml", "- {app: lingua-db}", "- {app: lingua-cache}")
    message = _error(specs_dir)
    assert "network.egress names app 'lingua-cache', which does not run on cluster 'vps'" in message
    assert re.search(r"lingua-app\.yaml:\d+:\d+:", message)


def test_egress_peer_takes_app_or_cidr(specs_dir: Path) -> None:
    _edit(specs_dir / "apps/lingua-app.yaml", "- {app: lingua-db}", "- {app: lingua-db, cidr: 10.0.0.0/8}")
    assert "set exactly one of app and cidr" in _error(specs_dir)


def test_route_to_an_unknown_receiver(specs_dir: Path) -> None:
    _edit(specs_dir / "platform.yaml", "critical: email", "critical: pager")
    assert "route to receiver 'pager', which is not among receivers (slack, email)" in _error(specs_dir)


def test_alertmanager_urls_come_from_secret_files(specs_dir: Path) -> None:
    files = render_tree(load_specs(specs_dir), "output")
    text = files["infrastructure/controllers/kube-prometheus-stack/release.yaml"]
    [release] = _docs(text)
    am = release["spec"]["values"]["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == ["alertmanager-receivers"]
    receivers = {r["name"]: r for r in am["config"]["receivers"]}
    assert set(receivers) == {"null", "slack", "email"}
    slack = receivers["slack"]["slack_configs"][0]
    assert slack["api_url_file"] == "/etc/alertmanager/secrets/alertmanager-receivers/slack-url"
    assert "api_url" not in slack and "auth_password" not in receivers["email"]["email_configs"][0]
    assert am["config"]["route"]["receiver"] == "slack"
    assert {r["receiver"] for r in am["config"]["route"]["routes"]} == {"null", "email"}


def test_slack_webhook_url_in_component_values_is_refused(specs_dir: Path) -> None:
    _edit(
        specs_dir / "platform.yaml",
        "      retention: 7d\n",
        "      retention: 7d\n      values:\n        alertmanager:\n          config:\n            global:\n"
        "              slack_api_url: https://hooks.slack.com/services/T000/B000/XXXXabcdef\n",
    )
    with pytest.raises(UserError) as info:
        load_specs(specs_dir)
    assert "Slack webhook URL" in str(info.value) and "hooks.slack.com" not in str(info.value)


def test_worker_metrics_render_a_pod_monitor(specs_dir: Path) -> None:
    (specs_dir / "apps/queue.yaml").write_text(
        "apiVersion: gitops-gen/v1\nkind: App\nmetadata: {name: queue}\nspec:\n  workload: worker\n"
        "  image: ghcr.io/org/queue:1.0.0\n  ports: [{name: metrics, port: 9090}]\n"
        '  probes: {liveness: {command: ["true"]}}\n'
        "  resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 64Mi}}\n"
        "  metrics: {port: 9090}\n"
    )
    files = render_tree(load_specs(specs_dir), "output")
    [pm] = _docs(files["apps/vps/queue/podmonitor.yaml"])
    assert pm["kind"] == "PodMonitor" and pm["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    policies = {d["metadata"]["name"]: d for d in _docs(files["apps/vps/queue/networkpolicy.yaml"])}
    # a worker without an Ingress is reached by Prometheus only
    [rule] = policies["queue-allow"]["spec"]["ingress"]
    assert rule["from"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "monitoring"
    }
    assert rule["ports"] == [{"protocol": "TCP", "port": 9090}]


def test_without_network_policy_no_policies(specs_dir: Path) -> None:
    _edit(specs_dir / "platform.yaml", "  networkPolicy: default-deny\n", "")
    files = render_tree(load_specs(specs_dir), "output")
    assert not [rel for rel in files if rel.endswith("networkpolicy.yaml")]
    assert "apps/vps/lingua-app/servicemonitor.yaml" in files  # metrics do not depend on it
